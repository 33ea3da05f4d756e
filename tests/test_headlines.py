"""Headlines explained: a status a report does not mark is blank with the reason, never a bare
0%; a quarter without KPI tables shows its printed headline and says it has no tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.cli import main
from kpi_lib.report import quarterly
from kpi_lib.store.headlines import NO_TABLES, explain
from kpi_lib.store.snapshot import Store
from tests.test_as_of import PERIODS

PRINTED = {"rated": 31, "green": 12, "amber": 5, "red": 14, "pct_green": 39.0}


def test_only_red_marked_leaves_green_amber_and_pct_blank() -> None:
    values, notes = explain({"Red": 7}, rows=30, printed=PRINTED)
    assert values == {"rated": 7, "green": None, "amber": None, "red": 7, "pct_green": None}
    assert "only Red statuses are marked" in notes["rated"] and "31" in notes["rated"]
    assert notes["green"] == notes["amber"] == "not marked in this report (only Red statuses are)"
    assert "not computable" in notes["pct_green"]
    assert "14" in notes["red"]  # the report prints more Red than the tables hold
    # without a printed headline, one status and unrated rows read the same way
    values, notes = explain({"Red": 7}, rows=30)
    assert values["pct_green"] is None and values["green"] is None


def test_every_status_marked_gives_the_share_with_no_note() -> None:
    values, notes = explain({"Green": 3, "Amber": 1, "Red": 0}, rows=5)
    assert values == {"rated": 4, "green": 3, "amber": 1, "red": 0, "pct_green": 75.0}
    assert not any(notes.values())
    values, _ = explain({"Red": 2}, rows=2)  # all rows rated, all Red: a true 0%
    assert values["pct_green"] == 0.0


def test_no_tables_and_no_statuses() -> None:
    values, notes = explain({}, rows=0, printed=PRINTED)
    assert set(values.values()) == {None}
    assert all(n.startswith(NO_TABLES) for n in notes.values())
    values, notes = explain({}, rows=12)
    assert values["rated"] == 0 and values["pct_green"] is None
    assert "no RAG status could be read" in notes["pct_green"]


def summary(capsys, period: str) -> pd.DataFrame:
    assert main(["summary", "--period", period, "--format", "json"]) == 0
    return pd.DataFrame(json.loads(capsys.readouterr().out)).set_index("measure")


def test_summary_explains_a_report_marking_only_red(store_root: Path, capsys) -> None:
    s = summary(capsys, "2021/22 Q4")
    assert s.loc["rated", "reported"] == 31 and s.loc["rated", "computed"] == 7
    assert pd.isna(s.loc["pct_green", "computed"])
    assert "only Red" in s.loc["pct_green", "note"]
    assert pd.isna(s.loc["green", "computed"]) and "not marked" in s.loc["green", "note"]


def test_summary_of_a_quarter_without_tables(store_root: Path, capsys) -> None:
    s = summary(capsys, "2024/25 Q2")
    assert s.loc["pct_green", "reported"] == 56.1
    assert s["computed"].isna().all()
    assert s["note"].str.startswith(NO_TABLES).all()


@pytest.mark.parametrize("period", PERIODS)
def test_quarterly_headline_never_shows_a_bare_zero(store_root: Path, period: str) -> None:
    h = quarterly.build(period, snapshot=Store.load()).headline
    for _, row in h.iterrows():
        bare = pd.isna(row["rated"]) or row["rated"] == 0
        if bare or (pd.notna(row["pct_green"]) and row["pct_green"] == 0):
            assert row["note"], (period, row["source"])
    if period == "2021/22 Q4":
        reported = h.set_index("source").loc["reported"]
        assert pd.isna(reported["pct_green"]) and "only Red" in reported["note"]
    if period == "2024/25 Q2":
        by = h.set_index("source")
        assert by.loc["printed in the report", "pct_green"] == 56.1
        assert by.loc["recomputed", "note"] == NO_TABLES
