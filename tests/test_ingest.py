"""`kpi ingest`: validated, atomic, idempotent and incremental writes of data/processed/."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from common import snapshot

from kpi_lib import store
from kpi_lib.cli import main
from kpi_lib.errors import InputError, StoreError
from kpi_lib.periods import parse_period
from kpi_lib.store import ingest as ingest_mod
from kpi_lib.store import write as storewrite
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.ingest import ingest
from kpi_lib.store.snapshot import Store

SICKNESS = "Sickness Absence days per FTE"

# A later report that revises last quarter's sickness figure (3.05 -> 3.10), adds its own
# quarter, and prints one metric under a name the catalogue does not know.
REVISED = """# Corporate Performance Report

**2022/23 Quarter 3**

## Delivering Better Services

**Sickness absence in Lancashire County Council**

Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends
8 days per FTE by 2025/26\tLow\t2022/23 Q2\tSickness Absence days per FTE\t3.10\t!\t
8 days per FTE by 2025/26\tLow\t2022/23 Q3\tSickness Absence days per FTE\t4.62\t!\t
8 days per FTE by 2025/26\tLow\t2022/23 Q3\tSickness absence days lost per FTE (rolling)\t11.2\t!\t

**Issues:**

- The quarter 2 figure was revised after late returns.
"""


def add_report(root: Path, folder: str, name: str, text: str) -> Path:
    path = root / "data" / "raw" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def staging_dirs(root: Path) -> list[Path]:
    return [p for p in (root / "data").iterdir() if p.name.startswith(".processed-")]


def test_ingest_twice_and_from_scratch_is_byte_identical(kpi_root: Path) -> None:
    processed = kpi_root / "data" / "processed"
    first = ingest()
    assert first.written and sorted(first.parsed) == [
        p.relative_to(kpi_root).as_posix() for p in ingest_mod.default_inputs()
    ]
    before = snapshot(processed)
    assert {"observations.parquet", "reports.parquet", "commentary.parquet"} <= set(before)

    again = ingest()
    assert not again.written and again.parsed == []
    assert snapshot(processed) == before

    shutil.rmtree(processed)
    rebuilt = ingest(rebuild=True)
    assert rebuilt.written and len(rebuilt.parsed) == len(first.parsed)
    assert snapshot(processed) == before


def test_parquet_metadata_holds_nothing_variable(store_root: Path) -> None:
    for table in store.TABLES:
        meta = pq.ParquetFile(store.table_path(table)).metadata
        keys = set((meta.metadata or {}).keys())
        assert keys <= {b"kpi_store_table", b"ARROW:schema"}, keys
        assert b"pandas" not in keys  # it would embed the pandas version
        assert meta.created_by.startswith("parquet-cpp-arrow")


def test_incremental_parses_only_new_or_changed_files(store_root: Path, capsys) -> None:
    assert main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert "parsed " not in out and out.count("reused ") == len(ingest_mod.default_inputs())
    assert "unchanged data/processed" in out

    new = add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    result = ingest()
    assert result.parsed == ["data/raw/2022-23_Q3/2022-23_Q3_revised.md"]
    assert len(result.reused) == len(ingest_mod.default_inputs()) - 1
    assert result.periods[result.parsed[0]] == "2022/23 Q3"

    new.write_text(REVISED.replace("4.62", "4.70"), encoding="utf-8")  # edited in place
    assert ingest().parsed == ["data/raw/2022-23_Q3/2022-23_Q3_revised.md"]
    cache = {p.stem for p in (store_root / "data" / "processed" / "_cache").glob("*.json")}
    assert cache == set(store.load("reports")["sha256"])  # the old version's entry is gone


def test_naming_one_file_adds_it_without_dropping_the_rest(store_root: Path) -> None:
    before = set(store.load("reports")["file"])
    new = add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    result = ingest([new])
    assert result.parsed == ["data/raw/2022-23_Q3/2022-23_Q3_revised.md"]
    assert set(store.load("reports")["file"]) == before | set(result.parsed)


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", b"<html>Not found</html>\n"],
    ids=["truncated-pdf", "html-named-pdf"],
)
def test_corrupt_file_fails_naming_it_and_leaves_store_unchanged(
    store_root: Path, capsys, content: bytes
) -> None:
    processed = store_root / "data" / "processed"
    before = snapshot(processed)
    bad = store_root / "data" / "raw" / "2023-24_Q1" / "broken.pdf"
    bad.parent.mkdir()
    bad.write_bytes(content)
    assert main(["ingest"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.pdf" in err[0] and err[0].startswith("kpi: error:")
    assert snapshot(processed) == before
    assert staging_dirs(store_root) == []


def test_failure_during_the_swap_restores_the_previous_store(
    store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    processed = store_root / "data" / "processed"
    before = snapshot(processed)
    add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    real = os.replace
    calls = []

    def flaky(src, dst):  # the second rename (new store into place) fails
        calls.append(src)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(storewrite.os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        ingest()
    monkeypatch.setattr(storewrite.os, "replace", real)
    assert snapshot(processed) == before
    assert staging_dirs(store_root) == []


def test_invalid_tables_are_never_written(
    store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    processed = store_root / "data" / "processed"
    before = snapshot(processed)
    add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    real_build = ingest_mod.build_tables

    def build_with_a_bad_status(inputs):
        tables = real_build(inputs)
        tables["observations"].loc[0, "rag"] = "Purple"
        return tables

    monkeypatch.setattr(ingest_mod, "build_tables", build_with_a_bad_status)
    with pytest.raises(StoreError, match="observations.*rag"):
        ingest()
    assert snapshot(processed) == before


def test_revised_value_keeps_both_versions_and_marks_latest_current(store_root: Path) -> None:
    kpi_id = load_catalog().resolve(SICKNESS)
    assert kpi_id
    add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    ingest()
    obs = store.load("observations")
    versions = obs[(obs["kpi_id"] == kpi_id) & (obs["period"] == "2022/23 Q2")]
    assert sorted(versions["report_period"]) == ["2022/23 Q2", "2022/23 Q3"]
    old = versions[versions["report_period"] == "2022/23 Q2"].iloc[0]
    new = versions[versions["report_period"] == "2022/23 Q3"].iloc[0]
    assert (old["value"], bool(old["is_current"])) == (3.05, False)
    assert (new["value"], bool(new["is_current"])) == (3.10, True)
    assert new["revision_of_value"] == 3.05 and new["revision_of_report"] == "2022/23 Q2"
    assert pd.isna(old["revision_of_value"])

    assert Store.load().series(kpi_id)["2022/23 Q2"] == 3.10
    assert list(Store.load().series(kpi_id, current_only=False)["2022/23 Q2"]) == [3.05, 3.10]
    cur = store.sql(
        f"select value from current where kpi_id = '{kpi_id}' and period = '2022/23 Q2'"
    )
    assert cur["value"].tolist() == [3.10]
    # exactly one current row per KPI and period, whatever the number of versions
    dup = store.sql(
        "select kpi_id, period, count(*) n from current where period <> '' "
        "group by 1, 2 having count(*) > 1"
    )
    assert dup.empty


def test_uncatalogued_name_gets_a_new_id_and_a_suggestion(store_root: Path, capsys) -> None:
    add_report(store_root, "2022-23_Q3", "2022-23_Q3_revised.md", REVISED)
    ingest()
    obs = store.load("observations")
    row = obs[obs["metric_name"] == "Sickness absence days lost per FTE (rolling)"].iloc[0]
    assert not row["catalogued"] and row["kpi_id"].startswith("new-")
    assert main(["catalog", "suggest", "--format", "json"]) == 0
    out = pd.read_json(io.StringIO(capsys.readouterr().out))
    hint = out[out["metric_name"] == row["metric_name"]].iloc[0]
    assert hint["suggestions"].startswith(load_catalog().resolve(SICKNESS))


def test_annual_cumulative_values_are_decumulated(store_root: Path) -> None:
    # PNET sessions: library visits' 2022/23 Q2 figure is one quarter's count by its commentary
    # ("two thirds of pre-pandemic levels"), see tests/test_basis_evidence.py
    visits = "Libraries – PNET sessions"
    q1 = f"2022/23 200,000\tHigh\t2022/23 Q1\t{visits}\t30,000.00\t✓\t"
    header = "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends"
    add_report(
        store_root,
        "2022-23_Q1",
        "q1.md",
        f"# Report\n\n**2022/23 Quarter 1**\n\n## Use of Libraries\n\n{header}\n{q1}\n",
    )
    ingest()
    kpi_id = load_catalog().resolve(visits)
    obs = store.load("observations")
    rows = obs[(obs["kpi_id"] == kpi_id) & obs["is_current"]].set_index("period")
    assert rows.loc["2022/23 Q1", "value_quarter"] == 30000.0
    assert rows.loc["2022/23 Q2", "value_quarter"] == 67213.0 - 30000.0
    # the 2019/20 pack prints each quarter's own figure beside the running total
    assert rows.loc["2019/20 Q3", "value_quarter"] == rows.loc["2019/20 Q3", "value"]
    assert pd.isna(rows.loc["2018/19", "value_quarter"])  # a year has no quarter value


def test_report_period_comes_from_the_text_sources_folder_or_option(
    store_root: Path, capsys
) -> None:
    reps = store.load("reports").set_index("file")
    assert set(reps["period_from"]) <= {"document", "SOURCES.csv", "folder"}
    undated = add_report(
        store_root, "misc", "notes.txt", "Metric Name\tLatest Value\tRAG Status\nVisits\t5\tGreen\n"
    )
    assert main(["ingest"]) == 2
    assert "notes.txt" in capsys.readouterr().err
    with pytest.raises(InputError, match="notes.txt"):
        ingest()
    ingest(period="2023/24-Q1")
    rep = store.load("reports").set_index("file").loc[undated.relative_to(store_root).as_posix()]
    assert (rep["report_period"], rep["period_from"], rep["rows_extracted"]) == (
        "2023/24 Q1",
        "--period",
        1,
    )


def test_duplicate_content_is_refused(store_root: Path) -> None:
    src = store_root / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_kpi_commentary.md"
    shutil.copy(src, src.with_name("copy.md"))
    with pytest.raises(InputError, match="same content"):
        ingest()


def test_reports_table_describes_every_document(store_root: Path) -> None:
    reps = store.load("reports")
    obs = store.load("observations")
    assert len(reps) == len(ingest_mod.default_inputs())
    per_file = obs.groupby("source_file").size()
    for _, rep in reps.iterrows():
        assert rep["rows_extracted"] == per_file.get(rep["file"], 0)
        assert rep["warnings"] == (
            rep["warnings_text"].count("\n") + 1 if rep["warnings_text"] else 0
        )
    # the executive summary has no KPI table but is still a report, with its headline
    summary = reps[reps["report_period"] == "2024/25 Q2"].iloc[0]
    assert summary["headline_rated"] == 41 and summary["title"]


def test_a_pdf_report_is_ingested_with_its_pages(store_root: Path) -> None:
    import pdf_factory

    pdf = store_root / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_report.pdf"
    built = pdf_factory.build_report(pdf)
    result = ingest()
    assert result.parsed == ["data/raw/2022-23_Q2/2022-23_Q2_report.pdf"]
    rep = store.load("reports").set_index("file").loc[result.parsed[0]]
    assert (rep["pages"], rep["readers"], rep["report_period"]) == (
        built.pages,
        "pdf",
        "2022/23 Q2",
    )
    obs = store.load("observations")
    from_pdf = obs[obs["source_file"] == result.parsed[0]]
    assert len(from_pdf) == rep["rows_extracted"] == len(built.rows)
    assert from_pdf["source_page"].notna().all() and (from_pdf["reader"] == "pdf").all()
    # the same quarter from two documents: one current row per KPI and period
    both = obs[obs["report_period"] == "2022/23 Q2"]
    assert both.groupby(["kpi_id", "period"])["is_current"].sum().max() == 1


# --- periods: academic years, value cells ------------------------------------------------------
def _current(obs: pd.DataFrame, kpi_id: str) -> pd.DataFrame:
    return obs[(obs["kpi_id"] == kpi_id) & obs["is_current"]].set_index("period")


def test_education_kpis_are_filed_under_academic_years(store_root: Path) -> None:
    """`2021/22 Prov` for KS2 (2022/23 Q2 table) is September 2021 to August 2022, provisional;
    KPIs with year_basis academic never get a financial year."""
    catalog = load_catalog()
    obs = store.load("observations")
    ks2 = catalog.resolve("% Expected Standard in Reading, Writing & Maths at Key Stage 2")
    row = obs[(obs["kpi_id"] == ks2) & (obs["report_period"] == "2022/23 Q2")].iloc[0]
    assert (row["as_of_text"], row["period"], row["period_type"]) == (
        "2021/22 Prov",
        "AY 2021/22",
        "academic_year",
    )
    assert (row["period_start"], row["period_end"]) == (
        pd.Timestamp("2021-09-01"),
        pd.Timestamp("2022-08-31"),
    )
    assert bool(row["provisional"])
    academic = {e.id for e in catalog.entries if e.year_basis == "academic"}
    mine = obs[obs["kpi_id"].isin(academic)]
    assert {"academic_year", "term"} <= set(mine["period_type"])
    assert "fy_year" not in set(mine["period_type"])
    years = mine[mine["period_type"] == "academic_year"]
    assert (years["period_start"].dt.month == 9).all() and (years["period_end"].dt.month == 8).all()
    # a financial KPI printing "2021/22" keeps its financial year
    eosv = obs[obs["kpi_id"] == "schools-eosv-academy-buy-in"].iloc[0]
    assert (eosv["period"], eosv["period_type"]) == ("2021/22", "fy_year")


def test_history_cells_naming_their_own_year_agree_across_reports(store_root: Path) -> None:
    """The 2019/20 pack prints EYFS `69.5 (2017/18)` under its 2018/19 column and `69.2%
    (2018/19)` under Q3; 2022/23 Q2 prints 69.2 for 2018/19. Filed by the year in the cell, the
    two reports agree on AY 2018/19 instead of 69.2 looking like a revision of 69.5."""
    kpi_id = load_catalog().resolve("% Good Level of Development at Early Years Foundation Stage")
    obs = store.load("observations")
    rows = obs[obs["kpi_id"] == kpi_id]
    ay1819 = rows[rows["period"] == "AY 2018/19"]
    assert sorted(ay1819["report_period"]) == ["2019/20 Q3", "2022/23 Q2"]
    assert ay1819["value"].tolist() == [69.2, 69.2] and ay1819["revision_of_report"].eq("").all()
    older = rows[rows["period"] == "AY 2017/18"].iloc[0]
    assert (older["value"], older["as_of_text"], older["value_text"]) == (
        69.5,
        "2018/19",
        "69.5 (2017/18)",
    )


def test_rolling_ranges_are_filed_under_the_quarter_they_end_in(store_root: Path) -> None:
    """Each sickness figure is filed under the quarter its 12 months end in; the real range stays
    in period_start/period_end and the printed text in as_of_text / value_text."""
    kpi_id = load_catalog().resolve(SICKNESS)
    obs = store.load("observations")
    ranges = obs[(obs["kpi_id"] == kpi_id) & (obs["period_type"] == "range")]
    assert len(ranges) >= 4
    for _, r in ranges.iterrows():
        months = (r["period_end"].year - r["period_start"].year) * 12
        months += r["period_end"].month - r["period_start"].month + 1
        assert months == 12  # a rolling year
        quarter = parse_period(r["period"])
        assert quarter.kind == "fy_quarter"
        assert pd.Timestamp(quarter.end) == r["period_end"]
    narrative = ranges[ranges["reader"] == "narrative"].iloc[0]
    assert (narrative["period"], narrative["as_of_text"], narrative["value"]) == (
        "2021/22 Q4",
        "2021-04 to 2022-03",
        13.86,
    )
    cell = ranges[ranges["value_text"].str.startswith("April 2018 to March 2019")].iloc[0]
    assert (cell["period"], cell["as_of_text"]) == ("2018/19 Q4", "2019/20 Q1")


HEADLINE_REPORT = """# Corporate Performance Report

