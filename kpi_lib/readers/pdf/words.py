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

The result is a pdf.model.TableScan like a ruled table's, so headings, page-break joins, the
non-KPI rule and RAG by fill colour work the same.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from kpi_lib.readers.headers import THRESHOLD, HeaderMatch, best_label, match_header, screen
from kpi_lib.readers.labels import LABEL_RE, PROSE_LABEL_RE
from kpi_lib.readers.pdf.colour import paint_from_render
from kpi_lib.readers.pdf.layout import baseline_groups, space_gap, spaced
from kpi_lib.readers.pdf.model import BBox, CellScan, PageScan, TableScan, TextBit, cell_fill
from kpi_lib.readers.pdf.settings import PdfSettings
from kpi_lib.readers.profile import Profile
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
    bits: tuple[TextBit, ...] = ()  # its text objects, to part it where it crosses a column
    blanks: bool = False  # the producer keeps blanks in its text objects (spaced)


def _join(bits: list[TextBit] | tuple[TextBit, ...], has_blanks: bool) -> str:
    text = bits[0].text
    for prev, bit in zip(bits, bits[1:], strict=False):
        sep = bit.x0 - prev.x1 > space_gap(bit.size, has_blanks) and not text.endswith(" ")
        text += (" " if sep else "") + bit.text
    return collapse(text)


@dataclass
class PLine:
    baseline: float
    top: float
    bottom: float
    phrases: list[Phrase]

    @property
    def size(self) -> float:
        return max(p.size for p in self.phrases)


def phrase_lines(bits: list[TextBit], s: PdfSettings, has_blanks: bool) -> list[PLine]:
    """Printed lines, top to bottom, each cut into phrases at gaps of `s.column_gap` sizes."""
    out: list[PLine] = []
    for group in baseline_groups(bits):
        phrases: list[list[TextBit]] = [[group[0]]]
        for prev, bit in zip(group, group[1:], strict=False):
            size = min(prev.size, bit.size) or 1.0
            if bit.x0 - prev.x1 > s.column_gap * size:
                phrases.append([bit])
            else:
                phrases[-1].append(bit)
        made = []
        for part in phrases:
            bold = sum(len(b.text) for b in part if b.bold) * 2 > sum(len(b.text) for b in part)
            made.append(_phrase_of(part, bold, has_blanks))
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
def _match(cells: tuple[str, ...], profile: Profile) -> HeaderMatch | None:
    return match_header(list(cells), profile.vocab)


# stems of the KPI header labels, OCR-tolerant (three letters): a cheap test before matching
_STEMS = ("tar", "goo", "dat", "met", "nam", "val", "lat", "rag", "sta", "tre", "ref")


def _may_be_header(ln: PLine, profile: Profile, words: bool) -> bool:
    """Short labels and at least two header stems (or, with `words`, two words of the
    profile): every other line skips the (costly) fuzzy header match."""
    if any(len(p.text) > 40 for p in ln.phrases):
        return False
    text = " ".join(p.text for p in ln.phrases).lower()
    if sum(1 for stem in _STEMS if stem in text) >= 2:
        return True
    return words and screen([p.text for p in ln.phrases], profile.vocab, 2)


def _header_at(
    lines: list[PLine], i: int, profile: Profile, words: bool = False
) -> tuple[HeaderMatch, list[Column], int] | None:
    """The KPI header starting at line i: its match, columns and the number of lines it spans
    (a label wrapped in a narrow column puts the header on two or three lines)."""
    if not _may_be_header(lines[i], profile, words):
        return None
    band = [_split_labels(lines[i], profile)]
    if len(band[0].phrases) < 3:
        return None
    size = lines[i].size
    j = i + 1
    while j < len(lines) and j - i < 3:
        if lines[j].baseline - band[-1].baseline > 1.3 * size:
            break
        band.append(_split_labels(lines[j], profile))
        j += 1
    # the longest band that still matches: a wrapped label needs its second line
    for n in range(len(band), 0, -1):
        cols = _stack(band[:n])
        match = _match(tuple(c.text[:40] for c in cols), profile)
        if match is not None and len(match.columns) >= 3:
            if n > 1 and not _header_like(band[n - 1], cols):
                continue
            return match, cols, n
    return None


