"""Target text as printed -> an evaluable rule.

Targets are free text ("88.75% Quarterly (2022/23)", "<700", "3.2-4.3", "Quartile 2",
"Year on year reduction", "To be agreed", RAG bands, multi-year trajectories). The rule keeps
what the text says and nothing more: when the text does not pin down a comparable figure the
rule says so (`evaluable=False`, `reason`) instead of guessing, so a RAG recomputation never
judges a KPI met or missed by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from kpi_lib.errors import InputError
from kpi_lib.periods import fy_start, year4
from kpi_lib.values import FIGURE, MONTH_PATTERN, MONTHS, SCALE, collapse, polarity, read_as_latin

KINDS = (
    "threshold",  # one figure; polarity says which side is good
    "comparison",  # an explicit operator: <700, Above 80%, >= 95%, 5% or more
    "range",  # a target range: 3.2-4.3
    "bands",  # explicit RAG bands: Red: <X Amber: X - Y Green: ...
    "trajectory",  # milestones by year: 2% by end 2022/23, 5% by end 23/24, ...
    "trend",  # judged on the series: Year on year reduction, Upward trend
    "benchmark",  # relative to a benchmark: Quartile 2, Above national average
    "ambiguous",  # several unrelated figures; which one applies is not stated
    "words",  # no figure: To be agreed, Not Appropriate, Maintain all statutory returns
    "none",  # empty target cell
)


@dataclass(frozen=True)
class Band:
    """One RAG band; `rest` marks a band printed without bounds (Green: …) = everything else."""

    status: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    rest: bool = False

    def contains(self, value: float) -> bool:
        if self.rest:
            return False
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        if self.high is not None and (
            value > self.high or (value == self.high and not self.high_inclusive)
        ):
            return False
        return True


@dataclass(frozen=True)
class Milestone:
    """A trajectory point: the value to reach by the end of financial year `fy` (its start year)."""

    label: str
    fy: int
    value: float


@dataclass(frozen=True)
class TargetRule:
    kind: str
    text: str
    threshold: float | None = None
    op: str = ""  # >, >=, <, <= ; for thresholds derived from polarity
    low: float | None = None
    high: float | None = None
    bands: tuple[Band, ...] = ()
    trajectory: tuple[Milestone, ...] = ()
    direction: str = ""  # trend rules: up | down | improve
    basis: str = ""  # trend rules: "year" (same period a year earlier) or "last" (previous point)
    benchmark: str = ""  # benchmark key: "quartile 2", "national average", ...
    unit: str = ""  # % | £ | days | count | ""
    period_scope: str = ""  # quarterly | annual | multi-year | ""
    accumulates: bool = False  # the target figure is a total over its period (counts, days)
    polarity: str = ""  # High | Low | "" (unknown / not appropriate)
    evaluable: bool = False
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """A short machine-readable form for tables: `>= 88.75 %`, `3.2..4.3`, `trend down`."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind in ("threshold", "comparison") and self.threshold is not None:
            return f"{self.op or '?'} {fmt_number(self.threshold)}{unit}".strip()
        if self.kind in ("range", "benchmark") and self.low is not None:
            return f"{fmt_number(self.low)}..{fmt_number(self.high)}{unit}"
        if self.kind == "benchmark":
            base = f"{self.op or '?'} {self.benchmark}"
            return (
                base if self.threshold is None else f"{base} ({fmt_number(self.threshold)}{unit})"
            )
        if self.kind == "bands":
            return "; ".join(f"{b.status} {_band_text(b)}" for b in self.bands)
        if self.kind == "trajectory":
            return ", ".join(f"{fmt_number(m.value)} by {m.label}" for m in self.trajectory)
        if self.kind == "trend":
            return f"trend {self.direction} ({self.basis})"
        return ""


def fmt_number(x: float | None) -> str:
    if x is None:
        return "?"
    if abs(x) >= 10_000 and float(x).is_integer() or abs(x) >= 1e6:
        return f"{x:,.0f}"  # 571,743 beside 1,000,000, never 5.71743e+05
    return f"{x:g}"


def _band_text(b: Band) -> str:
    if b.rest:
        return "otherwise"
    lo = "" if b.low is None else ("[" if b.low_inclusive else "(") + fmt_number(b.low)
    hi = "" if b.high is None else fmt_number(b.high) + ("]" if b.high_inclusive else ")")
    return f"{lo}..{hi}"


