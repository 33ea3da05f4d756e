"""The quarterly report as a paper a committee reads: a title with the council, the quarter and
the date of the latest data; an executive summary in words; sections by corporate priority;
tables formatted by `present`; charts with a RAG legend and alt texts.

Each function returns one section as HTML (its own <h2>); the notebook only shows them, and
the page wrapper (`publish.page_shell`) builds the contents list from those headings.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from kpi_lib.periods import parse_period, parse_report_period
from kpi_lib.report import present as pr
from kpi_lib.report import statements as stm
from kpi_lib.report.build_cache import cached
from kpi_lib.report.outputs import save_all, show_figure
from kpi_lib.report.plots import MIN_POINTS, off_track_panel, rag_by_section
from kpi_lib.report.quarterly import Quarterly, build
from kpi_lib.store.snapshot import Store
from kpi_lib.store.sources import load_sources

DEFAULT_COUNCIL = "The council"


def save_tables(q: Quarterly, st: pd.DataFrame, output_dir: str) -> None:
    """The result tables at full precision under tables/ (what an audit compares); the page
    shows them formatted."""
    tables = {
        "headline": q.headline,
        "movers": q.movers,
        "off_track": q.off_track,
        "rag_disagreements": q.disagreements,
        "claims_unchecked": q.claims,
        "commentary": q.commentary,
        "statements": st,
        "directors": q.directors,
    }
    save_all(tables, output_dir)


def with_kpi_rows(section_of: Callable[..., Html]) -> Callable[..., Html | None]:
    """A section about the quarter's KPI rows says nothing (no output at all) for a quarter
    that printed only its headline, so the notebook's cells need no condition."""

    @functools.wraps(section_of)
    def shown(q: Quarterly, *args: object, **kwargs: object) -> Html | None:
        return None if q.rows.empty else section_of(q, *args, **kwargs)

    return shown


@dataclass
class Html:
    """A fragment of the page (shown by Jupyter as HTML)."""

    body: str

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return re.sub(r"<[^>]+>", "", self.body)


def esc(x: object) -> str:
    return html.escape(str(x))


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")


def section(title: str, *parts: object, level: int = 2) -> Html:
    """A heading with a stable id (the contents list links to it) and its parts."""
    body = [f'<h{level} id="{slug(title)}">{esc(title)}</h{level}>']
    for p in parts:
        if p is None:
            continue
        body.append(p._repr_html_() if hasattr(p, "_repr_html_") else f"<p>{esc(p)}</p>")
    return Html("\n".join(body))


def long_date(d: object) -> str:
    if d is None or pd.isna(d):
        return ""
    return f"{pd.Timestamp(d).day} {pd.Timestamp(d):%B %Y}"


def build_quarterly(
    period: str,
    amber_tolerance: float,
    forecast_horizon: int,
    sections: list[str] | None,
    data: Store,
) -> Quarterly:
    """`quarterly.build` through the report cache (`build_cache`): a re-run of an unchanged
    quarter (an audit, a second `kpi report`) does not refit every forecast."""
    params = {
        "period": period,
        "amber_tolerance": amber_tolerance,
        "forecast_horizon": forecast_horizon,
        "sections": sorted(sections or []),
    }
    return cached(
        "quarterly",
        params,
        lambda: build(period, amber_tolerance, forecast_horizon, sections, snapshot=data),
    )


# --- what the paper is about -----------------------------------------------------------------
@dataclass
class Context:
    """Who published the report, for which quarter, with data up to when."""

    council: str
    period: str
    data_to: date | None
    report_title: str
    headline_only: bool
    units: dict[str, str]
    decimals: dict[str, int]


def context(q: Quarterly, data: Store) -> Context:
    reps = data.reports[data.reports["report_period"] == q.period]
    known = data.council is not None and data.council.name_known
    council, title = (data.council.name if known else DEFAULT_COUNCIL), ""  # type: ignore[union-attr]
    sources = load_sources()
    for f in reps["file"].astype(str):
        key = f.removeprefix("data/raw/")
        if key in sources and sources[key].publisher:
            council, title = sources[key].publisher, sources[key].title
    title = title or (str(reps["title"].iloc[0]) if len(reps) else "")
    # the latest period end a figure describes, never after the quarter reported on (an
    # academic year "2022/23" ends in August 2023 but was printed as the latest known)
    report_end = reps["report_period_end"].max() if len(reps) else None
    ends = q.rows["period_end"].dropna() if len(q.rows) else pd.Series(dtype="datetime64[ns]")
    if report_end is not None and not pd.isna(report_end):
        ends = ends[ends <= report_end]
    data_to = ends.max() if len(ends) else report_end
    obs = data.observations
    return Context(
        council=council,
        period=q.period,
        data_to=None if data_to is None or pd.isna(data_to) else pd.Timestamp(data_to).date(),
        report_title=title,
        headline_only=q.rows.empty,
        units={**dict(zip(obs["kpi_id"], obs["unit"].fillna(""), strict=True)), **q.units},
        decimals=pr.printed_decimals(obs),
    )


