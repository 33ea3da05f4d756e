"""Earlier figures restated in the commentary: read by a small grammar (a figure and the period
it is for), resolved against the KPI's own period, used as the previous figure of a mover, and
reported by the claims check as restated, never as a contradiction.

Generated families: several phrasings, KPIs, units and periods, and the look-alikes that must
not be read as restatements (benchmarks, amounts of change, ambiguous periods, counts beside
a percentage, figures of another KPI)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.claims import check_claims
from kpi_lib.analysis.claims_extract import extract_claims, resolve_when
from kpi_lib.analysis.kpi import Kpi
from kpi_lib.analysis.restatements import passed_over, restatements, with_restatements
from kpi_lib.analysis.seasonal import seasonal_kpis
from kpi_lib.analysis.trends import like_with_like, trend_table
from kpi_lib.periods import parse_period
from kpi_lib.report import quarterly
from kpi_lib.store.snapshot import Store

FILE = "data/raw/x/report.md"


def obs_row(
    kpi: str,
    period: str,
    value: float,
    report: str,
    unit: str = "%",
    basis: str = "",
    line: int = 10,
) -> dict[str, object]:
    """One store-shaped observation."""
    p = parse_period(period)
    kind_basis = {"fy_quarter": "quarter", "academic_year": "academic year", "range": "quarter"}
    return {
        "kpi_id": kpi,
        "metric_name": f"{kpi} measure",
        "heading": kpi,
        "report_period": report,
        "period": p.label,
        "period_type": p.kind,
        "period_start": pd.Timestamp(p.start),
        "period_end": pd.Timestamp(p.end),
        "basis": basis or kind_basis.get(p.kind, "quarter"),
        "value": value,
        "value_text": str(value),
        "unit": unit,
        "polarity": "High",
        "target_text": "",
        "rag": "",
        "is_current": True,
        "source_file": FILE,
        "source_line": line,
        "reader": "text",
        "revision_of_value": float("nan"),
        "revision_of_report": "",
    }


def frames(
    rows: list[dict[str, object]], texts: list[tuple[str, list[str], str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(observations, commentary): `texts` are (report, kpi ids, text) blocks."""
    obs = pd.DataFrame(rows or [obs_row("none", "2019/20 Q1", 0.0, "2019/20 Q1")])
    # is_current as the store sets it: the latest report's figure of each period
    obs["is_current"] = False
    obs = obs.sort_values("report_period", kind="stable")
    latest = obs.drop_duplicates(["kpi_id", "period"], keep="last").index
    obs.loc[latest, "is_current"] = True
    com = pd.DataFrame(
        [
            {
                "report_period": report,
                "kpi_id": kpi,
                "heading": kpi,
                "kind": "issues",
                "label": "",
                "text": text,
                "source_file": FILE,
                "source_line": 100 + i,
            }
            for i, (report, kpis, text) in enumerate(texts)
            for kpi in kpis
        ]
    )
    return obs.reset_index(drop=True), com


