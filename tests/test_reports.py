"""Report runs end to end: every notebook executed by papermill in the project kernel on the
bundled data, the HTML checked, the manifest audited, failures kept out of the outputs."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from common import DEEP_KPI, FIXTURES

from kpi_lib.cli import main
from kpi_lib.publish.execute import NotebookError
from kpi_lib.publish.params import DeepDiveParams
from kpi_lib.publish.plan import deep_dive_plan, execute_plan

pytestmark = pytest.mark.xdist_group("notebooks")  # shares the session's notebook runs


@pytest.fixture(scope="module")
def project(published: Path) -> Iterator[Path]:
    """The session's published project (every report kind run once), selected for this module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(published))
        mp.delenv("KPI_PROCESSED", raising=False)
        mp.delenv("KPI_CACHE_DIR", raising=False)
        yield published


def gold_headline() -> dict[str, int]:
    """Rated / green / amber / red as counted by hand in the gold extraction of 2022/23 Q2."""
    with (FIXTURES / "2022-23_Q2_kpis.csv").open(encoding="utf-8") as fh:
        rags = [r["rag"] for r in csv.DictReader(fh)]
    rated = [r for r in rags if r]
    return {
        "rated": len(rated),
        "green": rated.count("Green"),
        "amber": rated.count("Amber"),
        "red": rated.count("Red"),
    }


def _rows(html: str, caption: str) -> list[list[str]]:
    """The body rows (cell texts) of the table with this caption."""
    soup = BeautifulSoup(html, "html.parser")
    cap = soup.find("caption", string=re.compile(re.escape(caption)))
    assert cap is not None, f"no table captioned {caption!r}"
    body = cap.find_parent("table").find("tbody")
    return [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in body.find_all("tr")]


def test_quarterly_report_is_a_paper_with_the_headline_both_ways(project: Path) -> None:
    out = project / "outputs" / "2022-23_Q2"
    html = (out / "02_quarterly_report.html").read_text(encoding="utf-8")
    g = gold_headline()
    pct = round(100 * g["green"] / g["rated"], 1)
    rows = {r[0]: r[1:] for r in _rows(html, "The headline: printed and recomputed")}
    counted = rows["counted from the report's tables"]
    assert counted[:5] == [
        str(g["rated"]),
        str(g["green"]),
        str(g["amber"]),
        str(g["red"]),
        f"{pct}%",
    ]
    assert "recomputed from the targets" in rows
    # the executive summary says it in words, with the same figures
    assert f"{g['green']} of {g['rated']} rated KPIs met or exceeded their target" in html
    title = BeautifulSoup(html, "html.parser").title.get_text()
    assert title.startswith("Lancashire County Council: Corporate Performance Report 2022/23 Q2")
    assert "data to 30 September 2022" in title
    # RAG by priority + one chart per off-track KPI (a phone shows them one per row)
    panels = len(list((out / "figures").glob("off_track_*.png")))
    assert panels >= 5 and html.count("<img") == 1 + panels
    assert 'class="contents"' in html and "Performance by corporate priority" in html
    assert "Traceback" not in html and "Warning" not in html
    for name in ("01_ingest_quarter.ipynb", "02_quarterly_report.ipynb"):
        nb = json.loads((out / name).read_text(encoding="utf-8"))
        errors = [
            o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
        ]
        assert not errors, name
    assert "def " not in html and "import " not in html  # code hidden by default
    assert "What this report was built from" in html and "sha256" in html
    # the tables behind the page keep full precision for machines
    off = (out / "tables" / "off_track.csv").read_text()
    assert re.search(r"\d\.\d{4,}", off)


def test_newest_quarter_is_the_default_and_says_why(project: Path) -> None:
    from kpi_lib.publish.plan import newest_period

    label, why = newest_period()
    assert label == "2024/25 Q2" and "newest report in data/raw" in why and "headline" in why
    html = (project / "outputs" / "2024-25_Q2" / "02_quarterly_report.html").read_text("utf-8")
    rows = {r[0]: r[1:] for r in _rows(html, "The headline: printed and recomputed")}
    assert rows["as printed in the report"][:5] == ["41", "23", "13", "5", "56.1%"]
    # the computed headline is there, and says why it is empty
    assert rows["counted from the report's tables"][-1] == "no KPI tables in this report"
    assert "What the earlier reports say" in html
    assert "23 of 41 rated KPIs met or exceeded their target (56%)" in html


