"""The tables behind the KPI deep-dive notebook: every point with its source, targets, RAG
history, trend, forecast and commentary over time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from kpi_lib import store
from kpi_lib.errors import UsageError


@dataclass
class DeepDive:
    kpi_id: str
    title: str
    unit: str
    polarity: str
    sources: pd.DataFrame  # every version of every point, with provenance and revision marks
    history: pd.DataFrame  # current points only (for the chart)
    targets: pd.DataFrame  # target text per report, parsed rule
    rag_history: pd.DataFrame  # reported vs recomputed per current point
    trend: pd.DataFrame  # one-row table
    forecast: Any  # kpi_lib.analysis.forecast.ForecastResult | None
    quarterly: pd.Series  # the quarterly series the forecast was fitted to
    commentary: pd.DataFrame

    def forecast_table(self) -> pd.DataFrame:
        """The forecast with financial-year labels, one row per future quarter."""
        from kpi_lib.analysis.forecast import period_to_fiscal

        if self.forecast is None:
            return pd.DataFrame()
        df = self.forecast.frame()
        df.insert(0, "period", [period_to_fiscal(p) for p in df.index])
        return df.reset_index(drop=True)


def build(kpi_id: str, forecast_horizon: int = 4, tolerance: float = 0.05) -> DeepDive:
    from kpi_lib.analysis.forecast import series_to_quarterly
    from kpi_lib.analysis.rag import evaluate
    from kpi_lib.analysis.targets import parse_target
    from kpi_lib.analysis.trends import trend
    from kpi_lib.report.quarterly import history, kpi_forecast

    obs = store.load("observations")
    rows = obs[obs["kpi_id"] == kpi_id]
    if rows.empty:
        raise UsageError(f"unknown KPI id '{kpi_id}': not in the store")
    rows = rows.sort_values(["period_end", "period", "report_period"], kind="stable")
    latest = rows.iloc[-1]
    polarity = latest["polarity"] or ""

    sources = rows[
        [
            "period",
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

    targets = rows.drop_duplicates(["report_period", "target_text"])[
        ["report_period", "target_text", "polarity"]
    ].copy()
    pairs = zip(targets["target_text"], targets["polarity"], strict=True)
    rules = [parse_target(t, p) for t, p in pairs]
    targets["rule"] = [r.describe() or r.reason for r in rules]
    targets = targets.reset_index(drop=True)

    cur = rows[rows["is_current"]]
    computed = []
    for _, r in cur.iterrows():
        ev = evaluate(
            parse_target(r["target_text"], r["polarity"]),
            r["value"],
            r["polarity"],
            tolerance,
            period=r["period"],
        )
        computed.append((r["period"], r["rag"], ev.status, ev.reason))
    rag_history = pd.DataFrame(
        computed, columns=["period", "reported_rag", "computed_rag", "reason"]
    )

    series = store.series(kpi_id)
    t = trend(series, polarity=polarity if polarity in ("High", "Low") else "High")
    trend_df = pd.DataFrame([vars(t)])

    com = store.load("commentary")
    com = com[com["kpi_id"] == kpi_id].sort_values(["report_period", "source_line"])
    return DeepDive(
        kpi_id=kpi_id,
        title=str(latest["metric_name"]),
        unit=str(latest["unit"] or ""),
        polarity=polarity,
        sources=sources,
        history=history(kpi_id, obs),
        targets=targets,
        rag_history=rag_history,
        trend=trend_df,
        forecast=kpi_forecast(kpi_id, forecast_horizon),
        quarterly=series_to_quarterly(series).dropna(),
        commentary=com[["report_period", "kind", "text", "source_file", "source_line"]].reset_index(
            drop=True
        ),
    )
