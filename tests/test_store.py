"""Querying the store: load, sql (DuckDB views), series, and the summary / catalog commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from common import FIXTURES

from kpi_lib import store
from kpi_lib.cli import main
from kpi_lib.errors import StoreError, UsageError
from kpi_lib.periods import parse_period
from kpi_lib.store import schemas
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.ingest import ingest
from kpi_lib.store.snapshot import Store


def run_json(capsys, *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def headline(capsys, period: str) -> tuple[dict, dict]:
    rows = run_json(capsys, "summary", "--period", period, "--format", "json")
    return (
        {r["measure"]: r["reported"] for r in rows},
        {r["measure"]: r["computed"] for r in rows},
    )


def test_summary_2024_25_q2_reports_the_printed_headline(store_root: Path, capsys) -> None:
    reported, _ = headline(capsys, "2024/25-Q2")
    assert reported == {"rated": 41, "green": 23, "amber": 13, "red": 5, "pct_green": 56.1}


def test_summary_2021_22_q4_reports_the_printed_headline(store_root: Path, capsys) -> None:
    reported, _ = headline(capsys, "2021-22_Q4")
    assert [reported[k] for k in ("rated", "green", "amber", "red")] == [31, 12, 5, 14]


def test_summary_computes_the_headline_from_extracted_statuses(store_root: Path, capsys) -> None:
    gold = pd.read_csv(FIXTURES / "2022-23_Q2_kpis.csv", keep_default_na=False)
    rag = gold.loc[gold["rag"] != "", "rag"].value_counts()
    _, computed = headline(capsys, "2022/23 Q2")
    assert computed["rated"] == int(rag.sum())
    assert [computed[k] for k in ("green", "amber", "red")] == [
        int(rag.get(s, 0)) for s in ("Green", "Amber", "Red")
    ]
    assert computed["pct_green"] == round(100 * rag["Green"] / rag.sum(), 1)


def test_summary_of_an_unknown_period_names_what_exists(store_root: Path, capsys) -> None:
    assert main(["summary", "--period", "2030/31 Q1"]) == 2
    err = capsys.readouterr().err
    assert "2030/31 Q1" in err and "2022/23 Q2" in err
    assert main(["summary", "--period", "next quarter"]) == 2


def test_load_returns_validated_tables_with_schema_dtypes(store_root: Path) -> None:
    for table in store.TABLES:
        df = store.load(table)
        assert list(df.columns) == schemas.columns(table)
        schemas.validate(table, df)
    obs = store.load("observations")
    assert str(obs["period_start"].dtype) == "datetime64[ns]"
    assert obs["is_current"].dtype == bool


def test_sql_views_and_errors(store_root: Path, capsys) -> None:
    n = store.sql("select count(*) n from observations")["n"][0]
    cur = store.sql("select count(*) n from current")["n"][0]
    assert n == len(store.load("observations")) and 0 < cur <= n
    assert store.sql("select bool_and(is_current) ok from current")["ok"][0]
    joined = store.sql(
        "select count(*) n from commentary c join reports r on r.report_period = c.report_period"
    )
    assert joined["n"][0] > 0
    with pytest.raises(UsageError, match="^sql: "):
        store.sql("select * from nowhere")

    rows = run_json(capsys, "sql", "select kpi_id from current limit 2", "--format", "json")
    assert len(rows) == 2 and set(rows[0]) == {"kpi_id"}
    assert main(["sql", "selec nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kpi: error: sql:")


def test_missing_store_is_a_one_line_error(kpi_root: Path, capsys) -> None:
    for call in (lambda: store.load("observations"), lambda: store.sql("select 1")):
        with pytest.raises(StoreError, match=r"no store: run `kpi ingest`"):
            call()
    assert main(["sql", "select 1"]) == 2
    assert "run `kpi ingest`" in capsys.readouterr().err


def test_series_is_in_time_order_and_current(store_root: Path) -> None:
    kpi_id = load_catalog().resolve("Sickness Absence days per FTE")
    s = Store.load().series(kpi_id)
    obs = store.load("observations")
    cur = obs[(obs["kpi_id"] == kpi_id) & obs["is_current"]]
    assert sorted(s.index) == sorted(cur["period"]) and s.index.is_unique
    ends = cur.set_index("period").loc[list(s.index), "period_end"]
    assert ends.dropna().is_monotonic_increasing  # time order: by when each period ends
    assert s["2022/23 Q2"] == 3.05 and s["2019/20 Q3"] == 12.28
    with pytest.raises(UsageError, match="unknown KPI"):
        Store.load().series("no-such-kpi")


def test_sickness_series_lines_up_three_reports(store_root: Path) -> None:
    """Rolling 12-month sickness figures from the 2019/20 history cells ("Jan to Dec 2019"), the
    2021/22 prose ("2021-04 to 2022-03") and the 2022/23 and 2023/24 tables, one point per
    quarter label."""
    kpi_id = load_catalog().resolve("Sickness Absence days per FTE")
    assert kpi_id == "sickness-absence-days-per-fte"  # the id data/catalog/kpis.yaml gives
    s = Store.load().series(kpi_id)
    assert s.index.is_unique
    obs = store.load("observations")
    cur = obs[(obs["kpi_id"] == kpi_id) & obs["is_current"]].set_index("period").loc[s.index]
    assert set(cur["report_period"]) == {"2019/20 Q3", "2021/22 Q4", "2022/23 Q2", "2023/24 Q2"}
    assert cur["period_end"].is_monotonic_increasing
    labels = [parse_period(label) for label in s.index]
    assert all(p.kind == "fy_quarter" for p in labels)  # comparable: all quarter labels
    assert [p.end for p in labels] == sorted(p.end for p in labels)
    assert s["2019/20 Q3"] == 12.28 and s["2021/22 Q4"] == 13.86 and s["2022/23 Q2"] == 3.05
    assert s["2023/24 Q2"] == 3.25
    quarterly = Store.load().series("care-home-admissions-18-64")
    assert quarterly.index.is_unique and quarterly["2021/22 Q4"] == 16.3


ROLLING = """# Corporate Performance Report