def test_manifest_records_inputs_parameters_results_and_pages(project: Path) -> None:
    from kpi_lib.publish.manifest import sha256_file
    from kpi_lib.publish.page_shell import content_hash

    out = project / "outputs" / "2022-23_Q2"
    m = json.loads((out / "manifest.json").read_text())
    inputs = {i["path"]: i["sha256"] for i in m["inputs"]}
    raw = project / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_kpi_commentary.md"
    assert inputs["data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"] == sha256_file(raw)
    params = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    assert params["notebooks/02_quarterly_report.ipynb"]["period"] == "2022/23 Q2"
    assert params["notebooks/01_ingest_quarter.ipynb"]["source_files"] == [
        "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"
    ]
    assert "tables/headline.csv" in m["results"]["tables"]
    figures = set(m["results"]["figures"])
    assert "figures/rag_by_section.png" in figures
    # one chart per off-track KPI (a phone shows them one per row)
    off = {f for f in figures if f.startswith("figures/off_track_")}
    assert len(off) >= 5 and figures == off | {"figures/rag_by_section.png"}
    pages = m["results"]["html"]
    assert set(pages) == {"01_ingest_quarter.html", "02_quarterly_report.html"}
    page = (out / "02_quarterly_report.html").read_text(encoding="utf-8")
    assert pages["02_quarterly_report.html"] == content_hash(page)
    assert m["packages"]["statsmodels"] and "commit" in m["git"]


def test_untouched_output_passes_and_the_audit_page_says_so(project: Path) -> None:
    """The session's `kpi audit` of fresh output: re-run tables, figures and pages all match."""
    folder = project / "outputs" / "audit" / "2022-23_Q2"
    html = (folder / "04_audit.html").read_text(encoding="utf-8")
    assert "<title>Audit passed: quarterly run" in html
    diffs = (folder / "tables" / "audit_differences.csv").read_text().strip().splitlines()
    assert diffs == ["what,difference"]


