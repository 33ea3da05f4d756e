"""The CLI's output formats: CSV and JSON carry the same rows, JSON stays readable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kpi_lib.cli import main

REPORT = "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"


def test_extract_csv_and_json_agree(store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(store_root / REPORT), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert main(["extract", str(store_root / REPORT), "--format", "json"]) == 0
    out = capsys.readouterr().out
    records = json.loads(out)
    assert "\\/" not in out  # "2022/23 Q2", not "2022\/23 Q2"
    assert len(records) == len(rows) == 76
    required = "section heading ref metric_name target_text good_is as_of_text value value_text rag"
    assert set(required.split()) | {"source_page", "source_line"} <= set(rows[0])
    assert [r["metric_name"] for r in records] == [r["metric_name"] for r in rows]


def test_summary_json(store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--period", "2024/25-Q2", "--format", "json"]) == 0
    got = {r["measure"]: r["reported"] for r in json.loads(capsys.readouterr().out)}
    assert got == {"rated": 41, "green": 23, "amber": 13, "red": 5, "pct_green": 56.1}


@pytest.mark.parametrize("query", ["", "   ", "-- just a comment", ";"])
def test_sql_without_a_table_is_one_line(
    query: str, store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sql", query]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kpi: error: sql:")


def test_ingest_refuses_the_sources_list(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (store_root / "data" / "processed" / "reports.parquet").read_bytes()
    assert main(["ingest", str(store_root / "data" / "raw" / "SOURCES.csv")]) == 2
    assert "sources list" in capsys.readouterr().err
    assert (store_root / "data" / "processed" / "reports.parquet").read_bytes() == before


@pytest.mark.parametrize("horizon", ["0", "-1", "100000"])
def test_forecast_horizon_out_of_range_is_one_line(
    horizon: str, store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "care-home-admissions-65-plus", "--horizon", horizon]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--horizon must be 1 to 40" in err[0]
