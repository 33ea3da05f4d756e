"""Council-like quarterly KPI histories, generated: what a forecaster meets in a committee paper.

Three families, each with the quirks of real council reports:
- counts (leisure-centre visits, library issues, calls): a level anywhere from 50 to 120,000, a
  slow multiplicative trend, sometimes a seasonal pattern, and in about 40% a COVID-style run
  of one to three quarters at or near zero followed by a partial recovery; whole numbers;
- shares (% of reviews on time): a random walk on the logit scale, some pressed against 100%;
- rates (sickness days per FTE in one quarter): positive, with a winter peak.
About one series in six has one or two missing quarters inside. bench/bench_forecast_peers.py
scores forecasters on these (data set C); tests/test_forecast_short.py uses them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FAMILIES = ("count", "share", "rate")
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "count": (0.0, None),
    "share": (0.0, 100.0),
    "rate": (0.0, None),
}


def council_series(rng: np.random.Generator, family: str, n: int) -> np.ndarray:
    """One history of `n` quarters of `family` (NaN where a quarter is missing)."""
    t = np.arange(n)
    if family == "count":
        level = np.exp(rng.uniform(np.log(50), np.log(120_000)))
        growth = rng.normal(0.0, 0.02)
        season = rng.choice([0.0, rng.uniform(0.05, 0.2)]) * np.cos(
            np.pi / 2 * t + rng.integers(4) * np.pi / 2
        )
        noise = rng.normal(0.0, rng.uniform(0.03, 0.12), n)
        y = level * np.exp(growth * t + season + np.cumsum(noise) * 0.5 + noise * 0.5)
        if rng.random() < 0.4:  # a closure: a run at or near zero, then a partial recovery
            start, run = int(rng.integers(2, n - 3)), int(rng.integers(1, 4))
            y[start : start + run] *= rng.choice([0.0, rng.uniform(0.0, 0.1)])
            y[start + run :] *= rng.uniform(0.5, 1.0)
        y = np.round(y)
    elif family == "share":
        z0 = np.log(p := rng.uniform(0.5, 0.995)) - np.log1p(-p)
        z = z0 + np.cumsum(rng.normal(0.0, rng.uniform(0.05, 0.35), n))
        y = np.round(100.0 / (1.0 + np.exp(-z)), 1)
    elif family == "rate":
        base = rng.uniform(1.5, 4.0)
        winter = rng.uniform(0.05, 0.25) * np.cos(np.pi / 2 * (t - 3))
        y = base * np.exp(winter + np.cumsum(rng.normal(0.0, 0.04, n)) + rng.normal(0, 0.05, n))
        y = np.round(y, 2)
    else:
        raise ValueError(family)
    if rng.random() < 1 / 6:
        y[rng.choice(np.arange(1, n - 1), size=int(rng.integers(1, 3)), replace=False)] = np.nan
    return y


def council_set(
    count: int, n: int = 24, seed: int = 21
) -> dict[str, tuple[pd.Series, tuple[float | None, float | None]]]:
    """`count` histories of `n` quarters (the families in turn): name -> (series, bounds)."""
    rng = np.random.default_rng(seed)
    index = pd.period_range("2016Q2", periods=n, freq="Q")
    out = {}
    for i in range(count):
        family = FAMILIES[i % len(FAMILIES)]
        out[f"{family}-{i:03d}"] = (
            pd.Series(council_series(rng, family, n), index=index),
            BOUNDS[family],
        )
    return out
