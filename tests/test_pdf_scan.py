"""Scanned reports: OCR'd figures fixed only where unambiguous, else reported; no text layer
at all gives one line naming the tool that adds one."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from kpi_lib.cli import main
from kpi_lib.readers.headers import match_header
from kpi_lib.readers.pdf.model import CellScan, TableScan
from kpi_lib.readers.pdf.ocr import ocr_number
from kpi_lib.readers.pdf.reader import read_pdf
from kpi_lib.readers.pdf.settings import DEFAULT
from kpi_lib.readers.pdf.tables import PlacedTable, table_rows
from tests.gold import FIXTURES
from tests.pdf_factory import build_scanned_pdf


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("93.45", 93.45),
        ("9O.5", 90.5),  # O for 0
        ("l0.0", 10.0),  # l for 1
        ("S2.1%", 52.1),  # S for 5
        ("1,43O.0", 1430.0),
        ("2,655, 636.0", 2655636.0),  # a stray space inside a formatted number
        ("£385000.0", 385000.0),
    ],
)
def test_ocr_confusions_fixed_where_unambiguous(text: str, value: float) -> None:
    assert ocr_number(text) == (value, False)


@pytest.mark.parametrize("text", ["2:10", "7 5", "1,4,3", "12.3.4", "-", "~", "9O.5x"])
def test_ambiguous_ocr_numbers_are_reported_not_guessed(text: str) -> None:
    assert ocr_number(text) == (None, True)


def test_words_in_a_value_cell_are_not_a_misread_number() -> None:
    assert ocr_number("TBC") == (None, False)


def _ocr_table(value: str) -> PlacedTable:
    header = ["Target", "Good Is", "Metric Name", "Latest Value", "RAG Status"]
    cells = ["80", "High", "Sickness absence", value, ""]
    rows = [[CellScan(t, (0, 0, 1, 1)) for t in header], [CellScan(t, (0, 1, 1, 2)) for t in cells]]
    scan = TableScan((0, 0, 5, 2), (0, 1, 2, 3, 4), rows, [0.0, 1.0], ruled=False, ocr=True)
    return PlacedTable(1, 0, scan, match_header(header), 0)


def test_ocr_value_that_cannot_be_fixed_is_reported_with_its_place() -> None:
    rows, issues = table_rows(_ocr_table("2:10"), lambda page, top: 7, "scan.pdf", DEFAULT)
    assert rows[0].value is None and rows[0].value_text == "2:10"
    assert [(i.kind, i.source_page, i.source_line) for i in issues] == [("unparsed_cell", 1, 7)]
    assert "not guessed" in issues[0].message


def test_ocr_value_with_a_confusion_is_fixed_silently() -> None:
    rows, issues = table_rows(_ocr_table("3.2S"), lambda page, top: 7, "scan.pdf", DEFAULT)
    assert rows[0].value == 3.25 and issues == []


def test_pdf_without_text_layer_names_the_ocr_tool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build_scanned_pdf(tmp_path / "scan.pdf")
    assert main(["extract", str(path)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(path) in err and "no text layer" in err and "ocrmypdf" in err


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "matrix" / "2023-24_Q2_html_noborder.pdf",
        FIXTURES / "matrix" / "2023-24_Q2_scan_ocr.pdf",
        FIXTURES / "writer" / "writer_carlito_ref.pdf",
    ],
    ids=lambda p: p.stem,
)
def test_extract_csv_is_what_pandas_would_write(path: Path) -> None:
    """`kpi extract` prints its CSV without importing pandas: byte for byte the frame's."""
    ex = read_pdf(path, workers=1)
    ours = io.StringIO()
    ex.write_csv(ours, drop=("reader",))
    theirs = ex.frame().drop(columns=["reader"]).to_csv(index=False, lineterminator="\n")
    assert ours.getvalue() == theirs


def _noisy(value: str, rng: random.Random) -> str:
    """A figure as an OCR text layer may give it: a cell border read as a bar on either side,
    a tick or cross printed beside it read as a letter."""
    left = rng.choice(["", "| ", "[ ", "! "])
    right = rng.choice(["", " |", " ]"])
    mark = rng.choice(["", " v", " V", " /", " x", " X", " \u2713"])
    return f"{left}{value}{mark}{right}"


def test_ocr_borders_and_status_marks_beside_a_figure_are_not_digits() -> None:
    rng = random.Random(17)
    for _ in range(400):
        number = round(rng.uniform(0, 5000), rng.choice([0, 1, 2]))
        shown = f"{number:,}" if rng.random() < 0.5 else f"{number}"
        shown += "%" if rng.random() < 0.3 else ""
        got = ocr_number(_noisy(shown, rng))
        assert got == (float(shown.replace(",", "").rstrip("%")), False), shown


@pytest.mark.parametrize("text", ["1 42", "| 7 5", "7 5 v", "42.4.1 |"])
def test_ocr_marks_taken_off_leave_ambiguity_reported(text: str) -> None:
    assert ocr_number(text) == (None, True)


@pytest.mark.parametrize(
    ("cell", "rag"), [("v", "Green"), ("| V", "Green"), ("/", "Green"), ("X |", "Red"), ("|", "")]
)
def test_ocr_status_glyphs_and_borders(cell: str, rag: str) -> None:
    header = ["Target", "Good Is", "Metric Name", "Latest Value", "RAG Status"]
    cells = ["80", "High", "Sickness absence", "| 95.2 v", cell]
    rows = [[CellScan(t, (0, 0, 1, 1)) for t in header], [CellScan(t, (0, 1, 1, 2)) for t in cells]]
    scan = TableScan((0, 0, 5, 2), (0, 1, 2, 3, 4), rows, [0.0, 1.0], ruled=False, ocr=True)
    placed = PlacedTable(1, 0, scan, match_header(header), 0)
    got, issues = table_rows(placed, lambda page, top: 7, "scan.pdf", DEFAULT)
    assert (got[0].value, got[0].rag, issues) == (95.2, rag, [])
