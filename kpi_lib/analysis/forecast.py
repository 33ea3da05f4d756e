"""Honest forecasts for one KPI series: a fixed combination of simple models, with intervals
calibrated on how far the same method has missed on other series (out of sample).

Input handling (documented behaviour):
- values indexed by a PeriodIndex (quarterly, monthly or annual; a DatetimeIndex with a
  regular frequency is converted); the seasonal period follows the frequency
  (Q -> 4, M -> 12, A/Y -> 1);
- missing periods count as gaps; leading and trailing NaNs are dropped, inner gaps are
  filled by linear interpolation and listed in `ForecastResult.notes`; `n_obs` counts
  observed points only.

Point forecast: the equal-weight mean of a fixed combination (`members`), never one model
picked from a handful of backtest origins (that picks noise). Which combination depends on one
statistic of the history, its trend share (net change over total movement, `trend_share`): a
steady trend (half or more) is carried on by drift, damped-trend exponential smoothing and
ARIMA(1,1,0); anything else gets Theta, ARIMA(1,1,0) and AR(1) back towards the mean, plus
the seasonal naive while the history is too short for its season to be tested (fewer than three
cycles). 1-2 points: the last figure. Seasonal series are adjusted with classical indices first:
seasonal when the caller says so (the council's commentary, see kpi_lib.analysis.seasonal) or
when season effects in the changes lower the AICc (3 cycles or more; on 2 cycles only a pattern
explaining 90% of the detrended rest).

Intervals: mean +- spread * growth_h * k, where spread is the mean absolute change of the
history, growth_h how its own h-step changes outgrow its one-step ones (square-rooted, `_growth`),
and k the multiplier calibrated across series for the history's length and the step
(kpi_lib.analysis.calibration); the 80% and 95% intervals and `p_meet_target` come from the
same calibrated distribution (simulated paths, `_paths`).

Bounds: `lower`/`upper` (the KPI's natural range, kpi_lib.analysis.bounds.natural_range)
are kept by clipping. A history of 8 points or more that stays within a factor of 10 of its
bound is modelled on a log (logit) scale, so its intervals are proportional; any other
(short, or touching or near its bound: a count with closures at zero) is modelled on its own
scale and clipped, never a log-scale tail thousands of times the largest value seen.

Fewer than 8 observed points, or more than a quarter of the span interpolated, is a short
history (`insufficient_history=True`): the intervals are still calibrated (on other short
histories), but `p_meet_target` is None: too few points to rest a probability on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from kpi_lib.analysis.backtest import FIT_ERRORS, fit_model, quiet_fits, seasonal_indices
from kpi_lib.analysis.bounds import Scale, choose_scale
from kpi_lib.analysis.calibration import LEVELS, Calibration
from kpi_lib.analysis.calibration import default as _default_calibration
from kpi_lib.errors import UsageError
from kpi_lib.values import polarity

MIN_HISTORY = 8  # fewer points than this: a short history (no P(meet target))
# more interpolated periods than this share of the span: too gappy to trust a probability
MAX_GAP_SHARE = 0.25
FLAT_SIGMA = 0.01  # a history with no change at all still gets an interval: 1% of its level
# the log/logit scale only for a history within this factor of its bound throughout
TRANSFORM_RATIO = 10.0
GROWTH_FLOOR = 0.5  # the spread's step factor never below this (see _growth)
SHORT_BLEND = 6  # below this many points: no damped trend (too few changes to fit one)
# a history whose net change is at least this share of its total movement has a steady trend
STEADY_TREND = 0.5
TREND_MEMBERS = ("drift", "damped", "arima110")
LEVEL_MEMBERS = ("theta", "arima110", "ar1")
SEASONAL_R2 = 0.9  # 8-11 points: season dummies must explain this share of the detrended rest


class Summary(str):
    """Text that displays as text: `repr` is the text itself (a notebook's last line shows it
    as lines, not a quoted string with \\n) and `_repr_html_` a preformatted block."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        return f'<pre class="forecast-summary">{html.escape(str(self))}</pre>'


