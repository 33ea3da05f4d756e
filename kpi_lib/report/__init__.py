"""Stage 4: what a notebook shows: the tables behind the quarterly paper and the deep dive,
their sentences with evidence, charts and the paper as HTML."""
