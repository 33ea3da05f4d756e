"""Direction of travel of a KPI series: latest change, change on a year earlier, and an OLS slope
with its 95% confidence interval, read through the KPI's polarity.

The words follow the figures (`describe`, the one rule): the direction is that of the last
change against the compared figure ("little change" within 2% of it, else improving or
worsening); the run before it is described as it is ("a steady fall" only for consecutive
figures each lower than the last, "fell after rising" for a turn); no noise is estimated from
two or three figures; a fitted slope is mentioned only from four figures, where its 95%
interval excludes zero. Annual cumulative indicators
(library visits so far this year) are only compared like for like, quarter with the same
quarter a year earlier, because Q2-to-Q1 growth of a running total says nothing.

A series is one basis at a time (see kpi_lib.store.basis): a year to date is never a point on
the line of a rolling 12 months. A change of a percentage, or one that crosses zero, is given
in points, never as a per-cent change ("-3.39 to 0.84" is +4.23 points, not +125%).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm

from kpi_lib.analysis.restatements import PROSE_READER, restatements, source_of, with_restatements
from kpi_lib.analysis.seasonal import seasonal_kpis
from kpi_lib.errors import UsageError
from kpi_lib.periods import grain_of_row, parse_period, period_key
from kpi_lib.store.catalog import Catalog

ACCUMULATIONS = ("point", "rolling", "cumulative")


# --- trend --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    """What a series did lately; `direction` is polarity-aware, `movement` is not."""

    n_points: int
    latest: float | None
    latest_period: str
    previous: float | None  # the comparison point for `change` (like for like if cumulative)
    previous_period: str
    change: float | None
    change_pct: float | None  # None when the change is in points (see change_as)
    year_ago: float | None
    year_ago_period: str
    change_yoy: float | None
    change_yoy_pct: float | None
    slope: float | None  # per year for period labels, per index step for a numeric index
    slope_low: float | None
    slope_high: float | None
    slope_points: int
    movement: str  # rising | falling | flat | ""
    direction: str  # improving | worsening | stable | "" (polarity unknown or too few points)
    basis: str  # change | "" : what the direction was judged on (the last change)
    reason: str
    change_as: str = ""  # "per cent" | "points" | "" (no change): how change is read
    previous_source: str = ""  # file:line of the previous figure (prose quoted when prose)
    comparable_because: str = ""  # why the previous figure is comparable with the latest
    shape: str = ""  # the run of figures before the latest, in words (see shape_of)


@dataclass(frozen=True)
class _Points:
    """A series in time order, one value per position. `x` is in years for dates and period
    labels (index steps for a numeric index); `stamp` counts `year` steps a year (months, or
    `per_year` index steps) and places like-for-like points; None when the labels are not
    periods."""

    s: pd.Series
    x: np.ndarray
    stamp: np.ndarray | None
    year: float
    merged: int  # values dropped because a later one has the same position


def _positions(
    index: pd.Index, per_year: int | None
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """(x, stamp, steps of the stamp in a year) for an index; see _Points."""
    if isinstance(index, pd.PeriodIndex):
        end, long = index.end_time, (index.end_time - index.start_time).days >= 27
        if len(index) and long.all():  # months, quarters, years: 2021Q1 is a year after 2020Q1
            months = (end.year * 12 + end.month).to_numpy(dtype=float)
            return months / 12.0, months, 12.0
        index = end  # weeks, days: placed by their dates
    if isinstance(index, pd.DatetimeIndex):
        days = (index - index.min()).days.to_numpy(dtype=float)
        return days / 365.25, (index.year * 12 + index.month).to_numpy(dtype=float), 12.0
    if pd.api.types.is_numeric_dtype(index):
        x = index.to_numpy(dtype=float)
        return x, (x if per_year else None), float(per_year or 1)
    keys = [period_key(v) for v in index]
    if any(k is None for k in keys):  # unrecognised labels: the caller's order, unit steps
        return pd.factorize(index)[0].astype(float), None, 1.0
    months = np.array([k[0] * 12 + k[1] for k in keys])  # type: ignore[index]
    return months / 12.0, months, 12.0


def _prepare(series: pd.Series, per_year: int | None) -> _Points:
    s = pd.to_numeric(series, errors="coerce").astype(float)
    x, stamp, year = _positions(s.index, per_year)
    ok = np.isfinite(s.to_numpy()) & np.isfinite(x)  # NaN and infinite values are not values
    order = np.argsort(x[ok], kind="stable")
    s, x = s[ok].iloc[order], x[ok][order]
    stamp = None if stamp is None else stamp[ok][order]
    last = np.diff(x, append=np.inf) != 0  # of equal positions, the one given last
    return _Points(
        s[last], x[last], None if stamp is None else stamp[last], year, int((~last).sum())
    )


def _year_ago(p: _Points) -> int | None:
    """Position of the point one year before the last one, if the series has it."""
    if p.stamp is None:
        return None
    hits = np.flatnonzero(np.isclose(p.stamp, p.stamp[-1] - p.year))
    return int(hits[-1]) if len(hits) else None


def _pct(change: float, base: float) -> float | None:
    return None if base == 0 else 100.0 * change / abs(base)


def in_points(previous: float | None, latest: float | None, unit: str = "") -> bool:
    """True when a change is only meaningful in points: the figure is itself a percentage, or
    the change crosses (or starts from) zero, where a per-cent change has no meaning."""
    if previous is None or latest is None:
        return False
    return unit.strip() in ("%", "percent") or previous == 0 or (previous < 0) != (latest < 0)


def _same_subperiod(p: _Points) -> np.ndarray:
    """Like-for-like points of a cumulative series: those at the same point of the year as the
    latest (every Q2, say); only the latest when the positions in the year are unknown."""
    if p.stamp is None:
        return np.arange(len(p.x)) == len(p.x) - 1
    years = (p.stamp[-1] - p.stamp) / p.year
    return np.isclose(years, np.round(years))


def trend(
    series: pd.Series,
    polarity: str = "High",
    n: int = 8,
    accumulation: str = "point",
    noise: float = 0.02,
    per_year: int | None = None,
    unit: str = "",
    seasonal: bool = False,
) -> Trend:
    """Trend of one KPI series (values indexed by period label, Period, date, or number).
    NaN and infinite values are skipped; of two values for one period the later is kept (and
    the reason says so).

    `n` caps how many recent points the slope and the shape use; `noise` is the relative change
    (2%) within which the last change is "little change"; `per_year` says how many index steps
    make a year for a numeric index (needed only for the change on a year earlier); `unit` "%"
    gives changes in points. A `seasonal` KPI, like a cumulative one, is compared only with the
    same point of the year a year earlier, and its slope and shape read from such points only."""
    if accumulation not in ACCUMULATIONS:
        raise UsageError(f"accumulation must be one of {', '.join(ACCUMULATIONS)}")
    if n < 2:
        raise UsageError("n must be at least 2")
    pol = polarity if polarity in ("High", "Low") else ""
    p = _prepare(series, per_year)
    s, x = p.s, p.x
    if s.empty:
        return _empty(0, "no values")
    latest, latest_period = float(s.iloc[-1]), str(s.index[-1])

    ya = _year_ago(p)
    year_ago = float(s.iloc[ya]) if ya is not None else None
    change_yoy = None if year_ago is None else latest - year_ago

    if accumulation == "cumulative" or seasonal:
        prev_i = ya
        keep = _same_subperiod(p)
        fit_s, fit_x = s[keep], x[keep]
    else:
        prev_i = len(s) - 2 if len(s) >= 2 else None
        fit_s, fit_x = s, x
    previous = float(s.iloc[prev_i]) if prev_i is not None else None
    change = None if previous is None else latest - previous

    fit_s, fit_x = fit_s.iloc[-n:], fit_x[-n:]
    slope = low = high = None
    if len(fit_s) >= 3 and np.ptp(fit_x) > 0 and np.ptp(fit_s.to_numpy()) == 0:
        slope = low = high = 0.0  # equal values: flat, whatever rounding noise OLS would add
    elif len(fit_s) >= 3 and np.ptp(fit_x) > 0:
        # fitted on values scaled to at most 1, so huge figures do not overflow the sums
        k = float(np.max(np.abs(fit_s.to_numpy())))
        res = sm.OLS(fit_s.to_numpy(dtype=float) / k, sm.add_constant(fit_x)).fit()
        slope = float(res.params[1]) * k
        ci = res.conf_int(alpha=0.05)
        low, high = float(ci[1][0]) * k, float(ci[1][1]) * k
        if math.isnan(low):  # perfect fit: the interval collapses to the slope
            low = high = slope

    like_year = "cumulative" if seasonal else accumulation
    where, step = _steps(p, like_year)
    words = describe(
        window=fit_s,
        where=where[-n:],
        step=step,
        previous=previous,
        previous_period=str(s.index[prev_i]) if prev_i is not None else "",
        polarity=pol,
        noise=noise,
        points=in_points(previous, latest, unit),
        slope_ci=None if low is None or high is None else (low, high),
        empty_why="no value a year earlier" if like_year == "cumulative" else "fewer than 2 points",
    )
    movement, direction, basis, reason = words.movement, words.direction, "change", words.reason
    if not movement:
        basis = ""
    if p.merged:
        reason += f"; {p.merged} value(s) for a repeated period left out (the last one kept)"
    points = in_points(previous, latest, unit)
    points_yoy = in_points(year_ago, latest, unit)
    return Trend(
        n_points=len(s),
        latest=latest,
        latest_period=latest_period,
        previous=previous,
        previous_period=str(s.index[prev_i]) if prev_i is not None else "",
        change=change,
        change_pct=None if change is None or previous is None or points else _pct(change, previous),
        year_ago=year_ago,
        year_ago_period=str(s.index[ya]) if ya is not None else "",
        change_yoy=change_yoy,
        change_yoy_pct=None
        if change_yoy is None or year_ago is None or points_yoy
        else _pct(change_yoy, year_ago),
        slope=slope,
        slope_low=low,
        slope_high=high,
        slope_points=len(fit_s) if slope is not None else 0,
        movement=movement,
        direction=direction,
        basis=basis,
        reason=reason,
        change_as="" if change is None else "points" if points else "per cent",
        shape=words.shape,
    )


def _steps(p: _Points, accumulation: str) -> tuple[np.ndarray, float]:
    """Where the like-for-like points lie (months for periods, else index steps) and the step
    between two consecutive ones: the same point of the next year for a running total, else
    the shortest step the series takes. A longer step is a gap (figures not reported)."""
    where = p.x if p.stamp is None else p.stamp
    if accumulation == "cumulative":
        return where[_same_subperiod(p)], p.year if p.stamp is not None else 1.0
    d = np.diff(where)
    return where, float(d[d > 0].min()) if (d > 0).any() else 1.0


# --- the words ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Wording:
    """What a series did, in words that follow from its figures: `movement` and `direction` of
    the last change (against the compared figure), `shape` of the run of figures before it."""

    movement: str  # rising | falling | flat | ""
    direction: str  # improving | worsening | little change | "" (no change, or polarity unknown)
    shape: str
    reason: str


def _fmt(v: float) -> str:
    """A figure for a sentence: separators, at most two decimals, no trailing zeros."""
    text = f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e15 else f"{v:.4g}"
    return "0" if text in ("-0", "") else text


def _amount(change: float, previous: float, points: bool) -> str:
    """The size of a change: in points for a percentage or across zero, else per cent."""
    if points or previous == 0:
        size = _fmt(abs(change))
        return size + (" point" if size == "1" else " points") if points else size
    return f"{_fmt(abs(100.0 * change / previous))}%"


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """The runs of a series' steps, oldest first: (sign, number of steps); equal steps are a
    run of their own (sign 0), so 5, 5, 6 is not a steady rise."""
    runs: list[tuple[int, int]] = []
    for sign in np.sign(np.diff(values)).astype(int):
        if runs and runs[-1][0] == sign:
            runs[-1] = (sign, runs[-1][1] + 1)
        else:
            runs.append((sign, 1))
    return runs


_VERB = {1: "rose", -1: "fell", 0: "held level"}
_RUN = {1: "rising", -1: "falling", 0: "holding level"}


def shape_of(values: np.ndarray, where: np.ndarray, step: float, since: str) -> str:
    """The shape of a window of figures (oldest first), said only as far as the figures show:
    "a steady rise" needs every step up and no period missing between them; otherwise the last
    run and the one before ("fell after rising"), or "up and down" for more turns. Two figures
    have no shape (their change says it all)."""
    if len(values) < 3:
        return ""
    runs = _runs(np.asarray(values, dtype=float))
    n = len(values)
    if len(runs) == 1:
        sign = runs[0][0]
        if sign == 0:
            return f"unchanged over the {n} figures since {since}"
        gaps = bool((np.diff(where) > 1.5 * step).any())
        if not gaps:
            word = "rise" if sign > 0 else "fall"
            return f"a steady {word} over the {n} consecutive figures since {since}"
        comp = "higher" if sign > 0 else "lower"
        return (
            f"each figure {comp} than the one before over the {n} figures since {since}, "
            "with periods missing between them"
        )
    (last, _), (before, _) = runs[-1], runs[-2]
    turn = f"{_VERB[last]} after {_RUN[before]}"
    if len(runs) == 2:
        return f"{turn} over the {n} figures since {since}"
    return f"{turn}, up and down over the {n} figures since {since}"


def describe(
    window: pd.Series,
    where: np.ndarray,
    step: float,
    previous: float | None,
    previous_period: str,
    polarity: str,
    noise: float,
    points: bool,
    slope_ci: tuple[float, float] | None,
    empty_why: str,
) -> Wording:
    """The one rule for a KPI's trend words, used by movers, the report and the deep dive.

    The last change (latest against the compared figure) sets the movement and direction: a
    change within `noise` (2%) of the compared figure is "little change", anything larger is a
    rise or a fall, read through the polarity; no noise is estimated from two or three figures,
    so none is claimed. The window (up to the last n like-for-like figures) adds its shape, and,
    with four figures or more, a fitted slope whose 95% interval excludes zero."""
    if window.empty:
        return Wording("", "", "", "no values")
    latest = float(window.iloc[-1])
    if previous is None:
        return Wording("", "", "", empty_why)
    change = latest - previous
    was = f"{_fmt(previous)} in {previous_period}" if previous_period else _fmt(previous)
    if abs(change) <= noise * abs(previous) and not (previous == 0 and change != 0):
        movement, direction = "flat", "little change"
        if change == 0:
            last = f"no change from {was}"
        else:
            last = f"little change from {was} (within {noise:.0%})"
    else:
        movement = "rising" if change > 0 else "falling"
        direction = ""
        if polarity:
            direction = "improving" if (change > 0) == (polarity == "High") else "worsening"
        last = f"{_VERB[1 if change > 0 else -1]} {_amount(change, previous, points)} from {was}"
        if not polarity:
            last += " (polarity unknown)"
    since = str(window.index[0])
    shape = shape_of(window.to_numpy(dtype=float), where, step, since)
    parts = [last] + ([shape] if shape else [])
    if slope_ci is not None and len(window) >= 4 and not shape.startswith(("a steady", "each")):
        low, high = slope_ci
        if low > 0 or high < 0:
            way = "upward" if low > 0 else "downward"
            parts.append(
                f"a{'n' if way == 'upward' else ''} {way} trend over the {len(window)} figures "
                "(95% interval of the slope)"
            )
    return Wording(movement, direction, shape, "; ".join(parts))


def _empty(n: int, reason: str) -> Trend:
    return Trend(
        n,
        None,
        "",
        None,
        "",
        None,
        None,
        None,
        "",
        None,
        None,
        None,
        None,
        None,
        0,
        "",
        "",
        "",
        reason,
    )


# --- all KPIs -----------------------------------------------------------------------------------
TREND_COLUMNS = [
    "kpi_id",
    "metric_name",
    "polarity",
    "accumulation",
    "value_basis",
    "unit",
    "n_points",
    "latest_period",
    "latest",
    "previous_period",
    "previous",
    "change",
    "change_as",
    "change_pct",
    "year_ago_period",
    "year_ago",
    "change_yoy",
    "change_yoy_pct",
    "slope",
    "slope_low",
    "slope_high",
    "slope_points",
    "movement",
    "direction",
    "basis",
    "reason",
    "previous_source",
    "comparable_because",
    "shape",
]


def accumulation_of(metric_name: object, declared: object = "") -> str:
    """The KPI's accumulation: as declared (catalog), else `cumulative` when its name says so."""
    d = str(declared or "").strip().lower()
    if d in ACCUMULATIONS:
        return d
    name = str(metric_name or "").lower()
    if "cumulative" in name:
        return "cumulative"
    if "rolling" in name:
        return "rolling"
    return "point"


