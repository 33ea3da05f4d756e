"""KPI workbook: one-line access for analysts in JupyterLab.

    import kpi_lib as kpi
    kpi.sql("select * from current limit 5")
    kpi.series("sickness-absence-days-per-fte")
    kpi.plot_kpi("sickness-absence-days-per-fte")
    kpi.forecast_kpi("sickness-absence-days-per-fte").summary()
    kpi.kpi("sickness-absence-days-per-fte").rag_history()

Heavy modules are imported on first use so `import kpi_lib` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["forecast_kpi", "history", "kpi", "plot_kpi", "series", "sql", "table"]


def sql(query: str) -> pd.DataFrame:
    """Run DuckDB SQL over the store's tables (observations, reports, commentary, current)."""
    from kpi_lib.store import sql as _sql

    return _sql(query)


def table(name: str) -> pd.DataFrame:
    """One of the store's tables as a DataFrame: observations, reports or commentary."""
    from kpi_lib.store import load

    return load(name)


def series(kpi_id: str, current_only: bool = True, basis: str | None = None) -> pd.Series:
    """A KPI's values on one basis, indexed by time: `kpi(kpi_id).series(...)` (see Kpi.series)."""
    return kpi(kpi_id).series(current_only=current_only, basis=basis)


def kpi(kpi_id: str) -> Any:
    """One KPI over a fresh read of the store: .series(), .history(), .targets(),
    .rag_history(), .trend(), .forecast(), .commentary() (a kpi_lib.analysis.kpi.Kpi)."""
    from kpi_lib.analysis.kpi import Kpi
    from kpi_lib.store.snapshot import Store

    return Kpi(Store.load(), kpi_id)


def history(kpi_id: str) -> pd.DataFrame:
    """A KPI's current points with target, RAG and the source of each."""
    return kpi(kpi_id).history()


def plot_kpi(kpi_id: str) -> Any:
    """A KPI's history coloured by reported RAG, against its numeric target."""
    from kpi_lib.report.plots import kpi_history

    one = kpi(kpi_id)  # raises for an unknown id
    return kpi_history(one.history(), title=one.title, unit=one.unit)


def forecast_kpi(kpi_id: str, horizon: int | None = None) -> Any:
    """The backtested forecast of a KPI's quarterly series (a ForecastResult, or None)."""
    from kpi_lib.analysis.defaults import FORECAST_HORIZON

    return kpi(kpi_id).forecast_or_none(FORECAST_HORIZON if horizon is None else horizon)
