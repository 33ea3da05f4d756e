"""The KPI deep dive as a page: title with the KPI and the date of its latest figure, then
history, sources, targets, RAG, trend, forecast and commentary, formatted by `present`."""

from __future__ import annotations

import pandas as pd

from kpi_lib.report import present as pr
from kpi_lib.report import statements as stm
from kpi_lib.report.build_cache import cached
from kpi_lib.report.deep_dive import DeepDive, build
from kpi_lib.report.outputs import save_all, show_figure
from kpi_lib.report.paper import Html, esc, long_date, section
from kpi_lib.report.plots import forecast_fan, kpi_history


def build_cached(kpi_id: str, forecast_horizon: int) -> DeepDive:
    """`deep_dive.build` through the report cache (see `build_cache`)."""
    params = {"kpi_id": kpi_id, "forecast_horizon": forecast_horizon}
    return cached("deep-dive", params, lambda: build(kpi_id, forecast_horizon))


POLARITY_WORDS = {"High": "a higher value is better", "Low": "a lower value is better"}


def save_tables(d: DeepDive, st: pd.DataFrame, output_dir: str) -> None:
    """The result tables at full precision under tables/ (what an audit compares)."""
    tables = {
        "sources": d.sources,
        "targets": d.targets,
        "rag_history": d.rag_history,
        "trend": d.trend,
        "commentary": d.commentary,
        "statements": st,
    }
    if d.forecast is not None:
        tables |= {"forecast": d.forecast_table(), "backtest": d.forecast.backtest}
    save_all(tables, output_dir)


def statements(d: DeepDive) -> pd.DataFrame:
    """Every derived statement of this page with its evidence (report.statements)."""
    return stm.build_dive(d, _decimals(d))


def _said(st: pd.DataFrame, family: str) -> pd.Series | None:
    got = stm.shown(st, family)
    got = got[got["key"] == family]
    return None if got.empty else got.iloc[0]


def _p(row: pd.Series) -> Html:
    return Html(f'<p data-statement="{esc(row["statement_id"])}">{esc(row["text"])}</p>')


def _decimals(d: DeepDive) -> int:
    """As the council printed the latest figure; none where every figure is whole."""
    rows = d.sources.assign(kpi_id=d.kpi_id)
    return pr.printed_decimals(rows).get(d.kpi_id, 1) if len(rows) else 1


def title_block(d: DeepDive) -> Html:
    ends = d.history["period_end"].dropna()
    latest = long_date(ends.max()) if len(ends) else ""
    title = f"KPI deep dive: {d.title}" + (f", data to {latest}" if latest else "")
    bits = [f"KPI id: <code>{esc(d.kpi_id)}</code>"]
    if d.unit:
        bits.append(f"Unit: {esc(d.unit)}")
    if d.polarity:
        bits.append(f"Good is {esc(d.polarity.lower())} ({POLARITY_WORDS.get(d.polarity, '')})")
    return Html(f'<h1>{esc(title)}</h1>\n<p class="subtitle">{" · ".join(bits)}</p>')


def history(d: DeepDive, output_dir: str) -> Html:
    h = d.history[d.history["value"].notna()]
    dec = _decimals(d)
    if h.empty:
        return section("History", "No numeric values recorded.")
    fig = kpi_history(d.history, title=d.title, unit=d.unit)
    last = h.iloc[-1]
    alt = (
        f"Line chart of {d.title} over time: {len(h)} points from "
        f"{pr.quarter(h.iloc[0]['period'])} "
        f"({pr.number(h.iloc[0]['value'], dec, d.unit)}) to {pr.quarter(last['period'])} "
        f"({pr.number(last['value'], dec, d.unit)}), points coloured by reported RAG status"
    )
    if h["target_value"].notna().any():
        alt += f", target {pr.number(h['target_value'].dropna().iloc[-1], dec, d.unit)} dashed"
    return section("History", show_figure(fig, "history", output_dir, alt + "."))


def sources(d: DeepDive) -> Html:
    dec = _decimals(d)
    cols = [
        pr.col("period", "Period", pr.quarter, nowrap=True),
        pr.col("basis", "Covers", _covers),
        pr.col("value", f"Value{_unit(d)}", lambda x: pr.number(x, dec, d.unit), numeric=True),
        pr.col("rag", "Reported RAG"),
        pr.col("is_current", "Current figure", pr.flag),
        pr.col(
            "revision_of_value",
            "Replaces",
            lambda x: pr.number(x, dec, d.unit),
            numeric=True,
        ),
        pr.col("report_period", "Report", nowrap=True),
        pr.Col("Source", _where, wide=True, path=True),
    ]
    intro = (
        "Revisions (the same period restated by a later report) are kept; the latest is current."
    )
    return section("Every point and its source", intro, pr.table(d.sources, cols))