def current_values(observations: pd.DataFrame) -> pd.DataFrame:
    """One value per (kpi_id, period): the current one where the store flags it, else the value
    from the latest report."""
    obs = observations
    if "is_current" in obs.columns:
        obs = obs[obs["is_current"].fillna(False).astype(bool)]
    obs = obs[pd.to_numeric(obs["value"], errors="coerce").notna()]
    sort_cols = [c for c in ("kpi_id", "period", "report_period") if c in obs.columns]
    obs = obs.sort_values(sort_cols, kind="stable")
    return obs.drop_duplicates(["kpi_id", "period"], keep="last")


def _end_month(row: pd.Series) -> float:
    """When an observation's period ends, in months (period_key's scale): the store's date,
    else the label's; -inf when neither is known (such rows sort first)."""
    end = pd.to_datetime(row.get("period_end"), errors="coerce")
    if pd.notna(end):
        return float(end.year * 12 + end.month - 3)
    key = period_key(row.get("period", ""))
    return -math.inf if key is None else key[0] * 12 + key[1]


def basis_of_row(row: pd.Series) -> str:
    """The figure's basis: the store's column, else (frames without it: fixtures, older
    callers) read off the name's accumulation and the period's grain."""
    stored = row.get("basis", "")
    if isinstance(stored, str) and stored:
        return stored
    grain = grain_of_row(row)
    acc = accumulation_of(row.get("metric_name", ""), row.get("accumulation", ""))
    if acc == "cumulative" and grain == "quarter":
        return "year to date"
    if acc == "rolling":
        return "rolling 12 months"
    return {"quarter": "quarter", "year": "annual"}.get(grain, grain or "unknown")


