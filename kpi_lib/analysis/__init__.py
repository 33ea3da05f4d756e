"""Stage 3: targets as rules, RAG recomputed, trends, forecasts and claims, from store frames."""
