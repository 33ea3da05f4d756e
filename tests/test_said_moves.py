"""A mover the council's own commentary says moved is never called "little change": it says
which way the figure went and quotes the sentence; benchmark comparisons, "not improved",
"remained stable" and words that go against the figures leave the judgement as it was."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_lib.analysis.said_moves import said_move, unless_said

SAID_UP = [
    "Collection improved on last year.",
    "Visits rose compared with the same quarter last year.",
    "Performance increased from 95.1% in Q1.",
    "The rate is higher than last year.",
    "Take-up has grown since the previous quarter.",
]
SAID_DOWN = [
    "Collection fell on last year.",
    "Absence decreased compared to the previous quarter.",
    "The figure is lower than last year.",
    "Numbers have declined since 2022.",
]
NOT_A_MOVE = [
    "Collection is higher than the national average.",
    "Collection has not improved on last year.",
    "Performance remained stable compared to last quarter.",
    "Collection improved.",  # no earlier period named
    "It is lower than the target set for the year.",
]


def _com(text: str, kpi: str = "k", line: int = 40, also: str = "") -> pd.DataFrame:
    rows = [{"report_period": "2023/24 Q2", "kpi_id": kpi, "source_file": "r", "source_line": line,
             "text": text}]  # fmt: skip
    if also:
        rows.append({**rows[0], "kpi_id": also})
    return pd.DataFrame(rows)


def _mover(change: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kpi_id": "k",
                "change": change,
                "direction": "little change",
                "movement": "flat",
                "reason": "little change from 95.1 (within 2%)",
            }
        ]  # fmt: skip
    )


@pytest.mark.parametrize(
    ("text", "change"), [(t, 1.1) for t in SAID_UP] + [(t, -1.1) for t in SAID_DOWN]
)
def test_little_change_the_council_says_was_a_move_says_only_which_way(
    text: str, change: float
) -> None:
    out = unless_said(_mover(change), _com(f"Some context. {text}"), "2023/24 Q2").iloc[0]
    assert out["direction"] == ""
    assert out["movement"] == ("rising" if change > 0 else "falling")
    assert f"(line 40): “{text}”" in out["reason"]


@pytest.mark.parametrize("text", NOT_A_MOVE)
def test_words_that_are_no_move_leave_the_judgement(text: str) -> None:
    assert said_move(_com(text), "2023/24 Q2", "k") is None
    out = unless_said(_mover(1.1), _com(text), "2023/24 Q2").iloc[0]
    assert out["direction"] == "little change"


def test_words_against_the_figures_or_anothers_block_leave_the_judgement() -> None:
    against = unless_said(_mover(-1.1), _com(SAID_UP[0]), "2023/24 Q2").iloc[0]
    assert against["direction"] == "little change"
    shared = unless_said(_mover(1.1), _com(SAID_UP[0], also="other"), "2023/24 Q2").iloc[0]
    assert shared["direction"] == "little change"  # a block of two KPIs: whose move it is, unsaid
    elsewhere = unless_said(_mover(1.1), _com(SAID_UP[0]), "2022/23 Q2").iloc[0]
    assert elsewhere["direction"] == "little change"
