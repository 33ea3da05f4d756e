"""Claims read from the commentary, checked against the KPI tables they sit under.

Each claim (kpi_lib.analysis.claims_extract) is compared, allowing for rounding, with what the
store holds. A claim is only called *contradicted* when it is clearly about a figure we hold
(it names the KPI's own measure or is cued as its current value) and differs beyond rounding;
a figure that is something else (a band or range, another target of the service, a benchmark,
a past year) or that we cannot pair with anything is *not checkable*, with the reason.

Two figures of different dates never contradict each other: a figure the sentence dates
elsewhere ("6.4 ... in August 2023, after the end of the summer term" beside this academic
year's 6.1) is *other date*. An earlier period's figure that differs a little from the one an
earlier report printed ("the previous academic year of 57%", printed 56 provisional) is
*restated*, the reason naming the figure and report it revises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.claims_extract import Claim, dates_in, extract_claims, resolve_when
from kpi_lib.analysis.subjects import Variant, sentence_subjects, variants
from kpi_lib.analysis.targets import FY_TEXT, TargetRule, norm_polarity, parse_target
from kpi_lib.periods import period_key
from kpi_lib.readers.commentary import tokens
from kpi_lib.store.catalog import Catalog

__all__ = ["CLAIM_COLUMNS", "STATUSES", "Claim", "check_claims", "extract_claims", "same_figure"]

STATUSES = ("matched", "contradicted", "restated", "other date", "not checkable")
NEAR = 0.05  # a differing figure within 5% of a held one is taken to claim that figure
NEAR_NAMED = 0.25  # ... within 25% when the words after it name the KPI's measure
RESTATED_NEAR = 0.15  # an earlier period's figure this near the printed one restates it


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
    report: str = ""  # the report that printed it

    def label(self) -> str:
        what = {"value": "table value", "target": "target", "earlier": f"{self.period} value"}
        return f"{what[self.kind]} {_show(self.value)} ({self.metric})"


def _show(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def printed_decimals(x: float) -> int:
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


def unit_of_row(row: pd.Series) -> str:
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


def units_compatible(claim_unit: str, fact_unit: str) -> bool:
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
        unit, metric = unit_of_row(r), str(r.get("metric_name", r["kpi_id"]))
        if pd.notna(r["value"]):
            v = float(r["value"])
            kind = "value" if str(r["period"]) == latest[r["kpi_id"]] else "earlier"
            fact = _Fact(
                kind, r["kpi_id"], metric, v, printed_decimals(v), unit, str(r["period"]),
                str(r.get("report_period", "")),
            )  # fmt: skip
            (values if kind == "value" else earlier).append(fact)
        rule = parse_target(r.get("target_text", ""), norm_polarity(r.get("polarity", "")))
        for t in _target_figures(rule):
            targets.append(
                _Fact("target", r["kpi_id"], metric, t, printed_decimals(t), rule.unit or unit)
            )
    shown = {(f.kpi_id, f.period) for f in values + earlier}
    for _, r in history[history["kpi_id"].isin(kpis)].iterrows():
        if (r["kpi_id"], str(r["period"])) in shown or pd.isna(r["value"]):
            continue
        v, metric = float(r["value"]), str(r.get("metric_name", r["kpi_id"]))
        unit, period, report = unit_of_row(r), str(r["period"]), str(r.get("report_period", ""))
        earlier.append(
            _Fact("earlier", r["kpi_id"], metric, v, printed_decimals(v), unit, period, report)
        )
    return values + targets + earlier


def _resolve(label: str, current: str) -> tuple[int, float] | None:
    """A printed period (`Q1`, `quarter 1`, `Q4 of 2021/22`, `2018/19`, `last quarter`, `the
    previous academic year`) as a period key, read against the table's period (resolve_when:
    None whenever the words leave doubt)."""
    if label.strip().lower() == "last quarter" and period_key(current) is not None:
        label = "the last quarter"
    resolved = resolve_when(label, current)
    return period_key(resolved) if resolved else None


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
        if units_compatible(unit, f.unit) and not (not unit and f.unit == "%" and dec < f.decimals)
    ]  # a bare "46" is too weak to stand for 46.2%
    for f in usable:
        if abs(f.value - claim_value) <= 1e-9 * max(1.0, abs(claim_value)):
            return f
    for f in usable:
        if same_figure(claim_value, dec, f.value, f.decimals):
            return f
    return None


def _names_measure(words: str, facts: list[_Fact]) -> list[_Fact]:
    """The held values whose metric the words after a figure name ("6.4 Gatsby Benchmarks"
    names "% Gatsby benchmark achieved by ..."): two shared content words."""
    want = tokens(words)
    if not want:
        return []
    out = []
    for f in facts:
        shared = want & tokens(f.metric)
        if len(shared) >= 2:
            out.append(f)
    return out


def _nearest(claim_value: float, unit: str, facts: list[_Fact], near: float = NEAR) -> _Fact | None:
    best, gap = None, near
    for f in facts:
        if not units_compatible(unit, f.unit) or f.value == 0:
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
    report: str = ""  # the report the commentary is in

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
        if key == period_key(self.period):
            return same or values
        # another KPI of the block may have its latest figure there: both are held for it
        return same + [f for f in self.of("earlier") if period_key(f.period) == key]


def _check(claim: Claim, held: _Held) -> _Verdict:
    if claim.kind == "range":
        what = "a benchmark band" if claim.role == "benchmark" else "a band or range"
        return _not_checkable(f"{what} ({claim.quote}), not the KPI's value")
    check = {
        "target": _check_target,
        "vs_target": _check_vs_target,
        "ratio": _check_ratio,
        "change": _check_change,
    }.get(claim.kind, _check_value)
    verdict = check(claim, held)
    if verdict.status == "contradicted" and claim.kind in ("value", "vs_target"):
        return _other_date(claim, held, verdict) or verdict
    return verdict


def _other_date(claim: Claim, held: _Held, verdict: _Verdict) -> _Verdict | None:
    """A contradiction that is none: the sentence dates the figure elsewhere than the table's
    figure (every earlier date it prints differs from the table's period), so the two are
    figures of different dates. None when the sentence dates nothing, or dates the table's own
    period."""
    own = {period_key(f.period) for f in held.of("value")} | {period_key(held.period)}
    if own == {None}:
        return None
    words = [claim.period] if claim.period else dates_in(claim.text)
    placed = [(w, resolve_when(w, held.period)) for w in words]
    placed = [(w, label) for w, label in placed if label]
    if not placed or any(period_key(label) in own for _, label in placed):
        return None  # dated nowhere, or at a table figure's own period
    when = ", ".join(dict.fromkeys(w for w, _ in placed))
    reason = (
        f"{_show(claim.value)} is dated {when} in the sentence; {verdict.compared} is for "
        f"{held.period}: figures of different dates"
    )
    return _Verdict("other date", verdict.compared, verdict.compared_value, reason, verdict.kpi_id)


def _restated(value: float, dec: int, unit: str, pool: list[_Fact], held: _Held) -> _Verdict | None:
    """An earlier period's figure that differs a little from the one an earlier report
    printed for that period: a restatement (a revised or final figure), named as such."""
    earlier = [
        f
        for f in pool
        if f.kind == "earlier" and f.period != held.period and f.report and f.report != held.report
    ]  # an earlier report's figure: this report's own tables it would contradict
    if not earlier or _match(value, dec, unit, earlier):
        return None
    close = _nearest(value, unit, earlier, RESTATED_NEAR)
    if close is None:
        return None
    printed_in = f" printed in {close.report}" if close.report else ""
    reason = (
        f"restates {_show(close.value)}{printed_in} for {close.period} as {_show(value)} "
        f"({close.metric})"
    )
    return _Verdict("restated", close.label(), close.value, reason, close.kpi_id)


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
    t = _check_figure(target, printed_decimals(target), claim.unit, targets, targets, "target")
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
    restated = (
        _restated(before, claim.before_decimals, claim.unit, before_pool, held)
        if before_pool
        else None
    )
    if restated is not None and to.status != "contradicted":
        reason = f"from-figure {restated.reason}; {to.reason}"
        return _Verdict("restated", restated.compared, restated.compared_value, reason,
                        restated.kpi_id)  # fmt: skip
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
    if claim.role == "another":
        return _not_checkable("another measure of the same service (the sentence lists several)")
    # a benchmark or an earlier figure may name the measure too ("England average of 13.3
    # admissions"): only a figure given as the KPI's own is compared by its name
    named = (
        _names_measure(claim.follows, held.of("value"))
        if claim.role in ("current", "other")
        else []
    )
    if named:
        hit = _match(value, dec, unit, named)
        if hit:
            reason = f"value {_show(value)} = {hit.label()}"
            return _Verdict("matched", hit.label(), hit.value, reason, hit.kpi_id)
        close = _nearest(value, unit, named, NEAR_NAMED)
        if close:
            reason = f"{_show(value)} {claim.follows} but {close.label()}"
            return _Verdict("contradicted", close.label(), close.value, reason, close.kpi_id)
        return _not_checkable(
            f"{_show(value)} {claim.follows}: the KPI's measure, but far from {named[0].label()}"
            " (another period or basis?)"
        )
    if claim.role == "other" and claim.follows and not claim.unit:
        hit = _match(value, dec, unit, held.of("value") + held.of("target"))
        if hit:  # "a total average score of 7.50 out of 10"
            reason = f"value {_show(value)} = {hit.label()}"
            return _Verdict("matched", hit.label(), hit.value, reason, hit.kpi_id)
        return _not_checkable(f"a count of something else ({claim.follows})")
    if claim.role == "benchmark":
        hit = _match(value, dec, unit, held.of("target"))
        if hit:
            reason = f"benchmark figure {_show(value)} = {hit.label()}"
            return _Verdict("matched", hit.label(), hit.value, reason, hit.kpi_id)
        return _not_checkable("benchmark figure: no benchmark held")
    if claim.period:
        pool = held.at(claim.period)
        if pool is not None:
            restated = _restated(value, dec, unit, pool, held)
            if restated is not None:
                return restated
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
    commentary_df: pd.DataFrame,
    observations_df: pd.DataFrame,
    period: str,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Every numeric claim in one report's commentary, checked against the store.

    A block of commentary printed once but tied to several KPIs (a table of five defect
    measures) is checked once against all of them, so a figure that matches one metric is not
    reported as contradicting the others. A sentence about a variant of the block's KPI that
    the catalogue knows ("young people with SEND" under all young people) is checked against
    the variant's figures, and filed under it, never under the block's KPI."""
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
        held = _Held(facts, table_period, period)
        about = sentence_subjects(str(text), variants(catalog, kpis))
        for claim in extract_claims(str(text)):
            other = about.get(claim.text)
            if other is None:
                v, owner = _check(claim, held), ";".join(kpis)
            else:
                v, owner = _check_about(claim, other, table, history, period), other.kpi_id
            out.append(
                {
                    "kpi_id": v.kpi_id or owner,
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


def _check_about(
    claim: Claim, other: Variant, table: pd.DataFrame, history: pd.DataFrame, period: str
) -> _Verdict:
    """A claim of a sentence about a variant: against the variant's own figures, if held."""
    rows = table[table["kpi_id"] == other.kpi_id]
    facts = _facts(table, [other.kpi_id], history)
    v = _check(claim, _Held(facts, _table_period(rows), period))
    if v.status == "matched":
        return v
    named = " ".join(sorted(other.exact or other.naming))
    held = "" if facts else ", of which no figure is held"
    reason = f"about {other.kpi_id} (the sentence names {named}{held}): {v.reason}"
    return _Verdict(v.status, v.compared, v.compared_value, reason, other.kpi_id)


def _table_period(rows: pd.DataFrame) -> str:
    """The latest period a table's rows give a figure for: the one its commentary calls
    current. Quarter columns printed empty ("-" for an annual KPI's Q1 and Q2) are no figure,
    so the year's outturn beside them stays the current value."""
    if "value" in rows.columns:
        valued = rows[pd.to_numeric(rows["value"], errors="coerce").notna()]
        rows = valued if not valued.empty else rows
    if rows.empty:
        return ""
    periods = rows["period"].astype(str)
    keyed = [(period_key(p) or (-1, -1.0), p) for p in periods]
    return max(keyed)[1]
