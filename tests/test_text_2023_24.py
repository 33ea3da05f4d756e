"""The 2023/24 Q2 KPI commentary: a raw OCR whose header rows are merged, split, missing a
label or led by a stray cell, and whose headings are plain lines. Every gold row, exactly."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.readers import headers, stray_tables, text_tables
from kpi_lib.readers.headings import table_heading
from kpi_lib.readers.textdoc import TextDoc, load_text
from tests.gold import KPI_2023_24_Q2, KPI_FIELDS, read_gold

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "data/raw/2023-24_Q2/2023-24_Q2_kpi_commentary.txt"
FIELDS = (*KPI_FIELDS, "ref")


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return read_gold(KPI_2023_24_Q2)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return load_text(REPORT).lines


def test_rows_carry_their_printed_line(lines):
    for row in text_tables.read(TextDoc(REPORT, lines)).rows:
        printed = " ".join(lines[row.source_line - 1].split())
        assert row.metric_name in printed and row.value_text in printed


def _row(lines: list[str], header: list[str], data: list[str]):
    doc = TextDoc(Path("t.txt"), [*lines, "\t".join(header), "\t".join(data)])
    return text_tables.read(doc)


DATA = ["Quartile 2", "High", "2023/24", "% of parents (Primary)", "98.9", "~", ""]


@pytest.mark.parametrize(
    "header",
    [
        # the real patterns of the 2023/24 file
        ["Target", "Target Good Is As of Date", "", "Metric Name", "", "RAG Status", "Trends"],
        ["Target", "Good Is As of Date", "", "Metric Name", "Latest Value", "RAG Status", ""],
        ["3", "Good Is", "As of Date", "Metric Name", "Latest Value", "RAG Status", "Trends"],
        ["Target", "", "As of Date", "Metric Name", "Latest Value", "RAG Status", "Trends"],
        ["Ta", "rget", "Good is", "As of Date", "Metrio Name", "Latect Value", "RAG Status", ""],
    ],
)
def test_header_from_labels_and_data(header):
    data = ["Quart", "ile 2", *DATA[1:]] if header[0] == "Ta" else DATA
    result = _row(["Heading", ""], header, data)
    assert result.issues == []
    (row,) = result.rows
    got = (row.target_text, row.good_is, row.as_of_text, row.metric_name, row.value, row.rag)
    assert got == ("Quartile 2", "High", "2023/24", "% of parents (Primary)", 98.9, "Green")


def test_missing_label_over_words_is_not_guessed():
    """No value label, and the column under the gap holds words: the table is reported."""
    header = ["Target", "Good Is", "As of Date", "Metric Name", "", "RAG Status", "Trends"]
    data = [*DATA[:4], "not yet known", "~", ""]
    result = _row([], header, data)
    assert result.rows == []
    assert [i.kind for i in result.issues] == ["unrecognised_table"]
    assert result.issues[0].source_line == 1


def test_stray_header_cell_over_empty_column_is_extra():
    header = ["1", "Target", "Good Is", "As of Date", "Metric Name", "Latest Value", "RAG Status"]
    result = _row([], header, ["", *DATA[:-1]])
    assert [(r.ref, r.target_text, r.value) for r in result.rows] == [("", "Quartile 2", 98.9)]


def test_plain_headings_join_a_heading_wrapped_mid_phrase(lines):
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Above national average\t")) - 1
    assert table_heading(lines, at) == (
        "Successful completion of treatment for opiates and not returned within 6 months, and "
        "Successful completion of treatment for alcohol misuse and not returned within 6 months"
    )


def test_turnover_table_is_not_a_kpi_table(lines):
    """The turnover-by-directorate table has numbers but no KPI header: not read, not flagged."""
    doc = TextDoc(REPORT, lines)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Directorate\tLeavers"))
    assert at not in text_tables.table_lines(lines)
    assert stray_tables.read(doc).issues == []


@pytest.mark.parametrize(
    ("cell", "labels"),
    [
        ("Target Good Is As of Date", ["target", "good_is", "as_of_text"]),
        ("Good ls As of Dale", ["good_is", "as_of_text"]),
        ("RAG Status Trends", ["rag", "trends"]),
        ("Metrio Name", ["metric_name"]),
        ("Quartile 2", []),
    ],
)
def test_labels_merged_in_one_cell(cell, labels):
    assert headers.cell_labels(cell, headers.KPI_HEADER)[0] == labels


def test_merged_cell_takes_an_unlabelled_cell_before_it():
    """`3 | Target Good Is As of Date | ` with one empty cell after: the stray "3" stands
    where the Target's own label was lost."""
    cells = ["", "3", "Target Good Is As of Date", "", "Metric Name", "Latest Value", "RAG"]
    match = headers.match_header(cells, infer=True)
    assert match is not None
    assert {k: v for k, v in match.columns.items() if k in ("target", "good_is", "as_of_text")} == {
        "target": [1],
        "good_is": [2],
        "as_of_text": [3],
    }
    assert match.extra == [0]


def test_header_matching_is_linear_on_junk(monkeypatch):
    """Issue 12: header matching once ran difflib ~10 times per cell of every line. Lines are
    now screened by their words: junk with no header words costs no fuzzy match at all."""
    calls = []
    real = headers.similarity
    monkeypatch.setattr(headers, "similarity", lambda a, b: calls.append(1) or real(a, b))
    rng = random.Random(7)
    chars = string.ascii_letters + string.digits + ".,%/-() "
    lines = [
        "\t".join(
            "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(2, 10))
        )
        for _ in range(3000)
    ]
    for line in lines:
        text_tables.is_kpi_header(line)
    assert len(calls) < 30  # was 422,562 before the screen
    doc = TextDoc(Path("junk.txt"), lines)
    assert text_tables.read(doc).rows == []
    assert text_tables.is_kpi_header("Target\tGood Is\tAs of Date\tMetric Name\tLatest Value")
