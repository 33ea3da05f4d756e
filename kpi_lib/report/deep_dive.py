"""The tables behind the KPI deep-dive notebook: every point with its source, targets, RAG
history, trend, forecast and commentary over time."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.defaults import AMBER_TOLERANCE, FORECAST_HORIZON
from kpi_lib.analysis.forecast import ForecastResult
from kpi_lib.analysis.kpi import Kpi
from kpi_lib.periods import period_to_fiscal
from kpi_lib.store.snapshot import Store


@dataclass
class DeepDive:
    kpi_id: str
    title: str
    unit: str
    polarity: str
    # every version of every point, with provenance and revision marks; earlier figures the
    # commentary restates are rows of their report too (reader "prose")
    sources: pd.DataFrame
    history: pd.DataFrame  # current points only (for the chart)
    targets: pd.DataFrame  # target text per report, parsed rule
    rag_history: pd.DataFrame  # reported vs recomputed per current point
    trend: pd.DataFrame  # one-row table
    forecast: ForecastResult | None
    quarterly: pd.Series  # the quarterly series the forecast was fitted to
    commentary: pd.DataFrame
    forecast_note: str = ""  # why there is no forecast, when there is none

    def forecast_table(self) -> pd.DataFrame:
        """The forecast with financial-year labels, one row per future quarter."""
        if self.forecast is None:
            return pd.DataFrame()
        df = self.forecast.frame()
        df.insert(0, "period", [period_to_fiscal(p) for p in df.index])
        return df.reset_index(drop=True)


def build(
    kpi_id: str,
    forecast_horizon: int = FORECAST_HORIZON,
    amber_tolerance: float = AMBER_TOLERANCE,
    snapshot: Store | None = None,
) -> DeepDive:
    """Everything the deep-dive notebook shows for one KPI, from one read of the store and the
    catalogue; RAG is judged by the same function as `kpi rag` and the quarterly report."""
    kpi = Kpi(Store.load() if snapshot is None else snapshot, kpi_id)
    sources = kpi.rows_restated()[
        [
            "period",
            "basis",
            "value",
            "value_text",
            "rag",
            "is_current",
            "revision_of_value",
            "report_period",
            "source_file",
            "source_page",
            "source_line",
            "reader",
        ]
    ].reset_index(drop=True)
    com = kpi.commentary()
    history = kpi.history()
    quarterly = kpi.quarterly().dropna()
    fc, note = kpi.forecast_or_none(forecast_horizon), ""
    if fc is None:
        note = kpi.why_no_forecast()
    elif len(quarterly) and history["period_end"].notna().any():
        ends = quarterly.index[-1].end_time.normalize()
        latest = history.loc[history["period_end"].idxmax()]
        if latest["period_end"] > ends:
            fc = None
            last = period_to_fiscal(quarterly.index[-1])
            note = (
                f"No forecast: the quarterly series ends in {last}, before the latest figure "
                f"({latest['period']}, {latest['basis']}), which does not continue it."
            )
    return DeepDive(
        kpi_id=kpi_id,
        title=kpi.title,
        unit=kpi.unit,
        polarity=kpi.polarity,
        sources=sources,
        history=history,
        targets=kpi.targets(),
        rag_history=kpi.rag_history(amber_tolerance),
        trend=pd.DataFrame([vars(kpi.trend())]),
        forecast=fc,
        quarterly=quarterly,
        commentary=com[["report_period", "kind", "text", "source_file", "source_line"]].reset_index(
            drop=True
        ),
        forecast_note=note,
    )
