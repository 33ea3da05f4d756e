"""Every sentence the quarterly paper derives, as a record with its evidence.

A committee acts on what the paper says, so each derived statement (a headline, an off-track
entry, a status and its reason, a mover and its trend word, a forecast, a claim verdict, a
commentary block under a KPI) is built here once, with the figures it compares, their periods
and bases, the source file and line of each and the rule applied. The page renders these rows
and nothing else derived; `statements.csv` publishes them beside the other tables, so an
auditor can trace every sentence. A statement whose evidence cannot be found is withheld (kept
in the table with the reason, never shown), and one marked shown without evidence stops the
build (`validate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

import pandas as pd

from kpi_lib.analysis.forecast import ForecastResult, method_words
from kpi_lib.errors import KpiError
from kpi_lib.report import present as pr
from kpi_lib.report.deep_dive import DeepDive
from kpi_lib.report.quarterly import Quarterly
from kpi_lib.store.snapshot import Store


class StatementError(KpiError):
    """A statement marked to be shown without the evidence it needs."""


@dataclass(frozen=True)
class Statement:
    family: str  # headline · off_track · status · mover · trend · forecast · claim · commentary
    # · directors (an executive director's sentence on what is below or on target)
    kpi_id: str
    key: str  # which row of `table` it speaks for (a period, a metric, a line)
    table: str  # the published table whose row it words ("" for a page sentence)
    text: str  # the sentence as the page shows it
    verdict: str  # the short word a table cell shows (Red, improving, contradicted...)
    rule: str  # the rule applied, in words
    figures: str  # the figures compared, each with what it is
    periods: str
    bases: str
    sources: str  # file:line of each figure or block ("; " between them)
    shown: bool = True
    withheld_because: str = ""


COLUMNS = ["statement_id", *(f.name for f in fields(Statement))]
# how a published table's row names the statement that words it (the `key` of that family)
ROW_KEYS = {
    "mover": lambda r: f"{r['previous_period']}>{r['latest_period']}",
    "status": lambda r: f"{r['period']}|{r['metric_name']}",
    "claim": lambda r: f"{r['source_line']}|{r['claim_text']}",
}

# what each family cannot be shown without
REQUIRED = {
    "headline": ("figures", "rule", "sources"),
    "off_track": ("figures", "rule", "sources"),
    "status": ("figures", "periods", "rule", "sources"),
    "mover": ("figures", "periods", "bases", "rule", "sources"),
    "forecast": ("figures", "periods", "rule", "sources"),
    "claim": ("figures", "rule", "sources"),
    "commentary": ("rule", "sources"),
    "trend": ("figures", "periods", "rule", "sources"),
    "directors": ("rule", "sources"),
}


def statement_id(s: Statement) -> str:
    return ":".join([s.family, s.kpi_id or "-", s.key or "-"])


def frame(statements: Iterable[Statement]) -> pd.DataFrame:
    """The statements as a table, ids unique (a repeated id gets #2, #3...), validated."""
    rows, seen = [], {}
    for s in statements:
        sid = statement_id(s)
        seen[sid] = seen.get(sid, 0) + 1
        if seen[sid] > 1:
            sid = f"{sid}#{seen[sid]}"
        rows.append({"statement_id": sid, **asdict(s)})
    df = pd.DataFrame(rows, columns=COLUMNS)
    validate(df)
    return df


def validate(df: pd.DataFrame) -> None:
    """Refuse a shown statement without its evidence, or an unknown family."""
    for r in df.to_dict("records"):
        need = REQUIRED.get(r["family"])
        if need is None:
            raise StatementError(f"statement {r['statement_id']}: unknown family {r['family']!r}")
        if not r["shown"]:
            if not str(r["withheld_because"]).strip():
                raise StatementError(f"statement {r['statement_id']}: withheld without a reason")
            continue
        if not str(r["text"]).strip():
            raise StatementError(f"statement {r['statement_id']}: shown without text")
        missing = [f for f in need if not str(r[f] or "").strip()]
        if missing:
            raise StatementError(
                f"statement {r['statement_id']}: shown without evidence ({', '.join(missing)})"
            )


def withhold(s: Statement, because: str) -> Statement:
    return Statement(**{**asdict(s), "shown": False, "withheld_because": because})


def checked(s: Statement) -> Statement:
    """Withhold a statement whose evidence is incomplete, saying what is missing."""
    if not s.shown:
        return s
    missing = [f for f in REQUIRED[s.family] if not str(getattr(s, f) or "").strip()]
    return withhold(s, f"no evidence for its {', '.join(missing)}") if missing else s


# --- evidence helpers ------------------------------------------------------------------------
def where(file: object, line: object, page: object = None) -> str:
    """'data/raw/x.txt:405' (or 'x.pdf:p3:405'); blank when the place is not known."""
    f = pr.text(file)
    if not f:
        return ""
    parts = [f]
    if not pr.is_missing(page) and str(page).strip() not in ("", "0"):
        parts.append(f"p{int(float(page))}")
    if not pr.is_missing(line) and str(line).strip():
        parts.append(str(int(float(line))))
    return ":".join(parts)


def split_prose(source: str) -> tuple[str, str]:
    """'file:line (prose: quote)' -> ('file:line', 'quote'); a table's place has no quote."""
    m = re.match(r"^(.*?)\s*\(prose:\s*(.*)\)\s*$", source or "")
    return (m.group(1), m.group(2)) if m else (source or "", "")


def figure_source(obs: pd.DataFrame, kpi_id: str, period: object, value: object) -> str:
    """Where a figure of a KPI for a period was printed: the latest report that printed that
    value for it (as the store held it at the report date)."""
    if pr.is_missing(period) or pr.is_missing(value):
        return ""
    mine = obs[(obs["kpi_id"] == kpi_id) & (obs["period"].astype(str) == str(period))]
    mine = mine[(mine["value"] - float(value)).abs() <= 1e-9 * max(1.0, abs(float(value)))]
    if mine.empty:
        return ""
    r = mine.sort_values(["report_period", "source_line"], kind="stable").iloc[-1]
    return where(r["source_file"], r["source_line"], r.get("source_page"))


def _num(x: object, kpi_id: str, units: dict[str, str], decimals: dict[str, int]) -> str:
    if pr.is_missing(x):
        return ""
    return pr.number(x, decimals.get(kpi_id, 1), units.get(kpi_id, ""))


def _join(*parts: object) -> str:
    return "; ".join(str(p) for p in parts if p is not None and str(p).strip())


# --- the families ----------------------------------------------------------------------------
def headline_statements(q: Quarterly, reports: pd.DataFrame) -> list[Statement]:
    """The executive summary's sentences: the headline as printed (or as counted from the
    tables), the reds it names, and the recomputed share."""
    out: list[Statement] = []
    reps = reports[reports["report_period"] == q.period]
    head = q.headline.set_index("source")
    file = str(reps["file"].iloc[0]) if len(reps) else ""
    printed_at = ""
    if len(reps) and not pr.is_missing(reps["headline_line"].iloc[0]):
        printed_at = where(file, reps["headline_line"].iloc[0])
    rows_at = _rows_span(q.rows)
    src = "printed in the report" if "printed in the report" in head.index else "reported"
    if src not in head.index or pr.is_missing(head.at[src, "rated"]) or not head.at[src, "rated"]:
        out.append(
            checked(
                Statement(
                    "headline",
                    "",
                    "share_green",
                    "headline",
                    f"No RAG status could be read from the report's tables for {q.period}, so no "
                    "headline is counted from them.",
                    "",
                    "no printed headline and no status read from the report's tables",
                    "rated 0",
                    q.period,
                    "",
                    file,
                )
            )
        )
    else:
        rated, green, amber, red = (
            int(head.at[src, k] or 0) for k in ("rated", "green", "amber", "red")
        )
        text = (
            f"{green} of {rated} rated KPIs met or exceeded their target "
            f"({100 * green / rated:.0f}%); {amber} {'was' if amber == 1 else 'were'} slightly "
            f"below (amber) and {red} significantly below (red)."
        )
        out.append(
            checked(
                Statement(
                    "headline",
                    "",
                    "share_green",
                    "headline",
                    text,
                    f"{100 * green / rated:.1f}%",
                    "as printed in the report's headline"
                    if src == "printed in the report"
                    else "statuses counted from the report's KPI tables",
                    f"rated {rated}; green {green}; amber {amber}; red {red}",
                    q.period,
                    "",
                    printed_at if src == "printed in the report" else rows_at,
                )
            )
        )
    reds = q.rag[q.rag["reported_rag"] == "Red"].drop_duplicates("metric_name")
    if len(reds):
        names = list(reds["metric_name"])
        more = f"; and {len(names) - 5} more, listed below" if len(names) > 5 else ""
        out.append(
            checked(
                Statement(
                    "headline",
                    "",
                    "printed_red",
                    "off_track",
                    "Printed Red: " + "; ".join(names[:5]) + more + ".",
                    str(len(names)),
                    "rows the report prints with a Red status",
                    "; ".join(f"{n}: {_fmt(v)}" for n, v in zip(names, reds["value"], strict=True)),
                    q.period,
                    "",
                    _places(reds),
                )
            )
        )
    if src == "reported":  # a printed headline is the council's own count
        out.append(coverage_statement(q, reps, rows_at))
    if "recomputed" in head.index and not pr.is_missing(head.at["recomputed", "rated"]):
        c_rated, c_green = int(head.at["recomputed", "rated"]), int(head.at["recomputed", "green"])
        if c_rated:
            out.append(
                checked(
                    Statement(
                        "headline",
                        "",
                        "recomputed_share_green",
                        "headline",
                        f"Recomputed from the printed targets, {c_green} of the {c_rated} KPIs "
                        f"whose target can be checked met it ({100 * c_green / c_rated:.0f}%).",
                        f"{100 * c_green / c_rated:.1f}%",
                        "each figure judged against its printed target (kpi rag)",
                        f"judged {c_rated}; met {c_green}",
                        q.period,
                        "",
                        rows_at,
                    )
                )
            )
    return out


def coverage_statement(q: Quarterly, reps: pd.DataFrame, rows_at: str) -> Statement:
    """A count from the tables is not the report's: how many KPIs the report says it covers,
    how many rows its tables gave, and how many of its indicators had no table to count."""
    covered, untabled = q.coverage
    base = Statement("headline", "", "coverage", "headline", "", "", "", "", "", "", "")
    text, places = "", []
    if covered is not None and covered != len(q.rag):
        text += (
            f"The report says it covers {covered} KPIs; {len(q.rag)} rows were read from its "
            "tables."
        )
        if (
            len(reps)
            and "kpis_covered_line" in reps
            and not pr.is_missing(reps["kpis_covered_line"].iloc[0])
        ):
            places.append(where(reps["file"].iloc[0], reps["kpis_covered_line"].iloc[0]))
        places.append(rows_at)
    if untabled:
        n = len(untabled)
        text += (
            f" {n} indicator{'' if n == 1 else 's'} printed without a table (an image in the "
            f"published report?) {'is' if n == 1 else 'are'} not counted: see the note below."
        )
        places.append(str(reps["file"].iloc[0]) if len(reps) else "")
    if not text:
        return withhold(base, "the tables count what the report says it covers")
    return checked(
        Statement(
            **{
                **asdict(base),
                "text": text.strip(),
                "verdict": f"{covered} covered" if covered is not None else "",
                "rule": "the report's own count of KPIs against the rows read from its tables",
                "figures": _join(
                    f"covered {covered}" if covered is not None else None,
                    f"rows {len(q.rag)}",
                    f"without a table {len(untabled)}" if untabled else None,
                ),
                "periods": q.period,
                "sources": _join(*places),
            }
        )
    )


def _places(rows: pd.DataFrame) -> str:
    """file:line of each row, in order."""
    return _join(
        *(where(f, ln) for f, ln in zip(rows["source_file"], rows["source_line"], strict=True))
    )


def _fmt(x: object) -> str:
    return "" if pr.is_missing(x) else f"{float(x):g}"


def _rows_span(rows: pd.DataFrame) -> str:
    """The report's table rows as one place: file:first-last line."""
    if rows.empty:
        return ""
    lines = pd.to_numeric(rows["source_line"], errors="coerce").dropna()
    file = str(rows["source_file"].iloc[0])
    if lines.empty:
        return file
    return f"{file}:{int(lines.min())}-{int(lines.max())}"


def status_statements(q: Quarterly) -> list[Statement]:
    """One per recomputed status: the figure against its target, by the rule and band."""
    out = []
    for r in q.rag.to_dict("records"):
        computed = pr.text(r.get("computed_rag"))
        if not computed:
            continue
        text = f"Recomputed {computed}: {pr.text(r.get('reason'))}."
        out.append(
            checked(
                Statement(
                    "status",
                    r["kpi_id"],
                    ROW_KEYS["status"](r),
                    "rag_disagreements" if not r.get("agree", True) else "",
                    text,
                    computed,
                    _join(r.get("rule_kind"), r.get("rule"), pr.text(r.get("band"))),
                    _join(
                        f"value {_fmt(r['value'])}",
                        f"target {pr.text(r.get('target_text'))}",
                        f"Good is {pr.text(r.get('polarity'))}" if r.get("polarity") else None,
                        f"printed {r['reported_rag']}" if pr.text(r.get("reported_rag")) else None,
                    ),
                    str(r["period"]),
                    "",
                    where(r.get("source_file"), r.get("source_line")),
                )
            )
        )
    return out


def _off_track_text(r: dict, because: str, units: dict[str, str], decimals: dict[str, int]) -> str:
    """The figure against its target, saying which of the two the report does not print (a
    status given in a heading, "Boost ERDF Support (Red KPI)", comes with neither)."""
    k, target, stated = r["kpi_id"], pr.text(r.get("target_text")), pr.text(r.get("target_stated"))
    figure = (
        "no figure is printed"
        if pr.is_missing(r["value"])
        else _num(r["value"], k, units, decimals)
    )
    if target and stated:
        return f"{r['metric_name']}: {figure} against {target}, the target {stated} ({because})."
    apart = pr.text(r.get("target_not_comparable"))
    if target and apart and not pr.is_missing(r["value"]):
        return (
            f"{r['metric_name']}: {figure} ({because}); its target is not for the same span as "
            f"the figure ({apart}): {target.rstrip('.')}."
        )
    if target:
        return f"{r['metric_name']}: {figure} against {target} ({because})."
    if pr.is_missing(r["value"]):
        return (
            f"{r['metric_name']}: no figure and no target are printed with its status ({because})."
        )
    return f"{r['metric_name']}: {figure} ({because}); no target is printed with the figure."


def off_track_statements(
    q: Quarterly, units: dict[str, str], decimals: dict[str, int]
) -> list[Statement]:
    """Why each KPI is listed as off track, its forecast (or why none), and, only when the
    evidence shows it, that nothing is off track."""
    out: list[Statement] = []
    judged = q.rag.drop_duplicates("kpi_id").set_index("kpi_id")
    for r in q.off_track.to_dict("records"):
        k = r["kpi_id"]
        src = judged.loc[k] if k in judged.index else None
        because = pr.text(r.get("listed_because")) or (
            f"printed {r['reported_rag']}" if pr.text(r.get("reported_rag")) else ""
        )
        period = "" if src is None else str(src["period"])
        place = "" if src is None else where(src.get("source_file"), src.get("source_line"))
        out.append(
            checked(
                Statement(
                    "off_track",
                    k,
                    period,
                    "off_track",
                    _off_track_text(r, because, units, decimals),
                    pr.text(r.get("reported_rag")) or pr.text(r.get("computed_rag")),
                    "listed because " + because if because else "",
                    _join(
                        f"value {_fmt(r['value'])}",
                        f"target {pr.text(r.get('target_text'))}",
                        pr.text(r.get("target_stated")),
                    ),
                    period,
                    "",
                    place,
                )
            )
        )
        out.append(forecast_statement(q, r, period, place, units, decimals))
    if q.off_track.empty:
        out.append(nothing_off_track(q))
    else:
        out.append(off_track_summary(q))
    return out


def off_track_summary(q: Quarterly) -> Statement:
    """The off-track list in a sentence where it holds KPIs the printed statuses do not flag,
    so a summary of the statuses never reads as if nothing else were off track."""
    base = Statement("off_track", "", "summary", "off_track", "", "", "", "", "", "", "")
    if "listed_because" not in q.off_track:
        return withhold(base, "no reasons recorded for the list")
    why = q.off_track["listed_because"].fillna("").astype(str)
    printed = why.str.contains("printed (?:Red|Amber)", regex=True)
    named = why.str.contains("named below the desired level", regex=False)
    recomputed = why.str.contains("recomputed (?:Red|Amber)", regex=True)
    parts, rows = [], []
    if (named & ~printed).any():
        n = int((named & ~printed).sum())
        found = why[named & ~printed].str.findall(r"desired level in the report, line (\d+)")
        lines = {line for found_lines in found for line in found_lines}
        which = f"the {len(lines)} indicators" if len(lines) != n else "the indicators"
        parts.append(
            f"{n} KPI{'' if n == 1 else 's'} matching {which} the report names below "
            "the desired level"
        )
        rows.append(q.off_track[named & ~printed])
    if (recomputed & ~printed & ~named).any():
        n = int((recomputed & ~printed & ~named).sum())
        parts.append(
            f"{n} KPI{'' if n == 1 else 's'} recomputed below target although not printed Red "
            "or Amber"
        )
        rows.append(q.off_track[recomputed & ~printed & ~named])
    if not parts:
        return withhold(base, "every listed KPI is printed Red or Amber")
    listed = pd.concat(rows)
    judged = q.rag.drop_duplicates("kpi_id").set_index("kpi_id")
    places = [
        where(judged.at[k, "source_file"], judged.at[k, "source_line"])
        for k in listed["kpi_id"]
        if k in judged.index
    ]
    return checked(
        Statement(
            **{
                **asdict(base),
                "text": "The off-track list below also holds " + " and ".join(parts) + ".",
                "verdict": str(len(listed)),
                "rule": "listed because: " + "; ".join(dict.fromkeys(listed["listed_because"])),
                "figures": _join(*(f"{k}" for k in listed["kpi_id"])),
                "periods": q.period,
                "sources": _join(*places),
            }
        )
    )


def forecast_statement(
    q: Quarterly,
    r: dict,
    period: str,
    place: str,
    units: dict[str, str],
    decimals: dict[str, int],
) -> Statement:
    k = r["kpi_id"]
    base = Statement("forecast", k, period, "off_track", "", "", "", "", "", "", "")
    if pr.is_missing(r.get("forecast_at_horizon")):
        why = pr.text(r.get("forecast_note")) or "no forecast goes on from the figure shown"
        return withhold(base, why)
    h = q.histories.get(k)
    h = h[h["value"].notna()] if h is not None else None
    n = 0 if h is None else len(h)
    fc = q.forecasts.get(k)
    end = "" if fc is None else pr.quarter(fc.mean.index[-1])
    rng = (
        f" (80% range {_num(r['lower80'], k, units, decimals)} to "
        f"{_num(r['upper80'], k, units, decimals)})"
        if not pr.is_missing(r.get("lower80"))
        else ""
    )
    chance = (
        f"; chance of meeting target {pr.probability(r['p_meet_target'])}"
        if not pr.is_missing(r.get("p_meet_target"))
        else ""
    )
    text = (
        f"Forecast for {end or 'the end of the horizon'}: "
        f"{_num(r['forecast_at_horizon'], k, units, decimals)}{rng}{chance}."
    )
    periods = (
        "" if not n else f"{pr.quarter(h['period'].iloc[0])} to {pr.quarter(h['period'].iloc[-1])}"
    )
    return checked(
        Statement(
            "forecast",
            k,
            period,
            "off_track",
            text,
            _fmt(r["forecast_at_horizon"]),
            _join(
                f"model {pr.text(r.get('model'))}",
                "80% prediction interval",
                "short history" if r.get("insufficient_history") else None,
            ),
            _join(f"{n} points", f"latest {_fmt(r['value'])}"),
            periods,
            "",
            place,
        )
    )


def nothing_off_track(q: Quarterly) -> Statement:
    """What an empty off-track list means, said only where statuses or targets were read and
    none is red or amber, printed or recomputed (quarterly.off_track_note words it)."""
    base = Statement("off_track", "", "none", "off_track", "", "", "", "", "", "", "")
    if q.rag.empty:
        return withhold(base, "no KPI table was read for this quarter")
    printed = q.rag["reported_rag"].fillna("").astype(str)
    computed = q.rag["computed_rag"].fillna("").astype(str)
    below = computed.isin(["Red", "Amber"]) | printed.isin(["Red", "Amber"])
    if below.any():
        return withhold(base, f"{int(below.sum())} rows are red or amber, printed or recomputed")
    text = str(getattr(q, "off_track_note", "") or "No KPI is red or amber this quarter.")
    return checked(
        Statement(
            **{
                **asdict(base),
                "text": text,
                "verdict": "none",
                "rule": "no printed or recomputed Red or Amber status, no indicator named below "
                "the desired level",
                "figures": f"{int(printed.ne('').sum())} printed statuses, "
                f"{int(computed.ne('').sum())} recomputed, none Red or Amber",
                "periods": q.period,
                "sources": _rows_span(q.rows),
            }
        )
    )


def mover_statements(
    q: Quarterly, obs: pd.DataFrame, units: dict[str, str], decimals: dict[str, int]
) -> list[Statement]:
    """A mover names both figures, their periods and basis, and where each was printed; a
    previous figure that cannot be traced is not compared."""
    out = []
    for r in q.movers.to_dict("records"):
        k = r["kpi_id"]
        latest_at = figure_source(obs, k, r["latest_period"], r["latest"])
        prev_at, quote = split_prose(pr.text(r.get("previous_source")))
        prev_at = prev_at or figure_source(obs, k, r["previous_period"], r["previous"])
        trend = pr.trend_word(r)
        text = (
            f"{r['metric_name']}: {_num(r['previous'], k, units, decimals)} in "
            f"{pr.quarter(r['previous_period'])} to {_num(r['latest'], k, units, decimals)} in "
            f"{pr.quarter(r['latest_period'])}, {pr.change(r)}"
            + (f" ({trend})" if trend else "")
            + "."
        )
        s = Statement(
            "mover",
            k,
            ROW_KEYS["mover"](r),
            "movers",
            text,
            trend,
            _join(
                pr.text(r.get("comparable_because")) or "same KPI, same basis",
                pr.text(r.get("reason")),
            ),
            f"previous {_fmt(r['previous'])}"
            + (f" (the commentary: “{quote}”)" if quote else "")
            + f"; latest {_fmt(r['latest'])}",
            f"{r['previous_period']} -> {r['latest_period']}",
            pr.text(r.get("value_basis")),
            _join(prev_at, latest_at),
        )
        if not prev_at or not latest_at:
            s = withhold(
                s,
                "the " + ("previous" if not prev_at else "latest") + " figure's source is unknown",
            )
        out.append(checked(s))
    return out


def claim_statements(q: Quarterly, obs: pd.DataFrame) -> list[Statement]:
    """Claims that do not check out are shown with both figures and places; the others are
    recorded (not checkable, other date, restated) but the page does not list them one by one."""
    out = []
    for r in q.claims.to_dict("records"):
        k = r["kpi_id"]
        status = pr.text(r.get("status"))
        s = Statement(
            "claim",
            k,
            ROW_KEYS["claim"](r),
            "claims_unchecked",
            f"“{pr.text(r.get('claim_text'))}” in the commentary: {pr.text(r.get('reason'))}.",
            status,
            f"claim compared with the table figure ({status})",
            _join(
                f"claimed {_fmt(r.get('claimed_value'))}",
                f"table {_fmt(r.get('compared_value'))}"
                if not pr.is_missing(r.get("compared_value"))
                else None,
            ),
            "",
            "",
            where(r.get("source_file"), r.get("source_line")),
        )
        if status not in ("contradicted", "restated", "other date"):
            s = withhold(s, f"{status}: not listed on the page")
        out.append(checked(s))
    return out


def claims_summary(q: Quarterly) -> Statement:
    """How many quoted figures the page does not list, and why."""
    unchecked = q.claims[q.claims["status"] == "not checkable"]
    base = Statement("claim", "", "summary", "claims_unchecked", "", "", "", "", "", "", "")
    if unchecked.empty:
        return withhold(base, "every quoted figure was paired with a table figure")
    n = len(unchecked)
    return checked(
        Statement(
            **{
                **asdict(base),
                "text": (
                    f"{n} further quoted figure{'' if n == 1 else 's'} could not be paired with "
                    "any figure in the tables (benchmarks, counts and figures from other "
                    f"sources) and {'is' if n == 1 else 'are'} not listed."
                ),
                "verdict": "not checkable",
                "rule": "a quoted figure matching no held figure of its KPI is not judged",
                "figures": f"{n} not checkable",
                "periods": q.period,
                "sources": _places(unchecked),
            }
        )
    )


def headline_history_statement(data: Store) -> tuple[Statement, pd.DataFrame]:
    """For a quarter that printed only its headline: the headline over the reports so far,
    and the change in the share green between the last two, said only as the figures allow
    (two headlines counted differently are named as such)."""
    rows = []
    for label in sorted(data.reports["report_period"].unique()):
        s = data.summary(label).set_index("measure")
        rep = s["reported"] if "reported" in s else pd.Series(dtype=float)
        com = s["computed"] if "computed" in s else pd.Series(dtype=float)
        src = rep if rep.notna().any() else com
        reps = data.reports[data.reports["report_period"] == label]
        line = reps["headline_line"].dropna()
        place = (
            where(reps["file"].iloc[0], line.iloc[0])
            if len(line) and rep.notna().any()
            else (str(reps["file"].iloc[0]) if len(reps) else "")
        )
        rows.append(
            {
                "report_period": label,
                "basis": "printed" if rep.notna().any() else "counted from the tables",
                **{k: src.get(k) for k in ("rated", "green", "amber", "red", "pct_green")},
                "source": place,
            }
        )
    df = pd.DataFrame(rows)
    df = df[pd.to_numeric(df["rated"], errors="coerce").fillna(0) > 0].reset_index(drop=True)
    base = Statement("headline", "", "history", "headline", "", "", "", "", "", "", "")
    if len(df) < 2 or df["pct_green"].notna().sum() < 2:
        return withhold(base, "fewer than two headlines to compare"), df
    last, prev = df.iloc[-1], df.iloc[-2]
    change = float(last["pct_green"]) - float(prev["pct_green"])
    text = (
        f"The share of rated KPIs meeting target was {float(last['pct_green']):.1f}% in "
        f"{last['report_period']}, {abs(change):.1f} points "
        f"{'higher' if change >= 0 else 'lower'} than in {prev['report_period']} "
        f"({float(prev['pct_green']):.1f}%)."
    )
    rule = "change in the share of rated KPIs that are green"
    if last["basis"] != prev["basis"]:
        text = (
            f"The share of rated KPIs meeting target was {float(last['pct_green']):.1f}% in "
            f"{last['report_period']} ({last['basis']}) and {float(prev['pct_green']):.1f}% in "
            f"{prev['report_period']} ({prev['basis']}): the two are not counted the same way, "
            "so no change is given."
        )
        rule = "headlines counted differently are not compared as a change"
    s = Statement(
        **{
            **asdict(base),
            "text": text,
            "verdict": f"{change:+.1f} pts" if last["basis"] == prev["basis"] else "",
            "rule": rule,
            "figures": f"{float(prev['pct_green']):g}% -> {float(last['pct_green']):g}%",
            "periods": f"{prev['report_period']} -> {last['report_period']}",
            "bases": f"{prev['basis']} -> {last['basis']}",
            "sources": _join(prev["source"], last["source"]),
        }
    )
    return checked(s), df


def directors_statements(
    q: Quarterly, units: dict[str, str], decimals: dict[str, int]
) -> list[Statement]:
    """An executive director's sentence that says something is below (or on) target, quoted,
    with the KPI it names and that KPI's last known figure and printed status beside it; the
    figure is the latest the reports up to this quarter printed, with its period and place."""
    out = []
    for r in q.directors.to_dict("records"):
        k = r["kpi_id"]
        last = ""
        if k and not pr.is_missing(r["last_value"]):
            rag = f", printed {r['last_rag']}" if r["last_rag"] else ""
            last = (
                f" {r['metric_name']}: last figure {_num(r['last_value'], k, units, decimals)} "
                f"({pr.quarter(r['last_period'])}{rag})."
            )
        out.append(
            checked(
                Statement(
                    "directors",
                    k,
                    f"{r['source_line']}|{r['sentence'][:40]}",
                    "directors",
                    f"{r['director']}: “{r['sentence']}”{last}",
                    r["stance"],
                    f"the sentence's main clause says “{r['cue']}”"
                    + (f"; it names the KPI {k}" if k else "; it names no catalogued KPI"),
                    f"last {_fmt(r['last_value'])} ({r['last_period']})" if last else "",
                    q.period + (f"; last figure {r['last_period']}" if last else ""),
                    "",
                    _join(
                        where(r["source_file"], r["source_line"]), r["last_source"] if last else ""
                    ),
                )
            )
        )
    return out


def commentary_statements(q: Quarterly) -> list[Statement]:
    """A commentary block shown under a KPI is the council's text, placed there because it lies
    in that KPI's section of the report; a block about several off-track KPIs is one statement
    about the group."""
    out = []
    com = q.commentary
    group = com["kpis"] if "kpis" in com.columns else com["kpi_id"]
    com = com.assign(kpis=group).drop_duplicates(["kpis", "source_line", "kind", "text"])
    for r in com.to_dict("records"):
        out.append(
            checked(
                Statement(
                    "commentary",
                    str(r["kpis"]),
                    str(r.get("source_line", "")),
                    "commentary",
                    pr.text(r.get("text")),
                    pr.comment_kind(r.get("kind")),
                    f"block in the report's section “{pr.text(r.get('heading'))}”",
                    "",
                    q.period,
                    "",
                    where(r.get("source_file"), r.get("source_line")),
                )
            )
        )
    return out


def build(
    q: Quarterly, data: Store, units: dict[str, str], decimals: dict[str, int]
) -> pd.DataFrame:
    """Every derived statement of the quarterly paper, with its evidence (as known at the
    report date: figures are traced in the store as it stood then)."""
    known = data.as_of(q.period)
    obs = known.observations
    statements = [
        *headline_statements(q, data.reports),
        *status_statements(q),
        *off_track_statements(q, units, decimals),
        *mover_statements(q, obs, units, decimals),
        *claim_statements(q, obs),
        claims_summary(q),
        *commentary_statements(q),
        *directors_statements(q, units, decimals),
    ]
    if q.rows.empty:
        statements.append(headline_history_statement(known)[0])
    return frame(statements)


def shown(st: pd.DataFrame, family: str) -> pd.DataFrame:
    return st[(st["family"] == family) & st["shown"].astype(bool)]


def ids(st: pd.DataFrame, family: str) -> dict[tuple[str, str], str]:
    """(kpi_id, key) -> statement id of the shown statements of a family."""
    got = shown(st, family)
    return dict(zip(zip(got["kpi_id"], got["key"], strict=True), got["statement_id"], strict=True))


def tie(rows: pd.DataFrame, st: pd.DataFrame, family: str) -> pd.DataFrame:
    """`rows` of a published table with the id of the shown statement each words
    (`statement_id`, "" where none is shown: such a row says nothing derived on the page)."""
    said = ids(st, family)
    key = ROW_KEYS[family]
    sid = [said.get((r["kpi_id"], key(r)), "") for r in rows.to_dict("records")]
    return rows.assign(statement_id=pd.Series(sid, index=rows.index, dtype=object))


def one(st: pd.DataFrame, family: str, key: str) -> pd.Series | None:
    """The shown page-level statement (no KPI) of a family with this key, if any."""
    got = shown(st, family)
    got = got[(got["kpi_id"] == "") & (got["key"] == key)]
    return None if got.empty else got.iloc[0]


# --- the deep dive ---------------------------------------------------------------------------
def _point_source(d: DeepDive, period: object) -> str:
    """Where the current figure of a period was printed."""
    h = d.history[d.history["period"].astype(str) == str(period)]
    if h.empty:
        return ""
    r = h.iloc[-1]
    return where(r["source_file"], r["source_line"], r.get("source_page"))


def _dive_num(d: DeepDive, x: object, dec: int) -> str:
    return "" if pr.is_missing(x) else pr.number(x, dec, d.unit)


def dive_trend(d: DeepDive, dec: int) -> Statement:
    t = d.trend.iloc[0].to_dict()
    base = Statement("trend", d.kpi_id, "trend", "trend", "", "", "", "", "", "", "")
    if pr.is_missing(t.get("latest")):
        return withhold(base, pr.reason(t.get("reason")) or "too few points")
    text = f"Latest {_dive_num(d, t['latest'], dec)} ({pr.quarter(t['latest_period'])})"
    figures = f"latest {_fmt(t['latest'])}"
    periods = str(t["latest_period"])
    places = [_point_source(d, t["latest_period"])]
    if not pr.is_missing(t.get("previous")):
        text += (
            f", previously {_dive_num(d, t['previous'], dec)} "
            f"({pr.quarter(t['previous_period'])}), a change of {pr.change(t)}"
        )
        figures += f"; previous {_fmt(t['previous'])}"
        periods = f"{t['previous_period']} -> {t['latest_period']}"
        prev_at, quote = split_prose(pr.text(t.get("previous_source")))
        places.insert(0, prev_at or _point_source(d, t["previous_period"]))
        if quote:
            figures += f" (the commentary: “{quote}”)"
    text += f". Trend: {pr.reason(t.get('reason'))}"
    word = pr.trend_word(t)
    if word and not pr.reason(t.get("reason")).startswith(word):
        text += f" ({word})"
    s = Statement(
        "trend",
        d.kpi_id,
        "trend",
        "trend",
        text + ".",
        word,
        _join(pr.text(t.get("comparable_because")), pr.text(t.get("reason"))),
        figures,
        periods,
        pr.text(t.get("basis")),
        _join(*places),
    )
    if not all(places):
        s = withhold(s, "a compared figure's source is unknown")
    return checked(s)


def dive_method(fc: ForecastResult) -> str:
    """The forecast's method in a reader's words (not its code, "theta+arima110+ar1"), and
    what a short history's ranges rest on: said by the deep dive's sentence and chart alike."""
    short = (
        " (short history: ranges from how far such forecasts missed on other series)"
        if fc.insufficient_history
        else ""
    )
    return method_words(fc.model) + short


def dive_forecast(d: DeepDive, dec: int) -> Statement:
    base = Statement("forecast", d.kpi_id, "forecast", "forecast", "", "", "", "", "", "", "")
    fc = d.forecast
    if fc is None:
        return withhold(base, d.forecast_note or "no quarterly series to forecast")
    table = d.forecast_table()
    last = table.iloc[-1]
    text = (
        f"Method: {dive_method(fc)}. Forecast for {last['period']}: "
        f"{_dive_num(d, last['mean'], dec)} "
        f"(80% range {_dive_num(d, last['lower'], dec)} to {_dive_num(d, last['upper'], dec)})."
    )
    if fc.p_meet_target is not None and fc.target is not None:
        text += (
            f" Chance of meeting the target of {_dive_num(d, fc.target, dec)} by the end of the "
            f"horizon: {pr.probability(fc.p_meet_target)}."
        )
    q = d.quarterly
    first, end = pr.quarter(q.index[0]), pr.quarter(q.index[-1])
    latest_at = _point_source(d, d.history.dropna(subset=["value"])["period"].iloc[-1])
    return checked(
        Statement(
            "forecast",
            d.kpi_id,
            "forecast",
            "forecast",
            text,
            _fmt(last["mean"]),
            _join(f"model {fc.model}", "80% and 95% prediction intervals"),
            _join(f"{len(q)} quarterly points", f"latest {_fmt(q.iloc[-1])}"),
            f"{first} to {end}",
            "",
            latest_at,
        )
    )


def dive_statuses(d: DeepDive) -> list[Statement]:
    out = []
    h = d.history.drop_duplicates("period", keep="last").set_index("period")
    for r in d.rag_history.to_dict("records"):
        computed = pr.text(r.get("computed_rag"))
        if not computed:
            continue
        p = str(r["period"])
        value = h.at[p, "value"] if p in h.index else None
        target = h.at[p, "target_text"] if p in h.index else ""
        out.append(
            checked(
                Statement(
                    "status",
                    d.kpi_id,
                    p,
                    "rag_history",
                    f"Recomputed {computed}: {pr.text(r.get('reason'))}.",
                    computed,
                    _join(pr.text(r.get("band"))) or "figure against its printed target",
                    _join(f"value {_fmt(value)}", f"target {pr.text(target)}"),
                    p,
                    "",
                    _point_source(d, p),
                )
            )
        )
    return out


def dive_commentary(d: DeepDive) -> list[Statement]:
    return [
        checked(
            Statement(
                "commentary",
                d.kpi_id,
                f"{r['report_period']}|{r['source_line']}",
                "commentary",
                pr.text(r.get("text")),
                pr.comment_kind(r.get("kind")),
                "block in the KPI's section of the report",
                "",
                str(r["report_period"]),
                "",
                where(r.get("source_file"), r.get("source_line")),
            )
        )
        for r in d.commentary.to_dict("records")
    ]


def build_dive(d: DeepDive, decimals: int) -> pd.DataFrame:
    """Every derived statement of a KPI deep dive, with its evidence."""
    return frame(
        [
            dive_trend(d, decimals),
            dive_forecast(d, decimals),
            *dive_statuses(d),
            *dive_commentary(d),
        ]
    )
