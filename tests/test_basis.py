"""A figure's basis (quarter, year to date, rolling 12 months, ...) is stored with it, and
series, trends, movers and the forecast input compare only like with like."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.kpi import Kpi
from kpi_lib.analysis.trends import in_points, like_with_like, trend, trend_table
from kpi_lib.errors import InputError
from kpi_lib.periods import fiscal_to_period
from kpi_lib.store.basis import STORE_BASES, basis_of
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.ingest import ingest
from kpi_lib.store.snapshot import Store

GOOD = """\
- id: absence
  title: Absence
  aliases: []
  polarity: Low
  unit: days per FTE
  frequency: quarterly
  accumulation: rolling 12 months
  section: S
"""


@pytest.mark.parametrize(
    ("ptype", "start", "end", "acc", "declared", "own", "expect"),
    [
        ("fy_quarter", None, None, "point", "", False, "quarter"),
        ("fy_quarter", None, None, "annual cumulative", "", False, "year to date"),
        ("fy_quarter", None, None, "annual cumulative", "", True, "quarter"),
        ("fy_year", None, None, "annual cumulative", "", False, "annual"),
        ("fy_year", None, None, "point", "year to date", False, "annual"),
        ("fy_quarter", None, None, "rolling 12 months", "", False, "rolling 12 months"),
        ("fy_quarter", None, None, "rolling 12 months", "year to date", False, "year to date"),
        ("fy_quarter", None, None, "point", "snapshot", False, "snapshot"),
        ("range", date(2021, 4, 1), date(2022, 3, 31), "point", "", False, "rolling 12 months"),
        ("range", date(2021, 12, 1), date(2022, 2, 28), "point", "", False, "quarter"),
        ("academic_year", None, None, "point", "", False, "academic year"),
        ("term", None, None, "point", "", False, "term"),
        ("month", None, None, "point", "", False, "month"),
        ("unknown", None, None, "point", "snapshot", False, "unknown"),
    ],
)
def test_basis_of(ptype, start, end, acc, declared, own, expect) -> None:
    assert basis_of(ptype, start, end, acc, declared, own) == expect


def test_catalogue_declares_a_basis_from_a_report_on(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD + '  basis_from:\n    "2022-23_Q1": year to date\n', encoding="utf-8")
    (entry,) = load_catalog(path).entries
    assert entry.basis_from == {"2022/23 Q1": "year to date"}
    assert entry.basis_at(date(2021, 10, 1)) == ""
    assert entry.basis_at(date(2022, 4, 1)) == "year to date"
    assert entry.basis_at(date(2023, 7, 1)) == "year to date"


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ("  basis_from:\n    2022/23 Q1: per week\n", 10, "is not one of"),
        ("  basis_from:\n    soon: year to date\n", 10, "is not a report period"),
        ("  basis_from: year to date\n", 9, "must map report periods"),
        ("  basis: weekly\n", 9, "basis 'weekly' is not one of"),
    ],
)
def test_catalogue_basis_errors_name_the_line(
    tmp_path: Path, extra: str, line: int, message: str
) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD + extra, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        load_catalog(path)
    assert f"line {line}" in str(err.value)


def test_every_stored_figure_has_a_basis(store_root: Path) -> None:
    obs = Store.load().observations
    assert obs["basis"].isin(STORE_BASES).all()
    by = obs.set_index(["kpi_id", "report_period", "period"])["basis"]
    # sickness: a rolling 12 months until 2021/22, the quarter's own days from 2022/23
    assert by[("sickness-absence-days-per-fte", "2021/22 Q4", "2021/22 Q4")] == "rolling 12 months"
    assert by[("sickness-absence-days-per-fte", "2022/23 Q2", "2022/23 Q2")] == "quarter"
    # Boost jobs: 2019/20's running totals (19.94, 117, 164.44 against targets 25, 50, 120)
    assert by[("boost-jobs-created", "2019/20 Q3", "2019/20 Q2")] == "year to date"
    # e-downloads: each quarter's own count in 2019/20, the year's running total in 2021/22
    assert by[("library-e-downloads", "2019/20 Q3", "2019/20 Q3")] == "quarter"
    assert by[("library-e-downloads", "2021/22 Q4", "2021/22 Q4")] == "year to date"
    assert by[("library-e-downloads", "2019/20 Q3", "2018/19")] == "annual"


def test_changes_of_percentages_and_across_zero_are_in_points() -> None:
    assert in_points(59.6, 54.5, "%") and in_points(-3.39, 0.84) and in_points(0.0, 2.0)
    assert not in_points(100.0, 120.0, "count") and not in_points(-5.0, -4.0)
    t = trend(pd.Series([-3.39, 0.84], index=["2021/22 Q4", "2022/23 Q1"]), "Low")
    assert (t.change_as, t.change_pct) == ("points", None)
    assert t.change == pytest.approx(4.23)
    share = trend(pd.Series([59.6, 54.5], index=["2021/22 Q4", "2022/23 Q1"]), unit="%")
    assert (share.change_as, share.change_pct) == ("points", None)
    count = trend(pd.Series([100.0, 120.0], index=["2021/22 Q4", "2022/23 Q1"]))
    assert (count.change_as, count.change_pct) == ("per cent", pytest.approx(20.0))


def test_a_year_to_date_is_not_a_point_on_a_rolling_line() -> None:
    base = {"kpi_id": "absence", "metric_name": "Absence", "polarity": "Low", "is_current": True}
    rows = [
        {**base, "period": p, "value": v, "basis": "rolling 12 months"}
        for p, v in [("2020/21 Q4", 12.0), ("2021/22 Q4", 13.86)]
    ]
    rows.append({**base, "period": "2022/23 Q2", "value": 3.05, "basis": "year to date"})
    same = like_with_like(pd.DataFrame(rows))
    assert list(same["period"]) == ["2022/23 Q2"]
    t = trend_table(pd.DataFrame(rows)).iloc[0]
    assert t["value_basis"] == "year to date" and pd.isna(t["change"])
    # without the year to date, the rolling years are one line, whatever they are filed as
    t = trend_table(pd.DataFrame(rows[:2])).iloc[0]
    assert t["value_basis"] == "rolling 12 months" and t["change"] == pytest.approx(1.86)


def test_a_cumulative_kpis_year_to_date_is_compared_with_its_annual_totals() -> None:
    base = {"kpi_id": "downloads", "metric_name": "e-downloads", "is_current": True}
    rows = [
        {**base, "period": "2020/21", "period_type": "fy_year", "value": 800.0, "basis": "annual"},
        {**base, "period": "2021/22 Q3", "value": 89.0, "basis": "quarter"},
        {**base, "period": "2021/22 Q4", "value": 990.0, "basis": "year to date"},
    ]
    t = trend_table(pd.DataFrame(rows)).iloc[0]
    assert (t["previous_period"], t["previous"], t["latest"]) == ("2020/21", 800.0, 990.0)
    assert t["change_pct"] == pytest.approx(23.75)


def test_forecast_input_is_on_one_basis(store_root: Path) -> None:
    data = Store.load()
    sickness = Kpi(data, "sickness-absence-days-per-fte").quarterly()
    assert sickness.attrs["basis"] == "quarter"
    assert sorted(sickness) == [3.05, 3.25]  # the quarters' own days lost
    assert 13.86 not in list(sickness)  # the rolling 12 months before them are left out
    assert "2021/22 Q4" in sickness.attrs["skipped"]
    # Boost jobs: 2019/20's running totals de-cumulate to each quarter's own jobs
    boost = Kpi(data, "boost-jobs-created").quarterly()
    assert list(boost.round(2))[:3] == [19.94, 97.06, 47.44]
    # a share of the year so far is a level, not a running total: never de-cumulated
    uptake = Kpi(data, "health-checks-uptake-year-to-date").quarterly()
    assert uptake.attrs["basis"] == "year to date" and list(uptake) == [38.3, 37.2, 38.5]
    # volunteers: the years to date de-cumulate exactly (all of 2019/20's quarters printed)
    volunteers = Kpi(data, "library-volunteers").quarterly()
    assert volunteers.attrs["basis"] == "quarter"
    assert list(volunteers) == [420.0, 51.0, 54.0]
    for kpi_id in sorted(set(data.observations["kpi_id"])):
        q = Kpi(data, kpi_id).quarterly()
        rows = data.observations[data.observations["kpi_id"] == kpi_id]
        if q.attrs.get("basis") in ("", "quarter"):
            continue
        used = rows[rows["is_current"] & ~rows["period"].isin(q.attrs["skipped"])]
        assert set(used["basis"]) == {q.attrs["basis"]}, kpi_id


def test_series_one_basis_at_a_time(store_root: Path) -> None:
    sickness = Kpi(Store.load(), "sickness-absence-days-per-fte")
    assert sickness.bases == ["rolling 12 months", "quarter"]  # in order of first use
    rolling = sickness.series(basis="rolling 12 months")
    assert 3.05 not in list(rolling) and rolling[fiscal_to_period("2021/22 Q4")] == 13.86
    assert rolling.attrs["basis"] == "rolling 12 months"
    assert 3.05 in list(sickness.series(basis="quarter"))
    assert 13.86 not in list(sickness.series(basis="quarter"))
    assert set(sickness.history()["basis"]) == {"rolling 12 months", "quarter"}
    # a level at a date, as the catalogue declares it
    assert Kpi(Store.load(), "cqc-care-homes-good-outstanding").bases == ["snapshot"]


def _report(root: Path, folder: str, quarter: str, lines: list[str]) -> None:
    path = root / "data" / "raw" / folder / "events.md"
    path.parent.mkdir()
    head = "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends\n"
    body = "".join(f"7000\tHigh\t{p}\tLibrary events\t{v}\t\t\n" for p, v in lines)
    path.write_text(f"# Corporate Performance Report\n\n**{quarter}**\n\n{head}{body}", "utf-8")


def test_year_to_date_is_decumulated_as_published_then(store_root: Path) -> None:
    """Q2's own figure is Q2's year to date less Q1's as known when Q2 was published: a later
    report revising Q1 does not change what the Q2 report said about Q2."""
    _report(store_root, "2025-26_Q1", "2025/26 Quarter 1", [("2025/26 Q1", 100)])
    _report(store_root, "2025-26_Q2", "2025/26 Quarter 2", [("2025/26 Q2", 250)])
    _report(
        store_root, "2025-26_Q3", "2025/26 Quarter 3", [("2025/26 Q1", 120), ("2025/26 Q3", 400)]
    )
    ingest()
    obs = Store.load().observations
    ev = obs[obs["kpi_id"] == "library-events"].set_index(["report_period", "period"])
    assert (ev["basis"].loc[("2025/26 Q2", "2025/26 Q2")]) == "year to date"
    assert ev.loc[("2025/26 Q2", "2025/26 Q2"), "value_quarter"] == 150.0  # 250 - 100
    assert ev.loc[("2025/26 Q3", "2025/26 Q3"), "value_quarter"] == 150.0  # 400 - 250
    assert ev.loc[("2025/26 Q3", "2025/26 Q1"), "value_quarter"] == 120.0
    q = Kpi(Store.load().as_of("2025/26 Q2"), "library-events").quarterly()
    assert q.attrs["basis"] == "quarter"
    assert q[pd.Period("2025Q2")] == 100.0 and q[pd.Period("2025Q3")] == 150.0
