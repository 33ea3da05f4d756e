"""What beside the printed target bears on a status: the year a target was set for, the
council's own words rating a KPI, and why a recomputed status differs from the printed one.

A target printed for a later year ("2020/21 Target" over a 2019/20 report's figures, "Target
year 5 2024/25") was not the one the figure had to meet: it is labelled and not used. A
paragraph that rates KPIs ("our available management information rates the KPIs as Amber") is
the council's status in its own words: recorded in the reason. Every disagreement between the
printed and the recomputed status gets a sentence saying why, from what the table shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.bands import pct
from kpi_lib.analysis.targets import FY_TEXT, TargetRule
from kpi_lib.periods import fy_start

_FY = re.compile(rf"(?<![\d/])({FY_TEXT})(?![\d/])")


@dataclass(frozen=True)
class TargetYear:
    """The year a target was set for (its start year and label as printed)."""

    start: int
    label: str


def target_year(rule: TargetRule, printed_for: object = "") -> TargetYear | None:
    """The year a target is for: the one its column header names (`printed_for`, "2020/21"
    from "2020/21 Target"), else the financial year its own text names ("2023/24 85%", "Target
    year 5 2024/25 is 2.88%"). None when neither names one, or for a trajectory (whose
    milestones carry their own years)."""
    text = "" if printed_for is None or pd.isna(printed_for) else str(printed_for).strip()
    if not text and rule.kind not in ("trajectory", "trend"):
        m = _FY.search(rule.text or "")
        text = m.group(1) if m else ""
    if not text:
        return None
    try:
        return TargetYear(fy_start(text), text)
    except ValueError:
        return None


def later_year_reason(year: TargetYear | None, report_period: str, period: str) -> str:
    """Why a target set for a year after the report's own is not used ("" when it is not)."""
    if year is None or not report_period:
        return ""
    try:
        report_fy = fy_start(str(report_period).split()[0])
    except ValueError:
        return ""
    if year.start <= report_fy:
        return ""
    figure = f"the {period} figure" if period else "this figure"
    return (
        f"target set for {year.label}, a later year than this {report_period} report: "
        f"not used to judge {figure}"
    )