**2022/23 Quarter 3**

There are 30 rated KPIs; 10 are green, 6 are amber and 4 are red.
"""


def test_a_printed_headline_that_disagrees_is_kept_with_a_warning(store_root: Path) -> None:
    add_report(store_root, "2022-23_Q3", "summary.md", HEADLINE_REPORT)
    ingest()
    rep = store.load("reports").set_index("report_period").loc["2022/23 Q3"]
    assert (rep["headline_rated"], rep["headline_green"], rep["headline_line"]) == (30, 10, 5)
    assert rep["warnings"] == 1
    assert rep["warnings_text"] == (
        "data/raw/2022-23_Q3/summary.md: line 5: headline_mismatch: "
        "green+amber+red = 20 but 30 rated"
    )


GARBLED = """# Corporate Performance Report

**2022/23 Quarter 3**

There are 30 rated KPIs; 20 are green, 6 are amber and 4 are red.

**Sickness absence**

Tqrgt\tGd\tAz ov\tMtrc Nm\tLt Vl\tRG St
8 days per FTE\tLow\t2022/23 Q3\tSickness Absence days per FTE\t4.62\t!
"""


def test_a_report_without_kpi_rows_keeps_its_warnings(store_root: Path) -> None:
    """A report whose only table has a header no reader recognises yields no rows, but is still
    a report (with its headline), and the reason why it has no rows is its warning."""
    add_report(store_root, "2022-23_Q3", "garbled.md", GARBLED)
    result = ingest()
    file = "data/raw/2022-23_Q3/garbled.md"
    assert result.parsed == [file] and result.warnings[file] == 1
    rep = store.load("reports").set_index("file").loc[file]
    assert (rep["rows_extracted"], rep["headline_rated"], rep["warnings"]) == (0, 30, 1)
    table_line = GARBLED.splitlines().index("Tqrgt\tGd\tAz ov\tMtrc Nm\tLt Vl\tRG St") + 1
    assert rep["warnings_text"].startswith(f"{file}: line {table_line}: unrecognised_table: ")
    assert "2 tab-separated rows" in rep["warnings_text"]
    # reused from the cache, the warning is still there
    again = ingest()
    assert again.reused and again.warnings[file] == 1