# --- the grammar: phrasings x figures x periods ---------------------------------------------------
# (sentence template, own period, report, the period the earlier figure resolves to, unit)
PHRASINGS = [
    (
        "Pupils reaching the standard improved to {new}% compared to the previous academic "
        "year of {old}%.",
        "AY 2022/23",
        "2023/24 Q2",
        "AY 2021/22",
        "%",
    ),
    (
        "The average score reduced to {new} compared to the previous academic year of {old}.",
        "AY 2022/23",
        "2023/24 Q2",
        "AY 2021/22",
        "",
    ),
    (
        "The score fell to {new}, below the previous year ({old}).",
        "AY 2021/22",
        "2022/23 Q2",
        "AY 2020/21",
        "",
    ),
    (
        "In this age band there has been an increase from Q1({old}) to Q2 ({new}).",
        "2022/23 Q2",
        "2022/23 Q2",
        "2022/23 Q1",
        "rate per 100k",
    ),
    (
        "Calls answered went from {old}% in quarter 1 to {new}% in quarter 2.",
        "2023/24 Q2",
        "2023/24 Q2",
        "2023/24 Q1",
        "%",
    ),
    (
        "Performance has dropped since the last quarter ({old}% to {new}%).",
        "2022/23 Q2",
        "2022/23 Q2",
        "2022/23 Q1",
        "%",
    ),
    (
        "The rate of {new} is higher, although it remains lower than in Q4 of 2021/22 ({old}).",
        "2022/23 Q2",
        "2022/23 Q2",
        "2021/22 Q4",
        "rate per 100k",
    ),
    (
        "Absence was {new} days per FTE compared to {old} days per FTE in Q2 2022/23.",
        "2023/24 Q2",
        "2023/24 Q2",
        "2022/23 Q2",
        "days",
    ),
    (
        "A vacancy rate of {new}% compared to {old}% in Q1.",
        "2023/24 Q2",
        "2023/24 Q2",
        "2023/24 Q1",
        "%",
    ),
    (
        "Comparing quarter 3 performance ({new} days) with the same quarter in 2018-19 "
        "({old} days) shows a slight worsening.",
        "2019/20 Q3",
        "2019/20 Q3",
        "2018/19 Q3",
        "days",
    ),
    (
        "At {new}%, the December 2021 to February 2022 3-month average improved on the "
        "December 2020 to February 2021 3-month average of {old}%.",
        "2021-12 to 2022-02",
        "2021/22 Q4",
        "2020-12 to 2021-02",
        "%",
    ),
    (
        "Performance of {new}% is up on the same quarter last year ({old}%).",
        "2023/24 Q2",
        "2023/24 Q2",
        "2022/23 Q2",
        "%",
    ),
]
FIGURES = [(57.0, 58.0), (16.9, 15.45), (47.6, 44.9)]


@pytest.mark.parametrize(
    ("phrasing", "figures"), list(itertools.product(PHRASINGS, FIGURES)), ids=repr
)
def test_a_restated_figure_is_read_with_its_period(
    phrasing: tuple[str, str, str, str, str], figures: tuple[float, float]
) -> None:
    template, own, report, earlier, unit = phrasing
    old, new = figures
    text = template.format(old=f"{old:g}", new=f"{new:g}")
    rows = [obs_row("kpi-a", own, new, report, unit=unit)]
    obs, com = frames(rows, [(report, ["kpi-a"], text)])
    found = restatements(com, obs)
    assert list(zip(found["period"], found["value"], strict=True)) == [(earlier, old)], text
    assert found.iloc[0]["own_period"] == own


@pytest.mark.parametrize("phrasing", PHRASINGS, ids=lambda p: p[0][:40])
def test_a_restatement_is_the_movers_previous_figure(
    phrasing: tuple[str, str, str, str, str],
) -> None:
    """With an earlier report's table printing the period differently, the latest report's
    prose wins; the mover names its source line and why it compares."""
    template, own, report, earlier, unit = phrasing
    text = template.format(old="57", new="58")
    rows = [
        obs_row("kpi-a", earlier, 56.0, "2010/11 Q1", unit=unit, line=3),
        obs_row("kpi-a", own, 58.0, report, unit=unit),
    ]
    obs, com = frames(rows, [(report, ["kpi-a"], text)])
    t = trend_table(obs, commentary=com).set_index("kpi_id").loc["kpi-a"]
    assert (t["previous_period"], t["previous"], t["latest"]) == (earlier, 57.0, 58.0)
    assert t["previous_source"] == "data/raw/x/report.md:100 (prose: " + _quote(text) + ")"
    assert "as restated in the " + report + " commentary; printed 56" in t["comparable_because"]
    # without the commentary the table's figure is the previous one, from its own line
    plain = trend_table(obs).set_index("kpi_id").loc["kpi-a"]
    assert (plain["previous"], plain["previous_source"]) == (56.0, "data/raw/x/report.md:3")


