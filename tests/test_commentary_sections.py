"""Commentary by document structure: a KPI's commentary ends where the next indicator's section
begins, also an indicator whose table is missing (an image in the published report); such a
section is reported, never dropped in silence; cohort sub-sections reach their own KPIs; Word
leftovers are not commentary. Generated families of reports, the Writer PDF, and the bundled
quarters as ingested."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_lib import store
from kpi_lib.readers.commentary import (
    names_outright,
    numbers_conflict,
    read_commentary,
    read_pdf_commentary,
)
from kpi_lib.readers.commentary_sections import figure_phrase, title_like
from kpi_lib.readers.headline import extract_covered
from kpi_lib.store.headlines import coverage_note

HEADER = "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends"
WRITER = Path(__file__).resolve().parent / "fixtures" / "writer"


def _report(
    blocks: list[list[str]], tables: list[tuple[str, list[str]]], period: str = "2024/25 Q1"
) -> tuple[list[str], list[dict]]:
    """A plain-text report: each table (heading, metrics) followed by its block of lines."""
    lines: list[str] = ["Corporate performance report", ""]
    rows: list[dict] = []
    for (heading, metrics), after in zip(tables, blocks, strict=True):
        lines += [heading, "", HEADER]
        for m in metrics:
            lines.append(f"90\tHigh\t{period}\t{m}\t80\t!\t")
            rows.append(
                {"metric_name": m, "heading": heading, "section": "", "source_line": len(lines)}
            )
        lines += ["", *after, ""]
    return lines, rows


# Untabled indicators as printed: the heading (plain, with a full stop, with an aside), the
# image's blank lines, then prose or labels; each with the figure its prose may give.
UNTABLED = [
    (
        "Highways condition and maintenance score",
        ["", "", "", "This score combines 8 repair indicators, giving a score of 9.8 out of 10."],
        "a score of 9.8 out of 10",
    ),
    (
        "Number of complaints upheld by the Ombudsman.",
        ["", "", "Our aim is to resolve complaints early.", "", "Issues:", "", "- 10 upheld."],
        "",
    ),
    (
        "Percentage of identified savings on track",
        ["", "", "", "Issues:", "", "- Forecasts show 86.1% of savings on track."],
        "",
    ),
    (
        "Economic impact index (EI)",
        ["", "Officers are not yet in a position to report data on this new indicator."],
        "",
    ),
    (
        "The percentage of providers rated good by the regulator",
        ["", "", "Issues:", "", "- We are slightly below the target (89.14% against 90.0%)."],
        "89.14% against 90.0%",
    ),
]
TABLES = [
    ("Use of libraries", ["Number of visits to libraries"]),
    ("Vacancy rate in the council", ["% Vacancies"]),
    ("Uptake of NHS health checks", ["NHS Health Checks undertaken %"]),
    ("Young people in education", ["% of Young People in Employment Education or Training"]),
]


@pytest.mark.parametrize(("heading", "body", "figure"), UNTABLED)
@pytest.mark.parametrize(("table_heading", "metrics"), TABLES)
@pytest.mark.parametrize("own", [["Issues:", "", "- Visits rose."], ["- Visits rose."]])
def test_an_indicator_without_a_table_ends_the_commentary_above(
    heading: str,
    body: list[str],
    figure: str,
    table_heading: str,
    metrics: list[str],
    own: list[str],
) -> None:
    nxt = ("Staff turnover", ["% Staff turnover"])
    lines, rows = _report(
        [[*own, "", "Actions:", "", "- Keep going.", "", heading, *body], ["- Steady."]],
        [(table_heading, metrics), nxt],
    )
    comments, untabled = read_commentary(lines, rows)
    mine = " ".join(c.text for c in comments if c.metrics == metrics)
    assert "Visits rose." in mine and "Keep going." in mine
    untabled_text = body[-1].lstrip("- ")
    assert untabled_text not in mine, mine
    # its text is about no KPI of the table, nor of the next one
    assert all(untabled_text not in c.text for c in comments if c.metrics)
    assert [u.heading for u in untabled] == [heading.rstrip(".")]
    assert untabled[0].source_line == lines.index(heading) + 1
    assert untabled[0].figure() == figure
    message = untabled[0].message()
    assert heading.rstrip(".") in message and "no KPI table" in message
    assert (figure in message) if figure else ("gives" not in message)
    # the next table's commentary is its own
    assert [c.text for c in comments if c.metrics == nxt[1]] == ["Steady."]


@pytest.mark.parametrize(
    "heading",
    [
        "## Size of Care Market Workforce",
        "**Proportion of people waiting 28 Days or more for a package of care**",
        "### Number of complaints upheld by the Ombudsman",
    ],
)
def test_a_markdown_heading_of_another_indicator_is_not_the_table_above(heading: str) -> None:
    """Markdown: a heading above the labels' level, or as long as a KPI's name at it, naming
    none of the table's KPIs (a different number beside the same word is a different KPI)."""
    metrics = [
        "Number of people waiting over 5 days for an Adult Social Care Assessment",
        "Social Care-Related quality of life score",
    ]
    lines = [
        "#### Making the right impact",
        "",
        HEADER,
        *(f"1294\tLow\t2022/23 Q2\t{m}\t1736\t×\t" for m in metrics),
        "",
        "## Number of People waiting over 5 days for an assessment",
        "",
        "**Issues:**",
        "",
        "- The figure moved from 1852 to 1736.",
        "",
        "**Actions:**",
        "",
        "- Weekly reviews take place.",
        "",
        "**Adult Social Care Related Quality of Life survey**",
        "",
        "- The score was 19.3.",
        "",
        heading,
        "",
        "- This indicator is under review: we have not set a target.",
    ]
    rows = [
        {
            "metric_name": m,
            "heading": "Making the right impact",
            "section": "",
            "source_line": 4 + i,
        }
        for i, m in enumerate(metrics)
    ]
    comments, untabled = read_commentary(lines, rows)
    got = {(c.text.splitlines()[0], tuple(c.metrics)) for c in comments}
    assert ("The figure moved from 1852 to 1736.", (metrics[0],)) in got
    assert ("Weekly reviews take place.", (metrics[0],)) in got
    assert ("The score was 19.3.", (metrics[1],)) in got
    assert not any("under review" in c.text for c in comments if c.metrics)
    assert [u.heading for u in untabled] == [heading.strip("#* ")]


