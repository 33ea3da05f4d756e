"""Reader for reports that give KPI figures only in prose (2021/22 Q4): numbered headings such as
`5.2.9 Permanent admissions ... aged 65+ during the year. (Red KPI)` followed by sentences like
"... at 692.0 admissions per 100,000 population".

One row per KPI heading. Which headings are KPIs: a leaf heading (no numbered children) outside
"Risks and Opportunities" that carries a RAG tag, is named in the KPI catalogue, or names its unit
("%", "per 100,000", "days", "£"). Other leaf headings become an Issue, never a silent skip.

The value is the first figure in the first sentences whose unit is the KPI's unit (from the
catalogue, else from the heading): years, dates, section numbers, ranges ("18-64", "600-680")
and compounds ("3-month") are never values. For annual cumulative KPIs a figure stated for the
year ("over the year", "annual total") wins over a quarter's own. Without a known unit no figure
is taken: a wrong number in a time series is worse than a gap flagged as an Issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from kpi_lib.errors import InputError
from kpi_lib.periods import Period, detect_report_period, parse_period
from kpi_lib.readers.rows import Extraction, Issue, Row
from kpi_lib.readers.textdoc import TextDoc
from kpi_lib.store.catalog import Catalog, load_catalog
from kpi_lib.values import MONTH_PATTERN, SCALE, collapse

READER = "narrative"
SENTENCES = 3  # the figure is stated at the start of a KPI's commentary

_HEADING = re.compile(
    r"^\s*(?P<num>\d{1,2}(?:\.\d{1,2})+|\d{1,2}\.)\.?\s*(?P<title>[A-Za-z0-9£%\"'(].*?)\s*$"
)
_RAG_TAG = re.compile(r"\(\s*(?P<rag>red|amber|green)\s+kpis?\s*\)", re.I)
_RISK = re.compile(r"(?i)\brisks?\b.*\bopportunit|\bopportunit\w*\s*:|^risks?\b")
_RISK_BODY = re.compile(r"(?i)\b(?:risk|opportunity)\s+id\b")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9£\"'(])")
_CLAUSE_END = re.compile(r",(?!\d{3})|;|\band\b|\bbut\b|\bwhich\b")

_MON = MONTH_PATTERN
_FIG = re.compile(
    r"(?<![\w./£\-\u2013])(?P<cur>£\s?)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?P<scale>\s?(?:k|m|bn)\b|\s(?:million|billion|thousand)\b)?"
    r"(?P<pct>\s?(?:%|per ?cent\b))?(?!\w)",
    re.I,
)
_RATE = re.compile(r"(?i)^\s*(?:[a-z]+\s+){0,2}?per\s+(?P<base>100,?000|10,?000|100k|10k)\b")
_DURATION = re.compile(r"(?i)^\s*(?P<unit>days?|weeks?|months?|years?|hours?|minutes?)\b")
_QUALIFIER = re.compile(r"(?i)\b(?:over|almost|around|approximately|about|nearly|circa)\s+$")
_YEAR_BEFORE = re.compile(r"(?i)^\s*(?:[a-z-]+\s+){0,4}?(?:in|during|over|for)\s+the\s+year\b")
_YEAR_AFTER = re.compile(r"(?i)(?:annual total|year to date|in the year)\s+(?:\w+\s+){0,2}$")
_PREV_WORD_SKIP = re.compile(
    r"(?i)(?:\b(?:q|quarter|level|phase|stage|tier|top|year|aged|corp|page|section|no)\s*|#)$"
)

# Unit of a figure as printed -> the catalogue units it can be the value of.
_ACCEPT = {
    "%": {"%"},
    "rate per 100k": {"rate per 100k"},
    "rate per 10k": {"rate per 10k"},
    "days per FTE": {"days"},
    "days": {"days"},
    "£": {"£"},
    "count": {"count"},
    "score": {"count"},
    "index": {"count"},
    "ratio": {"count"},
}


@dataclass
class _Heading:
    num: str
    title: str  # without number, RAG tag and trailing full stop
    rag: str
    line: int  # 1-based
    body: list[tuple[int, str]] = field(default_factory=list)  # (line, raw text)

    @property
    def depth(self) -> int:
        return len(self.num.strip(".").split("."))


@dataclass
class _Figure:
    value: float
    text: str
    unit: str
    start: int
    end: int


# --- structure -----------------------------------------------------------------------------------
def _headings(lines: list[str]) -> list[_Heading]:
    """Numbered headings in document order; a sub-heading must sit under the current section."""
    out: list[_Heading] = []
    top = 0
    for i, raw in enumerate(lines):
        line = _BOOKMARK.sub("", raw)
        m = _HEADING.match(line)
        if m and len(line) <= 250:
            parts = m["num"].strip(".").split(".")
            first = int(parts[0])
            # a section number only rises and its title is short; a sub-heading sits under it
            ok = first > top and len(m["title"]) <= 80 if len(parts) == 1 else first == top
            if ok:
                if len(parts) == 1:
                    top = first
                out.append(_heading(m["num"].strip("."), m["title"], i + 1))
                continue
        if out and line.strip():
            out[-1].body.append((i + 1, line))
    return out


def _heading(num: str, text: str, line: int) -> _Heading:
    tag = _RAG_TAG.search(text)
    rag = tag["rag"].capitalize() if tag else ""
    title = collapse(_RAG_TAG.sub(" ", text)).rstrip(" .")
    return _Heading(num, title, rag, line)


def _is_parent(h: _Heading, nxt: _Heading | None) -> bool:
    return nxt is not None and nxt.num.startswith(h.num + ".")


def _sentences(h: _Heading) -> list[tuple[int, str]]:
    """The first sentences of a heading's prose with their lines; tab-indented table cells and
    one-word lines are not prose."""
    out: list[tuple[int, str]] = []
    for line_no, raw in h.body:
        text = collapse(raw)
        if raw.startswith("\t") or len(text.split()) < 3:
            continue
        for sentence in _SENTENCE_END.split(text):
            if sentence.strip():
                out.append((line_no, sentence.strip()))
            if len(out) >= SENTENCES:
                return out
    return out


# --- figures and units ---------------------------------------------------------------------------
def _heading_unit(title: str) -> str | None:
    t = title.lower()
    if re.search(r"per\s+100,?000", t):
        return "rate per 100k"
    if re.search(r"per\s+10,?000", t):
        return "rate per 10k"
    if "%" in t or re.match(r"(?:the\s+)?(?:percentage|proportion)\b", t):
        return "%"
    if "£" in t:
        return "£"
    if re.search(r"\bdays\b", t):
        return "days"
    if re.match(r"(?:the\s+)?(?:number|no\.?)\s+of\b", t):
        return "count"
    return None


def _figures(sentence: str) -> list[_Figure]:
    out: list[_Figure] = []
    taken = 0  # end of the last figure with its unit words ("16.3 per 100,000")
    for m in _FIG.finditer(sentence):
        if m.start() < taken:
            continue
        before, after = sentence[: m.start()], sentence[m.end() :]
        num, dec = m["num"], m["dec"] or ""
        plain = not (m["cur"] or m["pct"] or m["scale"] or dec)
        if re.match(r"[\-\u2013/]\s?\d|[\-\u2013][A-Za-z]|\+|[.,]\d|(?:st|nd|rd|th)\b", after):
            continue  # ranges, fractions, years "2021/22", "3-month", "65+", section numbers
        if plain and re.fullmatch(r"(?:19|20)\d\d", num):
            continue  # a year
        if re.search(rf"(?i)\b{_MON}\.?\s*$", before) or re.match(rf"(?i)\s*{_MON}\b", after):
            continue  # a date: "March 22", "31 March"
        if _PREV_WORD_SKIP.search(before):
            continue
        end = m.end()
        if m["pct"]:
            unit = "%"
        elif m["cur"]:
            unit = "£"
        elif r := _RATE.match(after):
            per_10k = r["base"].replace(",", "") in ("10000", "10k")
            unit = "rate per 10k" if per_10k else "rate per 100k"
            end += r.end()
        elif d := _DURATION.match(after):
            unit = "days" if d["unit"].lower().startswith("day") else "duration"
            end += d.end()
        else:
            unit = "count"
        value = Decimal((num + dec).replace(",", ""))
        if m["scale"]:
            value *= SCALE[m["scale"].strip().lower()]
        start = m.start()
        if q := _QUALIFIER.search(before):
            start = q.start()
        out.append(_Figure(float(value), sentence[start:end].strip(), unit, m.start(), m.end()))
        taken = end
    return out


def _for_year(sentence: str, fig: _Figure) -> bool:
    return bool(
        _YEAR_BEFORE.match(sentence[fig.end :]) or _YEAR_AFTER.search(sentence[: fig.start])
    )


def _choose(
    sentences: list[tuple[int, str]], unit: str, cumulative: bool
) -> tuple[int, str, _Figure] | None:
    accept = _ACCEPT.get(unit, set())
    found = [(ln, s, f) for ln, s in sentences for f in _figures(s) if f.unit in accept]
    if cumulative:
        for item in found:
            if _for_year(item[1], item[2]):
                return item
    return found[0] if found else None


# --- periods stated in prose ---------------------------------------------------------------------
_FY = r"(?:19|20)?\d{2}[/-]\d{2}"
_MENTION = re.compile(
    rf"(?i)(?P<months>\d{{1,2}})\s+months\s+(?:to|ending)\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?"
    rf"(?P<mend>{_MON})\s+(?P<yend>\d{{4}})"
    rf"|(?P<range>\b{_MON}\s*(?:\d{{4}}|\d{{2}})?\s*(?:to|-|\u2013)\s*{_MON}\s+(?:\d{{4}}|\d{{2}}))\b"
    rf"|(?:\bq(?P<q>[1-4])|\bquarter\s+(?P<qn>[1-4])|\b(?P<ord>first|second|third|fourth)\s+quarter)"
    rf"(?:\s*(?:of\s+)?(?P<qfy>{_FY}))?\b"
    rf"|(?P<this>\bth(?:is|e)\s+quarter\b)"
    rf"|(?<![\d/])(?P<fy>{_FY})(?![\d/]|-year|\s*year)"
    rf"|(?P<month>\b{_MON}\s+\d{{4}})\b"
)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _mention_period(m: re.Match[str], report: Period | None) -> Period | None:
    if m["months"]:
        end = parse_period(f"{m['mend']} {m['yend']}")
        if not end.parsed or end.start is None:
            return None
        n = int(m["months"])
        y, mo = end.start.year, end.start.month - n + 1
        while mo < 1:
            mo, y = mo + 12, y - 1
        p = parse_period(f"{y}-{mo:02d} to {end.start.year}-{end.start.month:02d}")
    elif m["range"]:
        p = parse_period(m["range"])
    elif m["q"] or m["qn"] or m["ord"]:
        q = m["q"] or m["qn"] or str(_ORD[m["ord"].lower()])
        p = parse_period(f"{m['qfy']} Q{q}" if m["qfy"] else f"Q{q}", report)
    elif m["this"]:
        return report
    elif m["fy"]:
        p = parse_period(m["fy"])
    else:
        p = parse_period(m["month"])
    return p if p.parsed else None


def _as_of(sentence: str, fig: _Figure, report: Period | None) -> str:
    """The period the figure's own clause states: the nearest mention before the figure, else the
    first after it in the same clause (or the next one when the figure ends its clause, as in
    "At 94.8%, the December 2021 to February 2022 average") and before any other figure;
    the report's period otherwise."""
    default = report.label if report is not None else ""
    clause_start = 0
    for c in _CLAUSE_END.finditer(sentence[: fig.start]):
        clause_start = c.end()
    before = [m for m in _MENTION.finditer(sentence, clause_start, fig.start)]
    for m in reversed(before):
        p = _mention_period(m, report)
        if p is not None:
            return p.label
    nxt = [f.start for f in _figures(sentence) if f.start > fig.start and f.unit != "duration"]
    stop = min(nxt) if nxt else len(sentence)
    clause = _CLAUSE_END.search(sentence, fig.end)
    if clause is not None and sentence[fig.end : clause.start()].strip():
        stop = min(stop, clause.start())  # "..., which exceeded the target (reviewed in Q2)"
    elif clause is not None and (later := _CLAUSE_END.search(sentence, clause.end())):
        stop = min(stop, later.start())  # "At 94.8%, the December 2021 to February 2022 ..."
    for m in _MENTION.finditer(sentence, fig.end, stop):
        p = _mention_period(m, report)
        if p is not None:
            return p.label
    return default


