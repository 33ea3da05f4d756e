"""Figures as a committee reads them: the council's precision never rounds a figure other
than 0 to 0 (exclusions of 0.19% are not "0%"), and a figure printed with "over", "almost",
"around" or "approximately" keeps that word on the page."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_lib.report import present as pr
from kpi_lib.values import approximation


def _back(shown: str) -> float:
    return float(re.sub(r"[^\d.]", "", shown) or "nan")


@settings(max_examples=200, deadline=None)
@given(
    v=st.floats(1e-9, 1e9).filter(lambda x: x > 0),
    decimals=st.integers(0, 2),
    unit=st.sampled_from(["%", "£", "", "days"]),
    negative=st.booleans(),
)
def test_a_figure_other_than_zero_never_shows_as_zero(
    v: float, decimals: int, unit: str, negative: bool
) -> None:
    x = -v if negative else v
    shown = pr.number(x, decimals, unit)
    assert _back(shown) != 0, shown
    if round(v, decimals) != 0:  # where the council's precision shows it, it is kept
        assert f"{v:,.{decimals}f}" in shown


@pytest.mark.parametrize(("v", "shown"), [(0.19, "0.2%"), (0.24, "0.2%"), (0.004, "0.004%")])
def test_small_shares_keep_one_significant_digit(v: float, shown: str) -> None:
    assert pr.number(v, 0, "%") == shown
    assert pr.number(0.0, 0, "%") == "0%"


def test_printed_decimals_ignore_rows_without_a_figure() -> None:
    rows = pd.DataFrame(
        {
            "kpi_id": ["ex"] * 3,
            "report_period": ["2019/20 Q3"] * 3,
            "value_text": ["0.19% (2017/18)", "0.24% (2018/19)", "-"],
            "value": [0.19, 0.24, None],
        }
    )
    assert pr.printed_decimals(rows) == {"ex": 2}


WORDS = ["over", "almost", "around", "approximately", "nearly", "about", "more than", "just over"]


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("figure", ["1.5 million", "990,000", "45%", "£887k", "7,700"])
def test_approximation_words_are_found(word: str, figure: str) -> None:
    assert approximation(f"{word} {figure}") == word
    assert approximation(f"{word.capitalize()} {figure}") == word
    assert approximation(figure) == ""


@pytest.mark.parametrize("text", ["over the year 5", "61.20", "£385000.0", "", None, "Q2 2022"])
def test_exact_figures_have_no_approximation(text: object) -> None:
    assert approximation(text) == ""


@pytest.mark.parametrize("word", WORDS)
def test_the_page_keeps_the_approximation(word: str) -> None:
    col = pr.value_col("value", "Value", {"k": ""}, {"k": 0}, printed="value_text")
    row = pd.Series({"kpi_id": "k", "value": 1_500_000.0, "value_text": f"{word} 1.5 million"})
    assert col.cell(row) == f"{word} 1,500,000"
    exact = pd.Series({"kpi_id": "k", "value": 1_500_000.0, "value_text": "1,500,000"})
    assert col.cell(exact) == "1,500,000"
