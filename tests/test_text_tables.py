"""The tab-separated KPI table reader against the hand-checked 2022/23 Q2 extraction,
on the real report and on the report with each kind of OCR noise injected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.readers import stray_tables, text_tables
from kpi_lib.readers.document import extract, extract_document
from kpi_lib.readers.headings import find_sections, is_junk, table_heading
from kpi_lib.readers.textdoc import TextDoc
from tests import noise
from tests.gold import KPI_2022_23_Q2, KPI_FIELDS, match_rate, read_gold

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"
HISTORY_REPORT = ROOT / "data/raw/2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt"
FIELDS = KPI_FIELDS


@pytest.fixture(scope="module")
def text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return read_gold(KPI_2022_23_Q2)


def read_text(text: str, name: str = "report.md"):
    return text_tables.read(TextDoc(Path(name), text.split("\n")))


def test_rows_carry_provenance(text):
    result = read_text(text, str(REPORT))
    lines = text.split("\n")
    for row in result.rows:
        assert row.reader == "table"
        assert row.source_file == str(REPORT)
        printed = " ".join(lines[row.source_line - 1].split())
        assert row.metric_name in printed and row.value_text in printed


def test_value_text_as_printed(text):
    rows = {r.metric_name: r for r in read_text(text).rows}
    libraries = rows["Number of visits to libraries (annual cumulative indicator)"]
    assert (libraries.value_text, libraries.value) == ("571,743.00", 571743.0)
    trading = [r for r in rows.values() if r.good_is == "Other" and not r.value_text]
    assert len(trading) == 2 and all(r.value is None and r.rag == "" for r in trading)


@pytest.mark.parametrize("name", sorted(noise.KPI_NOISES))
@pytest.mark.parametrize("seed", [0, 1])
def test_survives_noise(name, seed, text, gold):
    noisy = noise.KPI_NOISES[name](text, seed)
    assert noisy != text
    result = read_text(noisy)
    assert match_rate(result.frame(), gold, FIELDS) == 1.0
    assert result.issues == []
    assert result.tables == 30
    # and no tab row is left over as an unrecognised table
    assert stray_tables.read(TextDoc(Path("report.md"), noisy.split("\n"))).issues == []


def test_ref_column_is_read(text):
    rows = read_text(noise.kpi_ref_column(text, seed=4)).rows
    assert [r.ref for r in rows] == [f"R4-{n:03d}" for n in range(1, len(rows) + 1)]


def _replace_line(text: str, contains: str, old: str, new: str) -> tuple[str, int]:
    lines = text.split("\n")
    idx = next(i for i, ln in enumerate(lines) if contains in ln and "\t" in ln)
    lines[idx] = lines[idx].replace(old, new)
    return "\n".join(lines), idx + 1


def test_unknown_glyph_is_a_warning_with_its_line(text):
    noisy, lineno = _replace_line(text, "Customer Access Service answered", "\t!\t", "\t\u25ca\t")
    result = read_text(noisy, "q2.md")
    issues = [i for i in result.issues if i.kind == "unknown_glyph"]
    assert len(issues) == 1
    assert (issues[0].source_file, issues[0].source_line) == ("q2.md", lineno)
    row = next(r for r in result.rows if r.source_line == lineno)
    assert row.rag == "" and row.value == 85.4
    assert len(result.rows) == 76


def test_unparseable_rows_are_reported_not_dropped(text):
    lines = text.split("\n")
    at = next(i for i, ln in enumerate(lines) if "(Primary)" in ln and "\t" in ln)
    lines[at + 1 : at + 1] = [
        "Quartile 2\tHigh",  # too few cells
        "90%\tHigh\t2022/23 Q2\t\t91.40\t\u2713\t",  # no metric name
    ]
    result = read_text("\n".join(lines))
    unparsed = [i for i in result.issues if i.kind == "unparsed_row"]
    assert [i.source_line for i in unparsed] == [at + 2, at + 3]
    assert len(result.rows) == 76


def test_history_report_has_no_kpi_tables():
    """Its headers hold common KPI words too ("Performance Indicator", "Target"), but each
    line is read by one reader: the history reader, whose headers the KPI reader leaves."""
    from kpi_lib.readers import history_tables

    lines = HISTORY_REPORT.read_text(encoding="utf-8").split("\n")
    skip = history_tables.table_lines(lines)
    result = text_tables.read(TextDoc(HISTORY_REPORT, lines), skip)
    assert result.rows == [] and result.tables == 0
    assert {r.reader for r in extract_document(HISTORY_REPORT).rows} == {"history"}


def test_sections_without_intro_list_use_this_section_paragraphs(text, gold):
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("- Delivering better services"))
    del lines[start : start + 4]
    sections = find_sections(lines)
    assert sorted(set(sections.names)) == sorted(set(gold["section"]))
    assert match_rate(read_text("\n".join(lines)).frame(), gold, FIELDS) == 1.0


def test_heading_skips_junk_and_joins_wrapped_lines():
    lines = ["## Priority", "", "**Children with special**", "**needs transport.**", "", "3", ""]
    lines += ["Page 2 of 9", "\u2022", "Target\tMetric Name\tLatest Value"]
    assert table_heading(lines, len(lines) - 1) == "Children with special needs transport"
    assert is_junk("- 12 -") and is_junk("\u00a0") and not is_junk("Waste management")


def test_extract_dispatches_text_report(gold):
    df = extract(REPORT)
    assert match_rate(df, gold, FIELDS) == 1.0
    assert set(df["reader"]) == {"table"}


def test_value_cell_with_note_gives_headline_number(text):
    noisy, lineno = _replace_line(
        text, "Customer Access Service answered", "\t85.40\t", "\t85.4% (3,400 of 3,981)\t"
    )
    result = read_text(noisy, "q2.md")
    row = next(r for r in result.rows if r.source_line == lineno)
    assert row.value == 85.4 and row.value_text == "85.4% (3,400 of 3,981)"
    assert not result.issues


def test_unreadable_value_cell_is_reported(text):
    noisy, lineno = _replace_line(text, "Customer Access Service answered", "\t85.40\t", "\t8S.4\t")
    result = read_text(noisy, "q2.md")
    row = next(r for r in result.rows if r.source_line == lineno)
    assert row.value is None and row.value_text == "8S.4"
    issues = [i for i in result.issues if i.kind == "unparsed_cell"]
    assert [(i.source_file, i.source_line) for i in issues] == [("q2.md", lineno)]
