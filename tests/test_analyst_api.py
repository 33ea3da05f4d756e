"""`import kpi_lib` gives analysts one-line access to the store, a series, a plot, a forecast."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure

import kpi_lib as kpi

KPI = "care-home-admissions-65-plus"


def test_one_line_access(store_root: Path) -> None:
    via_sql = kpi.sql(
        f"select period, value from current where kpi_id = '{KPI}' order by period_start"
    )
    s = kpi.series(KPI)
    assert s.tolist() == via_sql["value"].tolist()
    assert list(s.index) == via_sql["period"].tolist()
    assert len(kpi.table("observations")) == kpi.sql("select count(*) n from observations")["n"][0]

    h = kpi.history(KPI)
    assert {"source_file", "source_line", "target_value"} <= set(h.columns)
    fig = kpi.plot_kpi(KPI)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].lines[0].get_xdata()) == len(h)

    fc = kpi.forecast_kpi(KPI, horizon=3)
    assert len(fc.mean) == len(fc.lower) == len(fc.upper) == 3
    assert "Forecast" in fc.summary()
