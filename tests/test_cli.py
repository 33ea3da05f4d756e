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
