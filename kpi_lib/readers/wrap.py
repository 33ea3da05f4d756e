"""Joining a cell's or a paragraph's printed lines into its text, where a line break may fall
inside a word or a number: shared by the text readers and the PDF readers."""

from __future__ import annotations

import re

from kpi_lib.values import collapse

_HYPHENS = ("-", "\u2010")
# a number cut short by the column edge, and a whole formatted number
_NUMBER_HEAD = re.compile(r"[£$€]?-?\d[\d,]*[.,]\d*")
_NUMBER = re.compile(r"[£$€]?-?\d{1,3}(?:,\d{3})*(?:\.\d+)?%?|[£$€]?-?\d+(?:\.\d+)?%?")
_CODE = re.compile(r"(?=[A-Za-z]*\d)[A-Z][A-Za-z]{0,5}[\d.-]*\d[a-z]?")
_NO_WORD_STARTS = tuple(".,;:%)]}\u2019")


def _word_split(line: str, nxt: str) -> bool:
    """A line of one word filling the column, followed by what cannot start a word of its own
    (".", "%", ")") or by the rest of a formatted number ("1,366,425.0" + "0"): the word
    processor split a word too wide for the column."""
    if " " in line:
        return False
    if nxt.startswith(_NO_WORD_STARTS):
        return True
    tail = nxt.split(" ", 1)[0]
    if _CODE.fullmatch(line) and _CODE.fullmatch(line + tail) and " " not in nxt:
        return True  # a reference code cut by a narrow column ("HO10" + "1")
    return bool(_NUMBER_HEAD.fullmatch(line) and _NUMBER.fullmatch(line + tail))


def join_wrapped(lines: list[str], ends: tuple[str, ...] = (), blank_breaks: bool = False) -> str:
    """Join a cell's (or heading's) printed lines into its text.

    Without more to go on, a line ending in a hyphen attached to a word continues that word
    ("face-to-" + "face"); otherwise lines join with a space. `ends` (pdf.model.END_* per line,
    from the geometry) says more: a blank kept after a line means a break at a space; a line of
    one word flush with the edge may be a word split by the column. `blank_breaks`: the
    document keeps such blanks, so a hyphen ending a line short of the edge with no blank was
    a break inside a word ("Standards -" + "Estimate" is "Standards -Estimate").
    """
    out = prev = end = ""
    for i, raw in enumerate(lines):
        line = collapse(raw)
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("\u00ad"):  # soft hyphen: Word's optional break
            out = out[:-1] + line
        elif end == " ":  # END_BLANK
            out += " " + line
        elif out.endswith(_HYPHENS) and len(out) >= 2 and out[-2].isalnum():
            out += line
        elif out.endswith(_HYPHENS) and blank_breaks and end == "<":  # END_SHORT
            out += line
        elif end == "|" and _word_split(prev, line):  # END_FULL
            out += line
        else:
            out += " " + line
        prev, end = line, ends[i] if i < len(ends) else ""
    return out
