"""Extraction QA for notebook 01: rows per table, every warning with its place, new names."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.report.qa import extraction_qa

REL = "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"


def test_qa_counts_rows_warnings_and_new_metric_names(kpi_root: Path) -> None:
    path = kpi_root / REL
    lines = path.read_text(encoding="utf-8").split("\n")
    calls = next(i for i, ln in enumerate(lines) if "Customer Access Service answered" in ln)
    lines[calls] = lines[calls].replace("\t!\t", "\t\u25a0\t")  # an unknown glyph
    renamed = next(i for i, ln in enumerate(lines) if "Highways safety inspections on time" in ln)
    lines[renamed] = lines[renamed].replace(
        "Highways safety inspections on time %", "Highway safety inspections done on schedule %"
    )
    path.write_text("\n".join(lines), encoding="utf-8")

    qa = extraction_qa([REL, "data/raw/2024-25_Q2/2024-25_Q2_executive_summary.txt"])

    files = qa.files.set_index("file")
    assert files.loc[REL, "rows"] == 76 and files.loc[REL, "tables"] == 30
    assert files.loc[REL, "rows"] == qa.tables["rows"].sum()
    assert (
        "no KPI tables"
        in files.loc["data/raw/2024-25_Q2/2024-25_Q2_executive_summary.txt", "status"]
    )
    assert qa.tables["line"].is_monotonic_increasing  # document order

    glyphs = qa.issues[qa.issues["kind"] == "unknown_glyph"]
    assert glyphs["line"].tolist() == [calls + 1]

    new = qa.new_metrics.set_index("metric_name")
    assert list(new.index) == ["Highway safety inspections done on schedule %"]
    assert "highways-safety-inspections-on-time" in new.iloc[0]["suggested_matches"]