def like_with_like(rows: pd.DataFrame) -> pd.DataFrame:
    """One KPI's current rows on the latest point's basis, in time order of their ends.

    Like with like: same basis and same grain, except that a year to date and a whole year's
    total of a cumulative KPI are one line (the Q4 year to date is the year's total), which
    `trend` then compares only with the same point of earlier years. The basis of each row is
    in the `value_basis` column."""
    if rows.empty:
        return rows.assign(value_basis=pd.Series(dtype=object))
    ends = rows.apply(_end_month, axis=1).to_numpy(dtype=float)
    rows = rows.iloc[np.argsort(ends, kind="stable")]
    bases = rows.apply(basis_of_row, axis=1)
    grains = rows.apply(grain_of_row, axis=1)
    kinds = rows.apply(kind_of_row, axis=1)
    cumulative = bool((bases == "year to date").any())
    keys = [_line_of(b, g, cumulative, k) for b, g, k in zip(bases, grains, kinds, strict=True)]
    keep = np.array([k == keys[-1] for k in keys])
    return rows[keep].assign(value_basis=bases[keep].to_numpy())


_KIND_WORDS = {
    "fy_quarter": "quarter",
    "academic_year": "academic year",
    "fy_year": "financial year",
    "month": "month",
    "term": "term",
}


