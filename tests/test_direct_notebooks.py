"""The notebooks run on their own, outside `kpi report`: the README's papermill and nbconvert
commands as written (with an output folder), and a JupyterLab-style Run All from notebooks/
without one, each rendered into the offline page (no CDN script, no require.js or MathJax)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from common import ROOT

BIN = Path(sys.executable).parent


def readme_commands() -> list[list[str]]:
    """The commands of the README's block under "Running a notebook on its own"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text.split("## Running a notebook on its own", 1)[1]
    block = re.search(r"```bash\n(.*?)```", part, re.S).group(1)
    lines = block.replace("\\\n", " ").strip().splitlines()
    return [
        [
            a.replace(".venv/bin/", f"{BIN}/", 1) if i == 0 else a
            for i, a in enumerate(shlex.split(x))
        ]
        for x in lines
    ]


def _offline(page: str) -> None:
    assert "<script" not in page and "require.js" not in page and "MathJax" not in page
    fetched = re.findall(r'(?:src|href)="(?!data:|#)([^"]+)"', page)
    assert not fetched, fetched[:3]


@pytest.fixture
def project(store_root: Path) -> Path:
    shutil.copytree(ROOT / "notebooks", store_root / "notebooks")
    return store_root


def test_the_readme_papermill_call_works_as_written(project: Path) -> None:
    commands = readme_commands()
    assert [c[0].rsplit("/", 1)[-1] for c in commands] == ["mkdir", "papermill", "jupyter"]
    for cmd in commands:
        res = subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr[-2000:]
    out = project / "outputs" / "direct"
    page = (out / "young-people-eet.html").read_text(encoding="utf-8")
    _offline(page)
    assert "<title>KPI deep dive: % of Young People in Employment" in page
    assert "run directly (papermill or Jupyter), not by `kpi report`" in page
    assert page.count("<img") >= 2 and "kpi-table" in page
    assert (out / "young-people-eet" / "tables" / "statements.csv").is_file()
    assert not (out / "young-people-eet" / "manifest.json").exists()


def test_run_all_from_the_notebooks_folder_without_an_output_folder(project: Path) -> None:
    """What JupyterLab's Run All does: the kernel starts in notebooks/, parameters as saved."""
    import nbformat
    from nbclient import NotebookClient

    from kpi_lib.publish.exporter import PaperExporter

    nb = nbformat.read(project / "notebooks" / "02_quarterly_report.ipynb", as_version=4)
    NotebookClient(
        nb, kernel_name="kpi-workbook", resources={"metadata": {"path": str(project / "notebooks")}}
    ).execute()
    page, _ = PaperExporter().from_notebook_node(nb)
    _offline(page)
    assert "Corporate Performance Report 2022/23 Q2" in page
    assert "Interactive run: no manifest." in page
    assert not (project / "notebooks" / "tables").exists()