def _words(p: Phrase) -> list[list[TextBit]]:
    """The phrase's text objects grouped into words (a blank, kept or made up, parts them)."""
    words: list[list[TextBit]] = [[p.bits[0]]]
    for prev, bit in zip(p.bits, p.bits[1:], strict=False):
        gap = bit.x0 - prev.x1 > space_gap(bit.size, p.blanks)
        if gap or prev.text.endswith(" ") or bit.text.startswith(" "):
            words.append([bit])
        else:
            words[-1].append(bit)
    return words


def _phrase_of(bits: list[TextBit], bold: bool, blanks: bool) -> Phrase:
    """The phrase standing over `bits`, its box the union of theirs."""
    return Phrase(
        _join(bits, blanks),
        bits[0].x0,
        max(b.x1 for b in bits),
        min(b.top for b in bits),
        max(b.bottom for b in bits),
        bits[0].baseline,
        max(b.size for b in bits),
        bold,
        tuple(bits),
        blanks,
    )


def _as_phrase(bits: list[TextBit], like: Phrase) -> Phrase:
    return _phrase_of(bits, like.bold, like.blanks)


def _split_labels(ln: PLine, profile: Profile) -> PLine:
    """Header labels printed so close that they read as one phrase ("Target Good Is As of
    Date": cells with little padding) parted into one phrase per label, by the vocabulary."""
    out: list[Phrase] = []
    for p in ln.phrases:
        words = _words(p) if p.bits else []
        labels: list[list[TextBit]] = []
        w = 0
        while w < len(words):
            # the run of one to three words most like a label (the longer on a tie)
            best_n, best = 0, THRESHOLD
            for n in (3, 2, 1):
                if w + n <= len(words):
                    text = _join([b for word in words[w : w + n] for b in word], p.blanks)
                    score = best_label(text, profile.vocab)[1]
                    if score > best + 1e-9 or (best_n == 0 and score >= THRESHOLD):
                        best_n, best = n, score
            if best_n:
                labels.append([b for word in words[w : w + best_n] for b in word])
                w += best_n
            else:
                if labels and len(words) > 1:
                    labels[-1] += words[w]  # a word no label starts: it ends the one before
                else:
                    labels.append(list(words[w]))
                w += 1
        if len(labels) < 2:
            out.append(p)
        else:
            out.extend(_as_phrase(bits, p) for bits in labels)
    return PLine(ln.baseline, ln.top, ln.bottom, out)


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
        from_left = bool(bounds) and p.x0 < bounds[0]
        if n >= 4 or (n >= 2 and from_left and len(p.text.split()) >= 4):
            # prose runs across the columns from the left margin; cells printed close
            # together (OCR, little padding) may join two or three into one phrase
            return True
    if len(ln.phrases) == 1 and ln.phrases[0].text.endswith(":"):
        label = LABEL_RE.match(ln.phrases[0].text)
        if ln.phrases[0].bold or (label is not None and label.group("colon")):
            return True  # a commentary label ("Issues:"), not a cell's last line ("Green:")
    if len(ln.phrases) == 1 and PROSE_LABEL_RE.match(ln.phrases[0].text):
        return True  # "Commentary: under review." under the table: prose, not a KPI's name
    first = ln.phrases[0]
    return len(ln.phrases) == 1 and first.bold and first.size > prev.size * 1.1


def _prose_after(ln: PLine, left: float) -> bool:
    """A table's last line that is a sentence of its own from the left margin ("All figures are
    provisional until year end."): a row with nothing in its other cells and a name ending in a
    full stop is prose printed under the table, not a KPI. A wrapped name's last line is a few
    words ("of receipt.")."""
    if len(ln.phrases) != 1:
        return False
    p = ln.phrases[0]
    text = p.text.strip()
    return p.x0 <= left + 2.0 and len(text.split()) >= 4 and text[-1:] in ".!?"


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


def _spans(p: Phrase) -> list[tuple[float, float]]:
    """x extents of the phrase's words (the whole phrase if it has no objects to part)."""
    if len(p.bits) < 2:
        return [(p.x0, p.x1)]
    return [(w[0].x0, max(b.x1 for b in w)) for w in _words(p)]


