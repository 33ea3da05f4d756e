"""From scanned tables to KPI rows: header recognition, page-break joins, cell text and RAG.

A KPI table is a ruled table whose first rows hold a KPI header (matched by similarity, so
OCR-like noise does not hide it). A table that starts a page right after a KPI table ended the
previous one, with the same column boundaries, continues it (its repeated header, if any, is
dropped); a row the word processor broke across the page is put back together. RAG comes from
the glyph in the RAG cell or, when the cell has none, from its fill colour; anything else
becomes an Issue with its page and line, never a guess.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kpi_lib.readers.headers import HeaderMatch, match_header
from kpi_lib.readers.pdf.legend import rag_from_key
from kpi_lib.readers.pdf.model import END_BLANK, END_SHORT, RGB, CellScan, TableScan
from kpi_lib.readers.pdf.ocr import ocr_number
from kpi_lib.readers.pdf.settings import PdfSettings
from kpi_lib.readers.profile import Profile
from kpi_lib.readers.rows import Issue, Row
from kpi_lib.readers.wrap import join_wrapped
from kpi_lib.values import collapse, value_cell


@dataclass
class PlacedTable:
    """A scanned table with its place in the document."""

    page: int
    index: int  # order on its page
    scan: TableScan
    header: HeaderMatch | None = None
    header_row: int = -1  # index of the header row in scan.rows
    continues: PlacedTable | None = None  # the KPI table this one continues, if any
    section: str = ""
    heading: str = ""
    rest: list[CellScan] | None = None  # the rest of our last row, printed on the next page
    rest_taken: bool = False  # our first row is the rest of the previous part's last row

    @property
    def kpi(self) -> HeaderMatch | None:
        """The header that applies: our own, or that of the table we continue."""
        if self.header is not None:
            return self.header
        return self.continues.kpi if self.continues is not None else None


def cell_text(cell: CellScan, blank_breaks: bool = False) -> str:
    return join_wrapped(cell.text.split("\n"), cell.ends, blank_breaks)


def keeps_break_blanks(tables: list[TableScan], share: float) -> bool:
    """Whether the producer keeps the blank where it broke a line at a space (LibreOffice does,
    reportlab does not): true when at least `share` of the cell lines that wrap without a
    hyphen end with one."""
    wrapped = blank = 0
    for table in tables:
        for row in table.rows:
            for cell in row:
                lines = cell.text.split("\n")
                for line, end in zip(lines[:-1], cell.ends, strict=False):
                    if not line.endswith(("-", "\u2010", "\u00ad")):
                        wrapped += 1
                        blank += end == END_BLANK
    return wrapped > 0 and blank >= share * wrapped


def body_start(table: PlacedTable) -> int:
    """Index of the first row after the header (or the first row, for a part without one)."""
    return table.header_row + 1 if table.header is not None else 0


def split_row_rest(
    last: list[CellScan], first: list[CellScan], s: PdfSettings, blank_breaks: bool = False
) -> bool:
    """Whether `first` (a continuation's first row) is the rest of `last` (the row that ended
    the page before), broken across the page as Word and Writer do by default.

    The rest holds text only in cells still running when the page ended: never in a column
    empty in the row, not in all its filled columns (the short ones - Good Is, RAG, a date -
    ended on the first page), and only where the row's cell reaches the row's bottom and its
    last line could not take the rest's first word (a line wraps only when the next word does
    not fit) - nor, in a document that keeps the blank at a line break, ends short of the edge
    with neither blank nor hyphen. A real next row repeats the row's short cells, so it fails.
    """
    if len(last) != len(first):
        return False
    filled = {i for i, c in enumerate(last) if c.text.strip()}
    rest = {i for i, c in enumerate(first) if c.text.strip()}
    if not rest or not rest < filled:
        return False
    gaps = [last[i].gap_below for i in filled]
    if any(g is None for g in gaps):
        return False
    floor = min(g for g in gaps if g is not None)
    for i in rest:
        top, more = last[i], first[i]
        size = top.size or 10.0
        if (top.gap_below or 0.0) - floor > s.split_row_reach * size:
            return False  # the cell ended above the row's bottom: its text was complete
        if top.room is not None and top.room >= more.lead + s.split_row_space * size:
            return False  # the next word would have fitted on the line: no wrap there
        end = top.ends[-1] if top.ends else ""
        hyphen = top.text.endswith(("-", "\u2010", "\u00ad"))
        if blank_breaks and end == END_SHORT and not hyphen:
            return False  # the line ends short, with no blank: the paragraph ended
    return True


# columns printed once per row, on one line: a row's rest on the next page never repeats them
_SHORT_COLUMNS = ("good_is", "value", "as_of_text")


def word_row_rest(last: list[CellScan], first: list[CellScan], header: HeaderMatch | None) -> bool:
    """Whether `first` (a rule-less continuation's first row) is the rest of `last`, broken
    across the page (a browser does unless told not to). With no rules there are no cell
    bottoms to measure, so the content decides: the rest fills only columns the row filled,
    and none of the short ones (Good Is, the value, the date) that every row prints once."""
    if header is None or len(last) != len(first):
        return False
    filled = {i for i, c in enumerate(last) if c.text.strip()}
    rest = {i for i, c in enumerate(first) if c.text.strip()}
    if not rest or not rest <= filled:
        return False
    short = {i for key in _SHORT_COLUMNS for i in header.columns.get(key, [])}
    return not (rest & short) and bool(filled & short)


def _joined(top: CellScan, rest: CellScan) -> CellScan:
    """One cell of a row broken across pages: the lines of both parts, the first part's fill."""
    if not rest.text:
        return top
    if not top.text:
        fill = top.fill if top.fill is not None else rest.fill
        return CellScan(rest.text, top.bbox, fill, rest.ends, rest.gap_below, rest.size)
    return CellScan(
        top.text + "\n" + rest.text,
        top.bbox,
        top.fill if top.fill is not None else rest.fill,
        top.ends + rest.ends,
        rest.gap_below,
        max(top.size, rest.size),
    )


# A header cell is a word or two: a longer cell cannot reach the similarity threshold against
# any header label (ratio <= 2*12/(40+12) < 0.75), so cutting it short changes no match and
# spares difflib from comparing whole metric names.
_HEADER_CELL_CHARS = 40


@lru_cache(maxsize=256)
def _match(cells: tuple[str, ...], profile: Profile) -> HeaderMatch | None:
    # every KPI table repeats the same header: match it once (results are never mutated)
    return match_header(list(cells), profile.vocab)


def find_header(table: TableScan, settings: PdfSettings) -> tuple[HeaderMatch | None, int]:
    """The KPI header among the first rows, and its row index."""
    for i, row in enumerate(table.rows[: settings.header_rows]):
        match = _match(tuple(cell_text(c)[:_HEADER_CELL_CHARS] for c in row), settings.profile)
        if match is not None:
            return match, i
    return None, -1


def same_layout(a: TableScan, b: TableScan, tolerance: float) -> bool:
    return len(a.columns) == len(b.columns) and all(
        abs(x - y) <= tolerance for x, y in zip(a.columns, b.columns, strict=True)
    )


def rag_from_fill(rgb: RGB | None, s: PdfSettings) -> str | None:
    """Green/Amber/Red by the nearest hue; "" for no colour (white, grey, black); None when
    the colour is saturated but far from every RAG hue."""
    if rgb is None:
        return ""
    hue, sat, val = colorsys.rgb_to_hsv(*rgb)
    if sat < s.min_fill_saturation or val < s.min_fill_value:
        return ""
    degrees = hue * 360
    best, dist = "", 360.0
    for name, ref in s.rag_hues:
        d = abs(degrees - ref) % 360
        d = min(d, 360 - d)
        if d < dist:
            best, dist = name, d
    return best if dist <= s.rag_hue_tolerance else None


def _fill_rag(rgb: RGB, s: PdfSettings, key: dict[str, RGB]) -> str | None:
    """The report's own key first (a colour it prints beside a status), then the hue rule."""
    return rag_from_key(rgb, key) if key and rag_from_key(rgb, key) else rag_from_fill(rgb, s)


def hex_colour(rgb: RGB) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, v)) * 255):02X}" for v in rgb)