def kind_of_row(row: pd.Series) -> str:
    """The kind of period a figure is for, as far as comparing goes: a financial quarter, an
    academic or financial year, a month, a term, or a span of given months ("Dec-Feb"): a
    3-month average from December to February is another kind than a quarter, and than a
    September to November average."""
    ptype = str(row.get("period_type", "") or "")
    p = parse_period(str(row.get("period", "")))
    if not ptype and p.parsed:
        ptype = p.kind
    if ptype == "range" and p.start is not None and p.end is not None:
        return f"{calendar.month_abbr[p.start.month]}-{calendar.month_abbr[p.end.month]}"
    return _KIND_WORDS.get(ptype, ptype)


def _line_of(basis: str, grain: str, cumulative: bool, kind: str = "") -> tuple[str, str, str]:
    """Which line a figure is a point of: a rolling 12 months is one line however it is filed
    (a quarter's label or the range), so is a cumulative KPI's year to date with its annual
    totals; anything else is one line per basis, grain and kind of period (an academic year
    with academic years, a December-February average with December-February averages)."""
    if basis == "year to date" or (basis == "annual" and cumulative):
        return ("year to date", "", "")
    if basis == "rolling 12 months":
        return (basis, "", "")
    return (basis, grain, kind)


def unit_of(rows: pd.DataFrame) -> str:
    """The unit the KPI's figures are in: the store's (the catalogue's), else "%" when the
    printed name says so."""
    units = rows.get("unit", pd.Series([], dtype=object)).dropna().astype(str)
    units = units[units != ""]
    if len(units):
        return str(units.iloc[-1])
    name = str(rows["metric_name"].iloc[-1]) if "metric_name" in rows.columns else ""
    return "%" if "%" in name or "percent" in name.lower() else ""


