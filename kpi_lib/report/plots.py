"""Seaborn charts with one RAG palette, labelled axes and units; each returns its Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

RAG_COLOURS = {"Green": "#2e7d32", "Amber": "#f9a825", "Red": "#c62828", "Unrated": "#9e9e9e"}
RAG_ORDER = ["Green", "Amber", "Red", "Unrated"]


def _status(rag: pd.Series) -> pd.Series:
    """A RAG column as charts label it: an empty status is drawn as Unrated."""
    return rag.fillna("").replace("", "Unrated")


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams["svg.hashsalt"] = "kpi"  # stable ids if anyone saves SVG


def rag_by_section(obs: pd.DataFrame) -> plt.Figure:
    """Stacked counts of reported RAG per section, for one report period."""
    _style()
    df = obs.assign(status=_status(obs["rag"]))
    df = df.sort_values("section")
    fig, ax = plt.subplots(figsize=(8, 0.6 * max(1, df["section"].nunique()) + 1.5))
    sns.histplot(
        data=df,
        y="section",
        hue="status",
        hue_order=RAG_ORDER,
        palette=RAG_COLOURS,
        multiple="stack",
        discrete=True,
        shrink=0.8,
        ax=ax,
        alpha=1,
    )
    ax.set_xlabel("number of KPIs")
    ax.set_ylabel("section")
    ax.set_title("Reported RAG status by section")
    fig.tight_layout()
    return fig


def kpi_history(
    history: pd.DataFrame, title: str = "", unit: str = "", ax: plt.Axes | None = None
) -> plt.Figure:
    """One KPI's values over time, points coloured by reported RAG, target as text labels.

    `history` needs columns period_end, value, rag (and optional target_value); points sit
    at the end of their period so a rolling year lines up with the quarter it ends in.
    """
    _style()
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7, 3.5))
    else:
        fig = ax.figure
    h = history.assign(status=_status(history["rag"]))
    h = h.sort_values("period_end", kind="stable")
    # estimator=None: periods sharing an end date (a month and its quarter) are drawn as
    # printed, not averaged under a bootstrapped band that differs from run to run
    sns.lineplot(
        data=h,
        x="period_end",
        y="value",
        estimator=None,
        errorbar=None,
        color="#455a64",
        lw=1.2,
        ax=ax,
        zorder=1,
    )
    sns.scatterplot(
        data=h,
        x="period_end",
        y="value",
        hue="status",
        hue_order=[s for s in RAG_ORDER if s in set(h["status"])],
        palette=RAG_COLOURS,
        s=40,
        zorder=2,
        ax=ax,
        legend=own,
    )
    if "target_value" in h and h["target_value"].notna().any():
        ax.step(
            h["period_end"],
            h["target_value"],
            where="mid",
            color="black",
            ls="--",
            lw=1,
            label="target",
        )
    ax.set_title(title[:70], fontsize=9)
    ax.set_xlabel("period")
    ax.set_ylabel(unit or "value")
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    if own:
        ax.legend(fontsize=7)
        fig.tight_layout()
    return fig


def small_multiples(histories: dict[str, pd.DataFrame], units: dict[str, str], cols: int = 3):
    """A grid of KPI histories (one panel per KPI)."""
    _style()
    n = max(1, len(histories))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, (kpi, hist) in zip(axes.flat, sorted(histories.items()), strict=False):
        kpi_history(hist, title=kpi, unit=units.get(kpi, ""), ax=ax)
    for ax in list(axes.flat)[len(histories) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def forecast_fan(history: pd.Series, result, title: str = "", unit: str = "") -> plt.Figure:
    """History, forecast mean, 80% and 95% intervals, and the result's target if any.

    `history` and `result.mean` are indexed by pandas Periods.
    """
    _style()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x_hist = history.index.to_timestamp(how="end")
    sns.lineplot(x=x_hist, y=history.values, color="#455a64", marker="o", label="observed", ax=ax)
    x_f = result.mean.index.to_timestamp(how="end")
    ax.fill_between(x_f, result.lower95, result.upper95, color="#90caf9", alpha=0.4, label="95%")
    ax.fill_between(x_f, result.lower, result.upper, color="#42a5f5", alpha=0.5, label="80%")
    label = result.model + (" (insufficient history)" if result.insufficient_history else "")
    sns.lineplot(x=x_f, y=result.mean.values, color="#0d47a1", marker="o", label=label, ax=ax)
    if result.target is not None:
        ax.axhline(result.target, color="black", ls="--", lw=1, label="target")
    ax.set_title(title[:80], fontsize=10)
    ax.set_xlabel("period")
    ax.set_ylabel(unit or "value")
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
