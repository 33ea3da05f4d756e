"""The report page as an nbconvert exporter, so a notebook run outside `kpi report` (papermill
on its own, JupyterLab's Run All) is rendered into the same offline page: nbconvert's default
HTML loads require.js and MathJax from a CDN.

Registered as `kpi_html` (pyproject.toml, entry point `nbconvert.exporters`):
`jupyter nbconvert --to kpi_html out.ipynb`, and in JupyterLab under File > Save and Export
Notebook As > "KPI paper (offline HTML)".
"""

from __future__ import annotations

import copy
from typing import Any

from nbconvert import HTMLExporter
from traitlets import Unicode

from kpi_lib.publish.page_shell import wrap

NOTE_TAG = "note"


def _shown(cell: Any) -> bool:
    if NOTE_TAG in cell.metadata.get("tags", []):
        return False
    return cell.cell_type != "code" or bool(cell.get("outputs"))


class PaperExporter(HTMLExporter):
    """nbconvert's `basic` body (no CDN scripts) inside the report page (`publish.page_shell.wrap`);
    code cells and prompts hidden unless `exclude_input` is set False. Cells tagged `note` are
    the analyst's notes on each section: a page without code leaves them out too."""

    export_from_notebook = "KPI paper (offline HTML)"
    template_name = Unicode("basic").tag(config=True)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("exclude_input", True)
        kw.setdefault("exclude_input_prompt", True)
        kw.setdefault("exclude_output_prompt", True)
        super().__init__(**kw)

    def from_notebook_node(self, nb: Any, resources: dict | None = None, **kw: Any):
        if self.exclude_input:  # the notes, and code cells that show nothing (the set-up)
            nb = copy.deepcopy(nb)
            nb.cells = [c for c in nb.cells if _shown(c)]
        body, resources = super().from_notebook_node(nb, resources, **kw)
        name = (resources or {}).get("metadata", {}).get("name") or "KPI report"
        return wrap(body, fallback_title=str(name)), resources