def table_rows(
    table: PlacedTable,
    place_of: Callable[[int, float], int],
    source: str,
    s: PdfSettings,
    blank_breaks: bool = False,
    key: dict[str, RGB] | None = None,
) -> tuple[list[Row], list[Issue]]:
    """KPI rows of one table part (its own rows, header excluded).

    `place_of(page, top)` gives the row's line number on its page; `blank_breaks` is
    keeps_break_blanks for the document; `key` the report's printed RAG key (pdf.legend).
    """
    header = table.kpi
    assert header is not None
    rows: list[Row] = []
    issues: list[Issue] = []
    start = body_start(table) + (1 if table.rest_taken else 0)
    last = len(table.scan.rows) - 1
    for r_i in range(start, len(table.scan.rows)):
        cells = table.scan.rows[r_i]
        if r_i == last and table.rest is not None:
            cells = [_joined(a, b) for a, b in zip(cells, table.rest, strict=True)]
        texts = [cell_text(c, blank_breaks) for c in cells]
        if not any(texts) and not any(c.fill for c in cells):
            continue
        line = place_of(table.page, table.scan.row_tops[r_i])
        if len(cells) != header.ncells:
            issues.append(
                Issue(
                    "unparsed_row",
                    f"row has {len(cells)} cells but the header has {header.ncells}: "
                    + " | ".join(texts),
                    source,
                    table.page,
                    line,
                )
            )
            continue
        metric = header.cell(texts, "metric_name")
        if not metric:
            if any(texts):
                issues.append(
                    Issue(
                        "unparsed_row",
                        "row has no metric name: " + " | ".join(texts),
                        source,
                        table.page,
                        line,
                    )
                )
            continue
        value_text = header.cell(texts, "value")
        if table.scan.ocr:
            value, unparsed = ocr_number(value_text)
            what = "is not a number OCR could have meant unambiguously; not guessed"
        else:
            value, unparsed = value_cell(value_text)
            what = "is not a number"
        if unparsed:
            issues.append(
                Issue(
                    "unparsed_cell",
                    f"value {value_text!r} of {metric!r} {what}",
                    source,
                    table.page,
                    line,
                )
            )
        rag, issue = _rag(table, cells, texts, header, metric, source, line, s, key or {})
        if issue is not None:
            issues.append(issue)
        rows.append(
            Row(
                metric_name=metric,
                section=table.section,
                heading=table.heading,
                ref=header.cell(texts, "ref"),
                target_text=header.cell(texts, "target"),
                good_is=header.cell(texts, "good_is"),
                as_of_text=header.cell(texts, "as_of_text"),
                value=value,
                value_text=value_text,
                rag=rag,
                rag_text=_glyph_of(header.cell(texts, "rag"), rag, s.profile),
                source_file=source,
                source_page=table.page,
                source_line=line,
                reader="pdf",
                undated="as_of_text" not in header.columns,
            )
        )
    return rows, issues


