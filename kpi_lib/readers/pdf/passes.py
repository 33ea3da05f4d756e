"""The passes over one page, each filling a PageScan (kpi_lib.readers.pdf.model).

pypdfium2 (fast, C) gives every text object with its font and size and tells whether the page
has drawn rules at all; ruled tables are read from pypdfium2's own edges and characters
(`grid_pass`, with pdfplumber's table finder) or, for pages that needs, by pdfplumber's page
parse (`plumber_pass`): cell text, how each cell line ends and cell fill colours.
"""

from __future__ import annotations

import ctypes
import logging
import math
from bisect import bisect_left

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kpi_lib.readers.pdf.grid import find_tables, page_chars, page_edges
from kpi_lib.readers.pdf.model import (
    END_BLANK,
    END_FULL,
    END_SHORT,
    END_UNKNOWN,
    RGB,
    BBox,
    CellScan,
    PageScan,
    TableScan,
    TextBit,
    cell_fill,
)
from kpi_lib.readers.pdf.settings import PdfSettings
from kpi_lib.readers.pdf.tables import keeps_break_blanks

# pdfminer logs font quirks of damaged files as warnings; without a handler anywhere Python
# would print them on stderr next to our one-line messages. Applications that configure
# logging still receive them.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())


def is_bold(fontname: str, weight: int = 0, render_mode: int = 0) -> bool:
    """Bold by name ("...-Bold", "...,Bold", "...BoldMT"), by declared weight, or drawn
    fill-and-stroke: how Word fakes bold for a font without a bold face."""
    name = fontname.lower()
    return (
        "bold" in name
        or "black" in name
        or weight >= 600
        or render_mode == pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE
    )


def _fill_rgb(raw: object) -> RGB | None:
    """The fill colour of a path object that is filled, else None."""
    fillmode, stroke = ctypes.c_int(0), ctypes.c_int(0)
    if not pdfium_c.FPDFPath_GetDrawMode(raw, ctypes.byref(fillmode), ctypes.byref(stroke)):
        return None
    if fillmode.value == 0:
        return None
    r, g, b, a = (ctypes.c_uint(0) for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetFillColor(
        raw, ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a)
    ):
        return None
    return (r.value / 255, g.value / 255, b.value / 255)


def pdfium_pass(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, number: int, settings: PdfSettings
) -> PageScan:
    width, height = page.get_size()
    top_y = page.get_mediabox()[3]
    scan = PageScan(number=number, width=width, height=height)
    tall = wide = False
    invisible = image_area = 0.0
    thin = settings.max_rule_width
    for obj in page.get_objects(textpage=textpage):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            # pdfium marks a hyphen that ends a line with \x02 (a browser's wrap)
            text = obj.extract().replace("\x02", "-")
            if not text or not text.strip():
                continue
            left, bottom, right, top = obj.get_bounds()
            _, _, c, d, _, baseline = obj.get_matrix().get()
            font = obj.get_font()
            mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
            if mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                invisible += len(text)
            scan.bits.append(
                TextBit(
                    text=text,
                    x0=left,
                    x1=right,
                    top=top_y - top,
                    bottom=top_y - bottom,
                    baseline=top_y - baseline,
                    # Tf size times the matrix scale: many producers set Tf 1 and
                    # scale the text matrix (pdfium reports the Tf operand alone)
                    size=round(obj.get_font_size() * math.hypot(c, d), 2),
                    bold=is_bold(font.get_base_name(), font.get_weight(), mode),
                )
            )
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            left, bottom, right, top = obj.get_bounds()
            w, h = right - left, top - bottom
            # a rule is a line: thin one way, long the other (a filled cell is no rule)
            if min(w, h) <= thin or _stroked(obj.raw):
                tall = tall or h >= settings.min_rule_extent
                wide = wide or w >= settings.min_rule_extent
            if w > thin and h > thin:
                rgb = _fill_rgb(obj.raw)
                if rgb is not None:
                    scan.fills.append(((left, top_y - top, right, top_y - bottom), rgb))
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            scan.images += 1
            left, bottom, right, top = obj.get_bounds()
            image_area = max(image_area, (right - left) * (top - bottom))
    scan.ruled = tall and wide
    chars = sum(len(b.text) for b in scan.bits)
    scan.scanned = image_area >= 0.5 * width * height and chars > 0 and invisible >= 0.5 * chars
    return scan


def _stroked(raw: object) -> bool:
    fillmode, stroke = ctypes.c_int(0), ctypes.c_int(0)
    if not pdfium_c.FPDFPath_GetDrawMode(raw, ctypes.byref(fillmode), ctypes.byref(stroke)):
        return False
    return bool(stroke.value)


def _rgb(color: object) -> RGB | None:
    """pdfplumber's non_stroking_color (gray, RGB or CMYK tuple) as RGB in 0..1."""
    if not isinstance(color, tuple | list) or not all(isinstance(c, int | float) for c in color):
        return None
    if len(color) == 1:
        return (float(color[0]),) * 3
    if len(color) == 3:
        return (float(color[0]), float(color[1]), float(color[2]))
    if len(color) == 4:
        c, m, y, k = (float(v) for v in color)
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _columns(cells: list[BBox]) -> tuple[float, ...]:
    xs = sorted({round(c[0], 1) for c in cells} | {round(c[2], 1) for c in cells})
    out: list[float] = []
    for x in xs:
        if not out or x - out[-1] > 1.0:
            out.append(x)
    return tuple(out)


def _in_box(char: dict, box: BBox) -> bool:
    # pdfplumber's own test (Table.extract): the char's middle, right/bottom edges exclusive
    h_mid, v_mid = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return box[0] <= h_mid < box[2] and box[1] <= v_mid < box[3]


