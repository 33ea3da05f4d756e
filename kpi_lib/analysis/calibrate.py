"""Building the interval table of kpi_lib.analysis.calibration: every window of a corpus
forecast with our own point method, so this module sits above the forecaster it measures
(the forecaster reads the finished table, never this)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kpi_lib.analysis.calibration import (
    CAL_LENGTHS,
    HORIZON,
    STEP,
    Calibration,
    bucket,
    from_errors,
)
from kpi_lib.analysis.forecast import point_forecast


def collect_errors(
    corpus: Mapping[str, tuple[pd.Series, tuple[float | None, float | None]]],
    lengths: tuple[int, ...] = CAL_LENGTHS,
    step: int = STEP,
) -> dict[tuple[int, int], list[float]]:
    """Forecast every window of every series in `corpus` (name -> (quarterly series, natural
    range)) with our point method: the absolute errors on the modelling scale, divided by the
    window's spread at each step (Point.scale_at), keyed (length bucket, step - 1). A miss
    below a bound the log scale cannot reach counts as infinite."""
    errors: dict[tuple[int, int], list[float]] = {}
    for name in sorted(corpus):
        series, (lower, upper) = corpus[name]
        for length in lengths:
            for t in range(length, len(series), step):
                hist = series.iloc[t - length : t]
                if np.isnan(hist.iloc[-1]) or hist.notna().sum() < 2:
                    continue
                future = series.iloc[t : t + HORIZON].to_numpy(dtype=float)
                p = point_forecast(hist, len(future), lower=lower, upper=upper)
                with np.errstate(all="ignore"):
                    u = np.abs(p.scale.to(future) - p.z) / p.scale_at()
                b = bucket(p.n_obs)
                for s, v in enumerate(u):
                    if not np.isnan(future[s]):
                        errors.setdefault((b, s), []).append(float(v) if v == v else math.inf)
    return errors


def calibrate(
    corpus: Mapping[str, tuple[pd.Series, tuple[float | None, float | None]]],
    lengths: tuple[int, ...] = CAL_LENGTHS,
) -> Calibration:
    """The interval table `forecast` reads, calibrated on `corpus` (see collect_errors)."""
    return from_errors(collect_errors(corpus, lengths), source=f"{len(corpus)} series")
