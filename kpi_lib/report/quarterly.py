"""The tables behind the quarterly report notebook, assembled from the store and the analysis
modules so that the notebook only calls and shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from kpi_lib.analysis.claims import check_claims
from kpi_lib.analysis.defaults import AMBER_TOLERANCE, FORECAST_HORIZON
from kpi_lib.analysis.directors import directors_view
from kpi_lib.analysis.forecast import ForecastResult, method_words
from kpi_lib.analysis.kpi import NO_SERIES, Kpi
from kpi_lib.analysis.period_notes import period_notes
from kpi_lib.analysis.rag import rag_summary, rag_table, scope_problem
from kpi_lib.analysis.rag_evidence import report_blocks, said_below_target
from kpi_lib.analysis.restatements import passed_over
from kpi_lib.analysis.said_moves import unless_said
from kpi_lib.analysis.stated_targets import stated_targets
from kpi_lib.analysis.trends import current_values, trend_table
from kpi_lib.periods import fiscal_to_period, parse_report_period, period_to_fiscal
from kpi_lib.store.headlines import MEASURES, NO_TABLES, coverage_note, explain, one_line
from kpi_lib.store.snapshot import Store

FLAG_ORDER = {"Red": 0, "Amber": 1, "Green": 2, "": 3}
# kept as a header even when nothing is off track, so the saved table is never a bare '""'
OFF_TRACK_COLUMNS = [
    "kpi_id",
    "metric_name",
    "value",
    "target_text",
    "reported_rag",
    "computed_rag",
    "model",
    "forecast_at_horizon",
    "lower80",
    "upper80",
    "p_meet_target",
    "insufficient_history",
    "forecast_note",  # why there is no forecast, or what a short-history one rests on
    "period_note",  # the span the figure covers, where the commentary says (period_notes)
    "value_text",  # as printed: "over 1.5 million" stays approximate on the page
    "listed_because",  # printed Red/Amber, recomputed below target, or named so by the report
    "target_of_later_year",  # "2020/21" where the printed target was set for a later year
    # where the table prints no target and the KPI's own commentary states one (target_text
    # then holds it): which line and words (analysis.stated_targets)
    "target_stated",
    # why the printed target cannot stand beside the figure as printed ("annual target vs
    # quarterly value: ..."), where kpi rag says so (analysis.rag.scope_problem)
    "target_not_comparable",
]


MOVER_COLUMNS = [
    "kpi_id",
    "metric_name",
    "value_basis",
    "previous_period",
    "previous",
    "latest_period",
    "latest",
    "change",
    "change_as",
    "change_pct",
    "direction",
    "reason",
    "previous_source",
    "comparable_because",
    "movement",
    "shape",
    "period_note",
    "previous_text",
    "latest_text",
]


@dataclass
class Quarterly:
    period: str
    rows: pd.DataFrame  # this report's observations (sections filtered)
    headline: pd.DataFrame  # printed headline beside the one from extracted and recomputed RAG
    rag: pd.DataFrame  # per KPI row: reported vs recomputed with the reason
    disagreements: pd.DataFrame
    movers: pd.DataFrame
    off_track: pd.DataFrame  # red/amber KPIs with forecast and P(meet target)
    claims: pd.DataFrame  # claims that do not check out
    commentary: pd.DataFrame  # commentary of the off-track KPIs
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    # figures of this report that later reports revised: shown, never used (every other table
    # is as known at the time, so it alone changes as later quarters are ingested)
    revised_later: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecasts: dict[str, ForecastResult] = field(default_factory=dict)  # off-track, for charts
    # the executive directors' sentences that say what is below or on target (analysis.directors)
    directors: pd.DataFrame = field(default_factory=pd.DataFrame)
    # KPIs the report says it covers (None if unsaid), its sections without a KPI table
    coverage: tuple[int | None, list[str]] = (None, [])
    off_track_note: str = ""  # what an empty off-track table means, as far as it is true


def build(
    period: str,
    amber_tolerance: float = AMBER_TOLERANCE,
    forecast_horizon: int = FORECAST_HORIZON,
    sections: list[str] | None = None,
    snapshot: Store | None = None,
) -> Quarterly:
    """Everything the quarterly report shows for one report period, from one read of the store
    and the catalogue (`snapshot`, loaded here when not given), so the notebook only shows.

    As known at the time: every table uses only the reports up to `period`, each figure as it
    stood then (Store.as_of), so the report re-run after later quarters are ingested is the
    same; later revisions of its figures are listed in `revised_later`, never used."""
    full = Store.load() if snapshot is None else snapshot
    label = parse_report_period(period).label
    data = full.as_of(label)
    obs = data.observations
    rows = obs[obs["report_period"] == label]
    if sections:
        wanted = {s.casefold() for s in sections}
        rows = rows[rows["section"].str.casefold().isin(wanted)]
    ids = set(rows["kpi_id"])
    rows = rows.assign(period_note=period_notes(rows, data.commentary))
    keys = zip(rows["kpi_id"], rows["period"], rows["period_note"], strict=True)
    notes = {(k, p): n for k, p, n in keys}

    rag = rag_table(
        obs,
        amber_tolerance,
        report_period=label,
        commentary=data.commentary,
        catalog=data.catalog,
        council=data.council,
    )
    rag = rag[rag["kpi_id"].isin(ids)].reset_index(drop=True)
    summ = rag_summary(rag)
    printed = data.summary(label).set_index("measure")["reported"]
    coverage = coverage_of(data, label)
    headline = explained_headline(summ.headline, printed.to_dict(), rag, coverage)

    trends = trend_table(obs, commentary=data.commentary, catalog=data.catalog)
    # no change from an older figure where the council's own words compare with a newer one
    skipped = passed_over(trends[trends["kpi_id"].isin(ids)], data.commentary, label)
    movers = movers_of(trends[~trends["kpi_id"].isin(skipped.index)], ids)
    movers = unless_said(movers, data.commentary, label)
    movers["period_note"] = [
        notes.get((k, p), "")
        for k, p in zip(movers["kpi_id"], movers["latest_period"], strict=True)
    ]

    flagged = off_track_rows(catalogued_polarity(rag, data), data.named, label, data.commentary)
    untargeted = [
        str(r["kpi_id"]) for _, r in flagged.iterrows() if not str(r["target_text"] or "").strip()
    ]
    stated = stated_targets(data.commentary, label, untargeted, data.catalog)
    off = []
    histories: dict[str, pd.DataFrame] = {}
    forecasts: dict[str, ForecastResult] = {}
    for _, r in flagged.iterrows():
        kpi = Kpi(data, r["kpi_id"])
        fc, note = forecast_for_row(kpi, r, forecast_horizon)
        off.append(
            (
                r["kpi_id"],
                r["metric_name"],
                r["value"],
                stated[r["kpi_id"]].text if r["kpi_id"] in stated else r["target_text"],
                r["reported_rag"],
                r["computed_rag"],
                None if fc is None else fc.model,
                None if fc is None else float(fc.mean.iloc[-1]),
                None if fc is None else float(fc.lower.iloc[-1]),
                None if fc is None else float(fc.upper.iloc[-1]),
                None if fc is None else fc.p_meet_target,
                None if fc is None else fc.insufficient_history,
                note,
                notes.get((r["kpi_id"], r["period"]), ""),
                printed.get((r["kpi_id"], r["period"]), ""),
                r["listed_because"],
                _later_year(r),
                stated[r["kpi_id"]].where() if r["kpi_id"] in stated else "",
                _scope_problem(rows, r),
            )
        )
        histories[r["kpi_id"]] = kpi.history()
        if fc is not None:
            forecasts[r["kpi_id"]] = fc
    off_track = pd.DataFrame(off, columns=OFF_TRACK_COLUMNS)

    # the commentary of this report's KPIs: a sentence in it about a variant the report does
    # not tabulate ("with SEND") is listed under the variant, not dropped
    own = data.commentary[data.commentary["kpi_id"].isin(ids)]
    claims = check_claims(own, obs, label, data.catalog)
    claims = claims[claims["status"] != "matched"]
    claims = claims.sort_values(["status", "kpi_id", "source_line"]).reset_index(drop=True)

    com = off_track_commentary(data.commentary, label, list(flagged["kpi_id"]))

    units = dict(zip(rows["kpi_id"], rows["unit"].fillna(""), strict=True))
    return Quarterly(
        period=label,
        rows=rows.reset_index(drop=True),
        headline=headline,
        rag=rag,
        disagreements=summ.disagreements.reset_index(drop=True),
        movers=movers,
        off_track=off_track,
        claims=claims,
        commentary=com.reset_index(drop=True),
        histories=histories,
        units=units,
        revised_later=revised_later(full.observations, rows),
        forecasts=forecasts,
        directors=directors_view(data.commentary, obs, data.catalog, label),
        coverage=coverage,
        off_track_note=off_track_note(rag),
    )


def catalogued_polarity(rag: pd.DataFrame, data: Store) -> pd.DataFrame:
    """Rows whose report prints no polarity (prose reports, councils without a "Good is"
    column) take the catalogue's, so "below target" in their commentary can be read; a printed
    polarity is kept."""
    printed = rag["polarity"].fillna("").astype(str)
    known = [
        p if p else getattr(data.entry(k), "polarity", "") or ""
        for k, p in zip(rag["kpi_id"], printed, strict=True)
    ]
    return rag.assign(polarity=known)


def _scope_problem(rows: pd.DataFrame, r: pd.Series) -> str:
    """analysis.rag.scope_problem of the report's own row for an off-track entry."""
    mine = rows[(rows["kpi_id"] == r["kpi_id"]) & (rows["period"] == r["period"])]
    return scope_problem(mine.iloc[0]) if len(mine) else ""


