"""Forecasts on real quarterly series no one here wrote: statsmodels' bundled US macrodata
(1959Q1-2009Q3). Rolling origins over 8-year windows, 4 quarters ahead, each series kept
inside its natural range (levels at least 0, rates in percent 0-100, inflation and the real
interest rate unbounded). Held out: the intervals are calibrated on OTHER real series (data
set B of tests/forecast_data.py), never on these. The 80% interval must cover 75-85% of the
points and the 95% one 90-97%, and the point forecast must beat naive, Theta and drift.

bench/bench_forecast.py prints the same experiment (`macro_experiment`);
bench/bench_forecast_peers.py the whole comparison with statsforecast's models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.datasets import macrodata

from kpi_lib.analysis.backtest import fit_model, quiet_fits
from kpi_lib.analysis.calibrate import calibrate
from kpi_lib.analysis.calibration import Calibration
from kpi_lib.analysis.forecast import forecast
from tests.forecast_data import data_b

WINDOW, STEP, H = 32, 12, 4  # 8-year windows, a new origin every 3 years, 4 quarters ahead
# natural ranges: a rate in percent is a share-like 0-100, a level at least 0
RANGES: dict[str, tuple[float | None, float | None]] = {
    "tbilrate": (0.0, 100.0),
    "unemp": (0.0, 100.0),
    "infl": (None, None),
    "realint": (None, None),
}
BASELINES = ("damped", "theta", "drift")


def held_out_calibration(window: int = WINDOW) -> Calibration:
    """Interval multipliers from data set B only (windows of the same length)."""
    return calibrate(data_b(), lengths=(window,))


def macro_experiment(
    window: int = WINDOW,
    step: int = STEP,
    horizon: int = H,
    calibration: Calibration | None = None,
) -> pd.DataFrame:
    """One row per (series, origin): MASE of ours and of the baselines (scaled by the
    window's naive one-step MAE), whether each held-out point fell in our 80%/95% intervals,
    and whether every interval stayed inside the series' natural range."""
    calibration = calibration or held_out_calibration(window)
    data = macrodata.load_pandas().data
    index = pd.period_range("1959Q1", periods=len(data), freq="Q")
    rows = []
    for name in [c for c in data.columns if c not in ("year", "quarter")]:
        y = data[name].to_numpy(dtype=float)
        lower, upper = RANGES.get(name, (0.0, None))
        for t in range(window, len(y) - horizon + 1, step):
            hist, future = y[t - window : t], y[t : t + horizon]
            r = forecast(
                pd.Series(hist, index=index[t - window : t]),
                horizon=horizon,
                seed=t,
                lower=lower,
                upper=upper,
                calibration=calibration,
            )
            scale = float(np.mean(np.abs(np.diff(hist))))
            row = {"series": name, "origin": str(index[t]), "model": r.model}
            row["ours"] = float(np.mean(np.abs(future - r.mean.to_numpy()))) / scale
            row["naive"] = float(np.mean(np.abs(future - hist[-1]))) / scale
            with quiet_fits():
                for k in BASELINES:
                    pred = fit_model(k, hist, horizon).mean
                    row[k] = float(np.mean(np.abs(future - pred))) / scale
            in80 = (r.lower.to_numpy() <= future) & (future <= r.upper.to_numpy())
            in95 = (r.lower95.to_numpy() <= future) & (future <= r.upper95.to_numpy())
            row.update({f"in80_h{h + 1}": bool(in80[h]) for h in range(horizon)})
            row.update({f"in95_h{h + 1}": bool(in95[h]) for h in range(horizon)})
            lo = -np.inf if lower is None else lower
            hi = np.inf if upper is None else upper
            f = r.frame().to_numpy()
            row["in_range"] = bool(((f >= lo) & (f <= hi)).all())
            rows.append(row)
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> dict[str, float]:
    """Coverage (all points, first and last step) and accuracy relative to naive."""
    c80 = df.filter(like="in80_").to_numpy()
    c95 = df.filter(like="in95_").to_numpy()
    out = {
        "forecasts": len(df),
        "cover80": float(c80.mean()),
        "cover80_h1": float(c80[:, 0].mean()),
        "cover80_hlast": float(c80[:, -1].mean()),
        "cover95": float(c95.mean()),
        "mase_ours": float(df["ours"].mean()),
        "mase_naive": float(df["naive"].mean()),
    }
    for k in ("ours", *BASELINES):
        out[f"ratio_{k}"] = float(df[k].mean() / df["naive"].mean())
    return out


@pytest.fixture(scope="module")
def macro() -> dict[str, float]:
    df = macro_experiment()
    assert df["in_range"].all(), df.loc[~df["in_range"], ["series", "origin"]]
    return summarise(df)


def test_real_data_80_interval_covers_75_to_85_percent(macro: dict[str, float]) -> None:
    assert macro["forecasts"] >= 160
    assert 0.75 <= macro["cover80"] <= 0.85, macro
    # the last step too: the spread grows as each window's own changes do (one pooled curve,
    # calibrated on B's slower-growing errors, held 66-72% here at step 4)
    assert 0.75 <= macro["cover80_hlast"] <= 0.85, macro
    assert 0.90 <= macro["cover95"] <= 0.97, macro


def test_real_data_accuracy_beats_naive_and_single_models(macro: dict[str, float]) -> None:
    assert macro["ratio_ours"] <= 0.7, macro  # MASE at most 70% of naive's
    assert macro["ratio_ours"] < min(macro["ratio_theta"], macro["ratio_drift"]), macro
    assert macro["ratio_ours"] <= 1.02 * macro["ratio_damped"], macro
