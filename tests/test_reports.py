"""Report runs end to end: every notebook executed by papermill in the project kernel on the
bundled data, the HTML checked, the manifest audited, failures kept out of the outputs."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, make_root

from kpi_lib.cli import main
from kpi_lib.report.params import DeepDiveParams
from kpi_lib.report.run import NotebookError, run_notebook
from kpi_lib.report.runs import deep_dive_plan, execute_plan, run_deep_dive, run_report

DEEP_KPI = "care-home-admissions-65-plus"
# the latest bundled quarter with KPI tables: what `kpi report` reports by default
LATEST = "2023-24_Q2"
LATEST_RAW = f"data/raw/{LATEST}/{LATEST}_kpi_commentary.txt"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private project (raw data, catalogue, notebooks), ingested, with one report run."""
    root = make_root(tmp_path_factory.mktemp("reports") / "project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(root))
        mp.delenv("KPI_PROCESSED", raising=False)
        from kpi_lib.store.ingest import ingest

        ingest()
        run_report()
        yield root


def gold_headline() -> dict[str, int]:
    """Rated / green / amber / red as counted by hand in the gold extraction of 2023/24 Q2."""
    with (FIXTURES / f"{LATEST}_kpis.csv").open(encoding="utf-8") as fh:
        rags = [r["rag"] for r in csv.DictReader(fh)]
    rated = [r for r in rags if r]
    return {
        "rated": len(rated),
        "green": rated.count("Green"),
        "amber": rated.count("Amber"),
        "red": rated.count("Red"),
    }


def test_latest_report_html_has_headline_charts_and_no_errors(project: Path) -> None:
    out = project / "outputs" / LATEST
    html = (out / "02_quarterly_report.html").read_text(encoding="utf-8")
    g = gold_headline()
    pct = round(100 * g["green"] / g["rated"], 1)
    row = re.search(r"<td>reported</td>(.*?)</tr>", html, re.S)
    assert row, "headline table missing"
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    assert cells[:5] == [str(g["rated"]), str(g["green"]), str(g["amber"]), str(g["red"]), str(pct)]
    assert html.count("<img") == 2  # RAG by section + off-track small multiples
    assert "Traceback" not in html
    for name in ("01_ingest_quarter.ipynb", "02_quarterly_report.ipynb"):
        nb = json.loads((out / name).read_text(encoding="utf-8"))
        errors = [
            o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
        ]
        assert not errors, name
    assert "def " not in html  # code hidden by default
    assert "What this report was built from" in html and "sha256" in html


def test_manifest_records_inputs_parameters_and_results(project: Path) -> None:
    from kpi_lib.report.manifest import sha256_file

    m = json.loads((project / "outputs" / LATEST / "manifest.json").read_text())
    inputs = {i["path"]: i["sha256"] for i in m["inputs"]}
    assert inputs[LATEST_RAW] == sha256_file(project / LATEST_RAW)
    params = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    assert params["notebooks/02_quarterly_report.ipynb"]["period"] == "2023/24 Q2"
    assert params["notebooks/01_ingest_quarter.ipynb"]["source_files"] == [LATEST_RAW]
    assert "tables/headline.csv" in m["results"]["tables"]
    assert set(m["results"]["figures"]) == {
        "figures/rag_by_section.png",
        "figures/off_track_histories.png",
    }
    assert m["packages"]["statsmodels"] and "commit" in m["git"]


def test_audit_notebook_passes_on_fresh_output(project: Path) -> None:
    """04_audit re-executes the run from the manifest: byte-identical tables and figures."""
    scratch = project / "outputs" / "_audit_nb"
    manifest = project / "outputs" / LATEST / "manifest.json"
    run = run_notebook(
        project / "notebooks" / "04_audit.ipynb",
        scratch,
        {"manifest": str(manifest), "output_dir": str(scratch)},
    )
    html = run.html.read_text(encoding="utf-8")
    assert "audit OK" in html
    diffs = (scratch / "tables" / "audit_differences.csv").read_text().strip().splitlines()
    assert diffs == ["what,difference"]


def test_audit_names_changed_input_and_edited_cell(project: Path) -> None:
    from kpi_lib.report.audit import audit

    out = project / "outputs" / LATEST
    table = out / "tables" / "headline.csv"
    original_table = table.read_text()
    raw = project / "data" / "raw" / "2021-22_Q4" / "2021-22_Q4_performance_report.txt"
    original_raw = raw.read_bytes()
    lines = original_table.splitlines()
    cells = lines[1].split(",")
    cells[1] = str(int(cells[1]) + 1)
    table.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    raw.write_bytes(original_raw + b"\nAn extra line.\n")
    try:
        # a changed input: named, the edited table named too, and nothing re-run
        result = audit(out / "manifest.json")
        assert not result.ok and result.refused and result.checked == 0
        assert any("2021-22_Q4_performance_report.txt" in x for x in result.inputs_changed)
        text = "\n".join(result.results_changed)
        assert "tables/headline.csv: published file edited" in text
        assert main(["audit", str(out / "manifest.json")]) == 1
        # inputs as recorded: the re-run names the edited cell
        raw.write_bytes(original_raw)
        result = audit(out / "manifest.json")
        assert not result.ok and not result.refused and not result.inputs_changed
        text = "\n".join(result.results_changed)
        assert "tables/headline.csv: published file edited" in text
        assert re.search(r"tables/headline.csv: row 1, column \w+: published '\d+'", text)
    finally:
        table.write_text(original_table)
        raw.write_bytes(original_raw)


def test_deep_dive_and_failing_notebook_keeps_previous_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_deep_dive(DeepDiveParams(DEEP_KPI))
    out = res.out_dir
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


def test_batch_runs_periods_in_parallel_and_reports_each(project: Path) -> None:
    from kpi_lib.report.batch import batch

    table = batch(periods=["2019/20 Q3", "2021/22 Q4", "2030/31 Q1"], workers=2, progress=False)
    status = dict(zip(table["key"], table["status"], strict=True))
    assert status == {"2019/20 Q3": "ok", "2021/22 Q4": "ok", "2030/31 Q1": "failed"}
    for folder in ("2019-20_Q3", "2021-22_Q4"):
        assert (project / "outputs" / folder / "02_quarterly_report.html").exists()
        assert (project / "outputs" / folder / "manifest.json").exists()
