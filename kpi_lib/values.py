"""Cell-level parsing shared by every reader: whitespace, numbers, RAG glyphs."""

from __future__ import annotations

import calendar
import re
import unicodedata

_WS = re.compile(r"\s+")


# The one month table: full names, three-letter abbreviations and 'sept' -> month number.
MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    MONTHS[calendar.month_name[_i].lower()] = _i
    MONTHS[calendar.month_abbr[_i].lower()] = _i
MONTHS["sept"] = 9
# A regex alternation of every month name (longest first, so "june" wins over "jun").
MONTH_PATTERN = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"


def collapse(text: object) -> str:
    """Text as printed, with runs of whitespace (incl. non-breaking) collapsed to one space."""
    if text is None:
        return ""
    return _WS.sub(" ", str(text).replace("\u00a0", " ")).strip()


# Cyrillic letters OCR returns for Latin ones: "TBC" set in small capitals comes back as "твс".
_LOOKALIKE = str.maketrans(
    "АВЕКМНОРСТУХаеорсухкмнтві",
    "ABEKMHOPCTYXaeopcyxkmhtbi",
)
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")


def read_as_latin(text: str) -> str:
    """Cyrillic look-alikes read as the Latin letters an English report printed. A word wholly
    of them was capitals OCR took for Cyrillic lower case (small caps), so it is upper-cased;
    a stray one inside a Latin word keeps its case."""
    if not _CYRILLIC_WORD.search(text):
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        latin = w.translate(_LOOKALIKE)
        if _CYRILLIC_WORD.search(latin):
            return w  # not a look-alike: left as printed
        whole = (m.start() == 0 or not text[m.start() - 1].isalpha()) and (
            m.end() == len(text) or not text[m.end()].isalpha()
        )
        return latin.upper() if whole else latin

    return _CYRILLIC_WORD.sub(word, text)


# the first word of a polarity as councils print it: "High", "Higher is better", "Bigger is
# better", "Smaller is better", "Lower is good", "Increase", "Minimise" (OCR clips "High" to "Hig")
_HIGH_WORDS = ("hig", "bigger", "larger", "greater", "increas", "maximi")
_LOW_WORDS = ("low", "smaller", "decreas", "reduc", "minimi")
_HIGH_EXACT = {"more", "up", "upward", "upwards"}
_LOW_EXACT = {"less", "fewer", "down", "downward", "downwards"}


def polarity(good_is: object) -> str:
    """ "Good Is" as printed -> High / Low / Other / "". The one normaliser: the direction is
    the first word ("Higher is better", "Smaller is better"); "Not Appropriate", "On target"
    and the like say no direction (Other)."""
    g = collapse(good_is).lower()
    if not g:
        return ""
    first = re.split(r"[^a-z]+", g, maxsplit=1)[0]
    if first.startswith(_HIGH_WORDS) or first in _HIGH_EXACT:
        return "High"
    if first.startswith(_LOW_WORDS) or first in _LOW_EXACT:
        return "Low"
    return "Other"


# RAG glyphs as text extraction and OCR render them: ✓ on track, ! at risk, ✗ off track.
RAG_GLYPHS: dict[str, str] = {
    "\u2713": "Green",  # ✓
    "\u2714": "Green",  # ✔
    "~": "Green",
    "!": "Amber",
    "\u012f": "Amber",  # į
    "\u012f.": "Amber",
    "\u2717": "Red",  # ✗
    "\u2718": "Red",  # ✘
    "\u00d7": "Red",  # ×
    "X": "Red",
    "x": "Red",
}
# glyphs OCR makes of the printed ones: a status read from one is marked as such (the reading
# may be wrong), with the glyph it stands for
RAG_LOOKALIKES: dict[str, str] = {
    "~": "\u2713",
    "\u012f": "!",
    "\u012f.": "!",
    "X": "\u2717",
    "x": "\u2717",
}


def rag_read_from(cell: object, status: object) -> str:
    """How a printed status was read, for a table's `reported_rag_from` column: "glyph '~' (OCR
    look-alike of ✓)", "glyph '✓'", "word 'Amber'"; "" for no status or an unknown cell (a
    PDF's cell colour leaves no text)."""
    text, rag = collapse(cell), collapse(status)
    if not rag:
        return ""
    if not text:
        return "cell colour" if rag else ""
    key = text if text in RAG_GLYPHS else text.rstrip(".").strip()
    if key in RAG_LOOKALIKES:
        return f"glyph '{text}' (OCR look-alike of {RAG_LOOKALIKES[key]})"
    if key in RAG_GLYPHS:
        return f"glyph '{text}'"
    return f"word '{text}'"


_RAG_WORDS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "g": "Green",
    "a": "Amber",
    "r": "Red",
}


def rag_from_text(text: object) -> str | None:
    """Map a RAG cell to Green/Amber/Red, "" for an empty cell, None for an unknown glyph.

    None is deliberate: callers must report it as a warning with its place, never guess.
    """
    cell = collapse(text)
    if not cell:
        return ""
    if cell in RAG_GLYPHS:
        return RAG_GLYPHS[cell]
    stripped = cell.rstrip(".").strip()
    if stripped in RAG_GLYPHS:
        return RAG_GLYPHS[stripped]
    return _RAG_WORDS.get(cell.lower())


