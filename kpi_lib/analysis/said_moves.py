"""A move the council's own commentary remarks on is not called "little change".

The movers' "little change" is a judgement about noise (a change within 2% of the earlier
figure). Where the KPI's own commentary says the figure moved against an earlier period
("Collection improved on last year."), that judgement contradicts the council's words and a
committee would read the two as a disagreement: the mover then says only which way the figure
went (rose / fell), and why. A sentence comparing with a benchmark or a target ("higher than
the national average"), or saying the figure did not move ("has not improved"), is no such
remark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.claims_extract import sentences
from kpi_lib.analysis.rag_evidence import report_blocks

_UP = r"improv(?:ed|es|ing|ement)|increas(?:ed|es|ing|e)|r(?:ose|isen|ising)|gr(?:ew|own)|higher"
_DOWN = (
    r"f(?:ell|allen|alling)|decreas(?:ed|es|ing|e)|declin(?:ed|es|ing|e)|reduc(?:ed|tion)|"
    r"dropped|lower|worsen(?:ed|ing)|deteriorat(?:ed|ion|ing)"
)
_MOVED = re.compile(rf"(?i)\b(?P<up>{_UP})\b|\b(?P<down>{_DOWN})\b")
# an earlier period the sentence compares with
_EARLIER = re.compile(
    r"(?i)\b(?:on|than|compared\s+(?:to|with)|from|since|over)\s+(?:the\s+)?"
    r"(?:last|previous|same|prior|preceding|\d{4}|q[1-4]|quarter|year|month)|"
    r"\b(?:last|previous)\s+(?:year|quarter|month)|\bfrom\s+£?\d"
)
_NOT_A_MOVE = re.compile(
    r"(?i)\b(?:not|no|never|hasn't|haven't|didn't|isn't|remain(?:s|ed)?\s+(?:stable|steady|"
    r"static|unchanged|the\s+same)|national|regional|england|benchmark|average|target|"
    r"neighbours?|comparators?)\b"
)


@dataclass(frozen=True)
class SaidMove:
    way: str  # up | down: as the words say, whatever the polarity
    sentence: str
    source_line: int | None

    def describe(self) -> str:
        line = f" (line {self.source_line})" if self.source_line else ""
        return f"its commentary says it moved{line}: “{self.sentence}”"


def said_move(commentary: pd.DataFrame, label: str, kpi_id: str) -> SaidMove | None:
    """The first sentence of the KPI's own commentary in report `label` that says its figure
    moved against an earlier period; None if none does."""
    if commentary is None or commentary.empty:
        return None
    com = report_blocks(commentary, label)
    own = com[(com["kpi_id"] == kpi_id) & (com["n_kpis"] == 1)]
    for _, r in own.sort_values("source_line", kind="stable").iterrows():
        for s in sentences(str(r["text"])):
            m = _MOVED.search(s)
            if m is None or not _EARLIER.search(s) or _NOT_A_MOVE.search(s):
                continue
            line = None if pd.isna(r["source_line"]) else int(r["source_line"])
            return SaidMove("up" if m.group("up") else "down", s, line)
    return None


def unless_said(movers: pd.DataFrame, commentary: pd.DataFrame, label: str) -> pd.DataFrame:
    """Movers whose "little change" the commentary contradicts (a move said the way the figures
    went) say only "rose" or "fell", with the sentence in the reason."""
    out = movers.copy()
    for i, r in out.iterrows():
        if r.get("direction") != "little change" or not r.get("change"):
            continue
        said = said_move(commentary, label, str(r["kpi_id"]))
        if said is None or (said.way == "up") != (float(r["change"]) > 0):
            continue  # silent, or words that do not match the figures: left as judged
        out.at[i, "direction"] = ""
        out.at[i, "movement"] = "rising" if float(r["change"]) > 0 else "falling"
        out.at[i, "reason"] = f"{r['reason']}; not called little change: {said.describe()}"
    return out
