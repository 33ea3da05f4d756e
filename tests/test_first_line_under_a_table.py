"""The first line a council prints under a KPI table is what it says of that table: a short
sentence before its Issues / Actions ("Collection improved on last year.") is the KPI's
commentary, never the title of an indicator "without a table" (which the paper would then
report as an image it could not read)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kpi_lib.readers.document import read_report

SECTIONS = [
    ("Council tax collection", "% of council tax collected (in year)", "97.0%", "96.20"),
    ("Temporary accommodation", "Number of households in temporary accommodation", "120", "150"),
    ("Housing benefit", "Average days to process new housing benefit claims", "20", "21"),
]
SAID = [
    "Collection improved on last year.",
    "Demand for temporary accommodation eased slightly.",
    "Processing times improved.",
    "Performance held up well over the summer months.",
    "Sickness absence fell to 9.40 days per FTE over the rolling year.",
]
LABELS = [("**Issues:**", "**Actions:**"), ("Issues:", "Actions:"), ("Causes:", "Next steps:")]


def _report(said: str, labels: tuple[str, str], bold: bool) -> str:
    out = ["# Riverside Borough Council", "", "**2023/24 Quarter 2**", "", "## Our Resources", ""]
    header = "Target\tAs of Date\tMetric Name\tLatest Value\tRAG Status"
    for heading, name, target, value in SECTIONS:
        out += [f"**{heading}**" if bold else f"### {heading}", "", header]
        out += [f"{target}\t2023/24 Q2\t{name}\t{value}\t!", "", said, ""]
        out += [labels[0], "", f"- {heading} is monitored monthly.", ""]
        out += [labels[1], "", f"- Managers review {heading.lower()} each month.", ""]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("said", "labels", "bold"), list(itertools.product(SAID, LABELS, [True, False]))
)
def test_the_line_under_a_table_is_its_commentary(
    said: str, labels: tuple[str, str], bold: bool, tmp_path: Path
) -> None:
    path = tmp_path / "2023-24_Q2_report.md"
    path.write_text(_report(said, labels, bold), encoding="utf-8")
    result = read_report(path).result
    assert len(result.rows) == len(SECTIONS)
    assert not [i for i in result.issues if i["kind"] == "no_table"], result.issues
    for heading, name, _, _ in SECTIONS:
        own = [c for c in result.comments if c["metrics"] == [name]]
        assert [c["text"] for c in own if c["kind"] == "commentary"] == [said], own
        assert {c["kind"] for c in own} >= {"issues", "actions"} or labels[0] == "Causes:"
        assert all(c["heading"] == heading for c in own)
