"""Where a table sits in a text report: its KPI heading and the priority section above it.

Reports use the same markdown levels for priority sections and KPI headings, so
sections are recognised by what they say (the introduction's list of priorities,
or a "This section ..." paragraph), never by level alone. OCR junk between a
heading and its table (page numbers, stray symbols) is skipped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from kpi_lib.readers.headers import norm, similarity
from kpi_lib.readers.textdoc import strip_markup

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*\S)\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)\1\s*$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf]|\d{1,2}[.)])\s+(.*\S)\s*$")
_PAGE_NO = re.compile(
    r"(?i)^\s*(?:page\s*)?[-\u2013(\[]?\s*\d{1,4}\s*[-\u2013)\]]?\s*(?:(?:of|/)\s*\d{1,4})?\s*$"
)
_LIST_INTRO = re.compile(
    r"(?i)\b(?:sections?|priorit(?:y|ies)|objectives?|ambitions?|themes?)\b.*:\s*$"
)
_THIS_SECTION = re.compile(r"(?i)^\s*this section\b")
_SUBSECTION = re.compile(r"(?i)^\s*this section is (?:divided|split)\b")
_KEY_FOR = re.compile(r"(?i)^\s*key for performance\b")
# commentary labels under a table are headings in form but never a KPI's name
_LABEL = re.compile(
    r"(?i)^(?:(?:ongoing|short[- ]term|long[- ]term|next|key)\s+)?"
    r"(?:issues?|causes?|actions?|issues?\s*/\s*causes?|commentary|benchmark\w*)\s*:?$"
)
SECTION_SIMILARITY = 0.85
_MAX_HEADING = 160


def is_blankish(line: str) -> bool:
    return not line.replace("\u00a0", " ").strip()


def is_junk(line: str) -> bool:
    """Blank-ish lines, page numbers ("3", "- 3 -", "Page 3 of 20") and stray symbols."""
    text = line.replace("\u00a0", " ").strip()
    if not text:
        return True
    if _PAGE_NO.match(text):
        return True
    # stray marks, also an OCR'd row of empty cells holding a mark or two ("\t\tJ -\t\t")
    text = " ".join(text.split())
    return len(text) <= 8 and sum(c.isalnum() for c in text) <= (1 if "\t" in line else 0)


def heading_level(line: str) -> int | None:
    """1-6 for a markdown heading, 7 for a whole-line bold heading, None otherwise."""
    if _MD_HEADING.match(line):
        return len(_MD_HEADING.match(line).group(1))
    if _BOLD_LINE.match(line) and "\t" not in line:
        return 7
    return None


def clean_heading(text: str) -> str:
    """Markup stripped, whitespace collapsed, trailing full stop dropped."""
    return strip_markup(text).rstrip(" .").strip()


def heading_text(line: str) -> str | None:
    """The text of a markdown or whole-line bold heading, else None."""
    if heading_level(line) is None:
        return None
    text = clean_heading(line)
    return text or None


def is_label(text: str) -> bool:
    return bool(_LABEL.match(text.strip()))


def _plain_continuation(line: str) -> bool:
    """A short unmarked line that can finish a heading wrapped onto two lines."""
    text = line.strip()
    return (
        bool(text)
        and "\t" not in line
        and not _BULLET.match(line)
        and heading_level(line) is None
        and len(text) <= 100
        and not text.endswith((":", ";"))
        and ". " not in text
        and not is_junk(line)
    )


def table_heading(lines: list[str], header: int) -> str:
    """The nearest heading above the table whose header is lines[header] (0-based).

    Junk lines and commentary labels are skipped; a heading wrapped over two lines
    (two heading lines, or a heading plus an unmarked continuation) is joined.
    """
    i = header - 1
    while i >= 0 and is_junk(lines[i]):
        i -= 1
    if i >= 1 and _plain_continuation(lines[i]) and heading_text(lines[i - 1]):
        first = heading_text(lines[i - 1]) or ""
        if not is_label(first):
            return clean_heading(f"{first} {lines[i].strip()}")
    if i >= 0 and heading_level(lines[i]) is None and (plain := _plain_heading(lines, i)):
        return plain
    while i >= 0:
        text = heading_text(lines[i])
        if text and not is_label(text):
            level = heading_level(lines[i])
            if i >= 1 and heading_level(lines[i - 1]) == level:
                above = heading_text(lines[i - 1]) or ""
                if above and not is_label(above) and len(above) + len(text) <= _MAX_HEADING:
                    return clean_heading(f"{above} {text}")
            return text
        i -= 1
    return ""


_JOINS = (" and", " or", ",", "&", "\u2013", "-")
_MAX_PLAIN_HEADING = 200


def _plain_line(lines: list[str], i: int) -> str | None:
    """A one-sentence unmarked line standing alone between blank lines (a plain-text report's
    heading), without its closing full stop; None for prose, bullets, labels and junk."""
    line = lines[i]
    text = line.strip()
    if (
        not text
        or "\t" in line
        or _BULLET.match(line)
        or is_junk(line)
        or len(text) > _MAX_PLAIN_HEADING
        or text.endswith((":", ";"))
        or ". " in text
        or not (i == 0 or is_blankish(lines[i - 1]))
        or not (i + 1 >= len(lines) or is_blankish(lines[i + 1]))
    ):
        return None
    text = clean_heading(text)
    return None if not text or is_label(text) else text


def _plain_heading(lines: list[str], i: int) -> str | None:
    """The plain heading at lines[i], joined with the one above when that ends mid-phrase
    ("... within 6 months, and" / "Successful completion of ...")."""
    text = _plain_line(lines, i)
    if text is None:
        return None
    j = i - 1
    while j >= 0 and is_blankish(lines[j]):
        j -= 1
    if j >= 0 and i - j <= 2 and lines[j].rstrip().endswith(_JOINS):
        above = _plain_line(lines, j)
        if above and len(above) + len(text) < _MAX_PLAIN_HEADING:
            return clean_heading(f"{above} {text}")
    return text


def priority_names(lines: list[str]) -> list[str]:
    """Items of the lists that introduce the report's priorities/sections/objectives."""
    names: list[str] = []
    for i, line in enumerate(lines):
        if _BULLET.match(line) or not _LIST_INTRO.search(strip_markup(line)):
            continue
        j = i + 1
        while j < len(lines) and is_blankish(lines[j]):
            j += 1
        while j < len(lines):
            m = _BULLET.match(lines[j])
            if m:
                item = strip_markup(m.group(1)).rstrip(" ;.,")
                if item and len(item.split()) <= 12:
                    names.append(item)
            elif not is_blankish(lines[j]):
                break
            j += 1
    return names


