"""Tab-separated rows that no table reader claimed: a KPI table whose header OCR garbled
beyond recognition, or rows cut off from their header, must not vanish in silence.

Each run of consecutive unclaimed tab rows is one block. A block is reported as an
`unrecognised_table` Issue (its first line and first cells) when any of its rows looks
like KPI data:

    at least MIN_CELLS cells, two of them non-empty, and
    a RAG glyph cell (✓ ! ✗ and their OCR variants), or
    a numeric cell together with a polarity (High/Low/Other) or frequency (Quarterly...) cell.

A number alone is not enough: agenda pack risk registers print risk scores ("20", "16")
and a scoring matrix ("5 10 15 20 25"), which are not KPI rows. Agenda items ("No. | Item"),
legends ("Key for performance") and one-cell-per-line layouts have fewer than MIN_CELLS
cells and are never reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from kpi_lib.readers import history_tables, text_tables
from kpi_lib.readers.headers import best_label
from kpi_lib.readers.profile import DEFAULT, Profile
from kpi_lib.readers.rows import Extraction, Issue
from kpi_lib.readers.textdoc import TextDoc
from kpi_lib.values import parse_number, rag_from_text

MIN_CELLS = 4
CONTEXT_SIMILARITY = 0.8
_CONTEXT = {
    "polarity": ("high", "low", "other", "not appropriate"),
    "frequency": ("quarterly", "annual", "annually", "monthly", "termly", "weekly"),
}
_MAX_CONTEXT = 20  # polarity/frequency cells are short; skip scoring prose cells
_SHOWN_CELLS = 4


def is_kpi_like(cells: list[str]) -> bool:
    """Whether a row of cells looks like KPI data (see the module docstring)."""
    if len(cells) < MIN_CELLS or sum(1 for c in cells if c) < 2:
        return False  # a row of empty cells with a mark in one is OCR debris, not data
    if any(rag_from_text(c) for c in cells):
        return True
    if not any(parse_number(c) is not None for c in cells):
        return False
    return any(
        best_label(c, _CONTEXT)[1] >= CONTEXT_SIMILARITY
        for c in cells
        if c and len(c) <= _MAX_CONTEXT
    )


def unclaimed_blocks(lines: list[str], claimed: set[int]) -> Iterator[list[int]]:
    """Runs of consecutive tab rows (0-based indices) that no reader claimed."""
    block: list[int] = []
    for i, line in enumerate(lines):
        if text_tables.is_tab_row(line) and i not in claimed:
            block.append(i)
            continue
        if block:
            yield block
            block = []
    if block:
        yield block


def _first_cells(line: str) -> list[str]:
    cells = [c for c in text_tables.cells_of(line) if c]
    return [c if len(c) <= 30 else c[:29] + "\u2026" for c in cells[:_SHOWN_CELLS]]


def read(doc: TextDoc, profile: Profile = DEFAULT) -> Extraction:
    """No rows: one Issue per KPI-like block of tab rows under no recognised header."""
    out = Extraction(source_file=doc.name)
    lines = doc.lines
    claimed = text_tables.table_lines(lines, profile) | history_tables.table_lines(lines)
    for block in unclaimed_blocks(lines, claimed):
        if not any(is_kpi_like(text_tables.cells_of(lines[i])) for i in block):
            continue
        first = block[0]
        n = len(block)
        out.issues.append(
            Issue(
                "unrecognised_table",
                f"{n} tab-separated row{'s' if n != 1 else ''} with no recognised table header;"
                f" not read (first cells: {_first_cells(lines[first])})",
                doc.name,
                None,
                first + 1,
            )
        )
    return out
