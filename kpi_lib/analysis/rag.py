"""RAG status recomputed from the printed target, to check the council's own rating.

Green: the target is met. Amber: missed, but within `tolerance` (relative, 5% by default) of
the target. Red: missed by more. Explicit bands use their own thresholds; trend rules compare
the last two comparable points. Anything the target text does not pin down (words, unknown
benchmarks, an annual total against one quarter's value) gets no status and a reason: the
point is to find where the printed target and the printed RAG disagree, not to invent ratings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from kpi_lib.analysis.defaults import AMBER_TOLERANCE, check_tolerance
from kpi_lib.analysis.targets import (
    TargetRule,
    fmt_number,
    norm_polarity,
    parse_target,
    polarity_op,
    with_benchmark,
)
from kpi_lib.analysis.trends import accumulation_of
from kpi_lib.periods import grain_of, grain_of_row, period_key, quarter_of

STATUSES = ("Green", "Amber", "Red")


@dataclass(frozen=True)
class Evaluation:
    status: str  # Green | Amber | Red | "" (not evaluable)
    reason: str
    target: float | None = None  # the figure the value was compared with
    gap: float | None = None  # relative shortfall from the target (0 when met)


_GRAIN_WORD = {"quarter": "quarterly", "month": "monthly", "term": "termly", "year": "annual"}


def _met(value: float, op: str, target: float) -> bool:
    return {
        ">": value > target,
        ">=": value >= target,
        "<": value < target,
        "<=": value <= target,
    }[op]


def _by_gap(value: float, target: float, tolerance: float, what: str) -> Evaluation:
    """Status of a missed target from the relative distance to it."""
    if target == 0:
        gap = 0.0 if value == target else math.inf
    else:
        gap = abs(value - target) / abs(target)
    side = "above" if value > target else "below" if value < target else "at"
    shown = "" if math.isinf(gap) else f" by {gap:.1%}"
    text = f"{fmt_number(value)} {side} {what} {fmt_number(target)}{shown}"
    if gap <= tolerance:
        return Evaluation("Amber", f"{text} (within {tolerance:.0%})", target, gap)
    return Evaluation("Red", text, target, gap)


def _vs_threshold(value: float, target: float, op: str, tolerance: float) -> Evaluation:
    if _met(value, op, target):
        return Evaluation("Green", f"{fmt_number(value)} {op} {fmt_number(target)}", target, 0.0)
    return _by_gap(value, target, tolerance, "target")


def _vs_range(value: float, low: float, high: float, pol: str, tolerance: float) -> Evaluation:
    if low <= value <= high:
        return Evaluation(
            "Green", f"{fmt_number(value)} within {fmt_number(low)}-{fmt_number(high)}", None, 0.0
        )
    if value > high and pol == "High":
        return Evaluation(
            "Green",
            f"{fmt_number(value)} above range {fmt_number(low)}-{fmt_number(high)}",
            high,
            0.0,
        )
    if value < low and pol == "Low":
        return Evaluation(
            "Green",
            f"{fmt_number(value)} below range {fmt_number(low)}-{fmt_number(high)}",
            low,
            0.0,
        )
    bound = high if value > high else low
    return _by_gap(value, bound, tolerance, "range bound")


def _vs_bands(rule: TargetRule, value: float) -> Evaluation:
    """The band holding the value. A value between two printed bands (94.95 with `Amber: 90 -
    94.9, Green: >= 95`) has not met the better band's edge, so it takes the worse one."""
    hits = [b for b in rule.bands if b.contains(value)]
    if len({b.status for b in hits}) > 1:
        return Evaluation("", f"{fmt_number(value)} falls in overlapping bands")
    if hits:
        return Evaluation(hits[0].status, f"{fmt_number(value)} in the {hits[0].status} band")
    below = [b for b in rule.bands if b.high is not None and b.high <= value]
    above = [b for b in rule.bands if b.low is not None and b.low >= value]
    if below and above:
        lo = max(below, key=lambda b: b.high)  # type: ignore[arg-type,return-value]
        hi = min(above, key=lambda b: b.low)  # type: ignore[arg-type,return-value]
        worse = max(lo.status, hi.status, key=STATUSES.index)
        return Evaluation(
            worse, f"{fmt_number(value)} between the {lo.status} and {hi.status} bands"
        )
    rest = [b for b in rule.bands if b.rest]
    if len(rest) == 1:
        return Evaluation(rest[0].status, f"{fmt_number(value)} outside the other bands")
    return Evaluation("", f"{fmt_number(value)} falls in no band")