def _bounds(cols: list[Column], body: list[PLine]) -> list[float]:
    # words, not phrases: two cells printed close together still leave their gap uncovered
    spans = [span for ln in body for p in ln.phrases for span in _spans(p)]
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
    """A wrapped cell's line pitch: the smallest baseline step within one column that recurs.
    Within a column, lines of one cell follow at that pitch and the next row's first line comes
    later (cell padding), whatever the vertical alignment; OCR jitter makes a one-off step
    smaller, so a step must be seen twice, unless it is the only one."""
    steps: Counter[float] = Counter()
    last: dict[int, float] = {}
    for ln in body:
        for k in {_column_of(p, edges) for p in ln.phrases}:
            if k in last and ln.baseline - last[k] < 1.6 * ln.size:
                steps[round(ln.baseline - last[k], 1)] += 1
            last[k] = ln.baseline
    if not steps:
        return None
    # steps within OCR jitter of each other count together
    merged: Counter[float] = Counter()
    for step, n in sorted(steps.items()):
        near = next((m for m in merged if abs(m - step) <= 0.6), None)
        merged[near if near is not None else step] += n
    recurring = [step for step, n in merged.items() if n >= 2]
    return min(recurring) if recurring else min(merged)


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


def _parted(p: Phrase, edges: list[float]) -> list[tuple[int, str, float]]:
    """(column, text, size) of a phrase; one that crosses a column boundary (cells with little
    padding print close enough to read as one phrase) is parted there, word by word."""
    k = _column_of(p, edges)
    if edges[k] - 1.0 <= p.x0 and p.x1 <= edges[k + 1] + 1.0 or len(p.bits) < 2:
        return [(k, p.text, p.size)]
    by_column: dict[int, list[TextBit]] = {}
    for word in _words(p):  # whole words: a boundary never cuts one
        mid = (word[0].x0 + max(b.x1 for b in word)) / 2
        col = next((j for j in range(len(edges) - 1) if mid < edges[j + 1]), len(edges) - 2)
        by_column.setdefault(col, []).extend(word)
    return [(j, _join(b, p.blanks), max(x.size for x in b)) for j, b in by_column.items()]


def _cell(lines: list[PLine], k: int, edges: list[float], box: BBox) -> CellScan:
    texts = []
    size = 0.0
    for ln in lines:
        parts = [(t, z) for p in ln.phrases for j, t, z in _parted(p, edges) if j == k and t]
        if parts:
            texts.append(" ".join(t for t, _ in parts))
            size = max(size, *(z for _, z in parts))
    return CellScan(text="\n".join(texts), bbox=box, size=size)


def _table(
    cols: list[Column],
    header_lines: list[PLine],
    body: list[PLine],
    fills: list[tuple[BBox, tuple[float, float, float]]],
    s: PdfSettings,
) -> TableScan:
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
            cell.fill = cell_fill(box, fills, s.min_fill_cover)
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
        found = _header_at(lines, i, s.profile, not scan.ruled)
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
            if (
                _ends_table(ln, rough, cols[0].x0, prev, s)
                or _header_at(lines, j, s.profile, not scan.ruled) is not None
            ):
                break
            body.append(ln)
            prev = ln
            j += 1
        while len(body) > 1 and _prose_after(body[-1], cols[0].x0):
            body.pop()
            j -= 1  # left for the commentary readers
        if body:
            tables.append(_table(cols, head, body, scan.fills, s))
        i = j
    return tables


def _overlap(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _has_kpi_header(t: TableScan, profile: Profile) -> bool:
    for row in t.rows[:2]:
        if _match(tuple(" ".join(c.text.split())[:40] for c in row), profile) is not None:
            return True
    return False


def add_word_tables(scan: PageScan, s: PdfSettings, page: object | None = None) -> None:
    """Add the page's rule-less KPI tables to scan.tables, dropping ruled non-KPI tables they
    overlap (a shaded row or filled cell seen as a box). `page` (a pypdfium2 page, open) is
    rendered for the cell colours when the page is a scan."""
    kpi = [t.bbox for t in scan.tables if _has_kpi_header(t, s.profile)]
    found = word_tables(scan, s, kpi)
    if not found:
        return
    scan.tables = [t for t in scan.tables if not any(_overlap(t.bbox, w.bbox) for w in found)]
    if scan.scanned and page is not None:
        for t in found:
            t.ocr = True
        paint_from_render(page, found, s)
    scan.tables.extend(found)
