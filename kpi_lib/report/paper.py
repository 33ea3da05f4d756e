"""The quarterly report as a paper a committee reads: a title with the council, the quarter and
the date of the latest data; an executive summary in words; sections by corporate priority;
tables formatted by `present`; charts with a RAG legend and alt texts.

Each function returns one section as HTML (its own <h2>); the notebook only shows them, and
the page wrapper (`report.page`) builds the contents list from those headings.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from kpi_lib.report import present as pr
from kpi_lib.report.build_cache import cached
from kpi_lib.report.outputs import show_figure
from kpi_lib.report.plots import MIN_POINTS, off_track_panels, rag_by_section
from kpi_lib.report.quarterly import Quarterly, build
from kpi_lib.store.snapshot import Store
from kpi_lib.store.sources import load_sources

DEFAULT_COUNCIL = "The council"


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
    council, title = DEFAULT_COUNCIL, ""
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


def summary_words(q: Quarterly) -> str:
    """The headline in a sentence: the printed one when the report printed it, else the one
    counted from its tables; then the one recomputed from the targets."""
    head = q.headline.set_index("source")
    src = "printed in the report" if "printed in the report" in head.index else "reported"
    if src not in head.index or pr.is_missing(head.at[src, "rated"]) or not head.at[src, "rated"]:
        return f"No rated KPIs are recorded for {q.period}." + off_track_words(q)
    rated, green, amber, red = (
        int(head.at[src, k] or 0) for k in ("rated", "green", "amber", "red")
    )
    words = (
        f"{green} of {rated} rated KPIs met or exceeded their target "
        f"({100 * green / rated:.0f}%); {amber} {'was' if amber == 1 else 'were'} slightly "
        f"below (amber) and {red} significantly below (red)"
    )
    reds = list(dict.fromkeys(q.rag.loc[q.rag["reported_rag"] == "Red", "metric_name"]))
    if reds:
        more = f"; and {len(reds) - 5} more, listed below" if len(reds) > 5 else ""
        words += ": " + "; ".join(reds[:5]) + more
    words += "."
    c_rated_cell = head.at["recomputed", "rated"] if "recomputed" in head.index else None
    if not pr.is_missing(c_rated_cell) and int(c_rated_cell):
        c_rated, c_green = int(head.at["recomputed", "rated"]), int(head.at["recomputed", "green"])
        words += (
            f" Recomputed from the printed targets, {c_green} of the {c_rated} KPIs whose "
            f"target can be checked met it ({100 * c_green / c_rated:.0f}%)."
        )
    return words + off_track_words(q)


def off_track_words(q: Quarterly) -> str:
    """The off-track list in a sentence, where it holds KPIs the printed statuses do not flag
    (so a summary of the statuses never reads as if nothing else were off track)."""
    why = q.off_track["listed_because"] if "listed_because" in q.off_track else pd.Series()
    printed = why.str.contains("printed (?:Red|Amber)", regex=True)
    named = why.str.contains("named below the desired level", regex=False)
    recomputed = why.str.contains("recomputed (?:Red|Amber)", regex=True)
    parts = []
    if (named & ~printed).any():
        n = int((named & ~printed).sum())
        found = why[named & ~printed].str.findall(r"desired level in the report, line (\d+)")
        lines = {line for found_lines in found for line in found_lines}
        which = f"the {len(lines)} indicators" if len(lines) != n else "the indicators"
        parts.append(
            f"{_count(n, 'KPI')} matching {which} the report names below the desired level"
        )
    if (recomputed & ~printed & ~named).any():
        n = int((recomputed & ~printed & ~named).sum())
        parts.append(
            f"{_count(n, 'KPI')} recomputed below target although not printed Red or Amber"
        )
    if not parts:
        return ""
    return " The off-track list below also holds " + " and ".join(parts) + "."


HEADLINE_COLS = [
    pr.col("source", "Headline"),
    pr.col("rated", "Rated KPIs", lambda x: pr.number(x, 0), numeric=True),
    pr.col("green", "Green (met target)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("amber", "Amber (slightly below)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("red", "Red (significantly below)", lambda x: pr.number(x, 0), numeric=True),
    pr.col("pct_green", "Share green", pr.percent, numeric=True),
    pr.col("note", "Note", wide=True),
]
HEADLINE_NAMES = {
    "printed in the report": "as printed in the report",
    "reported": "counted from the report's tables",
    "recomputed": "recomputed from the targets",
    "reported (both rated)": "from the tables, KPIs both ways rated",
    "recomputed (both rated)": "recomputed, KPIs both ways rated",
}


def executive_summary(q: Quarterly) -> Html:
    rated = pd.to_numeric(q.headline["rated"], errors="coerce").fillna(0) > 0
    head = q.headline[rated | (q.headline["note"].fillna("") != "")]
    head = head.assign(source=head["source"].map(lambda s: HEADLINE_NAMES.get(s, s)))
    t = pr.table(head, HEADLINE_COLS, caption="The headline: printed and recomputed side by side")
    return section("Executive summary", summary_words(q), t)


# --- by corporate priority -------------------------------------------------------------------
def _kpi_cols(c: Context) -> list[pr.Col]:
    return [
        pr.col("metric_name", "KPI", wide=True),
        pr.col("period", "Period", pr.quarter, nowrap=True),
        pr.value_col("value", "Value", c.units, c.decimals),
        pr.col("unit", "Unit", pr.unit_word),
        pr.col("target_text", "Target"),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
    ]


def by_priority(q: Quarterly, c: Context, output_dir: str) -> Html:
    """One table per corporate priority (the report's own sections, in its order)."""
    if q.rows.empty:
        return Html("")
    rows = q.rows.sort_values(["source_line", "kpi_id"], na_position="last", kind="stable")
    judged = q.rag[["kpi_id", "period", "metric_name", "reported_rag", "computed_rag"]]
    judged = judged.drop_duplicates(["kpi_id", "period", "metric_name"])
    merged = rows.merge(judged, on=["kpi_id", "period", "metric_name"], how="left")
    merged["reported_rag"] = merged["reported_rag"].fillna(merged["rag"])
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
        parts.append(section(str(sec) or "Other", pr.table(grp, _kpi_cols(c)), level=3))
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
def movers(q: Quarterly, c: Context) -> Html:
    cols = [
        pr.col("metric_name", "KPI", wide=True),
        pr.col("previous_period", "Previous period", pr.quarter, nowrap=True),
        pr.value_col("previous", "Previous value", c.units, c.decimals),
        pr.col("latest_period", "Latest period", pr.quarter, nowrap=True),
        pr.value_col("latest", "Latest value", c.units, c.decimals),
        pr.Col("Change", pr.change, numeric=True),
        pr.Col("Trend", _trend_word),
        pr.col("reason", "What the trend test says", pr.reason, wide=True),
    ]
    intro = (
        "The largest relative changes since the previous comparable figure. "
        "The trend allows for whether a higher value is good; it is “no clear trend” when the "
        "change is within the noise of the figures so far."
    )
    return section("Biggest movers", intro, pr.table(q.movers, cols, empty="No KPI moved."))


# --- off track -------------------------------------------------------------------------------
def off_track(q: Quarterly, c: Context, output_dir: str) -> Html:
    cols = [
        pr.col("metric_name", "KPI", wide=True),
        pr.value_col("value", "Value", c.units, c.decimals),
        pr.Col("Target", _target_labelled),
        pr.col("reported_rag", "Reported RAG"),
        pr.col("computed_rag", "Recomputed RAG"),
        pr.value_col("forecast_at_horizon", "Forecast (end of horizon)", c.units, c.decimals),
        pr.Col("80% range", lambda r: _range(r, c), numeric=True),
        pr.col("p_meet_target", "Chance of meeting target", pr.probability, numeric=True),
        pr.col("insufficient_history", "Short history", pr.flag),
        pr.col("listed_because", "Listed because", wide=True),
    ]
    intro = (
        "KPIs the report prints Red or Amber, that miss their printed target when recomputed, "
        "or that the report itself names below the desired level (“Listed because” says "
        "which), with a forecast where the history allows one. KPIs with fewer than eight "
        "quarterly points get a simple forecast marked “short history”, with wide ranges."
    )
    t = pr.table(q.off_track, cols, empty=q.off_track_note or "No KPI is off track.")
    return section(
        "Off-track KPIs: forecasts and the chance of meeting target",
        intro,
        t,
        *off_track_charts(q, c, output_dir),
    )


def _target_labelled(r: pd.Series) -> str:
    """The printed target, labelled when it was set for a later year than the report's."""
    target = pr.text(r.get("target_text"))
    later = pr.text(r.get("target_of_later_year"))
    return f"{target} (the {later} target, not used)" if later and target else target


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
        fig = off_track_panels(panels)
        alt = (
            f"Charts of the {len(panels)} off-track KPIs with at least {MIN_POINTS} points: "
            "values over time coloured by RAG status, the target as a dashed line and, where "
            "there is one, the forecast as a dotted line in a shaded 80% range. "
            + " ".join(_panel_alt(p, c) for p in panels)
        )
        out.append(show_figure(fig, "off_track_histories", output_dir, alt))
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
def disagreements(q: Quarterly, c: Context) -> Html:
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
    t = pr.table(q.disagreements, cols, empty="Every checkable status agrees.")
    return section("Where the recomputed RAG differs from the reported one", intro, t)


def _trend_word(row: pd.Series) -> str:
    """improving / worsening; "stable" said as the test found it ("little change", or "no
    clear trend" beside a 7-point move that is within the noise of the figures so far)."""
    d = pr.text(row.get("direction"))
    if d != "stable":
        return d
    return "little change" if pr.text(row.get("reason")).startswith("little") else "no clear trend"


def _as_compared(x: object) -> str:
    """A table figure with the decimals it needs (6.1, 827, 93.45), not a fixed two."""
    if pr.is_missing(x):
        return ""
    return pr.number(x, min(pr.decimals_of(f"{float(x):g}"), 2))


def claims(q: Quarterly) -> Html:
    wrong = q.claims[q.claims["status"] == "contradicted"]
    unchecked = int((q.claims["status"] == "not checkable").sum())
    cols = [
        pr.col("sentence", "Claim in the commentary", wide=True),
        pr.col("claim_text", "Figure quoted", numeric=True),  # as the commentary prints it
        pr.col("compared_with", "Compared with"),
        pr.col("compared_value", "Figure in the tables", _as_compared, numeric=True),
        pr.col("reason", "Why it does not check out", wide=True),
    ]
    note = (
        f"{_count(unchecked, 'further quoted figure')} could not be paired with any figure in the "
        "tables (benchmarks, counts and figures from other sources) and "
        f"{'is' if unchecked == 1 else 'are'} not listed."
        if unchecked
        else None
    )
    t = pr.table(wrong, cols, empty="Every figure we could check agrees with the tables.")
    return section("Claims in the commentary that do not check out", t, note)


def commentary(q: Quarterly) -> Html:
    if q.commentary.empty:
        return section("Commentary on the off-track KPIs", "No commentary on these KPIs.")
    names = dict(zip(q.off_track["kpi_id"], q.off_track["metric_name"], strict=True))
    parts: list[object] = []
    for kpi_id, grp in q.commentary.groupby("kpi_id", sort=False):
        items = "".join(
            f"<li><strong>{esc(pr.comment_kind(r['kind']))}:</strong> "
            f"{esc(pr.text(r['text']))}</li>"
            for _, r in grp.iterrows()
        )
        parts.append(section(names.get(kpi_id, kpi_id), Html(f"<ul>{items}</ul>"), level=3))
    return section("Commentary on the off-track KPIs", *parts)


# --- headline-only quarters ------------------------------------------------------------------
def headline_history(q: Quarterly, data: Store) -> Html:
    """For a quarter that printed only its headline: the headline over the reports so far."""
    rows = []
    for label in sorted(data.reports["report_period"].unique()):
        s = data.summary(label).set_index("measure")
        rep = s["reported"] if "reported" in s else pd.Series(dtype=float)
        com = s["computed"] if "computed" in s else pd.Series(dtype=float)
        src = rep if rep.notna().any() else com
        rows.append(
            {
                "report_period": label,
                "basis": "printed" if rep.notna().any() else "counted from the tables",
                **{k: src.get(k) for k in ("rated", "green", "amber", "red", "pct_green")},
            }
        )
    df = pd.DataFrame(rows)
    df = df[pd.to_numeric(df["rated"], errors="coerce").fillna(0) > 0]
    cols = [
        pr.col("report_period", "Report", nowrap=True),
        pr.col("basis", "Headline"),
        *HEADLINE_COLS[1:],
    ]
    words = None
    if len(df) >= 2 and df["pct_green"].notna().sum() >= 2:
        last, prev = df.iloc[-1], df.iloc[-2]
        change = float(last["pct_green"]) - float(prev["pct_green"])
        words = (
            f"The share of rated KPIs meeting target was {float(last['pct_green']):.1f}% in "
            f"{last['report_period']}, {abs(change):.1f} points "
            f"{'higher' if change >= 0 else 'lower'} than in {prev['report_period']} "
            f"({float(prev['pct_green']):.1f}%)."
        )
        if last["basis"] != prev["basis"]:  # say so where the two are not counted alike
            words += (
                f" The {last['report_period']} figure is {last['basis']}, the "
                f"{prev['report_period']} one {prev['basis']}, so the two are not counted "
                "the same way."
            )
    return section("What the earlier reports say", words, pr.table(df, cols))


def provenance(frame: pd.DataFrame | str) -> Html:
    if isinstance(frame, str):
        return section("What this report was built from", frame)
    cols = [pr.col("item", "Item", wide=True), pr.col("value", "Value", wide=True)]
    intro = (
        "Inputs with their sha256, parameters, package versions and the commit; "
        "“kpi audit” re-runs the report from its manifest and compares."
    )
    return section("What this report was built from", intro, pr.table(frame, cols))
