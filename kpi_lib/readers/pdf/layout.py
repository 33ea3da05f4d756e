"""Document layout from text objects: printed lines, page furniture and headings.

Word exports headings as bold (and usually larger) lines, and repeats the running header and
footer on every page. This module turns the pdfium text objects of every page into lines,
marks the furniture (the same text at the same height on most pages, or anything inside the
top/bottom margins) and classifies the remaining bold or large lines as headings. Which heading
size is the KPI level and which the section level is learnt from the document: the headings
printed right above KPI tables are KPI headings, larger ones are sections.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kpi_lib.readers.pdf.model import BBox, PageScan, TextBit
from kpi_lib.readers.pdf.settings import PdfSettings
from kpi_lib.readers.wrap import join_wrapped
from kpi_lib.values import collapse


@dataclass
class Line:
    page: int
    top: float
    bottom: float
    baseline: float
    x0: float
    x1: float
    text: str
    size: float  # largest font size on the line
    bold: bool  # most of its characters are bold
    furniture: bool = False  # running header/footer or inside the margins


@dataclass
class Heading:
    page: int
    top: float
    bottom: float
    text: str
    size: float
    bold: bool
    x0: float = 0.0
    x1: float = 0.0
    level: str = ""  # "section" or "kpi", set by classify_levels


def _inside(bit: TextBit, boxes: list[BBox]) -> bool:
    cx, cy = (bit.x0 + bit.x1) / 2, (bit.top + bit.bottom) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def spaced(bits: list[TextBit]) -> bool:
    """Whether the producer keeps the blanks between words in its text objects (browsers and
    OCR layers do): then a small gap between two objects is kerning, not a missing space."""
    with_blank = sum(1 for b in bits if " " in b.text)
    return bool(bits) and with_blank >= 0.1 * len(bits)


def space_gap(size: float, has_blanks: bool) -> float:
    """The gap (pt) between two text objects of a line above which a space is read."""
    return (0.4 if has_blanks else 0.15) * size


def baseline_groups(bits: list[TextBit]) -> list[list[TextBit]]:
    """Text objects sharing a baseline (within a third of the smaller font size), each group
    left to right, groups top to bottom: the printed lines of a page or a cell."""
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
    for group in groups:
        group.sort(key=lambda b: b.x0)
    return groups


def group_lines(bits: list[TextBit], page: int) -> list[Line]:
    """Text objects sharing a baseline, left to right, as printed lines (top to bottom)."""
    lines = []
    has_blanks = spaced(bits)
    for group in baseline_groups(bits):
        text = group[0].text
        for prev, bit in zip(group, group[1:], strict=False):
            gap = bit.x0 - prev.x1
            sep = " " if gap > space_gap(bit.size, has_blanks) and not text.endswith(" ") else ""
            text += sep + bit.text
        weight = Counter()
        for bit in group:
            weight[bit.bold] += len(bit.text.strip())
        lines.append(
            Line(
                page=page,
                top=min(b.top for b in group),
                bottom=max(b.bottom for b in group),
                baseline=group[0].baseline,
                x0=group[0].x0,
                x1=max(b.x1 for b in group),
                text=collapse(text),
                size=max(b.size for b in group),
                bold=weight[True] > weight[False],
            )
        )
    return lines


def page_lines(scan: PageScan) -> tuple[list[Line], list[Line]]:
    """(every line on the page, the lines outside its tables)."""
    boxes = [t.bbox for t in scan.tables]
    outside = [b for b in scan.bits if not _inside(b, boxes)]
    return group_lines(scan.bits, scan.number), group_lines(outside, scan.number)


def lines_inside(scan: PageScan, box: BBox) -> list[Line]:
    """The printed lines of the text inside one box (a table's), as page_lines groups them."""
    return group_lines([b for b in scan.bits if _inside(b, [box])], scan.number)


_DIGITS = re.compile(r"\d+")


def mark_furniture(pages: dict[int, list[Line]], heights: dict[int, float], s: PdfSettings) -> None:
    """Flag running headers/footers: in the margins, or repeated at one height on most pages
    (digits ignored, so "Page 3 of 17" matches "Page 4 of 17")."""
    seen: Counter[tuple[int, str]] = Counter()
    for lines in pages.values():
        keys = {
            (round(ln.baseline / s.running_y_tolerance), _DIGITS.sub("#", ln.text)) for ln in lines
        }
        seen.update(keys)
    need = max(2, int(s.running_share * len(pages) + 0.999))
    for number, lines in pages.items():
        height = heights[number]
        for ln in lines:
            key = (round(ln.baseline / s.running_y_tolerance), _DIGITS.sub("#", ln.text))
            in_margin = (
                ln.bottom <= s.top_margin * height or ln.top >= (1 - s.bottom_margin) * height
            )
            ln.furniture = in_margin or (len(pages) >= 2 and seen[key] >= need)


def body_size(lines: list[Line]) -> float:
    """The most common font size, weighted by characters: the body text."""
    sizes: Counter[float] = Counter()
    for ln in lines:
        if not ln.furniture:
            sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def is_heading_line(ln: Line, body: float, s: PdfSettings) -> bool:
    """Bold or clearly larger than body text; commentary labels ("Issues:") are not headings."""
    if ln.furniture or not ln.text or len(ln.text) > s.heading_max_chars:
        return False
    if ln.text.endswith(":") or not any(c.isalpha() for c in ln.text):
        return False
    return ln.bold or (body > 0 and ln.size >= body * s.heading_size_ratio)


def headings(lines: list[Line], body: float, s: PdfSettings) -> list[Heading]:
    """Heading lines of one page, with a heading wrapped over consecutive lines joined."""
    out: list[Heading] = []
    prev: Line | None = None
    for ln in lines:
        if not is_heading_line(ln, body, s):
            prev = None if not ln.furniture else prev
            continue
        if (
            prev is not None
            and out
            and abs(ln.size - prev.size) < 0.5
            and ln.bold == prev.bold
            and ln.top - prev.bottom <= s.heading_join_gap * ln.size - ln.size
        ):
            last = out[-1]
            last.text = join_wrapped([last.text, ln.text])
            last.bottom = ln.bottom
            last.x0, last.x1 = min(last.x0, ln.x0), max(last.x1, ln.x1)
        else:
            out.append(Heading(ln.page, ln.top, ln.bottom, ln.text, ln.size, ln.bold, ln.x0, ln.x1))
        prev = ln
    return out


def classify_levels(
    all_headings: list[Heading], kpi_heading_sizes: list[float], s: PdfSettings
) -> None:
    """Headings larger than the usual KPI heading are section headings, the rest KPI headings."""
    if kpi_heading_sizes:
        kpi_size = Counter(round(x * 2) / 2 for x in kpi_heading_sizes).most_common(1)[0][0]
    else:
        kpi_size = min((h.size for h in all_headings), default=0.0)
    for h in all_headings:
        h.level = "section" if h.size >= kpi_size + s.section_size_gap else "kpi"
