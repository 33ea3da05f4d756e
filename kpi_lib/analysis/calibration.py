"""Forecast intervals calibrated across series, out of sample (split-conformal style).

A model's own error formula is too confident on 6-12 points (parameters estimated from a
handful of changes, model picked after the fact) and fails oddly on bounded, gappy series.
So the interval is read from how far our point forecast has actually missed on OTHER series:
the absolute h-step error of each held-out forecast, divided by the window's scale at that
step (the mean absolute quarter-to-quarter change, on the modelling scale, times how the
window's own h-step changes outgrow its one-step ones: kpi_lib.analysis.forecast._growth), is
pooled per history-length bucket and horizon, and its quantiles at 50/80/90/95/98% become
multipliers. A forecast's 80% interval is then mean +- scale_h * k80 for its bucket and step:
the pooled curve says how much the step adds on average, the window's growth whether its own
errors grow faster (a steady trend) or slower (a series that comes and goes).

The shipped table (`calibration_table.TABLE`) is calibrated on a corpus of real and
generated quarterly series (bench/bench_forecast_peers.py --write-calibration says which);
the bench scores each data set with a table calibrated on the OTHER data sets, so the
coverage it prints is out of sample. The buckets are short on purpose: the fewer the points,
the noisier the scale, and the multiplier carries that noise (the role a t distribution's
degrees of freedom play in a model-based interval), with a floor: multipliers never fall
below those of a normal distribution's (see MIN_K).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.98)  # two-sided coverage levels the multipliers are kept at
# history-length buckets (observed points): up to 4, 5-6, 7-8, 9-12, 13-20, 21 and more
BUCKETS = (4, 6, 8, 12, 20, math.inf)
LABELS = ("1-4", "5-6", "7-8", "9-12", "13-20", "21+")
HORIZON = 8  # steps calibrated; further steps grow with the square root of the step
# the lowest multiplier at each level: a normal distribution's quantile of |z|, times 1.25
# (the mean absolute change of a random walk is 0.8 of its standard deviation). A corpus
# whose misses happened to be small never gives a narrower interval than a random walk's.
MIN_K = tuple(1.25 * q for q in (0.674, 1.282, 1.645, 1.960, 2.326))
# windows the calibration forecasts from: these lengths, a new origin every STEP periods
CAL_LENGTHS = (4, 6, 8, 12, 16, 32)
STEP = 4


@dataclass(frozen=True)
class Calibration:
    """Multipliers k[bucket, step - 1, level] of the scale, and how many errors each rests on."""

    k: np.ndarray
    counts: np.ndarray
    source: str = ""

    def multipliers(self, n_obs: int, steps: int) -> np.ndarray:
        """(steps x len(LEVELS)) multipliers for a history of n_obs observed points."""
        b = bucket(n_obs)
        k = self.k[b]
        out = np.empty((steps, len(LEVELS)))
        for s in range(steps):
            if s < HORIZON:
                out[s] = k[s]
            else:
                out[s] = k[HORIZON - 1] * math.sqrt((s + 1) / HORIZON)
        return np.maximum(out, np.array(MIN_K))


def bucket(n_obs: int) -> int:
    return next(i for i, edge in enumerate(BUCKETS) if n_obs <= edge)


def from_errors(errors: Mapping[tuple[int, int], list[float]], source: str = "") -> Calibration:
    """Conformal multipliers from standardised absolute errors keyed (bucket, step - 1): at
    level p, the ceil((N + 1) p)-th smallest of N errors. A cell with no errors borrows the
    next longer bucket's (then the previous step's); multipliers never shrink with the step."""
    nb = len(BUCKETS)
    k = np.full((nb, HORIZON, len(LEVELS)), np.nan)
    counts = np.zeros((nb, HORIZON), dtype=int)
    for (b, s), errs in errors.items():
        e = np.sort(np.asarray(errs, dtype=float))
        e = e[~np.isnan(e)]
        if not len(e):
            continue
        counts[b, s] = len(e)
        for j, p in enumerate(LEVELS):
            rank = min(len(e), math.ceil((len(e) + 1) * p))
            k[b, s, j] = e[rank - 1]
    for b in range(nb - 1, -1, -1):
        for s in range(HORIZON):
            if np.isnan(k[b, s]).any():
                k[b, s] = k[b + 1, s] if b + 1 < nb else (k[b, s - 1] if s else MIN_K)
    k = np.maximum.accumulate(np.minimum(k, 1e6), axis=1)  # never narrower further ahead
    k = np.maximum.accumulate(k, axis=2)
    return Calibration(k=k, counts=counts, source=source)


def merged(*parts: Mapping[tuple[int, int], list[float]]) -> dict[tuple[int, int], list[float]]:
    out: dict[tuple[int, int], list[float]] = {}
    for part in parts:
        for key, errs in part.items():
            out.setdefault(key, []).extend(errs)
    return out


def default() -> Calibration:
    """The shipped table (kpi_lib/analysis/calibration_table.py)."""
    from kpi_lib.analysis.calibration_table import COUNTS, SOURCE, TABLE

    return Calibration(
        k=np.array(TABLE, dtype=float), counts=np.array(COUNTS, dtype=int), source=SOURCE
    )


def as_python(cal: Calibration) -> str:
    """The table as the source of kpi_lib/analysis/calibration_table.py, laid out as ruff
    formats it (same table, same bytes)."""
    words = cal.source.split(" ")
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) > 80:
            lines.append(line)
            line = ""
        line += w + " "
    lines.append(line.rstrip())
    source = "\n".join(f"    {json.dumps(ln)}" for ln in lines)
    counts = "\n".join(f"    {row.tolist()!r}," for row in cal.counts)
    table = []
    for b, block in enumerate(cal.k):
        table.append(f"    [  # {LABELS[b]} points: steps 1-{HORIZON}, levels {LEVELS}")
        table.extend(f"        {[round(float(v), 4) for v in row]!r}," for row in block)
        table.append("    ],")
    body = "\n".join(table)
    return (
        '"""Interval multipliers calibrated out of sample (kpi_lib.analysis.calibration).\n\n'
        "Generated by `python bench/bench_forecast_peers.py --write-calibration`; do not edit.\n"
        '"""\n\n'
        f"SOURCE = (\n{source}\n)\n"
        f"COUNTS = [\n{counts}\n]\n"
        f"TABLE = [\n{body}\n]\n"
    )