def _history_point(
    history: pd.Series | None, period: str | None, basis: str
) -> tuple[str, float] | None:
    """The comparable earlier point: same period a year before (basis 'year'), else the last
    point before `period`."""
    if history is None or len(history) == 0:
        return None
    h = pd.to_numeric(history, errors="coerce").dropna()
    keyed = [(period_key(i), str(i), float(v)) for i, v in h.items()]
    cur = period_key(period) if period else None
    if basis == "year":
        if cur is None:
            return None
        for k, label, v in keyed:
            if k is not None and k[0] == cur[0] - 1 and k[1] == cur[1]:
                return label, v
        return None
    earlier = [
        (k, label, v)
        for k, label, v in keyed
        if k is not None and (cur is None or k < cur) and label != period
    ]
    if not earlier:
        return None
    k, label, v = max(earlier, key=lambda t: t[0])
    return label, v


def _vs_trend(
    rule: TargetRule,
    value: float,
    pol: str,
    tolerance: float,
    history: pd.Series | None,
    period: str | None,
    cumulative: bool,
) -> Evaluation:
    basis = "year" if cumulative else rule.basis
    prev = _history_point(history, period, basis)
    if prev is None:
        where = "the same period a year earlier" if basis == "year" else "an earlier value"
        return Evaluation("", f"trend rule needs {where}")
    label, before = prev
    want = rule.direction
    if want == "improve":
        want = {"High": "up", "Low": "down"}.get(pol, "")
        if not want:
            return Evaluation("", "improving trend but polarity unknown")
    change = value - before
    what = f"{fmt_number(before)} ({label}) -> {fmt_number(value)}"
    if (change > 0 and want == "up") or (change < 0 and want == "down"):
        return Evaluation("Green", f"{what}: {want} as required", before, 0.0)
    rel = abs(change) / abs(before) if before else (0.0 if change == 0 else math.inf)
    if rel <= tolerance:
        return Evaluation(
            "Amber", f"{what}: not {want} (change within {tolerance:.0%})", before, rel
        )
    return Evaluation("Red", f"{what}: moved against the required {want}", before, rel)


def _units_clash(target_unit: str, value_unit: str) -> bool:
    if not target_unit or not value_unit or target_unit == value_unit:
        return False
    return "%" in (target_unit, value_unit) or {target_unit, value_unit} == {"£", "count"}


