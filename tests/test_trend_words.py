"""Trend words that follow from the figures (kpi_lib.analysis.trends.describe), on generated
series: a large last move is never "stable" or "within the noise", "a steady fall" only for a
monotone run of consecutive figures, a rise then a fall is said as such, and two or three
figures never claim a noise estimate or a trend."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.analysis.trends import shape_of, trend

QUIET = re.compile(r"stable|flat|no clear trend|little change|no change|within the noise", re.I)
STEADY = re.compile(r"steady|steadily")


def quarters(start_fy: int, n: int) -> list[str]:
    return [
        f"{start_fy + i // 4}/{(start_fy + i // 4 + 1) % 100:02d} Q{i % 4 + 1}" for i in range(n)
    ]


def academic_years(start: int, n: int) -> list[str]:
    return [f"AY {start + i}/{(start + i + 1) % 100:02d}" for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(st.floats(20.0, 80.0), min_size=1, max_size=7),
    move=st.one_of(st.floats(2.7, 15.0), st.floats(-15.0, -2.7)),
    polarity=st.sampled_from(["High", "Low"]),
    unit=st.sampled_from(["%", "score", ""]),
)
def test_a_large_last_move_is_never_called_stable(
    history: list[float], move: float, polarity: str, unit: str
) -> None:
    """+10 points, -8 points, -2.7 on 47.6 (the KS4 score), whatever came before."""
    values = [*history, history[-1] + move]
    t = trend(pd.Series(values, index=quarters(2019, len(values))), polarity, unit=unit)
    assert not QUIET.search(t.direction) and not QUIET.search(t.reason), t
    assert "noise" not in t.reason
    good = (move > 0) == (polarity == "High")
    assert t.direction == ("improving" if good else "worsening")
    verb = "rose" if move > 0 else "fell"
    assert t.reason.startswith(f"{verb} "), t.reason


@pytest.mark.parametrize(
    ("values", "labels", "said"),
    [
        ([82.4, 92.4], quarters(2021, 2), "rose 10 points from 82.4"),
        ([64.0, 56.0], ["AY 2018/19", "AY 2021/22"], "fell 8 points from 64"),
        ([69.2, 62.1], ["AY 2018/19", "AY 2021/22"], "fell 7.1 points from 69.2"),
        ([47.6, 44.9], academic_years(2021, 2), "fell 2.7 points from 47.6"),
        ([100.0, 131.5], quarters(2020, 2), "rose 31.5% from 100"),
    ],
)
def test_the_checked_moves_are_said_as_moves(values: list[float], labels, said: str) -> None:
    unit = "" if values[0] == 100.0 else "%"
    t = trend(pd.Series(values, index=labels), "High", unit=unit)
    assert said in t.reason and not QUIET.search(t.direction)


@pytest.mark.parametrize(
    ("values", "turn"),
    [
        ([59.6, 68.1, 54.5], "fell after rising"),
        ([10.0, 8.0, 9.0, 12.0], "rose after falling"),
        ([5.0, 7.0, 9.0, 6.0], "fell after rising"),
        ([5.0, 7.0, 4.0, 9.0, 6.0], "fell after rising, up and down"),
        ([5.0, 5.0, 9.0], "rose after holding level"),
    ],
)
def test_a_turn_is_not_a_steady_run(values: list[float], turn: str) -> None:
    t = trend(pd.Series(values, index=quarters(2021, len(values))), "High", unit="%")
    assert turn in t.reason and not STEADY.search(t.reason)


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(st.floats(0.5, 10.0), min_size=2, max_size=7),
    down=st.booleans(),
)
def test_steady_only_for_a_monotone_run_of_consecutive_figures(
    steps: list[float], down: bool
) -> None:
    sign = -1.0 if down else 1.0
    values = np.cumsum([50.0, *(sign * s for s in steps)])
    labels = quarters(2019, len(values))
    t = trend(pd.Series(values, index=labels), "High")
    assert f"a steady {'fall' if down else 'rise'}" in t.reason
    # the same figures with quarters missing between them: each lower (higher), never steady
    gappy = [labels[0], *quarters(2023, len(values) - 1)]
    g = trend(pd.Series(values, index=gappy), "High")
    assert not STEADY.search(g.reason) and "periods missing" in g.reason
    # one step against the run: no longer steady
    bent = values.copy()
    bent[-1] = bent[-2] - sign * 1.0
    assert not STEADY.search(trend(pd.Series(bent, index=labels), "High").reason)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(1.0, 1e6), min_size=2, max_size=3))
def test_two_or_three_figures_claim_no_noise_or_trend(values: list[float]) -> None:
    t = trend(pd.Series(values, index=quarters(2021, len(values))), "Low")
    assert "noise" not in t.reason and "trend" not in t.reason and "interval" not in t.reason


@pytest.mark.parametrize("share", [0.0, 0.5, 1.9, -1.9])
def test_a_change_within_two_per_cent_is_little_change(share: float) -> None:
    t = trend(pd.Series([50.0, 50.0 * (1 + share / 100)], index=quarters(2021, 2)), "High")
    assert t.direction == "little change" and t.movement == "flat"
    assert "noise" not in t.reason


def test_a_move_from_zero_is_a_move() -> None:
    t = trend(pd.Series([0.0, 0.2], index=quarters(2021, 2)), "Low", unit="%")
    assert t.direction == "worsening" and "rose 0.2 points" in t.reason


def test_unknown_polarity_says_the_movement_only() -> None:
    t = trend(pd.Series([10.0, 20.0], index=quarters(2021, 2)), "")
    assert (t.movement, t.direction) == ("rising", "") and "polarity unknown" in t.reason


def test_a_fitted_trend_is_named_from_four_figures_only() -> None:
    zigzag = [10.0, 12.0, 11.0, 13.0, 12.5, 14.0, 13.5, 15.0]
    t = trend(pd.Series(zigzag, index=quarters(2019, 8)), "High")
    assert "an upward trend over the 8 figures" in t.reason and "up and down" in t.reason


def test_shape_needs_three_figures() -> None:
    assert shape_of(np.array([1.0, 2.0]), np.array([0.0, 3.0]), 3.0, "x") == ""
    same = shape_of(np.array([4.0, 4.0, 4.0]), np.array([0.0, 3.0, 6.0]), 3.0, "2021/22 Q1")
    assert same == "unchanged over the 3 figures since 2021/22 Q1"