def page_title(c: Context) -> str:
    to = f", data to {long_date(c.data_to)}" if c.data_to else ""
    return f"{c.council}: Corporate Performance Report {c.period}{to}"


def title_block(c: Context) -> Html:
    sub = [f"Quarter: <strong>{esc(c.period)}</strong>"]
    if c.data_to:
        sub.append(f"Latest data: <strong>{esc(long_date(c.data_to))}</strong>")
    if c.report_title:
        sub.append(f"Source: {esc(c.report_title)}")
    note = (
        "<p>This quarter's report printed its headline only, without KPI tables: this short "
        "report gives that headline and what the earlier reports' figures say.</p>"
        if c.headline_only
        else ""
    )
    return Html(f'<h1>{esc(page_title(c))}</h1>\n<p class="subtitle">{" · ".join(sub)}</p>{note}')


# --- executive summary -----------------------------------------------------------------------
def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def said(row: pd.Series | None, tag: str = "span") -> str:
    """A statement's sentence as HTML, marked with its id (every derived sentence on the page
    is one row of statements.csv)."""
    if row is None:
        return ""
    return f'<{tag} data-statement="{esc(row["statement_id"])}">{esc(row["text"])}</{tag}>'


def statements(q: Quarterly, data: Store, c: Context) -> pd.DataFrame:
    """Every derived statement of this paper with its evidence (report.statements)."""
    return stm.build(q, data, c.units, c.decimals)


def _share(x: object) -> str:
    """A share as printed: "39%" stays 39%, not 39.0% (the council printed no decimal)."""
    if pr.is_missing(x):
        return ""
    return pr.percent(x, 0 if float(x).is_integer() else 1)


