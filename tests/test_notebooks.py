"""The notebooks read as a workbook: committed without outputs, one parameters cell first, a
markdown note before each section, each code cell showing one thing, no logic in cells (it
belongs in kpi_lib), and the notes left out of the paper unless the code is shown too."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from kpi_lib.publish.exporter import PaperExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WORKBOOKS = NOTEBOOKS
LOGIC = (ast.For, ast.While, ast.IfExp, ast.If, ast.ListComp, ast.DictComp, ast.Lambda)


def _code(cell) -> ast.Module:
    return ast.parse(cell.source)


def workbook_problems(nb) -> list[str]:
    """What keeps a notebook from reading as a workbook, one line each."""
    out = []
    cells = nb.cells
    params = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    if params != [0]:
        out.append(f"the parameters cell must be the first and only one, found at {params}")
    for i, c in enumerate(cells):
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")):
            out.append(f"cell {i}: committed with outputs")
    if len(cells) < 2 or cells[1].cell_type != "markdown" or not cells[1].source.startswith("# "):
        out.append("cell 1: a markdown title saying what the notebook is for")
    for i, c in enumerate(cells[2:], start=2):
        if c.cell_type != "code":
            continue
        tree = _code(c)
        logic = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, LOGIC)]
        if logic:
            out.append(f"cell {i}: {', '.join(sorted(set(logic)))} belongs in kpi_lib")
        if any(isinstance(n, ast.Import | ast.ImportFrom) for n in tree.body):
            continue  # the set-up cell: builds and saves, shows nothing
        shown = [n for n in tree.body if isinstance(n, ast.Expr)]
        if len(tree.body) != 1 or len(shown) != 1:
            out.append(f"cell {i}: one expression, one section shown")
        if cells[i - 1].cell_type != "markdown" or not cells[i - 1].source.startswith("## "):
            out.append(f"cell {i}: no markdown note before it saying what it shows")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_and_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert not [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_the_report_notebooks_read_as_a_workbook(path: Path) -> None:
    assert workbook_problems(nbformat.read(path, as_version=4)) == []


def _nb(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('period = "2022/23 Q2"', metadata={"tags": ["parameters"]})
    ]
    nb.cells += list(cells)
    return nb


def test_the_workbook_check_finds_each_fault() -> None:
    """The check above is not vacuous: each fault of a thin notebook is named."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    good = _nb(md("# 02 · Title"), code("from kpi_lib.report import paper"), md("## A"), code("x"))
    assert workbook_problems(good) == []
    no_note = _nb(md("# T"), code("import x"), code("paper.movers(q)"))
    assert workbook_problems(no_note) == ["cell 3: no markdown note before it saying what it shows"]
    cond = _nb(md("# T"), md("## A"), code("None if c.headline_only else paper.movers(q)"))
    assert workbook_problems(cond) == ["cell 3: IfExp belongs in kpi_lib"]
    loop = _nb(md("# T"), md("## A"), code("for t in ts:\n    save(t)"))
    assert workbook_problems(loop)[0] == "cell 3: For belongs in kpi_lib"
    two = _nb(md("# T"), md("## A"), code("paper.a(q)\npaper.b(q)"))
    assert workbook_problems(two) == ["cell 3: one expression, one section shown"]
    ran = _nb(md("# T"))
    ran.cells[0].outputs = [nbformat.v4.new_output("stream", text="x")]
    assert workbook_problems(ran) == ["cell 0: committed with outputs"]


def test_the_paper_leaves_the_notes_out_and_a_page_with_code_keeps_them() -> None:
    nb = _nb(
        nbformat.v4.new_markdown_cell("## Biggest movers\n\nA NOTE", metadata={"tags": ["note"]}),
        nbformat.v4.new_markdown_cell("## Source files"),  # page content, not a note
        nbformat.v4.new_code_cell("1 + 1"),
    )
    paper, _ = PaperExporter().from_notebook_node(nb)
    assert "A NOTE" not in paper and "Source files" in paper
    assert "code_cell" not in paper  # the code cell has no output: nothing of it is left
    with_code, _ = PaperExporter(exclude_input=False).from_notebook_node(nb)
    assert "A NOTE" in with_code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_report_notebook_says_what_it_is_for_in_a_note(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert "note" in nb.cells[1].metadata.get("tags", [])
