"""The Excel workbooks: one per run beside its page (a sheet per published table) and one of
the whole history. Read back with pandas and openpyxl: a title row with the period, the CSV's
headers with units, frozen, no index column, every figure a number, the same bytes twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from common import DEEP_KPI

from kpi_lib.publish.workbook import read_table, write_history

pytestmark = pytest.mark.xdist_group("notebooks")  # reads the session's published runs

RUNS = {
    "quarterly": ("outputs/2022-23_Q2", "02_quarterly_report.xlsx", "2022/23 Q2"),
    "deep-dive": (f"outputs/kpi/{DEEP_KPI}", "03_kpi_deep_dive.xlsx", "data to"),
}


@pytest.fixture
def project(published: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(published))
        mp.delenv("KPI_PROCESSED", raising=False)
        yield published


def _bare(header: str) -> str:
    """The CSV column a header names ("value (%)" -> "value")."""
    return re.sub(r" \(.*\)$", "", str(header))


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_a_sheet_per_table_read_back_as_published(project: Path, kind: str) -> None:
    folder, name, period = RUNS[kind]
    out = project / folder
    book = pd.read_excel(out / name, sheet_name=None, header=1)
    csvs = {p.stem: read_table(p) for p in sorted((out / "tables").glob("*.csv"))}
    assert set(book) == set(csvs)
    wb = openpyxl.load_workbook(out / name)
    for sheet, df in book.items():
        ws = wb[sheet]
        assert period in ws["A1"].value and ws.freeze_panes == "A3", sheet
        csv = csvs[sheet]
        bare = [_bare(c) for c in df.columns]
        assert [c for c in bare if c != "unit" or "unit" in csv.columns] == list(csv.columns)
        assert not any(c.startswith("Unnamed") for c in map(str, df.columns)), sheet
        for col, head in zip(csv.columns, [c for c in df.columns if _bare(c) in csv], strict=True):
            got, want = df[head], csv[col]
            if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
                assert pd.api.types.is_numeric_dtype(got), (sheet, col)
                pd.testing.assert_series_equal(
                    got.astype(float), want.astype(float), check_names=False, rtol=1e-12
                )
                letter = ws.cell(row=2, column=list(df.columns).index(head) + 1).column_letter
                types = {c.data_type for c in ws[letter][2:] if c.value is not None}
                assert types <= {"n"}, (sheet, col, types)  # numbers, never text


def test_headers_carry_units(project: Path) -> None:
    quarterly = pd.read_excel(
        project / RUNS["quarterly"][0] / RUNS["quarterly"][1], sheet_name=None, header=1
    )
    movers = quarterly["movers"]
    assert "latest (unit: see column 'unit')" in movers.columns and "unit" in movers.columns
    assert "pct_green (%)" in quarterly["headline"].columns
    assert "p_meet_target (probability 0-1)" in quarterly["off_track"].columns
    dive = pd.read_excel(
        project / RUNS["deep-dive"][0] / RUNS["deep-dive"][1], sheet_name=None, header=1
    )
    assert "value (rate per 100k)" in dive["sources"].columns
    assert "mean (rate per 100k)" in dive["forecast"].columns


def test_history_workbook_is_reproducible_and_complete(project: Path, tmp_path: Path) -> None:
    from kpi_lib.store.snapshot import Store

    a, b = write_history(tmp_path / "a.xlsx"), write_history(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    book = pd.read_excel(a, sheet_name=None, header=1)
    assert list(book) == ["current", "observations", "reports", "commentary"]
    data = Store.load()
    assert len(book["observations"]) == len(data.observations)
    assert len(book["current"]) == int(data.observations["is_current"].sum())
    assert book["observations"]["value (unit: see column 'unit')"].dtype.kind == "f"
    title = openpyxl.load_workbook(a)["current"]["A1"].value
    assert "2019/20 Q3 to 2024/25 Q2" in title


def test_the_run_records_its_workbook_in_the_manifest(project: Path) -> None:
    import json

    from kpi_lib.digest import sha256_file

    out = project / RUNS["quarterly"][0]
    m = json.loads((out / "manifest.json").read_text())
    docs = m["results"]["documents"]
    assert docs["02_quarterly_report.xlsx"] == sha256_file(out / "02_quarterly_report.xlsx")
