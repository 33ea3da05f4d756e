"""Stage 2: extracted rows become the validated store (data/processed), read back here.

`from kpi_lib import store; store.load("observations")` reads a table; ingest, the catalogue,
the schemas and the writer live in the modules beside this one.
"""

from kpi_lib.store.read import (
    MEASURES,
    NO_STORE,
    TABLES,
    catalog_listing,
    catalog_suggestions,
    connect,
    load,
    printable,
    sql,
    summary,
    table_path,
)

__all__ = [
    "MEASURES",
    "NO_STORE",
    "TABLES",
    "catalog_listing",
    "catalog_suggestions",
    "connect",
    "load",
    "printable",
    "sql",
    "summary",
    "table_path",
]
