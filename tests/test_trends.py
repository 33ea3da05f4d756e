"""Direction of travel on synthetic series with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.analysis.trends import trend, trend_table
from kpi_lib.errors import UsageError
from kpi_lib.periods import grain_of, period_key


def quarters(start_fy: int, n: int) -> list[str]:
    return [
        f"{start_fy + i // 4}/{(start_fy + i // 4 + 1) % 100:02d} Q{i % 4 + 1}" for i in range(n)
    ]


def noisy_line(slope: float, n: int, sd: float, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=float)
    return pd.Series(10.0 + slope * x + rng.normal(0, sd, n), index=x)


def test_rising_series_with_low_polarity_is_worsening() -> None:
    t = trend(noisy_line(0.5, 8, 0.1, seed=1), polarity="Low")
    assert (t.movement, t.direction, t.basis) == ("rising", "worsening", "change")
    assert "a steady rise over the 8 consecutive figures" in t.reason
    assert t.slope_low > 0


def test_falling_series_with_low_polarity_is_improving() -> None:
    t = trend(noisy_line(-0.5, 8, 0.1, seed=2), polarity="Low")
    assert (t.movement, t.direction) == ("falling", "improving")
    assert t.slope_high < 0


def test_rising_series_with_high_polarity_is_improving() -> None:
    assert trend(noisy_line(0.5, 8, 0.1, seed=3), polarity="High").direction == "improving"


def test_flat_noise_claims_no_trend_but_says_its_last_change() -> None:
    t = trend(noisy_line(0.0, 8, 1.0, seed=4), polarity="High")
    assert t.slope_low <= 0 <= t.slope_high
    assert "trend" not in t.reason and "noise" not in t.reason
    assert t.direction == ("improving" if t.change > 0 else "worsening")


def test_slope_interval_covers_the_true_slope_about_95_percent_of_the_time() -> None:
    true = 0.3
    hits = 0
    runs = 400
    for seed in range(runs):
        t = trend(noisy_line(true, 8, 0.5, seed=seed), polarity="High")
        hits += t.slope_low <= true <= t.slope_high
    assert 0.91 <= hits / runs <= 0.99


def test_slope_uses_only_the_last_n_points() -> None:
    # flat for 8 points, then a clear climb over the last 4
    s = pd.Series([5.0] * 8 + [6.0, 7.0, 8.0, 9.0], index=np.arange(12.0))
    assert trend(s, n=4).slope == pytest.approx(1.0)
    assert trend(s, n=4).slope_points == 4
    assert trend(s, n=12).slope < 1.0


def test_two_points_use_the_two_per_cent_band() -> None:
    assert trend(pd.Series([100.0, 101.0]), noise=0.02).direction == "little change"
    t = trend(pd.Series([100.0, 110.0]), noise=0.02, polarity="Low")
    assert (t.basis, t.direction) == ("change", "worsening")
    assert t.change == pytest.approx(10.0) and t.change_pct == pytest.approx(10.0)


def test_unknown_polarity_gives_movement_but_no_direction() -> None:
    t = trend(noisy_line(1.0, 6, 0.1, seed=5), polarity="")
    assert t.movement == "rising" and t.direction == ""


def test_period_labels_are_ordered_and_slope_is_per_year() -> None:
    labels = quarters(2020, 8)
    s = pd.Series(np.arange(8, dtype=float), index=labels).iloc[::-1]  # given out of order
    t = trend(s, polarity="High")
    assert t.latest_period == "2021/22 Q4" and t.latest == 7.0
    assert t.slope == pytest.approx(4.0)  # +1 a quarter
    assert t.previous_period == "2021/22 Q3"
    assert (t.year_ago_period, t.change_yoy) == ("2020/21 Q4", 4.0)


def test_cumulative_indicator_is_compared_like_for_like() -> None:
    # visits so far this year: restarts each April, grows 10% a year
    labels = quarters(2019, 12)
    ytd = []
    for i in range(12):
        year, q = divmod(i, 4)
        ytd.append(1000.0 * (q + 1) * 1.1**year)
    s = pd.Series(ytd, index=labels).iloc[:-1]  # latest = 2021/22 Q3
    point = trend(s, polarity="High", accumulation="point")
    assert point.previous_period == "2021/22 Q2"  # naive: YTD Q3 vs YTD Q2
    t = trend(s, polarity="High", accumulation="cumulative")
    assert t.previous_period == "2020/21 Q3"  # like for like
    assert t.change_pct == pytest.approx(10.0)
    assert t.direction == "improving"
    # a Q1 after a Q4 is a fall in the running total, not a fall in use
    s2 = pd.Series(ytd[:9], index=labels[:9])  # latest = 2021/22 Q1
    assert trend(s2, polarity="High", accumulation="point").change < 0
    assert trend(s2, polarity="High", accumulation="cumulative").change > 0


def test_bad_arguments() -> None:
    with pytest.raises(UsageError):
        trend(pd.Series([1.0, 2.0]), accumulation="weekly")
    with pytest.raises(UsageError):
        trend(pd.Series([1.0, 2.0]), n=1)
    assert trend(pd.Series([], dtype=float)).reason == "no values"


@pytest.mark.parametrize(
    ("label", "key", "grain"),
    [
        ("2022/23 Q2", (2022, 6.0), "quarter"),
        ("2022 09", (2022, 6.0), "month"),
        ("2022-09", (2022, 6.0), "month"),
        ("2021/22", (2021, 12.0), "year"),
        ("2022 Summer term mid", (2022, 5.0), "term"),
        ("July 2018 to June 2019", (2019, 3.0), "year"),
        ("not a period", None, ""),
    ],
)
def test_period_helpers(label: str, key: tuple[int, float] | None, grain: str) -> None:
    assert period_key(label) == key
    assert grain_of(label) == grain


def test_trend_table_uses_current_values_per_kpi() -> None:
    rows = []
    for i, label in enumerate(quarters(2021, 6)):
        rows.append(
            {
                "kpi_id": "absence",
                "metric_name": "Sickness Absence days per FTE",
                "period": label,
                "report_period": label,
                "value": 12.0 - 0.5 * i,
                "polarity": "Low",
                "is_current": True,
            }
        )
    # a superseded version of the latest value must not count
    rows.append({**rows[-1], "value": 99.0, "is_current": False})
    for i, label in enumerate(quarters(2021, 5)):
        rows.append(
            {
                "kpi_id": "visits",
                "metric_name": "Visits (annual cumulative indicator)",
                "period": label,
                "report_period": label,
                "value": 100.0 * (i % 4 + 1),
                "polarity": "High",
                "is_current": True,
            }
        )
    table = trend_table(pd.DataFrame(rows)).set_index("kpi_id")
    assert table.loc["absence", "direction"] == "improving"
    assert table.loc["absence", "latest"] == pytest.approx(9.5)
    assert table.loc["absence", "n_points"] == 6
    assert table.loc["visits", "accumulation"] == "cumulative"
    assert table.loc["visits", "previous_period"] == "2021/22 Q1"
    assert table.loc["visits", "change"] == pytest.approx(0.0)


def test_trend_table_keeps_one_grain_and_the_printed_polarity() -> None:
    base = {"kpi_id": "visits", "metric_name": "Visits", "is_current": True}
    rows = [{**base, "period": "2018/19", "report_period": "2019/20 Q3", "value": 3_600_000.0,
             "period_type": "fy_year", "polarity": "High"}]  # fmt: skip
    for i, label in enumerate(quarters(2019, 3)):
        rows.append({**base, "period": label, "report_period": "2019/20 Q3",
                     "value": 900_000.0 - 10_000 * i, "period_type": "fy_quarter",
                     "polarity": "High"})  # fmt: skip
    rows.append({**base, "period": "2019/20 Q4", "report_period": "2019/20 Q4",
                 "value": 860_000.0, "period_type": "fy_quarter", "polarity": ""})  # fmt: skip
    t = trend_table(pd.DataFrame(rows)).set_index("kpi_id").loc["visits"]
    assert t["n_points"] == 4  # the 2018/19 year's total is not a quarter
    assert t["polarity"] == "High"
    assert t["direction"] == "worsening"


# --- review: awkward series ------------------------------------------------------------------
def test_a_repeated_period_keeps_its_last_value_and_says_so() -> None:
    labels = ["2021/22 Q1", "2021/22 Q2", "2021/22 Q3", "2021/22 Q3"]  # Q3 revised
    t = trend(pd.Series([1.0, 2.0, 9.0, 3.0], index=labels))
    assert (t.n_points, t.latest, t.previous_period) == (3, 3.0, "2021/22 Q2")
    assert "repeated period" in t.reason
    dates = pd.to_datetime(["2020-03-31", "2020-03-31"])
    one = trend(pd.Series([1.0, 2.0], index=dates))
    assert (one.n_points, one.latest, one.previous) == (1, 2.0, None)  # no change with itself


@pytest.mark.parametrize(
    ("freq", "per_year"), [("Q", 4), ("M", 12), ("Y", 1)]
)  # a PeriodIndex, as forecasts use
def test_period_index_is_placed_in_years(freq: str, per_year: int) -> None:
    s = pd.Series(np.arange(14.0), index=pd.period_range("2019-01", periods=14, freq=freq))
    t = trend(s)
    assert t.slope == pytest.approx(per_year)  # +1 a period
    assert t.year_ago == 13.0 - per_year and t.change_yoy == per_year


def test_month_end_dates_find_the_year_before_across_a_leap_day() -> None:
    s = pd.Series(np.arange(14.0), index=pd.date_range("2020-01-31", periods=14, freq="ME"))
    t = trend(s)
    assert t.latest_period.startswith("2021-02-28") and t.year_ago_period.startswith("2020-02-29")


def test_cumulative_series_without_known_periods_fits_no_running_totals() -> None:
    ytd = [100.0, 200.0, 300.0, 400.0] * 3
    numbered = trend(pd.Series(ytd), accumulation="cumulative", per_year=4)
    assert numbered.previous == 400.0 and numbered.slope_points == 3
    assert numbered.slope == pytest.approx(0.0, abs=1e-9)
    unknown = trend(pd.Series(ytd, index=[f"p{i}" for i in range(12)]), accumulation="cumulative")
    assert unknown.slope is None and unknown.previous is None


def test_huge_and_infinite_values() -> None:
    s = pd.Series(1e300 * np.arange(1.0, 6.0), index=quarters(2020, 5))
    t = trend(s)
    assert t.movement == "rising" and t.slope == pytest.approx(4e300)
    with_inf = trend(pd.Series([1.0, np.inf, 3.0], index=quarters(2020, 3)))
    assert (with_inf.n_points, with_inf.previous) == (2, 1.0)


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(quarters(2019, 12) + ["2022 09", "2021/22", "junk"]),
                  st.floats(allow_nan=True, allow_infinity=True)),
        max_size=16,
    ),
    accumulation=st.sampled_from(["point", "rolling", "cumulative"]),
)  # fmt: skip
def test_trend_never_raises(pairs: list[tuple[str, float]], accumulation: str) -> None:
    s = pd.Series([v for _, v in pairs], index=[label for label, _ in pairs], dtype=float)
    t = trend(s, "Low", accumulation=accumulation)
    assert t.latest is None or np.isfinite(t.latest)


@settings(max_examples=50, deadline=None)
@given(level=st.floats(-1e12, 1e12), n=st.integers(2, 30))
def test_all_equal_values_are_flat(level: float, n: int) -> None:
    t = trend(pd.Series([level] * n, index=quarters(2015, n)))
    assert (t.direction, t.movement) == ("little change", "flat")
    assert t.reason.startswith("no change")


def test_trend_table_takes_the_grain_of_the_latest_period_in_time() -> None:
    base = {"kpi_id": "k", "metric_name": "K", "polarity": "High", "is_current": True}
    rows = [{**base, "period": p, "report_period": p, "value": float(i)}
            for i, p in enumerate(quarters(2021, 5))]  # fmt: skip
    # a month after the last quarter (2022/23 Q1), though "2022 07" sorts before it as text
    rows.append({**base, "period": "2022 07", "report_period": "2022/23 Q2", "value": 7.0})
    t = trend_table(pd.DataFrame(rows)).iloc[0]
    assert (t["latest_period"], t["n_points"]) == ("2022 07", 1)
