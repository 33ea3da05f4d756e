"""A KPI's figure over the last 12 months, as its own commentary prints it.

Some tables print one quarter's total (3.25 days of sickness absence per FTE in Q2) against
a target for the year (11.25 days), which cannot be compared; the council rates the figure
its commentary gives beside it: "The current rolling 12-month position at the end of Quarter
2 2023/24 is 12.32 absence days per FTE". Read from the same report (as known at the time),
such a figure can be judged against the annual target. Only a number in the KPI's own unit
that follows a rolling-year phrase in the same sentence is taken, and only for units that
are written out (days, per cent): a bare number near "12 months" is too loose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_ROLLING = re.compile(
    r"(?i)\b(?:rolling\s+(?:12|twelve)[\s-]*months?|rolling\s+year|"
    r"(?:last|past|previous)\s+(?:12|twelve)\s+months|(?:12|twelve)\s+months\s+to)\b"
)
# the unit as prose writes it right after the figure
_UNIT_WORDS = {
    "days per fte": r"(?:absence\s+|working\s+)?days\b",
    "days": r"(?:working\s+|calendar\s+)?days\b",
    "%": r"%|\s?per\s*cent\b",
}
_NUMBER = r"(?P<n>\d[\d,]*(?:\.\d+)?)"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n")


@dataclass(frozen=True)
class YearFigure:
    value: float
    source_line: int
    sentence: str


def year_figure(
    commentary: pd.DataFrame, report_period: str, kpi_id: str, unit: str
) -> YearFigure | None:
    """The first rolling-year figure in `unit` in the KPI's commentary of that report."""
    words = _UNIT_WORDS.get(str(unit or "").strip().lower())
    if words is None or commentary is None or commentary.empty:
        return None
    mine = commentary[
        (commentary["report_period"] == report_period) & (commentary["kpi_id"] == kpi_id)
    ].sort_values("source_line", kind="stable")
    figure = re.compile(rf"{_NUMBER}\s*(?:{words})")
    for text, line in zip(mine["text"].astype(str), mine["source_line"], strict=True):
        for sentence in _SENTENCE.split(text):
            phrase = _ROLLING.search(sentence)
            found = figure.search(sentence, phrase.end()) if phrase else None
            if found:
                value = float(found["n"].replace(",", ""))
                return YearFigure(value, int(line), " ".join(sentence.split()))
    return None
