"""Reading the processed store (data/processed/*.parquet): whole tables, SQL, one KPI's series.

The store is rebuilt by `kpi ingest` (kpi_lib.store.ingest); this module never writes, and
SQL runs read-only on an in-memory copy.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from kpi_lib.errors import StoreError, UsageError
from kpi_lib.paths import processed_dir
from kpi_lib.periods import parse_report_period
from kpi_lib.store import schemas
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.councils import current, load_councils
from kpi_lib.store.headlines import MEASURES, explain
from kpi_lib.store.lock import store_lock

TABLES = ("observations", "reports", "commentary")
NO_STORE = "no store: run `kpi ingest`"
_TYPES = {
    pyarrow.int64(): pd.Int64Dtype(),
    pyarrow.string(): pd.StringDtype(),
    pyarrow.large_string(): pd.StringDtype(),
    pyarrow.bool_(): pd.BooleanDtype(),
}


def table_path(table: str) -> Path:
    if table not in TABLES:
        raise UsageError(f"unknown table '{table}' (one of {', '.join(TABLES)})")
    return processed_dir() / f"{table}.parquet"


def _require() -> None:
    if not all(table_path(t).is_file() for t in TABLES):
        store = processed_dir()
        set_aside = sorted(store.parent.glob(f".{store.name}-old-*")) if not store.exists() else []
        if set_aside:
            raise StoreError(set_aside_message(set_aside))
        raise StoreError(NO_STORE)


def set_aside_message(set_aside: list[Path]) -> str:
    """Who set the store aside: an ingest still running (it is between its two renames) or
    one that was killed there; the folder's name ends with the ingest's pid."""
    from kpi_lib.locks import describe_process, pid_alive

    pids = [p.name.rpartition("-")[2] for p in set_aside]
    running = [int(pid) for pid in pids if pid.isdigit() and pid_alive(int(pid))]
    if running:
        who = ", ".join(f"pid {pid} ({describe_process(pid)})" for pid in running)
        return f"the store is being replaced by a running ingest, {who}: try again when it ends"
    gone = ", ".join(f"pid {pid}" for pid in pids)
    return (
        f"the store was set aside by an interrupted ingest ({gone}, no longer running): "
        "run `kpi ingest` to put it back"
    )


def load(table: str) -> pd.DataFrame:
    """One table with the dtypes of kpi_lib.store.schemas (dates as datetime64, text as string)."""
    path = table_path(table)
    _require()
    try:
        arrow = pq.read_table(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise StoreError(f"{path}: unreadable: {exc}") from None
    df = arrow.to_pandas(types_mapper=_TYPES.get, date_as_object=False)
    if "council" not in df.columns:  # a store built before councils: the default council's
        df["council"] = pd.Series(load_councils().default.id, index=df.index, dtype="string")
    return schemas.conform(table, df)


# Read-only by construction: the tables are copied into memory (Arrow) under the store's
# shared lock, then DuckDB loses all file and network access and its settings are frozen, so
# no statement can write the store, read or write another file, attach or install anything.
_LOCKED_CONFIG = {
    "enable_external_access": False,
    "python_enable_replacements": False,  # no reaching into the caller's Python variables
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_QUERIES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory, read-only DuckDB with views observations, reports, commentary and current
    (the current version of every observation): one consistent snapshot of the store."""

    _require()
    with store_lock(shared=True):
        arrow = {}
        for t in TABLES:
            try:
                arrow[t] = pq.read_table(table_path(t))
            except (OSError, pyarrow.ArrowException) as exc:
                raise StoreError(f"{table_path(t)}: unreadable: {exc}") from None
    con = duckdb.connect(":memory:", config=_LOCKED_CONFIG)
    for t, table in arrow.items():
        con.register(f"_{t}", table)
        con.execute(f"create view {t} as select * from _{t}")
    con.execute("create view current as select * from observations where is_current")
    con.execute("set lock_configuration = true")
    return con


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """One query (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, EXPLAIN...) and nothing else:
    `kpi sql` reads the store, it never changes anything, not even the session."""
    statements = con.extract_statements(query)
    if len(statements) > 1:
        raise UsageError(f"sql: one query at a time, got {len(statements)} statements")
    for st in statements:
        if st.type not in _QUERIES:
            kind = st.type.name.replace("_STATEMENT", "").replace("_", " ")
            raise UsageError(f"sql: only queries can run on the store (read-only), not {kind}")


def sql(query: str) -> pd.DataFrame:
    """Run one read-only query against the store; a refusal or DuckDB error is one line."""
    if not query.strip():
        raise UsageError("sql: empty query")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: DuckDB would raise a TypeError
        raise UsageError(
            f"sql: character {exc.start + 1} of the query is not valid Unicode "
            f"({query[exc.start]!r}, a lone surrogate): retype it"
        ) from None
    con = connect()
    try:
        check_query(con, query)
        result = con.execute(query)
        if result is None or result.description is None:  # a comment or ';' alone
            raise UsageError("sql: the query returns no table")
        return result.df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"sql: {first}") from None
    finally:
        con.close()