def _covers(basis: object) -> str:
    """A figure's basis in words: what span of time it counts."""
    b = pr.text(basis)
    return {"quarter": "one quarter", "unknown": "not known"}.get(b, b)


def _unit(d: DeepDive) -> str:
    u = pr.unit_word(d.unit) or (d.unit if d.unit in ("%", "£") else "")
    return f" ({u})" if u else ""


def _where(r: pd.Series) -> str:
    f = pr.text(r.get("source_file")).removeprefix("data/raw/")
    page = "" if pr.is_missing(r.get("source_page")) else f", page {int(r['source_page'])}"
    line = "" if pr.is_missing(r.get("source_line")) else f", line {int(r['source_line'])}"
    return f"{f}{page}{line}"


def targets(d: DeepDive) -> Html:
    cols = [
        pr.col("report_period", "Report", nowrap=True),
        pr.col("target_text", "Target as printed"),
        pr.col("rule", "Read as"),
    ]
    return section("Targets over time", pr.table(d.targets, cols))


def rag(d: DeepDive, st: pd.DataFrame) -> Html:
    cols = [
        pr.col("period", "Period", pr.quarter, nowrap=True),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
        pr.col("reason", "Why", wide=True),
    ]
    said = stm.ids(st, "status")
    rows = d.rag_history.assign(
        statement_id=[said.get((d.kpi_id, str(p)), "") for p in d.rag_history["period"]]
    )
    # a recomputed status without its evidence is not shown
    rows["computed_rag"] = rows["computed_rag"].where(rows["statement_id"] != "", "")
    rows["reason"] = rows["reason"].where(rows["statement_id"] != "", "")
    t = pr.table(rows, cols, ids="statement_id")
    return section("RAG history: reported and recomputed", t)


def trend(d: DeepDive, st: pd.DataFrame) -> Html:
    said = _said(st, "trend")
    if said is None:
        return section("Trend", "No trend: too few comparable points.")
    return section("Trend", _p(said))


def forecast(d: DeepDive, output_dir: str, st: pd.DataFrame) -> Html:
    fc = d.forecast
    said = _said(st, "forecast")
    if fc is None or said is None:
        return section("Forecast", d.forecast_note or "No quarterly series to forecast.")
    dec = _decimals(d)
    table = d.forecast_table()
    num = lambda x: pr.number(x, dec, d.unit)  # noqa: E731
    cols = [
        pr.col("period", "Quarter", nowrap=True),
        pr.col("mean", f"Forecast{_unit(d)}", num, numeric=True),
        pr.Col("80% range", lambda r: f"{num(r['lower'])} to {num(r['upper'])}", numeric=True),
        pr.Col("95% range", lambda r: f"{num(r['lower95'])} to {num(r['upper95'])}", numeric=True),
    ]
    model = stm.dive_method(fc)
    fig = forecast_fan(d.quarterly, fc, title=d.title, unit=d.unit)
    last = table.iloc[-1]
    alt = (
        f"Forecast chart for {d.title}: the observed quarterly values and a {len(table)}-quarter "
        f"forecast ({model}) reaching {num(last['mean'])} in {last['period']}, 80% range "
        f"{num(last['lower'])} to {num(last['upper'])}"
        + (f", target {num(fc.target)} dashed." if fc.target is not None else ".")
    )
    bt = fc.backtest
    parts: list[object] = [
        _p(said),
        pr.table(table, cols),
        show_figure(fig, "forecast", output_dir, alt),
    ]
    if bt is not None and not bt.empty:
        bcols = [
            pr.col("model", "Model"),
            pr.col("mase", "MASE (lower is better)", lambda x: pr.number(x, 2), numeric=True),
        ]
        parts.append(section("Backtest", pr.table(bt, bcols), level=3))
    return section("Forecast", *parts)


def commentary(d: DeepDive, st: pd.DataFrame) -> Html:
    blocks = stm.shown(st, "commentary")
    if blocks.empty:
        return section("Commentary over time", "No commentary recorded.")
    parts = []
    for rp, grp in blocks.groupby("periods", sort=True):
        items = "".join(
            f'<li data-statement="{esc(r["statement_id"])}"><strong>{esc(r["verdict"])}:</strong> '
            f"{esc(r['text'])}</li>"
            for _, r in grp.iterrows()
        )
        parts.append(section(f"Report {rp}", Html(f"<ul>{items}</ul>"), level=3))
    return section("Commentary over time", *parts)