COHORTS = [
    (
        [
            "% of Young People in Employment Education or Training",
            "% of Young People with SEND in Employment, Education or Training",
            "% of Care Leavers in Education, Employment or Training",
        ],
        "Care leavers",
        ["16/17 year olds", "School leavers aged 16-17"],
    ),
    (
        [
            "Number of households in temporary accommodation",
            "Number of households in bed and breakfast accommodation",
            "Number of people sleeping rough",
        ],
        "Rough sleeping",
        ["Families", "Homeless households"],
    ),
]


@pytest.mark.parametrize(("metrics", "named", "unnamed_options"), COHORTS)
@pytest.mark.parametrize("form", ["deeper", "on_label_line"])
@pytest.mark.parametrize("which", [0, 1])
def test_cohort_sub_sections_reach_the_kpis_their_siblings_leave(
    metrics: list[str], named: str, unnamed_options: list[str], form: str, which: int
) -> None:
    """Sub-sections for cohorts inside Issues / Causes / Actions: the one naming a KPI ("Care
    leavers") reaches it only, the one naming none ("16/17 year olds") the KPIs left."""
    unnamed = unnamed_options[which]
    lines = ["### **Cohorts in one table**", "", HEADER]
    lines += [f"50%\tHigh\t2022/23 Q2\t{m}\t40\t×\t" for m in metrics]
    lines += [""]
    for label, a, b in (
        ("Issues", "dipped for both measures", "303 of the 604"),
        ("Causes", "cohort grew by 4.4%", "anxious about benefits"),
        ("Actions", "train more staff", "PACT meetings"),
    ):
        if form == "deeper":
            lines += [f"#### **{label}:**", "", f"##### **{unnamed}**", "", f"- {a}", ""]
        else:
            lines += [f"**{label}:****{unnamed}**", "", f"- {a}", ""]
        lines += [f"**{named}**", "", f"- {b}", ""]
    rows = [
        {"metric_name": m, "heading": "Cohorts in one table", "section": "", "source_line": 4 + i}
        for i, m in enumerate(metrics)
    ]
    comments, untabled = read_commentary(lines, rows)
    by_text = {c.text: c.metrics for c in comments}
    for a in ("dipped for both measures", "cohort grew by 4.4%", "train more staff"):
        assert by_text[a] == metrics[:2], (a, by_text)
    for b in ("303 of the 604", "anxious about benefits", "PACT meetings"):
        assert by_text[b] == metrics[2:], (b, by_text)
    assert untabled == []


