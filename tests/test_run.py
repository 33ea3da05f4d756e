"""The papermill runner, executed for real in the project's kernel on a tiny notebook."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.errors import UsageError
from kpi_lib.publish import manifest
from kpi_lib.publish.execute import (
    NotebookError,
    check_parameters,
    declared_parameters,
    run_notebook,
)
from kpi_lib.publish.plan import execute_plan

TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.ipynb"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project root holding the tiny notebook, so outputs land in tmp."""
    (tmp_path / "data" / "raw" / "2022-23_Q2").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "2022-23_Q2" / "r.txt").write_text("report\n")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(TINY, tmp_path / "notebooks" / "tiny.ipynb")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("KPI_ROOT", str(tmp_path))
    return tmp_path


def test_declared_parameters_read_from_the_parameters_cell() -> None:
    assert set(declared_parameters(TINY)) == {"value", "fail", "sleep", "output_dir"}


def test_unknown_parameter_rejected_before_execution(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown parameter.*colour"):
        check_parameters(TINY, {"value": 2, "colour": "red"})
    with pytest.raises(UsageError):
        run_notebook(TINY, tmp_path, {"colour": "red"})
    assert not list(tmp_path.iterdir()), "nothing may be executed or written"


def test_success_writes_notebook_html_and_table(tmp_path: Path) -> None:
    run = run_notebook(TINY, tmp_path, {"value": 21, "output_dir": str(tmp_path)})
    assert run.ipynb.exists() and run.html.exists()
    table = pd.read_csv(tmp_path / "tables" / "doubled.csv")
    assert table["value"].tolist() == [21, 42]
    html = run.html.read_text()
    assert "value = 21" not in html  # code hidden by default
    run_notebook(TINY, tmp_path, {"value": 21}, with_code=True)
    assert "value" in run.html.read_text()


def test_failing_cell_is_named_and_copy_kept(tmp_path: Path) -> None:
    with pytest.raises(NotebookError) as err:
        run_notebook(TINY, tmp_path, {"fail": True, "value": 7})
    msg = str(err.value)
    assert "tiny.ipynb" in msg and "ValueError" in msg and "value=7" in msg
    assert err.value.cell is not None
    assert (tmp_path / "tiny.ipynb").exists()


def test_time_limit(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="timed out"):
        run_notebook(TINY, tmp_path, {"sleep": 30.0}, timeout=2)


def test_failed_run_leaves_previous_output_in_place(project: Path) -> None:
    final = project / "outputs" / "tiny"
    plan = {"notebooks/tiny.ipynb": {"value": 3}}
    execute_plan("test", plan, final)
    good = (final / "tables" / "doubled.csv").read_bytes()
    m = manifest.read_manifest(final / "manifest.json")
    assert m["results"]["tables"]["tables/doubled.csv"] == manifest.sha256_file(
        final / "tables" / "doubled.csv"
    )
    assert m["notebooks"][0]["parameters"] == {"value": 3}

    with pytest.raises(NotebookError) as err:
        execute_plan("test", {"notebooks/tiny.ipynb": {"value": 4, "fail": True}}, final)
    assert (final / "tables" / "doubled.csv").read_bytes() == good
    assert "outputs/_failed/tiny/tiny.ipynb" in str(err.value)
    assert (project / "outputs" / "_failed" / "tiny" / "tiny.ipynb").exists()
    assert not list((project / "outputs").glob(".staging-*"))


def test_rerun_is_byte_identical(project: Path) -> None:
    final = project / "outputs" / "tiny"
    execute_plan("test", {"notebooks/tiny.ipynb": {"value": 5}}, final)
    first = manifest.read_manifest(final / "manifest.json")["results"]
    execute_plan("test", {"notebooks/tiny.ipynb": {"value": 5}}, final)
    assert manifest.read_manifest(final / "manifest.json")["results"] == first


def test_tables_keep_every_printed_digit(tmp_path: Path) -> None:
    from kpi_lib.report.outputs import save_table

    df = pd.DataFrame({"value": [9_999_999_999.99, 0.1 + 0.2, 3.05]})
    save_table(df, "t", tmp_path)
    text = (tmp_path / "tables" / "t.csv").read_text().split()
    assert text == ["value", "9999999999.99", "0.3", "3.05"]  # and no float noise


def test_folders_of_a_killed_run_are_cleaned_up(project: Path) -> None:
    final = project / "outputs" / "tiny"
    final.parent.mkdir(parents=True)
    dead = final.parent / ".staging-tiny-999999999"  # no such process
    live = final.parent / f".staging-tiny-{os.getppid()}"  # a running process: kept
    # another output's, its process gone: stale staging is removed whichever run left it
    other = final.parent / ".staging-tinyx-999999999"
    for d in (dead, live, other):
        d.mkdir()
    execute_plan("test", {"notebooks/tiny.ipynb": {"value": 1}}, final)
    assert not dead.exists() and live.exists() and not other.exists()
