"""Numbers quoted in the commentary, read as claims: the first half of checking them.

Commentary repeats table figures ("only 35.6% received one", "(81.9% against 90%)",
"from 1852 in Q1 2022/23 to 1736 Q2 2022/23", "303 of the 604 care leavers"). Each figure is
read as a claim with a kind (a value, a change, a figure against a target, a ratio, a range)
and a role (the current value, an earlier value, a target, a benchmark, another measure); the
words around it decide the role. Checking them against the store is kpi_lib.analysis.claims.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kpi_lib.analysis.targets import FY_TEXT
from kpi_lib.periods import Period, fy_quarter, parse_period
from kpi_lib.values import FIGURE, MONTH_PATTERN, SCALE, collapse

_UNIT = (
    r"(?:\s*(?:%|per\s?cent\b|percent\b|per\s+100,000\b|per\s+100k\b|per\s+10,?000\b|"
    r"per\s+10k\b|per\s+1,?000\b|admissions\s+per\s+100,000\b))?"
)
_FIG = rf"£?(?:{FIGURE})(?:\s*(?:m|k|bn)\b)?{_UNIT}"
_QLABEL = r"(?:q[1-4]|quarter\s+[1-4]|quarter\s+(?:one|two|three|four))"
_PERIOD = rf"(?:{_QLABEL}(?:\s+(?:of\s+|for\s+)?{FY_TEXT})?|{FY_TEXT})"
# periods named relative to the figure's own: "the previous academic year", "last quarter"
_REL_PERIOD = (
    r"(?:the\s+)?(?:previous|last|prior)\s+(?:academic\s+|financial\s+)?(?:year|quarter)\b"
    r"|(?:the\s+)?same\s+(?:quarter|period)\s+(?:of\s+|in\s+)?(?:last|the\s+previous)\s+year\b"
)
# "the same quarter in 2018-19": the figure's own quarter of another year
_SAME_IN = rf"(?:the\s+)?same\s+(?:quarter|period)\s+(?:in|of|for)\s+{FY_TEXT}"
_MONTH_YEAR = rf"{MONTH_PATTERN}\.?\s+(?:19|20)\d\d\b"
_SPAN = rf"{_MONTH_YEAR}\s*(?:to|-|–)\s*{_MONTH_YEAR}"
WHEN = rf"(?:{_SPAN}|{_SAME_IN}|{_REL_PERIOD}|{_MONTH_YEAR}|{_PERIOD})"

_CHANGE = re.compile(
    rf"(?i)\bfrom\s+(?:being\s+)?(?:(?P<p1a>{_PERIOD})\s*)?\(?(?P<x>{_FIG})\)?"
    rf"(?:\s+(?:in\s+)?(?P<p1b>{_PERIOD}))?\s+to\s+(?:(?P<p2a>{_PERIOD})\s*)?\(?(?P<y>{_FIG})\)?"
    rf"(?:\s+(?:in\s+)?(?P<p2b>{_PERIOD}))?"
)
_PAREN_CHANGE = re.compile(rf"(?i)\((?P<x>{_FIG})\s+to\s+(?P<y>{_FIG})\)")
_AGAINST = re.compile(
    rf"(?i)(?P<x>{_FIG})\s+against\s+(?:the\s+|a\s+)?(?:target\s+of\s+)?(?P<t>{_FIG})"
)
_GAP = re.compile(
    rf"(?i)(?P<x>{_FIG})\s+(?P<side>below|above|under|over|short of)\s+(?:the\s+|our\s+)?"
    rf"(?:\w+\s+)?target\s+(?:of\s+)?(?P<t>{_FIG})"
)
_TARGET = re.compile(
    rf"(?i)\btarget(?:\s+range)?\s+(?:of|is|was)\s+(?P<t>{_FIG})"
    rf"(?:\s*(?:-|–|—|to)\s*(?P<hi>{_FIG}))?"
    rf"|(?<![\w.,/–-])(?P<t2>{_FIG})\s+(?!days?\b|weeks?\b|hours?\b|months?\b)"
    r"(?:(?!the\b|a\b|an\b|its\b|our\b|their\b|this\b|that\b)\w+\s+)?target\b"
)
_RATIO = re.compile(
    rf"(?i)(?<![\w.,])(?P<n>{FIGURE})\s+of\s+(?:the\s+|all\s+)?(?P<m>{FIGURE})\b(?![%.,]\d)"
    rf"(?P<tail>[^.;()]{{0,60}}?)\(\s*(?P<p>{FIGURE})\s*%\s*\)"
    rf"|(?<![\w.,])(?P<n2>{FIGURE})\s+of\s+(?:the\s+|all\s+)?(?P<m2>{FIGURE})\b(?![%.,]\d)"
)
_VALUE = re.compile(
    rf"(?i)(?<![\w.,/£-])(?P<cur>£)?(?P<num>{FIGURE})(?P<mult>\s*(?:m|k|bn)\b)?(?P<unit>{_UNIT})"
)

_CUE = re.compile(
    r"(?i)(?:\bat|\bis|\bwas|\bwere|\bremains?|\breached|\bcurrently|\bonly|\bsits?\s+at|"
    r"\bstands?\s+at|\bscore\s+of|\brate\s+of|\bdata\s+of|\bfigure\s+of|\bvalue\s+of|\baverage\s+of|"
    r"\bperformance|\blancashire|\bequates\s+to|\bof\s+just|\bjust)\s*\(?\s*$"
)
_MEASURE_CUE = re.compile(r"(?i)\b(?:average|score|rate|figure|value|total)\s+of\s*$")
_BENCH = re.compile(
    r"(?i)\b(national|england|english|regional|north\s*west|northwest|comparators?|neighbou?rs?|"
    r"averages?|benchmarks?|quartile|authorities)\b[^.;]{0,25}$"
)
_EARLIER = re.compile(
    r"(?i)(compared\s+(?:to|with)|than|previous|last\s+year|same\s+period)[^.;]{0,40}$"
)
_RANK = re.compile(r"(?i)\brank\w*\b[^.;]{0,25}$")
_DURATION = re.compile(r"(?i)^\s*(?:-|–)?\s*(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?)\b")
_CHANGE_AMOUNT = re.compile(
    r"(?i)^\s*(?:increase|decrease|reduction|rise|fall|drop|growth|uplift)\b"
)
_BY_AMOUNT = re.compile(r"(?i)\bby\s*$")
_APPROX = re.compile(r"(?i)(?:\bc\.|\bcirca|\baround|\babout|\bover|\balmost|\bnearly|\bup to)\s*$")
# "up to 12 weeks" is a limit, not a rise
_UP_WORDS = re.compile(r"(?i)\b(increase\w*|rise|rose|risen|grew|grown|up(?!\s+to\b))\b")
_DOWN_WORDS = re.compile(r"(?i)\b(decrease\w*|reduc\w*|dropped|drop|fell|fallen|declin\w*|down)\b")
_CLAUSE = re.compile(r"(?i)[,;:(]|\b(?:and|but|however|while|whilst|although|though)\b")
_LINK_WORDS = frozenset(
    "in at for and is was which compared ranks than this with to from against on by as during "
    "but so while whilst when where it".split()
)
_RANKED = re.compile(r"(?i)^\s*(?:local\s+)?(?:authorities|councils|las|areas)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(£\d])|\n+")


@dataclass(frozen=True)
class Claim:
    """One figure (or pair of figures) quoted in the commentary."""

    kind: str  # value | change | vs_target | target | ratio
    text: str  # the sentence it was read from
    quote: str  # the words of the claim itself
    value: float  # the claimed figure (for a change: the figure it moved to)
    decimals: int  # decimals as printed, for rounding-aware comparison
    unit: str  # % | £ | rate | ""
    role: str  # current | earlier | target | benchmark | other
    before: float | None = None  # change: the figure it moved from
    before_decimals: int = 0
    before_period: str = ""  # change: the earlier period as printed (Q1, quarter 1, 2018/19)
    period: str = ""  # the period printed with the claimed figure, if any
    target: float | None = None  # vs_target: the target quoted
    numerator: float | None = None  # ratio
    denominator: float | None = None
    derived: bool = False  # ratio: the percentage was computed, not printed
    direction: str = ""  # change: up | down | "" as worded
    follows: str = ""  # value: the words printed right after it ("Gatsby Benchmarks"), which
    # may name the KPI's own measure


def _num(text: str) -> tuple[float, int, str]:
    """Value, printed decimals and unit of a figure such as `£7.989m`, `93.45%`, `5.4 per 10k`."""
    m = _VALUE.search(text)
    if m is None:
        raise ValueError(text)
    digits = m.group("num").replace(",", "")
    value = float(digits)
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    mult = (m.group("mult") or "").strip().lower()
    if mult:
        value *= SCALE[mult]
        decimals -= round(math.log10(SCALE[mult]))  # £7.989m is printed to the nearest £1,000
    unit_text = (m.group("unit") or "").strip().lower()
    if unit_text.startswith(("%", "per cent", "percent")):
        unit = "%"
    elif m.group("cur"):
        unit = "£"
    elif unit_text:
        unit = "rate"
    else:
        unit = ""
    return value, decimals, unit


def figures_in(sentence: str) -> list[tuple[float, int, str, int, int]]:
    """Every figure printed in a sentence as (value, decimals, unit, start, end), years and
    dates left out: what a restatement is anchored by (the KPI's own figure beside it)."""
    out = []
    for m in _VALUE.finditer(sentence):
        if not _skip_number(sentence, m.start("num"), m.end("num"), durations=False):
            out.append((*_num(m.group(0)), m.start(), m.end()))
    return out


def sentences(text: str) -> list[str]:
    """A block's sentences, as claims are read from them (each claim's `text` is one)."""
    return [s.strip(" -*\t") for s in _SENTENCE.split(_collapse_lines(text)) if s.strip()]


def _collapse_lines(text: str) -> str:
    return "\n".join(collapse(line) for line in str(text).splitlines())


def _direction(sentence: str) -> str:
    up, down = _UP_WORDS.search(sentence), _DOWN_WORDS.search(sentence)
    if up and not down:
        return "up"
    if down and not up:
        return "down"
    return ""


def _skip_number(sentence: str, start: int, end: int, durations: bool = True) -> bool:
    """Years, dates, ordinals, durations, ages, ranks: numbers that are not claims (a KPI
    counted in days may keep its durations: `durations=False`)."""
    s = sentence
    token = s[start:end]
    before, after = s[max(0, start - 25) : start], s[end : end + 20]
    if re.fullmatch(r"(?:19|20)\d\d", token.replace(",", "")):
        return True
    if re.match(
        r"^\s*(?:st|nd|rd|th)\b|^(?:st|nd|rd|th)\b|^/\d|^-\d|^–\d|^\s*(?:\+|and over)", after
    ):
        return True
    if re.search(
        r"(?i)(?:\bq|quarter\s|month\s|year\s|years\s|stage\s|ks|aged?\s|attainment\s)$", before
    ):
        return True
    if re.search(rf"(?i)^\s*{MONTH_PATTERN}\.?\s+\d{{4}}", after):
        return True
    if (durations and _DURATION.match(after)) or _RANK.search(before):
        return True
    return bool(re.search(r"\bper\s*$", before))


class _Scan:
    """One sentence and the spans already read as claims, so no figure is read twice."""

    def __init__(self, sentence: str) -> None:
        self.s = sentence
        self.taken: list[tuple[int, int]] = []

    def free(self, a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in self.taken)

    def take(self, a: int, b: int) -> None:
        self.taken.append((a, b))


def extract_claims(text: str) -> list[Claim]:
    """Every numeric claim in a block of commentary, in reading order of kind: changes, figures
    against a target, ratios, targets, then single figures."""
    out: list[Claim] = []
    for sentence in sentences(text):
        scan = _Scan(sentence)
        for reader in (_changes, _earlier, _vs_targets, _ratios, _targets, _ranges, _values):
            out.extend(reader(scan))
    return out


def _changes(scan: _Scan) -> list[Claim]:
    """`from X (in P1) to Y (in P2)`, `Q1 (X) to Q2 (Y)`, `(X% to Y%)`."""
    s, out = scan.s, []
    for m in list(_CHANGE.finditer(s)) + list(_PAREN_CHANGE.finditer(s)):
        if not scan.free(m.start(), m.end()):
            continue
        # the wording of this change: its own clause ("Demand is up, but waits went from 10 to
        # 8" says nothing of the waits' direction)
        direction = _direction(_CLAUSE.split(s[: m.start()])[-1])
        x, xd, xu = _num(m.group("x"))
        y, yd, yu = _num(m.group("y"))
        gd = m.groupdict()
        p1 = gd.get("p1a") or gd.get("p1b") or ""
        p2 = gd.get("p2a") or gd.get("p2b") or ""
        if not p1 and re.search(r"(?i)\b(?:since|on|from)\s+(?:the\s+)?last\s+quarter", s):
            p1 = "last quarter"
        out.append(
            Claim("change", s, m.group(0), y, yd, yu or xu, "current", before=x,
                  before_decimals=xd, before_period=p1, period=p2, direction=direction)
        )  # fmt: skip
        scan.take(m.start(), m.end())
    return out


# an earlier figure with the period it is for, the grammar of a restatement: "the previous
# academic year of 57%", "lower than in Q4 of 2021/22 (16.9)", "compared to 17% in Q1",
# "compared to 3.05 absence per FTE in Q2 2022/23", "compared to the December 2020 to February
# 2021 3-month average of 94.2%"
_MEASURE_WORD = r"(?:(?:\d+[- ]month\s+)?average|figure|rate|score|value|performance|position)"
_IN_PARENS = rf"\(\s*(?P<x>{_FIG})(?:\s+[A-Za-z]+){{0,2}}\s*\)"  # "(16.9)", "(7.00 days)"
_EARLIER_FORMS = (
    re.compile(rf"(?i)\b(?P<when>{_SAME_IN})\s*{_IN_PARENS}"),
    re.compile(
        rf"(?i)\b(?P<when>{_REL_PERIOD})(?:'s)?(?:\s+{_MEASURE_WORD})?\s+(?:of|at|was|were)\s+"
        rf"(?:just\s+)?\(?(?P<x>{_FIG})"
    ),
    re.compile(rf"(?i)\b(?P<when>{_REL_PERIOD})\s*{_IN_PARENS}"),
    re.compile(rf"(?i)(?:\b(?:in|for|at|during)\s+)?(?P<when>{_PERIOD})\s*{_IN_PARENS}"),
    re.compile(
        rf"(?i)\b(?:compared\s+(?:to|with)|than)\s+(?:the\s+)?(?P<x>{_FIG})"
        rf"(?:\s+[A-Za-z][A-Za-z-]*){{0,4}}?\s+(?:in|for|at|during)\s+(?P<when>{WHEN})"
    ),
    re.compile(
        rf"(?i)\b(?:compared\s+(?:to|with)|on|than)\s+(?:the\s+)?(?P<when>{WHEN})"
        rf"(?:\s+{_MEASURE_WORD})?"
        rf"\s+(?:of|at|was)\s+\(?(?P<x>{_FIG})"
    ),
)


_OWN_AVERAGE = re.compile(r"(?i)\b\d+[- ]month\s+average\b")


def _earlier(scan: _Scan) -> list[Claim]:
    """Figures printed with the earlier period they are for (see _EARLIER_FORMS): role
    `earlier`, `period` the words naming it. A benchmark's ("the national average in
    2021/22 (13.3)") or an amount of change ("a 4% rise on last year") is left to the other
    readers."""
    s, out = scan.s, []
    for form in _EARLIER_FORMS:
        for m in form.finditer(s):
            a, b = m.start("x"), m.end("x")
            year = re.fullmatch(r"(?:19|20)\d\d", m.group("x").strip())
            if not scan.free(m.start(), m.end()) or year:
                continue  # (a duration is no reason to skip: "(7.00 days)" is its figure)
            before, after = s[: m.start()], s[b:]
            # "the December to February 3-month average": the KPI's own figure, no benchmark
            own, before = (_OWN_AVERAGE.sub("", t) for t in (s[m.start() : a], before))
            if _BENCH.search(before) or _BENCH.search(own):
                continue
            if _CHANGE_AMOUNT.match(after) or _BY_AMOUNT.search(s[:a]) or _APPROX.search(s[:a]):
                continue
            value, decimals, unit = _num(m.group("x"))
            when = re.sub(r"(?i)^the\s+", "", collapse(m.group("when")))
            out.append(
                Claim("value", s, m.group(0).strip(), value, decimals, unit, "earlier",
                      period=when)
            )  # fmt: skip
            scan.take(m.start(), m.end())
    return out


def _vs_targets(scan: _Scan) -> list[Claim]:
    """`81.9% against 90%`, `2.8 below the target of 90`."""
    out = []
    for pat in (_AGAINST, _GAP):
        for m in pat.finditer(scan.s):
            if scan.free(m.start(), m.end()):
                x, xd, xu = _num(m.group("x"))
                t, _, _ = _num(m.group("t"))
                out.append(Claim("vs_target", scan.s, m.group(0), x, xd, xu, "current", target=t))
                scan.take(m.start(), m.end())
    return out


def _ratios(scan: _Scan) -> list[Claim]:
    """`344 of the 644 (53.4%)`; without a printed percentage the share is derived."""
    s, out = scan.s, []
    for m in _RATIO.finditer(s):
        if not scan.free(m.start(), m.end()) or _RANK.search(s[: m.start()]):
            continue
        if _RANKED.match(s[m.end("m2") if m.group("m2") else m.end("m") :]):
            continue  # "68 of 150 authorities": a rank, not a share
        n = float((m.group("n") or m.group("n2")).replace(",", ""))
        d = float((m.group("m") or m.group("m2")).replace(",", ""))
        if d == 0 or n > d:
            continue
        quote = m.group(0).strip()
        if m.group("p"):
            p, p_dec, _ = _num(m.group("p") + "%")
            claim = Claim("ratio", s, quote, p, p_dec, "%", "current", numerator=n, denominator=d)
        else:
            claim = Claim("ratio", s, quote, 100.0 * n / d, 4, "%", "current", numerator=n,
                          denominator=d, derived=True)  # fmt: skip
        out.append(claim)
        scan.take(m.start(), m.end())
    return out


def _targets(scan: _Scan) -> list[Claim]:
    """`target of 637.6`, `the 90% target`, `target range of 600-680` (its upper end in
    `target`)."""
    out = []
    for m in _TARGET.finditer(scan.s):
        g = "t" if m.group("t") else "t2"
        if scan.free(m.start(g), m.end(g)):
            t, t_dec, t_unit = _num(m.group(g))
            hi = _num(m.group("hi")) if g == "t" and m.group("hi") else None
            if hi is not None and hi[0] <= t:
                hi = None  # "target of 90% - 5 of 6 met": not a range
            end = m.end("hi") if hi is not None else m.end(g)
            quote = scan.s[m.start() : end].strip()
            claim = Claim("target", scan.s, quote, t, t_dec, t_unit or (hi[2] if hi else ""),
                          "target", target=None if hi is None else hi[0])  # fmt: skip
            out.append(claim)
            scan.take(m.start(g), end)
    return out


_RANGE = re.compile(
    rf"(?i)(?<![\w.,/£-])(?P<x>{_FIG})\s*(?:-|–|—)\s*(?P<y>{_FIG})"
    rf"|\bbetween\s+(?P<x2>{_FIG})\s+and\s+(?P<y2>{_FIG})"
)
# a sentence that lists several measures of one service: "has 2 targets, (i) … (ii) …"
_SEVERAL = re.compile(
    r"(?i)\(\s*(?:i|ii|iii|iv)\s*\)|\b(?:has|have|with)\s+(?:\d+|two|three|four|several)\s+"
    r"(?:other\s+)?(?:targets|measures|indicators|standards)\b|\bother\s+targets?\b"
)
_FOLLOWS = re.compile(r"^\s*((?:[A-Za-z][\w'-]*\s*){1,4})")


def _ranges(scan: _Scan) -> list[Claim]:
    """`98.5% - 99.04%`, `between 80% and 90%`: a band or range (a quartile's, a target's), not
    one value; read so no figure of it is taken for the KPI's value. Only ranges of shares,
    money or rates: bare ones are ages, weeks and years."""
    out = []
    for m in _RANGE.finditer(scan.s):
        if not scan.free(m.start(), m.end()):
            continue
        x = m.group("x") or m.group("x2")
        y = m.group("y") or m.group("y2")
        lo, lo_dec, lo_unit = _num(x)
        hi, _, hi_unit = _num(y)
        if lo >= hi or not (lo_unit or hi_unit):
            continue  # not a range; or ages, weeks, years ("aged 18-20"), read as before
        role = "benchmark" if _BENCH.search(scan.s[: m.start()]) else "range"
        out.append(
            Claim("range", scan.s, m.group(0).strip(), lo, lo_dec, lo_unit or hi_unit, role,
                  target=hi)
        )  # fmt: skip
        scan.take(m.start(), m.end())
    return out


def _values(scan: _Scan) -> list[Claim]:
    """Single figures with a unit (93.45%, £7.989m, 5.4 per 10k) or a cue (`score of 19.3`)."""
    s, out = scan.s, []
    for m in _VALUE.finditer(s):
        a, b = m.start(), m.end()
        if not scan.free(a, b) or _skip_number(s, m.start("num"), m.end("num")):
            continue
        value, decimals, unit = _num(m.group(0))
        before, after = s[:a], s[b:]
        cued = bool(_CUE.search(before))
        if _CHANGE_AMOUNT.match(after) or _BY_AMOUNT.search(before) or _APPROX.search(before):
            continue  # "a 4.4% increase", "reduced by 17.8%", "c.78%": not a level
        if not unit and not cued:
            continue
        nxt = re.match(r"\s*([A-Za-z]+)", after)
        follows = _follows(after)
        counted = not unit and nxt and nxt.group(1).lower() not in _LINK_WORDS
        if counted and not _MEASURE_CUE.search(before):
            continue  # "72 full closures", "12 electric cars": a count of something else
        # kept: "an average of 6.4 Gatsby Benchmarks", whose words may name the KPI's measure
        role = "current" if cued and not counted else "other"
        bench = _BENCH.search(before)
        if counted and bench and bench.group(1).lower().startswith("average"):
            bench = None  # "an average of 6.4 Gatsby Benchmarks": the measure's own average
        if bench:
            role = "benchmark"
        elif _EARLIER.search(before):
            role = "earlier"
        elif _SEVERAL.search(s):
            role = "another"
        period = _period_near(s, a, b)
        out.append(
            Claim("value", s, m.group(0).strip(), value, decimals, unit, role, period=period,
                  follows=follows)
        )  # fmt: skip
        scan.take(a, b)
    return out


def _follows(after: str) -> str:
    """The words right after a figure, up to the first link word or punctuation."""
    m = _FOLLOWS.match(after)
    if not m:
        return ""
    words = []
    for w in m.group(1).split():
        if w.lower() in _LINK_WORDS or w.lower() in ("a", "an", "the", "of"):
            break
        words.append(w)
    return " ".join(words)


def _period_near(sentence: str, a: int, b: int) -> str:
    """A period label printed right by a figure: `Q1 (677.91)`, `60.4% ... for Q1`, `in 2021/22`."""
    before = sentence[max(0, a - 20) : a]
    after = sentence[b : b + 25]
    m = re.search(rf"(?i)({_PERIOD})\s*\(?\s*$", before)
    if m:
        return m.group(1)
    m = re.match(rf"(?i)^\s*\)?\s*(?:in|for|at|during)\s+({_PERIOD})", after)
    if m:
        return m.group(1)
    m = re.search(rf"(?i)\b(?:for|in)\s+({_PERIOD})\s+(?:was|were|is)\s*$", sentence[:a])
    return m.group(1) if m else ""


# --- the period a claim's words name ------------------------------------------------------------
_QWORDS = {"one": "1", "two": "2", "three": "3", "four": "4"}


def resolve_when(words: str, own: str) -> str:
    """The canonical period label that `words` ("previous academic year", "Q1", "Q4 of
    2021/22", "last quarter", "December 2020 to February 2021") name, read against `own`, the
    period of the figure the sentence is about (the KPI's table period in that report).

    Conservative: "" whenever the words leave any doubt: "previous year" beside a quarter
    (that quarter a year ago, or last year's total?), a bare "Q3" in a Q2 report (this year's
    Q3 is still to come), "previous academic year" beside a financial-year figure."""
    text = collapse(words).lower()
    base = parse_period(own) if own else None
    if not text or base is None or not base.parsed:
        return ""
    rel = re.fullmatch(
        r"(?:the\s+)?(?:previous|last|prior)\s+(academic\s+|financial\s+)?(year|quarter)", text
    )
    if rel:
        return _relative(base, (rel.group(1) or "").strip(), rel.group(2))
    if re.fullmatch(
        r"(?:the\s+)?same\s+(?:quarter|period)\s+(?:of\s+|in\s+)?\S+(?:\s+previous)?\s+year", text
    ):
        return _shift_year(base) if base.kind == "fy_quarter" else ""
    same = re.fullmatch(r"(?:the\s+)?same\s+(?:quarter|period)\s+(?:in|of|for)\s+(.+)", text)
    if same:  # "the same quarter in 2018-19": the own quarter of that year
        year = parse_period(same.group(1))
        if base.kind != "fy_quarter" or year.kind != "fy_year" or year.start is None:
            return ""
        text = f"{year.label} q{base.label[-1]}"
    text = re.sub(r"\b(?:of|for)\b", " ", text)
    text = re.sub(r"quarter\s+(one|two|three|four)", lambda m: "q" + _QWORDS[m.group(1)], text)
    academic = base.kind in ("academic_year", "term")
    p = parse_period(text, context=base, academic=academic)
    if not p.parsed or p.start is None or base.start is None:
        return ""
    if re.fullmatch(r"\s*(?:q|quarter)\s*[1-4]\s*", text) and p.start > base.start:
        return ""  # a later quarter of this year has not happened: last year's? unsure
    if base.end is not None and p.end is not None and p.end > base.end:
        return ""  # after the figure it is set beside: not an earlier figure
    return p.label


def _relative(base: Period, year_kind: str, unit: str) -> str:
    """The period before `base` of its own kind: a year before a year, a quarter before a
    quarter; "" when the words name another kind than the figure's."""
    if unit == "quarter":
        if base.kind != "fy_quarter" or year_kind:
            return ""
        fy, q = int(base.label[:4]), int(base.label[-1])
        return fy_quarter(fy, q - 1).label if q > 1 else fy_quarter(fy - 1, 4).label
    wanted = {"academic": "academic_year", "financial": "fy_year"}.get(year_kind)
    if base.kind not in ("academic_year", "fy_year") or (wanted and wanted != base.kind):
        return ""
    return _shift_year(base)


def _shift_year(base: Period) -> str:
    """The same period a year earlier (a year, or a quarter of a financial year)."""
    if base.kind == "fy_quarter":
        return fy_quarter(int(base.label[:4]) - 1, int(base.label[-1])).label
    y1 = int(base.label.removeprefix("AY ")[:4]) - 1
    label = f"{y1}/{(y1 + 1) % 100:02d}"
    return f"AY {label}" if base.kind == "academic_year" else label


# a date a figure is *for* ("in August 2023", "at the end of Q1", "as at March 2023"), not
# one it runs from or to ("since April 2023", "by March 2025")
_WHEN_RE = re.compile(
    rf"(?i)\b(?:in|at|during|for|as\s+(?:at|of)|end\s+of)\s+(?:the\s+)?(?P<when>{WHEN})"
)


def dates_in(sentence: str) -> list[str]:
    """The period phrases a sentence dates its figures by ("in August 2023", "at the end of
    Q1", "for the previous academic year"), in reading order."""
    return [collapse(m.group("when")) for m in _WHEN_RE.finditer(sentence)]