@pytest.mark.parametrize(
    "caption", ["Leavers by directorate and reason", "**Leavers over 12 months by directorate**"]
)
def test_a_caption_over_a_table_of_the_commentary_heads_no_indicator(caption: str) -> None:
    lines, rows = _report(
        [
            [
                "Issues:",
                "",
                "- Turnover is steady at 13.5%.",
                "",
                caption,
                "",
                "Directorate\tLeavers\tHeadcount\tTurnover",
                "Resources\t637\t3959\t16.09%",
                "",
                "Actions:",
                "",
                "- Analyse exit interviews.",
            ]
        ],
        [("Turnover in the council", ["% Staff turnover"])],
    )
    comments, untabled = read_commentary(lines, rows)
    assert untabled == []
    assert {c.kind: c.metrics for c in comments} == {
        "issues": ["% Staff turnover"],
        "actions": ["% Staff turnover"],
    }


def test_word_leftovers_are_not_commentary() -> None:
    lines, rows = _report(
        [
            [
                "75% of staff had no sickness absence.",
                "",
                "The graph below shows the trend in sickness absence since April 2021.",
                "",
                "",
                "Issues:",
                "",
                "[bookmark: _Int_HXb1eoEk]High long-term absence. The chart below shows it.",
            ]
        ],
        [("Sickness absence", ["Sickness Absence days per FTE"])],
    )
    comments, _ = read_commentary(lines, rows)
    text = "\n".join(c.text for c in comments)
    assert "75% of staff had no sickness absence." in text
    assert "High long-term absence." in text
    assert "bookmark" not in text and "below" not in text


def test_headings_name_kpis_outright_or_not_at_all() -> None:
    cqc = [
        "% of CQC registered locations rated Good or Outstanding vs. Target - Community Based",
        "% of CQC registered locations rated Good or Outstanding vs. Target - Residential",
    ]
    heading = "Care Quality Commission - Residential home & Community Based Services"
    assert names_outright(heading, cqc) == cqc  # each part of "&" names its own KPI
    assert names_outright("Community Based Services", cqc) == cqc[:1]
    nhs = ["NHS Health Checks undertaken (proportion of eligible population per quarter) %"]
    assert names_outright("Health visitor checks for newborn babies", nhs) == []
    assert names_outright("Uptake of NHS health checks", nhs) == nhs
    assert numbers_conflict("People waiting 28 Days or more", "People waiting over 5 days")
    assert not numbers_conflict("Key Stage 4", "Attainment 8 Score at Key Stage 4")
    assert not numbers_conflict("Adults 65+", "admissions per 100,000 aged 18-64")


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Highways condition and maintenance score", True),
        ("Number of complaints upheld by the Ombudsman.", True),
        ("Economic impact index (EI)", True),
        ("This indicator is under review.", False),
        ("Performance remains on target", False),
        ("We are 2% above target", False),
        ("Successful completion of treatment for opiates and", False),
        ("Note: no change this quarter", False),
    ],
)
def test_title_like_lines(line: str, title: bool) -> None:
    assert title_like(line) is title


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("We are below the target (89.14% against 90.0%), which is", "89.14% against 90.0%"),
        ("combined to give a score of 9.8 out of 10.", "a score of 9.8 out of 10"),
        ("Spend is £5.9m against a target of £6.1m.", "£5.9m against a target of £6.1m"),
        ("There were 10 complaints upheld in quarter 2.", ""),
    ],
)  # fmt: skip
def test_figures_quoted_from_an_untabled_section(text: str, figure: str) -> None:
    assert figure_phrase(text) == figure


@pytest.mark.parametrize(
    ("line", "count"),
    [
        ("This Q2 2023/24 report provides a summary of performance for the 43 key performance "
         "indicators (KPIs) agreed by Cabinet in June 2023.", 43),
        ("In the quarter 4 performance report 31 performance indicators are reported.", 31),
        ("This report covers 28 KPIs across four priorities.", 28),
        ("There are 41 rated key performance indicators (KPIs), with one unrated KPI.", None),
        ("This score is a combination of 5 indicators measuring timeliness of repairs.", None),
        ("23 KPIs (56%) are meeting or exceeding target in this report.", None),
    ],
)  # fmt: skip
def test_the_number_of_kpis_a_report_covers(line: str, count: int | None) -> None:
    found = extract_covered(["Introduction", "", line])
    assert (found.count if found else None) == count
    if found:
        assert found.source_line == 3


def test_coverage_note_says_what_the_count_leaves_out() -> None:
    note = coverage_note(43, 38, ["Highways score", "Revenue forecast"])
    assert note.startswith("the report covers 43 KPIs; 38 rows were read from its tables")
    assert "2 sections have commentary but no KPI table" in note and "Revenue forecast" in note
    assert coverage_note(38, 38, []) == ""
    assert coverage_note(31, 7, [], printed_rated=31) == ""  # the printed total says it
    assert coverage_note(None, 67, ["Size of Care Market Workforce"]).startswith("1 section has")