def _standalone(lines: list[str], i: int) -> str | None:
    """A short unmarked line with blank lines around it: a heading in a plain-text report."""
    line = lines[i]
    text = line.strip()
    if not text or "\t" in line or _BULLET.match(line) or is_junk(line) or len(text) > 100:
        return None
    if text.endswith((".", ":", ";", ",", "-", "\u2013", "\u2014")):
        return None
    before = i == 0 or is_blankish(lines[i - 1])
    after = i + 1 >= len(lines) or is_blankish(lines[i + 1])
    return strip_markup(text) if before and after else None


def _next_text(lines: list[str], i: int) -> str:
    for j in range(i + 1, min(len(lines), i + 6)):
        if not is_blankish(lines[j]):
            return lines[j]
    return ""


@dataclass
class SectionIndex:
    """The priority section in force at each line of a document."""

    starts: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def at(self, index: int) -> str:
        """The section of 0-based line `index` ("" before the first section)."""
        k = bisect_right(self.starts, index) - 1
        return self.names[k] if k >= 0 else ""


def find_sections(lines: list[str]) -> SectionIndex:
    """Sections are headings (or standalone lines) naming one of the introduced priorities;
    without such a list, headings followed by a "This section ..." paragraph or a
    performance key (a deeper heading with that paragraph inside a section is a subsection)."""
    priorities = [norm(p) for p in priority_names(lines)]
    out = SectionIndex()
    levels: list[int] = []
    for i, line in enumerate(lines):
        text = heading_text(line) or _standalone(lines, i)
        if not text or is_label(text):
            continue
        if priorities:
            n = norm(text)
            if any(similarity(n, p) >= SECTION_SIMILARITY for p in priorities):
                out.starts.append(i)
                out.names.append(text)
            continue
        nxt = _next_text(lines, i)
        if not (_THIS_SECTION.match(nxt) or _KEY_FOR.match(nxt)) or _SUBSECTION.match(nxt):
            continue
        level = heading_level(line) or 8
        if levels and level > levels[-1] and level <= 6:
            continue
        out.starts.append(i)
        out.names.append(text)
        levels.append(level)
    return out
