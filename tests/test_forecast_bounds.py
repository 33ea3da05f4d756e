"""Forecasts inside the possible: shares stay in 0-100, counts, rates and durations at or
above 0, whatever the model or the history length; a share seen above 100 is not capped;
a history too short to backtest gives no probability of meeting a target."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.analysis.bounds import Scale, choose_scale, natural_range, range_seen
from kpi_lib.analysis.forecast import forecast
from kpi_lib.analysis.kpi import Kpi
from kpi_lib.errors import UsageError
from kpi_lib.store.snapshot import Store
from tests.test_forecast import quarterly


def _inside(result, lower: float | None, upper: float | None) -> bool:
    f = result.frame().to_numpy()
    lo = -math.inf if lower is None else lower
    hi = math.inf if upper is None else upper
    return bool(np.isfinite(f).all() and (f >= lo).all() and (f <= hi).all())


MONEY_AND_COUNTS = ("count", "rate per 10k", "rate per 100k", "days per FTE", "days", "ratio")


def test_natural_range_follows_the_unit() -> None:
    assert natural_range("%") == (0.0, 100.0)
    for unit in (*MONEY_AND_COUNTS, "index", "£", "score"):
        assert natural_range(unit) == (0.0, None)
    for unit in ("", None, "furlongs"):
        assert natural_range(unit) == (None, None)


def test_the_catalogue_can_say_the_range_the_unit_does_not() -> None:
    assert natural_range("£", lower="none") == (None, None)  # a budget variance
    assert natural_range("score", upper="100") == (0.0, 100.0)
    assert natural_range("", lower="-10", upper="10") == (-10.0, 10.0)
    assert range_seen("score", np.array([3.0, 5.0]), lower="none") == (None, None)
    assert range_seen("£", np.array([-3.0, 5.0])) == (None, None)  # printed below 0: no floor


@settings(max_examples=40, deadline=None)
@given(
    unit=st.sampled_from(["£", "score", *MONEY_AND_COUNTS]),
    start=st.floats(1.0, 1e6),
    fall=st.floats(0.05, 0.6),
    n=st.integers(3, 12),
    seed=st.integers(0, 99),
)
def test_money_counts_and_scores_falling_fast_stay_at_or_above_zero(
    unit: str, start: float, fall: float, n: int, seed: int
) -> None:
    """A lumpy money or count series (Rosebud loans: £152,000 then £385,000) never gets a
    negative range, short history or long."""
    rng = np.random.default_rng(seed)
    y = start * np.maximum(0.01, 1 - fall * np.arange(n) + rng.normal(0, fall, n))
    lower, upper = natural_range(unit)
    r = forecast(quarterly(y), horizon=4, lower=lower, upper=upper, n_paths=300)
    assert _inside(r, 0.0, None), (unit, r.frame())


def test_scale_round_trips_and_lands_inside() -> None:
    y = np.array([0.0, 3.0, 50.0, 99.0, 100.0])
    notes: list[str] = []
    logit = choose_scale(y, 0.0, 100.0, notes)
    assert logit.kind == "logit" and logit.offset > 0 and not notes  # values on both bounds
    assert np.allclose(logit.back(logit.to(y)), y)
    assert logit.back(np.array([-1e6, 1e6])).tolist() == [0.0, 100.0]
    log = choose_scale(np.array([0.0, 2.0, 8.0]), 0.0, None, notes)
    assert log.kind == "log" and log.offset == 1.0  # half the smallest positive value
    assert np.allclose(log.back(log.to(np.array([0.0, 5.0]))), [0.0, 5.0])
    assert np.isfinite(log.back(np.array([1e9]))).all()
    assert choose_scale(y, None, None, notes) == Scale()


def test_falling_count_stays_at_or_above_zero() -> None:
    rng = np.random.default_rng(1)
    y = np.maximum(0.5, 40.0 - 4.0 * np.arange(12) + rng.normal(0, 2.0, 12))
    s = quarterly(y)
    free = forecast(s, horizon=6)
    assert free.lower95.min() < 0  # the unbounded model goes below zero...
    bounded = forecast(s, horizon=6, lower=0.0)
    assert _inside(bounded, 0.0, None)  # ...the bounded one cannot
    # near its bound (a factor of 80 down to it): its own scale, clipped, never a log tail
    assert bounded.scale == "identity" and bounded.to_dict()["lower_bound"] == 0.0
    assert bounded.upper95.max() < 2 * y.max()
    level = forecast(quarterly(30.0 + rng.normal(0, 2.0, 12)), horizon=6, lower=0.0)
    assert level.scale == "log" and "log scale" in level.summary()  # well clear of 0


def test_share_near_100_stays_at_or_below_100() -> None:
    rng = np.random.default_rng(2)
    y = np.minimum(99.9, 90.0 + 0.9 * np.arange(12) + rng.normal(0, 0.8, 12))
    s = quarterly(y)
    assert forecast(s, horizon=4).upper95.max() > 100
    bounded = forecast(s, horizon=4, lower=0.0, upper=100.0, target=99.0)
    assert bounded.scale == "identity" and _inside(bounded, 0.0, 100.0)  # pressed to 100
    middle = forecast(quarterly(50.0 + rng.normal(0, 3.0, 12)), lower=0.0, upper=100.0)
    assert middle.scale == "logit" and _inside(middle, 0.0, 100.0)
    assert bounded.p_meet_target is not None and 0.0 <= bounded.p_meet_target <= 1.0


def test_share_seen_above_100_is_not_capped() -> None:
    s = quarterly([92.0, 95.0, 97.0, 99.0, 101.0, 100.0, 102.0, 101.0, 103.0, 101.0])
    r = forecast(s, horizon=4, lower=0.0, upper=100.0)
    assert r.upper_bound is None and r.scale == "log"
    assert r.upper.max() > 101.0 and _inside(r, 0.0, None)
    assert any("not capped at 100" in n for n in r.notes)


def test_negative_history_drops_the_bounds() -> None:
    s = quarterly([-3.4, 0.8, 1.7, -0.5, 0.2, 1.1, -1.0, 0.4, 0.9])
    r = forecast(s, lower=0.0, upper=100.0)
    assert r.scale == "identity" and r.lower_bound is None
    assert any("below 0" in n for n in r.notes)


@pytest.mark.parametrize(
    ("values", "lower", "upper"),
    [
        ([0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 1.0, 0.0], 0.0, None),  # a count with zeros
        ([100.0] * 9 + [99.0], 0.0, 100.0),  # a share on its bound
        ([100.0] * 10, 0.0, 100.0),  # flat on the bound
        ([0.0] * 10, 0.0, None),  # nothing ever counted
        ([98.9], 0.0, 100.0),  # one point near the bound
        ([0.0], 0.0, 100.0),
        ([5e-324, 0.0], 0.0, None),  # a denormal hair above the bound
        ([5e-324, 1e-300, 3.0, 100.0 - 1e-14] * 3, 0.0, 100.0),
    ],
)
def test_values_on_a_bound_give_finite_intervals_inside(
    values: list[float], lower: float, upper: float | None
) -> None:
    r = forecast(quarterly(values), horizon=4, lower=lower, upper=upper)
    assert _inside(r, lower, upper)
    assert (r.upper95 > r.lower95).all()  # never a confident line


def test_one_share_near_100_keeps_a_sensible_spread() -> None:
    """The no-history spread is 10% of the distance to the nearer bound, so 98.9% does not
    get an interval down to 0."""
    r = forecast(quarterly([98.9]), lower=0.0, upper=100.0)
    assert r.lower.iloc[0] > 90.0 and r.upper.iloc[0] <= 100.0
    assert r.lower95.iloc[0] > 50.0


def test_short_history_gives_no_probability_and_says_why() -> None:
    s = quarterly([50.0, 51.0, 50.5, 52.0])
    r = forecast(s, target=51.0, polarity="High", lower=0.0, upper=100.0)
    assert r.insufficient_history and r.p_meet_target is None
    assert r.target == 51.0 and any("short history" in n for n in r.notes)
    assert any("no P(meet target)" in n for n in r.notes)
    assert r.to_dict()["p_meet_target"] is None
    assert "P(value" not in r.summary() and "short history" in r.summary()
    long = forecast(quarterly(np.linspace(50.0, 52.0, 10) + [0, 0.3] * 5), target=51.0)
    assert long.p_meet_target is not None


@pytest.mark.parametrize(
    "bounds",
    [
        {"lower": 5.0, "upper": 5.0},
        {"lower": 10.0, "upper": 0.0},
        {"lower": float("nan")},
        {"upper": "lots"},
    ],
)
def test_bad_bounds_are_usage_errors(bounds: dict) -> None:
    with pytest.raises(UsageError):
        forecast(quarterly(np.arange(1.0, 11.0)), **bounds)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(0.0, 100.0), st.sampled_from([0.0, 100.0, np.nan])),
        min_size=1,
        max_size=30,
    ),
    horizon=st.integers(1, 8),
    share=st.booleans(),
)
def test_bounded_forecasts_stay_inside_and_ordered(
    values: list[float], horizon: int, share: bool
) -> None:
    s = quarterly(values)
    if s.isna().all():
        return
    upper = 100.0 if share else None
    r = forecast(s, horizon=horizon, lower=0.0, upper=upper, n_paths=200)
    assert _inside(r, 0.0, upper)
    f = r.frame()
    for inner, outer in (("lower95", "lower"), ("lower", "mean"), ("mean", "upper")):
        assert (f[inner] <= f[outer] + 1e-9 * (1 + f[outer].abs())).all(), (inner, f)


# --- every KPI in the bundled store ------------------------------------------------------------
UNIT_RANGES = {
    "%": (0.0, 100.0),
    "count": (0.0, None),
    "rate per 10k": (0.0, None),
    "rate per 100k": (0.0, None),
    "days per FTE": (0.0, None),
    "days": (0.0, None),
    "ratio": (0.0, None),
    "index": (0.0, None),
    "£": (0.0, None),
    "score": (0.0, None),
}


def test_every_stored_kpi_forecast_is_inside_its_natural_range(store_root: Path) -> None:
    store = Store.load()
    checked = bounded = 0
    for kpi_id in sorted(store.observations["kpi_id"].dropna().unique()):
        kpi = Kpi(store, kpi_id)
        result = kpi.forecast_or_none(4)
        if result is None:
            continue
        checked += 1
        entry = store.entry(kpi_id)
        lower, upper = UNIT_RANGES.get(entry.unit if entry else kpi.unit, (None, None))
        printed = pd.to_numeric(kpi.current["value"], errors="coerce").dropna()
        if upper is not None and printed.max() > upper:
            upper = None  # a share above 100 (take-up of 101%) is not capped
        if lower is not None and printed.min() < lower:
            lower = upper = None  # not a share or a count after all (a variance)
        # the bounds come from what was printed, never from a derived figure (a year-to-date
        # share de-cumulated into -1.1% once dropped the 0% bound of health-check uptake)
        assert kpi.natural_range == (lower, upper), kpi_id
        bounded += lower is not None
        assert _inside(result, lower, upper), (kpi_id, lower, upper, result.frame())
        if result.insufficient_history:
            assert result.p_meet_target is None, kpi_id
    assert checked >= 50 and bounded >= 0.8 * checked
