"""Ruled tables from pypdfium2's page objects, found by pdfplumber's own table finder.

pdfplumber's page parse (pdfminer interpreting every content stream in Python) was nearly all
the time of a cold read, yet the table finder needs only the page's edges, and the cell text
only its characters. pypdfium2 (C) already has the page open for the text layout, so this
module reads the edges (every straight segment of every path, as pdfminer would give them) and
the characters from it, and hands the edges to pdfplumber.table.TableFinder through a minimal
page stand-in: the same algorithm, settings and cells, at a fraction of the cost.

Equivalences: pdfminer turns a path into lines, rectangles and curves whose edges are its
straight segments; here every segment of every path is an edge directly (a rectangle's four
sides, a line's one). Character boxes are pdfium's loose boxes: horizontally the same as
pdfminer's (origin to advance); vertically the baseline and one font size above it.
Pages holding form XObjects (nested coordinate spaces) return None, and the caller falls back
to pdfplumber for them, as for a table cell with a line ending in a hyphen: pdfium drops the
blank a word processor keeps after it, which tells "e- downloads" from "e-downloads".
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Edge = dict[str, Any]
# pdfium marks a hyphen that ends a line (FPDFText's "soft" hyphen) with these
_HYPHEN = {"\ufffe": "-", "\x02": "-"}


def _points(raw: object, matrix: tuple[float, ...], top_y: float) -> list[list[tuple]]:
    """The path's subpaths as lists of points (page coordinates, y from the top)."""
    a, b, c, d, e, f = matrix
    subpaths: list[list[tuple[float, float]]] = []
    x, y = ctypes.c_float(0), ctypes.c_float(0)
    for i in range(pdfium_c.FPDFPath_CountSegments(raw)):
        seg = pdfium_c.FPDFPath_GetPathSegment(raw, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y)):
            continue
        px, py = a * x.value + c * y.value + e, b * x.value + d * y.value + f
        point = (px, top_y - py)
        if pdfium_c.FPDFPathSegment_GetType(seg) == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
        else:
            subpaths[-1].append(point)
        if pdfium_c.FPDFPathSegment_GetClose(seg) and subpaths[-1]:
            subpaths[-1].append(subpaths[-1][0])
    return subpaths


def _edge(p0: tuple[float, float], p1: tuple[float, float]) -> Edge | None:
    (x0, y0), (x1, y1) = p0, p1
    if abs(x0 - x1) < 0.01 and abs(y0 - y1) >= 0.01:
        orientation = "v"
    elif abs(y0 - y1) < 0.01 and abs(x0 - x1) >= 0.01:
        orientation = "h"
    else:
        return None  # a point or a slanted stroke: no table rule
    left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    if orientation == "v":
        left = right = x0
    else:
        top = bottom = y0
    return {
        "object_type": "line",
        "orientation": orientation,
        "x0": left,
        "x1": right,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": right - left,
        "height": bottom - top,
    }


def page_edges(page: pdfium.PdfPage) -> list[Edge] | None:
    """Every horizontal and vertical segment drawn on the page; None if the page has form
    XObjects (their objects live in nested coordinate spaces)."""
    top_y = page.get_mediabox()[3]
    edges: list[Edge] = []
    for obj in page.get_objects(max_depth=0):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            return None
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        matrix = obj.get_matrix().get()
        for sub in _points(obj.raw, matrix, top_y):
            for p0, p1 in zip(sub, sub[1:], strict=False):
                edge = _edge(p0, p1)
                if edge is not None:
                    edges.append(edge)
    return edges