def evaluate(
    rule: TargetRule,
    value: float | None,
    polarity: str | None = None,
    tolerance: float = AMBER_TOLERANCE,
    history: pd.Series | None = None,
    period: str | None = None,
    *,
    grain: str = "",
    value_unit: str = "",
    cumulative: bool = False,
    prorate: bool = False,
) -> Evaluation:
    """RAG status of `value` against `rule`.

    `polarity` defaults to the rule's own; `period` is the value's period label (for
    trajectories, trend rules and scope checks);
    `grain` overrides what the label says (quarter/month/term/year); `value_unit` catches a
    count target against a percentage value; `cumulative` marks a year-to-date indicator, which
    is comparable with an annual target at Q4, or pro-rated when `prorate` is set (said so in
    the reason)."""
    check_tolerance(tolerance)
    pol = norm_polarity(polarity) if polarity is not None else rule.polarity
    if pol != rule.polarity:  # a different polarity: read the text again with it
        rule = parse_target(rule.text, pol)
    if not rule.evaluable:
        return Evaluation("", rule.reason or f"{rule.kind} target is not evaluable")
    if value is None or pd.isna(value):  # also pd.NA and numpy NaN of any width
        return Evaluation("", "no value")
    value = float(value)
    if _units_clash(rule.unit, value_unit):
        return Evaluation("", f"unit mismatch: target in {rule.unit}, value in {value_unit}")

    g = grain or (grain_of(period) if period else "")
    scale, note = 1.0, ""
    if cumulative and not rule.period_scope and rule.unit != "%" and rule.kind != "trend":
        # an annual cumulative indicator's target figure is the year's total (a trend rule has
        # no figure: it compares like for like, see _vs_trend)
        rule = replace(rule, period_scope="annual", accumulates=True)
    if rule.accumulates and rule.period_scope in ("annual", "multi-year"):
        blocked, scale, note = _scope_check(rule, g, period, cumulative, prorate)
        if blocked:
            return Evaluation("", blocked)

    ev = _dispatch(rule, value, pol, tolerance, history, period, cumulative, scale)
    if note and ev.status:
        ev = replace(ev, reason=f"{ev.reason}; {note}")
    return ev


def _scope_check(
    rule: TargetRule, g: str, period: str | None, cumulative: bool, prorate: bool
) -> tuple[str, float, str]:
    """(why not comparable or "", target scale, note) for a total over a year or more."""
    # a trajectory milestone is a year-end figure, whatever the span of the whole trajectory
    scope = "annual" if rule.kind == "trajectory" else rule.period_scope
    if g in ("quarter", "month", "term"):
        q = quarter_of(period) if period else None
        if scope == "annual" and cumulative and q == 4:
            return "", 1.0, "year-to-date at Q4 = full year"
        if scope == "annual" and cumulative and prorate and q:
            return "", q / 4.0, f"annual target pro-rated to Q{q} ({q}/4)"
        return f"{scope} target vs {_GRAIN_WORD[g]} value", 1.0, ""
    if g == "year":
        if scope == "multi-year" and rule.kind != "trajectory":
            return "multi-year target vs annual value", 1.0, ""
        return "", 1.0, ""
    return f"{scope} target; the value's period is unknown", 1.0, ""


def _dispatch(
    rule: TargetRule,
    value: float,
    pol: str,
    tolerance: float,
    history: pd.Series | None,
    period: str | None,
    cumulative: bool,
    scale: float,
) -> Evaluation:
    kind = rule.kind
    if kind in ("threshold", "comparison") or (kind == "benchmark" and rule.threshold is not None):
        if not rule.op:
            return Evaluation("", "polarity unknown: cannot tell which side of the target is good")
        return _vs_threshold(value, rule.threshold * scale, rule.op, tolerance)  # type: ignore[operator]
    if kind in ("range", "benchmark") and rule.low is not None and rule.high is not None:
        return _vs_range(value, rule.low * scale, rule.high * scale, pol, tolerance)
    if kind == "bands":
        return _vs_bands(rule, value)
    if kind == "trajectory":
        return _vs_trajectory(rule, value, pol, tolerance, period)
    if kind == "trend":
        return _vs_trend(rule, value, pol, tolerance, history, period, cumulative)
    return Evaluation("", rule.reason or f"{kind} target is not evaluable")


def _vs_trajectory(
    rule: TargetRule, value: float, pol: str, tolerance: float, period: str | None
) -> Evaluation:
    key = period_key(period) if period else None
    if key is None:
        return Evaluation("", "trajectory needs the value's period")
    fy = key[0]
    hit = [m for m in rule.trajectory if m.fy == fy]
    if not hit:
        later = [m for m in rule.trajectory if m.fy > fy]
        nxt = f" (next: {fmt_number(later[0].value)} by {later[0].label})" if later else ""
        return Evaluation("", f"no milestone for {fy}/{(fy + 1) % 100:02d}{nxt}")
    ev = _vs_threshold(value, hit[0].value, polarity_op(pol), tolerance)
    return replace(ev, reason=f"{ev.reason} (milestone by {hit[0].label})")