# --- vocabulary ---------------------------------------------------------------------------------

_WORDS_ONLY = re.compile(
    r"(?i)\b(?:to be (?:agreed|confirmed|set|determined)|tbc|tba|not appropriate|not applicable|"
    r"baseline|do not set|does not set|no target|not set|not rated|under review|being reviewed|"
    r"tracked only|monitor(?:ing)? only)\b"
)
_BAND_WORD = re.compile(r"(?i)\b(red|amber|green)\b\s*[:=]?\s*")
_QUARTILE = re.compile(r"(?i)\b(?:national\s+)?quartile\s*([1-4a-d])\b")
_BENCHMARKS = (
    (re.compile(r"(?i)\btop quartile\b"), "top quartile"),
    (re.compile(r"(?i)\b(?:national|england|english) average\b"), "national average"),
    (re.compile(r"(?i)\bstatistical neighbou?rs?\b"), "statistical neighbours"),
    (re.compile(r"(?i)\bnearest neighbou?rs?\b"), "nearest neighbours"),
    (re.compile(r"(?i)\b(?:north west|regional) average\b"), "regional average"),
    (re.compile(r"(?i)\bcomparators?\b"), "comparators"),
    (re.compile(r"(?i)\bbenchmark\b"), "benchmark"),
)
_TREND_WORDS = re.compile(
    r"(?i)\b(trend|year on year|year-on-year|reduc\w*|decreas\w*|increas\w*|improv\w*|upward|"
    r"downward|rising|falling)\b"
)
_DOWN = re.compile(r"(?i)\b(reduc\w*|decreas\w*|downward|falling|lower)\b")
_UP = re.compile(r"(?i)\b(increas\w*|upward|rising|higher|growth)\b")

# a printed sign only where it cannot be a range dash (3.2-4.3): -5%, > -2, (-10 to -5)
_NUM = re.compile(
    rf"(?<![\w/.,])(?P<sign>[-\u2212](?=£?\d))?(?P<cur>£)?(?P<num>{FIGURE})"
    r"(?:\s*(?P<mult>(?i:million|m|k|bn))\b)?(?P<pct>\s*(?:%|percent\b|per cent\b))?"
)
# a financial year as targets and commentary print it: 2022/23, 22/23, 2022-23
FY_TEXT = r"(?:\d{4}/\d{2}|\d{2}/\d{2}|\d{4}-\d{2})"
_YEAR_LABEL = re.compile(rf"\b{FY_TEXT}\b")
_CAL_YEAR_AFTER = re.compile(
    rf"(?i)\b(?:{MONTH_PATTERN}|by|in|from|to|since|end|until|term)\s+(?:19|20)\d\d\b"
)
# an ordinal of a plan's years, not a figure: "Target year 5 2024/25 is 2.88%"
_YEAR_N = re.compile(r"(?i)\byear\s+\d{1,2}\b(?!\s*%)")
_N_YEARS = re.compile(r"(?i)\b\d+\s*[- ]?\s*years?\b")
_COVERING = re.compile(r"(?i)\bcovering\s+(?:circa\s+|about\s+|approx\.?\s+|c\.\s*)?[\d,]+\s+\w+")
_PREVIOUS = re.compile(r"(?i)\bprevious\s+(?:\w+\s+)?target\s*:?\s*[\d.,]+\s*%?")
_NEW_TARGET = re.compile(r"(?i)\bnew\b[^0-9]{0,30}?\btarget\s*:?\s*(?=[£\d])")
_PARENS = re.compile(r"\([^()]*\)")
_PER_N = re.compile(r"(?i)\bper\s+[\d,]+\s*(?:k\b)?")  # a rate's base: 5.4 per 10,000
# a required size of change, not a level: "Reduce by 5%", "5% reduction", "an increase of 10"
_CHANGE_SIZE = re.compile(
    r"(?i)\b(?:reduc\w*|decreas\w*|increas\w*|improv\w*|rise|fall|cut)\s+(?:of|by)\s+[-£\d]"
    r"|\d\s*(?:%|per ?cent)?\s*(?:reduction|decrease|increase|improvement|rise|fall|cut)\b"
)
_DATE_RANGE = re.compile(
    rf"(?i)\b(?P<m1>{MONTH_PATTERN})\.?\s+(?P<y1>\d{{4}}|\d{{2}})\s*(?:-|–|to)\s*"
    rf"(?P<m2>{MONTH_PATTERN})\.?\s+(?P<y2>\d{{4}}|\d{{2}})\b"
)
_BY_YEAR = re.compile(
    rf"(?i)\bby\s+(?:the\s+)?(?:end\s+(?:of\s+)?)?(?P<year>{FY_TEXT}|(?:19|20)\d\d)\b"
    r"(?:\s+year\s+end)?"
)
_OP_BEFORE = re.compile(
    r"(?i)(?P<op><=|>=|≤|≥|=<|=>|<|>|\babove\b|\bover\b|\bmore than\b|\bgreater than\b|"
    r"\bexceed(?:ing|s)?\b|\bat least\b|\bminimum(?: of)?\b|\bbelow\b|\bunder\b|\bless than\b|"
    r"\bfewer than\b|\bno more than\b|\bat most\b|\bmaximum(?: of)?\b|\bnot exceed(?:ing)?\b)\s*$"
)
_OP_AFTER = re.compile(
    r"(?i)^\s*(?P<op>\+|or more|or above|or higher|or greater|and above|and over|or less|"
    r"or below|or lower|or fewer|and below|and under)(?!\w)"
)
_OP_WORDS = {
    "<": "<",
    "≤": "<=",
    "<=": "<=",
    "=<": "<=",
    ">": ">",
    "≥": ">=",
    ">=": ">=",
    "=>": ">=",
    "above": ">",
    "over": ">",
    "more than": ">",
    "greater than": ">",
    "exceed": ">",
    "exceeds": ">",
    "exceeding": ">",
    "at least": ">=",
    "minimum": ">=",
    "minimum of": ">=",
    "below": "<",
    "under": "<",
    "less than": "<",
    "fewer than": "<",
    "no more than": "<=",
    "at most": "<=",
    "maximum": "<=",
    "maximum of": "<=",
    "not exceed": "<=",
    "not exceeding": "<=",
    "+": ">=",
    "or more": ">=",
    "or above": ">=",
    "or higher": ">=",
    "or greater": ">=",
    "and above": ">=",
    "and over": ">=",
    "or less": "<=",
    "or below": "<=",
    "or lower": "<=",
    "or fewer": "<=",
    "and below": "<=",
    "and under": "<=",
}
_COUNT_WORDS = re.compile(
    r"(?i)\b(visits|jobs|businesses|investments|sessions|events|downloads|volunteers|referrals|"
    r"completers|people|loans)\b"
)