def _quote(text: str) -> str:
    claims = [c for c in extract_claims(text) if c.role == "earlier" or c.kind == "change"]
    return claims[0].quote


# --- what must not be read as a restatement -------------------------------------------------------
NOT_RESTATEMENTS = [
    # a benchmark of the earlier period
    ("Performance of 58% is below the national average of 60% in Q1.", "2023/24 Q2", "%"),
    ("It is higher than the 20/21 comparator (nearest neighbour) average of 12.19.", "", ""),
    # an amount of change, not a level
    ("Performance of 58% is a 4.4% increase on the same quarter last year.", "2023/24 Q2", "%"),
    # "previous year" beside a quarter: that quarter a year ago, or last year's total?
    ("Performance of 58% compares with the previous year of 55%.", "2023/24 Q2", "%"),
    # a later quarter of the same year has not happened
    ("Performance of 58% is expected to rise in Q3 (60%).", "2023/24 Q2", "%"),
    # a count beside a percentage KPI
    ("At 58% this is an improvement on Q3 of 2018/19 (3,371).", "2019/20 Q3", "%"),
    # no figure of the KPI in the sentence: another measure's quarter 1
    ("Demand in Q1 (61%) was high across the region.", "2023/24 Q2", "%"),
    # a change that does not end at the KPI's own figure
    ("Referrals went from 40% in quarter 1 to 45% in quarter 2.", "2023/24 Q2", "%"),
    # the previous academic year beside a financial-year figure
    ("Performance of 58% compared to the previous academic year of 57%.", "2023/24 Q2", "%"),
]


@pytest.mark.parametrize(("text", "own", "unit"), NOT_RESTATEMENTS, ids=lambda x: str(x)[:50])
def test_look_alikes_are_not_restatements(text: str, own: str, unit: str) -> None:
    own = own or "2022/23 Q2"
    rows = [obs_row("kpi-a", own, 58.0 if "58%" in text else 15.45, own, unit=unit)]
    obs, com = frames(rows, [(own, ["kpi-a"], text)])
    assert restatements(com, obs).empty, text


def test_a_figure_far_from_the_printed_one_is_another_quantity() -> None:
    text = "Attainment improved to 58% compared to the previous academic year of 85%."
    rows = [
        obs_row("kpi-a", "AY 2021/22", 56.0, "2022/23 Q2"),
        obs_row("kpi-a", "AY 2022/23", 58.0, "2023/24 Q2"),
    ]
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    assert restatements(com, obs).empty


def test_the_restatement_goes_to_the_kpi_whose_figure_the_sentence_prints() -> None:
    """One block under two KPIs (two age bands): each change belongs to the KPI it ends at."""
    text = (
        "Adults 65+: an increase from Q1 (677.91) to Q2 (686.13). "
        "Adults 18-64: an increase from Q1(14.75) to Q2 (15.45)."
    )
    rows = [
        obs_row("older", "2022/23 Q2", 686.13, "2022/23 Q2", unit="rate per 100k"),
        obs_row("younger", "2022/23 Q2", 15.4, "2022/23 Q2", unit="rate per 100k"),
    ]
    obs, com = frames(rows, [("2022/23 Q2", ["older", "younger"], text)])
    found = restatements(com, obs).set_index("kpi_id")["value"].to_dict()
    assert found == {"older": 677.91, "younger": 14.75}


def test_the_same_figure_as_printed_restates_nothing() -> None:
    text = "Absence was 3.25 days per FTE compared to 3.05 days per FTE in Q2 2022/23."
    rows = [
        obs_row("kpi-a", "2022/23 Q2", 3.05, "2022/23 Q2", unit="days"),
        obs_row("kpi-a", "2023/24 Q2", 3.25, "2023/24 Q2", unit="days"),
    ]
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    assert restatements(com, obs).empty
    t = trend_table(obs, commentary=com).iloc[0]
    assert (t["previous"], t["previous_source"]) == (3.05, "data/raw/x/report.md:10")


