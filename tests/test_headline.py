"""Headline RAG counts stated in a report's prose."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.readers.headline import Headline, extract_headline

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def _lines(rel: str) -> list[str]:
    return (RAW / rel).read_text(encoding="utf-8").splitlines()


def _counts(h: Headline | None) -> tuple:
    assert h is not None
    return (h.rated, h.green, h.amber, h.red, h.pct_green)


def test_2024_25_q2_executive_summary() -> None:
    """'41 rated ... 56.1% ... 23 meeting or exceeding ... 13 slightly below ... 5 significantly
    below' (line 19)."""
    h = extract_headline(_lines("2024-25_Q2/2024-25_Q2_executive_summary.txt"))
    assert _counts(h) == (41, 23, 13, 5, 56.1)
    assert h is not None and h.source_line == 19 and h.problems() == []
    assert "41 rated key performance indicators" in h.text


def test_2021_22_q4_performance_report() -> None:
    """'31 ... KPIs ... 39% (12) at or above ... 16% (5) slightly under ... 45% (14) off track'."""
    h = extract_headline(_lines("2021-22_Q4/2021-22_Q4_performance_report.txt"))
    assert _counts(h) == (31, 12, 5, 14, 39.0)
    assert h is not None and h.source_line == 7 and h.problems() == []


@pytest.mark.parametrize(
    "rel",
    [
        "2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt",  # "green waste is up 6%": not a headline
        "2022-23_Q2/2022-23_Q2_kpi_commentary.md",
    ],
)
def test_reports_without_a_headline(rel: str) -> None:
    assert extract_headline(_lines(rel)) is None


VARIANTS = [
    (
        "Of the 41 rated KPIs, 23 (56.1%) are green, 13 are amber and 5 are red.",
        (41, 23, 13, 5, 56.1),
    ),
    (
        "56.1% of rated KPIs are meeting or exceeding their target. 41 KPIs were rated: "
        "23 on track, 13 slightly below target and 5 requiring improvement.",
        (41, 23, 13, 5, 56.1),
    ),
    (
        "5 KPIs are significantly below target, 13 are slightly below and 23 are meeting or "
        "exceeding expectations, out of 41 rated indicators.",
        (41, 23, 13, 5, None),
    ),
    (
        "There are 20 KPIs in this report: 10 are on target, 6 are amber and 4 are off track.",
        (20, 10, 6, 4, None),
    ),
    (
        "Of the twelve rated KPIs, seven are on track, three are slightly below target and two "
        "are significantly below target.",
        (12, 7, 3, 2, None),
    ),
    (
        "Overall 45% (14) of the indicators are red, 16% (5) are amber and 39% (12) are green.",
        (None, 12, 5, 14, 39.0),
    ),
]


@pytest.mark.parametrize(("text", "expected"), VARIANTS)
def test_reworded_headlines(text: str, expected: tuple) -> None:
    lines = ["Overview of performance", "", text, "", "The directors report below."]
    h = extract_headline(lines)
    assert _counts(h) == expected
    assert h is not None and h.source_line == 3


def test_headline_wrapped_over_lines() -> None:
    lines = [
        "Corporate Performance Report",
        "",
        "There are 41 rated key performance indicators (KPIs), with one",
        "unrated KPI. Out of the rated KPIs 23 are meeting or exceeding",
        "expectations, 13 are slightly below the desired level of",
        "performance and 5 are significantly below the target.",
        "",
        "Mark Wynn, Interim Chief Executive. 2 of our priorities are on track.",
    ]
    h = extract_headline(lines)
    assert _counts(h) == (41, 23, 13, 5, None)
    assert h is not None and h.source_line == 3


def test_inconsistent_counts_are_reported() -> None:
    h = extract_headline(["There are 30 rated KPIs; 10 are green, 6 are amber and 4 are red."])
    assert _counts(h) == (30, 10, 6, 4, None)
    assert h is not None and h.problems() == ["green+amber+red = 20 but 30 rated"]
    h = extract_headline(["Of 40 rated KPIs 10 (60%) are green, 20 are amber and 10 are red."])
    assert h is not None and h.problems() == ["60.0% green but 10/40 = 25.0%"]


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["", "   "],
        ["Doorstep collected green waste is up 6% (April to November 2019)."],
        ["Performance is on track for most indicators and 90% are good or excellent."],
        ["The 2019/20 report: 12 indicators were added in 2018."],
    ],
)
def test_no_headline(lines: list[str]) -> None:
    assert extract_headline(lines) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "41",
                    "23",
                    "(56.1%)",
                    "39%",
                    "(12)",
                    "rated",
                    "KPIs",
                    "green",
                    "amber",
                    "red",
                    "slightly below",
                    "on track",
                    "significantly below",
                    "unrated",
                    "one",
                    ",",
                    "and",
                    ".",
                    "2019",
                ]
            ),
            max_size=12,
        ).map(" ".join)
        | st.text(),
        max_size=6,
    )
)
def test_never_raises(lines: list[str]) -> None:
    h = extract_headline(lines)
    if h is not None:
        assert 1 <= h.source_line <= len(lines)
        assert any(v is not None for v in (h.green, h.amber, h.red))