def norm_polarity(good_is: object) -> str:
    """The direction a target reads in: High or Low, else "" (Other, Not Appropriate)."""
    p = polarity(good_is)
    return p if p in ("High", "Low") else ""


@dataclass(frozen=True)
class _Num:
    value: float
    start: int
    end: int
    pct: bool
    cur: bool


def _numbers(text: str) -> list[_Num]:
    out = []
    for m in _NUM.finditer(text):
        value = float(m.group("num").replace(",", ""))
        value = -value if m.group("sign") else value
        mult = (m.group("mult") or "").lower()
        value *= SCALE.get(mult, 1.0)
        out.append(_Num(value, m.start(), m.end(), bool(m.group("pct")), bool(m.group("cur"))))
    return out


def _months_spanned(m: re.Match[str]) -> int:
    def ym(mon: str, yr: str) -> int:
        return year4(yr) * 12 + MONTHS[mon.lower()]

    return ym(m.group("m2"), m.group("y2")) - ym(m.group("m1"), m.group("y1")) + 1


def _scope(text: str) -> tuple[str, bool]:
    """(period_scope, explicitly_accumulating) from wording such as Quarterly, (Annual),
    per year, 4 Year Target, (Jan 22 to June 23)."""
    t = text.lower()
    long_range = any(_months_spanned(m) > 12 for m in _DATE_RANGE.finditer(text))
    per_span = re.search(r"\bover (?:a|an|the)\s+\d+\s*[- ]?\s*years?\s+period\b", t) is not None
    per_year = re.search(r"\b(?:per|a|each) (?:year|annum)\b", t) is not None
    if _N_YEARS.search(text) or long_range:
        return "multi-year", per_span or per_year
    if re.search(r"\bquarterly\b|\bper quarter\b|\beach quarter\b", t):
        return "quarterly", False
    if re.search(r"\bannual(?:ly)?\b|\byear end\b|\bfull year\b", t) or per_year:
        return "annual", per_year
    if re.match(rf"\s*{FY_TEXT}\s+[£\d]", text):  # "2022/23 200,000": that year's total
        return "annual", True
    return "", False


