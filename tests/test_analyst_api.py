"""`import kpi_lib` gives analysts one-line access to the store, a series, a plot, a forecast."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import kpi_lib as kpi

KPI = "care-home-admissions-65-plus"


def test_one_line_access(store_root: Path) -> None:
    via_sql = kpi.sql(
        f"select period, value from current where kpi_id = '{KPI}' order by period_start"
    )
    s = kpi.series(KPI)
    assert s.dropna().tolist() == via_sql["value"].tolist()
    assert s.attrs["labels"] == via_sql["period"].tolist()
    assert isinstance(s.index, pd.DatetimeIndex) and s.index.is_monotonic_increasing
    assert len(kpi.table("observations")) == kpi.sql("select count(*) n from observations")["n"][0]

    h = kpi.history(KPI)
    assert {"source_file", "source_line", "target_value"} <= set(h.columns)
    fig = kpi.plot_kpi(KPI)
    assert isinstance(fig, matplotlib.figure.Figure)
    drawn = np.asarray(fig.axes[0].lines[0].get_ydata(), dtype=float)
    assert int(np.isfinite(drawn).sum()) == int(h["value"].notna().sum())
    assert np.isnan(drawn).any()  # the two missing years are a break in the line
    # the figure is not left as pyplot's current one: a following plot draws elsewhere
    other = s.plot()
    assert other.figure is not fig and fig.axes[0].lines[0] in fig.axes[0].lines
    plt.close("all")

    fc = kpi.forecast_kpi(KPI, horizon=3)
    assert len(fc.mean) == len(fc.lower) == len(fc.upper) == 3
    assert "Forecast" in fc.summary()


def test_quarterly_series_has_a_period_index_with_gaps(store_root: Path) -> None:
    """All-quarterly KPIs get a full quarterly PeriodIndex: missing quarters are NaN."""
    ids = kpi.sql("select distinct kpi_id from current order by 1")["kpi_id"]
    for kpi_id in ids:
        s = kpi.series(kpi_id)
        if isinstance(s.index, pd.PeriodIndex):
            assert s.index.freqstr.startswith("Q")
            expected = pd.period_range(s.index.min(), s.index.max(), freq="Q")
            assert list(s.index) == list(expected)
            assert s.notna().sum() == len(s.attrs["labels"])
            return
    raise AssertionError("no all-quarterly KPI in the bundled data")


def test_forecast_result_draws_itself(store_root: Path) -> None:
    one = kpi.kpi(KPI)
    fc = kpi.forecast_kpi(KPI, horizon=3)
    fig = fc.plot(one.quarterly().dropna(), title=one.title, unit=one.unit)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    observed, forecast = ax.lines[0], ax.lines[1]
    assert len(observed.get_xdata()) == len(one.quarterly().dropna())
    assert list(forecast.get_ydata()) == list(fc.mean.values)
    assert plt.get_fignums() == []  # not registered with pyplot


def test_a_series_holds_one_basis_and_says_which(store_root: Path) -> None:
    """A KPI printed on several bases (a rolling year, then one quarter's days) gives one basis
    at a time: the latest figure's by default, another on request, never the two joined."""
    mixed = kpi.sql(
        "select kpi_id, count(distinct basis) n from current group by 1 having n > 1 order by 1"
    )["kpi_id"]
    assert len(mixed) >= 3
    for kpi_id in mixed:
        rows = kpi.sql(
            f"select basis, period_end from current where kpi_id = '{kpi_id}' "
            "order by period_end nulls first, report_period"
        )
        s = kpi.series(kpi_id)
        assert s.attrs["basis"] == rows["basis"].iloc[-1]
        counts = rows["basis"].value_counts()
        assert len(s.attrs["labels"]) == int(counts[s.attrs["basis"]])
        assert s.attrs["left_out"] == {
            b: int(n) for b, n in counts.items() if b != s.attrs["basis"]
        }
        other = next(b for b in counts.index if b != s.attrs["basis"])
        t = kpi.series(kpi_id, basis=other)
        assert t.attrs["basis"] == other and len(t.attrs["labels"]) == int(counts[other])
    try:
        kpi.series(mixed.iloc[0], basis="fortnight")
    except Exception as exc:  # a typed one-line error, naming the bases there are
        assert type(exc).__name__ == "UsageError" and "has no figures on the basis" in str(exc)
    else:
        raise AssertionError("an unknown basis was accepted")
