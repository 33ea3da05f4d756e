"""RAG status recomputed from the printed target, to check the council's own rating.

Green: the target is met, or missed by no more than the council's green margin. Amber: missed,
but within the council's amber band; Red: missed by more. The bands are the council's own, read
from the statuses it printed (kpi_lib.analysis.bands); the `tolerance` parameter (relative, 5%
by default) is the amber band only where no statuses were printed. Explicit bands use their own
thresholds; trend rules compare the last two comparable points. An annual target is compared
with an in-year share, rate or level as it stands and pro-rated for a year-to-date total, said
so in the reason. Anything the target text does not pin down (words, unknown benchmarks, an
annual total against one quarter's count) gets no status and a reason: the point is to find
where the printed target and the printed RAG disagree, not to invent ratings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from kpi_lib.analysis.bands import (
    AmberBand,
    Point,
    band_for,
    pct,
    published_band,
    tolerance_band,
)
from kpi_lib.analysis.defaults import AMBER_TOLERANCE, check_tolerance
from kpi_lib.analysis.printed_benchmarks import printed_benchmarks
from kpi_lib.analysis.printed_year_figures import year_figure
from kpi_lib.analysis.rag_evidence import (
    disagreement_note,
    later_year_reason,
    prose_rating,
    target_year,
)
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
from kpi_lib.store.catalog import Catalog
from kpi_lib.store.councils import Council
from kpi_lib.values import rag_read_from, running_total

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


def _by_gap(value: float, target: float, band: AmberBand, what: str) -> Evaluation:
    """Status of a missed target from the relative distance to it, in the band in use."""
    if target == 0:
        gap = 0.0 if value == target else math.inf
    else:
        gap = abs(value - target) / abs(target)
    side = "above" if value > target else "below" if value < target else "at"
    shown = "" if math.isinf(gap) else f" by {gap:.1%}"
    text = f"{fmt_number(value)} {side} {what} {fmt_number(target)}{shown}"
    status = band.status(gap)
    if status == "Green":  # only a user's explicit green margin: learned bands have none
        margin = f"{text} (within the green margin {pct(band.green)})"
        return Evaluation("Green", margin, target, gap)
    off = "short" if value < target else "over"
    miss = "missed" if math.isinf(gap) else f"{gap:.1%} {off}"
    where = "within" if status == "Amber" else "beyond"
    said = f"{text}; {status}: {miss}, {where} the {pct(band.amber)} band {band.meaning()}"
    return Evaluation(status, said, target, gap)


def _vs_threshold(value: float, target: float, op: str, band: AmberBand) -> Evaluation:
    if _met(value, op, target):
        return Evaluation("Green", f"{fmt_number(value)} {op} {fmt_number(target)}", target, 0.0)
    return _by_gap(value, target, band, "target")


def _vs_range(value: float, low: float, high: float, pol: str, band: AmberBand) -> Evaluation:
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
    return _by_gap(value, bound, band, "range bound")


def _vs_bands(rule: TargetRule, value: float, scale: float = 1.0) -> Evaluation:
    """The band holding the value. A value between two printed bands (94.95 with `Amber: 90 -
    94.9, Green: >= 95`) has not met the better band's edge, so it takes the worse one.
    A pro-rated target (`scale` < 1) scales the printed edges alike."""
    shown, value = value, value / scale  # dividing the value = scaling every edge
    hits = [b for b in rule.bands if b.contains(value)]
    if len({b.status for b in hits}) > 1:
        return Evaluation("", f"{fmt_number(shown)} falls in overlapping bands")
    if hits:
        return Evaluation(hits[0].status, f"{fmt_number(shown)} in the {hits[0].status} band")
    below = [b for b in rule.bands if b.high is not None and b.high <= value]
    above = [b for b in rule.bands if b.low is not None and b.low >= value]
    if below and above:
        lo = max(below, key=lambda b: b.high)  # type: ignore[arg-type,return-value]
        hi = min(above, key=lambda b: b.low)  # type: ignore[arg-type,return-value]
        worse = max(lo.status, hi.status, key=STATUSES.index)
        return Evaluation(
            worse, f"{fmt_number(shown)} between the {lo.status} and {hi.status} bands"
        )
    rest = [b for b in rule.bands if b.rest]
    if len(rest) == 1:
        return Evaluation(rest[0].status, f"{fmt_number(shown)} outside the other bands")
    return Evaluation("", f"{fmt_number(shown)} falls in no band")


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
    band: AmberBand,
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
    if rel <= band.amber:
        return Evaluation(
            "Amber", f"{what}: not {want} (change within {pct(band.amber)})", before, rel
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
    prorate: bool = True,
    level: bool = False,
    band: AmberBand | None = None,
    annual_total: bool = False,
) -> Evaluation:
    """RAG status of `value` against `rule`.

    `polarity` defaults to the rule's own; `period` is the value's period label (for
    trajectories, trend rules and scope checks);
    `grain` overrides what the label says (quarter/month/term/year); `value_unit` catches a
    count target against a percentage value; `cumulative` marks a year-to-date indicator, which
    is comparable with an annual target at Q4 and pro-rated before (unless `prorate` is off);
    `level` marks a share, rate, average or index, comparable with an annual target as it
    stands. `band` is the council's amber band (kpi_lib.analysis.bands); without one the
    amber band is `tolerance`. `annual_total` marks a KPI whose target is a year's total
    although this value is not a running total (a quarter's own count). The reason says which
    conversion was made."""
    check_tolerance(tolerance)
    band = band or tolerance_band(tolerance)
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
    rule, blocked, scale, note = _in_scope(
        rule, g, period, cumulative, prorate, level, annual_total
    )
    if blocked:
        return Evaluation("", blocked)

    ev = _dispatch(rule, value, pol, band, history, period, cumulative, scale)
    if note and ev.status:
        ev = replace(ev, reason=f"{ev.reason}; {note}")
    return ev


def _in_scope(
    rule: TargetRule,
    g: str,
    period: str | None,
    cumulative: bool,
    prorate: bool,
    level: bool,
    annual_total: bool = False,
) -> tuple[TargetRule, str, float, str]:
    """(rule, why not comparable or "", target scale, note): whether a value of grain `g` can
    be set against the target's span, and how (as it stands, or pro-rated)."""
    sums = cumulative or annual_total
    if sums and not rule.period_scope and rule.unit != "%" and rule.kind != "trend":
        # an annual cumulative indicator's target figure is the year's total (a trend rule has
        # no figure: it compares like for like, see _vs_trend)
        rule = replace(rule, period_scope="annual", accumulates=True)
    if rule.accumulates and rule.period_scope in ("annual", "multi-year"):
        return rule, *_scope_check(rule, g, period, cumulative, prorate, level)
    return rule, "", 1.0, ""


def _scoped(
    row: pd.Series, basis: str | None = None
) -> tuple[pd.Series, TargetRule, str, float] | None:
    """(the prepared row, its printed target's rule, why that target cannot stand beside the
    figure as printed or "", the scale it stands at: a year-to-date pro-rating), or None where
    the target sets no threshold to compare with. `basis` overrides the row's."""
    row = _prepared(row.to_frame().T).iloc[0]
    if basis is not None:
        row["basis"] = basis
    rule = parse_target(row.get("target_text", ""), norm_polarity(row.get("polarity", "")))
    if not rule.evaluable or rule.kind not in ("threshold", "comparison"):
        return None
    cumulative, level = _cumulative(row), is_level(row)
    period = row["period"] or None
    total = _annual_total(row)
    _, blocked, scale, _ = _in_scope(rule, _grain(row), period, cumulative, True, level, total)
    return row, rule, str(blocked or ""), scale


def comparable_target(row: pd.Series, basis: str | None = None) -> float | None:
    """The figure of a point's printed target that the point can stand beside on a chart or in
    a forecast: the threshold, pro-rated as `kpi rag` pro-rates it for a year-to-date total;
    None where `kpi rag` would not compare them (a year's days lost against one quarter's) or
    the target sets no single figure, or (beside the point itself) it was set for a later year
    than the report's. `basis` overrides the row's (a forecast of de-cumulated quarters, which
    may well run into that later year)."""
    scoped = _scoped(row, basis)
    if scoped is None:
        return None
    row, rule, blocked, scale = scoped
    year = target_year(rule, row.get("target_period", ""))
    later = later_year_reason(year, str(row.get("report_period", "") or ""), str(row["period"]))
    if later and basis is None:
        return None  # drawn beside the point: a later year's target is no line it had to meet
    return None if blocked or rule.threshold is None else rule.threshold * scale


def scope_problem(row: pd.Series) -> str:
    """Why a point's printed target cannot stand beside it as printed ("annual target vs
    quarterly value: one quarter's total, not comparable with a year's"), else "": what
    `kpi rag` says before judging it another way, for a sentence that sets the two side by
    side."""
    scoped = _scoped(row)
    return "" if scoped is None else scoped[2]


def _grain(row: pd.Series) -> str:
    """The span a row's value covers: a rolling 12 months filed under its quarter is a year's."""
    return "year" if _basis(row) == "rolling 12 months" else grain_of_row(row)


_NOT_A_YEAR = "total, not comparable with a year's"


def _by_year_figure(
    row: pd.Series,
    rule: TargetRule,
    ev: Evaluation,
    commentary: pd.DataFrame,
    tolerance: float,
    band: AmberBand | None,
) -> Evaluation:
    """`ev` (not comparable) again, with the commentary's rolling-year figure if it has one."""
    found = year_figure(commentary, row["report_period"], str(row["kpi_id"]), _value_unit(row))
    if found is None:
        return ev
    again = evaluate(rule, found.value, None, tolerance, period=row["period"] or None,
                     grain="year", value_unit=_value_unit(row), band=band)  # fmt: skip
    if not again.status:
        return ev
    where = (
        f"the rolling 12 months the commentary gives ({fmt_number(found.value)}, "
        f"in the block from line {found.source_line})"
    )
    return replace(again, reason=f"{ev.reason}; judged on {where}: {again.reason}")


def _annual_total(row: pd.Series) -> bool:
    """A quarter's own figure of a KPI that adds up over the year (its target is the year's)."""
    accumulation = accumulation_of(row.get("metric_name"), row.get("accumulation", ""))
    return accumulation == "cumulative" and _basis(row).lower() == "quarter"


def _cumulative(row: pd.Series) -> bool:
    """Is the row's value a running total for the year (pro-rated against an annual target)?"""
    accumulation = accumulation_of(row.get("metric_name"), row.get("accumulation", ""))
    basis = _basis(row).lower()
    if basis == "quarter":
        return False  # a quarter's own figure, whatever the KPI accumulates to
    return accumulation == "cumulative" or "year to date" in basis


def _scope_check(
    rule: TargetRule, g: str, period: str | None, cumulative: bool, prorate: bool, level: bool
) -> tuple[str, float, str]:
    """(why not comparable or "", target scale, note) for a target over a year or more."""
    # a trajectory milestone is a year-end figure, whatever the span of the whole trajectory
    scope = "annual" if rule.kind == "trajectory" else rule.period_scope
    if level and scope == "annual" and not cumulative and not _PER_YEAR.search(rule.text):
        where = _GRAIN_WORD.get(g, "in-year") if g != "year" else "annual"
        note = f"annual target vs {where} value: a share, rate or level, compared as it stands"
        return "", 1.0, note
    if g in ("quarter", "month", "term"):
        q = quarter_of(period) if period else None
        if scope == "annual" and cumulative and q == 4:
            return "", 1.0, "year-to-date at Q4 = full year"
        if scope == "annual" and cumulative and prorate and q:
            return "", q / 4.0, f"annual target pro-rated to Q{q} ({q}/4) for a year-to-date value"
        why = f"{scope} target vs {_GRAIN_WORD[g]} value"
        if scope == "annual" and cumulative:
            why += ": a total so far this year, and pro-rating is off"
        elif scope == "annual" and not level:
            why += f": one {g}'s {_NOT_A_YEAR}"
        return why, 1.0, ""
    if g == "year":
        if scope == "multi-year" and rule.kind != "trajectory":
            return "multi-year target vs annual value", 1.0, ""
        return "", 1.0, ""
    return f"{scope} target; the value's period is unknown", 1.0, ""


def _dispatch(
    rule: TargetRule,
    value: float,
    pol: str,
    band: AmberBand,
    history: pd.Series | None,
    period: str | None,
    cumulative: bool,
    scale: float,
) -> Evaluation:
    kind = rule.kind
    if kind in ("threshold", "comparison") or (kind == "benchmark" and rule.threshold is not None):
        if not rule.op:
            return Evaluation("", "polarity unknown: cannot tell which side of the target is good")
        return _vs_threshold(value, rule.threshold * scale, rule.op, band)  # type: ignore[operator]
    if kind in ("range", "benchmark") and rule.low is not None and rule.high is not None:
        return _vs_range(value, rule.low * scale, rule.high * scale, pol, band)
    if kind == "bands":
        return _vs_bands(rule, value, scale)
    if kind == "trajectory":
        return _vs_trajectory(rule, value, pol, band, period)
    if kind == "trend":
        return _vs_trend(rule, value, pol, band, history, period, cumulative)
    return Evaluation("", rule.reason or f"{kind} target is not evaluable")


def _vs_trajectory(
    rule: TargetRule, value: float, pol: str, band: AmberBand, period: str | None
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
    ev = _vs_threshold(value, hit[0].value, polarity_op(pol), band)
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
    "band",
    "source_file",
    "source_line",
    "reported_rag_from",  # how the printed status was read: "glyph '~' (OCR look-alike of ✓)"
    "target_for",  # the year the target was set for, where the header or its text names one
    "basis",  # the figure's basis as the store decided it
    "basis_evidence",  # the council's words that decided it, where they did
    "disagreement",  # why the recomputed status differs from the printed one
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


def _catalogued(obs: pd.DataFrame, catalog: Catalog | None) -> pd.DataFrame:
    """Rows without a printed polarity take the catalogue's (`_polarity_from` marks them)."""
    if catalog is None or obs.empty:
        return obs
    by_id = catalog.polarities()
    printed = obs["polarity"].fillna("").astype(str)
    known = obs["kpi_id"].astype(str).map(by_id).fillna("")
    fill = (printed == "") & (known != "")
    if not fill.any():
        return obs
    out = obs.copy()
    out.loc[fill, "polarity"] = known[fill]
    source = obs["kpi_id"].astype(str).map(catalog.polarity_source)
    out["_polarity_from"] = source.where(fill, "")
    return out


def rag_table(
    observations: pd.DataFrame,
    tolerance: float = AMBER_TOLERANCE,
    *,
    report_period: str | None = None,
    benchmarks: pd.DataFrame | None = None,
    prorate: bool = True,
    commentary: pd.DataFrame | None = None,
    catalog: Catalog | None = None,
    council: Council | None = None,
) -> pd.DataFrame:
    """Reported vs recomputed RAG for each KPI row printed in a report.

    Takes the store's observations (or the gold fixture's columns: good_is, as_of_text).
    Rows of `report_period` only when given; of multi-period (history) tables, the latest
    period of each metric in each report. Earlier values of the same KPI serve as the history
    for trend rules; the statuses printed in the same and earlier reports set the bands."""
    obs = _prepared(observations)
    rows = obs if report_period is None else obs[obs["report_period"] == report_period]
    return judge_rows(
        _latest_per_metric(rows),
        obs,
        tolerance,
        benchmarks,
        prorate,
        commentary,
        catalog=catalog,
        council=council,
    )


def judge_rows(
    rows: pd.DataFrame,
    pool: pd.DataFrame,
    tolerance: float = AMBER_TOLERANCE,
    benchmarks: pd.DataFrame | None = None,
    prorate: bool = True,
    commentary: pd.DataFrame | None = None,
    *,
    catalog: Catalog | None = None,
    council: Council | None = None,
) -> pd.DataFrame:
    """The one way a printed point is judged: `kpi rag`, the quarterly report and the deep dive
    all come here, so the same point always gets the same status. `pool` holds every
    observation: the history that trend rules compare with, and the printed statuses the
    council's bands are read from (each point's own status never among them). `commentary`
    (the store's) supplies the quartile bands a report prints beside its tables; a user's
    `benchmarks` come first.

    A row whose report prints no polarity takes the `catalog`'s (the council's catalogue), and
    the reason says so; a `council` that publishes its amber rule is judged by it instead of
    the bands learned from its statuses."""
    check_tolerance(tolerance)
    rows, pool = _catalogued(_prepared(rows), catalog), _catalogued(_prepared(pool), catalog)
    benchmarks = _with_printed(benchmarks, commentary, pool)
    points = _evidence(pool, tolerance, benchmarks, prorate)
    rule_band = None
    if council is not None and council.amber_within is not None:
        rule_band = published_band(council.amber_within, council.name, council.amber_rule)
    judged = []
    for _, row in rows.iterrows():
        band = rule_band or band_for(
            points, row["report_period"], str(row["kpi_id"]), row["period"], tolerance
        )
        judged.append(
            (row, band, *_judge(row, pool, tolerance, benchmarks, prorate, band, commentary))
        )
    judged = _one_edge_per_report(judged, pool, tolerance, benchmarks, prorate, commentary)
    out = [_record(row, band, rule, ev, commentary) for row, band, rule, ev in judged]
    table = pd.DataFrame(out, columns=[*RAG_COLUMNS, "_gap"])
    table["agree"] = table["agree"].astype("boolean")
    table["source_line"] = pd.array(table["source_line"], dtype="Int64")
    notes = [
        disagreement_note(r, table[table["report_period"] == r["report_period"]])
        for _, r in table.iterrows()
    ]
    table["disagreement"] = notes
    return table.drop(columns="_gap").reset_index(drop=True)


_Judged = tuple[pd.Series, AmberBand, TargetRule, Evaluation]


def _banded(rule: TargetRule, ev: Evaluation) -> bool:
    """Was the status set by the band (a missed target the band grades)?"""
    return ev.gap is not None and ev.gap > 0 and rule.kind not in ("bands",)


def _one_edge_per_report(
    judged: list[_Judged],
    pool: pd.DataFrame,
    tolerance: float,
    benchmarks: pd.DataFrame | None,
    prorate: bool,
    commentary: pd.DataFrame | None,
) -> list[_Judged]:
    """A report's recomputed statuses never call a bigger miss Amber while a smaller one is Red:
    where per-KPI bands would (a KPI's own earlier statuses moved its edge), every missed target
    of that report is judged again with the edge most of them had."""
    out = list(judged)
    by_report: dict[str, list[int]] = {}
    for i, (row, _, rule, ev) in enumerate(judged):
        if _banded(rule, ev) and ev.status in ("Amber", "Red") and math.isfinite(ev.gap or 0):
            by_report.setdefault(str(row["report_period"]), []).append(i)
    for idx in by_report.values():
        red = [judged[i][3].gap for i in idx if judged[i][3].status == "Red"]
        amber = [judged[i][3].gap for i in idx if judged[i][3].status == "Amber"]
        if not red or not amber or max(amber) <= min(red):  # type: ignore[type-var]
            continue
        edges = pd.Series([judged[i][1].amber for i in idx])
        edge = float(edges.mode().min())
        for i in idx:
            row, band, _, _ = judged[i]
            why = "one edge for the report: per-KPI bands would call a bigger miss Amber"
            one = replace(band, amber=edge, source=f"{band.source}; {why}")
            rule, ev = _judge(row, pool, tolerance, benchmarks, prorate, one, commentary)
            out[i] = (row, one, rule, ev)
    return out


def _record(
    row: pd.Series,
    band: AmberBand,
    rule: TargetRule,
    ev: Evaluation,
    commentary: pd.DataFrame | None,
) -> dict[str, object]:
    """One row of the RAG table, with what the council's words add to the reason."""
    reported = str(row.get("rag", "") or "")
    computed = ev.status
    if reported and computed:
        agree: bool | None = reported == computed
    elif not reported and not computed:
        agree = True
    else:
        agree = None
    reason = ev.reason
    said = prose_rating(commentary, str(row["report_period"]), str(row["kpi_id"]))
    if said is not None:
        reason = f"{reason}; {said.describe()}"
    if ev.status and _text(row.get("_polarity_from")):
        source = _text(row.get("_polarity_from"))
        reason = f"{reason}; polarity {rule.polarity} from {source} (the report prints none)"
    evidence = _text(row.get("basis_evidence"))
    if evidence and evidence not in reason:
        reason = f"{reason}; basis from the commentary: {evidence}"
    year = target_year(rule, row.get("target_period", ""))
    return {
        "report_period": row["report_period"],
        "kpi_id": row["kpi_id"],
        "metric_name": row.get("metric_name", ""),
        "period": row["period"],
        "value": row["value"],
        "target_text": rule.text,
        "polarity": rule.polarity,
        "rule_kind": rule.kind,
        "rule": rule.describe(),
        "reported_rag": reported,
        "computed_rag": computed,
        "agree": agree,
        "reason": reason,
        "band": band.describe() if _banded(rule, ev) else "",
        "source_file": row.get("source_file", ""),
        "source_line": row.get("source_line", pd.NA),
        "reported_rag_from": rag_read_from(row.get("rag_text", ""), reported),
        "target_for": "" if year is None else year.label,
        "basis": _basis(row),
        "basis_evidence": evidence,
        "disagreement": "",
        "_gap": ev.gap if _banded(rule, ev) or ev.gap == 0 else None,
    }


def _text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def _with_printed(
    benchmarks: pd.DataFrame | None, commentary: pd.DataFrame | None, pool: pd.DataFrame
) -> pd.DataFrame | None:
    """The user's benchmarks, then those printed in the commentary."""
    if commentary is None:
        return benchmarks
    printed = printed_benchmarks(commentary, pool)
    if printed.empty:
        return benchmarks
    if benchmarks is None or benchmarks.empty:
        return printed
    return pd.concat([benchmarks.assign(source="benchmarks file"), printed], ignore_index=True)


def _judge(
    row: pd.Series,
    pool: pd.DataFrame,
    tolerance: float,
    benchmarks: pd.DataFrame | None,
    prorate: bool,
    band: AmberBand | None,
    commentary: pd.DataFrame | None = None,
) -> tuple[TargetRule, Evaluation]:
    """One prepared row against its printed target, in `band` (the tolerance when None). A
    quarter's total that cannot meet a year's target is judged by the rolling-year figure its
    commentary prints, where it prints one (kpi_lib.analysis.printed_year_figures)."""
    pol = norm_polarity(row["polarity"])
    rule = parse_target(row.get("target_text", ""), pol)
    rule = with_benchmark(rule, benchmarks, str(row["kpi_id"]), row["period"])
    later = later_year_reason(
        target_year(rule, row.get("target_period", "")), row["report_period"], row["period"]
    )
    if later:
        return rule, Evaluation("", later)
    own, total = row["value"], running_total(row.get("value_text"))
    if total is not None and _annual_total(row):
        # the quarter's own count printed with the year's running total: judge the total
        row = row.copy()
        row["value"], row["basis"] = total, "year to date"
    ev = evaluate(
        rule,
        None if pd.isna(row["value"]) else float(row["value"]),
        None,
        tolerance,
        history=_history(pool, row),
        period=row["period"] or None,
        grain=_grain(row),
        value_unit=_value_unit(row),
        cumulative=_cumulative(row),
        prorate=prorate,
        level=is_level(row),
        band=band,
        annual_total=_annual_total(row),
    )
    if not ev.status and ev.reason.endswith(_NOT_A_YEAR) and commentary is not None:
        ev = _by_year_figure(row, rule, ev, commentary, tolerance, band)
    if ev.status and row["value"] != own:
        so_far, alone = f"{float(row['value']):,.0f}", f"{float(own):,.0f}"
        ev = replace(
            ev, reason=f"{so_far} so far this year (the quarter's own {alone}): {ev.reason}"
        )
    if ev.status and rule.kind == "benchmark" and rule.notes:
        ev = replace(ev, reason=f"{ev.reason}; {rule.notes[-1]}")
    return rule, ev


_PER_YEAR = re.compile(r"(?i)\b(?:per|a|each) (?:year|annum)\b")
# words naming a measure that does not add up over time: a share, a rate, an average, an index
_LEVEL_WORDS = re.compile(
    r"(?i)%|\b(?:percent\w*|per ?cent|proportion|rate|ratio|average|mean|median|index|score|"
    r"per (?:10|100|1,?000|10,?000|100,?000)\b)"
)


def _basis(row: pd.Series) -> str:
    """The store's basis of a row ("" when absent or missing)."""
    basis = row.get("basis", "")
    return "" if basis is None or pd.isna(basis) else str(basis)


def is_level(row: pd.Series) -> bool:
    """Is the value a share, rate or level (comparable with an annual target as it stands)
    rather than a total that grows through the year? From the store's basis where it has one,
    else the unit and the metric's name ("days per FTE" adds up; "average (days)" does not)."""
    basis = _basis(row).lower()
    if _value_unit(row) == "%":
        return True  # a share, also of the year so far (38.3% of checks offered)
    if any(w in basis for w in ("cumul", "year to date", "ytd")):
        return False  # a total so far this year: pro-rated, not compared as it stands
    if basis == "snapshot":
        return True  # a level at a date
    if _value_unit(row) == "%":
        return True
    return bool(_LEVEL_WORDS.search(str(row.get("metric_name", "") or "")))


_evidence_cache: dict[tuple[object, ...], list[Point]] = {}


def _evidence(
    pool: pd.DataFrame, tolerance: float, benchmarks: pd.DataFrame | None, prorate: bool
) -> list[Point]:
    """The printed statuses of `pool` (see _evidence_uncached), read once per distinct pool:
    the deep dive asks for each KPI in turn with the same store."""
    cols = sorted(map(str, pool.columns))
    digest = int(pd.util.hash_pandas_object(pool[cols].astype(str), index=False).sum())
    bench = None if benchmarks is None else int(pd.util.hash_pandas_object(benchmarks).sum())
    key = (digest, len(pool), tuple(cols), tolerance, bench, prorate)
    if key not in _evidence_cache:
        if len(_evidence_cache) > 32:
            _evidence_cache.clear()
        _evidence_cache[key] = _evidence_uncached(pool, tolerance, benchmarks, prorate)
    return _evidence_cache[key]


def _evidence_uncached(
    pool: pd.DataFrame, tolerance: float, benchmarks: pd.DataFrame | None, prorate: bool
) -> list[Point]:
    """Every printed status with the shortfall its target gives: what the bands are read from.
    Trend rules and printed bands say nothing of how far a miss may go, so they are left out."""
    if "rag" not in pool.columns:
        return []
    rated = pool[pool["rag"].isin(STATUSES)]
    out = []
    for _, row in _latest_per_metric(rated).iterrows():
        rule, ev = _judge(row, pool, tolerance, benchmarks, prorate, None)
        if ev.gap is None or not ev.status or rule.kind in ("bands", "trend"):
            continue
        out.append(
            Point(row["report_period"], str(row["kpi_id"]), row["period"], ev.gap, row["rag"])
        )
    return out


def _latest_per_metric(rows: pd.DataFrame) -> pd.DataFrame:
    """Drop history-column rows: keep each metric's latest period within each report, among
    the periods with a figure where it has any (an annual KPI's "-" in a later quarter column
    is no newer figure than its 2018/19 result)."""
    if rows.empty:
        return rows
    has = pd.to_numeric(rows["value"], errors="coerce").notna()
    keys = [
        (bool(h), *(period_key(p) or (-1, -1.0))) for h, p in zip(has, rows["period"], strict=True)
    ]
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
        "period",
        "reported_rag_from",
        "disagreement",
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
        disagreements=dis[[c for c in cols if c in dis.columns]].reset_index(drop=True),
        headline=headline,
    )
