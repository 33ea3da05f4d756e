"""Short, gappy and seasonal histories (issue 21): the short path beats carrying the last figure
on trending series, a count with closures at zero gets a range no wider than 3x naive's,
seasonality fires on 12 points from the information criterion or on 8 when declared, and the
interval table is a conformal rank of the errors it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi_lib.analysis.calibration import LEVELS, MIN_K, bucket, from_errors
from kpi_lib.analysis.forecast import forecast, is_seasonal_ic
from tests.council_series import council_set
from tests.test_forecast import ets_path, quarterly

H = 4


def _gmean_ratio(rows: list[tuple[float, float]]) -> float:
    r = np.array([a / b for a, b in rows if b > 0])
    return float(np.exp(np.mean(np.log(np.clip(r, 1e-3, 1e3)))))


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_short_path_beats_naive_on_trending_series(n: int) -> None:
    """Additive and multiplicative trends, steep and gentle, noisy and smooth: the blend
    forecast of 4-7 points misses by less than the last figure carried on."""
    rng = np.random.default_rng(100 + n)
    rows = []
    for i in range(120):
        slope = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 2.0)
        sigma = rng.uniform(0.2, 1.5)
        if i % 2:
            y = ets_path(
                rng, n + H, alpha=rng.uniform(0.1, 0.5), beta=0.1, slope=slope, sigma=sigma
            )
        else:
            y = 100.0 * np.exp(np.cumsum(rng.normal(0.03 * np.sign(slope), 0.01, n + H)))
        hist, future = y[:n], y[n:]
        r = forecast(quarterly(hist), horizon=H, n_paths=100)
        assert r.insufficient_history and r.model != "naive"
        ours = float(np.mean(np.abs(future - r.mean.to_numpy())))
        naive = float(np.mean(np.abs(future - hist[-1])))
        rows.append((ours, naive))
    assert _gmean_ratio(rows) < 0.85


def test_short_path_stays_near_naive_on_random_walks() -> None:
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(150):
        n = int(rng.integers(4, 8))
        y = 50.0 + np.cumsum(rng.normal(size=n + H))
        r = forecast(quarterly(y[:n]), horizon=H, n_paths=100)
        rows.append(
            (
                float(np.mean(np.abs(y[n:] - r.mean.to_numpy()))),
                float(np.mean(np.abs(y[n:] - y[n - 1]))),
            )
        )
    assert _gmean_ratio(rows) < 1.15


def _naive_width95(y: np.ndarray, h: np.ndarray) -> np.ndarray:
    """A naive forecast's 95% width (statsforecast's Naive): +-1.96 sd of the changes sqrt(h)."""
    d = np.diff(y)
    return 2 * 1.96 * float(np.sqrt(np.mean(d**2))) * np.sqrt(h)


@pytest.mark.parametrize("length", [6, 8, 12])
def test_counts_with_closures_get_no_runaway_range(length: int) -> None:
    """Council counts with quarters at or near zero (leisure centres shut): the 95% range is
    never more than 3x a naive forecast's, and never above 5x the largest count seen."""
    checked = 0
    for series, (lower, upper) in council_set(240, seed=5).values():
        if series.min() > 0.05 * series.max():
            continue  # no closure
        for t in range(length, len(series) - H + 1, 2):
            hist = series.iloc[t - length : t]
            if np.isnan(hist.iloc[-1]) or not (hist <= 0.1 * hist.max()).any():
                continue
            r = forecast(hist, horizon=H, lower=lower, upper=upper, n_paths=100)
            y = hist.interpolate().dropna().to_numpy()
            width = (r.upper95 - r.lower95).to_numpy()
            assert (width <= 3 * _naive_width95(y, np.arange(1, H + 1)) + 1e-9).all(), hist
            assert r.upper95.max() <= 5 * np.nanmax(hist.to_numpy()), hist
            assert r.lower95.min() >= 0.0
            checked += 1
    assert checked >= 30


def test_seasonality_from_the_information_criterion_fires_on_12_points() -> None:
    rng = np.random.default_rng(31)
    season = np.array([1.0, 0.0, -1.0, 0.0])
    fired = [
        is_seasonal_ic(ets_path(rng, 12, alpha=0.2, season=rng.uniform(2, 4) * season), 4)
        for _ in range(100)
    ]
    assert np.mean(fired) > 0.8
    false = [
        is_seasonal_ic(ets_path(rng, 12, alpha=0.3, slope=rng.uniform(-1, 1)), 4)
        for _ in range(100)
    ]
    assert np.mean(false) < 0.15