**2022/23 Quarter 4**

Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends
8 days per FTE\tLow\tApril 2022 to March 2023\tSickness Absence days per FTE\t12.9\t!\t
"""


def test_series_orders_a_rolling_year_by_its_end(store_root: Path) -> None:
    """A rolling year ending March 2023 starts before 2022/23 Q2 but comes after it."""
    path = store_root / "data" / "raw" / "2022-23_Q4" / "rolling.md"
    path.parent.mkdir()
    path.write_text(ROLLING, encoding="utf-8")
    ingest()
    s = Store.load().series("sickness-absence-days-per-fte")
    assert list(s.index[-3:]) == ["2022/23 Q2", "2022/23 Q4", "2023/24 Q2"]
    assert s["2022/23 Q4"] == 12.9 and s.index.is_unique


def test_catalog_lists_every_kpi_with_counts(store_root: Path, capsys) -> None:
    rows = pd.DataFrame(run_json(capsys, "catalog", "--format", "json")).set_index("kpi_id")
    catalog = load_catalog()
    assert {e.id for e in catalog.entries} <= set(rows.index)
    counts = store.sql(
        "select kpi_id, count(distinct report_period) n from observations group by 1"
    ).set_index("kpi_id")["n"]
    for kpi_id, n in counts.items():
        assert rows.loc[kpi_id, "n_reports"] == n
    absent = set(rows.index) - set(counts.index)
    assert all(rows.loc[k, "n_reports"] == 0 and rows.loc[k, "periods"] == 0 for k in absent)


# --- these depend on the text-table, history-table and narrative readers -----------------------
# (2019/20 history columns, 2022/23 tables, 2021/22 prose); they fail until all three emit rows.
@pytest.mark.parametrize(
    "name",
    [
        "Sickness Absence days per FTE",
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 65+ during the year",
    ],
)
def test_kpi_history_spans_three_reports(store_root: Path, name: str) -> None:
    kpi_id = load_catalog().resolve(name)
    assert kpi_id
    reports = store.sql(
        f"select distinct report_period from observations where kpi_id = '{kpi_id}'"
    )
    assert len(reports) >= 3, reports["report_period"].tolist()


# --- validation -------------------------------------------------------------------------------
def _break(df: pd.DataFrame, how: str) -> pd.DataFrame:
    df = df.copy()
    if how == "rag":
        df.loc[3, "rag"] = "Purple"
    elif how == "period_type":
        df.loc[3, "period_type"] = "fortnight"
    elif how == "polarity":
        df.loc[3, "polarity"] = "Up"
    elif how == "duplicate":
        df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    elif how == "dates":
        df.loc[3, ["period_start", "period_end"]] = [
            pd.Timestamp("2023-06-30"),
            pd.Timestamp("2023-04-01"),
        ]
    elif how == "dtype":
        df["value"] = df["value"].astype(str)
    elif how == "missing":
        df = df.drop(columns=["is_current"])
    elif how == "null_text":
        df.loc[3, "metric_name"] = pd.NA
    return df


@pytest.mark.parametrize(
    ("how", "expect"),
    [
        ("rag", r"^observations: column rag: .* row 3 \(rag='Purple'\) \[data/raw/"),
        ("period_type", r"^observations: column period_type: .* row 3"),
        ("polarity", r"^observations: column polarity: .* row 3"),
        ("duplicate", r"^observations: column kpi_id, period, source_file, source_line: duplicate"),
        ("dates", r"^observations: column period_start, period_end: period_start<=period_end"),
        ("dtype", r"^observations: column value: "),
        ("missing", r"^observations: column is_current"),
        ("null_text", r"^observations: column metric_name: .* row 3"),
    ],
)
def test_validator_names_table_column_and_first_bad_row(
    store_root: Path, how: str, expect: str
) -> None:
    good = store.load("observations")
    schemas.validate("observations", good)
    with pytest.raises(StoreError, match=expect) as err:
        schemas.validate("observations", _break(good, how))
    assert "\n" not in str(err.value)


def test_reports_keys_are_unique(store_root: Path) -> None:
    reps = store.load("reports")
    with pytest.raises(StoreError, match="reports: column sha256: duplicate"):
        schemas.validate("reports", pd.concat([reps, reps.iloc[[0]]], ignore_index=True))
