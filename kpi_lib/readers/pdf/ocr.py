"""Numbers read by OCR: fixed only where the fix is the one possible reading, else reported.

OCR confuses look-alike characters in figures: O and o for 0, l, I and | for 1, S and s for
5, and it splits a number with a stray space ("2,655, 636.0"). A Latest Value cell of a
scanned report is taken as a number only when it is one already, or becomes a well-formed one
(separators every three digits, one decimal point) by those swaps alone, with at least one
real digit in it. Anything else ("2:10", "7 5", "1O.S%x") is not guessed at: the caller
reports the cell.
"""

from __future__ import annotations

import re

from kpi_lib.values import collapse

# what OCR makes of a cell's border ("| 42.4", "42.4 |") and of a tick or cross printed next to
# the figure ("95.2 v", "95.2 /", "88 x"): marks standing apart from the number, never digits
_EDGE = re.compile(r"^[|\[\]¦!]\s+|\s+[|\[\]¦]$")
_MARK_AFTER = re.compile(r"\s+(?:[vVyY/JxX✓✔✗✘×]|\\/)$")
_SWAPS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "s": "5"})
_FORMED = re.compile(r"[£$]?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
_CANDIDATE = re.compile(r"[£$]?-?[\dOolI|Ss,. ]+%?")


def strip_marks(cell: str) -> str:
    """The cell without a border read at its edge or a status glyph read after the figure;
    only a mark standing apart (a space between) is taken off, so "1 42" stays ambiguous."""
    for _ in range(2):
        cell = _MARK_AFTER.sub("", _EDGE.sub("", cell)).strip()
    return cell


def ocr_number(text: str) -> tuple[float | None, bool]:
    """(the value, whether the cell has digits but no unambiguous number: to be reported)."""
    cell = strip_marks(collapse(text).replace("\u2212", "-"))
    if not cell:
        return None, False
    has_digit = any(ch.isdigit() for ch in cell)
    if not has_digit:
        # words ("TBC", "N/A") are a cell's own text; bare marks ("-", "~") may be a number
        # OCR could not read
        return None, not re.search(r"[A-Za-z]{2}", cell)
    if not _CANDIDATE.fullmatch(cell):
        return None, True
    fixed = cell.translate(_SWAPS)
    joined = fixed.replace(" ", "")
    # a stray space is unambiguous only where it splits digit groups, not two numbers
    if " " in fixed and not re.fullmatch(r"[£$]?-?[\d,]*\d[,.]? ?[\d,.]*%?", fixed):
        return None, True
    if " " in fixed and _FORMED.fullmatch(fixed.split(" ")[0]) and "," not in joined:
        return None, True  # "7 5": two numbers, or one with a lost point - no telling
    if not _FORMED.fullmatch(joined):
        return None, True
    number = joined.lstrip("£$").rstrip("%").replace(",", "")
    return float(number), False
