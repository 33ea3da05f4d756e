"""Readers turn one source document into extracted rows (kpi_lib.rows)."""
