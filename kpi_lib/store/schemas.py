"""The store's tables, declared once: pandas dtypes and pandera checks for validation before any
write, and the Arrow schema the Parquet files are written with (so types never drift)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow

from kpi_lib.errors import StoreError
from kpi_lib.store.basis import STORE_BASES

RAG = ["Green", "Amber", "Red", ""]
POLARITY = ["High", "Low", "Other", ""]
# Period.kind values from kpi_lib.periods ("unknown" = an as-of text nobody could parse).
PERIOD_TYPES = ["fy_quarter", "fy_year", "academic_year", "term", "month", "range", "unknown"]
READERS = ["table", "history", "pdf", "narrative", "text"]
NAMED_BELOW = "named_below"
# named_below: a bullet of the report's own list of indicators below the desired level;
# directors_summary: a paragraph of an executive director's account (about no one KPI)
COMMENT_KINDS = [
    "issues",
    "causes",
    "actions",
    "issues_causes",
    "commentary",
    "named_below",
    "directors_summary",
]


@dataclass(frozen=True)
class Col:
    """One column: its pandas dtype, Arrow type, whether nulls are allowed, extra checks."""

    name: str
    dtype: str
    nullable: bool = False
    checks: list[Any] = field(default_factory=list)

    @property
    def arrow(self) -> pyarrow.DataType:
        return {
            "string": pyarrow.string(),
            "bool": pyarrow.bool_(),
            "Int64": pyarrow.int64(),
            "float64": pyarrow.float64(),
            "datetime64[ns]": pyarrow.date32(),
        }[self.dtype]


def _text(name: str, *checks: Any) -> Col:
    return Col(name, "string", False, list(checks))


def _isin(values: list[str]) -> pa.Check:
    return pa.Check.isin(values)


_NONEMPTY = pa.Check(lambda s: s.str.len() > 0, element_wise=False, name="not_empty")
_SHA = pa.Check.str_matches(r"^[0-9a-f]{64}$")

OBSERVATIONS: list[Col] = [
    _text("kpi_id", _NONEMPTY),
    Col("catalogued", "bool"),
    _text("metric_name", _NONEMPTY),
    _text("section"),
    _text("heading"),
    _text("ref"),
    _text("report_period", _NONEMPTY),
    _text("period"),
    Col("period_parsed", "bool"),
    _text("period_type", _isin(PERIOD_TYPES)),
    Col("period_start", "datetime64[ns]", True),
    Col("period_end", "datetime64[ns]", True),
    _text("basis", _isin(list(STORE_BASES))),
    _text("basis_evidence"),
    Col("provisional", "bool"),
    _text("as_of_text"),
    Col("value", "float64", True),
    _text("value_text"),
    Col("value_quarter", "float64", True),
    _text("unit"),
    _text("target_text"),
    _text("target_period"),
    _text("polarity", _isin(POLARITY)),
    _text("rag", _isin(RAG)),
    _text("rag_text"),
    _text("source_file", _NONEMPTY),
    _text("source_sha256", _SHA),
    Col("source_page", "Int64", True, [pa.Check.ge(1)]),
    Col("source_line", "Int64", True, [pa.Check.ge(1)]),
    _text("reader", _isin(READERS)),
    Col("is_current", "bool"),
    Col("revision_of_value", "float64", True),
    _text("revision_of_report"),
    _text("council", _NONEMPTY),  # whose report (kpi_lib.store.councils); every read filters
]

REPORTS: list[Col] = [
    _text("file", _NONEMPTY),
    _text("report_period", _NONEMPTY),
    Col("report_period_start", "datetime64[ns]", True),
    Col("report_period_end", "datetime64[ns]", True),
    _text("period_from", _isin(["document", "SOURCES.csv", "folder", "--period"])),
    _text("title"),
    _text("sha256", _SHA),
    Col("bytes", "Int64", False, [pa.Check.ge(0)]),
    Col("pages", "Int64", True),
    Col("rows_extracted", "Int64", False, [pa.Check.ge(0)]),
    Col("tables", "Int64", False, [pa.Check.ge(0)]),
    _text("readers"),
    Col("warnings", "Int64", False, [pa.Check.ge(0)]),
    _text("warnings_text"),
    Col("headline_rated", "Int64", True, [pa.Check.ge(0)]),
    Col("headline_green", "Int64", True, [pa.Check.ge(0)]),
    Col("headline_amber", "Int64", True, [pa.Check.ge(0)]),
    Col("headline_red", "Int64", True, [pa.Check.ge(0)]),
    Col("headline_pct_green", "float64", True, [pa.Check.in_range(0, 100)]),
    Col("headline_line", "Int64", True, [pa.Check.ge(1)]),
    _text("headline_text"),
    Col("commentary_blocks", "Int64", False, [pa.Check.ge(0)]),
    # how many KPIs the report says it covers, where; its sections without a KPI table
    Col("kpis_covered", "Int64", True, [pa.Check.ge(0)]),
    Col("kpis_covered_line", "Int64", True, [pa.Check.ge(1)]),
    _text("kpis_covered_text"),
    Col("untabled_sections", "Int64", False, [pa.Check.ge(0)]),
    _text("untabled_sections_text"),
    # the amber rule the report's status key prints ("Within 10% of target"), where
    Col("key_amber_within", "float64", True, [pa.Check.in_range(0, 1)]),
    Col("key_line", "Int64", True, [pa.Check.ge(1)]),
    _text("key_text"),
    _text("council", _NONEMPTY),
]

COMMENTARY: list[Col] = [
    _text("report_period", _NONEMPTY),
    _text("kpi_id"),  # "" for a director's account, which is about no one KPI
    _text("heading"),
    _text("kind", _isin(COMMENT_KINDS)),
    _text("label"),
    _text("text", _NONEMPTY),
    _text("source_file", _NONEMPTY),
    Col("source_page", "Int64", True, [pa.Check.ge(1)]),
    Col("source_line", "Int64", False, [pa.Check.ge(1)]),
    _text("council", _NONEMPTY),
]

TABLES: dict[str, list[Col]] = {
    "observations": OBSERVATIONS,
    "reports": REPORTS,
    "commentary": COMMENTARY,
}

KEYS: dict[str, list[str]] = {
    "observations": ["kpi_id", "period", "source_file", "source_line"],
    "reports": ["sha256"],
    "commentary": ["kpi_id", "source_file", "source_page", "source_line", "kind"],
}

# Rows are written in this order, so the same inputs give byte-identical files.
SORT: dict[str, list[str]] = {
    "observations": [
        "council",
        "kpi_id",
        "period_start",
        "period",
        "report_period",
        "source_file",
        "source_line",
    ],
    "reports": ["council", "report_period", "file"],
    "commentary": [
        "council",
        "report_period",
        "source_file",
        "source_page",
        "source_line",
        "kind",
        "kpi_id",
    ],
}

# (start column, end column) pairs that must be ordered where both are present.
RANGES: dict[str, list[tuple[str, str]]] = {
    "observations": [("period_start", "period_end")],
    "reports": [("report_period_start", "report_period_end")],
    "commentary": [],
}


def columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


def empty(table: str) -> pd.DataFrame:
    """A zero-row frame with the table's columns and dtypes."""
    return conform(table, pd.DataFrame({c: [] for c in columns(table)}))


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Column order and dtypes of `table` (missing columns are an error, not silently added)."""
    missing = [c for c in columns(table) if c not in df.columns]
    if missing:
        raise StoreError(
            f"{table}: missing column(s) {', '.join(missing)}: the store was written by an "
            "earlier version; run `kpi ingest` to rebuild it from data/raw"
        )
    out = pd.DataFrame(index=df.index)
    for col in TABLES[table]:
        s = df[col.name]
        if col.dtype == "datetime64[ns]":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif col.dtype == "bool":
            s = s.astype("bool") if not s.isna().any() else s.astype("boolean")
        elif col.dtype == "string":
            s = s.astype("string")
        else:
            s = s.astype(col.dtype)
        out[col.name] = s
    return out


def schema(table: str) -> pa.DataFrameSchema:
    cols = {c.name: pa.Column(c.dtype, checks=c.checks, nullable=c.nullable) for c in TABLES[table]}
    checks = [
        pa.Check(
            lambda df, a=a, b=b: ~(df[a].notna() & df[b].notna() & (df[a] > df[b])),
            name=f"{a}<={b}",
        )
        for a, b in RANGES[table]
    ]
    return pa.DataFrameSchema(
        cols, checks=checks, unique=KEYS[table], strict=True, ordered=True, name=table
    )


def validate(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check `df` against the table's schema; raise StoreError naming table, column, first row."""
    try:
        return schema(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise StoreError(_first_failure(table, df, exc.failure_cases)) from None


def _first_failure(table: str, df: pd.DataFrame, cases: pd.DataFrame) -> str:
    """One line: the failing check, its column(s) and the earliest offending row."""
    cases = cases.copy()
    cases["_pos"] = pd.to_numeric(cases["index"], errors="coerce")
    cases = cases.sort_values(["_pos", "check"], na_position="first", kind="stable")
    first = cases.iloc[0]
    check = str(first["check"])
    if pd.isna(first["_pos"]):  # a whole-column problem: missing, unexpected, wrong dtype
        column, found = str(first["column"]), _show(first["failure_case"])
        if check == "column_in_dataframe":
            return f"{table}: column {first['failure_case']}: missing"
        if check == "column_in_schema":
            return f"{table}: column {first['failure_case']}: not part of the table"
        return f"{table}: column {column}: expected {check}, found {found}"
    pos = int(first["_pos"])
    same = cases[(cases["check"] == first["check"]) & (cases["_pos"] == pos)]
    cols = [c for c in dict.fromkeys(same["column"].astype(str)) if c in df.columns]
    ranges = {f"{a}<={b}": [a, b] for a, b in RANGES[table]}
    if check == "multiple_fields_uniqueness":
        cols, check = KEYS[table], "duplicate key"
    elif check in ranges:
        cols = ranges[check]
    row = df.loc[pos] if pos in df.index else None
    shown = ", ".join(f"{c}={_show(row[c])}" for c in cols) if row is not None else ""
    where = _locate(row)
    return (
        f"{table}: column {', '.join(cols) or first['column']}: {check} fails at row {pos}"
        + (f" ({shown})" if shown else "")
        + (f" [{where}]" if where else "")
    )


def _show(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "null"
    if hasattr(value, "item"):
        value = value.item()
    return repr(value)


def _locate(row: pd.Series | None) -> str:
    """Where the offending row came from (file and line), for a person to look."""
    if row is None:
        return ""
    if "source_file" in row.index:
        line = row.get("source_line")
        has_line = line is not None and line is not pd.NA and line == line
        return f"{row['source_file']}" + (f" line {line}" if has_line else "")
    if "file" in row.index:
        return str(row["file"])
    return ""


def arrow_schema(table: str) -> pyarrow.Schema:
    """Fixed Arrow types; the only metadata is the table name, nothing that varies per run."""
    fields = [pyarrow.field(c.name, c.arrow, nullable=True) for c in TABLES[table]]
    return pyarrow.schema(fields, metadata={b"kpi_store_table": table.encode()})
