"""Targets a report states in a KPI's own commentary where its table prints none.

A prose report often gives the target only in words: "it is still above the target range of
600-680 at 692.0 admissions". An off-track entry that says "692.0; its target is not printed"
then tells the committee less than the report does. A target is taken from the commentary only
where it is plainly the KPI's current one: in a block of that KPI alone, in a sentence not about
a variant of it, another year or another body's target, and only one such target is stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.claims_extract import extract_claims
from kpi_lib.analysis.rag_evidence import report_blocks
from kpi_lib.analysis.subjects import sentence_subjects, variants
from kpi_lib.store.catalog import Catalog

# a target that is not this KPI's target for this period
_NOT_CURRENT = re.compile(
    r"(?i)\b(?:next|new|previous|last|former|revised|future|national|regional|government|"
    r"nhs|dfe|stretch|interim|original)\s+(?:[\w']+\s+)?target|"
    r"\btargets?\s+(?:for|in)\s+(?:next|20\d\d)|\b(?:will|would)\s+be\s+(?:a|the)\s+target|"
    r"\bif\b|\bwhen\b.*\bset\b"
)
# a target dated to a year (whose it is, the report's or a later one, is not plain): "set for
# 2020/21", "for the coming year", "by 2025/26"
_DATED = re.compile(
    r"(?i)target\b.{0,40}?\b(?:for|by)\s+(?:20\d\d|next|the\s+(?:next|coming|following))"
)


@dataclass(frozen=True)
class StatedTarget:
    kpi_id: str
    text: str  # as a table would print it: "600-680", "90%"
    source_file: str
    source_line: int | None
    quote: str  # the sentence's words: "target range of 600-680"

    def where(self) -> str:
        line = f", line {self.source_line}" if self.source_line else ""
        return f"stated in its commentary{line}: “{self.quote}”"


def _show(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def stated_targets(
    commentary: pd.DataFrame, label: str, kpi_ids: list[str], catalog: Catalog | None = None
) -> dict[str, StatedTarget]:
    """kpi_id -> the one current target its own commentary in report `label` states."""
    if commentary is None or commentary.empty or not kpi_ids:
        return {}
    com = report_blocks(commentary, label)
    # a block shared by several KPIs: whose target it states is not plain
    own = com[(com["n_kpis"] == 1) & com["kpi_id"].isin(kpi_ids)]
    own = own.sort_values(["source_file", "source_line", "text"], kind="stable")
    found: dict[str, list[StatedTarget]] = {}
    for source_file, source_line, text, kpi in own[
        ["source_file", "source_line", "text", "kpi_id"]
    ].itertuples(index=False):
        kpi = str(kpi)
        about = sentence_subjects(str(text), variants(catalog, [kpi]))
        for claim in extract_claims(str(text)):
            if claim.kind not in ("target", "vs_target") or claim.text in about:
                continue
            head = claim.text[: claim.text.find(claim.quote)] + claim.quote
            if _NOT_CURRENT.search(head) or _DATED.search(claim.text):
                continue
            unit = "%" if claim.unit == "%" else ""
            if claim.kind == "vs_target":  # "81.2% against a target of 90%"
                if claim.target is None:
                    continue
                shown = _show(claim.target) + unit
            else:
                shown = _show(claim.value) + unit
                if claim.target is not None:
                    shown += "-" + _show(claim.target) + unit
            line = None if pd.isna(source_line) else int(source_line)
            found.setdefault(kpi, []).append(
                StatedTarget(kpi, shown, str(source_file), line, claim.quote)
            )
    # two different targets stated: which one applies is not plain, so neither is taken
    return {k: v[0] for k, v in found.items() if len({t.text for t in v}) == 1}