def trend_of_rows(
    rows: pd.DataFrame, polarity: str, n: int = 8, noise: float = 0.02, seasonal: str = ""
) -> tuple[Trend, str, str]:
    """Trend of one KPI from its current rows, on one basis: (trend, the basis of the values,
    the accumulation the trend was read with). `seasonal` is where the council says the KPI is
    seasonal ("" if it does not): its figures are then compared a year apart only. The trend
    names the previous figure's source and why it is comparable."""
    same = like_with_like(rows)
    if same.empty:
        return _empty(0, "no values"), "", "point"
    basis = str(same["value_basis"].iloc[-1])
    acc = {"year to date": "cumulative", "rolling 12 months": "rolling"}.get(basis, "point")
    if basis == "annual" and (same["value_basis"] == "year to date").any():
        acc = "cumulative"
    series = pd.Series(
        pd.to_numeric(same["value"]).to_numpy(dtype=float), index=same["period"].astype(str)
    )
    unit = unit_of(rows)
    year_apart = bool(seasonal) and basis != "rolling 12 months"
    t = trend(
        series,
        polarity=polarity,
        n=n,
        accumulation=acc,
        noise=noise,
        unit=unit,
        seasonal=year_apart,
    )
    if t.previous is None and year_apart:
        t = replace(t, reason=f"{t.reason}: the council calls it seasonal ({seasonal})")
    return _with_evidence(t, same, acc, seasonal if year_apart else ""), basis, acc


