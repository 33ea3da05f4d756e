"""Narrative reader: KPI figures stated only in prose under numbered headings."""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.readers import narrative
from kpi_lib.readers.rows import Extraction, Row
from kpi_lib.readers.textdoc import TextDoc, load_text
from kpi_lib.store.catalog import Catalog, KpiEntry, load_catalog
from kpi_lib.store.observations import settle_figure

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
REPORT = RAW / "2021-22_Q4" / "2021-22_Q4_performance_report.txt"
EXPECTED = ROOT / "tests" / "fixtures" / "2021-22_Q4_narrative_expected.csv"


# leaf headings that are neither RAG-tagged, unit-named nor catalogued but state figures
FIGURE_ONLY = ("Street lighting fault repair", "Health Checks")


def read(doc: TextDoc, catalog: Catalog) -> Extraction:
    """The reader's rows as the store settles them with `catalog` (the reader never sees it)."""
    ex = narrative.read(doc)
    settled = []
    for row in ex.rows:
        kpi_id = catalog.resolve(row.metric_name)
        entry = catalog.get(kpi_id) if kpi_id else None
        settled.append(Row(**settle_figure(asdict(row), entry)))
    return Extraction(ex.source_file, settled, ex.issues, ex.tables, ex.pages)


def _expected() -> pd.DataFrame:
    text = "".join(
        ln for ln in EXPECTED.read_text(encoding="utf-8").splitlines(True) if not ln.startswith("#")
    )
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def q4() -> Extraction:
    return read(load_text(REPORT), load_catalog(ROOT / "data" / "catalog" / "kpis.yaml"))


def test_hand_checked_rows(q4: Extraction) -> None:
    exp = _expected()
    assert len(exp) >= 8
    got = {r.metric_name: r for r in q4.rows}
    # one row per KPI heading, and one per other heading stating a figure: the store lists
    # those for `kpi catalog suggest` (their unit is unknown, so they hold no value)
    assert sorted(got) == sorted([*exp["metric_name"], *FIGURE_ONLY])
    assert all(got[n].value is None and got[n].figures for n in FIGURE_ONLY)
    for e in exp.itertuples():
        row = got[e.metric_name]
        assert (row.rag, row.as_of_text, row.source_line) == (
            e.rag,
            e.as_of_text,
            int(e.source_line),
        ), e.metric_name
        if e.value:
            assert row.value == pytest.approx(float(e.value)), e.metric_name
        else:
            assert row.value is None, e.metric_name
        assert row.reader == "narrative" and row.source_file == str(REPORT)


def test_value_text_is_the_printed_phrase(q4: Extraction) -> None:
    got = {r.metric_name: r for r in q4.rows}
    assert got["Sickness absence"].value_text == "13.86 days"
    assert got["Visitor numbers"].value_text == "over 1.5 million"
    assert got["Rosebud"].value_text == "£152k"
    name_65 = (
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 65+ during the year"
    )
    assert got[name_65].value_text == "692.0 admissions per 100,000"
    for row in q4.rows:
        if row.value is not None:
            assert row.value_text and row.value_text in _line(row.source_line)


def _line(n: int) -> str:
    return " ".join(REPORT.read_text(encoding="utf-8").splitlines()[n - 1].split())


def test_sections_and_headings(q4: Extraction) -> None:
    got = {r.metric_name: r for r in q4.rows}
    assert (got["Sickness absence"].section, got["Sickness absence"].heading) == (
        "Delivering Better Services",
        "Sickness absence",
    )
    assert (got["Visitor numbers"].section, got["Visitor numbers"].heading) == (
        "Supporting Economic Growth",
        "Use of Libraries",
    )
    assert got["Safeguarding outcomes"].section == "Caring for the vulnerable"
    assert got["Safeguarding outcomes"].heading == "Adult Social Care"


def test_kpi_headings_without_a_figure_are_kept_with_an_issue(q4: Extraction) -> None:
    """A KPI heading with no value is kept: with an issue when its prose states no figure of
    its unit, else (its unit unknown) as an uncatalogued name for `kpi catalog suggest`."""
    exp = _expected()
    empty = exp[exp["value"] == ""]
    cat = load_catalog(ROOT / "data" / "catalog" / "kpis.yaml")
    got = {r.metric_name: r for r in q4.rows}
    issues = {(i.source_line, i.kind) for i in q4.issues}
    for e in empty.itertuples():
        row = got[e.metric_name]
        flagged = (int(e.source_line), "no_value_in_prose") in issues
        stated = set(row.figures) - {""}
        assert row.value is None and (flagged or (stated and cat.resolve(e.metric_name) is None))
    assert sum(i.kind == "no_value_in_prose" for i in q4.issues) == 1  # Boost ERDF Support


def test_other_headings_are_reported_not_read(q4: Extraction) -> None:
    skipped = {i.source_line for i in q4.issues if i.kind == "uncatalogued_heading"}
    # 2.1 Improvement journey, 4.2.1 Educational attainment: no tag, no unit, no figure
    assert skipped == {11, 231}
    names = {r.metric_name for r in q4.rows}
    assert not any("Risk" in n or "Opportunit" in n or "Reshaping" in n for n in names)


def test_rows_with_values_resolve_in_the_catalogue(q4: Extraction) -> None:
    cat = load_catalog(ROOT / "data" / "catalog" / "kpis.yaml")
    ids = {r.metric_name: cat.resolve(r.metric_name) for r in q4.rows if r.value is not None}
    assert None not in ids.values()
    assert ids["Sickness absence"] == "sickness-absence-days-per-fte"
    assert len(set(ids.values())) == len(ids)


