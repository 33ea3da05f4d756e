"""Two councils in one project, through the real report build (papermill, nbconvert): the
default council's quarterly report is byte for byte the same with another council's quarters in
data/raw, and the other council's report goes to outputs/<id>/ under its own name."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from common import FIXTURES, snapshot, use_root

from kpi_lib.publish.audit import audit
from kpi_lib.publish.params import ReportParams
from kpi_lib.publish.plan import run_report
from kpi_lib.store.ingest import ingest

pytestmark = pytest.mark.xdist_group("notebooks")  # shares the session's notebook runs

QUARTER = "2022-23_Q2"


# papermill gives the cell it injects a random id, so two runs of one notebook differ there and
# nowhere else; that id is masked, every other byte of the page is compared
_INJECTED_ID = re.compile(rb'(celltag_injected-parameters" id="cell-id=)[0-9a-f]+"')


def _published_files(out: Path) -> dict[str, bytes]:
    """The result tables and HTML pages of one run (the manifest records times and is left out;
    its hashes of these files are what an audit compares)."""
    files = snapshot(out)
    return {
        k: _INJECTED_ID.sub(rb'\1-"', v)
        for k, v in files.items()
        if k.startswith("tables/") or k.endswith(".html")
    }


def test_a_councils_report_is_byte_identical_with_another_council_present(
    published: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(published, root, symlinks=True)
    alone = _published_files(published / "outputs" / QUARTER)
    assert any(k.startswith("tables/") for k in alone) and "02_quarterly_report.html" in alone
    with pytest.MonkeyPatch.context() as mp:
        use_root(mp, root)
        # known from where it is placed: data/raw/<council-id>/<YYYY-YY>_Q<n>/
        shutil.copytree(FIXTURES / "councils" / "blackburn", root / "data" / "raw" / "blackburn")
        assert not ingest(keep_going=True).failed
        run_report(ReportParams(period="2022/23 Q2"))
        together = _published_files(root / "outputs" / QUARTER)
        assert together.keys() == alone.keys()
        differ = sorted(k for k in alone if alone[k] != together[k])
        assert not differ, f"changed by another council's files: {differ}"

        # each council's report is audited as its own (the manifest names the council)
        lancs = audit(root / "outputs" / QUARTER / "manifest.json")
        assert lancs.ok, lancs.lines()

        mp.setenv("KPI_COUNCIL", "blackburn")
        theirs = run_report(ReportParams(period="2022/23 Q2")).out_dir
        mp.delenv("KPI_COUNCIL")
        result = audit(theirs / "manifest.json")
        assert result.ok, result.lines()
    assert theirs == root / "outputs" / "blackburn" / QUARTER
    page = (theirs / "02_quarterly_report.html").read_text(encoding="utf-8")
    assert "Sickness Absence days per FTE" in page
    assert "Lancashire" not in page.split("What this report was built from")[0]
    inputs = (theirs / "tables" / "qa_files.csv").read_text(encoding="utf-8")
    assert "data/raw/blackburn/" in inputs and f"data/raw/{QUARTER}/" not in inputs
