"""KPI tables without ruling lines: found by the alignment of words under a KPI header row.

A browser print of an HTML report, a template with borders turned off or an OCR'd scan has no
rules for pdfplumber to follow, yet a reader sees the table at once: a row of header labels,
and words aligned in columns below it. This module does the same from the page's text objects
(pypdfium2, already read for the layout), so it costs no second parse of the page:

1. printed lines are cut into phrases at gaps wider than a word space;
2. a line (or two, for a wrapped header) whose phrases match the KPI header is a header row;
   each phrase, or stack of phrases, is a column;
3. the lines below belong to the table until prose crosses the columns, a commentary label
   ("Issues:") or another header starts, or the page ends;
4. column boundaries go in the widest empty gutter between two header labels;
5. rows are cut where consecutive baselines are further apart than a wrapped cell's line pitch:
   a cell's lines are evenly spaced, and cell padding adds space between rows.

The result is a pdf_scan.TableScan like a ruled table's, so headings, page-break joins, the
non-KPI rule and RAG by fill colour work the same.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from kpi_lib.readers.commentary import LABEL_RE
from kpi_lib.readers.headers import HeaderMatch, match_header
from kpi_lib.readers.pdf_layout import space_gap, spaced
from kpi_lib.readers.pdf_scan import BBox, CellScan, PageScan, TableScan, TextBit
from kpi_lib.readers.pdf_settings import PdfSettings
from kpi_lib.values import collapse


@dataclass
class Phrase:
    """Words of one line standing together: a cell's line, or a run of prose."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    bold: bool


@dataclass
class PLine:
    baseline: float
    top: float
    bottom: float
    phrases: list[Phrase]

    @property
    def size(self) -> float:
        return max(p.size for p in self.phrases)


def _lines(bits: list[TextBit]) -> list[list[TextBit]]:
    ordered = sorted(bits, key=lambda b: (round(b.baseline, 1), b.x0))
    groups: list[list[TextBit]] = []
    for bit in ordered:
        if groups:
            last = groups[-1]
            tol = 0.35 * min(bit.size, last[0].size) or 1.0
            if abs(bit.baseline - last[0].baseline) <= tol:
                last.append(bit)
                continue
        groups.append([bit])
    for g in groups:
        g.sort(key=lambda b: b.x0)
    return groups


def phrase_lines(bits: list[TextBit], s: PdfSettings, has_blanks: bool) -> list[PLine]:
    """Printed lines, top to bottom, each cut into phrases at gaps of `s.column_gap` sizes."""
    out: list[PLine] = []
    for group in _lines(bits):
        phrases: list[list[TextBit]] = [[group[0]]]
        for prev, bit in zip(group, group[1:], strict=False):
            size = min(prev.size, bit.size) or 1.0
            if bit.x0 - prev.x1 > s.column_gap * size:
                phrases.append([bit])
            else:
                phrases[-1].append(bit)
        made = []
        for part in phrases:
            text = part[0].text
            for prev, bit in zip(part, part[1:], strict=False):
                gap = bit.x0 - prev.x1
                sep = gap > space_gap(bit.size, has_blanks) and not text.endswith(" ")
                text += (" " if sep else "") + bit.text
            made.append(
                Phrase(
                    collapse(text),
                    part[0].x0,
                    max(b.x1 for b in part),
                    min(b.top for b in part),
                    max(b.bottom for b in part),
                    part[0].baseline,
                    max(b.size for b in part),
                    sum(len(b.text) for b in part if b.bold) * 2 > sum(len(b.text) for b in part),
                )
            )
        made = [p for p in made if p.text]
        if made:
            out.append(
                PLine(
                    group[0].baseline,
                    min(p.top for p in made),
                    max(p.bottom for p in made),
                    made,
                )
            )
    return out


# --- header ----------------------------------------------------------------------------------
@dataclass
class Column:
    x0: float
    x1: float
    texts: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def _stack(lines: list[PLine]) -> list[Column]:
    """Phrases of a (wrapped) header band grouped into columns by overlapping x extents."""
    cols: list[Column] = []
    for ln in lines:
        for p in ln.phrases:
            hit = next((c for c in cols if p.x0 < c.x1 and c.x0 < p.x1), None)
            if hit is None:
                cols.append(Column(p.x0, p.x1, [p.text]))
            else:
                hit.x0, hit.x1 = min(hit.x0, p.x0), max(hit.x1, p.x1)
                hit.texts.append(p.text)
    return sorted(cols, key=lambda c: c.x0)


@lru_cache(maxsize=512)
def _match(cells: tuple[str, ...]) -> HeaderMatch | None:
    return match_header(list(cells))


