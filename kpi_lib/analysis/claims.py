"""Numbers quoted in the commentary, checked against the KPI tables they sit under.

Commentary repeats table figures ("only 35.6% received one", "(81.9% against 90%)",
"from 1852 in Q1 2022/23 to 1736 Q2 2022/23", "303 of the 604 care leavers"). Each figure is
read as a claim with a role (the current value, an earlier value, a target, a benchmark) and
compared, allowing for rounding, with what the store holds. A claim is only called
*contradicted* when it is clearly about a figure we hold and is close to it but different (a
transcription slip); a figure we cannot pair with anything is *not checkable*, never wrong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.targets import FY_TEXT, TargetRule, norm_polarity, parse_target
from kpi_lib.periods import fy_start, period_key
from kpi_lib.values import FIGURE, MONTH_PATTERN, SCALE, collapse

STATUSES = ("matched", "contradicted", "not checkable")
NEAR = 0.05  # a differing figure within 5% of a held one is taken to claim that figure

_UNIT = (
    r"(?:\s*(?:%|per\s?cent\b|percent\b|per\s+100,000\b|per\s+100k\b|per\s+10,?000\b|"
    r"per\s+10k\b|per\s+1,?000\b|admissions\s+per\s+100,000\b))?"
)
_FIG = rf"£?(?:{FIGURE})(?:\s*(?:m|k|bn)\b)?{_UNIT}"
_QLABEL = r"(?:q[1-4]|quarter\s+[1-4]|quarter\s+(?:one|two|three|four))"
_PERIOD = rf"(?:{_QLABEL}(?:\s+(?:of\s+)?{FY_TEXT})?|{FY_TEXT})"
_QWORD = {"one": 1, "two": 2, "three": 3, "four": 4}

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
    rf"|(?P<t2>{_FIG})\s+(?!days?\b|weeks?\b|hours?\b|months?\b)(?:\w+\s+)?target\b"
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
    r"\bstands?\s+at|\bscore\s+of|\brate\s+of|\bdata\s+of|\bfigure\s+of|\bvalue\s+of|"
    r"\bperformance|\blancashire|\bequates\s+to|\bof\s+just|\bjust)\s*\(?\s*$"
)
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


def _sentences(text: str) -> list[str]:
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


def _skip_number(sentence: str, start: int, end: int) -> bool:
    """Years, dates, ordinals, durations, ages, ranks: numbers that are not claims."""
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
    if _DURATION.match(after) or _RANK.search(before):
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
    for sentence in _sentences(text):
        scan = _Scan(sentence)
        for reader in (_changes, _vs_targets, _ratios, _targets, _values):
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
    """`target of 637.6`, `the 90% target`, `target range of 3.2`."""
    out = []
    for m in _TARGET.finditer(scan.s):
        g = "t" if m.group("t") else "t2"
        if scan.free(m.start(g), m.end(g)):
            t, t_dec, t_unit = _num(m.group(g))
            out.append(Claim("target", scan.s, m.group(0), t, t_dec, t_unit, "target"))
            scan.take(m.start(g), m.end(g))
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
        if not unit and nxt and nxt.group(1).lower() not in _LINK_WORDS:
            continue  # "72 full closures", "12 electric cars": a count of something else
        role = "current" if cued else "other"
        if _BENCH.search(before):
            role = "benchmark"
        elif _EARLIER.search(before):
            role = "earlier"
        period = _period_near(s, a, b)
        out.append(
            Claim("value", s, m.group(0).strip(), value, decimals, unit, role, period=period)
        )
        scan.take(a, b)
    return out


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


# --- checking -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fact:
    kind: str  # value | target | earlier
    kpi_id: str
    metric: str
    value: float
    decimals: int
    unit: str  # % | £ | days | ""
    period: str = ""

    def label(self) -> str:
        what = {"value": "table value", "target": "target", "earlier": f"{self.period} value"}
        return f"{what[self.kind]} {_show(self.value)} ({self.metric})"


def _show(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _decimals(x: float) -> int:
    text = f"{x:.4f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def same_figure(claimed: float, claimed_dec: int, actual: float, actual_dec: int) -> bool:
    """Equal at the coarser of the two printed precisions, rounding or truncating the finer
    figure: 85% matches 85.4 and 85.6, 96.75 matches 96.8, 303/604 = 50.17 matches 50.1."""
    eps = 1e-9
    d = min(claimed_dec, actual_dec)
    step = 10.0**-d
    fine, coarse = (claimed, actual) if claimed_dec >= actual_dec else (actual, claimed)
    if abs(fine - coarse) <= step / 2 + eps:
        return True
    truncated = math.floor(abs(fine) / step + eps) * step * (1 if fine >= 0 else -1)
    return abs(truncated - coarse) <= eps * max(1.0, abs(coarse)) + eps


def _unit_of(row: pd.Series) -> str:
    unit = str(row.get("unit", "") or "").strip()
    name = str(row.get("metric_name", "") or "")
    if unit in ("%", "percent"):
        return "%"
    if unit:
        return unit
    low = name.lower()
    if "%" in name or low.startswith(("percentage", "proportion", "the proportion")):
        return "%"
    if "£" in name:
        return "£"
    if re.search(r"\bdays\b", low):
        return "days"
    return ""


def _compatible(claim_unit: str, fact_unit: str) -> bool:
    if not claim_unit or not fact_unit or claim_unit == fact_unit:
        return True
    return claim_unit == "rate" and fact_unit not in ("%", "£")


def _target_figures(rule: TargetRule) -> list[float]:
    out = [x for x in (rule.threshold, rule.low, rule.high) if x is not None]
    out += [m.value for m in rule.trajectory]
    out += [b for band in rule.bands for b in (band.low, band.high) if b is not None]
    return out


def _siblings(table: pd.DataFrame, rows: pd.DataFrame, kpis: list[str]) -> list[str]:
    if "heading" not in table.columns or rows.empty:
        return []
    headings = set(rows["heading"].astype(str)) - {""}
    near = table[table["heading"].astype(str).isin(headings) & ~table["kpi_id"].isin(kpis)]
    return sorted(near["kpi_id"].astype(str).unique())


def _facts(obs: pd.DataFrame, kpis: list[str], history: pd.DataFrame) -> list[_Fact]:
    """Figures held for `kpis`: this report's latest value of each (history columns of the same
    table become earlier values), its target figures, and earlier values from other reports.
    Ordered values, targets, earlier: the order matches are tried in."""
    values: list[_Fact] = []
    targets: list[_Fact] = []
    earlier: list[_Fact] = []
    rows = obs[obs["kpi_id"].isin(kpis)]
    latest = {k: _table_period(g) for k, g in rows.groupby("kpi_id")}
    for _, r in rows.iterrows():
        unit, metric = _unit_of(r), str(r.get("metric_name", r["kpi_id"]))
        if pd.notna(r["value"]):
            v = float(r["value"])
            kind = "value" if str(r["period"]) == latest[r["kpi_id"]] else "earlier"
            fact = _Fact(kind, r["kpi_id"], metric, v, _decimals(v), unit, str(r["period"]))
            (values if kind == "value" else earlier).append(fact)
        rule = parse_target(r.get("target_text", ""), norm_polarity(r.get("polarity", "")))
        for t in _target_figures(rule):
            targets.append(_Fact("target", r["kpi_id"], metric, t, _decimals(t), rule.unit or unit))
    shown = {(f.kpi_id, f.period) for f in values + earlier}
    for _, r in history[history["kpi_id"].isin(kpis)].iterrows():
        if (r["kpi_id"], str(r["period"])) in shown or pd.isna(r["value"]):
            continue
        v, metric = float(r["value"]), str(r.get("metric_name", r["kpi_id"]))
        earlier.append(
            _Fact("earlier", r["kpi_id"], metric, v, _decimals(v), _unit_of(r), str(r["period"]))
        )
    return values + targets + earlier


def _resolve(label: str, current: str) -> tuple[int, float] | None:
    """A printed period (`Q1`, `quarter 1`, `Q4 of 2021/22`, `2018/19`, `last quarter`) as a
    period key, using the table's period for the year when the label has none."""
    cur = period_key(current)
    lab = label.strip().lower()
    if not lab:
        return None
    if lab == "last quarter":
        if cur is None:
            return None
        fy, months = cur
        return (fy, months - 3) if months > 3 else (fy - 1, 12.0)
    fy_m = re.search(FY_TEXT, lab)
    fy = fy_start(fy_m.group(0)) if fy_m else None
    q = re.search(r"q([1-4])|quarter\s+([1-4]|one|two|three|four)", lab)
    if q:
        n = q.group(1) or q.group(2)
        quarter = int(n) if n.isdigit() else _QWORD[n]
        if fy is None:
            fy = cur[0] if cur else None
        return None if fy is None else (fy, 3.0 * quarter)
    return None if fy is None else (fy, 12.0)