def _signed(value: float, title: str, sentence: str) -> float:
    """Variance KPIs: an underspend is a negative variance, as in the tables."""
    if "variance" in title.lower() and re.search(r"(?i)\bunderspend", sentence):
        return -abs(value)
    return value


# --- the reader ----------------------------------------------------------------------------------
def read(doc: TextDoc, catalog: Catalog | None = None) -> Extraction:
    """KPI rows stated in prose under numbered headings; nothing for documents without them."""
    out = Extraction(source_file=doc.name)
    heads = _headings(doc.lines)
    if not any(h.depth > 1 for h in heads):
        return out
    if catalog is None:
        try:
            catalog = load_catalog()
        except InputError as exc:
            out.issues.append(Issue("other", f"KPI catalogue not used: {exc}", doc.name))
    report = detect_report_period(doc.lines)
    section, risk_prefix = "", ""
    parents: dict[str, str] = {}
    for idx, h in enumerate(heads):
        nxt = heads[idx + 1] if idx + 1 < len(heads) else None
        parents[h.num] = h.title
        if h.depth == 1:
            section, risk_prefix = h.title, ""
            continue
        if risk_prefix and h.num.startswith(risk_prefix):
            continue
        if _RISK.search(h.title):
            risk_prefix = h.num + "."
            continue
        if _is_parent(h, nxt) or any(_RISK_BODY.search(t) for _, t in h.body[:2]):
            continue
        _read_heading(h, section, parents, report, catalog, doc.name, out)
    return out


