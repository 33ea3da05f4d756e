"""A figure's basis: what span of time it covers, so that only like is compared with like.

3.05 days lost so far this year is not a fall from 13.86 days over the last 12 months, and
89,015 downloads in one quarter is not a tenth of 990,000 in a year. Every observation is
labelled with one of the catalogue's BASES when the store is built, from (in this order) what
the catalogue declares for the report it was printed in, how the KPI accumulates, and the
period the figure is filed under.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from kpi_lib.store.catalog import BASES

UNKNOWN = "unknown"
STORE_BASES = (*BASES, UNKNOWN)

# A range of about this many days is one quarter / a rolling year (months vary in length).
_QUARTER_DAYS = range(85, 95)
_YEAR_DAYS = range(360, 370)


def declared_basis(entry: Any, report_start: date | None) -> str:
    """What the catalogue says the KPI's figures in this report are ("" when it says nothing)."""
    if entry is None or not hasattr(entry, "basis_at"):
        return ""
    return str(entry.basis_at(report_start) or "")


def declared_accumulation(accumulation: pd.Series, declared: pd.Series) -> list[str]:
    """The accumulation each row is de-cumulated by: a KPI declared year-to-date from some
    report on is annual cumulative in those reports, whatever its catalogue accumulation."""
    return [
        "annual cumulative" if d == "year to date" else a
        for a, d in zip(accumulation, declared, strict=True)
    ]


def basis_column(df: pd.DataFrame) -> list[str]:
    """basis_of for every row of the observations being built (its private `_accumulation`,
    `_declared` and `_own_quarter` columns)."""
    cols = ["period_type", "period_start", "period_end", "_accumulation", "_declared"]
    return [
        basis_of(*args, own_quarter=bool(own))
        for *args, own in zip(*(df[c] for c in cols), df["_own_quarter"], strict=True)
    ]


def basis_of(
    period_type: str,
    start: object,
    end: object,
    accumulation: str,
    declared: str = "",
    own_quarter: bool = False,
) -> str:
    """The basis of one figure.

    `accumulation` is the catalogue's (point | annual cumulative | rolling 12 months);
    `own_quarter` marks a cumulative KPI's figure printed as the quarter's own count beside the
    running total ("89,015 Cumulative 247,517"). A full year's figure of a year-to-date KPI is
    "annual"; so is a rolling 12 months filed under a financial year."""
    if period_type == UNKNOWN or not period_type:
        return UNKNOWN
    if declared == "year to date" and period_type != "fy_quarter":
        declared = ""  # a year to date is a quarter's; a whole year's figure is read as below
    if declared:
        return declared
    if period_type == "fy_year":
        return "rolling 12 months" if accumulation == "rolling 12 months" else "annual"
    if accumulation == "annual cumulative" and period_type == "fy_quarter":
        return "quarter" if own_quarter else "year to date"
    if accumulation == "rolling 12 months" and period_type in ("fy_quarter", "range"):
        return "rolling 12 months"
    simple = {
        "fy_quarter": "quarter",
        "academic_year": "academic year",
        "term": "term",
        "month": "month",
    }
    if period_type in simple:
        return simple[period_type]
    if period_type == "range" and _known(start) and _known(end):
        days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
        if days in _QUARTER_DAYS:
            return "quarter"
        if days in _YEAR_DAYS:
            return "rolling 12 months"
    return UNKNOWN


def _known(d: object) -> bool:
    return d is not None and not pd.isna(d)