# --- tables -------------------------------------------------------------------------------------
RAG_COLUMNS = [
    "report_period",
    "kpi_id",
    "metric_name",
    "period",
    "value",
    "target_text",
    "polarity",
    "rule_kind",
    "rule",
    "reported_rag",
    "computed_rag",
    "agree",
    "reason",
    "source_file",
    "source_line",
]


def _col(df: pd.DataFrame, name: str, *alts: str) -> pd.Series:
    for c in (name, *alts):
        if c in df.columns:
            return df[c]
    return pd.Series([""] * len(df), index=df.index, dtype=object)


def _value_unit(row: pd.Series) -> str:
    unit = str(row.get("unit", "") or "").strip()
    if unit:
        return "%" if unit in ("%", "percent") else unit
    name = str(row.get("metric_name", "") or "")
    return "%" if name.rstrip().endswith("%") or name.lstrip().startswith("%") else ""


def _prepared(observations: pd.DataFrame) -> pd.DataFrame:
    """Observations with the columns judging reads, from the store or the gold fixture's
    columns (good_is, as_of_text)."""
    obs = observations.copy()
    obs["polarity"] = _col(obs, "polarity", "good_is").fillna("").astype(str)
    obs["period"] = _col(obs, "period", "as_of_text").fillna("").astype(str)
    obs["report_period"] = _col(obs, "report_period").fillna("").astype(str)
    if "kpi_id" not in obs.columns:
        obs["kpi_id"] = obs["metric_name"]
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
    return obs


def rag_table(
    observations: pd.DataFrame,
    tolerance: float = AMBER_TOLERANCE,
    *,
    report_period: str | None = None,
    benchmarks: pd.DataFrame | None = None,
    prorate: bool = False,
) -> pd.DataFrame:
    """Reported vs recomputed RAG for each KPI row printed in a report.

    Takes the store's observations (or the gold fixture's columns: good_is, as_of_text).
    Rows of `report_period` only when given; of multi-period (history) tables, the latest
    period of each metric in each report. Earlier values of the same KPI serve as the history
    for trend rules."""
    obs = _prepared(observations)
    rows = obs if report_period is None else obs[obs["report_period"] == report_period]
    return judge_rows(_latest_per_metric(rows), obs, tolerance, benchmarks, prorate)


def judge_rows(
    rows: pd.DataFrame,
    pool: pd.DataFrame,
    tolerance: float = AMBER_TOLERANCE,
    benchmarks: pd.DataFrame | None = None,
    prorate: bool = False,
) -> pd.DataFrame:
    """The one way a printed point is judged: `kpi rag`, the quarterly report and the deep dive
    all come here, so the same point always gets the same status. `pool` holds every
    observation, the history that trend rules compare with."""
    rows, pool = _prepared(rows), _prepared(pool)
    out = []
    for _, row in rows.iterrows():
        pol = norm_polarity(row["polarity"])
        rule = parse_target(row.get("target_text", ""), pol)
        rule = with_benchmark(rule, benchmarks, str(row["kpi_id"]), row["period"])
        hist = _history(pool, row)
        ev = evaluate(
            rule,
            None if pd.isna(row["value"]) else float(row["value"]),
            None,
            tolerance,
            history=hist,
            period=row["period"] or None,
            grain=grain_of_row(row),
            value_unit=_value_unit(row),
            cumulative=accumulation_of(row.get("metric_name"), row.get("accumulation", ""))
            == "cumulative",
            prorate=prorate,
        )
        reported = str(row.get("rag", "") or "")
        computed = ev.status
        if reported and computed:
            agree: bool | None = reported == computed
        elif not reported and not computed:
            agree = True
        else:
            agree = None
        out.append(
            {
                "report_period": row["report_period"],
                "kpi_id": row["kpi_id"],
                "metric_name": row.get("metric_name", ""),
                "period": row["period"],
                "value": row["value"],
                "target_text": rule.text,
                "polarity": pol,
                "rule_kind": rule.kind,
                "rule": rule.describe(),
                "reported_rag": reported,
                "computed_rag": computed,
                "agree": agree,
                "reason": ev.reason,
                "source_file": row.get("source_file", ""),
                "source_line": row.get("source_line", pd.NA),
            }
        )
    table = pd.DataFrame(out, columns=RAG_COLUMNS)
    table["agree"] = table["agree"].astype("boolean")
    table["source_line"] = pd.array(table["source_line"], dtype="Int64")
    return table.reset_index(drop=True)