def test_a_later_table_wins_over_an_earlier_prose_restatement() -> None:
    rows = [
        obs_row("kpi-a", "AY 2021/22", 56.0, "2022/23 Q2"),
        obs_row("kpi-a", "AY 2022/23", 58.0, "2023/24 Q2"),
        obs_row("kpi-a", "AY 2021/22", 57.5, "2023/24 Q3"),
    ]
    text = "Attainment improved to 58% compared to the previous academic year of 57%."
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    merged = with_restatements(obs, restatements(com, obs))
    cur = merged[merged["is_current"] & (merged["period"] == "AY 2021/22")]
    assert list(cur["value"]) == [57.5]


# --- periods --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("words", "own", "expected"),
    [
        ("previous academic year", "AY 2022/23", "AY 2021/22"),
        ("the previous year", "2021/22", "2020/21"),
        ("previous year", "2023/24 Q2", ""),
        ("previous academic year", "2023/24 Q2", ""),
        ("last quarter", "2022/23 Q1", "2021/22 Q4"),
        ("previous quarter", "2022/23 Q3", "2022/23 Q2"),
        ("quarter one", "2023/24 Q2", "2023/24 Q1"),
        ("Q3", "2023/24 Q2", ""),
        ("Q4 of 2021/22", "2022/23 Q2", "2021/22 Q4"),
        ("quarter 2 for 2021/22", "2022/23 Q2", "2021/22 Q2"),
        ("same quarter last year", "2022/23 Q2", "2021/22 Q2"),
        ("the same quarter in 2018-19", "2019/20 Q3", "2018/19 Q3"),
        ("December 2020 to February 2021", "2021-12 to 2022-02", "2020-12 to 2021-02"),
        ("March 2025", "2023/24 Q2", ""),
        ("2021/22", "AY 2022/23", "AY 2021/22"),
    ],
)
def test_period_words_resolve_against_the_figures_own_period(
    words: str, own: str, expected: str
) -> None:
    assert resolve_when(words, own) == expected


# --- claims ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("figures", [(56.0, 57.0), (47.5, 47.6), (16.3, 16.9), (68.1, 66.1)])
def test_a_restated_figure_is_reported_as_restated(figures: tuple[float, float]) -> None:
    printed, restated = figures
    rows = [
        obs_row("kpi-a", "AY 2021/22", printed, "2022/23 Q2", unit=""),
        obs_row("kpi-a", "AY 2022/23", 44.9, "2023/24 Q2", unit=""),
    ]
    text = f"The score reduced to 44.9 compared to the previous academic year of {restated:g}."
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    result = check_claims(com, obs, "2023/24 Q2")
    row = result[result["claimed_value"] == restated].iloc[0]
    assert row["status"] == "restated"
    assert f"restates {printed:g} printed in 2022/23 Q2 for AY 2021/22" in row["reason"]
    assert not (result["status"] == "contradicted").any()


@pytest.mark.parametrize(
    "dated",
    [
        "in August 2023, after the end of the summer term",
        "at the end of June 2023",
        "in Q1",
    ],
)
def test_a_figure_of_another_date_is_not_a_contradiction(dated: str) -> None:
    rows = [obs_row("kpi-a", "2023/24 Q2", 6.1, "2023/24 Q2", unit="")]
    rows[0]["metric_name"] = "Gatsby benchmarks achieved by the careers hub"
    text = f"The hub finished on an average of 6.4 Gatsby benchmarks ({dated})."
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    row = check_claims(com, obs, "2023/24 Q2").set_index("claimed_value").loc[6.4]
    assert row["status"] == "other date", row["reason"]
    undated = text.replace(f" ({dated})", "")
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], undated)])
    row = check_claims(com, obs, "2023/24 Q2").set_index("claimed_value").loc[6.4]
    assert row["status"] == "contradicted"  # the same figure undated is still caught


