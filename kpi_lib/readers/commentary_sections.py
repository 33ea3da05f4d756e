"""Sections of a report's commentary that head an indicator of their own, and the leftovers of
the word processor that are not commentary at all.

A published report prints some KPIs with their table as an image: the text extraction keeps
the heading and the prose ("Highways condition and maintenance score", "Number of complaints
upheld by the Ombudsman.") but no KPI row. Such a section is found by its place (a title-like
line standing alone, followed by prose or by Issues / Causes / Actions) and by naming none of
the KPIs of the table above it; its text is about none of them. Each one is kept as an
`Untabled` section, so a report never drops an indicator in silence: the figures its prose
gives ("89.14% against 90.0%", "a score of 9.8 out of 10") are quoted beside its heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi_lib.values import collapse

# words that make a line a sentence rather than a title ("This indicator is under review.")
_FINITE = frozenset(
    "is are was were has have had will would can could should may might must shall do does "
    "did been being be remains remain continues continue shows show we our it this these "
    "there".split()
)
_OPEN_ENDED = frozenset("and or of the for to with in on by from a an".split())
_FIGURE = re.compile(r"[£$€]\s?\d|\d(?:[.,]\d+)?\s?%")
_MAX_TITLE_WORDS = 16
MIN_INDICATOR_WORDS = 3  # "Size of Care Market Workforce"; "Benchmarking" is a topic, not a KPI
_ASIDE = re.compile(r"\s*\([^()]{1,40}\)\s*$")

# value and target in one phrase: "89.14% against 90.0%", "a score of 9.8 out of 10"
_NUM = r"[£$€]?\d[\d,]*(?:\.\d+)?\s?(?:%|m\b|k\b|bn\b)?"
_VALUE_TARGET = [
    re.compile(
        rf"(?P<value>{_NUM})\s+against\s+(?:a\s+|the\s+|our\s+)?(?:target\s+(?:of\s+)?)?"
        rf"(?P<target>{_NUM})",
        re.I,
    ),
    re.compile(
        rf"(?P<value>(?:an?\s+)?(?:score|rating|total)\s+of\s+{_NUM})\s+out\s+of\s+"
        rf"(?P<target>{_NUM})",
        re.I,
    ),
    re.compile(
        rf"(?P<value>{_NUM})\s+(?:compared\s+(?:to|with)|versus|vs\.?)\s+(?:a\s+|the\s+)?"
        rf"target\s+(?:of\s+)?(?P<target>{_NUM})",
        re.I,
    ),
]
# "The graph below shows the trend ..." with the graph an image the extraction lost
_ANNOUNCE = re.compile(
    r"(?:^|(?<=[.!?]\s))(?:the|this|a)\s+(?:graph|chart|figure|diagram|map|table|image)s?\s+"
    r"(?:below|overleaf|that follows)\b[^.!?]*[.!?]?",
    re.I,
)


@dataclass
class Untabled:
    """A section that heads an indicator printed without a KPI table."""

    heading: str
    source_line: int  # 1-based line of the heading (of the page, for a PDF)
    source_page: int | None = None
    text: str = ""  # its commentary, for the figures it quotes

    def figure(self) -> str:
        """The value and target the section's prose gives, as printed; "" if none."""
        return figure_phrase(self.text)

    def message(self) -> str:
        said = self.figure()
        gives = f"; its text gives {said}" if said else ""
        return (
            f"section '{self.heading}' has commentary but no KPI table (an image in the "
            f"published report?){gives}"
        )


def figure_phrase(text: str) -> str:
    """The first "value against target" phrase of a text, as printed ("89.14% against
    90.0%", "9.8 out of 10"); "" when the text gives none."""
    found = []
    for pat in _VALUE_TARGET:
        m = pat.search(text)
        if m:
            found.append((m.start(), m))
    if not found:
        return ""
    m = min(found, key=lambda f: f[0])[1]
    return collapse(text[m.start("value") : m.end("target")])


def title_like(text: str) -> bool:
    """A line that reads as a title, not a sentence: at most 16 words, opening with a capital,
    no clause punctuation, no figures and no finite verb ("is", "has", "will" ...); a single
    closing full stop is allowed ("Number of complaints upheld by the Ombudsman.")."""
    t = text.strip()
    if not t or not t[0].isupper() or t.endswith((",", ":", ";", "?", "!", "-", "\u2013")):
        return False
    body = t[:-1] if t.endswith(".") else t
    if re.search(r"[.:;!?](?:\s|$)", body) or _FIGURE.search(body):
        return False
    words = re.findall(r"[A-Za-z']+", body.lower())
    if words and words[-1] in _OPEN_ENDED:  # "... within 6 months, and": a title goes on
        return False
    return 0 < len(body.split()) <= _MAX_TITLE_WORDS and not _FINITE.intersection(words)


def indicator_words(heading: str) -> int:
    """Words of a heading without its closing aside ("Economic impact index (EI)": 3)."""
    return len(_ASIDE.sub("", heading).split())


def without_aside(heading: str) -> str:
    return _ASIDE.sub("", heading).strip() or heading


def drop_leftovers(text: str) -> str:
    """A line without its sentences announcing a graph, chart or table below, which the
    extraction did not keep: they are not commentary. (Word's bookmarks, "[bookmark:
    _Int_HXb1eoEk]", are dropped with the rest of the markup: textdoc.strip_markup.)"""
    return collapse(_ANNOUNCE.sub(" ", text)) if _ANNOUNCE.search(text) else text


def announces_missing(text: str) -> bool:
    """Is the whole line a sentence announcing a graph/table below ("The graph below shows
    the trend in sickness absence since April 2021.")?"""
    m = _ANNOUNCE.search(text.strip())
    return bool(m) and m.start() == 0 and m.end() >= len(text.strip()) - 1
