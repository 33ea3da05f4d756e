"""Candidate forecasting models and their rolling-origin backtest, scored by MASE.

Every candidate is a linear innovations model, so besides its point forecast it reports
psi weights (the weight of a shock j steps back in the h-step error). kpi_lib.analysis.forecast
turns those into simulated paths whose scale is calibrated on the backtest errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import burg
from statsmodels.tools.sm_exceptions import ConvergenceWarning, EstimationWarning, ValueWarning
from statsmodels.tsa.arima_process import arma2ma
from statsmodels.tsa.holtwinters import ExponentialSmoothing, HoltWintersResults
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf

# Simplest first: ties in the backtest go to the earlier (simpler) model.
MODELS: tuple[str, ...] = ("naive", "snaive", "drift", "ses", "damped", "theta", "arima110", "ar1")
# Exceptions a fit may raise on a degenerate window; the model then drops out of the contest.
FIT_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError)


@contextmanager
def quiet_fits() -> Iterator[None]:
    """Hush the optimiser chatter statsmodels emits on short series (non-convergence,
    bounds, index frequency, divide-by-zero inside its own filters); exceptions still rise."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", ValueWarning)
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings(
            "ignore", message=".*(optimiz|converge|bound).*", module="statsmodels"
        )
        warnings.filterwarnings("ignore", message=".*differenced to eliminate integration.*")
        yield