# what OCR reads a printed tick or cross as, where the cell shows no colour to go by: only
# the shapes nothing else in a status cell takes
_OCR_TICKS = {"v": "\u2713", "V": "\u2713", "\\/": "\u2713", "/": "\u2713"}
_BORDERS = re.compile(r"^[|\[\]]+\s*|\s*[|\[\]]+$")


def _glyph_of(cell: str, rag: str, profile: Profile) -> str:
    """The RAG cell's text when the status was read from it; "" when it came from the colour."""
    glyph = collapse(cell)
    return glyph if rag and profile.status(glyph) == rag else ""


def _rag(
    table: PlacedTable,
    cells: list[CellScan],
    texts: list[str],
    header: HeaderMatch,
    metric: str,
    source: str,
    line: int,
    s: PdfSettings,
    key: dict[str, RGB],
) -> tuple[str, Issue | None]:
    idx = header.columns.get("rag")
    if not idx:
        return "", None
    glyph = collapse(header.cell(texts, "rag"))
    if table.scan.ocr:
        # a scan's colour is what was printed; OCR makes look-alikes of glyphs and of the
        # cell's edges, so its text counts only where the cell shows no colour
        fills = [cells[i].fill for i in idx if i < len(cells) and cells[i].fill is not None]
        if fills and _fill_rag(fills[-1], s, key):
            return _fill_rag(fills[-1], s, key) or "", None
    if table.scan.ocr:
        glyph = _BORDERS.sub("", glyph).strip()  # a cell's edge read as a bar is no glyph
        glyph = _OCR_TICKS.get(glyph, glyph)
    if glyph:
        rag = s.profile.status(glyph)
        if rag is None:
            return "", Issue(
                "unknown_glyph",
                f"RAG cell of {metric!r} holds {glyph!r}, not a known RAG glyph",
                source,
                table.page,
                line,
            )
        return rag, None
    fills = [cells[i].fill for i in idx if i < len(cells) and cells[i].fill is not None]
    if not fills:
        return "", None
    rag = _fill_rag(fills[-1], s, key)
    if rag is None:
        return "", Issue(
            "unknown_colour",
            f"RAG cell of {metric!r} is filled {hex_colour(fills[-1])}, not red, amber or green",
            source,
            table.page,
            line,
        )
    return rag, None
