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
    """A KPI's values on one basis, indexed by time, oldest first, so `s.plot()` puts them where
    they belong and never joins a year to date to a single quarter: by default the basis of the
    latest figure, `basis=` picks another ("quarter", "year to date", "rolling 12 months"...).
    `s.attrs["basis"]` says which; `s.attrs["left_out"]` counts the points on other bases.

    A quarterly PeriodIndex with every quarter present (a two-year gap shows as NaN, a gap in
    the line) when all its periods are financial-year quarters; otherwise the period ends
    (months, years and terms mixed cannot share a regular index). The printed labels are in
    `s.attrs["labels"]`; `kpi_lib.store.series` keeps the label index."""
    import pandas as pd

    from kpi_lib.errors import UsageError
    from kpi_lib.periods import fiscal_to_period
    from kpi_lib.store.snapshot import Store

    data = Store.load()
    rows = data.rows(kpi_id)
    rows = rows[rows["is_current"]] if current_only else rows
    bases = rows["basis"].fillna("").astype(str)
    if basis is None:
        dated = rows.assign(b=bases).sort_values(
            ["period_end", "report_period"], na_position="first"
        )
        basis = str(dated["b"].iloc[-1]) if len(dated) else ""
    if basis not in set(bases):
        raise UsageError(
            f"KPI '{kpi_id}' has no figures on the basis '{basis}': it has "
            + ", ".join(sorted(repr(b) for b in set(bases)))
        )
    left_out = bases[bases != basis].value_counts().to_dict()
    by_label = data.series(kpi_id, current_only=current_only, basis=basis)
    labels = [str(p) for p in by_label.index]
    quarters = [fiscal_to_period(p) for p in labels]
    if quarters and all(q is not None for q in quarters) and len(set(quarters)) == len(quarters):
        s = pd.Series(by_label.to_numpy(dtype=float), index=pd.PeriodIndex(quarters, freq="Q"))
        s = s.sort_index()
        s = s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="Q"))
    else:
        mine = rows[bases == basis].sort_values(
            ["period_end", "period_start", "period", "report_period", "source_line"],
            na_position="last",
            kind="stable",
        )
        if mine["period_end"].notna().all() and len(mine) == len(by_label):
            s = pd.Series(
                mine["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(mine["period_end"])
            )
        else:
            s = by_label.astype(float)
    s.name, s.index.name = kpi_id, "period"
    s.attrs["labels"] = labels
    s.attrs["basis"] = basis
    s.attrs["left_out"] = {str(k): int(v) for k, v in left_out.items()}
    return s


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