def _unit(text: str, num: _Num | None) -> str:
    # a note in parentheses is not the target's unit: "120 sites (10% of all BHSs)" counts sites
    t = (_PARENS.sub(" ", text) if num is not None else text).lower()
    if (num is not None and num.pct) or "%" in t or re.search(r"\bper ?cent\b", t):
        return "%"
    if (num is not None and num.cur) or "£" in t:
        return "£"
    if re.search(r"\bdays?\b", t):
        return "days"
    if _COUNT_WORDS.search(text) or re.search(r"\bper (?:year|annum|quarter)\b", t):
        return "count"
    if re.match(rf"\s*{FY_TEXT}\s+\d", text):
        return "count"
    return ""


def _clean_for_numbers(text: str, keep_parens: bool = False) -> str:
    """Blank out figures that are not the target: years, periods, N-year spans, notes in
    parentheses (kept for benchmarks, which print their value there: "(13.5%)")."""
    t = text if keep_parens else _PARENS.sub(lambda m: " " * len(m.group()), text)
    for pat in (
        _DATE_RANGE,
        _PREVIOUS,
        _COVERING,
        _N_YEARS,
        _CAL_YEAR_AFTER,
        _YEAR_LABEL,
        _PER_N,
        _YEAR_N,
    ):
        t = pat.sub(lambda m: " " * len(m.group()), t)
    return t


def _op_near(text: str, num: _Num) -> str:
    before = _OP_BEFORE.search(text[: num.start])
    if before:
        return _OP_WORDS[before.group("op").lower()]
    after = _OP_AFTER.match(text[num.end :])
    if after:
        return _OP_WORDS[after.group("op").lower()]
    return ""


def _is_range(text: str, a: _Num, b: _Num) -> bool:
    """Two figures joined as a range: 3.2-4.3, 80% to 90%, £5m - £10m, between 80 and 90."""
    joint = text[a.end : b.start]
    if re.fullmatch(r"\s*(?:-|to)\s*", joint):
        return True
    return bool(
        re.fullmatch(r"(?i)\s*and\s*", joint) and re.search(r"(?i)\bbetween\s*$", text[: a.start])
    )


def polarity_op(polarity: str) -> str:
    """The comparison a polarity makes of a bare target figure: High -> >=, Low -> <=."""
    return {"High": ">=", "Low": "<="}.get(polarity, "")


def parse_target(text: object, polarity: object = "") -> TargetRule:
    """Parse a printed target into a rule; never raises on odd text (it becomes `words`)."""
    raw = read_as_latin(collapse(text))
    pol = norm_polarity(polarity)
    t = raw.replace("–", "-").replace("—", "-").replace("…", "...")
    base = {"text": raw, "polarity": pol}
    if not t or t in {"-", "N/A", "n/a"}:
        return TargetRule("none", **base, reason="no target printed")

    if _WORDS_ONLY.search(t):
        return TargetRule("words", **base, reason=f"no comparable figure: {raw!r}")

    bands = _parse_bands(t)
    if bands is not None:
        return _finish(TargetRule("bands", **base, bands=bands), t)

    bench = _parse_benchmark(t, pol)
    if bench is not None:
        return _finish(replace(bench, **base), t)

    traj = _parse_trajectory(t)
    if traj:
        return _finish(TargetRule("trajectory", **base, trajectory=traj), t)

    cleaned = _clean_for_numbers(t)
    nums = _numbers(cleaned)
    if _TREND_WORDS.search(t) and not nums:
        return _trend_rule(t, pol, base)
    if nums and (re.search(r"(?i)year[- ]on[- ]year|\btrend\b", t) or _CHANGE_SIZE.search(cleaned)):
        rule = _trend_rule(t, pol, base)
        return replace(
            rule,
            evaluable=False,
            reason="a trend target with a required size of change is not supported",
        )

    new = _NEW_TARGET.search(cleaned)
    if new:  # "Previous Target: 94.7% New service Target 94.9%": the new one applies
        nums = [n for n in nums if n.start >= new.end()][:1]
    if not nums:
        return TargetRule("words", **base, reason=f"no comparable figure: {raw!r}")

    if len(nums) == 2 and _is_range(cleaned, *nums):
        low, high = sorted((nums[0].value, nums[1].value))
        return _finish(TargetRule("range", **base, low=low, high=high), t, nums[1])

    if len({n.value for n in nums}) > 1:
        figures = ", ".join(fmt_number(n.value) + ("%" if n.pct else "") for n in nums)
        return _finish(
            TargetRule("ambiguous", **base, reason=f"several figures ({figures}); rule unclear"),
            t,
        )
    num = nums[0]
    op = _op_near(cleaned, num)
    if op:
        return _finish(TargetRule("comparison", **base, threshold=num.value, op=op), t, num)
    return _finish(
        TargetRule("threshold", **base, threshold=num.value, op=polarity_op(pol)), t, num
    )