def _read_heading(
    h: _Heading,
    section: str,
    parents: dict[str, str],
    report: Period | None,
    catalog: Catalog | None,
    source: str,
    out: Extraction,
) -> None:
    entry = None
    if catalog is not None and (kpi_id := catalog.resolve(h.title)):
        entry = catalog.get(kpi_id)
    unit = entry.unit if entry is not None else _heading_unit(h.title)
    if not (h.rag or entry is not None or unit is not None):
        msg = f"numbered heading {h.num} {h.title!r} is not RAG-tagged, catalogued or unit-named"
        out.issues.append(
            Issue("uncatalogued_heading", msg + "; no row made", source, None, h.line)
        )
        return
    parent = parents.get(h.num.rsplit(".", 1)[0], "") if h.depth > 2 else ""
    row = Row(
        metric_name=h.title,
        section=section,
        heading=parent or h.title,
        as_of_text=report.label if report is not None else "",
        rag=h.rag,
        source_file=source,
        source_line=h.line,
        reader=READER,
    )
    sentences = _sentences(h)
    cumulative = entry is not None and entry.accumulation == "annual cumulative"
    chosen = _choose(sentences, unit, cumulative) if unit is not None else None
    if chosen is None:
        why = f"no {unit} figure in its first sentences" if unit else "its unit is unknown"
        out.issues.append(
            Issue("no_value_in_prose", f"{h.num} {h.title!r}: {why}", source, None, h.line)
        )
    else:
        line_no, sentence, fig = chosen
        row.value = _signed(fig.value, h.title, sentence)
        row.value_text = fig.text
        row.as_of_text = _as_of(sentence, fig, report)
        row.source_line = line_no
    out.rows.append(row)
