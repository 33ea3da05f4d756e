"""Every hand-checked gold extraction reproduced row by row, field by field, through the
readers' one door (extract_document), each report with the fields its gold holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kpi_lib.readers.document import extract_document
from tests.gold import (
    HISTORY_2019_20_Q3,
    HISTORY_FIELDS,
    KPI_2022_23_Q2,
    KPI_2023_24_Q2,
    KPI_FIELDS,
    keys,
    match_rate,
    read_gold,
)

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


@dataclass(frozen=True)
class Case:
    report: str
    gold: Path
    fields: tuple[str, ...]
    reader: str
    tables: int  # KPI tables in the report
    warned: tuple[str, ...] = ("no_table",)  # the kinds of issue the report is known to raise
    renamed: tuple[tuple[str, str], ...] = ()  # gold column -> row field


CASES = {
    "2022-23_Q2 markdown": Case(
        "2022-23_Q2/2022-23_Q2_kpi_commentary.md", KPI_2022_23_Q2, KPI_FIELDS, "table", 30
    ),
    "2023-24_Q2 raw OCR text": Case(
        "2023-24_Q2/2023-24_Q2_kpi_commentary.txt",
        KPI_2023_24_Q2,
        (*KPI_FIELDS, "ref"),
        "table",
        31,  # the turnover table is not one
    ),
    "2019-20_Q3 agenda pack (history tables)": Case(
        "2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt",
        HISTORY_2019_20_Q3,
        HISTORY_FIELDS,
        "history",
        20,
        ("no_table", "no_values"),  # indicators printed with no figure in any period
        (("period_label", "as_of_text"),),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_reproduces_every_gold_row(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    result = extract_document(RAW / case.report)
    df = result.frame()
    gold = read_gold(case.gold).rename(columns=dict(case.renamed))
    rate = match_rate(df, gold, case.fields)
    with capsys.disabled():
        print(f"\n{case.report}: gold match {rate:.1%} ({len(df)} rows, {len(gold)} gold)")
    assert keys(df, case.fields) == keys(gold, case.fields)
    assert set(df["reader"]) == {case.reader}
    # e.g. sections printed without a table: the commentary's, not the tables' warnings
    assert [i for i in result.issues if i.kind not in case.warned] == []
    assert result.tables == case.tables