# --- the council's own words --------------------------------------------------------------------
# "rates the KPIs as Amber", "is rated Red", "a RAG rating of Green"; never a bare "rate" (a noun)
_RATES = re.compile(
    r"(?i)\b(?:rates|rated|rating)\b[^.;:]{0,60}?\b(?:as\s+)?(red|amber|green)\b(?!\s+waste)"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class ProseRating:
    status: str
    sentence: str
    source_line: int | None

    def describe(self) -> str:
        where = f"block from line {self.source_line}: " if self.source_line else ""
        return f"the report's own commentary rates it {self.status} ({where}“{self.sentence}”)"


def prose_rating(
    commentary: pd.DataFrame | None, report_period: str, kpi_id: str
) -> ProseRating | None:
    """The status the report's commentary on this KPI gives it in words, if it gives one."""
    if commentary is None or commentary.empty:
        return None
    mine = commentary[
        (commentary["report_period"] == report_period) & (commentary["kpi_id"] == kpi_id)
    ]
    for _, block in mine.iterrows():
        for sentence in _SENTENCE.split(str(block["text"])):
            m = _RATES.search(sentence)
            if m:
                line = block.get("source_line")
                line = None if line is None or pd.isna(line) else int(line)
                return ProseRating(m.group(1).capitalize(), sentence.strip(), line)
    return None


# --- why a disagreement ---------------------------------------------------------------------------
def disagreement_note(row: pd.Series, page: pd.DataFrame) -> str:
    """Why the recomputed status of `row` differs from the printed one, from the row and the
    other rows of its report (`page`); "" when they agree or one is missing."""
    printed, computed = str(row["reported_rag"]), str(row["computed_rag"])
    if not printed or not computed or printed == computed:
        return ""
    why: list[str] = []
    source = str(row.get("reported_rag_from", "") or "")
    if "look-alike" in source:
        why.append(f"the printed status was read from {source}")
    said = re.search(r"commentary rates it (Red|Amber|Green)", str(row.get("reason", "")))
    if said and said.group(1) == computed:
        why.append(f"the report's own commentary rates it {computed}, not {printed}")
    elif said and said.group(1) == printed:
        why.append(f"the report's own commentary rates it {printed} too, for its own reasons")
    gap = row.get("_gap")
    if gap is not None and not pd.isna(gap):
        why.extend(_by_gap(float(gap), printed, computed, str(row.get("band", "")), page))
    if "pro-rated" in str(row.get("reason", "")):
        why.append(
            "the miss assumes the figure is a year to date and the year's target falls evenly "
            "over its quarters (pro-rated)"
        )
    if not why:
        why.append(
            "the council's bands are not printed; its statuses may follow evidence the printed "
            "target does not give"
        )
    return "; ".join(why)


def _by_gap(gap: float, printed: str, computed: str, band: str, page: pd.DataFrame) -> list[str]:
    if gap == 0:
        return [f"the printed target is met; printed {printed} is the council's own judgement"]
    if printed == "Green":
        return [f"printed Green at a {pct(gap)} miss: Green is achieving or exceeding the target"]
    gaps = pd.to_numeric(page["_gap"], errors="coerce")
    printed_at = page["reported_rag"]
    if printed == "Red":
        amber = gaps[(printed_at == "Amber") & (gaps > gap)]
        if not amber.empty:
            return [
                f"printed Red at a {pct(gap)} miss while bigger misses (up to "
                f"{pct(float(amber.max()))}) are printed Amber in the same report: its statuses "
                "do not follow the size of the miss alone"
            ]
    if printed == "Amber" and computed == "Red":
        red = gaps[(printed_at == "Red") & (gaps < gap)]
        if "capped" in band:
            return [f"printed Amber at a {pct(gap)} miss, beyond the cap on 'slightly below'"]
        if not red.empty:
            said = f"smaller misses (from {pct(float(red.min()))}) are printed Red"
            if "tolerance parameter" in band:
                said = (
                    f"judged by the tolerance, as the report's statuses draw no clearer line: "
                    f"{said}"
                )
            return [said]
    return []


# --- "below target" in the council's words ----------------------------------------------------
# "remains off the target of 67%", "is still considerably under target", "6% below the planned
# target", "not meeting the target"; below/under only mean a miss where higher is better
_MISS = re.compile(
    r"(?i)\b(?P<word>below|under|short of|off|not (?:meeting|achieving|reaching|on))\s+"
    r"(?:the\s+)?(?:[\w/%.]+\s+){0,3}?targets?\b"
)
_NEGATED = re.compile(r"(?i)\b(?:not|no longer|never|nor)\s+(?:\w+\s+)?$")
# a figure quoted against its target: "(81.9% against 90%)"
_QUOTED = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})*(?:\.\d+)?)\s*%?\s+against\b", re.I)


@dataclass(frozen=True)
class SaidBelow:
    sentence: str
    source_line: int | None


def report_blocks(commentary: pd.DataFrame, label: str) -> pd.DataFrame:
    """One report's commentary, each row with `n_kpis`: how many KPIs its block is filed under.
    A block shared by several KPIs says whose it is only where a sentence names one."""
    com = commentary[commentary["report_period"] == label].copy()
    by_block = com.groupby(["source_file", "source_line"], dropna=False)["kpi_id"]
    com["n_kpis"] = by_block.transform("nunique")
    return com


def said_below_target(
    blocks: pd.DataFrame, metric_name: str, polarity: str, own: set[float], others: set[float]
) -> SaidBelow | None:
    """The first sentence of a KPI's commentary (`blocks`: its rows of the commentary table, each
    with `n_kpis`, how many KPIs the block is filed under) saying it is below its target. A block
    filed under several KPIs counts only where the sentence names this one; a sentence setting a
    figure of another KPI of the report (`others`) against a target ("81.9% against 90%"), and
    none of this one's (`own`), is about that other KPI."""
    name = _content(metric_name)
    for _, block in blocks.iterrows():
        shared = int(block.get("n_kpis", 1) or 1) > 1
        for sentence in _SENTENCE.split(str(block["text"])):
            m = _MISS.search(sentence)
            if m is None or _NEGATED.search(sentence[: m.start()]):
                continue
            if m["word"].lower() in ("below", "under") and polarity != "High":
                continue  # below a target where lower is better is on the right side
            if shared and len(_content(sentence) & name) < 2:
                continue
            quoted = {float(f.replace(",", "")) for f in _QUOTED.findall(sentence)}
            if quoted & others and not quoted & own:
                continue
            line = block.get("source_line")
            line = None if line is None or pd.isna(line) else int(line)
            return SaidBelow(sentence.strip(" -•\t"), line)
    return None


_STOP = {"the", "of", "and", "to", "in", "a", "for", "with", "who", "are", "is", "by", "at"}


def _content(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", str(text).lower())
    return {w.rstrip("s") for w in words if w not in _STOP and len(w) > 2}
