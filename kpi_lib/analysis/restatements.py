"""Earlier figures restated in the commentary, read as observations of the report that prints
them.

A report's prose often gives an earlier figure again, sometimes revised: "improved to 58%
compared to the previous academic year of 57%" (the earlier table printed 56, provisional),
"it remains lower than in Q4 of 2021/22 (16.9)" (printed 16.3), "dropped since the last quarter
(68.1% to 54.5%)" (a quarter no table printed). The latest report known at a date is the best
word on a figure, so a comparison with the previous figure uses these restatements.

Read conservatively (a wrong previous figure is worse than none): the figures come from
kpi_lib.analysis.claims_extract (an earlier figure with its period, or the from-figure of a
change); one is taken as a restatement of a KPI only when
- the same sentence prints that KPI's own figure of the report (the anchor: "58%" beside "the
  previous academic year of 57%"), and no other KPI of the block has it;
- its period resolves without doubt against the KPI's own period (resolve_when);
- its unit fits the KPI's (a bare 3,371 is not a percentage);
- where a figure for the period is already held, it is near it (a revision, not another
  quantity).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_lib.analysis.claims import printed_decimals, same_figure, unit_of_row, units_compatible
from kpi_lib.analysis.claims_extract import Claim, extract_claims, figures_in, resolve_when
from kpi_lib.paths import project_root
from kpi_lib.periods import fy_quarter, parse_period, parse_report_period, period_key

NEAR = 0.15  # a restated figure differs from the one held by at most this share
PROSE_READER = "prose"

RESTATEMENT_COLUMNS = [
    "kpi_id",
    "period",
    "value",
    "decimals",
    "own_period",
    "report_period",
    "source_file",
    "source_line",
    "quote",
    "sentence",
    "printed_value",
    "printed_in",
]


def _report_start(label: str) -> object:
    return parse_report_period(str(label)).start


def _earlier_figure(claim: Claim) -> tuple[float, int, str, str] | None:
    """(value, decimals, unit, period words) of the earlier figure a claim prints, if any."""
    if claim.kind == "value" and claim.role == "earlier" and claim.period:
        return claim.value, claim.decimals, claim.unit, claim.period
    if claim.kind == "change" and claim.before is not None and claim.before_period:
        return claim.before, claim.before_decimals, claim.unit, claim.before_period
    return None


def _anchored(claim: Claim, own: pd.DataFrame) -> pd.Series | None:
    """The one KPI row of `own` (each KPI's own figure in the report) that the claim's
    sentence is about: a change whose to-figure is that figure, or a sentence that prints it
    beside the earlier one. None when no KPI, or more than one, fits."""
    if claim.kind == "change":
        found = [(claim.value, claim.decimals, claim.unit)]
    else:
        start = claim.text.find(claim.quote)
        end = start + len(claim.quote)
        found = [
            (v, d, u)
            for v, d, u, a, b in figures_in(claim.text)
            if start < 0 or b <= start or a >= end
        ]
    hits = []
    for _, row in own.iterrows():
        held, unit = float(row["value"]), unit_of_row(row)
        for v, d, u in found:
            if units_compatible(u, unit) and same_figure(v, d, held, printed_decimals(held)):
                hits.append(row)
                break
    return hits[0] if len(hits) == 1 else None


def _as_rolling_year(period: str, own: str, anchor: pd.Series) -> str:
    """A financial year quoted beside a rolling 12 months filed under a quarter ("13.86 ...
    compared to 10.76 in 2020/21") is the rolling year ending at that year's Q4: the same
    span, so a point of the KPI's own line."""
    if not period or str(anchor.get("basis", "")) != "rolling 12 months":
        return period
    p, o = parse_period(period), parse_period(own)
    if p.kind != "fy_year" or o.kind != "fy_quarter" or p.start is None:
        return period
    return fy_quarter(p.start.year, 4).label


def _same_kind(period: str, own: str) -> bool:
    """A restated period usable as a point of the own period's line: the same kind (a quarter
    with a quarter, an academic year with an academic year, months with as many months)."""
    p, o = parse_period(period), parse_period(own)
    if p.kind != o.kind or p.start is None or o.start is None or p.end is None or o.end is None:
        return False
    return p.kind != "range" or abs((p.end - p.start).days - (o.end - o.start).days) <= 3


def _unit_fits(claim_unit: str, kpi_unit: str, anchored_by_itself: bool) -> bool:
    """A percentage KPI wants a printed %, unless the figure is one end of a change whose
    other end is the KPI's own figure."""
    if kpi_unit == "%" and claim_unit != "%" and not anchored_by_itself:
        return False
    return units_compatible(claim_unit, kpi_unit)


def restatements(commentary: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Every earlier figure the commentary restates for a KPI (RESTATEMENT_COLUMNS), with the
    figure a table printed for that period before, if any (`printed_value`, `printed_in`)."""
    obs = observations.copy()
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
    if "reader" in obs.columns:
        obs = obs[obs["reader"] != PROSE_READER]
    obs = obs[obs["value"].notna()]
    out: list[dict[str, object]] = []
    key = ["report_period", "source_file", "source_line", "text"]
    for (report, source_file, line, text), grp in commentary.groupby(key, sort=True, dropna=False):
        own = _own_rows(obs, str(report), set(grp["kpi_id"].astype(str)))
        if own.empty:
            continue
        for claim in extract_claims(str(text)):
            row = _restatement(claim, own, obs, str(report))
            if row is not None:
                at = _line_of(source_file, claim.quote, line)
                row.update(source_file=source_file, source_line=at, report_period=report)
                out.append(row)
    df = pd.DataFrame(out, columns=RESTATEMENT_COLUMNS)
    return df.drop_duplicates(["kpi_id", "period", "report_period", "value"]).reset_index(drop=True)


def _line_of(source_file: object, quote: str, first: object) -> object:
    """The line of a text source a quote is printed on, searched from the block's first line
    (the block's text has lost its blank lines, so it cannot tell); the block's line when the
    file is not a text file here (a PDF's lines are per page)."""
    if pd.isna(first):
        return first
    path = project_root() / str(source_file)
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    lines = _text_lines(str(path), stamp)
    words = quote.split()
    if not lines or not words:
        return first
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    start = int(first) - 1
    text = "\n".join(lines[start : start + 200])
    m = pattern.search(text)
    return int(first) + text.count("\n", 0, m.start()) if m else first


@lru_cache(maxsize=16)
def _text_lines(source_file: str, stamp: int) -> tuple[str, ...]:
    """The file's lines (cached per path and modification time)."""
    path = Path(source_file)
    if path.suffix.lower() not in (".txt", ".md") or not path.is_file():
        return ()
    return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())


def _own_rows(obs: pd.DataFrame, report: str, kpis: set[str]) -> pd.DataFrame:
    """Each KPI's own figure in a report: its row for the latest period the report prints."""
    mine = obs[(obs["report_period"] == report) & obs["kpi_id"].isin(kpis)]
    if mine.empty:
        return mine
    keys = mine["period"].map(lambda p: period_key(p) or (-1, -1.0))
    mine = mine.assign(_key=keys).sort_values(["kpi_id", "_key"], kind="stable")
    return mine.drop_duplicates("kpi_id", keep="last").drop(columns="_key")


def _restatement(
    claim: Claim, own: pd.DataFrame, obs: pd.DataFrame, report: str
) -> dict[str, object] | None:
    figure = _earlier_figure(claim)
    if figure is None:
        return None
    value, decimals, unit, words = figure
    anchor = _anchored(claim, own)
    if anchor is None:
        return None
    own_period = str(anchor["period"])
    if (
        claim.kind == "change"
        and claim.period
        and resolve_when(claim.period, own_period) not in (own_period,)
    ):
        return None  # the change ends elsewhere than at the KPI's own figure
    if not _unit_fits(unit, unit_of_row(anchor), claim.kind == "change"):
        return None
    period = _as_rolling_year(resolve_when(words, own_period), own_period, anchor)
    if not period or period == own_period:
        return None
    printed = _printed(obs, str(anchor["kpi_id"]), period, report)
    if printed is not None:
        held = float(printed["value"])
        if held != 0 and abs(value - held) / abs(held) > NEAR:
            return None  # too far from the held figure: another quantity
        if same_figure(value, decimals, held, printed_decimals(held)):
            return None  # the figure as printed: nothing restated
    elif not _same_kind(period, own_period):
        return None  # a period of another kind, nothing held: no point on the KPI's line
    return {
        "kpi_id": anchor["kpi_id"],
        "period": period,
        "value": value,
        "decimals": decimals,
        "own_period": own_period,
        "quote": claim.quote,
        "sentence": claim.text,
        "printed_value": None if printed is None else float(printed["value"]),
        "printed_in": "" if printed is None else str(printed["report_period"]),
    }


def _printed(obs: pd.DataFrame, kpi_id: str, period: str, report: str) -> pd.Series | None:
    """The figure a table printed for the period up to the report, the latest report's."""
    rows = obs[(obs["kpi_id"] == kpi_id) & (obs["period"] == period)]
    end = _report_start(report)
    rows = rows[rows["report_period"].map(lambda r: _report_start(r) <= end)]
    if rows.empty:
        return None
    order = np.argsort([_report_start(r) for r in rows["report_period"]], kind="stable")
    return rows.iloc[order].iloc[-1]


def with_restatements(observations: pd.DataFrame, restated: pd.DataFrame) -> pd.DataFrame:
    """The observations with each restatement as a row of the report that printed it (reader
    `prose`, its source line, the figure it revises in `revision_of_value`), and `is_current`
    set again for the periods they touch: the latest report's figure, a table's before the
    prose of the same report."""
    if restated.empty:
        return observations
    rows = [_as_row(observations, r) for _, r in restated.iterrows()]
    rows = [r for r in rows if r is not None]
    if not rows:
        return observations
    out = pd.concat([observations, pd.DataFrame(rows)], ignore_index=True)
    touched = set(zip(restated["kpi_id"], restated["period"], strict=True))
    mask = np.array([(k, p) in touched for k, p in zip(out["kpi_id"], out["period"], strict=True)])
    part = out[mask]
    rank = pd.DataFrame(
        {
            "start": [_report_start(r) for r in part["report_period"]],
            "table": (part.get("reader", pd.Series("", index=part.index)) != PROSE_READER),
            "kpi_id": part["kpi_id"],
            "period": part["period"],
        },
        index=part.index,
    ).sort_values(["start", "table"], kind="stable")
    best = rank.drop_duplicates(["kpi_id", "period"], keep="last").index
    out.loc[mask, "is_current"] = False
    out.loc[best, "is_current"] = True
    out["is_current"] = out["is_current"].astype(bool)
    return out


def _as_row(observations: pd.DataFrame, r: pd.Series) -> dict[str, object] | None:
    """An observation row for a restatement, shaped as the KPI's row it stands beside (the
    held row of that period, else the KPI's own row of the report)."""
    mine = observations[observations["kpi_id"] == r["kpi_id"]]
    same = mine[mine["period"] == r["period"]]
    base = same if len(same) else mine[mine["period"] == r["own_period"]]
    if base.empty:
        return None
    row = base.iloc[-1].to_dict()
    p = parse_period(str(r["period"]))
    row.update(
        period=r["period"],
        value=float(r["value"]),
        value_text=str(r["quote"]),
        report_period=r["report_period"],
        source_file=r["source_file"],
        source_page=pd.NA,
        source_line=r["source_line"],
        reader=PROSE_READER,
        rag="",
        target_text="",
        is_current=True,
        revision_of_value=r["printed_value"],
        revision_of_report=r["printed_in"],
    )
    if not len(same):
        row.update(
            period_type=p.kind,
            period_start=pd.Timestamp(p.start) if p.start else pd.NaT,
            period_end=pd.Timestamp(p.end) if p.end else pd.NaT,
            provisional=False,
            as_of_text=str(r["quote"]),
        )
    if "value_quarter" in row:
        row["value_quarter"] = np.nan
    return row


def source_of(row: pd.Series) -> str:
    """`file:line` of an observation (the file as stored, so an auditor can open it), marked
    `(prose)` when the commentary printed it."""
    file = str(row.get("source_file", "") or "")
    line = row.get("source_line")
    where = f"{file}:{int(line)}" if file and pd.notna(line) else file
    if str(row.get("reader", "")) == PROSE_READER:
        return f"{where} (prose: {row.get('value_text', '')})"
    return where


def passed_over(trends: pd.DataFrame, commentary: pd.DataFrame, report: str) -> pd.Series:
    """kpi_id -> why its change is not given: the KPI's own commentary in `report` quotes a
    figure for a period after the trend's previous one and before its latest ("dropping to
    59.6% (from 65.4% in 20/21)" beside a change from 2019/20 Q3), which the comparison could
    not use (another basis, or no such point on its line). The council compares with something
    else, so a change from an older figure would say more than the evidence does. A change
    from the same period a year earlier passes over the periods between by design."""
    out: dict[str, str] = {}
    com = commentary[commentary["report_period"] == report]
    for t in trends.to_dict("records"):
        prev, latest = str(t.get("previous_period") or ""), str(t.get("latest_period") or "")
        if not prev or not latest or pd.isna(t.get("previous")):
            continue
        p, lat = parse_period(prev), parse_period(latest)
        if p.end is None or lat.start is None or lat.end is None or p.start is None:
            continue
        if p.start.replace(year=p.start.year + 1) == lat.start:
            continue  # a year apart: the periods between are passed over by design
        blocks = com[com["kpi_id"] == t["kpi_id"]]
        for b in blocks.to_dict("records"):
            claims = extract_claims(str(b["text"]))
            # only a sentence that sets the figure beside the KPI's own latest one, and never
            # a benchmark or a target ("the national benchmark of 69.8% for 2020/21")
            own = {c.text for c in claims if abs(c.value - float(t["latest"])) <= 1e-9}
            for c in claims:
                if c.text not in own or c.role in ("benchmark", "target"):
                    continue
                when = resolve_when(c.period, latest) if c.period else ""
                w = parse_period(when) if when else None
                if w is None or w.end is None or not (p.end < w.end < lat.end):
                    continue
                unit = str(t.get("unit") or "")
                if (unit == "%") != (c.unit == "%") or not units_compatible(c.unit, unit):
                    continue  # another quantity (a count beside a share)
                if (
                    abs(c.value - float(t["previous"])) <= 1e-9
                    or abs(c.value - t["latest"]) <= 1e-9
                ):
                    continue
                line = "" if pd.isna(b["source_line"]) else f":{int(b['source_line'])}"
                out[str(t["kpi_id"])] = (
                    f"the commentary compares it with {c.quote} in {when} "
                    f"({b['source_file']}{line}), a figure this comparison cannot use"
                )
                break
            if str(t["kpi_id"]) in out:
                break
    return pd.Series(out, dtype=str)