def _with_evidence(t: Trend, same: pd.DataFrame, acc: str, seasonal: str) -> Trend:
    """The trend with the previous figure's source and why it compares with the latest."""
    if t.previous is None or not t.previous_period:
        return t
    prev = same[same["period"].astype(str) == t.previous_period].iloc[-1]
    last = same.iloc[-1]
    basis, kind = str(last["value_basis"]), kind_of_row(last)
    why = [f"same basis ({basis})"]
    if kind and kind == kind_of_row(prev) and basis != "rolling 12 months":
        why.append(f"{kind} with {kind}")
    if acc == "cumulative":
        why.append("the same point of the year a year earlier (a running total)")
    elif seasonal:
        why.append(
            f"the same point of the year a year earlier, the KPI being seasonal ({seasonal})"
        )
    else:
        why.append("the latest earlier figure on this basis")
    if str(prev.get("reader", "")) == PROSE_READER:
        printed = prev.get("revision_of_value")
        was = (
            f"; printed {printed:g} in {prev.get('revision_of_report')}"
            if pd.notna(printed)
            else ""
        )
        why.append(f"as restated in the {prev['report_period']} commentary{was}")
    elif pd.notna(prev.get("revision_of_value")):
        why.append(f"as revised in {prev['report_period']}")
    return replace(t, previous_source=source_of(prev), comparable_because="; ".join(why))