@dataclass(frozen=True)
class _Verdict:
    status: str
    compared: str
    compared_value: float | None
    reason: str
    kpi_id: str


def _not_checkable(reason: str) -> _Verdict:
    return _Verdict("not checkable", "", None, reason, "")


def _pair(main: _Verdict, other: _Verdict) -> _Verdict | None:
    """Two figures quoted together (value and target, from and to): a contradiction in either
    decides; a matched main figure carries both reasons. None: the caller decides."""
    for verdict in (main, other):
        if verdict.status == "contradicted":
            return verdict
    if main.status == "matched":
        reason = f"{main.reason}; {other.reason}"
        return _Verdict("matched", main.compared, main.compared_value, reason, main.kpi_id)
    return None


def _match(claim_value: float, dec: int, unit: str, facts: list[_Fact]) -> _Fact | None:
    """The first held figure equal to the claim: exactly if any, else allowing for rounding."""
    usable = [
        f
        for f in facts
        if _compatible(unit, f.unit) and not (not unit and f.unit == "%" and dec < f.decimals)
    ]  # a bare "46" is too weak to stand for 46.2%
    for f in usable:
        if abs(f.value - claim_value) <= 1e-9 * max(1.0, abs(claim_value)):
            return f
    for f in usable:
        if same_figure(claim_value, dec, f.value, f.decimals):
            return f
    return None


