"""The forecast fan chart: one drawing for the deep dive, the report and `ForecastResult.plot()`.

In the analysis stage (not report/) so a forecast result can draw itself; a Figure built
without pyplot, so it never becomes the current figure.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

FAN = "#90caf9"
LINE = "#455a64"


def axis_label(unit: str) -> str:
    """A y-axis label from a KPI's unit: "%" reads "per cent (%)"; no unit says so."""
    u = (unit or "").strip()
    return {"%": "per cent (%)", "£": "pounds (£)", "": "value (no unit recorded)"}.get(u, u)


def forecast_fan(history: pd.Series | None, result, title: str = "", unit: str = "") -> Figure:
    """History (when given), forecast mean, 80% and 95% intervals, and the result's target.

    `history` and `result.mean` are indexed by pandas Periods. A matplotlib Figure, never
    pyplot's current one (see kpi_lib.report.plots).
    """
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    if history is not None and len(history):
        x_hist = history.index.to_timestamp(how="end")
        ax.plot(x_hist, history.values, color=LINE, marker="o", label="observed")
    x_f = result.mean.index.to_timestamp(how="end")
    ax.fill_between(x_f, result.lower95, result.upper95, color=FAN, alpha=0.4, label="95% range")
    ax.fill_between(x_f, result.lower, result.upper, color="#42a5f5", alpha=0.5, label="80% range")
    label = "forecast: " + result.model
    label += " (insufficient history)" if result.insufficient_history else ""
    ax.plot(x_f, result.mean.values, color="#0d47a1", marker="o", ls=":", label=label)
    if result.target is not None:
        ax.axhline(result.target, color="black", ls="--", lw=1, label="target")
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=10)
    ax.set_xlabel("period end")
    ax.set_ylabel(axis_label(unit))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
