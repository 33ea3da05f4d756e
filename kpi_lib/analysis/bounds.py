"""The natural range of a KPI and the scale a forecast is modelled on to stay inside it.

A share cannot fall below 0% or rise above 100%, a count, rate or duration cannot be
negative. Forecasting such a series on its own scale gives intervals outside the possible
(negative days per FTE, 130% of reviews on time). So the series is moved to a scale on
which every real number is possible (log for a lower bound, logit for two bounds), the
model and its simulated paths live there, and the paths come back through the inverse,
which lands inside the range by construction.

The printed history has the last word over the unit: a "%" that has been seen above 100
(take-up of 101%) is not capped at 100, and one seen below 0 (a budget variance) has no
bounds at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# unit (data/catalog/kpis.yaml) -> (lower, upper); a unit not listed has no bounds
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "%": (0.0, 100.0),
    "count": (0.0, None),
    "rate per 10k": (0.0, None),
    "rate per 100k": (0.0, None),
    "days per FTE": (0.0, None),
    "days": (0.0, None),
    "ratio": (0.0, None),
    "index": (0.0, None),
    "£": (0.0, None),  # money lent, spent or saved: a variance crosses 0 and loses the bound
    "score": (0.0, None),  # attainment, satisfaction, quality-of-life scores
    "number": (0.0, None),
}
# a value on a bound would map to -inf/+inf: the log/logit is then shifted by this share of
# the smallest positive distance to the bound (log) or of the range's width (logit)
_OFFSET_SHARE = 0.5
_LOGIT_OFFSET = 0.005
_TOUCH = 1e-9  # closer to a bound than this share of the scale: on it (log/logit stay finite)
_EXP_LIMIT = 700.0  # exp() of more overflows a float


def natural_range(
    unit: str | None, lower: str = "", upper: str = ""
) -> tuple[float | None, float | None]:
    """(lower, upper) the unit allows: shares 0-100; counts, rates, durations, ratios,
    indices, money and scores at least 0; unknown units unbounded. The catalogue's `min` /
    `max` (a number, or "none") say it where the unit does not (a £ variance, a progress
    score that can be negative)."""
    lo, hi = _RANGES.get(str(unit or "").strip(), (None, None))
    return _declared(lower, lo), _declared(upper, hi)


def _declared(text: str, default: float | None) -> float | None:
    t = str(text or "").strip().lower()
    if not t:
        return default
    return None if t == "none" else float(t)


def range_seen(
    unit: str | None, values: np.ndarray, lower: str = "", upper: str = ""
) -> tuple[float | None, float | None]:
    """The unit's (or the catalogue's) range as the printed figures allow it (the rule
    choose_scale applies): a bound a figure has crossed is not the KPI's (a variance of
    -3.39%, take-up of 101%)."""
    lo, hi = natural_range(unit, lower, upper)
    if lo is not None and hi is not None and not lo < hi:
        return None, None
    scale = choose_scale(np.asarray(values, dtype=float), lo, hi, [])
    return scale.lower, scale.upper


@dataclass(frozen=True)
class Scale:
    """A monotone map from the KPI's values to the modelling scale and back.

    kind: "identity" (no bounds), "log" (lower bound only: log(y - lower + offset)) or
    "logit" (both: logit((y - lower + offset) / (upper - lower + 2 offset))). `back` clips to
    [lower, upper] so a shifted scale (offset > 0) still never leaves the range."""

    kind: str = "identity"
    lower: float | None = None
    upper: float | None = None
    offset: float = 0.0

    def to(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if self.kind == "log":
            return np.log(y - self.lower + self.offset)
        if self.kind == "logit":
            p = (y - self.lower + self.offset) / self._width()
            return np.log(p) - np.log1p(-p)
        return y

    def back(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if self.kind == "log":
            y = np.exp(np.minimum(z, _EXP_LIMIT)) + self.lower - self.offset
        elif self.kind == "logit":
            with np.errstate(over="ignore"):
                p = 1.0 / (1.0 + np.exp(-z))
            y = p * self._width() + self.lower - self.offset
        else:
            return z
        return np.clip(y, self.lower, self.upper)

    def slope(self, y: float) -> float:
        """dz/dy at y: turns a spread in the KPI's units into one on the modelling scale
        (for the fallbacks that are set as a share of the level)."""
        with np.errstate(all="ignore"):
            if self.kind == "log":
                return float(np.float64(1.0) / (y - self.lower + self.offset))
            if self.kind == "logit":
                a = np.float64(y - self.lower + self.offset)
                return float(self._width() / (a * (self._width() - a)))
        return 1.0

    def _width(self) -> float:
        return float(self.upper - self.lower + 2 * self.offset)  # type: ignore[operator]

    def describe(self) -> str:
        if self.kind == "identity":
            return "original scale (no bounds)"
        rng = f"[{self.lower:g}, {'inf' if self.upper is None else f'{self.upper:g}'}]"
        shift = f", shifted by {self.offset:.4g}" if self.offset else ""
        return f"{self.kind} scale{shift}: kept inside {rng}"


def choose_scale(
    y: np.ndarray, lower: float | None, upper: float | None, notes: list[str]
) -> Scale:
    """The scale for observed values `y` in [lower, upper]. A bound the history has crossed
    is dropped (with a note): the data show it is not the KPI's bound."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if lower is not None and upper is not None and not lower < upper:
        raise ValueError(f"lower bound {lower} not below upper bound {upper}")
    if upper is not None and len(y) and y.max() > upper:
        notes.append(f"a value of {y.max():g} is above {upper:g}: not capped at {upper:g}")
        upper = None
    if lower is not None and len(y) and y.min() < lower:
        notes.append(f"a value of {y.min():g} is below {lower:g}: forecast without bounds")
        return Scale()
    if lower is None:  # no lower bound (an upper bound alone is not a natural range here)
        return Scale()
    if upper is None:
        above = y - lower
        # a hair above the bound (below a billionth of the largest value) counts as on it
        positive = above[above > _TOUCH * max(1.0, float(above.max(initial=0.0)))]
        offset = 0.0
        if len(positive) < len(above):
            offset = _OFFSET_SHARE * float(positive.min()) if len(positive) else 1.0
        return Scale("log", lower, None, offset)
    touch = _TOUCH * (upper - lower)
    on_bound = bool(len(y)) and (y.min() <= lower + touch or y.max() >= upper - touch)
    offset = _LOGIT_OFFSET * (upper - lower) if on_bound else 0.0
    return Scale("logit", lower, upper, offset)