# A figure as prose and target text print it (1,234.5 or 1234.5), for the tokenizers of targets and
# commentary claims; a table cell is more forgiving (_NUMBER: "3, 629,829" from OCR).
FIGURE = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# what a scale word after a figure multiplies it by (£7.989m, 12k, 1.2 billion); ints keep Decimal
# arithmetic exact
SCALE: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}

_NUMBER = re.compile(
    r"(?<![\w/.])(?P<sign>[-\u2212])?(?P<cur>£)?\s?"
    r"(?P<num>\d{1,3}(?:,\s?\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?![\w/]|\.\d)"
)
_PERIODISH = re.compile(rf"(?i)\b(?:q[1-4]|{MONTH_PATTERN})\b\.?\s*$")
_FOLLOWED_BY_PERIOD = re.compile(rf"(?i)^\s*(?:to|-|–)\s*(?:{MONTH_PATTERN}|\d{{4}})")
_PARENS = re.compile(r"\([^()]*\)")


def parse_number(text: object) -> float | None:
    """A clean numeric cell (`93.45`, `2,655,636.0`, `£385000.0`, `85.4%`) as a float, else None."""
    cell = collapse(text).replace("\u2212", "-")
    if not cell:
        return None
    cell = cell.replace("£", "").replace("%", "").replace(",", "").replace(" ", "")
    try:
        return float(cell)
    except ValueError:
        return None


def headline_number(text: object) -> float | None:
    """The headline number of a cell such as `73.6% Uptake (52,226 of 70,987)`,
    `841,582 Cumulative 2,638,886`, `Q1 75.5%` or `Jan to Dec 2019 12.28 days per FTE`.

    Parenthesised notes, period labels (Q1, months, years next to months) are skipped;
    the first remaining number is the headline. None when the cell has no number.
    """
    cell = collapse(text).replace("\u2212", "-")
    direct = parse_number(cell)
    if direct is not None:
        return direct
    cell = _PARENS.sub(" ", cell)
    for m in _NUMBER.finditer(cell):
        before, after = cell[: m.start()], cell[m.end() :]
        num = m.group("num")
        is_year = re.fullmatch(r"(19|20)\d\d", num) is not None
        if before.rstrip().endswith(("Q", "q")) and not before.endswith(" "):
            continue
        if is_year and (_PERIODISH.search(before) or _FOLLOWED_BY_PERIOD.match(after)):
            continue
        if is_year and re.match(r"\s*(?:to|-|–)\s", after):
            continue
        value = float(num.replace(",", "").replace(" ", ""))
        return -value if m.group("sign") else value
    return None


def strip_accents_lower(text: str) -> str:
    """Fold case and accents so header matching tolerates OCR look-alikes."""
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).lower()


def value_cell(text: object) -> tuple[float | None, bool]:
    """A Latest Value cell read as a number: clean, else its headline number.

    The flag is True when the cell has digits but no number could be read, so the reader
    reports it as an unparsed cell instead of leaving the value empty in silence.
    """
    cell = collapse(text)
    value = parse_number(cell)
    if value is None and cell:
        value = scaled_number(cell)
    if value is None and cell:
        value = headline_number(cell)
    return value, value is None and any(ch.isdigit() for ch in cell)


_SCALED = re.compile(
    r"(?i)^(?P<sign>[-\u2212])?£?\s?(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?P<scale>k|m|bn|thousand|million|billion)$"
)


def scaled_number(text: object) -> float | None:
    """A whole cell printed with a scale word ("£253k", "£1.2m", "3.4 million") as its number;
    None for anything else."""
    m = _SCALED.match(collapse(text))
    if m is None:
        return None
    n = float(m["n"].replace(",", "")) * SCALE[m["scale"].lower()]
    return -n if m["sign"] else n


# words that make a printed figure approximate ("over 1.5 million", "almost 990,000")
_APPROX = re.compile(
    r"(?i)^\s*(just over|just under|over|more than|almost|nearly|around|approximately|"
    r"approx\.?|about|circa|c\.|roughly|some|under|less than|fewer than|up to|at least|~)\s*"
    r"(?=[£$]?\d)"
)


def approximation(text: object) -> str:
    """The word that makes a printed figure approximate ("over", "almost"), lower case, or ""
    for an exact one: what a reader must still see beside the figure."""
    m = _APPROX.match(collapse(text))
    return m.group(1).lower() if m else ""


# "841,582 Cumulative 2,638,886": a quarter's own count with the year's running total beside it
CUMULATIVE_CELL = re.compile(r"cumulative\s*:?\s*(?P<n>[-\d,]*\.?\d+)", re.I)


def running_total(value_text: object) -> float | None:
    """The year's running total printed beside a quarter's own figure ("841,582 Cumulative
    2,638,886" -> 2638886), else None."""
    m = CUMULATIVE_CELL.search(str(value_text or ""))
    if m is None:
        return None
    try:
        return float(m["n"].replace(",", ""))
    except ValueError:
        return None