def series_of(
    obs: pd.DataFrame,
    kpi_id: str,
    current_only: bool = True,
    column: str = "value",
    period_type: str | None = None,
    basis: str | None = None,
) -> pd.Series:
    """One KPI's values indexed by the period label, in time order of the periods' ends
    (periods without dates last); `basis` keeps the figures of one basis only (see
    kpi_lib.store.basis). With current_only=False every version is kept (revisions repeat a
    label, oldest report first). The store's own view (Store.series); the analyst's, one basis
    on a time index, is Kpi.series."""
    rows = obs[obs["kpi_id"] == kpi_id]
    if rows.empty:
        raise UsageError(f"unknown KPI id '{kpi_id}': not in the store")
    if column not in rows.columns:
        raise UsageError(f"no column '{column}' in observations")
    if current_only:
        rows = rows[rows["is_current"]]
    if period_type is not None:
        rows = rows[rows["period_type"] == period_type]
    if basis is not None:
        rows = rows[rows["basis"] == basis]
    # by end: a rolling year filed under the quarter it ends in starts a year before it
    rows = rows.sort_values(
        ["period_end", "period_start", "period", "report_period", "source_line"],
        na_position="last",
        kind="stable",
    )
    out = pd.Series(rows[column].to_numpy(), index=pd.Index(rows["period"], name="period"))
    out.name = kpi_id
    return out


# --- summaries the CLI prints ----------------------------------------------------------------


def council_table(table: str, council: str | None = None) -> pd.DataFrame:
    """One table, one council's rows (`council`, else $KPI_COUNCIL, else the default), without
    the council column."""
    me = current(council).id
    df = load(table)
    return df[df["council"] == me].drop(columns="council").reset_index(drop=True)


def summary(period: str, council: str | None = None) -> pd.DataFrame:
    """The headline a report printed beside the one its own rows give, for one report period.

    Computed: the rows extracted from that period's report(s) that carry a RAG status (one per
    metric and period), counted by status; % green to one decimal. Where the report marks only
    some statuses, or has no KPI tables, the blanks and the `note` column say why
    (kpi_lib.store.headlines)."""
    return summary_of(
        council_table("reports", council), council_table("observations", council), period
    )


def summary_of(reports: pd.DataFrame, obs: pd.DataFrame, period: str) -> pd.DataFrame:
    """`summary` from tables already loaded (a Store passes its own)."""
    label = parse_report_period(period).label
    reps = reports[reports["report_period"] == label]
    if reps.empty:
        known = ", ".join(sorted(reports["report_period"].unique())) or "none"
        raise UsageError(f"no report for {label} in the store (have: {known})")
    reported: dict[str, object] = dict.fromkeys(MEASURES)
    for _, rep in reps.iterrows():
        if pd.notna(rep["headline_rated"]) or pd.notna(rep["headline_pct_green"]):
            reported = {m: _plain(rep[f"headline_{m}"]) for m in MEASURES}
            break
    mine = obs[obs["report_period"] == label]
    # one per printed row; a quarter published twice (PDF and its text) counts once
    mine = mine.drop_duplicates(["metric_name", "period"])
    found = mine.loc[mine["rag"] != "", "rag"].value_counts()
    printed = reported if any(v is not None for v in reported.values()) else None
    computed, notes = explain({s: int(found.get(s, 0)) for s in found.index}, len(mine), printed)
    return pd.DataFrame(
        {
            "report_period": label,
            "measure": list(MEASURES),
            "reported": pd.Series([reported[m] for m in MEASURES], dtype=object),
            "computed": pd.Series([computed[m] for m in MEASURES], dtype=object),
            "note": [notes[m] for m in MEASURES],
        }
    )


def _plain(value: object) -> object:
    """A stored cell as a plain Python number (None for null), for printing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def catalog_listing(council: str | None = None) -> pd.DataFrame:
    """Every catalogued KPI of a council (and every uncatalogued id of its in the store): unit,
    how many periods have a current value, the first and last of them, and how many reports
    mention it."""
    catalog = load_catalog(council=council)
    try:
        obs = council_table("observations", council)
    except StoreError:
        obs = schemas.empty("observations").drop(columns="council")
    cur = obs[obs["is_current"]].sort_values("period_start", na_position="last", kind="stable")
    rows = []
    ids = [e.id for e in catalog.entries]
    ids += sorted(set(obs.loc[~obs["catalogued"], "kpi_id"]))
    for kpi_id in ids:
        mine = cur[cur["kpi_id"] == kpi_id]
        entry = catalog.get(kpi_id) if kpi_id in {e.id for e in catalog.entries} else None
        title = (
            entry.title if entry else str(obs.loc[obs["kpi_id"] == kpi_id, "metric_name"].iloc[0])
        )
        rows.append(
            {
                "kpi_id": kpi_id,
                "title": title,
                "unit": entry.unit if entry else "",
                "catalogued": entry is not None,
                "periods": int(mine["period"].nunique()),
                "first_period": str(mine["period"].iloc[0]) if len(mine) else "",
                "last_period": str(mine["period"].iloc[-1]) if len(mine) else "",
                "n_reports": int(obs.loc[obs["kpi_id"] == kpi_id, "report_period"].nunique()),
            }
        )
    return pd.DataFrame(rows)


def catalog_suggestions(n: int = 3, council: str | None = None) -> pd.DataFrame:
    """A council's metric names that its catalogue does not know, with its closest entries (its
    own and shared ones, never another council's) and its other new names that look like
    variants, for a person to confirm by adding an alias to the council's catalogue."""
    from kpi_lib.store.catalog_init import suggestions

    return suggestions(council_table("observations", council), load_catalog(council=council), n)


def printable(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text, so CSV and JSON output show 2022-07-01 rather than epoch numbers."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            s = out[col]
            fmt = "%Y-%m-%d" if (s.dropna() == s.dropna().dt.normalize()).all() else None
            text = s.dt.strftime(fmt) if fmt else s.map(lambda v: v.isoformat())
            out[col] = text.where(s.notna(), None)
    return out