def test_declared_seasonality_is_modelled_from_8_points() -> None:
    """A KPI the council calls seasonal (summer EET dips) is forecast with its pattern from two
    cycles, where the history alone would not prove it. (Undeclared, a history this short
    already keeps part of the swing through the seasonal naive member, hence 0.85, not less.)"""
    rng = np.random.default_rng(32)
    rows = []
    for _ in range(60):
        y = ets_path(rng, 8 + H, alpha=0.1, season=np.array([2.0, 0.5, -2.5, 0.0]))
        plain = forecast(quarterly(y[:8]), horizon=H, n_paths=100)
        told = forecast(quarterly(y[:8]), horizon=H, n_paths=100, seasonal=True)
        assert told.seasonal
        rows.append(
            (
                float(np.mean(np.abs(y[8:] - told.mean.to_numpy()))),
                float(np.mean(np.abs(y[8:] - plain.mean.to_numpy()))),
            )
        )
    assert _gmean_ratio(rows) < 0.85
    few = forecast(quarterly(y[:6]), horizon=H, seasonal=True)
    assert not few.seasonal and any("too few" in n for n in few.notes)


def test_calibration_is_a_conformal_rank_with_a_floor() -> None:
    errs = {(bucket(12), s): list(np.arange(1.0, 100.0) * (s + 1)) for s in range(8)}
    cal = from_errors(errs)
    k = cal.multipliers(12, 10)
    # 99 errors 1..99: at 80% the ceil(100 * 0.8) = 80th smallest
    assert k[0, LEVELS.index(0.8)] == 80.0 and k[0, LEVELS.index(0.95)] == 95.0
    assert (np.diff(k, axis=0) >= 0).all() and (np.diff(k, axis=1) >= 0).all()
    assert np.allclose(k[9], k[7] * np.sqrt(10 / 8))  # beyond the table: square-root growth
    tiny = from_errors({(bucket(12), 0): [0.0] * 50})
    assert (tiny.multipliers(12, 1)[0] >= np.array(MIN_K)).all()  # never a random walk's less
    assert (cal.multipliers(3, 2) >= np.array(MIN_K)).all()  # an empty bucket borrows


def test_short_forecast_is_inside_and_ordered_for_every_family() -> None:
    for series, (lower, upper) in council_set(60, n=10, seed=9).values():
        for n in (1, 2, 3, 5, 7, 10):
            hist = series.iloc[:n]
            if hist.isna().all() or np.isnan(hist.iloc[-1]):
                continue
            f = forecast(hist, horizon=H, lower=lower, upper=upper, n_paths=100).frame()
            lo = -np.inf if lower is None else lower
            hi = np.inf if upper is None else upper
            assert np.isfinite(f.to_numpy()).all() and (f >= lo).all().all()
            assert (f <= hi).all().all()
            assert (f["lower95"] <= f["lower"]).all() and (f["lower"] <= f["mean"]).all()
            assert (f["mean"] <= f["upper"]).all() and (f["upper"] <= f["upper95"]).all()
            assert isinstance(f.index, pd.PeriodIndex)


def test_a_gap_widens_the_range_as_the_quarters_missing_do() -> None:
    """Three figures, eight quarters with none, one figure (a KPI a report stopped printing for
    two years): the change across the gap is one change of nine quarters, not nine small
    ones along the straight line that bridges it. On 150 random walks the 80% range covered
    46% of the next four quarters when the bridge's steps were counted, 68% now."""
    hit = n = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        walk = 100 + np.cumsum(rng.normal(0, 1, 16))
        y = walk[:12].copy()
        y[3:11] = np.nan
        s = pd.Series(y, index=pd.period_range("2019Q1", periods=12, freq="Q"))
        f = forecast(s, horizon=4, seed=1)
        truth = walk[12:16]
        hit += int(((truth >= f.lower.to_numpy()) & (truth <= f.upper.to_numpy())).sum())
        n += 4
        assert f.n_span == 12 and f.n_obs == 4
    assert hit / n >= 0.62


def test_a_short_forecasts_note_says_how_many_quarters_had_no_figure() -> None:
    from kpi_lib.report.quarterly import short_history_note

    y = [703.0, 697.8, 698.6, *[np.nan] * 8, 692.0]
    s = pd.Series(y, index=pd.period_range("2019Q2", periods=12, freq="Q"))
    note = short_history_note(forecast(s, horizon=4))
    assert note.startswith("From 4 quarterly figures over 12 quarters (8 without a figure): ")
    full = pd.Series(
        [703.0, 697.8, 698.6, 692.0], index=pd.period_range("2019Q2", periods=4, freq="Q")
    )
    assert short_history_note(forecast(full, horizon=4)).startswith("From 4 quarterly figures: ")
