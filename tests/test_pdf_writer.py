"""The PDF reader on reports laid out by a real word processor (LibreOffice Writer).

tests/pdf_factory.py draws look-alike reports with reportlab; councils export theirs from a
word processor, which breaks lines, rows and tables its own way. The PDFs in
tests/fixtures/writer were made once from the 2022/23 Q2 gold rows by
tests/fixtures/writer/make_writer_pdfs.py (see the README there), so these tests need no
LibreOffice. Each variant has rows broken across a page, words split by a narrow column and
line breaks that only the PDF's kept blanks explain.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from kpi_lib.readers.pdf.reader import analyse, read_pdf, scan_pages
from kpi_lib.readers.rows import Extraction
from kpi_lib.readers.wrap import join_wrapped
from tests.gold import KPI_2022_23_Q2, KPI_FIELDS, key, match_rate, read_gold

WRITER = Path(__file__).resolve().parent / "fixtures" / "writer"
VARIANTS = ("writer_dejavu", "writer_carlito_ref", "writer_serif_narrow")
FIELDS = KPI_FIELDS


@pytest.fixture(scope="module")
def extractions() -> dict[str, Extraction]:
    return {v: read_pdf(WRITER / f"{v}.pdf", workers=1) for v in VARIANTS}


def _misses(ex: Extraction) -> list[str]:
    """Gold rows not reproduced exactly, and extracted rows that are not gold."""
    gold = read_gold(KPI_2022_23_Q2)
    got = Counter(key(r, FIELDS) for r in ex.frame().to_dict("records"))
    want = Counter(key(r, FIELDS) for r in gold.to_dict("records"))
    missing = want - got
    extra = got - want
    return [f"missing {k}" for k in missing.elements()] + [f"extra {k}" for k in extra.elements()]


@pytest.mark.parametrize("variant", VARIANTS)
def test_writer_report_reproduces_gold_rows(
    variant: str, extractions: dict[str, Extraction]
) -> None:
    ex = extractions[variant]
    gold = read_gold(KPI_2022_23_Q2)
    rate = match_rate(ex.frame(), gold, FIELDS)
    assert rate >= 0.98, f"{variant}: {rate:.3f} exact\n" + "\n".join(_misses(ex))
    assert len(ex.rows) == len(gold), "\n".join(_misses(ex))
    assert all(r.reader == "pdf" and r.source_page >= 1 for r in ex.rows)


@pytest.mark.parametrize("variant", VARIANTS)
def test_writer_report_raises_no_warnings(variant: str, extractions: dict[str, Extraction]) -> None:
    assert extractions[variant].issues == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_rows_broken_across_pages_are_rejoined(variant: str) -> None:
    path = WRITER / f"{variant}.pdf"
    a = analyse(scan_pages(path, workers=1), str(path))
    rows = a.extraction().rows
    rejoined = [t for t in a.tables if t.rest is not None]
    assert rejoined, "the fixture has no row broken across a page"
    gold = {key(g, FIELDS) for g in read_gold(KPI_2022_23_Q2).to_dict("records")}
    for t in rejoined:
        line = a.line_of(t.page, t.scan.row_tops[-1])
        row = next(r for r in rows if (r.source_page, r.source_line) == (t.page, line))
        # the row printed at the foot of the page carries the text printed on the next one
        tail = next(c.text.split("\n")[-1] for c in t.rest if c.text)
        assert tail in f"{row.target_text} {row.metric_name}", (tail, row)
        assert key(dataclasses.asdict(row), FIELDS) in gold, row
        # ... and that text starts no row of its own
        head = next(c.text.split("\n")[0] for c in t.rest if c.text)
        assert not any(r.metric_name.startswith(head) for r in rows if r is not row), head


def test_writer_keeps_the_blank_at_line_breaks() -> None:
    path = WRITER / "writer_dejavu.pdf"
    assert analyse(scan_pages(path, workers=1), str(path)).blank_breaks


@pytest.mark.parametrize(
    ("lines", "ends", "blank_breaks", "joined"),
    [
        # a blank kept after the hyphen: the text had a space there
        (["e-", "downloads"], (" ", "<"), True, "e- downloads"),
        # no blank after a spaced hyphen, line short of the edge: broken inside "-Estimate"
        (["Standards -", "Estimate"], ("<", "<"), True, "Standards -Estimate"),
        # ... but flush with the edge the blank may not have fitted: keep the space
        (["Standards -", "Estimate"], ("|", "<"), True, "Standards - Estimate"),
        # without kept blanks nothing tells, so the old rule stands
        (["Standards -", "Estimate"], ("<", "<"), False, "Standards - Estimate"),
        # a number too wide for the column, split at the edge
        (["1,366,425.0", "0"], ("|", "<"), False, "1,366,425.00"),
        (["Not", "Appropri..", "."], ("<", "|", "<"), True, "Not Appropri..."),
        # flush single words that are whole words keep their space
        (["2022/23", "Q2"], ("|", "<"), False, "2022/23 Q2"),
        (["2022", "09"], ("|", "<"), False, "2022 09"),
        (["reablement/rehabilitation", "services %"], ("|", "<"), False,
         "reablement/rehabilitation services %"),
    ],
)  # fmt: skip
def test_join_wrapped_reads_line_ends(
    lines: list[str], ends: tuple[str, ...], blank_breaks: bool, joined: str
) -> None:
    assert join_wrapped(lines, ends, blank_breaks) == joined