def _header_at(lines: list[PLine], i: int) -> tuple[HeaderMatch, list[Column], int] | None:
    """The KPI header starting at line i: its match, columns and the number of lines it spans
    (a label wrapped in a narrow column puts the header on two or three lines)."""
    if len(lines[i].phrases) < 3:
        return None
    band = [lines[i]]
    size = lines[i].size
    j = i + 1
    while j < len(lines) and j - i < 3:
        if lines[j].baseline - band[-1].baseline > 1.3 * size:
            break
        band.append(lines[j])
        j += 1
    # the longest band that still matches: a wrapped label needs its second line
    for n in range(len(band), 0, -1):
        cols = _stack(band[:n])
        match = _match(tuple(c.text[:40] for c in cols))
        if match is not None and len(match.columns) >= 3:
            if n > 1 and not _header_like(band[n - 1], cols):
                continue
            return match, cols, n
    return None


def _header_like(ln: PLine, cols: list[Column]) -> bool:
    """A header's second line is short label words under the first line's labels, not a row."""
    return all(len(p.text) <= 20 for p in ln.phrases)


# --- table extent ----------------------------------------------------------------------------
def _crossings(p: Phrase, bounds: list[float]) -> int:
    return sum(1 for b in bounds if p.x0 < b - 1.0 and p.x1 > b + 1.0)


def _ends_table(ln: PLine, bounds: list[float], left: float, prev: PLine, s: PdfSettings) -> bool:
    if ln.baseline - prev.baseline > s.table_max_gap * max(ln.size, prev.size):
        return True  # a gap no row leaves: the table is over
    for p in ln.phrases:
        n = _crossings(p, bounds)
        if n >= 3 or (n == 2 and len(p.text.split()) >= 4):
            return True  # prose runs across the columns (OCR may join two short cells)
    if len(ln.phrases) == 1 and ln.phrases[0].text.endswith(":"):
        label = LABEL_RE.match(ln.phrases[0].text)
        if ln.phrases[0].bold or (label is not None and label.group("colon")):
            return True  # a commentary label ("Issues:"), not a cell's last line ("Green:")
    first = ln.phrases[0]
    return len(ln.phrases) == 1 and first.bold and first.size > prev.size * 1.1


# --- columns ---------------------------------------------------------------------------------
def _gutter(lo: float, hi: float, spans: list[tuple[float, float]]) -> float:
    """The middle of the widest x interval in (lo, hi) that no span covers; the least
    covered point if every x is covered somewhere."""
    if hi <= lo:
        return (lo + hi) / 2
    cuts = sorted({lo, hi} | {x for a, b in spans for x in (a, b) if lo < x < hi})
    best, best_key = (lo + hi) / 2, (10**9, 0.0)
    for a, b in zip(cuts, cuts[1:], strict=False):
        mid = (a + b) / 2
        covered = sum(1 for x0, x1 in spans if x0 < mid < x1)
        key = (covered, -(b - a))
        if key < best_key:
            best, best_key = mid, key
    return best


def _bounds(cols: list[Column], body: list[PLine]) -> list[float]:
    spans = [(p.x0, p.x1) for ln in body for p in ln.phrases]
    spans += [(c.x0, c.x1) for c in cols]
    return [_gutter(a.x1, b.x0, spans) for a, b in zip(cols, cols[1:], strict=False)]


# --- rows ------------------------------------------------------------------------------------
def _column_of(p: Phrase, edges: list[float]) -> int:
    mid = (p.x0 + p.x1) / 2
    for k in range(len(edges) - 1):
        if mid < edges[k + 1]:
            return k
    return len(edges) - 2


def _pitch(body: list[PLine], edges: list[float]) -> float | None:
    """A wrapped cell's line pitch: the commonest baseline step within one column."""
    steps: Counter[float] = Counter()
    last: dict[int, float] = {}
    for ln in body:
        for k in {_column_of(p, edges) for p in ln.phrases}:
            if k in last and ln.baseline - last[k] < 1.6 * ln.size:
                steps[round(ln.baseline - last[k], 1)] += 1
            last[k] = ln.baseline
    if not steps:
        return None
    top = max(steps.values())
    return min(step for step, n in steps.items() if n == top)


def _rows(body: list[PLine], edges: list[float], s: PdfSettings) -> list[list[PLine]]:
    pitch = _pitch(body, edges)
    rows: list[list[PLine]] = []
    for ln in body:
        if rows and pitch is not None:
            step = ln.baseline - rows[-1][-1].baseline
            if step <= pitch + max(s.row_gap_min, 0.12 * ln.size):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    return rows