def page_chars(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, boxes: list[tuple] | None = None
) -> list[dict[str, Any]]:
    """The page's characters (inside `boxes`, if given) as pdfplumber-style dicts (text, x0,
    x1, top, bottom, size, upright, generated, soft), without the line breaks pdfium makes up.
    One box call per character first: the other calls only for characters inside a box."""
    top_y = page.get_mediabox()[3]
    n = textpage.count_chars()
    text = textpage.get_text_range(0, n) if n else ""
    raw = textpage.raw
    if len(text) != n:  # surrogate pairs: fall back to one call per character
        text = "".join(textpage.get_text_range(i, 1) or "\ufffd" for i in range(n))
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    get_box = pdfium_c.FPDFText_GetLooseCharBox  # bound once: called for every character
    ox, oy = ctypes.c_double(0), ctypes.c_double(0)
    matrix = pdfium_c.FS_MATRIX()
    chars: list[dict[str, Any]] = []
    size = 0.0
    # the boxes in pdfium's bottom-up coordinates, padded: a cheap test per character
    near = [(x0 - 2, top_y - b - 2, x1 + 2, top_y - t + 2) for x0, t, x1, b in boxes or []]
    low = min((b[1] for b in near), default=0.0)
    high = max((b[3] for b in near), default=0.0)
    for i in range(n):
        ch = text[i]
        if ch == "\r" or ch == "\n":
            continue
        get_box(raw, i, rect_ref)
        left, right = rect.left, rect.right
        if boxes is not None:
            mid_y = (rect.top + rect.bottom) / 2
            if mid_y < low or mid_y > high:
                continue
            mid_x = (left + right) / 2
            for x0, y0, x1, y1 in near:
                if x0 <= mid_x <= x1 and y0 <= mid_y <= y1:
                    break
            else:
                continue
        ch = _HYPHEN.get(ch, ch)
        generated = pdfium_c.FPDFText_IsGenerated(raw, i) == 1
        if generated and ch != " ":
            continue
        pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(ox), ctypes.byref(oy))
        if not generated:  # a made-up space has no font: it takes its neighbour's size
            size = pdfium_c.FPDFText_GetFontSize(raw, i)
            # the Tf size times the text and page matrices' scale, as pdfminer has it
            if pdfium_c.FPDFText_GetMatrix(raw, i, ctypes.byref(matrix)):
                size *= math.hypot(matrix.c, matrix.d)
            size = round(size, 4)
        base = top_y - oy.value
        chars.append(
            {
                "text": ch,
                "x0": left,
                "x1": right,
                "top": base - size,
                "bottom": base,
                "doctop": base - size,
                "size": size,
                "upright": True,
                # a space pdfium inferred from the gap (some producers map a glyph to
                # "x " instead of drawing a space): it parts words, but is no kept blank
                "generated": generated,
                # a hyphen ending a line: pdfium drops the blank a producer may have kept
                # after it, so the line's end cannot be told from these characters
                "soft": ch != text[i],  # (only the hyphen marks are mapped)
                "width": right - left,
                "height": size,
            }
        )
    return _place_made_up_spaces(chars)


def _place_made_up_spaces(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each space pdfium made up in the gap it stands for (its own box is unreliable),
    and drop it where the characters either side leave no gap."""
    out: list[dict[str, Any]] = []
    for i, c in enumerate(chars):
        if not c["generated"]:
            out.append(c)
            continue
        prev = next((p for p in reversed(out) if not p["generated"]), None)
        nxt = next((n for n in chars[i + 1 :] if not n["generated"]), None)
        if prev is None or nxt is None or abs(nxt["bottom"] - prev["bottom"]) > 0.5:
            continue  # at a line's end: nothing to part
        if nxt["x0"] <= prev["x1"]:
            continue
        x = (prev["x1"] + nxt["x0"]) / 2
        out.append({**c, "x0": x, "x1": x, "width": 0.0})
    return out


class _Page:
    """What pdfplumber's TableFinder reads of a page."""

    def __init__(self, edges: list[Edge], bbox: tuple[float, float, float, float]):
        self.edges = edges
        self.bbox = bbox


def find_tables(edges: list[Edge], bbox: tuple, table_settings: dict[str, Any]) -> list[Any]:
    """pdfplumber's tables (cells, rows, bbox) for the given edges."""
    from pdfplumber.table import TableFinder

    return TableFinder(_Page(edges, bbox), table_settings).tables  # type: ignore[arg-type]