def numeric_target(text: object, polarity: object = "") -> float | None:
    """The one figure a target text sets (a threshold or a comparison), else None: the line a
    chart draws and the level a forecast is asked to reach."""
    rule = parse_target(text, polarity)
    if rule.evaluable and rule.kind in ("threshold", "comparison"):
        return rule.threshold
    return None


def _finish(rule: TargetRule, text: str, num: _Num | None = None) -> TargetRule:
    """Fill unit, scope and evaluability, which depend on the whole text and the kind."""
    scope, explicit_acc = _scope(text)
    if rule.kind == "trajectory" and scope == "" and len(rule.trajectory) > 0:
        scope = "multi-year"
    unit = _unit(text, num)
    # a count, money or days figure over a year or more is a total, not a level
    accumulates = explicit_acc or unit in ("count", "days", "£")
    accumulates = accumulates or (scope in ("annual", "multi-year") and unit != "%")
    rule = replace(rule, unit=unit, period_scope=scope, accumulates=accumulates)
    if rule.kind == "ambiguous":
        return replace(rule, evaluable=False)
    if rule.kind == "benchmark" and rule.threshold is None and rule.low is None:
        return replace(
            rule,
            evaluable=False,
            reason=f"benchmark value unknown ({rule.benchmark}); supply it in a benchmarks CSV",
        )
    if rule.kind in ("threshold", "benchmark") and rule.threshold is not None and not rule.op:
        return replace(
            rule,
            evaluable=False,
            reason="polarity unknown: cannot tell which side of the target is good",
        )
    if rule.kind == "trajectory" and not rule.polarity:
        return replace(rule, evaluable=False, reason="polarity unknown for a trajectory")
    if rule.kind == "comparison" and rule.polarity:
        good_high = rule.op.startswith(">")
        if good_high != (rule.polarity == "High"):
            rule = replace(rule, notes=(f"printed {rule.op} overrides polarity {rule.polarity}",))
    return replace(rule, evaluable=True, reason="")


def _trend_rule(text: str, pol: str, base: dict[str, str]) -> TargetRule:
    basis = "year" if re.search(r"(?i)year[- ]on[- ]year|annual", text) else "last"
    direction = "down" if _DOWN.search(text) else "up" if _UP.search(text) else "improve"
    rule = TargetRule("trend", **base, direction=direction, basis=basis)
    if direction == "improve" and not pol:
        return replace(rule, reason="improving trend but polarity unknown")
    return replace(rule, evaluable=True)


def _parse_bands(text: str) -> tuple[Band, ...] | None:
    marks = list(_BAND_WORD.finditer(text))
    statuses = {m.group(1).lower() for m in marks}
    if not ({"red", "green"} <= statuses and re.search(r"\d", text)):
        return None
    bands = []
    for i, m in enumerate(marks):
        seg = text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        status = m.group(1).capitalize()
        bands.append(_band(status, seg.strip(" ;,.")))
    return tuple(bands)


def _band(status: str, seg: str) -> Band:
    nums = _numbers(seg)
    if not nums:
        return Band(status, rest=True)
    if len(nums) >= 2 and _is_range(seg, nums[0], nums[1]):
        return Band(status, low=nums[0].value, high=nums[1].value)
    op = _op_near(seg, nums[0])
    v = nums[0].value
    if op == "<":
        return Band(status, high=v, high_inclusive=False)
    if op == "<=":
        return Band(status, high=v)
    if op == ">":
        return Band(status, low=v, low_inclusive=False)
    if op == ">=":
        return Band(status, low=v)
    return Band(status, low=v, high=v)  # a single printed value: that value only