@pytest.mark.parametrize("undated", ["since April 2023", "by March 2024", "from June 2023"])
def test_a_date_the_figure_is_not_for_leaves_a_contradiction(undated: str) -> None:
    rows = [obs_row("kpi-a", "2023/24 Q2", 6.1, "2023/24 Q2", unit="")]
    rows[0]["metric_name"] = "Gatsby benchmarks achieved by the careers hub"
    text = f"The hub, {undated}, is on an average of 6.4 Gatsby benchmarks."
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    row = check_claims(com, obs, "2023/24 Q2").set_index("claimed_value").loc[6.4]
    assert row["status"] == "contradicted", row["reason"]


def test_the_previous_quarters_figure_in_this_report_is_not_a_contradiction() -> None:
    rows = [obs_row("kpi-a", "2023/24 Q2", 13.48, "2023/24 Q2")]
    text = "There were 2059 vacancies, which is a vacancy rate of 13.48% compared to 17% in Q1."
    obs, com = frames(rows, [("2023/24 Q2", ["kpi-a"], text)])
    result = check_claims(com, obs, "2023/24 Q2").set_index("claimed_value")
    assert result.loc[13.48, "status"] == "matched"
    assert result.loc[17.0, "status"] != "contradicted"


# --- seasonality and kinds of period --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seasonal"),
    [
        ("EET figures do traditionally reduce over the summer period.", True),
        ("There is normally a seasonal reduction in footfall in quarter 3.", True),
        ("Repair performance is seasonal and related to longer hours of darkness.", True),
        ("Demand usually peaks over the winter months.", True),
        ("The number waiting increased over the summer due to staffing issues.", False),
        ("Performance improved in quarter 2.", False),
    ],
)
def test_the_council_says_which_kpis_are_seasonal(text: str, seasonal: bool) -> None:
    _, com = frames([], [("2022/23 Q2", ["kpi-a"], text)])
    assert ("kpi-a" in seasonal_kpis(com)) is seasonal


@pytest.mark.parametrize("year_ago", [True, False])
def test_a_seasonal_kpi_is_compared_a_year_apart(year_ago: bool) -> None:
    """June 95.2 after September 87.9 is no rise for a KPI that dips every summer: the
    previous figure is the same quarter a year earlier, or there is none."""
    rows = [
        obs_row("eet", "2022/23 Q2", 87.9, "2022/23 Q2"),
        obs_row("eet", "2023/24 Q1", 95.2, "2023/24 Q2"),
    ]
    if year_ago:
        rows.insert(0, obs_row("eet", "2022/23 Q1", 94.0, "2022/23 Q1"))
    text = "EET figures do traditionally reduce over the summer period."
    obs, com = frames(rows, [("2022/23 Q2", ["eet"], text)])
    t = trend_table(obs, commentary=com).iloc[0]
    if year_ago:
        assert (t["previous_period"], t["previous"]) == ("2022/23 Q1", 94.0)
        assert "seasonal" in t["comparable_because"]
    else:
        assert pd.isna(t["previous"]) and pd.isna(t["change"])
        assert "seasonal" in t["reason"]
    # without the council's word the latest earlier quarter is compared
    assert trend_table(obs).iloc[0]["previous"] == 87.9


def test_a_three_month_average_is_compared_only_with_the_same_months() -> None:
    rows = [
        obs_row("eet", "2018-12 to 2019-02", 89.9, "2019/20 Q3"),
        obs_row("eet", "2019/20 Q3", 91.9, "2019/20 Q3"),
        obs_row("eet", "2021-12 to 2022-02", 94.8, "2021/22 Q4"),
        obs_row("eet", "2022/23 Q2", 87.9, "2022/23 Q2"),
    ]
    obs, _ = frames(rows, [])
    quarter = like_with_like(obs)
    assert list(quarter["period"]) == ["2019/20 Q3", "2022/23 Q2"]
    months = like_with_like(obs.iloc[:3])
    assert list(months["period"]) == ["2018-12 to 2019-02", "2021-12 to 2022-02"]
    t = trend_table(obs.iloc[:3]).iloc[0]
    assert (t["previous"], t["latest"]) == (89.9, 94.8)
    assert "Dec-Feb with Dec-Feb" in t["comparable_because"]


