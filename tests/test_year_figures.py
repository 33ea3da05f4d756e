"""A KPI's rolling-year figure read from its own commentary (kpi_lib.analysis.printed_year_figures),
and the RAG it gives where the table prints one quarter's total against a year's target."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_lib.analysis.printed_year_figures import year_figure
from kpi_lib.analysis.rag import rag_table


def _commentary(*texts: str, kpi_id: str = "absence") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_period": "2023/24 Q2",
            "kpi_id": kpi_id,
            "text": list(texts),
            "source_line": [10 * (i + 1) for i in range(len(texts))],
            "source_file": "r.txt",
        }
    )


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        (
            "The current rolling 12-month position at the end of Quarter 2 2023/24 is 12.32 "
            "absence days per FTE and 4.72% working days absent.",
            "days per FTE",
            12.32,
        ),
        ("Over the last 12 months 11.8 days were lost per FTE.", "days per FTE", 11.8),
        ("In the 12 months to September, 4.2% of working days were lost.", "%", 4.2),
        ("The rolling year stands at 12 working days.", "days", 12.0),
        ("Absence on a rolling twelve month basis was 4.72 per cent.", "%", 4.72),
        # a figure in another unit first: the one in the KPI's unit is taken
        (
            "The rolling 12-month position is 4.72% working days absent, 12.32 days per FTE.",
            "days per FTE",
            12.32,
        ),  # fmt: skip
    ],
)
def test_rolling_year_figures_in_the_kpis_unit(text: str, unit: str, value: float) -> None:
    found = year_figure(
        _commentary("Absence rose this quarter.", text), "2023/24 Q2", "absence", unit
    )
    assert found is not None and found.value == value and found.source_line == 20


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("This is a 1% reduction from the end of Quarter 1 2023/24 (12.45 days).", "days per FTE"),
        ("Over the next 12 months the service plans to recruit 12 staff.", "days per FTE"),
        ("In Q2 3.25 days per FTE were lost.", "days per FTE"),
        ("Over the last 12 months 11.8 days were lost per FTE.", "count"),  # no unit words
        ("Over the last 12 months absence fell.", "days per FTE"),
    ],
)
def test_no_rolling_year_figure(text: str, unit: str) -> None:
    assert year_figure(_commentary(text), "2023/24 Q2", "absence", unit) is None


def test_only_the_kpis_own_commentary_of_that_report() -> None:
    com = _commentary("Over the last 12 months 11.8 days were lost per FTE.", kpi_id="other")
    assert year_figure(com, "2023/24 Q2", "absence", "days per FTE") is None
    assert year_figure(com, "2022/23 Q2", "other", "days per FTE") is None


def _row(value: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "report_period": "2023/24 Q2",
                "period": "2023/24 Q2",
                "kpi_id": "absence",
                "metric_name": "Sickness Absence days per FTE",
                "value": value,
                "unit": "days per FTE",
                "basis": "quarter",
                "target_text": "11.25 absence days per FTE. (Annual)",
                "polarity": "Low",
                "rag": "Amber",
                "source_file": "r.txt",
                "source_line": 5,
            }
        ]
    )


@pytest.mark.parametrize(("rolling", "status"), [(12.32, "Amber"), (10.9, "Green"), (20.0, "Red")])
def test_a_quarters_total_is_judged_on_the_commentarys_rolling_year(
    rolling: float, status: str
) -> None:
    """3.25 days in one quarter cannot meet 11.25 for a year; the rolling 12 months printed in
    the commentary can, and the reason names where it was read."""
    com = _commentary(f"The rolling 12-month position is {rolling} absence days per FTE.")
    row = rag_table(_row(3.25), 0.10, commentary=com).iloc[0]
    assert row["computed_rag"] == status
    assert f"rolling 12 months the commentary gives ({rolling:g}" in row["reason"]
    # without the commentary it stays unjudged, and says why
    plain = rag_table(_row(3.25), 0.10).iloc[0]
    assert plain["computed_rag"] == "" and "not comparable with a year's" in plain["reason"]