# --- the Writer PDF of 2023/24 Q2 -------------------------------------------------------------
UNTABLED_2023_24 = {
    "Highways condition and maintenance score",
    "Health visitor checks for newborn babies",
    "Number of complaints upheld by the Ombudsman",
    "Economic impact index (EI)",
    "Safeguarding timeliness \u2013 section 42 decision within 2 days of concern raised",
    "The percentage of adult social care providers rated good or outstanding by the Care "
    "Quality Commission",
    "Revenue forecast compared to budget",
    "Percentage of identified savings on track",
}


def test_writer_pdf_sections_without_a_table() -> None:
    """The same rule on the word processor's PDF: headings by font, not by blank lines."""
    from dataclasses import asdict

    from kpi_lib.readers.pdf.reader import read_pdf_text

    ex, printed = read_pdf_text(WRITER / "2023-24_Q2_kpi_commentary_writer.pdf")
    rows = [asdict(r) for r in ex.rows]
    comments, untabled = read_pdf_commentary(printed, rows)
    assert {u.heading for u in untabled} == UNTABLED_2023_24
    assert all(u.source_page and u.source_line for u in untabled)
    figures = {u.heading.split()[0]: u.figure() for u in untabled if u.figure()}
    assert figures == {"Highways": "a score of 9.8 out of 10", "The": "89.14% against 90.0%"}
    about_kpis = " ".join(c.text for c in comments if c.metrics)
    for words in ("2947 babies", "complaints upheld by the Ombudsman", "£5.903m", "86.1%"):
        assert words not in about_kpis, words
    assert "52.1% received one" in about_kpis and "157.666m" in about_kpis


# --- the bundled quarters as ingested ------------------------------------------------------------
def _text(com: pd.DataFrame, kpi_id: str, period: str) -> str:
    mine = com[(com["kpi_id"] == kpi_id) & (com["report_period"] == period)]
    assert not mine.empty, kpi_id
    return "\n".join(mine["text"])


def test_bundled_quarters_commentary_by_structure(store_root: Path) -> None:
    com = store.load("commentary")
    q2 = "2023/24 Q2"
    assert "2947 babies" not in _text(com, "nhs-health-checks-undertaken", q2)
    assert "Ombudsman" not in _text(com, "nhs-health-checks-undertaken", q2)
    assert "52.1%" in _text(com, "nhs-health-checks-undertaken", q2)
    assert "revenue" not in _text(com, "vacancy-rate", q2).lower()
    assert "13.48%" in _text(com, "vacancy-rate", q2)
    assert "savings" not in _text(com, "capital-forecast-vs-budget", q2)
    assert "9.8 out of 10" not in _text(com, "library-visits-and-e-downloads", q2)
    old = "2022/23 Q2"
    assert "81.9%" in _text(com, "cqc-care-homes-good-outstanding", old)
    assert "under review" not in _text(com, "cqc-care-homes-good-outstanding", old)
    assert "not set a target" not in _text(com, "asc-waiting-over-5-days-for-assessment", old)
    assert "1736" in _text(com, "asc-waiting-over-5-days-for-assessment", old)
    leavers = _text(com, "care-leavers-eet", old)
    assert "303 of the 604" in leavers and "4.4% increase" not in leavers
    assert "4.4% increase" in _text(com, "young-people-eet", old)
    assert not com["text"].str.contains("bookmark|graph below", case=False).any()


def test_bundled_reports_say_what_their_tables_leave_out(store_root: Path) -> None:
    reps = store.load("reports").set_index("report_period")
    q2 = reps.loc["2023/24 Q2"]
    assert (q2["kpis_covered"], q2["kpis_covered_line"]) == (43, 8)
    assert q2["untabled_sections"] == len(UNTABLED_2023_24)
    for heading in UNTABLED_2023_24:
        assert heading in q2["untabled_sections_text"]
        assert f"section '{heading}' has commentary but no KPI table" in q2["warnings_text"]
    assert "89.14% against 90.0%" in q2["warnings_text"]
    old = reps.loc["2022/23 Q2"]
    assert old["untabled_sections_text"].splitlines() == [
        "Size of Care Market Workforce (line 677)",
        "Proportion of people waiting 28 Days or more for a package of care (line 736)",
    ]
    assert reps.loc["2021/22 Q4", "kpis_covered"] == 31
    for period in ("2019/20 Q3", "2021/22 Q4", "2024/25 Q2"):
        assert reps.loc[period, "untabled_sections"] == 0