# --- the bundled quarters ---------------------------------------------------------------------
BUNDLED = ("2019/20 Q3", "2021/22 Q4", "2022/23 Q2", "2023/24 Q2")


@pytest.fixture(scope="module")
def bundled(_ingested_template: Path) -> dict[str, quarterly.Quarterly]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(_ingested_template))
        mp.delenv("KPI_PROCESSED", raising=False)
        data = Store.load()
        return {p: quarterly.build(p, snapshot=data) for p in BUNDLED}


@pytest.mark.parametrize("period", BUNDLED)
def test_every_mover_names_its_evidence_and_no_claim_is_a_false_contradiction(
    bundled: dict[str, quarterly.Quarterly], period: str
) -> None:
    q = bundled[period]
    assert len(q.movers) and (q.movers["previous_source"] != "").all()
    assert q.movers["comparable_because"].str.startswith("same basis").all()
    assert not (q.claims["status"] == "contradicted").any()


def _previous(q: quarterly.Quarterly, kpi: str) -> float | None:
    rows = q.movers[q.movers["kpi_id"] == kpi]
    return None if rows.empty else float(rows["previous"].iloc[0])


def test_bundled_movers_compare_like_with_like(
    bundled: dict[str, quarterly.Quarterly], _ingested_template: Path
) -> None:
    q22, q23 = bundled["2022/23 Q2"], bundled["2023/24 Q2"]
    # the quarter before, as the commentary gives it (no table printed 2022/23 Q1)
    assert _previous(q22, "safeguarding-outcomes-fully-achieved") == 68.1
    assert _previous(q22, "care-home-admissions-18-64") in (14.75, 16.9)
    # a September figure of a KPI that dips every summer: no comparable earlier figure
    assert _previous(q22, "young-people-eet") is None
    assert _previous(q23, "young-people-eet") is None
    # the previous academic year as the 2023/24 Q2 commentary restates it
    assert _previous(q23, "ks4-attainment-8") in (47.6, None)
    assert _previous(q23, "customer-access-calls-answered") in (89.73, 85.4)
    # a Dec-Feb 3-month average is compared with the Dec-Feb average a year earlier
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(_ingested_template))
        mp.delenv("KPI_PROCESSED", raising=False)
        then = Store.load().as_of("2021/22 Q4")
    trends = trend_table(then.observations, commentary=then.commentary).set_index("kpi_id")
    assert trends.loc["young-people-eet", "previous_period"] == "2020-12 to 2021-02"


def test_the_deep_dive_holds_the_restated_figure(_ingested_template: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(_ingested_template))
        mp.delenv("KPI_PROCESSED", raising=False)
        kpi = Kpi(Store.load(), "ks2-reading-writing-maths")
        t = kpi.trend()
        rows = kpi.rows_restated()
    assert (t.previous_period, t.previous) == ("AY 2021/22", 57.0)
    assert t.previous_source == (
        "data/raw/2023-24_Q2/2023-24_Q2_kpi_commentary.txt:405 (prose: the previous academic "
        "year of 57%)"
    )
    held = rows[rows["period"] == "AY 2021/22"].set_index("reader")
    assert held.loc["prose", "value"] == 57.0 and held.loc["prose", "is_current"]
    assert held.loc["prose", "revision_of_value"] == 56.0
    assert not held.loc["table", "is_current"]


