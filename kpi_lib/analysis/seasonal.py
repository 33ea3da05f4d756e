"""KPIs the council's own commentary calls seasonal: "EET figures do traditionally reduce over
the summer period", "there is normally a seasonal reduction in libraries footfall in quarter 3".

A seasonal KPI's figure is compared only with the same quarter (or month) a year earlier: a
September figure after the summer dip is not a fall from June. Only the council's words make a
KPI seasonal here (a one-off "increased over the summer due to staffing issues" does not): a
habit word (traditionally, normally, usually, typically, tends to) before a season or a part of
the year, or the word seasonal itself.
"""

from __future__ import annotations

import os
import re

import pandas as pd

_SEASON = (
    r"(?:summer|winter|autumn|spring|christmas|new\s+year|holidays?|school\s+holidays?|"
    r"quarter\s*[1-4]|q[1-4]|course\s+of\s+the\s+year|time\s+of\s+(?:the\s+)?year)"
)
SEASONAL = re.compile(
    r"(?i)\bseasonal(?:ly)?\b"
    rf"|\b(?:traditionally|normally|usually|typically|tends?\s+to)\b[^.;]{{0,80}}?\b{_SEASON}\b"
)


def seasonal_kpis(commentary: pd.DataFrame) -> dict[str, str]:
    """KPI id -> where its commentary says it is seasonal (`file:line "words"`), the first
    report's that says so. Pass the commentary known at the report date (Store.as_of)."""
    out: dict[str, str] = {}
    if commentary.empty:
        return out
    com = commentary.sort_values(["report_period", "source_line"], kind="stable")
    for _, row in com.iterrows():
        kpi = str(row["kpi_id"])
        if kpi in out or not kpi:
            continue
        m = SEASONAL.search(str(row["text"]))
        if m:
            file = os.path.basename(str(row.get("source_file", "") or ""))
            line = row.get("source_line")
            where = f"{file}:{int(line)}" if pd.notna(line) else file
            out[kpi] = f'{where} "{_phrase(str(row["text"]), m)}"'
    return out


def _phrase(text: str, m: re.Match[str]) -> str:
    """The words around a match, up to its sentence's ends, at most about 100 characters."""
    start = max(text.rfind(".", 0, m.start()) + 1, m.start() - 60)
    end = text.find(".", m.end())
    end = len(text) if end < 0 else min(end, m.end() + 40)
    return " ".join(text[start:end].split())
