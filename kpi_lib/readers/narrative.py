"""Reader for reports that give KPI figures only in prose (2021/22 Q4): numbered headings such as
`5.2.9 Permanent admissions ... aged 65+ during the year. (Red KPI)` followed by sentences like
"... at 692.0 admissions per 100,000 population".

One row per KPI heading. Which headings are KPIs: a leaf heading (no numbered children) outside
"Risks and Opportunities" that carries a RAG tag, names its unit ("%", "per 100,000", "days",
"£") or states a figure in its first sentences; the rest become an Issue, never a silent skip.
The reader never reads the KPI catalogue: whether a name is a KPI, and what its unit is, are
settled in the store (kpi_lib.store.observations), so a catalogue edit needs no re-parse.

The value is the first figure in the first sentences whose unit is the KPI's unit: years, dates,
section numbers, ranges ("18-64", "600-680") and compounds ("3-month") are never values. For
annual cumulative KPIs a figure stated for the year ("over the year", "annual total") wins over
a quarter's own. The reader takes the heading's unit; each row also carries (Row.figures) the
figure every catalogue unit would choose, so the store can apply the catalogue's unit. Without a
known unit no figure is taken: a wrong number in a time series is worse than a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kpi_lib.periods import Period, detect_report_period, parse_period
from kpi_lib.readers.rows import Extraction, Issue, Row
from kpi_lib.readers.textdoc import TextDoc
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
def read(doc: TextDoc) -> Extraction:
    """KPI rows stated in prose under numbered headings; nothing for documents without them.

    Never reads the KPI catalogue, so what a file yields depends on its bytes alone (the
    per-file cache relies on it): each row carries in `figures` the figure every unit would
    choose, and the store settles a catalogued KPI's value by the catalogue's unit
    (kpi_lib.store.observations.settle_figure)."""
    out = Extraction(source_file=doc.name)
    heads = _headings(doc.lines)
    if not any(h.depth > 1 for h in heads):
        return out
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
        _read_heading(h, section, parents, report, doc.name, out)
    return out


def figure_key(unit: str, cumulative: bool) -> str:
    """Key of Row.figures: the catalogue unit and whether the KPI is annual cumulative."""
    return f"{unit}|{'cumulative' if cumulative else 'point'}"


def _figure(
    chosen: tuple[int, str, _Figure] | None, h: _Heading, report: Period | None
) -> dict[str, Any]:
    """What a row says for one choice of figure (none: no value, the heading's own line)."""
    if chosen is None:
        label = report.label if report is not None else ""
        return {"value": None, "value_text": "", "as_of_text": label, "source_line": h.line}
    line_no, sentence, fig = chosen
    return {
        "value": _signed(fig.value, h.title, sentence),
        "value_text": fig.text,
        "as_of_text": _as_of(sentence, fig, report),
        "source_line": line_no,
    }


def _figures_by_unit(
    sentences: list[tuple[int, str]], h: _Heading, report: Period | None
) -> dict[str, dict[str, Any]]:
    """The figure each catalogue unit (point or annual cumulative) would choose, where any."""
    out: dict[str, dict[str, Any]] = {}
    for unit in _ACCEPT:
        for cumulative in (False, True):
            chosen = _choose(sentences, unit, cumulative)
            if chosen is not None:
                out[figure_key(unit, cumulative)] = _figure(chosen, h, report)
    return out


def _read_heading(
    h: _Heading,
    section: str,
    parents: dict[str, str],
    report: Period | None,
    source: str,
    out: Extraction,
) -> None:
    unit = _heading_unit(h.title)
    sentences = _sentences(h)
    figures = _figures_by_unit(sentences, h, report)
    if not (h.rag or unit is not None or figures):
        msg = f"numbered heading {h.num} {h.title!r} is not RAG-tagged or unit-named"
        out.issues.append(
            Issue(
                "uncatalogued_heading",
                msg + " and states no figure; no row made",
                source,
                None,
                h.line,
            )
        )
        return
    parent = parents.get(h.num.rsplit(".", 1)[0], "") if h.depth > 2 else ""
    cumulative = "cumulative" in h.title.lower()
    chosen = figures.get(figure_key(unit, cumulative)) if unit is not None else None
    row = Row(
        metric_name=h.title,
        section=section,
        heading=parent or h.title,
        rag=h.rag,
        rag_text=h.rag,
        source_file=source,
        reader=READER,
        figures={"": _figure(None, h, report), **figures},
        **(chosen or _figure(None, h, report)),
    )
    if chosen is None and (unit is not None or not figures):
        why = f"no {unit} figure in its first sentences" if unit else "no figure in its prose"
        out.issues.append(
            Issue("no_value_in_prose", f"{h.num} {h.title!r}: {why}", source, None, h.line)
        )
    out.rows.append(row)
