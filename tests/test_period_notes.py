"""A figure's period as printed: when the commentary says a figure covers less than the period
its row is labelled with ("the average rate for July and August was 61.2%"), the note is
read by rule and carried to every page row that shows the figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.period_notes import note_in, period_note, period_notes
from kpi_lib.report import present as pr
from kpi_lib.report import quarterly
from kpi_lib.store.snapshot import Store

MONTH_PAIRS = [("July", "August"), ("April", "May"), ("October", "November"), ("Jan", "Feb")]
FULL = {"Jan": "January", "Feb": "February"}


@pytest.mark.parametrize(("a", "b"), MONTH_PAIRS)
@pytest.mark.parametrize(
    ("sentence", "note"),
    [
        ("The average rate for {a} and {b} was {v}% - Q2 is not yet due.", "{A}-{B} average"),
        ("The average figure across {a} to {b} is {v}.", "{A}-{B} average"),
        ("Performance averaged {v}% (average for {a}-{b}).", "{A}-{B} average"),
        ("Between {a} and {b} the rate was {v}%.", "{A}-{B}"),
        ("{a}-{b} performance stands at {v}%.", "{A}-{B}"),
        ("The rate to the end of {b} was {v}%.", "to end of {B}"),
    ],
)  # fmt: skip
def test_a_span_of_months_beside_the_figure_is_noted(
    a: str, b: str, sentence: str, note: str
) -> None:
    full_a, full_b = FULL.get(a, a), FULL.get(b, b)
    for v in (61.2, 4.75, 1250.0):
        printed = f"{v:,g}"
        text = "Q1 was 60.4%. " + sentence.format(a=a, b=b, v=printed) + " Actions follow."
        assert period_note(v, [text]) == note.format(A=full_a, B=full_b), text


@pytest.mark.parametrize(
    "text",
    [
        "The average rate for July and August was 61.2%.",  # another figure
        "The final rate for Q1 was 60.4%.",  # no span of months
        "This may be due to 60.4% of sites reporting late.",  # "may" is no month
        "In August 60.4% were answered.",  # one month: the date of a figure, not a span
    ],
)
def test_no_note_without_the_figure_and_a_span(text: str) -> None:
    assert period_note(60.4, [text]) == ""


def test_note_in_reads_abbreviations() -> None:
    assert note_in("average for Jul. and Aug.") == "July-August average"
    assert note_in("nothing here") == ""


def test_period_notes_keeps_each_report_and_kpi_apart() -> None:
    rows = pd.DataFrame(
        {
            "kpi_id": ["a", "b", "a"],
            "report_period": ["2022/23 Q2", "2022/23 Q2", "2023/24 Q2"],
            "value": [61.2, 61.2, 61.2],
        }
    )
    com = pd.DataFrame(
        {
            "kpi_id": ["a"],
            "report_period": ["2022/23 Q2"],
            "text": ["The average rate for July and August was 61.2%."],
        }
    )
    assert period_notes(rows, com).tolist() == ["July-August average", "", ""]


def test_the_page_label_carries_the_note() -> None:
    row = {"period": "2022/23 Q2", "period_note": "July-August average"}
    assert pr.period_as_printed(row) == "2022/23 Q2 (July-August average)"
    assert pr.period_as_printed({"period": "2022/23 Q2", "period_note": ""}) == "2022/23 Q2"
    assert pr.period_as_printed({"latest_period": "2022Q4"}, "latest_period") == "2022/23 Q3"


def test_the_hwrc_july_august_average_is_noted_in_every_table(store_root: Path) -> None:
    q = quarterly.build("2022/23 Q2", snapshot=Store.load())
    rows = q.rows[q.rows["kpi_id"] == "hwrc-reused-recycled-composted"]
    assert rows["period_note"].tolist() == ["July-August average"]
    assert (
        q.rows.loc[q.rows["kpi_id"] != "hwrc-reused-recycled-composted", "period_note"] == ""
    ).all()
    off = q.off_track.set_index("kpi_id")
    if "hwrc-reused-recycled-composted" in off.index:
        assert off.loc["hwrc-reused-recycled-composted", "period_note"] == "July-August average"