def _latest_per_metric(rows: pd.DataFrame) -> pd.DataFrame:
    """Drop history-column rows: keep each metric's latest period within each report."""
    if rows.empty:
        return rows
    keys = rows["period"].map(lambda p: period_key(p) or (-1, -1.0))
    rows = rows.assign(_k=keys, _o=range(len(rows)))
    group = ["report_period", "kpi_id", "metric_name"]
    if "source_file" in rows.columns:
        group.append("source_file")
    dupes = rows.duplicated(group, keep=False)
    keep = rows[~dupes]
    multi = rows[dupes].sort_values("_k", kind="stable").drop_duplicates(group, keep="last")
    return pd.concat([keep, multi]).sort_values("_o").drop(columns=["_k", "_o"])


def _history(pool: pd.DataFrame, row: pd.Series) -> pd.Series | None:
    same = pool[(pool["kpi_id"] == row["kpi_id"]) & (pool["period"] != row["period"])]
    same = same[same["value"].notna() & (same["period"] != "")]
    if same.empty:
        return None
    if "is_current" in same.columns:
        current = same[same["is_current"].fillna(False).astype(bool)]
        same = current if not current.empty else same
    same = same.drop_duplicates("period", keep="last")
    return pd.Series(same["value"].to_numpy(dtype=float), index=same["period"].to_numpy())


@dataclass(frozen=True)
class RagSummary:
    rows: int
    both_rated: int  # reported and recomputed both have a status
    agreed: int
    agreement_rate: float | None  # agreed / both_rated
    not_evaluable: int  # reported a status we could not recompute
    disagreements: pd.DataFrame
    headline: pd.DataFrame  # rated / green / amber / red / pct_green, reported vs recomputed


def _headline(statuses: pd.Series, label: str) -> dict[str, object]:
    rated = int(statuses.isin(STATUSES).sum())
    green = int((statuses == "Green").sum())
    return {
        "source": label,
        "rated": rated,
        "green": green,
        "amber": int((statuses == "Amber").sum()),
        "red": int((statuses == "Red").sum()),
        "pct_green": round(100.0 * green / rated, 1) if rated else None,
    }


def rag_summary(table: pd.DataFrame) -> RagSummary:
    """Agreement between reported and recomputed RAG, and the headline both ways.

    The recomputed headline counts only KPIs the targets let us rate; the `both` row restricts
    both sides to the KPIs rated by both, the fair comparison."""
    both = table[(table["reported_rag"] != "") & (table["computed_rag"] != "")]
    agreed = int((both["reported_rag"] == both["computed_rag"]).sum())
    dis = both[both["reported_rag"] != both["computed_rag"]]
    cols = [
        "kpi_id",
        "metric_name",
        "value",
        "target_text",
        "reported_rag",
        "computed_rag",
        "reason",
    ]
    headline = pd.DataFrame(
        [
            _headline(table["reported_rag"], "reported"),
            _headline(table["computed_rag"], "recomputed"),
            _headline(both["reported_rag"], "reported (both rated)"),
            _headline(both["computed_rag"], "recomputed (both rated)"),
        ]
    )
    return RagSummary(
        rows=len(table),
        both_rated=len(both),
        agreed=agreed,
        agreement_rate=round(agreed / len(both), 4) if len(both) else None,
        not_evaluable=int(((table["reported_rag"] != "") & (table["computed_rag"] == "")).sum()),
        disagreements=dis[cols].reset_index(drop=True),
        headline=headline,
    )