HEADLINE_COLS = [
    pr.col("source", "Headline"),
    pr.col("rated", "Rated KPIs", lambda x: pr.number(x, 0), numeric=True),
    pr.col("green", "Green (met target)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("amber", "Amber (slightly below)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("red", "Red (significantly below)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("pct_green", "Share green", lambda x: _share(x), numeric=True),
    pr.col("note", "Note", wide=True),
]
HEADLINE_NAMES = {
    "printed in the report": "as printed in the report",
    "reported": "counted from the report's tables",
    "recomputed": "recomputed from the targets",
    "reported (both rated)": "from the tables, KPIs both ways rated",
    "recomputed (both rated)": "recomputed, KPIs both ways rated",
}


def executive_summary(q: Quarterly, st: pd.DataFrame) -> Html:
    rated = pd.to_numeric(q.headline["rated"], errors="coerce").fillna(0) > 0
    head = q.headline[rated | (q.headline["note"].fillna("") != "")]
    head = head.assign(source=head["source"].map(lambda s: HEADLINE_NAMES.get(s, s)))
    t = pr.table(head, HEADLINE_COLS, caption="The headline: printed and recomputed side by side")
    words = " ".join(
        said(stm.one(st, "headline", k))
        for k in ("share_green", "printed_red", "coverage", "recomputed_share_green")
    ).strip()
    words = (words + " " + said(stm.one(st, "off_track", "summary"))).strip()
    return section("Executive summary", Html(f"<p>{words}</p>") if words else None, t)


# --- by corporate priority -------------------------------------------------------------------
def _kpi_cols(c: Context) -> list[pr.Col]:
    return [
        pr.col("metric_name", "KPI", wide=True),
        pr.Col("Period", lambda r: pr.period_as_printed(r, "period")),
        pr.value_col("value", "Value", c.units, c.decimals, printed="value_text"),
        pr.col("unit", "Unit", pr.unit_word),
        pr.Col("Target", lambda r: _target_of_year(r, c.period)),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
    ]


def _target_of_year(r: pd.Series, report: str) -> str:
    """The printed target, labelled with its year when it was set for a year after the report
    ("4,000,000 (the 2020/21 target)"): beside 2019/20's figures it is not their target."""
    target = pr.text(r.get("target_text"))
    year = pr.text(r.get("target_period"))
    if not (target and year):
        return target
    set_for, rep = parse_period(year), parse_report_period(report)
    if set_for.start is not None and rep.end is not None and set_for.start > rep.end:
        return f"{target} (the {year} target)"
    return target


def by_priority(q: Quarterly, c: Context, output_dir: str, st: pd.DataFrame) -> Html:
    """One table per corporate priority (the report's own sections, in its order)."""
    if q.rows.empty:
        return Html("")
    rows = q.rows.sort_values(["source_line", "kpi_id"], na_position="last", kind="stable")
    judged = q.rag[["kpi_id", "period", "metric_name", "reported_rag", "computed_rag"]]
    judged = judged.drop_duplicates(["kpi_id", "period", "metric_name"])
    merged = rows.merge(judged, on=["kpi_id", "period", "metric_name"], how="left")
    merged["reported_rag"] = merged["reported_rag"].fillna(merged["rag"])
    merged = stm.tie(merged, st, "status")
    merged["computed_rag"] = merged["computed_rag"].where(merged["statement_id"] != "", "")
    fig = rag_by_section(q.rows)
    counts = merged.assign(s=merged["reported_rag"].fillna("").replace("", "Unrated"))
    by = counts.groupby("section", sort=False)["s"].value_counts().unstack(fill_value=0)
    alt = "Bar chart of reported RAG status counts by corporate priority. " + " ".join(
        f"{sec}: " + ", ".join(f"{int(n)} {st.lower()}" for st, n in row.items() if n) + "."
        for sec, row in by.iterrows()
    )
    parts: list[object] = [
        show_figure(fig, "rag_by_section", output_dir, alt, "Reported RAG status by priority"),
        _legend(),
    ]
    for sec, grp in merged.groupby("section", sort=False):
        t = pr.table(grp, _kpi_cols(c), ids="statement_id")
        parts.append(section(str(sec) or "Other", t, level=3))
    return section("Performance by corporate priority", *parts)


def _legend() -> Html:
    items = [
        ("green", "Green", "achieving or exceeding the target"),
        ("amber", "Amber", "slightly below the desired level"),
        ("red", "Red", "significantly below target"),
        ("unrated", "Unrated", "no status (new indicator, target to be agreed)"),
    ]
    lis = "".join(
        f'<li><span class="rag rag-{k}">{esc(w)}</span>: {esc(d)}</li>' for k, w, d in items
    )
    return Html(f'<ul class="legend" aria-label="RAG status legend">{lis}</ul>')


# --- movers ----------------------------------------------------------------------------------
@with_kpi_rows
def movers(q: Quarterly, c: Context, st: pd.DataFrame) -> Html:
    cols = [
        pr.col("metric_name", "KPI", wide=True),
        pr.col("previous_period", "Previous period", pr.quarter, nowrap=True),
        pr.value_col("previous", "Previous value", c.units, c.decimals, printed="previous_text"),
        pr.Col("Latest period", lambda r: pr.period_as_printed(r, "latest_period")),
        pr.value_col("latest", "Latest value", c.units, c.decimals, printed="latest_text"),
        pr.Col("Change", pr.change, numeric=True),
        pr.col("verdict", "Trend"),
        pr.col("reason", "What the figures did", pr.reason, wide=True),
    ]
    intro = (
        "The largest relative changes since the previous comparable figure. "
        "The trend is the direction of that change, allowing for whether a higher value is "
        "good (“little change” when within 2% of the previous figure); the last column says "
        "what the earlier figures did."
    )
    rows = stm.tie(q.movers, st, "mover")
    rows = rows[rows["statement_id"] != ""]
    rows = rows.merge(st[["statement_id", "verdict"]], on="statement_id", how="left")
    t = pr.table(rows, cols, empty="No KPI moved.", ids="statement_id")
    return section("Biggest movers", intro, t, _prose_previous(rows, st))


def _prose_previous(rows: pd.DataFrame, st: pd.DataFrame) -> Html | None:
    """Where a shown mover's previous figure is the commentary's restatement rather than a
    table's, say so and where (the table printed it differently, or not at all)."""
    if "previous_source" not in rows.columns:
        return None
    prose = rows[rows["previous_source"].fillna("").str.contains(r"\(prose:", regex=True)]
    if prose.empty:
        return None
    items = "".join(
        f'<li data-statement="{esc(r["statement_id"])}">{esc(r["metric_name"])}, '
        f"{esc(pr.quarter(r['previous_period']))}: {esc(r['previous_source'])}</li>"
        for _, r in prose.iterrows()
    )
    return Html(
        "<p>Previous figures the commentary gives (restating a table's figure, or for a period "
        f"no table printed):</p><ul>{items}</ul>"
    )


# --- off track -------------------------------------------------------------------------------
@with_kpi_rows
def off_track(q: Quarterly, c: Context, output_dir: str, st: pd.DataFrame) -> Html:
    cols = [
        pr.col("metric_name", "KPI", wide=True),
        pr.value_col("value", "Value", c.units, c.decimals, printed="value_text"),
        pr.Col("Target", _target_labelled),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
        pr.col("listed_because", "Listed because", wide=True),
        pr.value_col("forecast_at_horizon", "Forecast (end of horizon)", c.units, c.decimals),
        pr.Col("80% range", lambda r: _range(r, c), numeric=True),
        pr.col("p_meet_target", "Chance of meeting target", pr.probability, numeric=True),
        pr.col("forecast_note", "About the forecast", wide=True),
    ]
    if q.off_track["p_meet_target"].isna().all():  # no backtest supports one: no empty column
        cols = [col for col in cols if col.header != "Chance of meeting target"]
    intro = (
        "KPIs the report prints Red or Amber, that miss their printed target when recomputed, "
        "or that the report itself names below the desired level (“Listed because” says "
        "which), with a forecast where the history allows one. KPIs with fewer than eight "
        "quarterly points get a simple forecast marked “short history”, and no estimate of "
        "the chance of meeting the target (nothing has tested one). A KPI whose target is "
        "not set yet gets no forecast."
    )
    listed = {k for k, _ in stm.ids(st, "off_track")}
    forecasted = {k for k, _ in stm.ids(st, "forecast")}
    rows = q.off_track[q.off_track["kpi_id"].isin(listed)].copy()
    no_fc = ~rows["kpi_id"].isin(forecasted)
    for col in ("forecast_at_horizon", "lower80", "upper80", "p_meet_target"):
        rows[col] = rows[col].astype(object).where(~no_fc, None)
    rows["insufficient_history"] = rows["insufficient_history"].astype(object).where(~no_fc, None)
    off_ids = stm.ids(st, "off_track")
    rows["statement_id"] = [
        next((sid for (k2, _), sid in off_ids.items() if k2 == k), "") for k in rows["kpi_id"]
    ]
    none = stm.one(st, "off_track", "none")
    t = (
        None
        if rows.empty and none is None  # statuses not captured: nothing is said either way
        else pr.table(
            rows, cols, empty="" if none is None else str(none["text"]), ids="statement_id"
        )
    )
    return section(
        "Off-track KPIs: forecasts and the chance of meeting target",
        intro,
        t,
        *off_track_charts(q, c, output_dir),
    )


def _target_labelled(r: pd.Series) -> str:
    """The printed target, labelled when it was set for a later year than the report's, when
    it covers another span than the figure (a year's against one quarter's), or when it is not
    printed in the table but stated in the KPI's commentary."""
    target = pr.text(r.get("target_text"))
    stated = pr.text(r.get("target_stated"))
    if stated and target:
        return f"{target} ({stated.split(':')[0]})"
    later = pr.text(r.get("target_of_later_year"))
    if later and target:
        return f"{target} (the {later} target, not used)"
    apart = pr.text(r.get("target_not_comparable"))
    if apart and target and not pr.is_missing(r.get("value")):
        return f"{target} (not compared: {apart.split(':')[0]})"
    return target


def _range(r: pd.Series, c: Context) -> str:
    lo, hi = r.get("lower80"), r.get("upper80")
    if pr.is_missing(lo) or pr.is_missing(hi):
        return ""
    k = r.get("kpi_id")
    d, u = c.decimals.get(k, 1), c.units.get(k, "")
    return f"{pr.number(lo, d, u)} to {pr.number(hi, d, u)}"


def off_track_charts(q: Quarterly, c: Context, output_dir: str) -> list[object]:
    """One panel per off-track KPI with at least MIN_POINTS points; the rest listed."""
    panels, short = [], []
    names = dict(zip(q.off_track["kpi_id"], q.off_track["metric_name"], strict=True))
    for kpi_id in q.off_track["kpi_id"]:
        h = q.histories.get(kpi_id)
        h = h[h["value"].notna()] if h is not None else None
        if h is None or len(h) < MIN_POINTS:
            short.append((names[kpi_id], 0 if h is None else len(h)))
            continue
        fc = q.forecasts.get(kpi_id)
        target = h["target_value"].dropna()
        panels.append(
            {
                "kpi_id": kpi_id,
                "title": names[kpi_id],
                "unit": c.units.get(kpi_id, ""),
                "history": h,
                "target": None if target.empty else float(target.iloc[-1]),
                "forecast": fc,
            }
        )
    out: list[object] = []
    if panels:
        charts = []
        for p in panels:  # one chart each: two to a row on a screen, one on a phone
            alt = (
                "Chart of an off-track KPI's values over time coloured by RAG status, the "
                "target as a dashed line and, where there is one, the forecast as a dotted "
                "line in a shaded 80% range. " + _panel_alt(p, c)
            )
            fig = off_track_panel(p)
            charts.append(show_figure(fig, f"off_track_{p['kpi_id']}", output_dir, alt))
        out.append(
            Html('<div class="charts">' + "".join(x._repr_html_() for x in charts) + "</div>")
        )
    if short:
        items = "".join(
            f"<li>{esc(n)} ({_count(k, 'point')})</li>" for n, k in sorted(short, key=str)
        )
        out.append(
            Html(
                f"<p>Not charted: fewer than {MIN_POINTS} points so far.</p>"
                f'<ul class="short">{items}</ul>'
            )
        )
    return out


def _panel_alt(p: dict, c: Context) -> str:
    h = p["history"]
    k = p["kpi_id"]
    d, u = c.decimals.get(k, 1), c.units.get(k, "")
    last = h.iloc[-1]
    txt = (
        f"{p['title']}: {len(h)} points, latest {pr.number(last['value'], d, u)} "
        f"({pr.text(last['rag']) or 'unrated'})"
    )
    if p["target"] is not None:
        txt += f", target {pr.number(p['target'], d, u)}"
    fc = p["forecast"]
    if fc is not None:
        txt += f", forecast {pr.number(float(fc.mean.iloc[-1]), d, u)}"
    return txt + "."


# --- disagreements, claims, commentary -------------------------------------------------------
@with_kpi_rows
def disagreements(q: Quarterly, c: Context, st: pd.DataFrame) -> Html:
    cols = [
        pr.col("metric_name", "KPI", wide=True),
        pr.value_col("value", "Value", c.units, c.decimals),
        pr.col("target_text", "Target"),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
        pr.col("reason", "Why", wide=True),
        pr.col("disagreement", "Why they differ", wide=True),
    ]
    intro = "KPIs where the status recomputed from the printed target differs from the printed one."
    rows = stm.tie(q.disagreements, st, "status")
    rows = rows[rows["statement_id"] != ""]
    t = pr.table(rows, cols, empty="Every checkable status agrees.", ids="statement_id")
    return section("Where the recomputed RAG differs from the reported one", intro, t)


def _as_compared(x: object) -> str:
    """A table figure with the decimals it needs (6.1, 827, 93.45), not a fixed two."""
    if pr.is_missing(x):
        return ""
    return pr.number(x, min(pr.decimals_of(f"{float(x):g}"), 2))


@with_kpi_rows
def claims(q: Quarterly, st: pd.DataFrame) -> Html:
    cols = [
        pr.col("sentence", "Claim in the commentary", wide=True),
        pr.col("claim_text", "Figure quoted", numeric=True),  # as the commentary prints it
        pr.col("compared_with", "Compared with"),
        pr.col("compared_value", "Figure in the tables", _as_compared, numeric=True),
        pr.col("reason", "Why it does not check out", wide=True),
    ]
    rows = stm.tie(q.claims, st, "claim")
    rows = rows[(rows["statement_id"] != "") & (rows["status"] == "contradicted")]
    note = stm.one(st, "claim", "summary")
    t = pr.table(
        rows, cols, empty="Every figure we could check agrees with the tables.", ids="statement_id"
    )
    return section(
        "Claims in the commentary that do not check out",
        t,
        Html(said(note, "p")) if note is not None else None,
        *_restated_and_dated(st),
    )


def _restated_and_dated(st: pd.DataFrame) -> list[Html]:
    """What is neither a match nor a contradiction, said as such: an earlier figure the
    commentary restates (with the figure and report it revises) and figures of another date
    than the table's."""
    said_rows = stm.shown(st, "claim")
    out = []
    for verdict, words in [
        ("restated", "Earlier figures the commentary restates (not contradictions)"),
        ("other date", "Figures of another date than the tables' (not contradictions)"),
    ]:
        grp = said_rows[said_rows["verdict"] == verdict]
        if len(grp):
            items = "".join(
                f'<li data-statement="{esc(r["statement_id"])}">{esc(r["text"])}</li>'
                for _, r in grp.iterrows()
            )
            out.append(Html(f"<p>{esc(words)}:</p><ul>{items}</ul>"))
    return out


@with_kpi_rows
def commentary(q: Quarterly, st: pd.DataFrame) -> Html:
    blocks = stm.shown(st, "commentary")
    if blocks.empty:
        return section("Commentary on the off-track KPIs", "No commentary on these KPIs.")
    names = dict(zip(q.off_track["kpi_id"], q.off_track["metric_name"], strict=True))
    parts: list[object] = []
    # a block about several KPIs is one statement, shown once under the group it is about
    for kpis, grp in blocks.groupby("kpi_id", sort=False):
        items = "".join(
            f'<li data-statement="{esc(r["statement_id"])}"><strong>{esc(r["verdict"])}:</strong> '
            f"{esc(r['text'])}</li>"
            for _, r in grp.iterrows()
        )
        title = "; ".join(dict.fromkeys(names.get(k, k) for k in str(kpis).split("; ")))
        parts.append(section(title, Html(f"<ul>{items}</ul>"), level=3))
    return section("Commentary on the off-track KPIs", *parts)


# --- headline-only quarters ------------------------------------------------------------------
def kpis_or_headline(
    q: Quarterly, c: Context, data: Store, output_dir: str, st: pd.DataFrame
) -> Html:
    """The KPIs by corporate priority; for a quarter that printed only its headline, the
    headline over the reports so far in their place."""
    return headline_history(q, data) if c.headline_only else by_priority(q, c, output_dir, st)


def headline_history(q: Quarterly, data: Store) -> Html:
    """For a quarter that printed only its headline: the headline over the reports so far."""
    said_row, df = stm.headline_history_statement(data.as_of(q.period))
    cols = [
        pr.col("report_period", "Report", nowrap=True),
        pr.col("basis", "Headline"),
        *HEADLINE_COLS[1:-1],
    ]
    words = None
    if said_row.shown:
        sid = stm.statement_id(said_row)
        words = Html(f'<p data-statement="{esc(sid)}">{esc(said_row.text)}</p>')
    return section("What the earlier reports say", words, pr.table(df, cols))


STANCES = {
    "below": "Below target or a challenge, in the directors' words",
    "on track": "On or above target, in the directors' words",
}


def directors(q: Quarterly, st: pd.DataFrame) -> Html | None:
    """What the executive directors say is below or on target, each sentence quoted with the
    KPI it names and that KPI's last known figure (a quarter that printed only its headline
    says this nowhere else)."""
    said_rows = stm.shown(st, "directors")
    if said_rows.empty:
        return None
    intro = (
        "Sentences of the directors' summaries that say in so many words that something is "
        "below or above target; where a sentence names a KPI, its last published figure follows."
    )
    parts: list[object] = [intro]
    for stance, title in STANCES.items():
        grp = said_rows[said_rows["verdict"] == stance].drop_duplicates("text")
        if grp.empty:
            continue
        items = "".join(
            f'<li data-statement="{esc(r["statement_id"])}">{esc(r["text"])}</li>'
            for _, r in grp.iterrows()
        )
        parts.append(section(title, Html(f"<ul>{items}</ul>"), level=3))
    return section("What the executive directors say", *parts)


def provenance(frame: pd.DataFrame | str) -> Html:
    if isinstance(frame, str):
        return section("What this report was built from", frame)
    cols = [pr.col("item", "Item", wide=True), pr.col("value", "Value", wide=True)]
    intro = (
        "Inputs with their sha256, parameters, package versions and the commit; "
        "“kpi audit” re-runs the report from its manifest and compares."
    )
    return section("What this report was built from", intro, pr.table(frame, cols))
