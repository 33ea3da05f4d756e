"""`kpi extract` of a PDF loads what reading a PDF needs, not the store, pandas or the analysis:
their imports cost more than reading a short report (bench/bench_pdf.py times it). Each
fixture PDF is extracted in a fresh process through the CLI, which then lists the modules
it holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from common import FIXTURES

PDFS = sorted((FIXTURES / "matrix").glob("*.pdf")) + sorted((FIXTURES / "writer").glob("*.pdf"))
NEVER = ("pandas", "pandera", "duckdb", "pyarrow", "kpi_lib.store", "kpi_lib.analysis")
LIGHT = {"kpi_lib.analysis", "kpi_lib.analysis.defaults"}  # the CLI's defaults: constants
# a PDF without rules or a scan needs neither pdfplumber (ruled tables) nor numpy (scans)
TEXT_ONLY = "2023-24_Q2_html_noborder.pdf"
SCRIPT = """
import sys
from kpi_lib.cli import main
code = main(["extract", sys.argv[1]])
sys.stdout.flush()
print("\\nMODULES " + " ".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def _extract(path: Path, root: Path) -> tuple[str, set[str]]:
    env = {**os.environ, "KPI_CACHE": "off", "KPI_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stderr.splitlines() if ln.startswith("MODULES "))
    return done.stdout, set(line.split()[1:])


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_extract_of_a_pdf_loads_no_store_pandas_or_analysis(pdf: Path, tmp_path: Path) -> None:
    rows, modules = _extract(pdf, tmp_path)  # an empty project: the built-in reader profile
    assert rows.count("\n") > 5  # a header and KPI rows
    loaded = sorted(m for m in modules - LIGHT if m.split(".")[0] in NEVER or m.startswith(NEVER))
    assert not loaded, f"{pdf.name}: {loaded[:8]}"
    if pdf.name == TEXT_ONLY:
        extra = sorted(m for m in modules if m.split(".")[0] in ("pdfplumber", "pdfminer", "numpy"))
        assert not extra, extra[:8]
