"""Period parsing: every as-of form printed in the samples and gold, report periods, detection."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.errors import UsageError
from kpi_lib.periods import (
    Period,
    detect_report_period,
    filing_label,
    parse_period,
    parse_report_period,
    period_in_value,
    quarter_ending,
    slug,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RAW = ROOT / "data" / "raw"

D = date
# text as printed -> (label, kind, start, end, provisional)
CASES: dict[str, tuple[str, str, date, date, bool]] = {
    # as_of_text in 2022-23_Q2_kpis.csv
    "2022/23 Q2": ("2022/23 Q2", "fy_quarter", D(2022, 7, 1), D(2022, 9, 30), False),
    "2022/23 Q1": ("2022/23 Q1", "fy_quarter", D(2022, 4, 1), D(2022, 6, 30), False),
    "2021/22": ("2021/22", "fy_year", D(2021, 4, 1), D(2022, 3, 31), False),
    "2022 09": ("2022-09", "month", D(2022, 9, 1), D(2022, 9, 30), False),
    "2021/22 Prov": ("2021/22", "fy_year", D(2021, 4, 1), D(2022, 3, 31), True),
    "2022 Summer term mid": ("2022 Summer term", "term", D(2022, 5, 1), D(2022, 8, 31), False),
    "2022/23": ("2022/23", "fy_year", D(2022, 4, 1), D(2023, 3, 31), False),
    "2018/19": ("2018/19", "fy_year", D(2018, 4, 1), D(2019, 3, 31), False),
    # period_label in 2019-20_Q3_kpis.csv
    "2018/19 Q4": ("2018/19 Q4", "fy_quarter", D(2019, 1, 1), D(2019, 3, 31), False),
    "2019/20 Q1": ("2019/20 Q1", "fy_quarter", D(2019, 4, 1), D(2019, 6, 30), False),
    "2019/20 Q2": ("2019/20 Q2", "fy_quarter", D(2019, 7, 1), D(2019, 9, 30), False),
    "2019/20 Q3": ("2019/20 Q3", "fy_quarter", D(2019, 10, 1), D(2019, 12, 31), False),
    # other printed forms (brief, reports, history-table cells)
    "2023/24 Q2": ("2023/24 Q2", "fy_quarter", D(2023, 7, 1), D(2023, 9, 30), False),
    "2023/24 Q4": ("2023/24 Q4", "fy_quarter", D(2024, 1, 1), D(2024, 3, 31), False),
    "2021-22": ("2021/22", "fy_year", D(2021, 4, 1), D(2022, 3, 31), False),
    "2022/23 Prov": ("2022/23", "fy_year", D(2022, 4, 1), D(2023, 3, 31), True),
    "2023 b Spring Term": ("2023 Spring term", "term", D(2023, 1, 1), D(2023, 4, 30), False),
    # a footnote marker between the year and "Prov" (2023-24 Q2), or OCR's reading of it
    "2022/23 a Prov": ("2022/23", "fy_year", D(2022, 4, 1), D(2023, 3, 31), True),
    "2022/23 1 Prov": ("2022/23", "fy_year", D(2022, 4, 1), D(2023, 3, 31), True),
    "Q2 2023/24 b prov": ("2023/24 Q2", "fy_quarter", D(2023, 7, 1), D(2023, 9, 30), True),
    "Autumn term 2022": ("2022 Autumn term", "term", D(2022, 9, 1), D(2022, 12, 31), False),
    "Q3 2019/20": ("2019/20 Q3", "fy_quarter", D(2019, 10, 1), D(2019, 12, 31), False),
    "Q4 2018-19": ("2018/19 Q4", "fy_quarter", D(2019, 1, 1), D(2019, 3, 31), False),
    "Quarter 2 2024/25": ("2024/25 Q2", "fy_quarter", D(2024, 7, 1), D(2024, 9, 30), False),
    "2023-24_Q2": ("2023/24 Q2", "fy_quarter", D(2023, 7, 1), D(2023, 9, 30), False),
    "2023/24-Q2": ("2023/24 Q2", "fy_quarter", D(2023, 7, 1), D(2023, 9, 30), False),
    "AY 2021/22": ("AY 2021/22", "academic_year", D(2021, 9, 1), D(2022, 8, 31), False),
    "Jan to Dec 2019": ("2019-01 to 2019-12", "range", D(2019, 1, 1), D(2019, 12, 31), False),
    "April 2018 to March 2019": (
        "2018-04 to 2019-03",
        "range",
        D(2018, 4, 1),
        D(2019, 3, 31),
        False,
    ),
    "July 2018 to June 2019": ("2018-07 to 2019-06", "range", D(2018, 7, 1), D(2019, 6, 30), False),
    "Dec 2018 - Feb19": ("2018-12 to 2019-02", "range", D(2018, 12, 1), D(2019, 2, 28), False),
    "April 21 to March 22": ("2021-04 to 2022-03", "range", D(2021, 4, 1), D(2022, 3, 31), False),
    "Mar 2019": ("2019-03", "month", D(2019, 3, 1), D(2019, 3, 31), False),
    "2011-12": ("2011-12", "month", D(2011, 12, 1), D(2011, 12, 31), False),  # label form wins
    "Jan00": ("2000-01", "month", D(2000, 1, 1), D(2000, 1, 31), False),
    "2018/19 Performance": ("2018/19", "fy_year", D(2018, 4, 1), D(2019, 3, 31), False),
}

UNPARSED = [
    "2019-18",  # typo in the 2019/20 history header: never guessed
    "Q1 2019-18 (April-June)",
    "2019/18",
    "2023/25 Q2",
    "Q5 2023/24",
    "2020/21 Target",
    "77.5% Mar 2019",
    "Q1 75.5%",
    "-",
    "N/A",
    "",
    "Q2",  # a bare quarter needs the report's period as context
    "2022 13",
]


@pytest.mark.parametrize("text", sorted(CASES))
def test_printed_forms(text: str) -> None:
    label, kind, start, end, prov = CASES[text]
    p = parse_period(text)
    assert (p.label, p.kind, p.start, p.end, p.provisional, p.parsed) == (
        label,
        kind,
        start,
        end,
        prov,
        True,
    )
    assert p.text == text


@pytest.mark.parametrize("text", UNPARSED)
def test_unparsed_is_flagged_not_guessed(text: str) -> None:
    p = parse_period(text)
    assert (p.parsed, p.label, p.kind, p.start, p.end) == (False, "", "unknown", None, None)


def test_every_gold_period_form_is_covered() -> None:
    """A new as-of form in the gold files must be added to CASES (and so checked by hand)."""
    forms = set(pd.read_csv(FIXTURES / "2022-23_Q2_kpis.csv")["as_of_text"].dropna())
    forms |= set(pd.read_csv(FIXTURES / "2019-20_Q3_kpis.csv")["period_label"].dropna())
    as_of_2023 = pd.read_csv(FIXTURES / "2023-24_Q2_kpis.csv")["as_of_text"].dropna()
    forms |= {f for f in as_of_2023 if "Prov" in f}
    assert forms <= set(CASES), forms - set(CASES)


def test_history_headers_use_the_report_as_context() -> None:
    ctx = parse_report_period("2019/20 Q3")
    assert parse_period("Current (Q3) Performance", ctx).label == "2019/20 Q3"
    assert parse_period("Q2 (July- Sep)", ctx).label == "2019/20 Q2"
    assert parse_period("Q1", ctx).label == "2019/20 Q1"
    assert parse_period("Q4 2018-19", ctx).label == "2018/19 Q4"
    assert not parse_period("Q1 2019-18 (April-June)", ctx).parsed


# "2021/22 Prov" read as an academic year
AY_2021_22_PROV = ("AY 2021/22", "academic_year", D(2021, 9, 1), D(2022, 8, 31), True)


def as_case(p: Period) -> tuple[str, str, date | None, date | None, bool]:
    """A parsed period in the shape of CASES: (label, kind, start, end, provisional)."""
    return (p.label, p.kind, p.start, p.end, p.provisional)


def test_academic_context_reads_year_as_academic() -> None:
    term = parse_period("2022 Summer term mid")
    p = parse_period("2021/22 Prov", term)
    assert as_case(p) == AY_2021_22_PROV
    assert parse_period("FY 2021/22", term).kind == "fy_year"


def test_academic_flag_overrides_the_context() -> None:
    """The KPI's year basis (catalogue `year_basis`) decides; a printed AY/FY prefix wins."""
    report = parse_report_period("2022/23 Q2")
    p = parse_period("2021/22 Prov", report, academic=True)
    assert as_case(p) == AY_2021_22_PROV
    assert parse_period("2021/22", report).kind == "fy_year"  # default: financial
    assert parse_period("2021/22", parse_period("2022 Summer term"), academic=False).kind == (
        "fy_year"
    )
    assert parse_period("FY 2021/22", report, academic=True).kind == "fy_year"
    assert parse_period("AY 2021/22", report, academic=False).kind == "academic_year"
    # only years change: quarters, months and terms read the same
    assert parse_period("2022/23 Q2", report, academic=True).kind == "fy_quarter"
    assert parse_period("2022 09", report, academic=True).label == "2022-09"
    assert parse_period("2022 Summer term mid", report, academic=True).kind == "term"


