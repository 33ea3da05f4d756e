"""Which council a document names in its title lines ("Blackburn with Darwen Borough Council").

Used by the store to tell a report filed under one council that another council published: it
reads the opening lines only, where a report states whose it is, so a mention of a
neighbouring council in the commentary is never taken for the publisher.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

TITLE_LINES = 25  # a report says whose it is on its first lines (cover, title, heading)
# "<place> [County|Borough|...] Council": the council types English councils print
TYPES = ("Metropolitan Borough", "Metropolitan District", "County", "Borough", "City", "District")
# capitalised words that open a title but never a place name
_NOT_PLACE = {
    "the",
    "a",
    "an",
    "report",
    "reports",
    "performance",
    "corporate",
    "cabinet",
    "committee",
    "quarter",
    "quarterly",
    "annual",
    "full",
    "meeting",
    "of",
    "for",
    "by",
    "to",
    "and",
    "on",
    "kpi",
    "appendix",
    "monitoring",
    "agenda",
    "minutes",
    "town",
    "parish",
    "our",
    "this",
    "your",
}
_JOINERS = {"with", "upon", "on", "and", "under", "in", "of", "le", "the"}
_COUNCIL = re.compile(r"\bCouncil\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.\-]*")


def council_named(text: str, lines: int = TITLE_LINES) -> str | None:
    """The first council the opening `lines` non-empty lines name, as "<place> <type> Council",
    or None when they name none."""
    opening = [ln for ln in text.splitlines() if ln.strip()][:lines]
    for line in opening:
        for m in _COUNCIL.finditer(line):
            name = _name_before(line[: m.start()])
            if name:
                return name
    return None


def _name_before(text: str) -> str:
    """The place and council type just before "Council" in `text` ("" when none)."""
    words = _WORD.findall(text)
    kind: list[str] = []
    for t in TYPES:
        parts = t.split()
        if len(words) >= len(parts) and words[-len(parts) :] == parts:
            kind, words = parts, words[: -len(parts)]
            break
    place: list[str] = []
    for w in reversed(words):
        low = w.lower()
        if low in _JOINERS and place:
            place.insert(0, w)
            continue
        if not w[0].isupper() or low in _NOT_PLACE or len(place) >= 6:
            break
        place.insert(0, w)
    while place and place[0].lower() in _JOINERS:
        place.pop(0)
    if not place:
        return ""
    return " ".join([*place, *kind, "Council"])


def place_of(name: str) -> str:
    """A council's place words, lower-case ("blackburn with darwen"), for comparing names
    printed with or without the council type."""
    words = [w.lower() for w in _WORD.findall(name)]
    drop = {"council", "metropolitan", *(t.lower() for t in TYPES)}
    return " ".join(w for w in words if w not in drop)


def opening_text(path: Path, data: bytes) -> str:
    """The text a report opens with: a text file's first lines, a PDF's first page."""
    if data[:5] == b"%PDF-":
        import pdfplumber  # only for PDFs, and only their first page

        try:  # from the bytes ingest read: the file is never opened again
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                return (pdf.pages[0].extract_text() or "") if pdf.pages else ""
        except Exception:  # noqa: BLE001 - an unreadable PDF is the reader's to report
            return ""
    return data[:20000].decode("utf-8", errors="replace")