def off_track_rows(
    rag: pd.DataFrame, named: pd.DataFrame, label: str, commentary: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The report's KPIs that are off track on any evidence, each with `listed_because`: the
    status it prints (Red or Amber), the recomputed one where the printed target is missed
    (unless the miss rests on pro-rating a total the council prints Green with its own glyph),
    the report's own list of indicators below the desired level, and its commentary saying a
    KPI is below its target. One row per KPI, worst first."""
    rag = rag.copy()
    said = _said_below(rag, commentary, label)
    rag["listed_because"] = [
        "; ".join(_why_listed(r, named, label) + said.get(str(r["kpi_id"]), []))
        for _, r in rag.iterrows()
    ]
    flagged = rag[rag["listed_because"] != ""].copy()
    worst = [
        min(FLAG_ORDER.get(r["reported_rag"], 3), FLAG_ORDER.get(r["computed_rag"], 3))
        for _, r in flagged.iterrows()
    ]
    flagged["order"] = worst
    return flagged.sort_values(["order", "kpi_id"], kind="stable").drop_duplicates("kpi_id")


def _why_listed(r: pd.Series, named: pd.DataFrame, label: str) -> list[str]:
    why = []
    printed = str(r["reported_rag"])
    source = str(r.get("reported_rag_from", "") or "")
    if printed in ("Red", "Amber"):
        why.append(f"printed {printed}" + (f" ({source})" if "look-alike" in source else ""))
    computed = str(r["computed_rag"])
    if computed in ("Red", "Amber") and computed != printed and _recomputed_counts(r):
        why.append(f"recomputed {computed}: {_against(r)}")
    said = re.search(r"commentary rates it (Red|Amber) \(block from line (\d+)", str(r["reason"]))
    if said and printed not in ("Red", "Amber"):
        why.append(f"rated {said[1]} in the report's commentary, block from line {said[2]}")
    for line, fits in _named_lines(named, label, str(r["kpi_id"])):
        also = f" (the name fits {fits} indicators)" if fits > 1 else ""
        why.append(f"named below the desired level in the report, line {line}{also}")
    return why


def _said_below(
    rag: pd.DataFrame, commentary: pd.DataFrame | None, label: str
) -> dict[str, list[str]]:
    """kpi_id -> ["said below target in the report's commentary, block from line N: “…”"] for
    each KPI whose own commentary says it is below its target."""
    if commentary is None or commentary.empty or rag.empty:
        return {}
    com = report_blocks(commentary, label)
    values = pd.to_numeric(rag["value"], errors="coerce")
    out: dict[str, list[str]] = {}
    for (_, r), value in zip(rag.iterrows(), values, strict=True):
        kpi = str(r["kpi_id"])
        own = {round(float(value), 6)} if pd.notna(value) else set()
        others = {
            round(float(v), 6)
            for k, v in zip(rag["kpi_id"], values, strict=True)
            if k != kpi and pd.notna(v)
        }
        found = said_below_target(
            com[com["kpi_id"] == kpi], str(r["metric_name"]), str(r["polarity"]), own, others
        )
        if found is not None:
            where = f", block from line {found.source_line}" if found.source_line else ""
            out.setdefault(kpi, []).append(
                f"said below target in the report's commentary{where}: “{found.sentence}”"
            )
    return out


def _later_year(r: pd.Series) -> str:
    """The year a target not used was set for ("2020/21"), so it is shown labelled."""
    later = str(r.get("reason", "")).startswith("target set for ")
    return str(r.get("target_for", "") or "") if later else ""


def _recomputed_counts(r: pd.Series) -> bool:
    """Does a recomputed miss list the KPI? Yes where the figure misses the target as it
    stands, or the printed status is missing or read from an OCR look-alike; not where the
    miss rests only on pro-rating a year's total the council prints Green with its own glyph
    (the quarter's share of a year is an assumption, its glyph is not)."""
    source = str(r.get("reported_rag_from", "") or "")
    if not r["reported_rag"] or "look-alike" in source:
        return True
    return "pro-rated" not in str(r["reason"])


def _against(r: pd.Series) -> str:
    """ "70.4 against 72.6 (Good is High)", from the judged figure and the target it met."""
    reason = str(r["reason"]).split(";")[0]
    pol = f" (Good is {r['polarity']})" if r.get("polarity") else ""
    return f"{reason}{pol}"


def _named_lines(named: pd.DataFrame, label: str, kpi_id: str) -> list[tuple[int, int]]:
    """(line, how many KPIs the bullet's name fits) of each bullet naming `kpi_id`."""
    if named is None or named.empty:
        return []
    mine = named[named["report_period"] == label]
    out = []
    for line in mine.loc[mine["kpi_id"] == kpi_id, "source_line"].dropna().astype(int):
        out.append((int(line), int((mine["source_line"] == line).sum())))
    return sorted(set(out))


def off_track_note(q_rag: pd.DataFrame) -> str:
    """What an empty off-track table means, said only as far as it is true."""
    marked = int(q_rag["reported_rag"].isin(["Green", "Amber", "Red"]).sum()) if len(q_rag) else 0
    judged = int(q_rag["computed_rag"].isin(["Green", "Amber", "Red"]).sum()) if len(q_rag) else 0
    if not marked and not judged:
        return (
            "No KPI can be shown off track: this report marks no statuses, none could be "
            "recomputed from its targets, and it names no indicator below the desired level."
        )
    return (
        "No KPI is printed Red or Amber, none is recomputed below its target, and the report "
        "names no indicator below the desired level."
    )


def printed_texts(obs: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Each current figure's text as printed, by (kpi_id, period): the page keeps the word
    that made it approximate ("over 1.5 million")."""
    cur = current_values(obs)
    if "value_text" not in cur:
        return {}
    texts = cur["value_text"].fillna("").astype(str)
    return dict(zip(zip(cur["kpi_id"], cur["period"], strict=True), texts, strict=True))


def forecast_for_row(kpi: Kpi, row: pd.Series, horizon: int) -> tuple[ForecastResult | None, str]:
    """The forecast an off-track row gets, or None and why: none without a quarterly series or
    against a target still to be set (Kpi.why_no_forecast), none whose figures the printed
    target cannot be compared with (one quarter's days against a year's), none that would go on
    from an older figure than the one shown."""
    fc = kpi.forecast_or_none(horizon)
    if fc is None:
        return None, kpi.why_no_forecast() or NO_SERIES
    if fc.target_mismatch:  # a quarter's figure beside a year's (or five years') target
        return None, (
            f"No forecast: the {fc.target_mismatch[0].lower()}{fc.target_mismatch[1:]}, so a "
            "forecast of those figures says nothing about meeting it."
        )
    shown = fiscal_to_period(str(row["period"]))
    if fc.mean.index[0] - 1 != shown:
        last = period_to_fiscal(fc.mean.index[0] - 1)
        shown_as = f"({row['period']})" if str(row["period"] or "").strip() else "(no period)"
        return None, (
            f"No forecast: the quarterly series ends in {last}, not at the figure shown {shown_as}."
        )
    return fc, short_history_note(fc)


def short_history_note(fc: ForecastResult) -> str:
    """What a short-history forecast rests on, said beside it: the combination in words
    (kpi_lib.analysis.forecast.method_words), a range from how far such short
    forecasts missed on other series (or, from one figure, a rule of thumb), and that the
    chance of meeting the target is not estimated (too few figures to rest one on): "no
    chance" would read as a chance of nil."""
    if not fc.insufficient_history:
        return ""
    if fc.n_obs == 1:
        return (
            "From 1 quarterly figure: the figure carried on, with a rule-of-thumb range "
            "(no change seen to measure one by); the chance of meeting the target is not estimated."
        )
    how = method_words(fc.model)
    missing = fc.n_span - fc.n_obs
    over = f" over {fc.n_span} quarters ({missing} without a figure)" if missing > 0 else ""
    return (
        f"From {fc.n_obs} quarterly figures{over}: {how}, with a range from how far such short "
        "forecasts missed on other series; the chance of meeting the target is not estimated "
        "(too few figures to rest one on)."
    )


def off_track_commentary(commentary: pd.DataFrame, label: str, ids: list[str]) -> pd.DataFrame:
    """The commentary blocks of the report on the off-track KPIs, a row per block and KPI, in
    print order; `kpis` names every off-track KPI one block is about, so a text shared by
    several is shown once for the group."""
    com = commentary[(commentary["report_period"] == label) & commentary["kpi_id"].isin(ids)]
    com = com.sort_values(["source_file", "source_page", "source_line", "kpi_id"])
    block = ["source_file", "source_page", "source_line", "kind", "text"]
    kpis = com.groupby(block, dropna=False, sort=False)["kpi_id"].transform(lambda s: "; ".join(s))
    com = com.assign(kpis=kpis)
    return com[["kpi_id", "heading", "kind", "text", "source_line", "kpis", "source_file"]]


def movers_of(trends: pd.DataFrame, ids: set[str], n: int = 10) -> pd.DataFrame:
    """The `n` KPIs of the report that moved most, each change between two figures on one basis
    (trend_table compares only like with like).

    Ranked by the size of the move: the per-cent change where it means something, the change in
    points for a percentage, and for a change across zero the change as a share of the larger
    of the two figures (a per-cent change there would be meaningless)."""
    movers = trends[trends["kpi_id"].isin(ids) & trends["change"].notna()].copy()
    if movers.empty:
        return pd.DataFrame(columns=MOVER_COLUMNS)
    pct_unit = movers["unit"].isin(["%", "percent"])
    scale = pd.concat([movers["previous"].abs(), movers["latest"].abs()], axis=1).max(axis=1)
    crossing = 100.0 * movers["change"].abs() / scale.where(scale > 0)
    movers["size"] = (
        movers["change_pct"]
        .abs()
        .where(
            movers["change_as"] == "per cent",
            movers["change"].abs().where(pct_unit, crossing),
        )
    )
    movers = movers.sort_values(["size", "kpi_id"], ascending=[False, True], na_position="last")
    return movers.head(n).reindex(columns=MOVER_COLUMNS).reset_index(drop=True)


REVISION_COLUMNS = ["kpi_id", "metric_name", "period", "value", "revised_value", "revised_in"]


def revised_later(observations: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Figures of a report (`rows`) that a later report printed differently, with the later
    figure and report: what an auditor sees changed since, kept apart from the analysis."""
    if rows.empty:
        return pd.DataFrame(columns=REVISION_COLUMNS)
    label = str(rows["report_period"].iloc[0])
    end = parse_report_period(label).start
    later = observations[
        observations["report_period"].map(lambda p: parse_report_period(p).start > end)
    ]
    mine = rows[rows["period"] != ""][["kpi_id", "metric_name", "period", "value"]]
    out = mine.merge(
        later[["kpi_id", "period", "value", "report_period"]].rename(
            columns={"value": "revised_value", "report_period": "revised_in"}
        ),
        on=["kpi_id", "period"],
    )
    same = (out["value"] - out["revised_value"]).abs() <= 1e-9
    out = out[~same].sort_values(["kpi_id", "period", "revised_in"], kind="stable")
    return out[REVISION_COLUMNS].reset_index(drop=True)


def coverage_of(data: Store, label: str) -> tuple[int | None, list[str]]:
    """How many KPIs the report for `label` says it covers (None if it does not say), and its
    sections with commentary but no KPI table, by heading."""
    reps = data.reports[data.reports["report_period"] == label]
    covered = None
    untabled: list[str] = []
    for _, rep in reps.iterrows():
        if covered is None and pd.notna(rep.get("kpis_covered")):
            covered = int(rep["kpis_covered"])
        text = rep.get("untabled_sections_text")
        if isinstance(text, str) and text and not untabled:
            untabled = [line.rsplit(" (", 1)[0] for line in text.split("\n")]
    return covered, untabled


def _whole(value: object) -> int | None:
    """A printed count as an int; None where nothing is printed."""
    try:
        return None if value is None or value != value else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def explained_headline(
    computed: pd.DataFrame,
    printed: dict[str, object],
    rag: pd.DataFrame,
    coverage: tuple[int | None, list[str]] = (None, []),
) -> pd.DataFrame:
    """The printed headline (when the report has one) above the ones counted from the rows, each
    with a `note`: a status the report does not mark is blank and said to be, never a bare 0%,
    a quarter without KPI tables says so, and the count from the rows says what it leaves out
    (the KPIs the report says it covers, its sections without a table: headlines.coverage_note).
    """
    covered, untabled = coverage
    left_out = coverage_note(covered, len(rag), untabled, _whole(printed.get("rated")))
    has_printed = any(v is not None and v == v for v in printed.values())
    rows = [{"source": "printed in the report", **printed, "note": ""}] if has_printed else []
    for rec in computed.to_dict("records"):
        rec["note"] = ""
        if rag.empty:
            rec.update(dict.fromkeys(MEASURES), note=NO_TABLES)
        elif rec["source"] == "reported":
            found = rag["reported_rag"].value_counts().to_dict()
            values, notes = explain(found, len(rag), printed if has_printed else None)
            rec.update(values, note="; ".join(n for n in (one_line(notes), left_out) if n))
        elif not rec["rated"]:
            rec["note"] = "no status could be computed from the printed targets"
        rows.append(rec)
    out = pd.DataFrame(rows, columns=["source", *MEASURES, "note"])
    return out.astype({m: "Float64" if m == "pct_green" else "Int64" for m in MEASURES})
