"""PDF reader: KPI rows from a Corporate Performance Report, whoever laid it out.

Pipeline: scan (scan: check the file, then per page the passes: pypdfium2 text objects; ruled
tables by pdfplumber's table finder on pypdfium2's edges and characters (grid); tables without
rules, and the OCR text layer of a scan, by words aligned under a KPI header (words), a scan's
cell colours from the rendered page (colour); page ranges spread over processes for long
documents) -> layout (lines, running header/footer, headings) -> tables (KPI header, page-break
joins, cells, RAG by glyph, by the report's printed key (legend) or by hue; OCR'd numbers via
ocr) -> rows. The types every step shares are in model. `debug_page` draws what was found on
one page, like pdfplumber's debug_tablefinder.

Row provenance: `source_page` is 1-based; `source_line` is the 1-based number of the first
printed line of the row among all text lines of its page (running header included), counted
top to bottom - not the table row index.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from kpi_lib.errors import InputError
from kpi_lib.readers.pdf.layout import (
    Heading,
    Line,
    body_size,
    classify_levels,
    headings,
    lines_inside,
    mark_furniture,
    page_lines,
)
from kpi_lib.readers.pdf.legend import rag_key
from kpi_lib.readers.pdf.model import PageScan
from kpi_lib.readers.pdf.scan import scan_pages, source_bytes
from kpi_lib.readers.pdf.settings import DEFAULT, PdfSettings
from kpi_lib.readers.pdf.tables import (
    PlacedTable,
    body_start,
    find_header,
    keeps_break_blanks,
    same_layout,
    split_row_rest,
    table_rows,
    word_row_rest,
)
from kpi_lib.readers.rows import Extraction, Issue, Row

__all__ = [
    "PdfSettings",
    "TextLine",
    "read_pdf",
    "read_pdf_text",
    "analyse",
    "debug_page",
    "scan_pages",
]


# --- analysis --------------------------------------------------------------------------------
@dataclass
class Analysis:
    """Everything the reader found, kept for the debug view and tests."""

    source: str
    scans: list[PageScan]
    lines: dict[int, list[Line]] = field(default_factory=dict)  # all printed lines per page
    body: dict[int, list[Line]] = field(default_factory=dict)  # lines outside tables per page
    headings: list[Heading] = field(default_factory=list)
    tables: list[PlacedTable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    blank_breaks: bool = False  # the producer keeps the blank at a line break (keeps_break_blanks)
    key: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # printed RAG key

    def extraction(self) -> Extraction:
        kpi_tables = sum(1 for t in self.tables if t.header is not None and t.continues is None)
        return Extraction(self.source, self.rows, self.issues, kpi_tables, len(self.scans))

    def line_of(self, page: int, top: float) -> int:
        """1-based number of the first printed line at or below `top` on `page`."""
        return 1 + sum(1 for ln in self.lines.get(page, []) if ln.baseline < top)

    def text_lines(self) -> list[TextLine]:
        """Every printed line of the document in reading order, numbered as rows' source_line
        and saying what it is: what the text around the tables (commentary) is read from."""
        root: dict[int, int] = {}  # id(table) -> number of the table it is part of
        for n, t in enumerate(self.tables):
            first = t
            while first.continues is not None:
                first = first.continues
            root[id(t)] = root.get(id(first), n)
        out: list[TextLine] = []
        for page in sorted(self.lines):
            for ln in self.body.get(page, []):
                out.append(self._body_line(ln))
            scan = next((p for p in self.scans if p.number == page), None)
            for t in (t for t in self.tables if t.page == page):
                for ln in lines_inside(scan, t.scan.bbox) if scan else []:
                    out.append(
                        _text_line(
                            ln,
                            self.line_of(page, ln.top),
                            "table",
                            table=root[id(t)],
                            kpi_table=t.kpi is not None,
                        )
                    )
        out.sort(key=lambda t: (t.page, t.line, t.top, t.x0))
        return out

    def _body_line(self, ln: Line) -> TextLine:
        number = self.line_of(ln.page, ln.top)
        if ln.furniture:
            return _text_line(ln, number, "furniture")
        for h in self.headings:
            if h.page == ln.page and h.top - 0.01 <= ln.top and ln.bottom <= h.bottom + 0.01:
                first = abs(ln.top - h.top) <= 0.01
                return _text_line(
                    ln, number, "heading", heading=h.text if first else "", level=h.level
                )
        return _text_line(ln, number, "body")


@dataclass(frozen=True)
class TextLine:
    """One printed line. `line` is numbered as rows' source_line: 1-based among all text lines
    of its page (running header included), top to bottom."""

    page: int
    line: int
    text: str
    kind: str  # body | heading | furniture (running header/footer, margins) | table
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    bold: bool
    heading: str = ""  # heading: the whole (wrapped) heading on its first line, "" on the rest
    level: str = ""  # heading: "section" or "kpi"
    table: int | None = None  # table: one number per table; a continuation shares its table's
    kpi_table: bool = False  # table: it has (or continues) the KPI columns


def _text_line(ln: Line, number: int, kind: str, **extra: object) -> TextLine:
    return TextLine(
        ln.page, number, ln.text, kind, ln.top, ln.bottom, ln.x0, ln.x1, ln.size, ln.bold, **extra
    )


def analyse(scans: list[PageScan], source: str, s: PdfSettings = DEFAULT) -> Analysis:
    """Layout, headings, KPI tables and rows from page scans (pure: no file access)."""
    a = Analysis(source, scans)
    _check_text_layer(a)
    for scan in scans:
        a.lines[scan.number], a.body[scan.number] = page_lines(scan)
    mark_furniture(a.body, {p.number: p.height for p in scans}, s)
    _image_only_pages(a)
    body = body_size([ln for lines in a.body.values() for ln in lines])
    for scan in scans:
        a.headings.extend(headings(a.body[scan.number], body, s))
        for i, table in enumerate(sorted(scan.tables, key=lambda t: (t.bbox[1], t.bbox[0]))):
            header, row = find_header(table, s)
            a.tables.append(PlacedTable(scan.number, i, table, header, row))
    events = _events(a)
    _join_continuations(events, s)
    a.blank_breaks = keeps_break_blanks([t.scan for t in a.tables], s.blank_breaks_share)
    _rejoin_split_rows(a, s)
    a.key = rag_key(scans)
    _assign_headings(a, events, s)
    _emit_rows(a, s)
    return a


def _check_text_layer(a: Analysis) -> None:
    if a.scans and not any(p.bits for p in a.scans):
        one = len(a.scans) == 1
        where = "" if one else f" on any of its {len(a.scans)} pages"
        raise InputError(
            a.source,
            f"no text layer{where} (a scanned image?); run OCR on it first, e.g. "
            f"`ocrmypdf {a.source} ocr.pdf`, and read ocr.pdf",
            page=1 if one else None,
        )


def _image_only_pages(a: Analysis) -> None:
    """A page with images and no text but the running header/footer is a scan, or a table
    pasted as a picture: its figures cannot be read, so say so."""
    for p in a.scans:
        if p.images and not p.tables and all(ln.furniture for ln in a.body[p.number]):
            a.issues.append(
                Issue(
                    "scanned_page",
                    "page holds only images, no text layer (a scan or a pasted picture); not read",
                    a.source,
                    p.number,
                    None,
                )
            )


def _events(a: Analysis) -> list[tuple[int, float, int, object]]:
    """Headings, body lines and tables in reading order."""
    events: list[tuple[int, float, int, object]] = []
    for h in a.headings:
        events.append((h.page, h.top, 0, h))
    for page, lines in a.body.items():
        events.extend((page, ln.top, 1, ln) for ln in lines if not ln.furniture)
    for t in a.tables:
        events.append((t.page, t.scan.bbox[1], 2, t))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def _join_continuations(events: list[tuple[int, float, int, object]], s: PdfSettings) -> None:
    """A table opening page N+1 with nothing printed between it and a KPI table closing page N,
    and with the same columns, continues that table."""
    previous: PlacedTable | None = None
    for _, _, kind, obj in events:
        if kind == 1:
            previous = None  # printed text in between: not a continuation
        elif kind == 2:
            assert isinstance(obj, PlacedTable)
            if (
                previous is not None
                and previous.kpi is not None
                and obj.page == previous.page + 1
                and obj.index == 0
                and same_layout(previous.scan, obj.scan, s.column_tolerance)
            ):
                obj.continues = previous
            previous = obj


def _rejoin_split_rows(a: Analysis, s: PdfSettings) -> None:
    """A continuation whose first row is the rest of the row that ended the page before (a row
    broken across the page) hands that row back to it."""
    for t in a.tables:
        prev = t.continues
        if prev is None:
            continue
        first, last = body_start(t), len(prev.scan.rows) - 1
        if first >= len(t.scan.rows) or last < body_start(prev):
            continue
        if prev.rest_taken and last == body_start(prev):
            continue  # its only row is itself the rest of a row: a row over three pages
        before, after = prev.scan.rows[last], t.scan.rows[first]
        if prev.scan.ruled and t.scan.ruled:
            rest = split_row_rest(before, after, s, a.blank_breaks)
        else:
            rest = word_row_rest(before, after, t.kpi)
        if rest:
            prev.rest, t.rest_taken = after, True


def _assign_headings(
    a: Analysis, events: list[tuple[int, float, int, object]], s: PdfSettings
) -> None:
    # the heading printed last before each KPI table tells the KPI-heading size
    sizes: list[float] = []
    last: Heading | None = None
    for _, _, kind, obj in events:
        if kind == 0:
            last = obj  # type: ignore[assignment]
        elif kind == 2:
            t = obj
            assert isinstance(t, PlacedTable)
            if t.header is not None and t.continues is None and last is not None:
                sizes.append(last.size)
            last = None
    classify_levels(a.headings, sizes, s)
    section = heading = ""
    for _, _, kind, obj in events:
        if kind == 0:
            assert isinstance(obj, Heading)
            if obj.level == "section":
                section, heading = _title(obj.text), ""
            else:
                heading = _title(obj.text)
        elif kind == 2:
            assert isinstance(obj, PlacedTable)
            root = obj
            while root.continues is not None:
                root = root.continues
            obj.section, obj.heading = (
                (root.section, root.heading) if root is not obj else (section, heading)
            )


def _title(text: str) -> str:
    """A heading as a title: without the full stop some authors end it with."""
    return text[:-1].rstrip() if text.endswith(".") and not text.endswith("..") else text


def _emit_rows(a: Analysis, s: PdfSettings) -> None:
    kpi_layouts = [t.scan for t in a.tables if t.header is not None]
    for t in a.tables:
        if t.kpi is not None:
            rows, issues = table_rows(t, a.line_of, a.source, s, a.blank_breaks, a.key)
            a.rows.extend(rows)
            a.issues.extend(issues)
        elif any(same_layout(t.scan, k, s.column_tolerance) for k in kpi_layouts):
            n = sum(1 for row in t.scan.rows if any(c.text.strip() for c in row))
            a.issues.append(
                Issue(
                    "unparsed_table",
                    f"table with the KPI columns but no header and no table to continue "
                    f"({n} rows) was not read",
                    a.source,
                    t.page,
                    a.line_of(t.page, t.scan.bbox[1]),
                )
            )


# --- entry points ----------------------------------------------------------------------------
def read_pdf(
    source: bytes | str | Path, settings: PdfSettings | None = None, *, workers: int | None = None
) -> Extraction:
    """Every KPI row of a report PDF, with warnings as Issues.

    Raises InputError (one line, with the page where it applies) for files that cannot be read.
    `workers=None` follows the settings. Not cached here: kpi_lib.readers.document caches what
    a file yields, whichever reader reads it.
    """
    data, name = source_bytes(source)
    s = settings or DEFAULT
    return analyse(scan_pages(data, s, workers, name), name, s).extraction()


def read_pdf_text(
    source: bytes | str | Path,
    settings: PdfSettings | None = None,
    *,
    workers: int | None = None,
    name: str | None = None,
) -> tuple[Extraction, list[TextLine]]:
    """read_pdf's rows and warnings with every printed line (Analysis.text_lines), from one pass
    over the bytes, for callers that read the text around the tables too."""
    data, shown = source_bytes(source)
    name = name or shown
    s = settings or DEFAULT
    a = analyse(scan_pages(data, s, workers, name), name, s)
    return a.extraction(), a.text_lines()


def debug_page(
    path: Path,
    page_no: int,
    out_png: Path,
    settings: PdfSettings | None = None,
    resolution: int = 96,
) -> Path:
    """Draw on page `page_no` what the reader found: pdfplumber's table finder (red/blue),
    KPI tables (green), other tables (grey), section headings (magenta), KPI headings (blue),
    running header/footer (orange). Returns `out_png`."""
    import pdfplumber
    from PIL import ImageDraw

    data, name = source_bytes(path)
    s = settings or DEFAULT
    a = analyse(scan_pages(data, s, 1, name), name, s)
    if not 1 <= page_no <= len(a.scans):
        raise InputError(name, f"no page {page_no} (the document has {len(a.scans)})")
    with pdfplumber.open(io.BytesIO(data), pages=[page_no]) as pdf:
        im = pdf.pages[0].to_image(resolution=resolution)
        im.debug_tablefinder(s.table_settings())
        for t in (t for t in a.tables if t.page == page_no):
            colour = (0, 160, 0) if t.kpi is not None else (128, 128, 128)
            im.draw_rect(t.scan.bbox, fill=(*colour, 25), stroke=colour, stroke_width=3)
        for h in (h for h in a.headings if h.page == page_no):
            colour = (200, 0, 200) if h.level == "section" else (0, 0, 220)
            box = (h.x0 - 2, h.top - 1, h.x1 + 2, h.bottom + 1)
            im.draw_rect(box, fill=(*colour, 30), stroke=colour)
        for ln in (ln for ln in a.body[page_no] if ln.furniture):
            im.draw_rect(
                (ln.x0, ln.top, ln.x1, ln.bottom), fill=(255, 140, 0, 40), stroke=(255, 140, 0)
            )
        draw = ImageDraw.Draw(im.annotated)
        scale = resolution / 72
        for t in (t for t in a.tables if t.page == page_no):
            if t.kpi is None:
                label = "not a KPI table"
            else:
                label = ("KPI, continued: " if t.continues else "KPI: ") + t.heading
            label = label[:80]
            x1, top = t.scan.bbox[2] * scale, t.scan.bbox[1] * scale
            draw.text((x1 - draw.textlength(label), max(0, top - 11)), label, fill=(0, 120, 0))
        im.save(out_png)
    return Path(out_png)