def test_audit_names_changed_input_edited_cell_and_edited_page(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "outputs" / "2022-23_Q2"
    table = out / "tables" / "headline.csv"
    page = out / "02_quarterly_report.html"
    original_table, original_page = table.read_text(), page.read_text(encoding="utf-8")
    raw = project / "data" / "raw" / "2021-22_Q4" / "2021-22_Q4_performance_report.txt"
    original_raw = raw.read_bytes()
    lines = original_table.splitlines()
    cells = lines[1].split(",")
    cells[1] = str(int(cells[1]) + 1)
    table.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    raw.write_bytes(original_raw + b"\nAn extra line.\n")
    assert original_page.count("56.7%") == 1  # one figure a reader reads, edited
    page.write_text(original_page.replace("56.7%", "86.7%"), encoding="utf-8")
    audit_dir = project / "outputs" / "audit" / "2022-23_Q2"
    kept = project / "outputs" / "_kept_audit"
    shutil.copytree(audit_dir, kept)  # the passing audit page, for tests/test_browser.py
    try:
        # a changed input: named, the edited table and page named too, and nothing re-run
        assert main(["audit", str(out / "manifest.json")]) == 1
        text = capsys.readouterr().out
        assert "audit REFUSED" in text and "2021-22_Q4_performance_report.txt" in text
        assert "tables/headline.csv: published file edited" in text
        assert "02_quarterly_report.html: published page edited since the run" in text
        # inputs as recorded: the re-run names the edited cell and the first edited text
        raw.write_bytes(original_raw)
        assert main(["audit", str(out / "manifest.json")]) == 1
        text = capsys.readouterr().out
        assert "tables/headline.csv: published file edited" in text
        edited = r"tables/headline.csv: source reported, row 1, column rated: published '\d+'"
        assert re.search(edited, text)
        assert re.search(
            r"02_quarterly_report.html: published page edited since the run "
            r"\(section '[^']+', [^)]*column 'Share green': published '86.7%', re-run '56.7%'\)",
            text,
        )
        audit_page = project / "outputs" / "audit" / "2022-23_Q2" / "04_audit.html"
        assert "audit page: " + str(audit_page) in text
        shown = audit_page.read_text(encoding="utf-8")
        assert "<title>Audit FAILED" in shown and "86.7%" in shown
    finally:
        table.write_text(original_table)
        raw.write_bytes(original_raw)
        page.write_text(original_page, encoding="utf-8")
        shutil.rmtree(audit_dir)
        kept.rename(audit_dir)


def test_deep_dive_and_failing_notebook_keeps_previous_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "outputs" / "kpi" / DEEP_KPI  # run once by the session
    html = (out / "03_kpi_deep_dive.html").read_text(encoding="utf-8")
    assert html.count("<img") == 2  # history + forecast fan
    assert "2019-20_Q3_committee_agenda_pack.txt" in html  # every point shows its source
    before = (out / "tables" / "sources.csv").read_bytes()

    # the CLI refuses an unknown id before starting a kernel, in one line
    assert main(["deep-dive", "no-such-kpi"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown KPI id 'no-such-kpi'" in err[0]

    # a notebook that fails inside: the error names notebook and cell, output stays
    _, plan = deep_dive_plan(DeepDiveParams(DEEP_KPI))
    plan["notebooks/03_kpi_deep_dive.ipynb"]["kpi_id"] = "no-such-kpi"
    with pytest.raises(NotebookError) as exc:
        execute_plan("deep-dive", plan, out)
    assert "03_kpi_deep_dive.ipynb: cell" in str(exc.value)
    assert "unknown KPI id" in str(exc.value)
    assert (out / "tables" / "sources.csv").read_bytes() == before
    assert (project / exc.value.kept).exists()


def test_unknown_parameter_and_period_rejected_in_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--period", "2030/31 Q1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kpi: error:")
    with pytest.raises(Exception, match="unknown parameter"):
        execute_plan(
            "quarterly",
            {"notebooks/02_quarterly_report.ipynb": {"period": "2022/23 Q2", "colour": "x"}},
            project / "outputs" / "never",
        )
    assert not (project / "outputs" / "never").exists()


def test_batch_runs_periods_in_parallel_and_reports_each(
    project: Path, every_quarter: tuple[Path, pd.DataFrame]
) -> None:
    """Every bundled quarter the session has not published yet (2019/20 Q3, 2021/22 Q4,
    2023/24 Q2, ...) goes through the real notebooks (the `every_quarter` fixture runs `kpi
    batch`), so a quarter whose data breaks the report fails here; an unknown quarter fails
    alone without stopping the others."""
    from kpi_lib.store.snapshot import Store

    published = {"2022/23 Q2", "2024/25 Q2"}
    bundled = sorted(set(Store.load().reports["report_period"]) - published)
    assert {"2019/20 Q3", "2021/22 Q4", "2023/24 Q2"} <= set(bundled)
    table = every_quarter[1]
    status = dict(zip(table["key"], table["status"], strict=True))
    assert status == {**{p: "ok" for p in bundled}, "2030/31 Q1": "failed"}
    # and once the runs are done, the workbook of the whole history
    assert [s[:2] for s in table.attrs["site"]] == [("KPI index", "ok"), ("history workbook", "ok")]
    assert (project / "outputs" / "kpi_history.xlsx").is_file()
    index = (project / "outputs" / "index.html").read_text(encoding="utf-8")
    for period in bundled:  # every paper the batch built is linked from the index
        assert (
            f'href="{period.replace("/", "-").replace(" ", "_")}/02_quarterly_report.html"' in index
        )
    for period in bundled:
        folder = period.replace("/", "-").replace(" ", "_")
        assert (project / "outputs" / folder / "02_quarterly_report.html").exists()
        assert (project / "outputs" / folder / "manifest.json").exists()
    # 2021/22 Q4 marks only its Red statuses: the counted headline says so, never a bare 0%
    html = (project / "outputs" / "2021-22_Q4" / "02_quarterly_report.html").read_text("utf-8")
    counted = {r[0]: r[1:] for r in _rows(html, "The headline: printed and recomputed")}[
        "counted from the report's tables"
    ]
    assert counted[0] == "7" and "only Red statuses are marked" in counted[-1]
    assert "0.0%" not in counted
