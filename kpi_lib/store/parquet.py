"""What makes the store byte-stable: a fixed row order, fixed Arrow types and fixed Parquet
options, so the same tables always give the same bytes (and an unchanged store is not rewritten).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from kpi_lib.store import schemas

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1_000_000,
}


def sort_rows(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table in its store order (schemas.SORT), whatever order its rows were built in."""
    keys = [k for k in schemas.SORT[table] if k in df.columns]
    return df.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def to_parquet(df: pd.DataFrame, table: str) -> bytes:
    """The table as Parquet bytes with fixed types and options: same frame, same bytes."""
    arrow = pyarrow.Table.from_pandas(
        schemas.conform(table, df), schema=schemas.arrow_schema(table), preserve_index=False
    )
    arrow = arrow.replace_schema_metadata(schemas.arrow_schema(table).metadata)
    sink = pyarrow.BufferOutputStream()
    pq.write_table(arrow, sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()