@dataclass
class ModelFit:
    """One model's forecast from one origin. `psi[j]` weights the shock j steps back
    (psi[0] == 1); `start` warm-starts the same model's fit at the next origin."""

    mean: np.ndarray
    psi: np.ndarray
    start: np.ndarray | None = None


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """Seasonal if the lag-m autocorrelation of the first differences is positive and
    significant at 90% (the M4/Theta test, on differences so a trend is not mistaken
    for seasonality). Needs three full cycles."""
    if m <= 1 or len(y) < 3 * m:
        return False
    d = np.diff(y)
    if np.ptp(d) == 0:
        return False
    r = acf(d, nlags=m, fft=False)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(d))
    return bool(r[m] > limit)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Additive seasonal indices (classical decomposition), one per position t % m."""
    return np.asarray(seasonal_decompose(y, model="additive", period=m).seasonal[:m])


def _psi_const(steps: int, value: float) -> np.ndarray:
    psi = np.full(steps, float(value))
    psi[0] = 1.0
    return psi


def _hw(y: np.ndarray, steps: int, damped: bool, start: np.ndarray | None) -> ModelFit:
    trend = "add" if damped else None
    model = ExponentialSmoothing(
        y, trend=trend, damped_trend=damped, initialization_method="estimated"
    )
    # SLSQP: about twice as fast as the default L-BFGS-B here, same or lower SSE. No brute-force
    # start grid: 2.5x the cost of the fit, and on the bench (bench/bench_forecast_peers.py) no
    # better in the combination; a later backtest window starts from the previous optimum.
    res = model.fit(method="SLSQP", start_params=start, use_brute=False)
    p = res.params
    alpha = float(p["smoothing_level"])
    if not damped:
        start_next = np.array([alpha, p["initial_level"]], dtype=float)
        return ModelFit(hw_mean(res, steps), _psi_const(steps, alpha), start_next)
    beta, phi = float(p["smoothing_trend"]), float(p["damping_trend"])
    # error-correction form: b_t = phi b_{t-1} + alpha*beta e_t
    cum = np.cumsum(phi ** np.arange(1, steps))
    psi = np.concatenate([[1.0], alpha * (1 + beta * cum)])
    start_next = np.array([alpha, beta, p["initial_level"], p["initial_trend"], phi], dtype=float)
    return ModelFit(hw_mean(res, steps), psi, start_next)


def hw_mean(res: HoltWintersResults, steps: int) -> np.ndarray:
    """res.forecast(steps) from the final level and trend, without the pandas overhead
    of predict() (a third of the fit time on 30 points); a test checks they agree."""
    level = float(res.level[-1])
    if res.model.trend is None:
        return np.full(steps, level)
    phi = float(res.params["damping_trend"]) if res.model.damped_trend else 1.0
    return level + float(res.trend[-1]) * np.cumsum(phi ** np.arange(1, steps + 1))


def _theta(y: np.ndarray, steps: int) -> ModelFit:
    """The standard Theta method (theta=2): SES from a known initial level plus half the
    OLS slope, as statsmodels' ThetaModel(use_mle=False) computes it, but fitted with the
    holtwinters SES (about 4x faster than the state-space SES ThetaModel uses; a test
    checks the two agree)."""
    n = len(y)
    b0 = np.polyfit(np.arange(n, dtype=float), y, 1)[0]
    model = ExponentialSmoothing(y, initial_level=y[0], initialization_method="known")
    res = model.fit(method="SLSQP")
    alpha = float(res.params["smoothing_level"])
    h = np.arange(steps, dtype=float)
    if alpha > 0:
        h += 1 / alpha - (1 - alpha) ** n / alpha
    mean = hw_mean(res, 1)[0] + 0.5 * b0 * h
    return ModelFit(mean, _psi_const(steps, alpha))


def _arima110(y: np.ndarray, steps: int) -> ModelFit:
    """ARIMA(1,1,0) without constant, its AR coefficient by Burg's method: what
    ARIMA(y, order=(1, 1, 0)).fit(method="burg") estimates and forecasts (a test checks),
    without building the state-space model (5x the cost of the estimate)."""
    d = np.diff(y)
    phi = float(burg(d, order=1, demean=False)[0][0])
    mean = y[-1] + np.cumsum(d[-1] * phi ** np.arange(1, steps + 1))
    psi = arma2ma(np.array([1.0, -(1.0 + phi), phi]), np.array([1.0]), lags=steps)
    return ModelFit(mean, psi)


def _ar1(y: np.ndarray, steps: int) -> ModelFit:
    """AR(1) around the history's mean (least squares, the coefficient kept in [0, 1]): the
    pull back to the level that ARIMA(1,1,0) and the smoothers lack, which a stationary series
    (a change, a rate of interest, a share that comes and goes) needs. On a random walk the
    coefficient is near 1 and it is close to naive."""
    mu = float(np.mean(y))
    x = y - mu
    den = float(np.sum(x[:-1] ** 2))
    phi = float(np.clip(np.sum(x[1:] * x[:-1]) / den, 0.0, 1.0)) if den > 0 else 1.0
    mean = mu + x[-1] * phi ** np.arange(1, steps + 1)
    return ModelFit(mean, phi ** np.arange(steps))


def fit_model(
    name: str,
    y: np.ndarray,
    steps: int,
    m: int = 1,
    seasonal: bool = False,
    start: np.ndarray | None = None,
) -> ModelFit:
    """Fit `name` on y and forecast `steps` ahead. Seasonal series are adjusted with
    classical additive indices before every model but the seasonal naive, and the
    indices are added back to the forecast."""
    n = len(y)
    if name == "naive":
        return ModelFit(np.full(steps, y[-1]), np.ones(steps))
    if name == "snaive":
        idx = n - m + np.arange(steps) % m
        psi = (np.arange(steps) % m == 0).astype(float)
        return ModelFit(y[idx].astype(float), psi)
    season = np.zeros(m)
    if seasonal:
        season = seasonal_indices(y, m)
        y = y - season[np.arange(n) % m]
    future = season[(n + np.arange(steps)) % m] if seasonal else 0.0
    if name == "drift":
        slope = (y[-1] - y[0]) / (n - 1)
        fit = ModelFit(y[-1] + slope * np.arange(1, steps + 1), np.ones(steps))
    elif name == "ses":
        fit = _hw(y, steps, damped=False, start=start)
    elif name == "damped":
        fit = _hw(y, steps, damped=True, start=start)
    elif name == "theta":
        fit = _theta(y, steps)
    elif name == "arima110":
        fit = _arima110(y, steps)
    elif name == "ar1":
        fit = _ar1(y, steps)
    else:
        raise KeyError(name)
    fit.mean = fit.mean + future
    return fit


def mase_scale(y: np.ndarray, lag: int) -> float:
    """In-sample MAE of the (seasonal) naive forecast: the MASE denominator.
    A flat training window falls back to 1 so the score stays finite."""
    if len(y) <= lag:
        return 1.0
    mae = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return mae if mae > 0 else 1.0


def origins(n: int, m: int, seasonal: bool, n_origins: int) -> list[int]:
    """Training-window lengths to forecast from: the last `n_origins` positions, never
    shorter than max(4, n // 2) (two full cycles when seasonal)."""
    min_train = max(4, n // 2, 2 * m if seasonal else 0)
    return list(range(max(min_train, n - n_origins), n))


@dataclass
class Backtest:
    """Rolling-origin (expanding window) forecasts of every candidate.

    `forecasts[name]` is (origins x horizon) with NaN beyond the data; `scales` are each
    origin's MASE denominators; `failed` names models whose fit raised on some window (they
    get no score); `starts` warm-starts the final fit."""

    y: np.ndarray
    horizon: int
    origins: list[int]
    scales: np.ndarray
    forecasts: dict[str, np.ndarray] = field(default_factory=dict)
    starts: dict[str, np.ndarray | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # combination -> models

    def actuals(self) -> np.ndarray:
        out = np.full((len(self.origins), self.horizon), np.nan)
        for i, o in enumerate(self.origins):
            k = min(self.horizon, len(self.y) - o)
            out[i, :k] = self.y[o : o + k]
        return out

    def errors(self, name: str) -> np.ndarray:
        return self.actuals() - self.forecasts[name]

    def add_mean(self, members: list[str]) -> str:
        """Score the equal-weight combination of `members` (no refitting needed)."""
        name = "combo(" + "+".join(members) + ")"
        self.forecasts[name] = np.mean([self.forecasts[k] for k in members], axis=0)
        self.members[name] = list(members)
        return name

    def table(self) -> pd.DataFrame:
        """MASE per model and horizon plus the overall mean of the horizons, best first."""
        rows = []
        for rank, (name, fc) in enumerate(self.forecasts.items()):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                scaled = np.abs(self.actuals() - fc) / self.scales[:, None]
                per_h = np.nanmean(scaled, axis=0)
            row = {"model": name, "order": rank}
            row.update({f"h{h + 1}": per_h[h] for h in range(self.horizon)})
            row["mase"] = float(np.nanmean(per_h)) if np.isfinite(per_h).any() else np.nan
            rows.append(row)
        for rank, name in enumerate(self.failed, start=len(rows)):
            rows.append({"model": name, "order": rank, "mase": np.nan})
        cols = ["model", *[f"h{h + 1}" for h in range(self.horizon)], "mase"]
        df = pd.DataFrame(rows, columns=[*cols, "order"])
        df = df.sort_values(["mase", "order"], na_position="last", kind="mergesort")
        return df[cols].reset_index(drop=True)


def run_backtest(
    y: np.ndarray,
    horizon: int,
    m: int,
    seasonal: bool,
    models: list[str],
    n_origins: int = 6,
) -> Backtest:
    """Fit each model once per origin (warm-started from the previous origin's
    parameters) and keep its forecasts; a model whose fit fails drops out."""
    orig = origins(len(y), m, seasonal, n_origins)
    lag = m if seasonal else 1
    scales = np.array([mase_scale(y[:o], lag) for o in orig])
    bt = Backtest(y=y, horizon=horizon, origins=orig, scales=scales)
    with quiet_fits():
        for name in models:
            fc = np.full((len(orig), horizon), np.nan)
            start = None
            try:
                for i, o in enumerate(orig):
                    k = min(horizon, len(y) - o)
                    fit = fit_model(name, y[:o], horizon, m, seasonal, start)
                    fc[i, :k] = fit.mean[:k]
                    start = fit.start
            except FIT_ERRORS as exc:
                bt.failed[name] = f"{type(exc).__name__}: {exc}"
                continue
            if not np.isfinite(fc[~np.isnan(bt.actuals())]).all():
                bt.failed[name] = "non-finite forecast"
                continue
            bt.forecasts[name] = fc
            bt.starts[name] = start
    return bt