def _nearest(claim_value: float, unit: str, facts: list[_Fact]) -> _Fact | None:
    best, gap = None, NEAR
    for f in facts:
        if not _compatible(unit, f.unit) or f.value == 0:
            continue
        rel = abs(claim_value - f.value) / abs(f.value)
        if rel <= gap:
            best, gap = f, rel
    return best


def _check_figure(
    value: float, dec: int, unit: str, pool: list[_Fact], near: list[_Fact], what: str
) -> _Verdict:
    """Matched if a figure in `pool` equals it (allowing for rounding); contradicted if one in
    `near` (the figures it must be about) is close but different; otherwise not checkable."""
    hit = _match(value, dec, unit, pool)
    if hit:
        reason = f"{what} {_show(value)} = {hit.label()}"
        return _Verdict("matched", hit.label(), hit.value, reason, hit.kpi_id)
    close = _nearest(value, unit, near)
    if close:
        reason = f"{what} {_show(value)} but {close.label()}"
        return _Verdict("contradicted", close.label(), close.value, reason, close.kpi_id)
    if not pool:
        return _not_checkable(f"no {what} held to compare with")
    return _not_checkable(f"{what} {_show(value)} matches no held figure (another quantity?)")


@dataclass
class _Held:
    """What the store holds for one block of commentary."""

    facts: list[_Fact]
    period: str  # the table's period

    def of(self, kind: str) -> list[_Fact]:
        return [f for f in self.facts if f.kind == kind]

    def at(self, label: str) -> list[_Fact] | None:
        """Figures for a printed period: the table's if it is the table's period, else earlier
        values held for it; None when the label is not a period we can place."""
        key = _resolve(label, self.period)
        if key is None:
            return None
        values = self.of("value")
        same = [f for f in values if period_key(f.period) == key]
        if same or key == period_key(self.period):
            return same or values
        return [f for f in self.of("earlier") if period_key(f.period) == key]