# value cells of the 2019/20 history tables (data/raw/2019-20_Q3) -> (label, kind, provisional)
VALUE_CELLS: dict[str, tuple[str, str, bool] | None] = {
    "Jan to Dec 2018 12 days per FTE": ("2018-01 to 2018-12", "range", False),
    "April 2018 to March 2019 11.96 days per FTE": ("2018-04 to 2019-03", "range", False),
    "July 2018 to June 2019 11.86 days per FTE": ("2018-07 to 2019-06", "range", False),
    "69.5 (2017/18)": ("2017/18", "fy_year", False),
    "46.6 (2018/19 provisional)": ("2018/19", "fy_year", True),
    "97.9% (April 18)": ("2018-04", "month", False),
    "89.9% (Dec 2018 - Feb19 average)": ("2018-12 to 2019-02", "range", False),
    "77.5% Mar 2019": ("2019-03", "month", False),
    "Q1 66% (3m average)": ("2019/20 Q1", "fy_quarter", False),  # context: the Q1 column
    "3, 629,829 (2018/19)": ("2018/19", "fy_year", False),
    "255,572 e-books & audio only (2018/19)": ("2018/19", "fy_year", False),
    # no period, or not one period: the column decides
    "12.4 (this is November Data – figures reported one month in arrears)": None,
    "73.6% Uptake (Full Year Position 52,226 of 70,987)": None,
    "2,058 Cumulative 6,194": None,
    "19.94 jobs - Target 25": None,
    "£155,000 - 4 investments": None,
    "Indicator measured from July 2019.": None,
    "2019 12.3": None,  # bare digits before a figure: too ambiguous
    "Jan to Dec 2019 12.28 (2018/19)": None,  # two different periods
    "12.5": None,
    "": None,
}


