"""The observations table: one row per KPI figure, built from every file's extracted rows.

This is where cross-file facts are settled (the catalogue id, which version of a value is
current, the de-cumulated quarterly value); they are recomputed from the cached per-file results
on every run: cheap, and a catalogue edit never needs a re-parse.

An observation's period (see kpi_lib.periods): read from the value cell when it names one
(`Jan to Dec 2019 12.28 days per FTE` under a history column `Current (Q3)`), else from the
as-of text; a year is academic (September-August) for KPIs the catalogue marks `year_basis:
academic`. `period` is the label the figure is filed under, so one KPI's series lines up across
reports: a range ending on a quarter end (a rolling 12 months) is filed under that quarter,
with `period_type` "range" and `period_start`/`period_end` the real range; `as_of_text` and
`value_text` keep what was printed.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from kpi_lib.periods import Period, filing_label, parse_period, period_in_value
from kpi_lib.readers.narrative import figure_key
from kpi_lib.store import schemas
from kpi_lib.store.basis import basis_column, declared_accumulation, declared_basis
from kpi_lib.store.basis_evidence import rebased
from kpi_lib.store.inputs import Input
from kpi_lib.store.parquet import sort_rows
from kpi_lib.values import CUMULATIVE_CELL, polarity


def observations(inputs: list[Input], catalog: Any, resolve: Any) -> pd.DataFrame:
    """One row per extracted row of every file; `resolve` maps a printed KPI name to
    (kpi_id, catalogued)."""
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        for r in inp.result.rows:
            kpi_id, catalogued = resolve(r["metric_name"])
            entry = catalog.get(kpi_id) if catalogued else None
            r = settle_figure(r, entry)
            value = r["value"]
            p = observation_period(r, inp.period, entry)
            recs.append(
                {
                    "kpi_id": kpi_id,
                    "catalogued": catalogued,
                    "metric_name": r["metric_name"],
                    "section": r["section"] or "",
                    "heading": r["heading"] or "",
                    "ref": r["ref"] or "",
                    "report_period": inp.period.label,
                    "period": filing_label(p) if p.parsed else p.text,
                    "period_parsed": p.parsed,
                    "period_type": p.kind if p.parsed else "unknown",
                    "period_start": p.start,
                    "period_end": p.end,
                    "basis": "",
                    "provisional": p.provisional,
                    "as_of_text": r["as_of_text"] or "",
                    "value": float(value) if value is not None else math.nan,
                    "value_text": r["value_text"] or "",
                    "value_quarter": math.nan,
                    "unit": str(getattr(entry, "unit", "") or "") if entry else "",
                    "target_text": r["target_text"] or "",
                    "target_period": r.get("target_period") or "",
                    "polarity": polarity(r["good_is"]),
                    "rag": r["rag"] or "",
                    "rag_text": r.get("rag_text") or "",
                    "council": inp.council,
                    "source_file": inp.file,
                    "source_sha256": inp.result.sha256,
                    "source_page": r["source_page"],
                    "source_line": r["source_line"],
                    "reader": r["reader"] or "",
                    "is_current": False,
                    "revision_of_value": math.nan,
                    "revision_of_report": "",
                    "_report_start": inp.period.start,
                    "_accumulation": accumulation(entry, r["metric_name"]),
                    "_declared": declared_basis(entry, inp.period.start),
                }
            )
    if not recs:
        return schemas.empty("observations")
    df = pd.DataFrame(recs)
    df["_accumulation"] = declared_accumulation(df["_accumulation"], df["_declared"])
    df = _mark_versions(df)
    df = _quarter_values(df)
    df["basis"] = basis_column(df)
    df = rebased(df, *_commentary_lookups(inputs, catalog, resolve))
    df = df.drop(columns=[c for c in df.columns if c.startswith("_")])
    df = schemas.conform("observations", df)
    return sort_rows("observations", df)


def _commentary_lookups(inputs: list[Input], catalog: Any, resolve: Any) -> tuple[Any, Any, Any]:
    """What kpi_lib.store.basis_evidence.rebased reads: each report's commentary on a KPI, the
    KPI's names, and each text report's lines as ingest read them."""
    texts: dict[tuple[str, str], list[tuple[str, int | None]]] = {}
    for inp in inputs:
        assert inp.period is not None
        for c in inp.result.comments:
            for kpi_id in dict.fromkeys(resolve(m)[0] for m in c["metrics"]):
                key = (inp.period.label, kpi_id)
                texts.setdefault(key, []).append((c["text"], c["source_line"]))
    by_file = {inp.file: inp for inp in inputs}

    def lines_of(file: str) -> list[str] | None:
        inp = by_file.get(file)
        if inp is None or inp.data is None or inp.result.pdf:
            return None
        return inp.data.decode("utf-8-sig", errors="replace").splitlines()

    def names_of(kpi_id: str, metric_name: str) -> list[str]:
        entry = catalog.get(kpi_id) if catalog is not None and _known(catalog, kpi_id) else None
        extra = [entry.title, *entry.aliases] if entry is not None else []
        return [metric_name, *extra]

    return (lambda rp, k: texts.get((rp, k), [])), names_of, lines_of


def _known(catalog: Any, kpi_id: str) -> bool:
    try:
        catalog.get(kpi_id)
    except Exception:  # an uncatalogued ("new-") KPI
        return False
    return True


def settle_figure(row: dict[str, Any], entry: Any) -> dict[str, Any]:
    """A narrative row's figure by the catalogue: the reader stated, for every unit, which
    figure it would take (Row.figures); a catalogued KPI takes its own unit's (its annual
    cumulative figure where the catalogue says so), or none when the prose states none in that
    unit. Rows of other readers, and uncatalogued names, keep what the reader chose."""
    figures = row.get("figures") or {}
    if entry is None or not figures:
        return row
    cumulative = getattr(entry, "accumulation", "") == "annual cumulative"
    return row | figures.get(figure_key(entry.unit, cumulative), figures.get("", {}))


def observation_period(row: dict[str, Any], report: Period, entry: Any) -> Period:
    """The period a row's figure describes: the one its value cell names, else its as-of text,
    read with the KPI's year basis (academic years for education KPIs) and the report's quarter
    as context (a bare "Q2"), else, in a table that prints no as-of column, the report's
    quarter."""
    academic = entry.year_basis == "academic" if entry is not None else None
    if not row["as_of_text"] and row.get("undated"):
        column = report  # a table with no as-of column: its figures are the report's quarter's
    else:
        column = parse_period(row["as_of_text"] or "", context=report, academic=academic)
    if row["value"] is None:
        return column
    own = period_in_value(
        row["value_text"] or "", context=column if column.parsed else report, academic=academic
    )
    if own is None:
        return column
    if column.provisional and not own.provisional:
        own = Period(own.text, own.label, own.kind, own.start, own.end, True, True)
    return own


def accumulation(entry: Any, metric_name: str) -> str:
    """point | annual cumulative | rolling 12 months: the catalogue's, else read off the name."""
    if entry is not None and getattr(entry, "accumulation", ""):
        return str(entry.accumulation)
    return "annual cumulative" if "cumulative" in metric_name.lower() else "point"