@pytest.mark.parametrize(
    "rel",
    [
        "2024-25_Q2/2024-25_Q2_executive_summary.txt",  # headline only: no numbered KPI headings
        "2022-23_Q2/2022-23_Q2_kpi_commentary.md",
        "2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt",
    ],
)
def test_documents_without_numbered_kpi_headings(rel: str) -> None:
    ex = read(load_text(RAW / rel), Catalog([]))
    assert ex.rows == []


# --- synthetic prose: unit rules, skipped numbers, periods ---------------------------------------
DOC = """\
Corporate Performance Report
Quarter 4 2021/22
1. Overview
There are 6 KPIs.
2. Services
2.1 % of widgets repaired on time. (Amber KPI)
In 2021/22 Q3 there were 1,234 widgets reported and, across the 18-64 age group, the 3-month \
average shows 87.5% repaired on time against 90%.
2.2 Gadget backlog
Nothing to report this quarter.
2.3 Number of gizmos delivered
Deliveries restarted in March 2022 after 2021 saw 12 months of delays; 450 gizmos were \
delivered during Q4.
2.4 Average days to fix a fault (Red KPI)
Section 3.2 explains why faults took 6.2 days on average, up from 5.1 days.
2.5 £ spent on widgets
The widget budget for 2021-22 was £1.2m.
2.6 Rate of gadget incidents per 10,000 population
The rate was 4.5 per 10,000 population in the 12 months to 31st December 2021.
2.7 % of items delivered (Green KPI)
Delivery improved again.
2.8 Risks and Opportunities
2.8.1 Widget supply
Risk ID Corp 9 score 16
"""


def _doc(text: str = DOC) -> TextDoc:
    return TextDoc(Path("synthetic.txt"), text.splitlines())


def test_units_from_headings_and_skipped_numbers() -> None:
    ex = read(_doc(), Catalog([]))
    got = {r.metric_name: (r.value, r.as_of_text, r.rag) for r in ex.rows}
    assert got == {
        "% of widgets repaired on time": (87.5, "2021/22 Q4", "Amber"),
        "Number of gizmos delivered": (450.0, "2021/22 Q4", ""),
        "Average days to fix a fault": (6.2, "2021/22 Q4", "Red"),
        "£ spent on widgets": (1_200_000.0, "2021/22", ""),
        "Rate of gadget incidents per 10,000 population": (4.5, "2021-01 to 2021-12", ""),
        "% of items delivered": (None, "2021/22 Q4", "Green"),
    }
    assert [(i.kind, i.source_line) for i in ex.issues] == [
        ("uncatalogued_heading", 8),
        ("no_value_in_prose", 18),
    ]


def test_catalogue_makes_a_heading_a_kpi_and_gives_its_unit() -> None:
    cat = Catalog(
        [
            KpiEntry(
                "gadget-backlog", "Gadget backlog", [], "Low", "count", "quarterly", "point", "S"
            ),
            # the catalogue's unit wins over the heading's words: here the count, not the %
            KpiEntry(
                "widgets",
                "% of widgets repaired on time",
                [],
                "High",
                "count",
                "quarterly",
                "point",
                "S",
            ),
        ]
    )
    ex = read(_doc(), cat)
    got = {r.metric_name: r.value for r in ex.rows}
    # a heading stating no figure is an issue, catalogued or not (the reader never knows)
    assert "Gadget backlog" not in got
    assert ("uncatalogued_heading", 8) in [(i.kind, i.source_line) for i in ex.issues]
    assert got["% of widgets repaired on time"] == 1234.0


def test_annual_cumulative_prefers_the_year_figure() -> None:
    text = (
        "1. Libraries\n1.1 Library events\n"
        "In Q4 alone there were over 5,000 events, bringing the annual total to over 7,700.\n"
    )
    events = KpiEntry("e", "Library events", [], "High", "count", "quarterly", "point", "S")
    assert read(_doc(text), Catalog([events])).rows[0].value == 5000.0
    events.accumulation = "annual cumulative"
    assert read(_doc(text), Catalog([events])).rows[0].value == 7700.0


def test_variance_underspend_is_negative() -> None:
    text = (
        "1. Money\n1.1 Revenue forecast outturn % variance to budget\n"
        "The outturn is an underspend of £9.1m, which is 1.2% of the net budget.\n"
        "1.2 Capital % variance to budget\nThe forecast is an overspend of 0.5% overall.\n"
    )
    got = {r.metric_name: r.value for r in read(_doc(text), Catalog([])).rows}
    assert got == {
        "Revenue forecast outturn % variance to budget": -1.2,
        "Capital % variance to budget": 0.5,
    }


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "1.",
                    "2.1",
                    "2.2.1",
                    "Risks and Opportunities",
                    "(Red KPI)",
                    "% of things",
                    "per 100,000",
                    "at 45.5%",
                    "£3m",
                    "Q4",
                    "2021/22",
                    "12 months to 31st March 2022",
                    "days",
                    "18-64",
                    "over the year",
                    "underspend",
                    "variance",
                    "\t",
                    ".",
                ]
            ),
            max_size=10,
        ).map(" ".join)
        | st.text(),
        max_size=8,
    )
)
def test_never_raises(lines: list[str]) -> None:
    ex = read(TextDoc(Path("fuzz.txt"), lines), Catalog([]))
    for row in ex.rows:
        assert row.source_line is not None and 1 <= row.source_line <= len(lines)
