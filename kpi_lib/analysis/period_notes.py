"""What span a printed figure really covers, when its commentary says it is not the whole
period its table row is labelled with.

The 2022/23 Q2 table prints 61.2% for "2022/23 Q2", and the commentary says "The average rate
for July and August was 61.2% - September (& therefore Q2) figures are not due to be
available". A reader of the paper must see "July-August average" beside that figure. The
note is read by rule from the sentence of the KPI's own commentary (same report) that quotes
the figure: an average over named months, a span of months, or a figure "to the end of" a
month.
"""

from __future__ import annotations

import calendar
import re

import pandas as pd

from kpi_lib.values import MONTHS, read_as_latin

# a month as printed, capitalised (so "may be" is no month), full or abbreviated ("Aug.")
_MONTH = "(" + "|".join(m.capitalize() for m in sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_TO = r"\s*(?:and|to|-|–|—|until)\s*"
_KIND = r"(?:\w+\s+){0,2}?(?:rate|figure|value|performance|level|score|percentage|number|total)"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?i:average\s+{_KIND}?\s*(?:for|over|across|of|in))\s+{_MONTH}{_TO}{_MONTH}"),
     "{0}-{1} average"),
    (re.compile(rf"(?i:average\s+(?:for|over|across|of|in))\s+{_MONTH}{_TO}{_MONTH}"),
     "{0}-{1} average"),
    (re.compile(rf"(?i:(?:up\s+)?to\s+(?:the\s+)?end\s+of)\s+{_MONTH}"), "to end of {0}"),
    (re.compile(rf"(?i:between)\s+{_MONTH}\s+and\s+{_MONTH}"), "{0}-{1}"),
    (re.compile(rf"{_MONTH}\s*(?:-|–|—|to)\s*{_MONTH}"), "{0}-{1}"),
)  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n+")
_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")


def _month(text: str) -> str:
    return calendar.month_name[MONTHS[text.rstrip(".").lower()]]


def note_in(sentence: str) -> str:
    """The span a sentence gives its figure ("July-August average", "to end of August"), or
    "" when it names none."""
    for rule, words in _RULES:
        m = rule.search(sentence)
        if m:
            return words.format(*(_month(g) for g in m.groups()))
    return ""


def _quotes(sentence: str, value: float) -> bool:
    """True when the sentence prints the figure, to the decimals it prints it with."""
    for m in _NUMBER.finditer(sentence):
        text = m.group(0).replace(",", "")
        decimals = len(text.split(".")[1]) if "." in text else 0
        if abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9:
            return True
    return False


def period_note(value: object, texts: list[str]) -> str:
    """The note for one figure from its KPI's commentary blocks: the first sentence that quotes
    the figure and names a span of months."""
    v = pd.to_numeric(value, errors="coerce")
    if pd.isna(v):
        return ""
    for block in texts:
        for sentence in _SENTENCE.split(read_as_latin(str(block))):
            if _quotes(sentence, float(v)):
                note = note_in(sentence)
                if note:
                    return note
    return ""


def period_notes(rows: pd.DataFrame, commentary: pd.DataFrame) -> pd.Series:
    """One note per row of a report (blank for most): what span its figure covers where the
    KPI's commentary in the same report says it is less than the labelled period."""
    if rows.empty or commentary.empty:
        return pd.Series([""] * len(rows), index=rows.index, dtype=object)
    texts = commentary.groupby(["report_period", "kpi_id"])["text"].agg(list).to_dict()
    notes = [
        period_note(r.get("value"), texts.get((r.get("report_period"), r.get("kpi_id")), []))
        for _, r in rows.iterrows()
    ]
    return pd.Series(notes, index=rows.index, dtype=object)
