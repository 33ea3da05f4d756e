"""Charts with one RAG palette, labelled axes and units; each returns its Figure.

Figures are built with `matplotlib.figure.Figure`, not pyplot: they never become pyplot's
current figure (a following `series.plot()` draws on its own axes), notebooks show them only
when asked, and nothing accumulates across a report's many charts.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from kpi_lib.analysis.fan import FAN, axis_label, forecast_fan

__all__ = [
    "forecast_fan",
    "kpi_history",
    "off_track_panel",
    "off_track_panels",
    "rag_by_section",
    "small_multiples",
]

RAG_COLOURS = {"Green": "#2e7d32", "Amber": "#f9a825", "Red": "#c62828", "Unrated": "#9e9e9e"}
RAG_ORDER = ["Green", "Amber", "Red", "Unrated"]
MIN_POINTS = 3  # fewer points than this make a dot, not a history: listed, not plotted
LINE = "#455a64"
OTHER_BASIS = "#9e9e9e"  # the line of figures on an earlier basis


def _status(rag: pd.Series) -> pd.Series:
    """A RAG column as charts label it: an empty status is drawn as Unrated."""
    return rag.fillna("").replace("", "Unrated")


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook")


def rag_legend_handles(with_target: bool = True, with_forecast: bool = False) -> list:
    """The one RAG legend every chart carries (colour is never the only cue: words too)."""
    handles: list = [
        Line2D([], [], marker="o", ls="", color=RAG_COLOURS[s], label=s) for s in RAG_ORDER
    ]
    if with_target:
        handles.append(Line2D([], [], color="black", ls="--", lw=1, label="target"))
    if with_forecast:
        handles.append(Line2D([], [], color="#0d47a1", ls=":", lw=1.5, label="forecast"))
        handles.append(Patch(color=FAN, alpha=0.6, label="80% forecast range"))
    return handles


def rag_by_section(obs: pd.DataFrame) -> Figure:
    """Stacked counts of reported RAG per section, for one report period."""
    _style()
    df = obs.assign(status=_status(obs["rag"]))
    counts = (
        df.groupby(["section", "status"]).size().unstack(fill_value=0).reindex(columns=RAG_ORDER)
    )
    counts = counts.fillna(0).sort_index(ascending=False)
    fig = Figure(figsize=(7, 0.55 * max(1, len(counts)) + 1.6))
    ax = fig.add_subplot()
    left = pd.Series(0.0, index=counts.index)
    labels = ["\n".join(textwrap.wrap(str(s), 34)) for s in counts.index]
    for status in RAG_ORDER:
        ax.barh(labels, counts[status], left=left, color=RAG_COLOURS[status], label=status)
        left += counts[status]
    ax.set_xlabel("number of KPI rows")
    ax.set_title("Reported RAG status by corporate priority")
    ax.legend(title="RAG status", loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


GAP_DAYS = 200  # points further apart than this are not joined: a missing year shows as a gap


def _fy(x: pd.Timestamp) -> int:
    """The financial year (by its first calendar year) a date falls in."""
    return x.year if x.month >= 4 else x.year - 1


def _with_gaps(x: pd.Series, y: pd.Series, by_year: bool = False) -> tuple[list, list]:
    """The line's points with a break (NaN) wherever consecutive points are far apart, and,
    `by_year`, between financial years (a running total starts again each April)."""
    xs, ys, prev = [], [], None
    for xi, yi in zip(x, y, strict=True):
        apart = prev is not None and pd.notna(xi)
        if apart and ((xi - prev).days > GAP_DAYS or (by_year and _fy(xi) != _fy(prev))):
            xs.append(prev + (xi - prev) / 2)
            ys.append(float("nan"))
        xs.append(xi)
        ys.append(yi)
        prev = xi if pd.notna(xi) else prev
    return xs, ys


def _basis_lines(ax: Axes, h: pd.DataFrame) -> None:
    """One line per basis: 3.05 days in a quarter is not a fall from 13.86 over 12 months, so
    figures on different bases are never joined. The latest basis is the solid line, an earlier
    one dashed grey; where there are several, each is named at its last point."""
    bases = h["basis"].fillna("").astype(str) if "basis" in h else pd.Series("", index=h.index)
    latest = bases.iloc[-1] if len(bases) else ""
    several = bases.nunique() > 1
    for basis in dict.fromkeys(bases):
        part = h[bases == basis]
        x, y = _with_gaps(part["period_end"], part["value"], by_year=basis == "year to date")
        if basis == latest:
            ax.plot(x, y, color=LINE, lw=1.2, zorder=1)
        else:
            ax.plot(x, y, color=OTHER_BASIS, lw=1.0, ls="--", zorder=1)
        if not several:
            continue
        ax.annotate(
            {"quarter": "one quarter"}.get(basis, basis or "basis unknown"),
            (part["period_end"].iloc[-1], part["value"].iloc[-1]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=6.5,
            color="#616161",
        )


def _target_runs(ax: Axes, h: pd.DataFrame) -> None:
    """The printed target as a dashed level over each run of points that share it, a little
    either side of the run's ends: never carried across a gap or onto points it does not
    apply to (an annual target beside one quarter's figures)."""
    pad = pd.Timedelta(days=45)
    run: list[tuple[pd.Timestamp, float]] = []

    def draw() -> None:
        if run:
            ax.hlines(run[0][1], run[0][0] - pad, run[-1][0] + pad, colors="black", lw=1,
                      linestyles="--", zorder=2)  # fmt: skip

    for x, t in zip(h["period_end"], pd.to_numeric(h["target_value"]), strict=True):
        joined = run and pd.notna(t) and t == run[-1][1] and (x - run[-1][0]).days <= GAP_DAYS
        if not joined:
            draw()
            run = []
        if pd.notna(t):
            run.append((x, float(t)))
    draw()


def _tick(v: float, _pos: object) -> str:
    """Axis figures with separators, never matplotlib's 1e6 offset."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"


def _history_axes(ax: Axes, h: pd.DataFrame, unit: str, target: float | None) -> None:
    # a point whose period has no dates cannot be placed on a time axis (it stays in the tables)
    h = h[h["period_end"].notna()]
    h = h.assign(status=_status(h["rag"])).sort_values("period_end", kind="stable")
    _basis_lines(ax, h)
    for status in RAG_ORDER:
        pts = h[h["status"] == status]
        if not pts.empty:
            ax.scatter(pts["period_end"], pts["value"], color=RAG_COLOURS[status], s=30, zorder=3)
    if "target_value" in h and h["target_value"].notna().any():
        _target_runs(ax, h)
    elif target is not None:
        ax.axhline(target, color="black", ls="--", lw=1)
    ax.set_ylabel(axis_label(unit))
    if len(h):
        first, last = h["period_end"].min(), h["period_end"].max()
        if (last - first).days < 180:  # one or two points: months as ticks, each named once
            mid = first + (last - first) / 2
            ax.set_xlim(mid - pd.Timedelta(days=120), mid + pd.Timedelta(days=120))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)


def kpi_history(
    history: pd.DataFrame, title: str = "", unit: str = "", ax: Axes | None = None
) -> Figure:
    """One KPI's values over time, points coloured by reported RAG, target dashed.

    `history` needs columns period_end, value, rag (and optional target_value); points sit
    at the end of their period so a rolling year lines up with the quarter it ends in.
    """
    _style()
    own = ax is None
    if ax is None:
        fig = Figure(figsize=(7, 3.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _history_axes(ax, history, unit, None)
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
    ax.set_xlabel("period end")
    if own:
        ax.legend(handles=rag_legend_handles(), fontsize=7)
        fig.tight_layout()
    return fig


def _panel(ax: Axes, p: dict) -> bool:
    """One off-track KPI on `ax`: history by RAG, target, forecast fan; True if it has one."""
    _history_axes(ax, p["history"], p.get("unit", ""), p.get("target"))
    fc = p.get("forecast")
    if fc is None:
        return False
    x = fc.mean.index.to_timestamp(how="end").normalize()
    ax.fill_between(x, fc.lower, fc.upper, color=FAN, alpha=0.6, lw=0)
    ax.plot(x, fc.mean.values, color="#0d47a1", ls=":", lw=1.5)
    if fc.target is not None and not (
        "target_value" in p["history"] and p["history"]["target_value"].notna().any()
    ):
        ax.axhline(fc.target, color="black", ls="--", lw=1)
    return True


def off_track_panel(p: dict, width: float = 6.0, height: float = 3.6) -> Figure:
    """One off-track KPI as its own chart (a page lays these out two to a row on a screen and
    one to a row on a phone, where a grid drawn as one image would shrink to a thumbnail)."""
    _style()
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    any_fc = _panel(ax, p)
    ax.set_title("\n".join(textwrap.wrap(p["title"], 60)[:2]), fontsize=10)
    ax.tick_params(axis="both", labelsize=8.5)
    ax.yaxis.label.set_size(9.5)
    fig.legend(
        handles=rag_legend_handles(with_forecast=any_fc),
        loc="lower center",
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    # fixed margins (tight_layout measures every label, for no visible gain)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.36 if any_fc else 0.3, top=0.85)
    return fig


def off_track_panels(
    panels: list[dict], cols: int = 2, width: float = 11.0, height: float = 2.9
) -> Figure:
    """Off-track KPIs, one panel each: history by RAG, target, and the forecast fan (80%)
    where one exists. Each panel dict: title, unit, history, target, forecast (or None)."""
    _style()
    n = max(1, len(panels))
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(width, height * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False)
    any_fc = False
    for ax, p in zip(axes.flat, panels, strict=False):
        any_fc = _panel(ax, p) or any_fc
        ax.set_title("\n".join(textwrap.wrap(p["title"], 55)[:2]), fontsize=8.5)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    total = height * rows + 0.6
    fig.legend(
        handles=rag_legend_handles(with_forecast=any_fc),
        loc="upper center",
        ncol=7,
        fontsize=8,
        frameon=False,
    )
    # fixed margins: tight_layout measures every tick label of every panel, which cost
    # seconds on a grid this size for no visible gain
    fig.subplots_adjust(
        left=0.08, right=0.98, bottom=0.9 / total, top=1 - 0.95 / total, hspace=0.9, wspace=0.25
    )
    return fig


def small_multiples(histories: dict[str, pd.DataFrame], units: dict[str, str], cols: int = 3):
    """A grid of KPI histories (one panel per KPI), no forecasts."""
    panels = [
        {"title": k, "unit": units.get(k, ""), "history": h, "target": None, "forecast": None}
        for k, h in sorted(histories.items())
    ]
    return off_track_panels(panels, cols=cols)