def _cell_scan(chars: list[dict], bbox: BBox, settings: PdfSettings) -> CellScan:
    """The cell's text exactly as pdfplumber's table.extract gives it, plus how each printed
    line ends (END_*): with a blank, flush with the right edge, or short of it.

    Word processors break a line at a space and some (LibreOffice, Word in places) keep that
    blank in the PDF, while a word too wide for the column is split with nothing to show for
    it. The text alone cannot tell "e- downloads" from "e-downloads", "Standards -Estimate"
    from "Standards - Estimate" or "1,366,425.0"+"0" from two numbers, so the reader keeps
    these traces for join_wrapped.
    """
    from pdfplumber.utils.clustering import cluster_objects
    from pdfplumber.utils.text import WordExtractor

    if not chars:
        return CellScan(text="", bbox=bbox)
    tol_x, tol_y = settings.text_x_tolerance, settings.text_y_tolerance
    words = WordExtractor(x_tolerance=tol_x, y_tolerance=tol_y).extract_words(chars)
    lines = cluster_objects(words, lambda w: w["top"], tol_y)
    if not lines:
        return CellScan(text="", bbox=bbox)
    blanks = [c for c in chars if not c["text"].strip() and not c.get("generated")]
    size = max(float(c.get("size") or 0.0) for c in chars)
    starts = [min(w["x0"] for w in line) for line in lines]
    lasts = [max(line, key=lambda w: w["x1"]) for line in lines]
    # left-aligned: every line starts at the left padding, and they do not all end together
    left = max(starts) - min(starts) <= 1.0 and (
        len(lines) == 1 or max(w["x1"] for w in lasts) - min(w["x1"] for w in lasts) > 1.0
    )
    right_edge = bbox[2] - (min(starts) - bbox[0])  # padding taken as equal on both sides
    ends: list[str] = []
    for line_last in lasts:
        if any(
            c["x0"] >= line_last["x1"] - 0.5 and abs(c["top"] - line_last["top"]) <= tol_y
            for c in blanks
        ):
            ends.append(END_BLANK)
        elif not left:
            ends.append(END_UNKNOWN)
        elif right_edge - line_last["x1"] <= settings.split_word_slack * size:
            ends.append(END_FULL)
        else:
            ends.append(END_SHORT)
    return CellScan(
        text="\n".join(" ".join(w["text"] for w in line) for line in lines),
        bbox=bbox,
        ends=tuple(ends),
        gap_below=bbox[3] - max(w["bottom"] for w in lines[-1]),
        size=size,
        room=right_edge - lasts[-1]["x1"] if left else None,
        lead=lines[0][0]["x1"] - lines[0][0]["x0"],
    )


def plumber_pass(page: object, scan: PageScan, settings: PdfSettings) -> None:
    """Ruled tables via pdfplumber's own page parse: the fallback for pages pdf.grid cannot
    read (form XObjects)."""
    fills = [
        ((r["x0"], r["top"], r["x1"], r["bottom"]), _rgb(r.get("non_stroking_color")))
        for r in page.rects  # type: ignore[attr-defined]
        if r.get("fill")
    ]
    tables = page.find_tables(settings.table_settings())  # type: ignore[attr-defined]
    _table_scans(tables, page.chars, fills, scan, settings)  # type: ignore[attr-defined]


def grid_pass(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, scan: PageScan, settings: PdfSettings
) -> bool:
    """Ruled tables from pypdfium2's objects (pdf.grid); False when the page needs pdfplumber."""
    edges = page_edges(page)
    if edges is None:
        return False
    tables = find_tables(edges, (0.0, 0.0, scan.width, scan.height), settings.table_settings())
    if not tables:
        return True
    chars = page_chars(page, textpage, [tuple(t.bbox) for t in tables])
    found = PageScan(scan.number, scan.width, scan.height)
    _table_scans(tables, chars, list(scan.fills), found, settings)
    if any(c["soft"] for c in chars) and keeps_break_blanks(
        found.tables, settings.blank_breaks_share
    ):
        # a cell line ends in a hyphen on a page whose producer keeps the blank at a line
        # break: pdfium drops that blank, pdfminer keeps it ("e- downloads")
        return False
    scan.tables.extend(found.tables)
    return True


def _table_scans(
    tables: list, page_chars: list[dict], fills: list, scan: PageScan, settings: PdfSettings
) -> None:
    """TableScans (cell text, line ends, fills) of pdfplumber's tables on the page."""
    # characters by their vertical middle, so each row takes its own with two bisections
    id_order = {id(c): k for k, c in enumerate(page_chars)}
    ordered = sorted(page_chars, key=lambda c: (c["top"] + c["bottom"]) / 2)
    mids = [(c["top"] + c["bottom"]) / 2 for c in ordered]
    for table in tables:
        rows: list[list[CellScan]] = []
        tops: list[float] = []
        boxes: list[BBox] = []
        for row in table.rows:
            lo, hi = bisect_left(mids, row.bbox[1]), bisect_left(mids, row.bbox[3])
            # back in page order: the order pdfplumber's extraction sees
            band = sorted(range(lo, hi), key=lambda k: id_order[id(ordered[k])])
            row_chars = [c for c in (ordered[k] for k in band) if _in_box(c, row.bbox)]
            cells = []
            for bbox in row.cells:
                if bbox is None:
                    cells.append(CellScan(text="", bbox=None))
                    continue
                cell = _cell_scan([c for c in row_chars if _in_box(c, bbox)], bbox, settings)
                cell.fill = cell_fill(bbox, fills, settings.min_fill_cover)
                cells.append(cell)
                boxes.append(bbox)
            rows.append(cells)
            tops.append(row.bbox[1])
        scan.tables.append(
            TableScan(bbox=tuple(table.bbox), columns=_columns(boxes), rows=rows, row_tops=tops)
        )
