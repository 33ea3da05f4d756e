"""The PDF readers' one vocabulary of geometry and page content: plain picklable data that the
scan passes fill and the table, word and layout readers consume (as pdfplumber keeps one set of
object attributes for every page object). Nothing here reads a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom (top-left origin, pt)
RGB = tuple[float, float, float]


@dataclass(frozen=True)
class TextBit:
    """One pdfium text object: usually a line or part of one."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    bold: bool


# How a printed line of a cell ends, which tells how it joins the next line (join_wrapped).
END_BLANK = " "  # the PDF holds a blank after its last word: the line was broken at a space
END_FULL = "|"  # no blank; it runs to the right edge (within a character) of a left-aligned cell
END_SHORT = "<"  # no blank; it stops short of the right edge of a left-aligned cell
END_UNKNOWN = ""  # no blank, and the cell is centred or right-aligned: no telling


@dataclass
class CellScan:
    text: str  # as pdfplumber's table.extract gives it, "\n" between printed lines
    bbox: BBox | None  # None for the covered part of a merged cell
    fill: RGB | None = None  # background colour painted over most of the cell
    ends: tuple[str, ...] = ()  # per printed line: one of the END_* marks above
    gap_below: float | None = None  # pt from the last line's bottom to the cell's bottom
    size: float = 0.0  # largest font size in the cell
    room: float | None = None  # pt left after the last line (left-aligned cells only)
    lead: float = 0.0  # width of the first word (pt)


@dataclass
class TableScan:
    bbox: BBox
    columns: tuple[float, ...]  # x of every column boundary, left to right
    rows: list[list[CellScan]]
    row_tops: list[float]
    ruled: bool = True  # False: found by the alignment of words (pdf.words), not by rules
    ocr: bool = False  # read from an OCR text layer: cell fills are the rendered page's colours


@dataclass
class PageScan:
    number: int  # 1-based
    width: float
    height: float
    bits: list[TextBit] = field(default_factory=list)
    tables: list[TableScan] = field(default_factory=list)
    images: int = 0
    ruled: bool = False  # had drawn rules, so pdfplumber looked for tables
    fills: list[tuple[BBox, RGB]] = field(default_factory=list)  # filled areas, painter's order
    scanned: bool = False  # a page image under an invisible (OCR) text layer


@dataclass
class ScanFailure:
    """A page we could not read; raised as InputError by the caller (exceptions with
    dataclass fields do not survive pickling between processes)."""

    problem: str
    page: int | None = None


def cell_fill(bbox: BBox, fills: list[tuple[BBox, RGB | None]], min_cover: float) -> RGB | None:
    """The colour painted last over most of the cell (painter's order: later is on top)."""
    x0, top, x1, bottom = bbox
    area = max((x1 - x0) * (bottom - top), 1e-6)
    found: RGB | None = None
    for (rx0, rtop, rx1, rbottom), rgb in fills:
        w = min(x1, rx1) - max(x0, rx0)
        h = min(bottom, rbottom) - max(top, rtop)
        if w > 0 and h > 0 and w * h / area >= min_cover:
            found = rgb
    return found