def _mark_versions(df: pd.DataFrame) -> pd.DataFrame:
    """Per KPI and period, the row from the latest report is current; every row records the
    value it replaced when the report before it printed a different one.

    One sort and one pass over plain lists: per-group pandas work made this quadratic in the
    rows of a file (13,000 rows of junk took minutes)."""
    df = df.copy()
    # a row without a period is taken to be about its own report's quarter, never another's
    keys = [
        p if p != "" else "\x00" + rp
        for p, rp in zip(df["period"], df["report_period"], strict=True)
    ]
    kpis, reports = df["kpi_id"].tolist(), df["report_period"].tolist()
    starts = [d or date.min for d in df["_report_start"]]
    files = df["source_file"].tolist()
    lines = [-1 if v is None or pd.isna(v) else int(v) for v in df["source_line"]]
    values = df["value"].tolist()
    # grouped by (kpi, period) in order of first appearance, each group in report order
    first_seen: dict[tuple[str, str], int] = {}
    for i, k in enumerate(zip(kpis, keys, strict=True)):
        first_seen.setdefault(k, i)
    order = sorted(
        range(len(df)),
        key=lambda i: (
            first_seen[(kpis[i], keys[i])],
            starts[i],
            reports[i],
            files[i],
            lines[i],
            i,
        ),
    )
    current = df["is_current"].tolist()
    rev_value, rev_report = df["revision_of_value"].tolist(), df["revision_of_report"].tolist()
    start = 0
    while start < len(order):
        gkey = (kpis[order[start]], keys[order[start]])
        end = start
        while end < len(order) and (kpis[order[end]], keys[order[end]]) == gkey:
            end += 1
        group = order[start:end]
        first_of: dict[str, int] = {}  # each report's first row in the group
        for i in group:
            first_of.setdefault(reports[i], i)
        in_order = list(first_of)
        current[first_of[in_order[-1]]] = True
        previous = {rp: in_order[n - 1] for n, rp in enumerate(in_order) if n}
        for i in group:
            before_rp = previous.get(reports[i])
            if before_rp is None:
                continue
            before = values[first_of[before_rp]]
            if not _same(values[i], before):
                rev_value[i], rev_report[i] = before, before_rp
        start = end
    df["is_current"] = current
    df["revision_of_value"] = rev_value
    df["revision_of_report"] = rev_report
    return df


