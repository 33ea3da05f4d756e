"""Stage 1: readers turn one source document into extracted rows (kpi_lib.readers.rows)."""