# --- what counts as a headline: years are never counts, numbers must agree --------------------
@pytest.mark.parametrize("path", sorted(RAW.glob("*/*.*")), ids=lambda p: p.parent.name)
def test_every_bundled_report_gives_a_consistent_headline_or_none(path: Path) -> None:
    if path.name == "SOURCES.csv":
        pytest.skip("not a report")
    h = extract_headline(path.read_text(encoding="utf-8").splitlines())
    expected = {"2021-22_Q4": 31, "2024-25_Q2": 41}.get(path.parent.name)
    if expected is None:  # the agenda pack ("green waste is up 6% ... 2019") and 2022/23 Q2
        assert h is None
        return
    assert h is not None and h.rated == expected and h.problems() == []
    parts = [v for v in (h.green, h.amber, h.red) if v is not None]
    assert sum(parts) <= expected and all(v < 1000 for v in parts)


def test_agenda_pack_green_waste_sentence_is_not_a_headline() -> None:
    """The 2019/20 pack's recycling paragraph mentions green, 6% and 2019; next to KPI prose
    it still gives no counts."""
    line = next(
        ln
        for ln in _lines("2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt")
        if "green waste is up 6%" in ln
    )
    assert extract_headline([line]) is None
    assert extract_headline([line, "The KPIs for Quarter 3 2019/20 are reported below."]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a day of the month, a year and a financial year are never counts
        ("On 19 February 2020 cabinet noted 23 green KPIs and 5 red ones.", (None, 23, None, 5)),
        ("On 19th February cabinet noted 23 green KPIs and 5 red ones.", (None, 23, None, 5)),
        ("In 19/20 there were 12 green KPIs and 3 red ones.", (None, 12, None, 3)),
        ("In Q3 2019/20, 12 KPIs are green, 3 are red.", (None, 12, None, 3)),
        ("KPIs: 5 may be red and 12 are green.", (None, 12, None, 5)),  # "may" is not a month
        ("In March 23 KPIs were green and 5 were red.", (None, 23, None, 5)),
        ("KPIs (April 18): 12 green and 3 red.", (None, 12, None, 3)),  # April 2018
        # the year (and a thousands figure) alone leave one status count: no headline
        ("In 2019 green KPIs rose and in 2020 12 KPIs were red.", None),
        ("The 2,019 green KPIs and 5 red KPIs", None),
        # impossible together: more statuses than rated, percentages over 100
        ("Of 20 rated KPIs, 30 are green and 5 are red.", None),
        ("Q3 2019/20: of 12 KPIs 20 are green.", None),
        ("KPIs: 80% (12) are green and 60% (9) are red.", None),
    ],
)
def test_years_dates_and_impossible_numbers(text: str, expected: tuple | None) -> None:
    h = extract_headline([text])
    got = None if h is None else (h.rated, h.green, h.amber, h.red)
    assert got == expected


def test_rounded_percentages_may_add_up_to_just_over_100() -> None:
    """34% + 34% + 33% printed for 1/1/1 of 3: rounding, not a contradiction."""
    h = extract_headline(["Of 3 rated KPIs 34% (1) are green, 34% (1) amber and 33% (1) red."])
    assert h is not None and (h.green, h.amber, h.red, h.problems()) == (1, 1, 1, [])


def test_amber_and_red_percentages_are_checked_against_their_counts() -> None:
    h = extract_headline(
        ["Of 31 rated KPIs 39% (12) are green, 20% (5) are amber and 41% (14) are red."]
    )
    assert h is not None and (h.pct_green, h.pct_amber, h.pct_red) == (39.0, 20.0, 41.0)
    assert h.problems() == ["20.0% amber but 5/31 = 16.1%", "41.0% red but 14/31 = 45.2%"]
