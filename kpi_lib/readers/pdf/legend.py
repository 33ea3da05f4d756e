"""The report's own RAG key: coloured swatches printed next to the words they stand for.

Most reports colour RAG cells in something near red, amber and green, and the hue rule
(pdf.tables.rag_from_fill) reads them. A council may pick its own colours (a blue for "on
target", a purple for "requires improvement"); when it prints a key - a small filled box
beside "Green", "Achieving the target", "Slightly below", "Requires improvement" - the key is
the authority: a cell filled with a key colour takes that status.
"""

from __future__ import annotations

import re

from kpi_lib.readers.pdf.model import RGB, PageScan

# The words a key prints beside each colour (the labels of the published reports).
_MEANINGS = (
    ("Green", re.compile(r"\bgreen\b|achiev|meeting|exceed|on target", re.I)),
    ("Amber", re.compile(r"\bamber\b|slightly below", re.I)),
    ("Red", re.compile(r"\bred\b|significantly below|requires improvement|recovery", re.I)),
)
_MAX_SWATCH = 30.0  # pt: a key's swatch is small, a cell or shaded row is not
_REACH = 200.0  # pt: how far right of the swatch its words may start


def rag_key(scans: list[PageScan]) -> dict[str, RGB]:
    """RAG status -> the colour the report's key gives it (first key found wins)."""
    key: dict[str, RGB] = {}
    for scan in scans:
        tables = [t.bbox for t in scan.tables]
        for (x0, top, x1, bottom), rgb in scan.fills:
            if not (2.0 <= x1 - x0 <= _MAX_SWATCH and 2.0 <= bottom - top <= _MAX_SWATCH):
                continue
            cx, cy = (x0 + x1) / 2, (top + bottom) / 2
            if any(a <= cx <= c and b <= cy <= d for a, b, c, d in tables):
                continue  # a cell's own fill, not a key
            words = " ".join(
                b.text
                for b in sorted(scan.bits, key=lambda b: b.x0)
                if b.top - 2 <= cy <= b.bottom + 2 and x1 <= b.x0 <= x1 + _REACH
            )
            found = [rag for rag, pattern in _MEANINGS if pattern.search(words)]
            if len(found) == 1 and found[0] not in key:
                key[found[0]] = rgb
    return key


def rag_from_key(rgb: RGB, key: dict[str, RGB], tolerance: float = 0.12) -> str | None:
    """The status whose key colour is nearest `rgb`, if within `tolerance` (RGB distance)."""
    best, dist = None, tolerance
    for rag, ref in key.items():
        d = sum((a - b) ** 2 for a, b in zip(rgb, ref, strict=True)) ** 0.5
        if d <= dist:
            best, dist = rag, d
    return best