@pytest.mark.parametrize(
    ("sentence", "year", "restated_as"),
    [
        ("Absence was 13.86 days compared to 10.76 in 2020/21.", "2020/21", "2020/21 Q4"),
        ("The rate was 13.86 days compared with 10.76 in 2020/21.", "2020/21", "2020/21 Q4"),
        (
            "It was 13.86, compared to 10.76 in 2020-21 and 12.39 in 2019/20.",
            "2020-21",
            "2020/21 Q4",
        ),
    ],
)
def test_a_financial_year_beside_a_rolling_year_is_that_years_q4(
    sentence: str, year: str, restated_as: str
) -> None:
    """A rolling 12 months filed under a Q4 is the financial year: a year quoted beside it is
    the rolling year ending at that year's Q4, a point of the same line; a quarter's own figure
    is not (a year beside a quarter is another span)."""
    rolling = [
        obs_row(
            "days",
            "2019/20 Q3",
            12.28,
            "2019/20 Q3",
            unit="days per FTE",
            basis="rolling 12 months",
        ),
        obs_row(
            "days",
            "2021/22 Q4",
            13.86,
            "2021/22 Q4",
            unit="days per FTE",
            basis="rolling 12 months",
        ),
    ]
    obs, com = frames(rolling, [("2021/22 Q4", ["days"], sentence)])
    got = restatements(com, obs)
    assert list(zip(got["period"], got["value"], strict=True)) == [(restated_as, 10.76)]
    t = trend_table(obs, commentary=com).set_index("kpi_id").loc["days"]
    assert (t["previous_period"], t["previous"]) == (restated_as, 10.76)
    quarter = [
        obs_row("days", "2019/20 Q3", 3.1, "2019/20 Q3", unit="days per FTE"),
        obs_row("days", "2021/22 Q4", 3.4, "2021/22 Q4", unit="days per FTE"),
    ]
    obs, com = frames(quarter, [("2021/22 Q4", ["days"], sentence.replace("13.86", "3.4"))])
    assert restatements(com, obs).empty


def _two_years(unit: str = "%") -> list[dict[str, object]]:
    return [
        obs_row("kpi-a", "2019/20 Q3", 64.5, "2019/20 Q3", unit=unit),
        obs_row("kpi-a", "2021/22 Q4", 59.6, "2021/22 Q4", unit=unit),
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Performance dropped to 59.6% (from 65.4% in 20/21).",
        "It was 59.6%, compared with 65.4% in 2020/21.",
        "It was 59.6% compared to 61.0% in quarter 3.",
        "The figure fell to 59.6% from 63.2% in Q2 of 2021/22.",
    ],
)
def test_a_change_from_an_older_figure_is_not_given_when_the_council_quotes_a_newer_one(
    sentence: str,
) -> None:
    obs, com = frames(_two_years(), [("2021/22 Q4", ["kpi-a"], sentence)])
    t = trend_table(obs)
    assert t.set_index("kpi_id").loc["kpi-a", "previous_period"] == "2019/20 Q3"
    why = passed_over(t, com, "2021/22 Q4")
    assert "kpi-a" in why.index and "cannot use" in why["kpi-a"]


@pytest.mark.parametrize(
    ("sentence", "rows"),
    [
        ("Performance dropped to 59.6% (from 64.5% in 2019/20 Q3).", None),  # the one used
        ("There were 9 more homes rated good than in 2020/21.", None),  # a count, not a share
        ("Performance was 70.1% in 2018/19.", None),  # before the previous figure
        ("Performance dropped to 59.6% this year.", None),  # no earlier period
        ("At 59.6%, close to the national benchmark of 65.4% for 2020/21.", None),  # benchmark
        ("The rate for the other service in Q3 was 61.0%.", None),  # not beside its own figure
        (
            "Performance is 59.6%, compared with 65.4% in 2020/21 Q4.",
            [  # a year apart: the periods between are passed over by design
                obs_row("kpi-a", "2020/21 Q3", 64.5, "2020/21 Q3"),
                obs_row("kpi-a", "2021/22 Q3", 59.6, "2021/22 Q3"),
            ],
        ),
    ],
)
def test_what_does_not_pass_over_a_change(
    sentence: str, rows: list[dict[str, object]] | None
) -> None:
    rows = rows or _two_years()
    report = str(rows[-1]["report_period"])
    obs, com = frames(rows, [(report, ["kpi-a"], sentence)])
    assert passed_over(trend_table(obs), com, report).empty