def _check(claim: Claim, held: _Held) -> _Verdict:
    check = {
        "target": _check_target,
        "vs_target": _check_vs_target,
        "ratio": _check_ratio,
        "change": _check_change,
    }.get(claim.kind, _check_value)
    return check(claim, held)


_OTHER_TARGET = re.compile(
    rf"(?i)(?:{FY_TEXT}|\b(?:national|government|previous|former|old|original|fund|england|regional|"
    r"bank|grant|contract)\b)[^.;]{0,40}$"
)


def _check_target(claim: Claim, held: _Held) -> _Verdict:
    """A quoted target; one named as another scheme's or year's ("the 2017/18 Better Care Fund
    target of 734.2") may differ from ours without contradicting it."""
    targets = held.of("target")
    head = claim.text[: claim.text.find(claim.quote)] + claim.quote.split("target")[0]
    near = [] if _OTHER_TARGET.search(head) else targets
    return _check_figure(claim.value, claim.decimals, claim.unit, targets, near, "target")


def _check_vs_target(claim: Claim, held: _Held) -> _Verdict:
    target = claim.target or 0.0
    values, targets = held.of("value"), held.of("target")
    v = _check_figure(claim.value, claim.decimals, claim.unit, values, values, "value")
    t = _check_figure(target, _decimals(target), claim.unit, targets, targets, "target")
    decided = _pair(v, t)
    if decided is not None:
        return decided
    # "2.8 below the target of 90": the gap to the target rather than the value itself
    for f in values:
        if same_figure(claim.value, claim.decimals, abs(target - f.value), 2):
            reason = f"gap {_show(claim.value)} to target = {f.label()}"
            return _Verdict("matched", f.label(), f.value, reason, f.kpi_id)
    return v


def _check_ratio(claim: Claim, held: _Held) -> _Verdict:
    n, d = claim.numerator or 0.0, claim.denominator or 1.0
    counts = f"{_show(n)}/{_show(d)}"
    if not claim.derived:
        ratio = 100.0 * n / d
        if not same_figure(claim.value, claim.decimals, ratio, 4):
            reason = f"{_show(n)} of {_show(d)} is {ratio:.2f}%, not {_show(claim.value)}%"
            return _Verdict("contradicted", counts, ratio, reason, "")
    shares = [f for f in held.of("value") if f.unit in ("%", "")]
    near = [] if claim.derived else shares
    v = _check_figure(claim.value, claim.decimals, "%", shares, near, "ratio")
    if v.status == "not checkable" and not claim.derived:
        reason = "ratio consistent with its counts; no table figure to compare"
        return _Verdict("matched", counts, claim.value, reason, "")
    return v


def _check_change(claim: Claim, held: _Held) -> _Verdict:
    before = claim.before if claim.before is not None else 0.0
    moved = "up" if claim.value > before else "down"
    if claim.direction and claim.value != before and claim.direction != moved:
        reason = f"worded as {claim.direction} but the figures go {moved}"
        return _Verdict("contradicted", "", None, reason, "")
    pool = held.at(claim.period) if claim.period else None
    if pool is None:
        pool = held.of("value")
    to = _check_figure(claim.value, claim.decimals, claim.unit, pool, pool, "to-figure")
    before_pool = held.at(claim.before_period) if claim.before_period else None
    if before_pool:
        frm = _check_figure(
            before, claim.before_decimals, claim.unit, before_pool, before_pool, "from-figure"
        )
    else:
        frm = _not_checkable(f"no {claim.before_period or 'earlier'} value held")
    decided = _pair(to, frm)
    if decided is not None:
        return decided
    return frm if frm.status == "matched" else to