@dataclass
class ForecastResult:
    """A forecast with its intervals, the backtest that chose the model, and the
    probability of meeting a target. `summary()` prints it; `to_dict()` is JSON-ready."""

    mean: pd.Series
    lower: pd.Series
    upper: pd.Series
    lower95: pd.Series
    upper95: pd.Series
    model: str
    backtest: pd.DataFrame
    p_meet_target: float | None
    insufficient_history: bool
    horizon: int
    n_obs: int
    last_period: pd.Period
    seasonal_period: int
    seasonal: bool
    sigma: float
    df: float
    target: float | None = None
    polarity: str = "High"
    target_period: pd.Period | None = None
    scale: str = "identity"  # the modelling scale: identity, log or logit
    lower_bound: float | None = None  # the range the intervals are kept in
    upper_bound: float | None = None
    notes: list[str] = field(default_factory=list)
    paths: np.ndarray | None = field(default=None, repr=False)
    # why the KPI's printed target was left out, when it covers another span than the figures
    # forecast (an annual total beside one quarter's days): set by Kpi.forecast
    target_mismatch: str = ""
    title: str = ""  # the KPI's name and unit, for plot() and summary(): set by Kpi.forecast
    unit: str = ""
    n_span: int = 0  # periods from the first figure to the last, gaps included

    def __repr__(self) -> str:
        """One line (the dataclass's own repr prints every series and the sampled paths)."""
        last = self.mean.index[-1] if len(self.mean) else self.last_period
        what = f"{self.title!r}, " if self.title else ""
        text = (
            f"<ForecastResult {what}{self.model}, {self.horizon} quarters to {last}: "
            f"{self.mean.iloc[-1]:.4g} (80% {self.lower.iloc[-1]:.4g} to "
            f"{self.upper.iloc[-1]:.4g}){' ' + self.unit if self.unit else ''}"
        )
        if self.p_meet_target is not None:
            text += f", P(meet target) {self.p_meet_target:.2f}"
        return text + ">"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def frame(self) -> pd.DataFrame:
        """The forecast as a table: one row per future period."""
        return pd.DataFrame(
            {
                "mean": self.mean,
                "lower": self.lower,
                "upper": self.upper,
                "lower95": self.lower95,
                "upper95": self.upper95,
            }
        )

    def plot(self, history: pd.Series | None = None, title: str = "", unit: str = ""):
        """The fan chart (80% and 95% ranges, target dashed), titled with the KPI and its
        y-axis with the unit; pass the quarterly series the forecast was fitted to
        (`Kpi.quarterly()`) to draw it as well."""
        from kpi_lib.analysis.fan import forecast_fan

        name = title or self.title
        title = f"{name}: forecast ({self.model})" if name else f"Forecast ({self.model})"
        return forecast_fan(history, self, title=title, unit=unit or self.unit)

    def summary(self) -> Summary:
        """The forecast in words and figures: text that Jupyter shows as such (not a quoted
        string with \\n) and a str for everything else."""
        lines = [
            (f"{self.title}\n" if self.title else "")
            + f"Forecast: {self.model}"
            + (
                " (INSUFFICIENT HISTORY: ranges from other short series, no probability)"
                if self.insufficient_history
                else ""
            ),
            f"  observations: {self.n_obs} to {self.last_period}"
            f" | seasonal period {self.seasonal_period}"
            + (" (seasonal)" if self.seasonal else "")
            + f" | sigma {self.sigma:.4g}, t df {self.df:g}",
        ]
        fr = self.frame()
        fr.index = fr.index.astype(str)
        lines.append("  period        mean   80% interval            95% interval")
        for period, r in fr.iterrows():
            lines.append(
                f"  {period:<9} {r['mean']:>9.4g}   [{r['lower']:>9.4g}, {r['upper']:>9.4g}]"
                f"   [{r['lower95']:>9.4g}, {r['upper95']:>9.4g}]"
            )
        if self.scale != "identity":
            hi = "inf" if self.upper_bound is None else f"{self.upper_bound:g}"
            lines.append(
                f"  modelled on a {self.scale} scale, kept inside [{self.lower_bound:g}, {hi}]"
            )
        if self.target is not None and self.p_meet_target is not None:
            sign = ">=" if self.polarity == "High" else "<="
            lines.append(
                f"  P(value at {self.target_period} {sign} {self.target:g}) = "
                f"{self.p_meet_target:.2f}"
            )
        if len(self.backtest):
            lines.append("  backtest (MASE, rolling origin; lower is better):")
            shown = self.backtest.head(6).to_string(index=False, float_format="{:.3f}".format)
            lines.extend("    " + ln for ln in shown.splitlines())
        lines.extend(f"  note: {n}" for n in self.notes)
        return Summary("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        bt = self.backtest.astype(object).where(self.backtest.notna(), None)
        return {
            "model": self.model,
            "insufficient_history": self.insufficient_history,
            "horizon": self.horizon,
            "n_obs": self.n_obs,
            "last_period": str(self.last_period),
            "seasonal_period": self.seasonal_period,
            "seasonal": self.seasonal,
            "sigma": _num(self.sigma),
            "df": _num(self.df),
            "target": self.target,
            "polarity": self.polarity,
            "target_period": None if self.target_period is None else str(self.target_period),
            "p_meet_target": _num(self.p_meet_target),
            "scale": self.scale,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
            "forecast": [
                {"period": str(p), **{k: _num(v) for k, v in r.items()}}
                for p, r in self.frame().iterrows()
            ],
            "backtest": bt.to_dict(orient="records"),
            "notes": list(self.notes),
        }


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


# --- input -----------------------------------------------------------------------------------
def seasonal_period(freq: Any) -> int:
    """Q -> 4, M -> 12, A/Y -> 1, from a pandas frequency or its string."""
    code = str(getattr(freq, "freqstr", freq)).upper()
    # the whole code, so a minute ("MIN") is not a month: Q, Q-DEC, QE, QS-APR, M, ME, Y-DEC
    m = re.fullmatch(r"(Q|M|A|Y)[SE]?(?:-[A-Z]{3})?", code)
    if m:
        return {"Q": 4, "M": 12}.get(m.group(1), 1)
    raise UsageError(f"forecast: unsupported frequency {code!r} (use quarterly, monthly, annual)")


def _prepare(series: pd.Series) -> tuple[pd.Series, np.ndarray, list[str]]:
    """A gap-free float series on a regular PeriodIndex, which of its points were observed
    (not interpolated), and notes on what was changed."""
    if not isinstance(series, pd.Series):
        raise UsageError("forecast: expected a pandas Series")
    index = series.index
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or (pd.infer_freq(index) if len(index) >= 3 else None)
        if freq is None:
            raise UsageError("forecast: cannot infer a frequency from the DatetimeIndex")
        index = index.to_period(freq)
    if not isinstance(index, pd.PeriodIndex):
        raise UsageError(
            "forecast: index must be a PeriodIndex (see series_to_quarterly for period labels)"
        )
    if index.has_duplicates:
        dups = sorted({str(p) for p in index[index.duplicated()]})
        raise UsageError(f"forecast: duplicated periods {', '.join(dups)}")
    values = pd.to_numeric(pd.Series(series.to_numpy(), index=index), errors="coerce")
    values = values.astype(float).sort_index()
    if np.isinf(values.to_numpy()).any():
        raise UsageError("forecast: infinite values in the series")
    notes: list[str] = []
    valid = values.dropna()
    if valid.empty:
        raise UsageError("forecast: the series has no values")
    full = pd.period_range(valid.index[0], valid.index[-1], freq=index.freq)
    values = values.reindex(full)
    observed = values.notna().to_numpy()
    gaps = values.index[~observed]
    if len(gaps):
        values = values.interpolate(method="linear")
        notes.append(f"interpolated {len(gaps)} missing period(s): {', '.join(map(str, gaps))}")
    return values, observed, notes


def _target_step(last: pd.Period, horizon: int, year_end: Any) -> int:
    if year_end is None:
        return horizon
    try:
        end = year_end if isinstance(year_end, pd.Period) else pd.Period(year_end, freq=last.freq)
    except (ValueError, TypeError) as exc:  # pandas' DateParseError is a ValueError
        raise UsageError(f"forecast: year_end {year_end!r} is not a period ({exc})") from None
    if end.freqstr != last.freqstr:
        end = end.asfreq(last.freq, how="end")
    step = (end - last).n
    if step < 1:
        raise UsageError(f"forecast: year_end {end} is not after the last observation {last}")
    return step


def _count(value: Any, name: str, least: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = least - 1
    if n < least:
        raise UsageError(f"forecast: {name} must be a whole number of at least {least}")
    return n


def _polarity(good_is: str) -> str:
    """High or Low (as kpi_lib.values.polarity reads it), else a one-line error: a target is
    met on one side only."""
    p = polarity(good_is)
    if p not in ("High", "Low"):
        raise UsageError(
            f"forecast: polarity must be High or Low to meet a target, not {good_is!r}"
        )
    return p


def _level_spread(share: float, last: float, scale: Scale) -> float:
    """The spread of a history with no changes: `share` of the last value's size (1 if it
    is 0), or of its distance to the nearer bound (a share at 98.9% cannot move 10 points
    up), carried to the modelling scale by the scale's slope there."""
    size = abs(last)
    if scale.lower is not None:
        size = last - scale.lower + scale.offset
    if scale.upper is not None:
        size = min(size, scale.upper - last + scale.offset)
    with np.errstate(all="ignore"):  # a value a hair above a bound: slope overflows
        spread = (share * size if size > 0 else 1.0) * scale.slope(last)
    return spread if math.isfinite(spread) and spread > 0 else share


# --- the point forecast ----------------------------------------------------------------------
@dataclass
class Point:
    """The point forecast on the modelling scale, with what the interval needs: the scale's
    spread (mean absolute change of the history there) and the number of observed points."""

    z: np.ndarray
    scale: Scale  # the modelling scale (identity, or log/logit far from the bounds)
    bounds: Scale  # the natural range, for clipping
    spread: float
    n_obs: int
    n_span: int
    model: str
    seasonal: bool
    last: float
    notes: list[str]
    # the spread's factor at each step: how the history's own changes grow with the lag
    growth: np.ndarray | None = None

    def scale_at(self) -> np.ndarray:
        """The interval's unit at each step: spread * growth, at least a few of the float
        spacings at the forecast (a spread at rounding size, left by a season taken out
        exactly, would otherwise give a range of width 0: a confident line)."""
        g = np.ones(len(self.z)) if self.growth is None else self.growth
        return np.maximum(self.spread * g, 8 * np.spacing(np.abs(self.z)))


def trend_share(z: np.ndarray, m: int, seasonal: bool) -> float:
    """How steady the history's trend is: its net change over its total movement (0 to 1),
    after taking out the season when there is one. 1 is a line that only rises (or only
    falls); a random walk's is about 1/sqrt(n); a series that comes and goes is near 0."""
    if seasonal:
        with quiet_fits():
            z = z - seasonal_indices(z, m)[np.arange(len(z)) % m]
    d = np.diff(z)
    total = float(np.sum(np.abs(d)))
    return abs(float(np.sum(d))) / total if total > 0 else 0.0


def members(n: int, seasonal: bool, trend: float = 0.0, m: int = 1) -> tuple[str, ...]:
    """The fixed combination for a history of n points (equal weights, no model picked from a
    handful of backtest origins: that picks noise). Which family depends on one statistic of
    the history, `trend` (trend_share), not on a contest:
    - a steady trend (GDP, a population, a count that only grows): the trend carried on,
      straight (drift), damped and as ARIMA(1,1,0);
    - anything else: smoothed levels that do not extrapolate a slope the history does not
      support (Theta: smoothed level plus half the fitted slope; ARIMA(1,1,0); AR(1) back
      towards the mean; plain SES as a fourth member was no better and cost a fit), with the
      seasonal naive as one member when the history is too short for the season to be
      tested (fewer than three cycles): a quarter's swing is then at least partly kept
      instead of averaged away.
    Below SHORT_BLEND points there is no damped trend to fit; below 3 points, naive."""
    if n < 3:
        return ("naive",)
    if trend >= STEADY_TREND:
        return TREND_MEMBERS if n >= SHORT_BLEND else ("drift", "arima110")
    out = LEVEL_MEMBERS
    if not seasonal and 1 < m <= n < 3 * m:
        out = (*out, "snaive")
    return out


# each member of a combination in a reader's words (method_words)
MEMBER_WORDS = {
    "naive": "the last figure",
    "drift": "a straight line",
    "damped": "a damped trend",
    "arima110": "ARIMA(1,1,0)",
    "ses": "exponential smoothing",
    "theta": "Theta",
    "ar1": "a pull back to the mean",
    "snaive": "the same quarter a year earlier",
}


def method_words(model: str) -> str:
    """A combination ("drift+damped+arima110") in a reader's words, from the members it holds
    (a member whose fit failed is not named): "their steady trend carried on (the average of a
    straight line, a damped trend and ARIMA(1,1,0))"."""
    parts = model.split("+")
    if parts == ["naive"]:
        return "the last figure carried on"
    words = [MEMBER_WORDS.get(p, p) for p in parts]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if parts[0] == "drift":
        return f"their steady trend carried on (the average of {listed})"
    return f"the average of {listed}"


def _combine(z: np.ndarray, steps: int, m: int, seasonal: bool, notes: list[str]) -> tuple:
    names = members(len(z), seasonal, trend_share(z, m, seasonal), m)
    fits, used = [], []
    with quiet_fits():
        for k in names:
            try:
                f = fit_model(k, z, steps, m, seasonal)
            except FIT_ERRORS as exc:
                notes.append(f"{k} dropped ({type(exc).__name__})")
                continue
            if np.isfinite(f.mean).all():
                fits.append(f.mean)
                used.append(k)
    if not fits:
        return np.full(steps, z[-1]), "naive"
    return np.mean(fits, axis=0), "+".join(used)


def _model_scale(y: np.ndarray, bounds: Scale, n: int) -> Scale:
    """The natural range's log/logit scale only for a history long enough to model and well
    clear of its bounds (within a factor of TRANSFORM_RATIO of the bound across the history).
    Otherwise the original scale, clipped: a log scale near zero turns a closure (visits at 0,
    then 100,000) into a change of a dozen log units and a tail thousands of times the largest
    value."""
    if bounds.kind == "identity" or bounds.offset > 0 or n < MIN_HISTORY:
        return Scale()
    lo = y - bounds.lower
    if lo.min() <= 0 or lo.max() / lo.min() > TRANSFORM_RATIO:
        return Scale()
    if bounds.upper is not None:
        hi = bounds.upper - y
        if hi.min() <= 0 or hi.max() / hi.min() > TRANSFORM_RATIO:
            return Scale()
    return bounds


def is_seasonal_ic(z: np.ndarray, m: int) -> bool:
    """Seasonal when quarter (month) effects in the changes lower the AICc: a regression of the
    first differences on m season dummies against one on a constant. Unlike a significance test
    of the lag-m autocorrelation it can fire on 12 points (three cycles) when the pattern is
    strong, and a trend alone never makes it fire."""
    if m <= 1 or len(z) < 2 * m:
        return False
    if len(z) < 3 * m:  # two cycles: too few changes for the AICc, ask for a strong pattern
        t = np.arange(len(z), dtype=float)
        rest = z - np.polyval(np.polyfit(t, z, 1), t)
        pos = np.arange(len(z)) % m
        total = float(np.sum(rest**2))
        within = float(sum(np.sum((rest[pos == q] - rest[pos == q].mean()) ** 2) for q in range(m)))
        return total > 0 and 1 - within / total >= SEASONAL_R2
    d = np.diff(z)
    n = len(d)
    if np.ptp(d) == 0:
        return False
    pos = (np.arange(1, len(z)) % m)[:n]
    rss0 = float(np.sum((d - d.mean()) ** 2))
    rss1 = float(sum(np.sum((d[pos == q] - d[pos == q].mean()) ** 2) for q in range(m)))

    def aicc(rss: float, k: int) -> float:
        if n - k - 1 <= 0:
            return math.inf
        return n * math.log(max(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)

    return aicc(rss1, m + 1) < aicc(rss0, 2)


def point_forecast(
    series: pd.Series,
    steps: int,
    *,
    lower: float | None = None,
    upper: float | None = None,
    seasonal: bool | None = None,
    notes: list[str] | None = None,
) -> Point:
    """The point forecast `steps` ahead (see the module docstring); `seasonal` True/False says
    it (the council's own words), None leaves it to the information criterion."""
    notes = [] if notes is None else notes
    values, observed, more = _prepare(series)
    notes.extend(more)
    return _point(values, observed, steps, lower, upper, seasonal, notes)


def _point(
    values: pd.Series,
    observed: np.ndarray,
    steps: int,
    lower: float | None,
    upper: float | None,
    seasonal: bool | None,
    notes: list[str],
) -> Point:
    y = values.to_numpy()
    bounds = _scale(y[observed], lower, upper, notes)
    n = int(observed.sum())
    scale = _model_scale(y, bounds, n)
    z = scale.to(y)
    m = seasonal_period(values.index.freq)
    if seasonal is None:
        seas = n >= MIN_HISTORY and is_seasonal_ic(z, m)
    else:
        seas = bool(seasonal) and m > 1 and n >= max(MIN_HISTORY, 2 * m)
        if seasonal and not seas and m > 1:
            notes.append(f"declared seasonal, but {n} points are too few to estimate the pattern")
    mean, model = _combine(z, steps, m, seas, notes)
    spread, growth = _spread(z, m, seas, steps, observed)
    if not spread > 0:
        ref = scale if scale.kind != "identity" else Scale("identity", bounds.lower, bounds.upper)
        spread = _level_spread(FLAT_SIGMA if n >= MIN_HISTORY else 0.1, y[-1], ref)
        notes.append(
            "no change in the history: the range is set from its level"
            + (" (history perfectly flat)" if n > 1 else "")
        )
    return Point(mean, scale, bounds, spread, n, len(y), model, seas, float(y[-1]), notes, growth)


def _spread(
    z: np.ndarray, m: int, seasonal: bool, steps: int, observed: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """The history's mean absolute change, on the modelling scale and after taking out the
    season when there is one (a seasonal swing is not noise the forecast will miss by), and
    how the interval's unit grows with the step (see _growth).

    Only observed figures count: a change across a gap of g periods is one change of g steps,
    counted as a one-step change of |change| / sqrt(g) (a random walk's). The straight line
    interpolated across the gap would make g tiny changes of it: nine quarters missing between
    698.6 and 692.0 gave a 95% range of +-4 a year ahead."""
    if seasonal:
        with quiet_fits():
            z = z - seasonal_indices(z, m)[np.arange(len(z)) % m]
    at = np.flatnonzero(observed) if observed is not None else np.arange(len(z))
    d = np.abs(np.diff(z[at])) / np.sqrt(np.diff(at))
    spread = float(np.mean(d)) if len(d) else 0.0
    return spread, _growth(z, spread, steps)


def _growth(z: np.ndarray, spread: float, steps: int) -> np.ndarray:
    """The factor the spread is multiplied by at each step: the square root of how far the
    history's own h-step changes outgrow its one-step ones (lags up to half the history,
    beyond that growing with the square root of the step). A steady trend's errors grow
    about with the step and a mean-reverting series' hardly at all, so one pooled curve of
    multipliers was too narrow late for the first (US GDP: 66-72% of 80% intervals held at
    step 4) and too wide for the second (85-89%); the square root goes half way from that
    pooled curve to the history's own, since the pooled multipliers already carry part of
    the growth (the full own growth over-covered the trends at step 4). Never below
    GROWTH_FLOOR: a history whose changes alternate has no two-step change at all."""
    n = len(z)
    out = np.ones(steps)
    if n < 3 or not spread > 0:
        return out
    top = max(1, n // 2)
    for h in range(2, steps + 1):
        j = min(h, top)
        own = float(np.mean(np.abs(z[j:] - z[:-j]))) * math.sqrt(h / j)
        out[h - 1] = max(math.sqrt(own / spread), GROWTH_FLOOR)
    return out


def _quantiles(point: Point, k: np.ndarray) -> dict[str, np.ndarray]:
    """The forecast's quantiles: mean +- spread * k on the modelling scale, back on the KPI's
    scale, clipped to its natural range."""
    out = {}
    for name, j, sign in (("lower95", 3, -1), ("lower", 1, -1), ("upper", 1, 1), ("upper95", 3, 1)):
        out[name] = _back(point, point.z + sign * point.scale_at() * k[:, j])
    return out


def _back(point: Point, z: np.ndarray) -> np.ndarray:
    y = point.scale.back(z)
    return np.clip(
        y,
        -np.inf if point.bounds.lower is None else point.bounds.lower,
        np.inf if point.bounds.upper is None else point.bounds.upper,
    )


def _paths(point: Point, k: np.ndarray, n_paths: int, seed: int) -> np.ndarray:
    """Simulated paths with the calibrated marginals: one uniform draw per path, read through
    each step's symmetric quantile function (piecewise linear through the multipliers), so a
    path that is high at one step stays high (errors of one origin move together)."""
    u = np.random.default_rng(seed).uniform(size=(n_paths, 1))
    p = np.abs(2 * u - 1)
    levels = np.array([0.0, *LEVELS, 1.0])
    z = np.empty((n_paths, len(point.z)))
    for s in range(len(point.z)):
        ks = np.array([0.0, *k[s], k[s, -1] * 1.5])
        z[:, s] = np.interp(p[:, 0], levels, ks)
    z = point.z + np.sign(u - 0.5) * point.scale_at() * z
    return _back(point, z)


# --- the forecast ----------------------------------------------------------------------------
def forecast(
    series: pd.Series,
    horizon: int = 4,
    target: float | None = None,
    polarity: str = "High",
    seed: int = 0,
    n_paths: int = 2000,
    year_end: pd.Period | None = None,
    *,
    lower: float | None = None,
    upper: float | None = None,
    keep_paths: bool = False,
    seasonal: bool | None = None,
    calibration: Calibration | None = None,
) -> ForecastResult:
    """Forecast `horizon` periods ahead, inside [lower, upper] (None: unbounded). See the
    module docstring for the method; `seasonal` True/False declares the KPI seasonal or not
    (None: decided from the history); `calibration` replaces the shipped interval table (the
    bench passes one calibrated on other series); `keep_paths=True` stores the simulated paths
    (n_paths x steps) on the result."""
    horizon, n_paths = _count(horizon, "horizon", 1), _count(n_paths, "n_paths", 100)
    if target is not None and not math.isfinite(target):
        raise UsageError(f"forecast: target must be a finite number, not {target!r}")
    pol = _polarity(polarity) if target is not None else str(polarity)
    probe, observed, notes = _prepare(series)
    last = probe.index[-1]
    t_step = _target_step(last, horizon, year_end)
    steps = max(horizon, t_step)
    point = _point(probe, observed, steps, lower, upper, seasonal, notes)
    n = point.n_obs
    short = n < MIN_HISTORY or n < (1 - MAX_GAP_SHARE) * point.n_span
    if short:
        why = (
            f"only {n} observation(s)"
            if n < MIN_HISTORY
            else f"{point.n_span - n} of {point.n_span} gaps"
        )
        notes.append(
            f"{why}: short history, a shrunk combination with ranges calibrated on other series"
        )
        if target is not None:
            notes.append("no P(meet target): too few points to rest a probability on")
    cal = calibration or _shipped()
    k = cal.multipliers(n, steps)
    q = _quantiles(point, k)
    mean = _back(point, point.z)
    if point.model == "naive":
        mean = np.full(steps, point.last)  # the last figure itself, not its round trip
    paths = (
        _paths(point, k, n_paths, seed)
        if (keep_paths or (target is not None and not short))
        else None
    )
    m = seasonal_period(probe.index.freq)
    future = pd.period_range(last + 1, periods=horizon, freq=probe.index.freq)
    p_meet = None
    if target is not None and not short and paths is not None:
        at = paths[:, t_step - 1]
        hit = at >= target if pol == "High" else at <= target
        p_meet = float(np.mean(hit))
    table = pd.DataFrame(columns=["model", *[f"h{h + 1}" for h in range(horizon)], "mase"])
    return ForecastResult(
        mean=pd.Series(mean[:horizon], index=future),
        lower=pd.Series(q["lower"][:horizon], index=future),
        upper=pd.Series(q["upper"][:horizon], index=future),
        lower95=pd.Series(q["lower95"][:horizon], index=future),
        upper95=pd.Series(q["upper95"][:horizon], index=future),
        model=point.model,
        backtest=table,
        p_meet_target=p_meet,
        insufficient_history=short,
        horizon=horizon,
        n_obs=n,
        n_span=point.n_span,
        last_period=last,
        seasonal_period=m,
        seasonal=point.seasonal,
        sigma=point.spread,
        df=float("nan"),
        target=None if target is None else float(target),
        polarity=pol,
        target_period=None if target is None else last + t_step,
        scale=point.scale.kind,
        lower_bound=point.bounds.lower,
        upper_bound=point.bounds.upper,
        notes=notes,
        paths=paths if keep_paths else None,
    )


_SHIPPED: list[Calibration] = []


def _shipped() -> Calibration:
    if not _SHIPPED:
        _SHIPPED.append(_default_calibration())
    return _SHIPPED[0]


def _scale(y: np.ndarray, lower: Any, upper: Any, notes: list[str]) -> Scale:
    """choose_scale with the bounds checked: numbers (or None), lower below upper."""
    bounds = []
    for name, b in (("lower", lower), ("upper", upper)):
        try:
            b = None if b is None else float(b)
        except (TypeError, ValueError):
            raise UsageError(f"forecast: {name} bound must be a number, not {b!r}") from None
        if b is not None and not math.isfinite(b):
            raise UsageError(f"forecast: {name} bound must be finite, not {b!r}")
        bounds.append(b)
    lo, hi = bounds
    if lo is not None and hi is not None and not lo < hi:
        raise UsageError(f"forecast: lower bound {lo:g} is not below upper bound {hi:g}")
    return choose_scale(y, lo, hi, notes)


def _one(item: tuple[Any, pd.Series], kwargs: Mapping[str, Any]) -> tuple[Any, ForecastResult]:
    key, s = item
    try:
        return key, forecast(s, **kwargs)
    except UsageError as exc:
        raise UsageError(f"{key}: {exc}") from None


def forecast_many(
    series_dict: Mapping[Any, pd.Series], workers: int = 1, **kwargs: Any
) -> dict[Any, ForecastResult]:
    """forecast() over many series, in input order; workers > 1 spreads them over
    processes. Each series is seeded on its own, so results equal the serial run."""
    items = list(series_dict.items())
    run = partial(_one, kwargs=kwargs)
    if workers <= 1 or len(items) < 2:
        return dict(map(run, items))
    chunk = max(1, len(items) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, items, chunksize=chunk))
