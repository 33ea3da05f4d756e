"""Reporting periods as printed in the reports ("2023/24 Q2", "2022 09", "2022 Summer term mid"...)
turned into one canonical label with start and end dates.

Conventions (those of English councils' reports):
- financial year April-March: 2023/24 Q1 = Apr-Jun 2023 ... Q4 = Jan-Mar 2024;
- academic year September-August; terms Autumn = Sep-Dec, Spring = Jan-Apr, Summer = May-Aug of
  the calendar year printed with the term;
- `YYYY/YY` is a financial year unless it says `AY`, the caller says the KPI counts academic
  years (`academic=True`: the catalogue's `year_basis: academic`), or the context period is
  academic (a term or academic year): the text alone cannot tell an education KPI's year from a
  financial year;
- `Prov` only sets `provisional`; it is not part of the label, so provisional and final figures
  for the same period share a label.

Labels (round-trip: parse_period(p.label).label == p.label):
`2023/24 Q2` fy_quarter, `2023/24` fy_year, `AY 2021/22` academic_year, `2022 Summer term` term,
`2022-09` month, `2018-04 to 2019-03` range (month spans and calendar years).
Ambiguity: `YYYY-MM` with MM 01-12 is always a month, so a financial year 2000/01-2011/12 written
with a dash (`2010-11`) reads as a month; the reports start in 2018 and print `/` years anyway.

Filing a figure in a series (`filing_label`): a range that ends on a quarter end is filed under
that quarter, so a rolling 12 months `April 2021 to March 2022` (sickness absence, care-home
admissions) lines up with the quarterly figures of other reports as `2021/22 Q4`; the Period
itself keeps the real range (start 2021-04-01, end 2022-03-31) and the printed text. A range
ending mid-quarter (`Dec 2021 - Feb 2022`, a 3-month average) keeps its own label: filing it
under a quarter would make it look like a revision of that quarter's figure.

Value cells that name their own period (`period_in_value`): the 2019/20 history tables print
`Jan to Dec 2019 12.28 days per FTE` or `69.5 (2017/18)` under a column headed by the quarter
the figure was *reported* in; the period in the cell is the one the figure describes.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from kpi_lib.errors import UsageError
from kpi_lib.values import MONTH_PATTERN, MONTHS, collapse

if TYPE_CHECKING:  # imported where used: reading a PDF (`kpi extract`) needs no pandas
    import pandas as pd


@dataclass(frozen=True)
class Period:
    text: str  # as printed (collapsed whitespace)
    label: str  # canonical label, "" if unparsed
    kind: str  # fy_quarter | month | fy_year | academic_year | term | range | unknown
    start: date | None
    end: date | None
    provisional: bool
    parsed: bool  # False -> kept and flagged, never dropped


_TERMS = {"autumn": (9, 12), "spring": (1, 4), "summer": (5, 8)}
_ACADEMIC_KINDS = ("academic_year", "term")

# A financial/academic year as printed: 2023/24, 2023-24, 2023/2024, 23/24.
_FY = r"(?P<y1>(?:19|20)?\d{2})\s*[/-]\s*(?P<y2>\d{4}|\d{2})"
_Q = r"(?:q|quarter)\s*(?P<q>[1-4])"
_YEAR_WORD = r"(?P<yw>\d{4}|\d{2})"

_NOISE = re.compile(
    r"\b(?:mid|performance|current|latest|average|avg|outturn|position|data|final|actual|"
    r"year\s+end|figures?|to\s+date)\b"
)
_PROV = re.compile(r"\bprov(?:isional)?\b\.?")
_PARENS = re.compile(r"\([^()]*\)")
# a footnote marker flattened into the cell between a year and "Prov": "2022/23 a Prov", or
# OCR's "2022/23 1 Prov"
_MARKER = re.compile(r"(?<=\d)\s+[a-z0-9]\s+(?=prov)")


def _unparsed(text: str) -> Period:
    return Period(text, "", "unknown", None, None, False, False)


def _fy_years(y1s: str, y2s: str) -> int | None:
    """Start year of a financial/academic year printed as y1/y2, None unless consecutive."""
    y1 = year4(y1s)
    if len(y2s) == 4:
        ok = int(y2s) == y1 + 1
    else:
        ok = int(y2s) == (y1 + 1) % 100
    return y1 if ok and 1900 <= y1 <= 2098 else None


def _fy_label(y1: int) -> str:
    return f"{y1}/{(y1 + 1) % 100:02d}"


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def year4(year: str | int) -> int:
    """A printed year as four digits: 23 -> 2023, "2023" -> 2023."""
    y = int(year)
    return y + 2000 if y < 100 else y


def fy_quarter(y1: int, q: int, text: str = "", provisional: bool = False) -> Period:
    """Quarter q (1-4) of financial year y1/y1+1."""
    m0 = 4 + 3 * (q - 1)
    y = y1 if m0 <= 12 else y1 + 1
    m0 = (m0 - 1) % 12 + 1
    start, end = date(y, m0, 1), _month_end(y, m0 + 2)
    label = f"{_fy_label(y1)} Q{q}"
    return Period(text or label, label, "fy_quarter", start, end, provisional, True)


def _fy_year(y1: int, text: str, prov: bool, academic: bool) -> Period:
    if academic:
        label = f"AY {_fy_label(y1)}"
        return Period(text, label, "academic_year", date(y1, 9, 1), date(y1 + 1, 8, 31), prov, True)
    label = _fy_label(y1)
    return Period(text, label, "fy_year", date(y1, 4, 1), date(y1 + 1, 3, 31), prov, True)


def _term(year: int, term: str, text: str, prov: bool) -> Period | None:
    if not 1900 <= year <= 2099:
        return None
    m1, m2 = _TERMS[term]
    label = f"{year} {term.capitalize()} term"
    return Period(text, label, "term", date(year, m1, 1), _month_end(year, m2), prov, True)


def _month(y: int, m: int, text: str, prov: bool) -> Period | None:
    if not (1 <= m <= 12 and 1900 <= y <= 2099):
        return None
    return Period(text, f"{y}-{m:02d}", "month", date(y, m, 1), _month_end(y, m), prov, True)


def _range(y1: int, m1: int, y2: int, m2: int, text: str, prov: bool) -> Period | None:
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12 and 1900 <= y1 <= 2099 and 1900 <= y2 <= 2099):
        return None
    if (y1, m1) > (y2, m2):
        return None
    label = f"{y1}-{m1:02d} to {y2}-{m2:02d}"
    return Period(text, label, "range", date(y1, m1, 1), _month_end(y2, m2), prov, True)


def _context_fy(context: Period | None) -> int | None:
    if context is None or not context.parsed or context.start is None:
        return None
    s = context.start
    return s.year if s.month >= 4 else s.year - 1


def _match(
    s: str, text: str, prov: bool, context: Period | None, academic: bool | None
) -> Period | None:
    """Try every printed form against the cleaned text `s` (lower case, one-space separated)."""
    if academic is None:
        academic = context is not None and context.kind in _ACADEMIC_KINDS
    m = re.fullmatch(r"(?:ay|academic year)\s+(.*)", s)
    if m:
        s, academic = m.group(1), True
    m = re.fullmatch(r"(?:fy|financial year)\s+(.*)", s)
    if m:
        s, academic = m.group(1), False

    for pat in (rf"{_Q}\s*[- /]?\s*{_FY}", rf"{_FY}\s*[- /]?\s*{_Q}"):
        m = re.fullmatch(pat, s)
        if m:
            y1 = _fy_years(m["y1"], m["y2"])
            return None if y1 is None else fy_quarter(y1, int(m["q"]), text, prov)

    m = re.fullmatch(r"(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])", s)
    if m:  # the month label form wins: "2011-12" is December 2011, not 2011/12
        return _month(int(m["y"]), int(m["m"]), text, prov)
    m = re.fullmatch(_FY, s)
    if m:
        y1 = _fy_years(m["y1"], m["y2"])
        if y1 is not None:
            return _fy_year(y1, text, prov, academic)
        if "/" in s:
            return None  # "2019/18": a typo, not a month

    term = r"(?P<t>autumn|spring|summer)(?:\s+term)?"
    m = re.fullmatch(rf"(?P<y>\d{{4}})\s+(?:[a-z]\s+)?{term}", s) or re.fullmatch(
        rf"{term}\s+(?P<y>\d{{4}})", s
    )
    if m:
        return _term(int(m["y"]), m["t"], text, prov)
    m = re.fullmatch(rf"{term}\s+{_FY}", s)
    if m:
        y1 = _fy_years(m["y1"], m["y2"])
        if y1 is None:
            return None
        return _term(y1 if m["t"] == "autumn" else y1 + 1, m["t"], text, prov)

    m = re.fullmatch(r"(?P<y>\d{4})[ -](?P<m>\d{1,2})", s)
    if m:
        return _month(int(m["y"]), int(m["m"]), text, prov)
    m = re.fullmatch(rf"(?P<mon>{MONTH_PATTERN})\.?\s*-?\s*{_YEAR_WORD}", s)
    if m:
        return _month(year4(m["yw"]), MONTHS[m["mon"]], text, prov)
    m = re.fullmatch(rf"(?P<y>\d{{4}})\s+(?P<mon>{MONTH_PATTERN})", s)
    if m:
        return _month(int(m["y"]), MONTHS[m["mon"]], text, prov)

    m = re.fullmatch(r"(?P<y1>\d{4})-(?P<m1>\d{2}) to (?P<y2>\d{4})-(?P<m2>\d{2})", s)
    if m:
        return _range(int(m["y1"]), int(m["m1"]), int(m["y2"]), int(m["m2"]), text, prov)
    m = re.fullmatch(
        rf"(?P<a>{MONTH_PATTERN})\.?\s*(?P<ya>\d{{4}}|\d{{2}})?\s*(?:to|-)\s*(?P<b>{MONTH_PATTERN})\.?\s*"
        rf"(?P<yb>\d{{4}}|\d{{2}})",
        s,
    )
    if m:
        m1, m2, y2 = MONTHS[m["a"]], MONTHS[m["b"]], year4(m["yb"])
        y1 = year4(m["ya"]) if m["ya"] else (y2 if m1 <= m2 else y2 - 1)
        return _range(y1, m1, y2, m2, text, prov)
    m = re.fullmatch(r"(?:19|20)\d\d", s)
    if m:
        return _range(int(s), 1, int(s), 12, text, prov)

    m = re.fullmatch(_Q, s)
    if m:
        y1 = _context_fy(context)
        return None if y1 is None else fy_quarter(y1, int(m["q"]), text, prov)
    return None


def parse_period(text: str, context: Period | None = None, academic: bool | None = None) -> Period:
    """The period a printed as-of cell or column header names; parsed=False when unsure.

    `context` (usually the report's own period) resolves a bare `Q2` to that financial year and,
    when it is an academic year or term, makes `YYYY/YY` an academic year. `academic` (the KPI's
    year basis) decides that instead when given; a printed `AY`/`FY` prefix wins over both.
    Never raises.
    """
    shown = collapse(text) if isinstance(text, str) else ""
    s = shown.lower()
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s).replace("_", " ")
    prov = _PROV.search(s) is not None
    s = _MARKER.sub(" ", s)
    s = _PROV.sub(" ", s)
    s = _NOISE.sub(" ", s)
    for attempt in (s.replace("(", " ").replace(")", " "), _PARENS.sub(" ", s)):
        cleaned = re.sub(r"\s+", " ", attempt).strip(" .,:;")
        if not cleaned:
            continue
        found = _match(cleaned, shown, prov, context, academic)
        if found is not None:
            return found
    return _unparsed(shown)


_REPORT_FORMS = (
    re.compile(r"(?P<y1>\d{4})[/-](?P<y2>\d{2})(?:\s+|_|\s*-\s*)[Qq](?P<q>[1-4])"),
    re.compile(r"[Qq](?P<q>[1-4])\s+(?P<y1>\d{4})[/-](?P<y2>\d{2})"),
)


def parse_report_period(text: str) -> Period:
    """A report period given by a user: `2023/24 Q2`, `2023-24_Q2`, `2023/24-Q2`, `2023-24 Q2` or
    `Q2 2023/24`. Strict, because it names folders and outputs."""
    s = collapse(text) if isinstance(text, str) else ""
    for form in _REPORT_FORMS:
        m = form.fullmatch(s)
        if m:
            y1 = _fy_years(m["y1"], m["y2"])
            if y1 is not None:
                return fy_quarter(y1, int(m["q"]), s)
            raise UsageError(f"not a financial year: {text!r} (the years must be consecutive)")
    raise UsageError(f"not a report period: {text!r} (expected e.g. 2023/24 Q2 or 2023-24_Q2)")


def slug(p: Period) -> str:
    """The label in a form safe for paths: `2023/24 Q2` -> `2023-24_Q2`."""
    if not p.parsed:
        raise UsageError(f"cannot name a path after an unparsed period: {p.text!r}")
    return p.label.replace("/", "-").replace(" ", "_")


def quarter_ending(p: Period) -> Period | None:
    """The financial quarter ending when `p` ends, if `p` ends on a quarter end: places a rolling
    12 months "April 21 to March 22" (or a month) in a quarterly series as 2021/22 Q4."""
    if not p.parsed or p.end is None:
        return None
    end = p.end
    if end.month not in (3, 6, 9, 12) or end != _month_end(end.year, end.month):
        return None
    q = {6: 1, 9: 2, 12: 3, 3: 4}[end.month]
    return fy_quarter(end.year if q < 4 else end.year - 1, q)


def filing_label(p: Period) -> str:
    """The label a figure for period `p` is filed under in a KPI's series: a range ending on a
    quarter end is filed under that quarter (see the module docstring), anything else under its
    own label ("" when unparsed)."""
    if p.kind == "range":
        q = quarter_ending(p)
        if q is not None:
            return q.label
    return p.label


# A figure as printed in a value cell: "12.28", "3, 629,829", "£155,000", "77.5%".
_FIGURE_START = re.compile(r"[£$]?\d")
_PREFIX_WORDS = 7  # "April 2018 to March 2019" is 5 words


def period_in_value(
    text: str, context: Period | None = None, academic: bool | None = None
) -> Period | None:
    """The period a value cell names beside its figure, or None.

    Looked for in parentheses ("69.5 (2017/18)", "89.9% (Dec 2018 - Feb19 average)"), before the
    figure ("Jan to Dec 2019 12.28 days per FTE", "Q1 75.5%") and after it ("77.5% Mar 2019").
    Each candidate must read wholly as a period; digits alone before a figure ("2019 12.3") are
    too ambiguous to count. Two different periods in one cell give None (the column decides).
    """
    shown = collapse(text) if isinstance(text, str) else ""
    if not shown:
        return None
    found: dict[str, Period] = {}

    def _try(cand: str) -> bool:
        p = parse_period(cand, context, academic)
        if p.parsed:
            found.setdefault(p.label, p)
        return p.parsed

    for m in _PARENS.finditer(shown):
        _try(m.group(0)[1:-1])
    words = _PARENS.sub(" ", shown).split()
    figures = [i for i, w in enumerate(words) if _FIGURE_START.match(w)]
    # before a figure: the words leading up to it must read wholly as a period; later figures
    # first ("2018" in "Jan to Dec 2018 12 days" is part of the period, "12" is the figure)
    for i in reversed(figures):
        before = " ".join(words[max(0, i - _PREFIX_WORDS) : i])
        if i > 0 and re.search(r"[A-Za-z/]", before) and _try(before):
            break
    # after the figure that opens the cell: "77.5% Mar 2019"
    if figures and figures[0] == 0 and re.search(r"[A-Za-z]", " ".join(words[1:])):
        _try(" ".join(words[1:]))
    if len(found) != 1:
        return None
    (p,) = found.values()
    if not p.provisional and _PROV.search(shown.lower()):
        p = Period(p.text, p.label, p.kind, p.start, p.end, True, True)
    return p


# --- which quarter a whole document reports on ---------------------------------------------------
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_GAP = r"(?:\s+(?:of|for|data|performance|report|results|monitoring|in|the)){0,3}\s+"
_MENTIONS = (
    re.compile(rf"(?i)\b(?:q|quarter\s*)(?P<q>[1-4])\b{_GAP}{_FY}\b"),
    re.compile(rf"(?i)\b(?P<o>first|second|third|fourth)\s+quarter{_GAP}{_FY}\b"),
    re.compile(rf"(?i)\b{_FY}\s*[-_ ]?\s*(?:q|quarter\s*)(?P<q>[1-4])\b"),
)
_CURRENT_Q = re.compile(r"(?i)\bcurrent\s*(?:performance\s*)?\(?\s*q(?P<q>[1-4])\s*\)?")
_DATE = re.compile(
    rf"(?i)\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{MONTH_PATTERN})\.?,?\s+(?P<y>(?:19|20)\d\d)\b"
)
_TITLE_LEN = 100


def _mentions(line: str) -> list[Period]:
    found: list[Period] = []
    for pat in _MENTIONS:
        for m in pat.finditer(line):
            y1 = _fy_years(m["y1"], m["y2"])
            if y1 is None:
                continue
            q = _ORDINAL[m["o"].lower()] if "o" in m.groupdict() and m["o"] else int(m["q"])
            found.append(fy_quarter(y1, q))
    return found


def detect_report_period(lines: list[str]) -> Period | None:
    """The quarter a report covers, read from its own text.

    Rule: collect every explicit quarter-and-year mention ("2022/23 Quarter 2", "Quarter 4
    2021/22", "Q2 2024/25", "fourth quarter of 2021/22"). If any sits on a title-like line (at most
    100 characters), take the most frequent of those; ties go to the earliest. Without a title,
    a history-table header "Current (Q3)" plus the first full date in the document (the meeting
    date) gives the latest quarter with that number that ended by that date; only then do mentions
    in body text count (history headers such as "Q4 2018-19" would otherwise mislead).
    """
    seen: Counter[str] = Counter()
    title_seen: Counter[str] = Counter()
    first: dict[str, int] = {}
    by_label: dict[str, Period] = {}
    for i, raw in enumerate(lines):
        line = collapse(raw)
        for p in _mentions(line):
            seen[p.label] += 1
            if len(line) <= _TITLE_LEN:
                title_seen[p.label] += 1
            first.setdefault(p.label, i)
            by_label[p.label] = p
    for counts in (title_seen, None, seen):
        if counts is None:
            current = _from_current_column(lines)
            if current is not None:
                return current
        elif counts:
            best = min(counts, key=lambda lab: (-counts[lab], first[lab]))
            return by_label[best]
    return None


def _from_current_column(lines: list[str]) -> Period | None:
    q = when = None
    for raw in lines:
        if q is None and (m := _CURRENT_Q.search(raw)):
            q = int(m["q"])
        if when is None and (d := _DATE.search(raw)):
            try:
                when = date(int(d["y"]), MONTHS[d["mon"].lower()], int(d["d"]))
            except ValueError:
                continue
    if q is None or when is None:
        return None
    fy = when.year if when.month >= 4 else when.year - 1
    for y1 in (fy, fy - 1):
        p = fy_quarter(y1, q)
        if p.end is not None and p.end <= when:
            return p
    return None


# --- printed years -------------------------------------------------------------------------------
def fy_start(label: str) -> int:
    """Financial-year start of a printed year: 2022/23, 22/23, 2022-23 -> 2022; 2035 -> 2035."""
    return year4(re.split(r"[/-]", label)[0])


# --- grains and positions in the year ------------------------------------------------------------
# Period.kind (or the store's period_type, which adds its own aliases) -> grain; a range is judged
# by its length (_span_grain)
_KIND_GRAIN = {
    "fy_quarter": "quarter",
    "quarter": "quarter",
    "month": "month",
    "term": "term",
    "fy_year": "year",
    "financial_year": "year",
    "academic_year": "year",
    "calendar_year": "year",
}


def _span_grain(days: int) -> str:
    """A range's grain from its length: a rolling year (`July 2018 to June 2019`) is a year."""
    return "year" if days >= 360 else "quarter" if 80 <= days <= 95 else ""


@lru_cache(maxsize=4096)
def _parse_cached(label: str) -> Period | None:
    p = parse_period(label)
    return p if p.parsed and p.end is not None else None


def period_key(label: object) -> tuple[int, float] | None:
    """(financial-year start, months into that year at the period's end): `2022/23 Q2` ->
    (2022, 6); `2022-09` -> (2022, 6); `2021/22` -> (2021, 12); `2022 Summer term` -> (2022, 5).
    Periods ending at the same point of the year compare like for like. None if unparsed."""
    p = _parse_cached(str(label))
    if p is None or p.end is None:
        return None
    end = p.end
    if end.month >= 4:
        return end.year, float(end.month - 3)
    return end.year - 1, float(end.month + 9)


def grain_of(label: object) -> str:
    """quarter | month | term | year | "" : how long the labelled period is. A 12-month range
    (a rolling year such as `July 2018 to June 2019`) counts as a year."""
    p = _parse_cached(str(label))
    if p is None:
        return ""
    if p.kind == "range" and p.start is not None and p.end is not None:
        return _span_grain((p.end - p.start).days)
    return _KIND_GRAIN.get(p.kind, "")


def grain_of_row(row: pd.Series) -> str:
    """Grain of an observation: from the store's period_type and dates, else from its label."""
    import pandas as pd

    ptype = str(row.get("period_type", "") or "")
    if ptype in _KIND_GRAIN:
        return _KIND_GRAIN[ptype]
    start, end = row.get("period_start"), row.get("period_end")
    if ptype == "range" and pd.notna(start) and pd.notna(end):
        return _span_grain((pd.Timestamp(end) - pd.Timestamp(start)).days)
    label = row.get("period", "")
    return grain_of(label) if label else ""


def quarter_of(label: object) -> int | None:
    p = _parse_cached(str(label))
    if p is None or p.kind != "fy_quarter":
        return None
    key = period_key(label)
    return None if key is None else int(key[1] // 3)


# --- financial-year quarters as pandas Periods ----------------------------------------------
def fiscal_to_period(label: str) -> pd.Period | None:
    """'2022/23 Q2' (also '2022-23_Q2', '2022/23-Q2') -> Period('2022Q3'): financial-year
    quarter 1 is April-June. A range ending on a quarter end ('2021-04 to 2022-03', a
    rolling 12 months) files under that quarter, as kpi_lib.periods.filing_label does. None
    for anything else (a year, a month, a term...)."""
    p = parse_period(str(label))
    if p.kind == "range":  # a rolling 12 months ending on a quarter end files there
        p = quarter_ending(p) or p
    if p.kind != "fy_quarter" or p.start is None:
        return None
    import pandas as pd

    return pd.Period(p.start, freq="Q")


def period_to_fiscal(period: pd.Period) -> str:
    """Period('2022Q3') -> '2022/23 Q2'."""
    start = period.year if period.quarter >= 2 else period.year - 1
    return fy_quarter(start, (period.quarter - 2) % 4 + 1).label


def series_to_quarterly(series: pd.Series) -> pd.Series:
    """Store series (indexed by period labels) -> quarterly PeriodIndex, sorted. Labels
    that are not financial-year quarters (years, months, terms) are left out and listed in
    `result.attrs['skipped']`; two labels for the same quarter are an error."""
    import pandas as pd

    if isinstance(series.index, pd.PeriodIndex):
        return series.astype(float)
    periods, keep, skipped = [], [], []
    for label, value in series.items():
        p = fiscal_to_period(str(label))
        if p is None:
            skipped.append(str(label))
        else:
            periods.append(p)
            keep.append(value)
    values = pd.to_numeric(pd.Series(keep, dtype=object), errors="coerce").to_numpy(float)
    out = pd.Series(values, index=pd.PeriodIndex(periods, freq="Q"), name=series.name)
    if out.index.has_duplicates:
        dups = sorted({period_to_fiscal(p) for p in out.index[out.index.duplicated()]})
        raise UsageError(f"forecast: two values for the same quarter: {', '.join(dups)}")
    out = out.sort_index()
    out.attrs["skipped"] = skipped
    return out