@pytest.mark.parametrize("text", sorted(VALUE_CELLS))
def test_period_in_value_cell(text: str) -> None:
    p = period_in_value(text, parse_report_period("2019/20 Q1"))
    want = VALUE_CELLS[text]
    assert (None if p is None else (p.label, p.kind, p.provisional)) == want


def test_period_in_value_reads_years_with_the_kpi_basis() -> None:
    p = period_in_value("69.5 (2017/18)", parse_period("2018/19"), academic=True)
    assert p is not None and (p.label, p.start, p.end) == (
        "AY 2017/18",
        D(2017, 9, 1),
        D(2018, 8, 31),
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("April 2021 to March 2022", "2021/22 Q4"),  # rolling 12 months, 2021/22 Q4 report
        ("2021-04 to 2022-03", "2021/22 Q4"),  # the narrative reader's as-of text
        ("Jan to Dec 2019", "2019/20 Q3"),
        ("July 2018 to June 2019", "2019/20 Q1"),
        ("Dec 2021 - Feb 2022", "2021-12 to 2022-02"),  # ends mid-quarter: its own label
        ("2022 09", "2022-09"),  # a month is not a range
        ("2022/23 Q2", "2022/23 Q2"),
        ("2021/22", "2021/22"),
        ("2022 Summer term mid", "2022 Summer term"),
        ("2019-18", ""),
    ],
)
def test_filing_label(text: str, label: str) -> None:
    assert filing_label(parse_period(text)) == label


