"""Comparing extracted rows with the hand-checked gold extractions in tests/fixtures.

One definition of "the same row" for every reader test: text fields compared with whitespace
folded, values as floats rounded to 9 places (a gold CSV holds "571743.00", a reader 571743.0),
empty values as None. Each test names the fields it holds its reader to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KPI_2022_23_Q2 = FIXTURES / "2022-23_Q2_kpis.csv"
KPI_2023_24_Q2 = FIXTURES / "2023-24_Q2_kpis.csv"
HISTORY_2019_20_Q3 = FIXTURES / "2019-20_Q3_kpis.csv"
# Every field of the KPI-table gold: what the text and PDF readers are held to.
KPI_FIELDS = (
    "metric_name",
    "value",
    "rag",
    "good_is",
    "target_text",
    "as_of_text",
    "section",
    "heading",
)


# Every field of the history-table gold (2019/20 Q3: one row per indicator and period).
HISTORY_FIELDS = (
    "metric_name",
    "good_is",
    "as_of_text",
    "value_text",
    "value",
    "target_text",
    "section",
    "frequency",
    "directorate",
)


def read_gold(path: Path) -> pd.DataFrame:
    """Every cell as printed: strings, and "" (not NaN) where the gold has nothing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def key(record: dict, fields: Sequence[str]) -> tuple:
    out = []
    for f in fields:
        v = record[f]
        if f == "value":
            out.append(None if v is None or v == "" or pd.isna(v) else round(float(v), 9))
        else:
            out.append(" ".join(str(v).split()))
    return tuple(out)


def keys(df: pd.DataFrame, fields: Sequence[str]) -> list[tuple]:
    """The rows' keys in order, for asserting the whole extraction row by row."""
    return [key(r, fields) for r in df.to_dict("records")]


def match_rate(df: pd.DataFrame, gold: pd.DataFrame, fields: Sequence[str]) -> float:
    """Share of gold rows reproduced exactly on `fields`; extra rows count against it."""
    got = Counter(keys(df, fields))
    want = Counter(keys(gold, fields))
    return sum((got & want).values()) / max(len(gold), len(df))
