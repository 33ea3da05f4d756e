"""The history-table reader against the hand-checked 2019/20 Q3 extraction (long form: one
row per indicator and period), on the real agenda pack and with OCR noise injected."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.readers import history_tables
from kpi_lib.readers.document import extract
from kpi_lib.readers.history_tables import ReportPeriod, period_label, report_period
from kpi_lib.readers.textdoc import TextDoc
from tests import noise
from tests.gold import HISTORY_2019_20_Q3, HISTORY_FIELDS, match_rate, read_gold

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "data/raw/2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt"
KPI_REPORT = ROOT / "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"
FIELDS = HISTORY_FIELDS
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return read_gold(HISTORY_2019_20_Q3).rename(columns={"period_label": "as_of_text"})


def read_text(text: str, name: str = "pack.txt"):
    return history_tables.read(TextDoc(Path(name), text.split("\n")))


def test_placeholders_are_reported_not_emitted(text, gold):
    result = read_text(text)
    skipped = [i for i in result.issues if i.kind == "no_values"]
    assert len(skipped) == 9
    lines = text.split("\n")
    for issue in skipped:
        name = lines[issue.source_line - 1].split("\t")[0]
        assert name not in set(gold["metric_name"])
        assert name in issue.message
    assert {i.kind for i in result.issues} == {"no_values"}


def test_unparseable_row_is_reported(text):
    lines = text.split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Average Attainment 8 score"))
    lines.insert(at + 1, "\tQuarterly\tEducation and Children's Services\tHigh\t1%\t2%")
    result = read_text("\n".join(lines))
    unparsed = [i for i in result.issues if i.kind == "unparsed_row"]
    assert [i.source_line for i in unparsed] == [at + 2]
    assert len(result.rows) == 141


def test_no_markup_and_no_risk_register(text):
    result = read_text(text)
    lines = text.split("\n")
    markup_lines = {n for n, ln in enumerate(lines, 1) if "\t" in ln and TAG.search(ln)}
    assert markup_lines, "the agenda pack's risk register should hold HTML fragments"
    for row in result.rows:
        assert row.source_line not in markup_lines
        assert row.source_line > max(markup_lines)
        for value in (row.metric_name, row.value_text, row.target_text, row.section):
            assert not TAG.search(value) and "<" not in value
    assert not any(r.metric_name.startswith(("CR", "CO")) for r in result.rows)


def test_every_row_points_at_its_line(text):
    lines = text.split("\n")
    for row in read_text(text).rows:
        printed = lines[row.source_line - 1]
        assert printed.startswith(row.metric_name)
        assert row.value_text in " ".join(printed.split())


def test_report_period_from_the_report(text):
    assert report_period(text.split("\n")) == ReportPeriod(2019, 3)


def test_period_from_target_column_when_report_names_none(text, gold):
    """Without any "Quarter 3 2019/20" in the text, the 2020/21 Target column dates it."""
    pattern = re.compile(
        r"(?i)\b(?:quarter|q)\s*[1-4]\s+(?:of\s+)?20\d\d[/-]\d\d|20\d\d[/-]\d\d\s+(?:quarter|q)\s*[1-4]"
    )
    lines = [ln for ln in text.split("\n") if "\t" in ln or not pattern.search(ln)]
    assert report_period(lines) is None
    assert match_rate(read_text("\n".join(lines)).frame(), gold, FIELDS) == 1.0


def test_period_year_follows_the_document(text):
    """Shift every year in the pack by two: labels move with it (nothing hard-coded)."""

    def shift(m: re.Match) -> str:
        return str(int(m.group(0)) + 2)

    shifted = re.sub(r"(?<=20)\d\d(?=[/-]\d\d)|(?<=/)\d\d\b|(?<=-)1[89]\b", shift, text)
    rows = read_text(shifted).rows
    labels = sorted({r.as_of_text for r in rows})
    assert labels == ["2020/21", "2020/21 Q4", "2021/22 Q1", "2021/22 Q2", "2021/22 Q3"]


@pytest.mark.parametrize(
    ("header", "label"),
    [
        ("Q4 2018-19", "2018/19 Q4"),
        ("Q1 2019-18 (April-June)", "2019/20 Q1"),  # not a financial year: the report's
        ("Q2 (July- Sep)", "2019/20 Q2"),
        ("Current Performance (Q3)", "2019/20 Q3"),
        ("Current (Q3) Performance", "2019/20 Q3"),
        ("Q1 (April \u2013 June)", "2019/20 Q1"),
        ("2018/19 Performance", "2018/19"),
        ("Q4", "2018/19 Q4"),  # after the report's own quarter: last year
        ("Current Performance", "2019/20 Q3"),
        ("Frequency", None),
    ],
)
def test_period_labels(header, label):
    assert period_label(header, ReportPeriod(2019, 3)) == label


@pytest.mark.parametrize("name", sorted(noise.HISTORY_NOISES))
@pytest.mark.parametrize("seed", [0, 1])
def test_survives_noise(name, seed, text, gold):
    noisy = noise.HISTORY_NOISES[name](text, seed)
    assert noisy != text
    result = read_text(noisy)
    assert match_rate(result.frame(), gold, FIELDS) == 1.0
    assert Counter(i.kind for i in result.issues) == {"no_values": 9}


def test_kpi_report_has_no_history_tables():
    lines = KPI_REPORT.read_text(encoding="utf-8").split("\n")
    result = history_tables.read(TextDoc(KPI_REPORT, lines))
    assert result.rows == [] and result.tables == 0


def test_extract_dispatches_agenda_pack(gold):
    df = extract(REPORT)
    assert match_rate(df, gold, FIELDS) == 1.0