@settings(max_examples=200, deadline=None)
@given(st.integers(2015, 2030), st.integers(1, 12), st.integers(0, 23))
def test_a_filed_range_ends_with_its_quarter(y: int, m: int, months: int) -> None:
    end_index = y * 12 + m - 1 + months
    text = f"{y}-{m:02d} to {end_index // 12}-{end_index % 12 + 1:02d}"
    p = parse_period(text)
    assert p.kind == "range"
    label = filing_label(p)
    q = parse_period(label)
    if label == p.label:
        assert quarter_ending(p) is None
    else:
        assert q.kind == "fy_quarter" and q.end == p.end


REPORT_FORMS = ["2023/24 Q2", "2023-24_Q2", "2023/24-Q2", "2023-24 Q2", "Q2 2023/24"]


@pytest.mark.parametrize("text", REPORT_FORMS)
def test_report_period_forms(text: str) -> None:
    p = parse_report_period(text)
    assert (p.label, p.kind, p.start, p.end) == (
        "2023/24 Q2",
        "fy_quarter",
        D(2023, 7, 1),
        D(2023, 9, 30),
    )
    assert slug(p) == "2023-24_Q2"


@pytest.mark.parametrize(
    "text", ["2023/24", "2023-25 Q2", "2023/24 Q5", "Q2", "23/24 Q2", "2023/24 Quarter 2", ""]
)
def test_report_period_is_strict(text: str) -> None:
    with pytest.raises(UsageError):
        parse_report_period(text)


def test_slug() -> None:
    assert slug(parse_period("2022 Summer term")) == "2022_Summer_term"
    assert slug(parse_period("2021/22")) == "2021-22"
    with pytest.raises(UsageError):
        slug(parse_period("2019-18"))


def test_quarter_ending() -> None:
    q = quarter_ending(parse_period("April 21 to March 22"))
    assert q is not None and q.label == "2021/22 Q4"
    q = quarter_ending(parse_period("2022 09"))
    assert q is not None and q.label == "2022/23 Q2"
    assert quarter_ending(parse_period("Dec 2021 - Feb 2022")) is None
    assert quarter_ending(parse_period("2019-18")) is None


# --- detection --------------------------------------------------------------------------------
def _lines(rel: str) -> list[str]:
    return (RAW / rel).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("rel", "label"),
    [
        ("2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt", "2019/20 Q3"),
        ("2021-22_Q4/2021-22_Q4_performance_report.txt", "2021/22 Q4"),
        ("2022-23_Q2/2022-23_Q2_kpi_commentary.md", "2022/23 Q2"),
        ("2023-24_Q2/2023-24_Q2_kpi_commentary.txt", "2023/24 Q2"),
        ("2024-25_Q2/2024-25_Q2_executive_summary.txt", "2024/25 Q2"),
    ],
)
def test_detect_report_period_in_samples(rel: str, label: str) -> None:
    p = detect_report_period(_lines(rel))
    assert p is not None and p.label == label