def _cell(lines: list[PLine], k: int, edges: list[float], box: BBox) -> CellScan:
    texts = []
    size = 0.0
    for ln in lines:
        parts = [p for p in ln.phrases if _column_of(p, edges) == k]
        if parts:
            texts.append(" ".join(p.text for p in parts))
            size = max(size, *(p.size for p in parts))
    return CellScan(text="\n".join(texts), bbox=box, size=size)


def _table(
    cols: list[Column],
    header_lines: list[PLine],
    body: list[PLine],
    fills: list[tuple[BBox, tuple[float, float, float]]],
    s: PdfSettings,
) -> TableScan:
    from kpi_lib.readers.pdf_scan import _cell_fill

    inner = _bounds(cols, body)
    every = [p for ln in header_lines + body for p in ln.phrases]
    left = min(p.x0 for p in every) - 1.0
    right = max(p.x1 for p in every) + 1.0
    edges = [left, *inner, right]
    groups = [header_lines, *_rows(body, edges, s)]
    # a row's box reaches half way to its neighbours: where its cell background is painted
    tops = [min(ln.top for ln in g) for g in groups]
    bottoms = [max(ln.bottom for ln in g) for g in groups]
    y0 = [tops[0] - 2.0] + [(bottoms[i - 1] + tops[i]) / 2 for i in range(1, len(groups))]
    y1 = y0[1:] + [bottoms[-1] + 2.0]
    rows: list[list[CellScan]] = []
    for g, top, bottom in zip(groups, y0, y1, strict=True):
        cells = []
        for k in range(len(edges) - 1):
            box = (edges[k], top, edges[k + 1], bottom)
            cell = _cell(g, k, edges, box)
            cell.fill = _cell_fill(box, fills, s.min_fill_cover)
            cells.append(cell)
        rows.append(cells)
    return TableScan(
        bbox=(left, y0[0], right, y1[-1]),
        # header label starts: what a continuation repeating the header lines up with
        columns=tuple(round(c.x0, 1) for c in cols),
        rows=rows,
        row_tops=y0,
        ruled=False,
    )


def word_tables(scan: PageScan, s: PdfSettings, skip: list[BBox] | None = None) -> list[TableScan]:
    """KPI tables on the page found by the alignment of words, outside the boxes in `skip`
    (ruled KPI tables already read) and the page's top and bottom margins."""
    boxes = skip or []
    lo, hi = s.word_margin * scan.height, (1 - s.word_margin) * scan.height

    def free(b: TextBit) -> bool:
        cx, cy = (b.x0 + b.x1) / 2, (b.top + b.bottom) / 2
        if not lo < cy < hi:
            return False
        return not any(x0 <= cx <= x1 and t <= cy <= btm for x0, t, x1, btm in boxes)

    bits = [b for b in scan.bits if free(b)]
    lines = phrase_lines(bits, s, spaced(scan.bits))
    tables: list[TableScan] = []
    i = 0
    while i < len(lines):
        found = _header_at(lines, i)
        if found is None:
            i += 1
            continue
        _, cols, n = found
        head = lines[i : i + n]
        rough = [c.x0 for c in cols[1:]]  # left-aligned labels: columns start at them
        body: list[PLine] = []
        j = i + n
        prev = head[-1]
        while j < len(lines):
            ln = lines[j]
            if _ends_table(ln, rough, cols[0].x0, prev, s) or _header_at(lines, j) is not None:
                break
            body.append(ln)
            prev = ln
            j += 1
        if body:
            tables.append(_table(cols, head, body, scan.fills, s))
        i = j
    return tables


def _overlap(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _has_kpi_header(t: TableScan) -> bool:
    for row in t.rows[:2]:
        if _match(tuple(" ".join(c.text.split())[:40] for c in row)) is not None:
            return True
    return False


def add_word_tables(scan: PageScan, s: PdfSettings, page: object | None = None) -> None:
    """Add the page's rule-less KPI tables to scan.tables, dropping ruled non-KPI tables they
    overlap (a shaded row or filled cell seen as a box). `page` (a pypdfium2 page, open) is
    rendered for the cell colours when the page is a scan."""
    kpi = [t.bbox for t in scan.tables if _has_kpi_header(t)]
    found = word_tables(scan, s, kpi)
    if not found:
        return
    scan.tables = [t for t in scan.tables if not any(_overlap(t.bbox, w.bbox) for w in found)]
    if scan.scanned and page is not None:
        from kpi_lib.readers.pdf_colour import paint_from_render

        for t in found:
            t.ocr = True
        paint_from_render(page, found, s)
    scan.tables.extend(found)