def _check_value(claim: Claim, held: _Held) -> _Verdict:
    """A single figure. Cued ("at 100%", "only 35.6%") it must be the current value, so a near
    miss contradicts; uncued it may be anything, so only a match counts; earlier values are
    only compared when the words point back ("compared to", "previous"). Benchmarks are
    compared with targets only (a target is often set at a benchmark)."""
    value, dec, unit = claim.value, claim.decimals, claim.unit
    if claim.role == "benchmark":
        hit = _match(value, dec, unit, held.of("target"))
        if hit:
            reason = f"benchmark figure {_show(value)} = {hit.label()}"
            return _Verdict("matched", hit.label(), hit.value, reason, hit.kpi_id)
        return _not_checkable("benchmark figure: no benchmark held")
    if claim.period:
        pool = held.at(claim.period)
        if pool is not None:
            near = pool if claim.role == "current" else []
            return _check_figure(value, dec, unit, pool, near, "value")
    current = held.of("value") + held.of("target")
    if claim.role == "current":
        return _check_figure(value, dec, unit, current, held.of("value"), "value")
    if claim.role == "earlier":  # "compared to 46.7", "the previous year (65%)"
        return _check_figure(value, dec, unit, held.of("earlier") + current, [], "value")
    return _check_figure(value, dec, unit, current, [], "value")


CLAIM_COLUMNS = [
    "kpi_id",
    "claim_text",
    "kind",
    "claimed_value",
    "compared_with",
    "compared_value",
    "status",
    "reason",
    "sentence",
    "source_file",
    "source_line",
]


def check_claims(
    commentary_df: pd.DataFrame, observations_df: pd.DataFrame, period: str
) -> pd.DataFrame:
    """Every numeric claim in one report's commentary, checked against the store.

    A block of commentary printed once but tied to several KPIs (a table of five defect
    measures) is checked once against all of them, so a figure that matches one metric is not
    reported as contradicting the others."""
    com = commentary_df[commentary_df["report_period"] == period]
    obs = observations_df.copy()
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
    table = obs[obs["report_period"] == period]
    if "is_current" in obs.columns:
        history = obs[obs["is_current"].fillna(False).astype(bool)]
    else:
        history = obs
    key = ["source_file", "source_line", "text"]
    out = []
    for (source_file, source_line, text), grp in com.groupby(key, sort=True, dropna=False):
        kpis = sorted(grp["kpi_id"].astype(str).unique())
        rows = table[table["kpi_id"].isin(kpis)]
        table_period = _table_period(rows)
        # the block's own KPIs first, then the rest of their table (same heading): commentary
        # tied to one metric often quotes its neighbours ("81.9% against 90%")
        siblings = _siblings(table, rows, kpis)
        facts = _facts(table, kpis, history) + _facts(table, siblings, history)
        held = _Held(facts, table_period)
        for claim in extract_claims(str(text)):
            v = _check(claim, held)
            out.append(
                {
                    "kpi_id": v.kpi_id or ";".join(kpis),
                    "claim_text": claim.quote,
                    "kind": claim.kind,
                    "claimed_value": claim.value,
                    "compared_with": v.compared,
                    "compared_value": v.compared_value,
                    "status": v.status,
                    "reason": v.reason,
                    "sentence": claim.text,
                    "source_file": source_file,
                    "source_line": source_line,
                }
            )
    df = pd.DataFrame(out, columns=CLAIM_COLUMNS)
    df["source_line"] = pd.array(df["source_line"], dtype="Int64")
    return df


def _table_period(rows: pd.DataFrame) -> str:
    """The latest period a table's rows describe: the one its commentary calls current."""
    if rows.empty:
        return ""
    periods = rows["period"].astype(str)
    keyed = [(period_key(p) or (-1, -1.0), p) for p in periods]
    return max(keyed)[1]