def test_detect_falls_back_to_current_column_and_meeting_date() -> None:
    """The agenda pack without its 'Quarter 3 2019/20' titles: only the history header
    'Current (Q3) Performance' and the meeting date 'Wednesday, 19th February, 2020' remain."""
    mention = re.compile(r"(?i)(quarter\s*3|q3)\s+2019/20")
    lines = [ln for ln in _lines("2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt")]
    stripped = [mention.sub("", ln) for ln in lines]
    p = detect_report_period(stripped)
    assert p is not None and p.label == "2019/20 Q3"
    # the same header in a pack dated in May reports the quarter that has ended by then
    may = ["Thursday, 14th May, 2020", "Current (Q4) Performance"]
    p = detect_report_period(may)
    assert p is not None and p.label == "2019/20 Q4"


def test_detect_prefers_titles_then_frequency() -> None:
    lines = [
        "Corporate Performance Report",
        "Quarter 3 2023/24",
        "In Quarter 2 2023/24 the rate rose; compared with Q2 2023/24 last time and the long "
        "commentary about Q2 2023/24 continues well beyond a title's length here.",
    ]
    p = detect_report_period(lines)
    assert p is not None and p.label == "2023/24 Q3"
    body_only = [lines[2], "Later, Q1 2023/24 was lower, but the sentence is long enough " * 2]
    p = detect_report_period(body_only)
    assert p is not None and p.label == "2023/24 Q2"
    assert detect_report_period(["No periods here.", "2021/22 alone is a year"]) is None
    assert detect_report_period([]) is None


# --- properties -------------------------------------------------------------------------------
def _check_invariants(p: Period, text: str) -> None:
    if not p.parsed:
        assert (p.label, p.kind, p.start, p.end) == ("", "unknown", None, None)
        return
    assert p.start is not None and p.end is not None and p.start <= p.end
    again = parse_period(p.label)
    assert again.parsed and again.label == p.label
    assert (again.start, again.end) == (p.start, p.end)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    _check_invariants(parse_period(text), text)


TOKENS = [
    "Q2",
    "Q5",
    "Quarter 3",
    "2023/24",
    "2019-18",
    "22/23",
    "2022",
    "09",
    "13",
    "Prov",
    "mid",
    "Summer",
    "Spring term",
    "Autumn",
    "b",
    "AY",
    "FY",
    "Jan",
    "Sept",
    "February",
    "to",
    "-",
    "_",
    "/",
    "(",
    ")",
    "Current",
    "Performance",
    "0000",
    "9999",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=6), st.sampled_from(["", " ", "  "]))
def test_token_soup_never_raises(tokens: list[str], sep: str) -> None:
    text = (sep or " ").join(tokens)
    _check_invariants(parse_period(text), text)
    _check_invariants(parse_period(text, parse_period("2022 Summer term")), text)
    _check_invariants(parse_period(text, parse_period("2019/20 Q3")), text)


years = st.integers(min_value=2013, max_value=2090)


@settings(max_examples=200, deadline=None)
@given(years, st.integers(1, 4), st.sampled_from(["{a}/{b} Q{q}", "Q{q} {a}-{b}", "{a}-{b}_Q{q}"]))
def test_quarter_forms_round_trip(y: int, q: int, form: str) -> None:
    p = parse_period(form.format(a=y, b=f"{(y + 1) % 100:02d}", q=q))
    assert p.kind == "fy_quarter" and p.label == f"{y}/{(y + 1) % 100:02d} Q{q}"
    assert p.start is not None and p.end is not None
    # four quarters tile April..March
    assert p.start.month == (4 + 3 * (q - 1) - 1) % 12 + 1
    assert (p.end - p.start).days in range(89, 92)
    _check_invariants(p, p.text)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1990, 2099),
    st.integers(1, 12),
    st.sampled_from(["{y} {m:02d}", "{y}-{m:02d}", "{mon} {y}"]),
)
def test_month_forms_round_trip(y: int, m: int, form: str) -> None:
    mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
        m - 1
    ]
    p = parse_period(form.format(y=y, m=m, mon=mon))
    assert (p.kind, p.label) == ("month", f"{y}-{m:02d}")
    _check_invariants(p, p.text)