def _parse_benchmark(text: str, pol: str) -> TargetRule | None:
    key = ""
    q = _QUARTILE.search(text)
    if q:
        key = f"quartile {q.group(1).lower()}"
    for pat, name in _BENCHMARKS:
        if pat.search(text):
            key = name
            break
    if not key and re.search(r"(?i)\bcomparable with\b", text):
        key = "comparators"
    if not key:
        return None
    t = _QUARTILE.sub(lambda m: " " * len(m.group()), text)
    t = _clean_for_numbers(t, keep_parens=True)
    nums = _numbers(t)
    lead = re.match(
        r"(?i)\s*(?:to be\s+|be\s+|remain\s+|stay\s+)?(above|over|better than|below|under|"
        r"lower than|at or above|at or below|in line with|comparable with|maintain)\b",
        text,
    )
    op = polarity_op(pol)
    if lead:
        word = lead.group(1).lower()
        op = {
            "above": ">",
            "over": ">",
            "below": "<",
            "under": "<",
            "lower than": "<",
            "at or above": ">=",
            "at or below": "<=",
        }.get(word, op)
        if word == "better than":
            op = {"High": ">", "Low": "<"}.get(pol, "")
    rule = TargetRule("benchmark", text, benchmark=key, op=op)
    if len(nums) == 2:
        low, high = sorted((nums[0].value, nums[1].value))
        return replace(rule, low=low, high=high)
    if len(nums) == 1:
        return replace(rule, threshold=nums[0].value)
    return rule


def _parse_trajectory(text: str) -> tuple[Milestone, ...]:
    out = []
    prev_end = 0
    for m in _BY_YEAR.finditer(text):
        seg = text[prev_end : m.start()]
        cleaned = _N_YEARS.sub(lambda x: " " * len(x.group()), seg)
        cleaned = _YEAR_LABEL.sub(lambda x: " " * len(x.group()), cleaned)
        nums = _numbers(cleaned)
        prev_end = m.end()
        if not nums:
            continue
        label = m.group("year")
        out.append(Milestone(label, fy_start(label), nums[-1].value))
    return tuple(out)


# --- benchmarks ---------------------------------------------------------------------------------
BENCHMARK_COLUMNS = ["kpi_id", "period", "benchmark", "value"]


def load_benchmarks(path: str | Path) -> pd.DataFrame:
    """An optional CSV of benchmark values (kpi_id, period, benchmark, value).

    For quartiles, `value` is the boundary the KPI must reach to be in that quartile."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such benchmarks file")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"not a readable UTF-8 CSV ({exc})") from None
    missing = [c for c in BENCHMARK_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(str(p), f"missing column(s): {', '.join(missing)}", line=1)
    out = df[BENCHMARK_COLUMNS].copy()
    values = pd.to_numeric(out["value"], errors="coerce")
    bad = values.isna() & (out["value"].str.strip() != "")
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise InputError(str(p), f"value is not a number: {out['value'][bad].iloc[0]!r}", line=line)
    out["value"] = values
    out["benchmark"] = out["benchmark"].map(lambda s: collapse(s).lower())
    return out


def with_benchmark(
    rule: TargetRule, benchmarks: pd.DataFrame | None, kpi_id: str, period: str
) -> TargetRule:
    """Fill a benchmark rule's value from the benchmarks table, when it has one for this KPI."""
    if rule.kind != "benchmark" or rule.evaluable or benchmarks is None or benchmarks.empty:
        return rule
    rows = benchmarks[
        (benchmarks["kpi_id"] == kpi_id)
        & (benchmarks["period"] == period)
        & (benchmarks["benchmark"] == rule.benchmark)
        & benchmarks["value"].notna()
    ]
    if rows.empty:
        return rule
    value = float(rows["value"].iloc[0])
    # where the figure comes from: a user's file, or the report's own commentary
    source = str(rows["source"].iloc[0]) if "source" in rows.columns else "benchmarks file"
    return replace(
        rule,
        threshold=value,
        evaluable=bool(rule.op),
        reason="" if rule.op else "polarity unknown: cannot tell which side is good",
        notes=(*rule.notes, f"{rule.benchmark} = {fmt_number(value)} from {source}"),
    )