def _same(a: float, b: float) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return not (pd.isna(a) or pd.isna(b)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _quarter_values(df: pd.DataFrame) -> pd.DataFrame:
    """value_quarter: the quarter's own value.

    Point KPIs: the value itself. Annual cumulative KPIs: this quarter's running total minus
    the previous quarter's of the same financial year (Q1 is its own total); a report that
    prints each quarter's own figure with the running total beside it ("841,582 Cumulative
    2,638,886") gives it directly. Null where it cannot be derived: rolling 12-month figures,
    a missing previous quarter, a yearly period, a share or rate (not a sum). The previous
    quarter's total is the one known when the row was published, so a later revision never
    changes an earlier report's figure."""
    df = df.copy()
    df["value_quarter"] = df["value"].where(df["_accumulation"] == "point")
    df["_own_quarter"] = False
    cum = df[df["_accumulation"] == "annual cumulative"]
    if cum.empty:
        return df
    own_style = set()  # (kpi, file) printing quarters' own values
    running: dict[int, float] = {}
    for idx, row in cum.iterrows():
        m = CUMULATIVE_CELL.search(row["value_text"])
        if m:
            total = _number(m["n"])
            if total is not None and not _same(total, row["value"]):
                own_style.add((row["kpi_id"], row["source_file"]))
            running[idx] = total if total is not None else math.nan
        else:
            running[idx] = row["value"]
    totals: dict[tuple[str, str, str], float] = {}  # (kpi, period, file) -> running total
    # (kpi, period) -> [(report start, running total)]: the previous quarter's total as it was
    # published by the row's own report or an earlier one, never by a later revision
    published: dict[tuple[str, str], list[tuple[date, float]]] = {}
    for idx, row in cum.iterrows():
        if (row["kpi_id"], row["source_file"]) in own_style:
            if not CUMULATIVE_CELL.search(row["value_text"]):
                running[idx] = math.nan  # a quarter's own figure, not a running total
        totals[(row["kpi_id"], row["period"], row["source_file"])] = running[idx]
        when = row["_report_start"] or date.min
        published.setdefault((row["kpi_id"], row["period"]), []).append((when, running[idx]))
    for idx, row in cum.iterrows():
        if row["period_type"] != "fy_quarter" or _is_share(row.get("unit")):
            continue  # a share of the year so far (38.3% of checks offered) is no running total
        if (row["kpi_id"], row["source_file"]) in own_style:
            df.at[idx, "value_quarter"] = row["value"]
            df.at[idx, "_own_quarter"] = True
            continue
        q = int(row["period"][-1])
        if q == 1:
            df.at[idx, "value_quarter"] = running[idx]
            continue
        prev = f"{row['period'][:-1]}{q - 1}"
        before = totals.get((row["kpi_id"], prev, row["source_file"]))
        if before is None or pd.isna(before):
            when = row["_report_start"] or date.min
            known = [(d, v) for d, v in published.get((row["kpi_id"], prev), []) if d <= when]
            before = max(known, key=lambda dv: dv[0])[1] if known else None
        if before is not None and not pd.isna(before) and not pd.isna(running[idx]):
            df.at[idx, "value_quarter"] = running[idx] - before
    return df


def _is_share(unit: object) -> bool:
    """A percentage, rate, ratio or index: a year-to-date one is a level, not a sum."""
    u = "" if unit is None or pd.isna(unit) else str(unit).strip().lower()
    return u == "%" or u.startswith(("rate", "ratio", "index"))


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None