def trend_table(
    observations: pd.DataFrame,
    n: int = 8,
    noise: float = 0.02,
    commentary: pd.DataFrame | None = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Trend of every KPI in the observations table (columns as the store's).

    Only points on the latest point's basis, grain and kind of period are used (see
    like_with_like): a year's total and one quarter's value of the same KPI are not points on
    one line, nor are a year to date and a rolling 12 months, nor a December-February average
    and a September figure. The polarity is the one the KPI is most often printed with
    (narrative rows often print none); where no figure prints one, the `catalog`'s, and the
    reason says so.

    With the `commentary` known at the same date, earlier figures it restates are used as the
    latest word on them (kpi_lib.analysis.restatements), and KPIs it calls seasonal are
    compared a year apart (kpi_lib.analysis.seasonal)."""
    seasonal: dict[str, str] = {}
    if commentary is not None:
        observations = with_restatements(observations, restatements(commentary, observations))
        seasonal = seasonal_kpis(commentary)
    obs = current_values(observations)
    declared = catalog.polarities() if catalog is not None else {}
    rows = []
    for kpi_id, grp in obs.groupby("kpi_id", sort=True):
        printed = grp.get("polarity", pd.Series([""] * len(grp))).fillna("").astype(str)
        printed = printed[printed.isin(["High", "Low"])]
        polarity = printed.value_counts().sort_index().idxmax() if len(printed) else ""
        source, guessed = "", ""
        if not polarity and catalog is not None:
            polarity = declared.get(str(kpi_id), "")
            source = catalog.polarity_source(str(kpi_id)) if polarity else ""
            if polarity and source != "the catalogue":
                # a guess nobody has reviewed does not make a rise "improving": say less
                guessed, polarity, source = polarity, "", ""
        t, basis, acc = trend_of_rows(
            grp, polarity, n=n, noise=noise, seasonal=seasonal.get(str(kpi_id), "")
        )
        if source and t.direction in ("improving", "worsening"):
            t = replace(t, reason=f"{t.reason}; Good is {polarity} from {source}")
        if guessed and t.movement in ("rising", "falling"):
            why = f"Good is {guessed} only as guessed by `kpi catalog init`, not yet reviewed"
            t = replace(t, reason=t.reason.replace("(polarity unknown)", f"({why})"))
        last = like_with_like(grp).iloc[-1]
        row = {"kpi_id": kpi_id, "metric_name": last.get("metric_name", "")}
        row.update({"polarity": polarity, "accumulation": acc, "value_basis": basis})
        row["unit"] = unit_of(grp)
        row.update({k: getattr(t, k) for k in TREND_COLUMNS if hasattr(t, k)})
        rows.append(row)
    return pd.DataFrame(rows, columns=TREND_COLUMNS)
