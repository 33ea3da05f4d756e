"""Shared fixtures: a private project root (a copy of data/raw and data/catalog) selected with
KPI_ROOT, so tests never touch the checkout's data/processed or caches."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from common import DEEP_KPI, FIXTURES, ROOT, make_root, use_root


@pytest.fixture
def kpi_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project root with raw data and catalogue, no store: KPI_ROOT points at it."""
    root = make_root(tmp_path / "project")
    use_root(monkeypatch, root)
    return root


@pytest.fixture(scope="session")
def _ingested_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One project root ingested once per session; tests get copies (see `store_root`)."""
    root = make_root(tmp_path_factory.mktemp("ingested") / "project")
    with pytest.MonkeyPatch.context() as mp:
        use_root(mp, root)
        from kpi_lib.store.ingest import ingest

        ingest()
    yield root


@pytest.fixture
def store_root(_ingested_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root whose store is already built from data/raw (a private copy: tests may
    add files and re-ingest; the cache makes that fast)."""
    root = tmp_path / "project"
    shutil.copytree(_ingested_template, root, symlinks=True)
    use_root(monkeypatch, root)
    return root


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One private project with every report kind run once per session: the quarterly report
    with tables (2022/23 Q2), the newest quarter by default (2024/25 Q2, headline only), a
    deep dive and the audit page of the first. These are the suite's slowest notebook runs;
    test_reports and test_browser share them (xdist group "notebooks", one worker)."""
    from kpi_lib.publish.audit import audit
    from kpi_lib.publish.audit_notebook import render
    from kpi_lib.publish.params import DeepDiveParams, ReportParams
    from kpi_lib.publish.plan import run_deep_dive, run_report
    from kpi_lib.store.ingest import ingest

    root = make_root(tmp_path_factory.mktemp("published") / "project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    with pytest.MonkeyPatch.context() as mp:
        use_root(mp, root)
        ingest()
        run_report(ReportParams(period="2022/23 Q2"))
        run_report()
        run_deep_dive(DeepDiveParams(DEEP_KPI))
        manifest = root / "outputs" / "2022-23_Q2" / "manifest.json"
        render(audit(manifest), manifest)
        from kpi_lib.publish.batch import build_site

        build_site()  # outputs/index.html and kpi_history.xlsx (no notebook runs)
    return root


def statement_check_kpis() -> list[str]:
    """The KPIs whose deep dives the statement checks read (tests/fixtures/statements)."""
    import csv
    import re

    ids: set[str] = set()
    for path in sorted((FIXTURES / "statements").glob("checks*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                ids |= set(re.findall(r"kpi/([a-z0-9-]+)/", row["table"] + " " + row["check"]))
    return sorted(ids)


@pytest.fixture(scope="session")
def every_quarter(published: Path) -> tuple[Path, object]:
    """The session's published project with every other bundled quarter run through `kpi
    batch` (plus a quarter that does not exist, which must fail alone) and the deep dives the
    statement checks read. Returns the project and the batch's table."""
    from kpi_lib.publish.batch import batch
    from kpi_lib.publish.params import DeepDiveParams
    from kpi_lib.publish.plan import run_deep_dive
    from kpi_lib.store.snapshot import Store

    with pytest.MonkeyPatch.context() as mp:
        use_root(mp, published)
        done = {"2022/23 Q2", "2024/25 Q2"}
        bundled = sorted(set(Store.load().reports["report_period"]) - done)
        table = batch(periods=[*bundled, "2030/31 Q1"], workers=2, progress=False)
        for kpi_id in statement_check_kpis():
            if kpi_id != DEEP_KPI:
                run_deep_dive(DeepDiveParams(kpi_id))
    return published, table
