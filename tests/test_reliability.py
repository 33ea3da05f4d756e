"""The reliability suite: the attacks of issue 12, repeated so they stay fixed.

- audit probes: manifests naming foreign code, paths out of the project, absurd parameters;
- SQL probes: statements that would write the store or touch other files;
- interleavings: report + ingest, ingest + ingest, report + report, for real, in processes;
- crashes: a real SIGKILL (KPI_CRASH_AT) at each step of ingest and of the output swap;
- junk: random tab-separated text of growing size, and one file over the size limit;
- bad inputs: each answered with one line and a non-zero exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from common import ROOT, make_root, snapshot

from kpi_lib.cli import main

KPI = "care-home-admissions-65-plus"
TINY = ROOT / "tests" / "fixtures" / "notebooks" / "tiny.ipynb"
Q3 = """# Corporate Performance Report

**2022/23 Quarter 3**

## Delivering Better Services

Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends
8 days per FTE by 2025/26\tLow\t2022/23 Q3\tSickness Absence days per FTE\t4.62\t!\t
"""


def kpi(
    root: Path, *args: str, env: dict[str, str] | None = None, new_session: bool = False
) -> subprocess.Popen[str]:
    """`kpi ...` in its own process, on the project at `root` (`new_session`: as the leader
    of its own process group, as a shell would start it)."""
    full = {**os.environ, "KPI_ROOT": str(root), **(env or {})}
    full.pop("KPI_PROCESSED", None)
    return subprocess.Popen(
        [sys.executable, "-m", "kpi_lib.cli", *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpi: error: "), err
    assert "Traceback" not in err
    return lines[0]


def wait_for(cond, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def junk_text(size: int, seed: int) -> str:
    """Random tab-separated text: the adversarial pass's stalling input."""
    rng = random.Random(seed)
    lines, n = [], 0
    while n < size:
        cells = rng.randint(1, 8)
        line = "\t".join(
            "".join(rng.choice("abcdefghij klmn0123456789%£.") for _ in range(rng.randint(1, 12)))
            for _ in range(cells)
        )
        lines.append(line)
        n += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


# --- a published report: the target of the audit probes --------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A manifest exactly as `kpi report` writes it (its real plan, inputs and notebook
    hashes) over a result table: the probes are refused before anything would run, so the
    notebooks need not have run (test_reports audits a real run end to end)."""
    root = make_root(tmp_path_factory.mktemp("reliability") / "project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(root))
        mp.delenv("KPI_PROCESSED", raising=False)
        from kpi_lib.publish import manifest
        from kpi_lib.publish.params import ReportParams
        from kpi_lib.publish.plan import quarterly_plan
        from kpi_lib.store.ingest import ingest

        ingest()
        name, plan = quarterly_plan(ReportParams())
        out = root / "outputs" / name
        (out / "tables").mkdir(parents=True)
        (out / "tables" / "headline.csv").write_text("rated,green\n41,23\n")
        manifest.write_json(out / manifest.RUN_INFO, manifest.run_info("quarterly", plan))
        manifest.finish(out)
        yield out / manifest.MANIFEST


@pytest.fixture
def evil_notebook(tmp_path: Path) -> tuple[Path, Path]:
    """A notebook outside the project whose code leaves a marker file if it ever runs."""
    marker = tmp_path / "EVIL_RAN"
    nb = json.loads(TINY.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "time.sleep" in "".join(cell["source"]):
            cell["source"] = [f"open({str(marker)!r}, 'w').write('foreign code ran')\n"]
    evil = tmp_path / "evil.ipynb"
    evil.write_text(json.dumps(nb), encoding="utf-8")
    return evil, marker


def _probe(published: Path, edit) -> dict:
    m = json.loads(published.read_text(encoding="utf-8"))
    edit(m)
    return m


AUDIT_PROBES = {
    "relative path out of notebooks/": lambda m, evil: m["notebooks"][1].update(
        path="notebooks/../../" + evil.name
    ),
    "notebook sha256 changed": lambda m, evil: m["notebooks"][1].update(sha256="0" * 64),
    "horizon 1e9": lambda m, evil: m["notebooks"][1]["parameters"].update(forecast_horizon=1e9),
    "horizon 10**9": lambda m, evil: m["notebooks"][1]["parameters"].update(forecast_horizon=10**9),
    "tolerance as text": lambda m, evil: m["notebooks"][1]["parameters"].update(
        amber_tolerance="0.05; import os"
    ),
    "empty period": lambda m, evil: m["notebooks"][1]["parameters"].update(period=""),
    "source file /etc/hostname": lambda m, evil: m["notebooks"][0]["parameters"].update(
        source_files=["/etc/hostname"]
    ),
    "source file /dev/zero": lambda m, evil: m["notebooks"][0]["parameters"].update(
        source_files=["/dev/zero"]
    ),
    "source file via ..": lambda m, evil: m["notebooks"][0]["parameters"].update(
        source_files=["data/../../../../etc/hostname"]
    ),
    "input outside data/": lambda m, evil: m["inputs"].append(
        {"path": "/etc/passwd", "sha256": "0" * 64}
    ),
    "result outside the output folder": lambda m, evil: m["results"]["tables"].update(
        {"../../../../../../etc/hostname": "0" * 64}
    ),
    "unknown parameter": lambda m, evil: m["notebooks"][1]["parameters"].update(colour="red"),
    # issue 19: refused by the CLI's own checks before any kernel starts
    "code in the period": lambda m, evil: m["notebooks"][1]["parameters"].update(
        period="2022/23 Q2'); open('EVIL_RAN', 'w'); ('"
    ),
    "code in the ingest period": lambda m, evil: m["notebooks"][0]["parameters"].update(
        period="__import__('os').system('touch EVIL_RAN')"
    ),
    "1 MB period": lambda m, evil: m["notebooks"][1]["parameters"].update(period="2" * 1_000_000),
    "output_dir elsewhere": lambda m, evil: m["notebooks"][1]["parameters"].update(
        output_dir="/tmp/elsewhere"
    ),
    "output_dir in the ingest notebook": lambda m, evil: m["notebooks"][0]["parameters"].update(
        output_dir="../../.."
    ),
    # refused once the audit's private store is built, still before any kernel
    "unknown section": lambda m, evil: m["notebooks"][1]["parameters"].update(
        sections=["No such section"]
    ),
    "a period with no KPI rows": lambda m, evil: [
        nb["parameters"].update(period="2030/31 Q1") for nb in m["notebooks"]
    ],
    "source files not the period's": lambda m, evil: m["notebooks"][0]["parameters"].update(
        source_files=[i["path"] for i in m["inputs"] if i["path"].endswith((".md", ".txt"))][:1]
    ),
}


def _absolute_evil(m: dict, evil: Path) -> None:
    from kpi_lib.publish.manifest import sha256_file

    m["notebooks"][1].update(path=str(evil), sha256=sha256_file(evil))


@pytest.mark.parametrize("probe", ["absolute path to a foreign notebook", *AUDIT_PROBES])
def test_audit_refuses_a_manifest_it_cannot_verify_and_runs_nothing(
    published: Path,
    evil_notebook: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    probe: str,
) -> None:
    monkeypatch.setenv("KPI_ROOT", str(published.parents[2]))
    scratch = tmp_path / "scratch"  # where an audit would re-run
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    evil, marker = evil_notebook
    shutil.copy(evil, published.parents[2] / evil.name)  # within reach of `..`
    edit = _absolute_evil if probe not in AUDIT_PROBES else AUDIT_PROBES[probe]
    m = _probe(published, lambda m: edit(m, evil))
    bad = published.with_name("manifest_probe.json")
    bad.write_text(json.dumps(m), encoding="utf-8")
    try:
        assert main(["audit", str(bad)]) == 1
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("audit REFUSED:") and "nothing was run" in out[0], out
        assert len(out) >= 2
        assert not marker.exists(), "foreign code ran"
        # no re-run left behind (the kernel folder is the audit page's own, removed at exit)
        reruns = [p for p in scratch.iterdir() if not p.name.startswith("kpi-kernels-")]
        assert reruns == [], "a re-run was started"
    finally:
        bad.unlink()
        (published.parents[2] / evil.name).unlink()


def test_the_untouched_manifest_passes_every_check(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib.publish.audit import check_plan, compare_inputs, compare_notebooks, replan
    from kpi_lib.publish.manifest import read_manifest

    monkeypatch.setenv("KPI_ROOT", str(published.parents[2]))
    m = read_manifest(published)
    assert check_plan(m, published.parent) == []
    assert compare_notebooks(m["notebooks"]) == [] and compare_inputs(m["inputs"]) == []
    assert replan(m) == []  # the plan `kpi report` makes for these parameters


# --- SQL: read-only, one query ---------------------------------------------------------------
SQL_PROBES = [
    "COPY (select * from observations where rag <> 'Red') "
    "TO 'data/processed/observations.parquet' (FORMAT parquet)",
    "COPY observations TO '{tmp}/out.csv'",
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/hostname')",
    "select * from read_blob('/etc/hostname')",
    "select * from glob('/root/*')",
    "select * from read_parquet('data/processed/observations.parquet')",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "PRAGMA enable_profiling",
    "create table t as select 1 as x",
    "insert into observations select * from observations",
    "drop view observations",
    "delete from observations",
    "update observations set rag = 'Green'",
    "EXPORT DATABASE '{tmp}/export'",
    "CALL pragma_version()",
    "CHECKPOINT",
    "select 1; select 2",
    "select 1; COPY observations TO '{tmp}/out2.csv'",
]


@pytest.mark.parametrize("query", SQL_PROBES)
def test_sql_escapes_are_refused_and_the_store_is_unchanged(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    processed = store_root / "data" / "processed"
    before = snapshot(processed)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.chdir(store_root)  # relative paths in the probes point at the real store
    try:
        assert main(["sql", query.format(tmp=outside)]) == 2
    finally:
        os.chdir(ROOT)
    line = one_line(capsys.readouterr().err)
    assert line.startswith("kpi: error: sql:")
    assert snapshot(processed) == before
    assert list(outside.iterdir()) == []


def test_sql_still_answers_queries(store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "with r as (select rag, count(*) n from current group by 1) select * from r order by 1"
    assert main(["sql", q]) == 0
    assert "Red" in capsys.readouterr().out
    assert main(["sql", "describe observations"]) == 0


# --- runs that do not mix --------------------------------------------------------------------
@pytest.fixture
def project(store_root: Path) -> Path:
    shutil.copytree(ROOT / "notebooks", store_root / "notebooks")
    return store_root


def test_ingest_during_a_report_is_refused_and_the_report_is_one_snapshot(project: Path) -> None:
    from kpi_lib import store
    from kpi_lib.publish.manifest import read_manifest, result_hashes

    report = kpi(project, "report", "--period", "2022/23 Q2")
    outputs = project / "outputs"
    wait_for(lambda: any(outputs.glob(".staging-2022-23_Q2-*/run_info.json")), "report running")
    new = project / "data" / "raw" / "2022-23_Q3" / "q3.md"
    new.parent.mkdir()
    new.write_text(Q3, encoding="utf-8")
    store_before = snapshot(project / "data" / "processed")
    code, _, err = finish(kpi(project, "ingest"))
    assert code == 2 and "is in use by pid" in one_line(err), err
    rc, _, report_err = finish(report)
    assert rc == 0, report_err
    assert snapshot(project / "data" / "processed") == store_before
    # what the report read is what its manifest names: store, inputs and results agree
    m = read_manifest(outputs / "2022-23_Q2" / "manifest.json")
    assert m["results"] == result_hashes(outputs / "2022-23_Q2")
    reps = store.load("reports")
    stored = dict(zip(reps["file"], reps["sha256"], strict=True))
    listed = {
        i["path"]: i["sha256"] for i in m["inputs"] if i["path"].endswith((".md", ".txt", ".pdf"))
    }
    assert listed == stored
    code, _, err = finish(kpi(project, "ingest"))  # once the report is done: goes through
    assert code == 0, err
    assert "data/raw/2022-23_Q3/q3.md" in set(store.load("reports")["file"])


def test_report_while_the_store_is_being_written_is_one_line(project: Path) -> None:
    from kpi_lib.store.lock import store_lock

    with store_lock(shared=False):  # what an ingest holds while it writes
        code, out, err = finish(kpi(project, "report"))
        assert code == 2 and "the store data/processed is in use by pid" in one_line(err)
        code, out, err = finish(kpi(project, "ingest"))
        assert code == 2 and "in use by" in one_line(err)
        code, out, err = finish(kpi(project, "sql", "select 1"))
        assert code == 2 and "in use by" in one_line(err)
    assert not (project / "outputs" / "2022-23_Q2").exists()


def test_two_ingests_at_once_leave_one_store_and_no_traceback(project: Path) -> None:
    procs = [kpi(project, "ingest", "--rebuild") for _ in range(2)]
    results = [finish(p) for p in procs]
    assert all(code in (0, 2) for code, _, _ in results) and any(c == 0 for c, _, _ in results)
    for code, _, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "in use by" in one_line(err)
    before = snapshot(project / "data" / "processed")
    assert finish(kpi(project, "ingest"))[0] == 0
    assert snapshot(project / "data" / "processed") == before  # already the full store


def test_two_reports_at_once_publish_one_whole_output(project: Path) -> None:
    from kpi_lib.publish.manifest import read_manifest, result_hashes

    procs = [kpi(project, "report", "--period", "2021/22 Q4") for _ in range(2)]
    results = [finish(p) for p in procs]
    assert sorted(c for c, _, _ in results) in ([0, 0], [0, 2]), results
    for code, _, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "outputs/2021-22_Q4 is in use by" in one_line(err)
    out = project / "outputs" / "2021-22_Q4"
    assert read_manifest(out / "manifest.json")["results"] == result_hashes(out)
    assert not [p for p in out.parent.iterdir() if p.name.startswith((".staging", ".old"))]


def test_store_folder_keeps_ordinary_permissions(kpi_root: Path) -> None:
    from kpi_lib.store.ingest import ingest

    ingest()
    umask = os.umask(0)
    os.umask(umask)
    assert (kpi_root / "data" / "processed").stat().st_mode & 0o777 == 0o777 & ~umask


# --- kill -9 at each step ----------------------------------------------------------------------
INGEST_STEPS = ["ingest-parsed", "store-staged", "store-swap", "store-swapped"]


@pytest.mark.parametrize("step", INGEST_STEPS)
def test_ingest_killed_at_each_step_recovers_to_the_same_store(
    store_root: Path, tmp_path: Path, step: str
) -> None:
    processed = store_root / "data" / "processed"
    new = store_root / "data" / "raw" / "2022-23_Q3" / "q3.md"
    new.parent.mkdir()
    new.write_text(Q3, encoding="utf-8")
    # the store a clean run gives, in a copy of the project
    clean = tmp_path / "clean"
    shutil.copytree(store_root, clean, symlinks=True)
    assert finish(kpi(clean, "ingest"))[0] == 0
    expected = snapshot(clean / "data" / "processed")

    before = snapshot(processed)
    code, _, err = finish(kpi(store_root, "ingest", env={"KPI_CRASH_AT": step}))
    assert code == -signal.SIGKILL, err
    if step in ("ingest-parsed", "store-staged"):
        assert snapshot(processed) == before  # nothing was swapped yet
    elif step == "store-swap":
        assert not processed.exists()  # between the renames: readers get one line
        code, _, err = finish(kpi(store_root, "sql", "select 1"))
        assert code == 2 and "interrupted ingest" in one_line(err)
    else:
        assert snapshot(processed) == expected
    code, _, err = finish(kpi(store_root, "ingest"))
    assert code == 0, err
    assert snapshot(processed) == expected
    assert not [p for p in processed.parent.iterdir() if p.name.startswith(".processed-")]


@pytest.fixture(scope="module")
def _tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch project with the tiny notebook and one good output, run once."""
    root = tmp_path_factory.mktemp("tiny") / "project"
    (root / "data" / "raw" / "2022-23_Q2").mkdir(parents=True)
    (root / "data" / "raw" / "2022-23_Q2" / "r.txt").write_text("report\n")
    (root / "notebooks").mkdir()
    shutil.copy(TINY, root / "notebooks" / "tiny.ipynb")
    (root / "pyproject.toml").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(root))
        from kpi_lib.publish.plan import execute_plan

        execute_plan("test", {"notebooks/tiny.ipynb": {"value": 3}}, root / "outputs" / "tiny")
    yield root


@pytest.fixture
def tiny_project(_tiny_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(_tiny_template, root)
    monkeypatch.setenv("KPI_ROOT", str(root))
    return root


RUN_TINY = (
    "import sys; from pathlib import Path; from kpi_lib.publish.plan import execute_plan; "
    "execute_plan('test', {'notebooks/tiny.ipynb': {'value': int(sys.argv[1])}}, Path(sys.argv[2]))"
)


@pytest.mark.parametrize("step", ["output-staged", "output-swap", "output-swapped"])
def test_output_swap_killed_at_each_step_keeps_a_whole_output(
    tiny_project: Path, step: str
) -> None:
    from kpi_lib.publish.execute import NotebookError
    from kpi_lib.publish.manifest import read_manifest, result_hashes
    from kpi_lib.publish.plan import execute_plan

    final = tiny_project / "outputs" / "tiny"
    good = snapshot(final)
    env = {**os.environ, "KPI_CRASH_AT": step}
    proc = subprocess.run(
        [sys.executable, "-c", RUN_TINY, "4", str(final)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if step == "output-swap":
        assert not final.exists()  # the crash the adversarial pass found
    # the next run restores before it removes anything, even when it fails itself
    with pytest.raises(NotebookError):
        execute_plan("test", {"notebooks/tiny.ipynb": {"value": 5, "fail": True}}, final)
    now = snapshot(final)
    if step == "output-swapped":
        assert "tables/doubled.csv" in now and now["tables/doubled.csv"].startswith(b"value\n4")
    else:
        assert now == good
    assert read_manifest(final / "manifest.json")["results"] == result_hashes(final)
    assert not [p for p in final.parent.iterdir() if p.name.startswith((".staging", ".old"))]


# --- junk of growing size, and a file over the limit -----------------------------------------
@pytest.mark.parametrize("size", [2_000, 8_000, 24_000])
def test_junk_is_answered_and_does_not_block_the_other_files(
    store_root: Path, capsys: pytest.CaptureFixture[str], size: int
) -> None:
    from kpi_lib import store

    folder = store_root / "data" / "raw" / "2022-23_Q3"
    folder.mkdir()
    (folder / "q3.md").write_text(Q3, encoding="utf-8")
    (folder / "junk.txt").write_text(junk_text(size, seed=size), encoding="utf-8")
    # answered: junk yields no KPI row and no headline, so it is named in one line and not
    # ingested (never stored in silence), and the exit says so; the other files go in
    assert main(["ingest"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "data/raw/2022-23_Q3/junk.txt" in line and "no KPI rows read" in line
    reps = store.load("reports").set_index("file")
    assert "data/raw/2022-23_Q3/junk.txt" not in reps.index
    assert reps.loc["data/raw/2022-23_Q3/q3.md", "rows_extracted"] == 1


def test_a_file_over_the_size_limit_is_reported_and_the_rest_ingested(
    store_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib import store

    folder = store_root / "data" / "raw" / "2022-23_Q3"
    folder.mkdir()
    (folder / "q3.md").write_text(Q3, encoding="utf-8")
    (folder / "huge.txt").write_text(junk_text(200_000, seed=1), encoding="utf-8")
    monkeypatch.setenv("KPI_MAX_FILE_MB", "0.15")  # above the bundled reports, below huge.txt
    assert main(["ingest"]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert "data/raw/2022-23_Q3/huge.txt" in line and "over the 0.15 MB limit" in line
    files = set(store.load("reports")["file"])
    assert "data/raw/2022-23_Q3/q3.md" in files and "data/raw/2022-23_Q3/huge.txt" not in files
    assert "parsed" in captured.out and "q3.md" in captured.out


def test_when_no_file_can_be_read_the_store_is_left_as_it_was(
    store_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(store_root / "data" / "processed")
    monkeypatch.setenv("KPI_MAX_FILE_MB", "0.001")  # every report is over 1 KB
    assert main(["ingest"]) == 2
    assert "over the 0.001 MB limit" in one_line(capsys.readouterr().err)
    assert snapshot(store_root / "data" / "processed") == before


# --- bad inputs: one line, non-zero ----------------------------------------------------------
LONG = "x" * 5000
BAD_INPUTS = [
    ["extract", LONG],
    ["extract", LONG + ".pdf"],
    ["extract", ""],
    ["ingest", LONG],
    ["ingest", ""],
    ["ingest", "--period", ""],
    ["forecast", KPI, "--seed", "-1"],
    ["forecast", KPI, "--seed", str(2**40)],
    ["report", "--period", ""],
    ["report", "--section", ""],
    ["deep-dive", ""],
    ["batch", "--period", ""],
    ["audit", ""],
    ["audit", LONG],
    ["sql", "select 1; select 2"],
    ["summary", "--period", ""],
    ["rag", "--period", ""],
    ["claims", "--period", ""],
    # issue 19: special files are never opened, sizes and nesting are checked before reading
    ["ingest", "/dev/zero"],
    ["audit", "/dev/zero"],
    ["extract", "/dev/zero"],
    ["ingest", "/dev/null"],
    ["audit", "/dev/null"],
    ["ingest", "{fifo}"],
    ["audit", "{fifo}"],
    ["extract", "{fifo}"],
    ["extract", "{fifo}.pdf"],
    ["ingest", "{folder}"],
    ["audit", "{folder}"],
    ["audit", "{nested}"],
    ["audit", "{huge}"],
    ["sql", "select 'caf\udce9' as x"],
    ["sql", "select 1 where '\ud800' = ''"],
    ["report", "--period", "2" * 1_000_000],
    ["report", "--period", "2022/23 Q2'); import os; ('"],
    ["report", "--section", "x" * 100_000],
    ["deep-dive", "k" * 100_000],
]


def _special_files(tmp: Path) -> dict[str, str]:
    """A FIFO (nobody writes to it: opening it would block for ever), an empty folder, a
    manifest nested 100,000 deep and a sparse 20 GB one (its size is known without reading)."""
    os.mkfifo(tmp / "fifo")
    os.mkfifo(tmp / "fifo.pdf")
    (tmp / "folder").mkdir()
    (tmp / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    with (tmp / "huge.json").open("wb") as fh:
        fh.truncate(20 * 10**9)
    return {
        "fifo": str(tmp / "fifo"),
        "folder": str(tmp / "folder"),
        "nested": str(tmp / "nested.json"),
        "huge": str(tmp / "huge.json"),
    }


@pytest.mark.parametrize("argv", BAD_INPUTS, ids=lambda a: " ".join(x[:20] for x in a))
def test_bad_input_is_one_line_and_a_non_zero_exit(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = snapshot(store_root / "data" / "processed")
    if any("{" in a and len(a) < 100 for a in argv):
        files = _special_files(tmp_path)
        argv = [a.format(**files) if "{" in a and len(a) < 100 else a for a in argv]
    assert main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert len(line) < 400, line[:200]  # a megabyte argument is not echoed back
    assert snapshot(store_root / "data" / "processed") == before
    assert not (store_root / "outputs").exists()


# --- issue 19: a cache that cannot run code or lie undetected ----------------------------------
def test_no_cache_uses_pickle() -> None:
    """Every cache is data (JSON, Parquet): no module of kpi_lib imports pickle or reads with
    a pickle-based loader."""
    banned = ("import pickle", "from pickle", "pd.read_pickle", "joblib", "dill", "shelve")
    for p in sorted((ROOT / "kpi_lib").rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        assert not [b for b in banned if b in text], p


def _entry_value() -> dict:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"kpi_id": ["a", "b"], "value": [1.5, float("nan")]})
    frame.attrs["basis"] = "quarter"
    return {
        "rows": frame,
        "series": pd.Series([1.0, 2.0], index=pd.period_range("2022Q1", periods=2, freq="Q")),
        "period": pd.Period("2023Q2", freq="Q"),
        "paths": np.arange(6, dtype=float).reshape(2, 3),
        "pair": (None, ["x"]),
        "p": np.float64(0.25),
    }


def test_report_cache_round_trips_exactly_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    import pandas as pd

    from kpi_lib.report import build_cache as bc

    value = _entry_value()
    path = tmp_path / "k.json"
    assert bc.store(path, "k", value)
    back = bc.load(path, "k")
    bc.same(back, value)  # raises unless every cell, dtype, index and attr is the same
    assert type(back["p"]) is type(value["p"]) and back["rows"].attrs == {"basis": "quarter"}
    # what Parquet cannot hold exactly is not cached (recomputed each time), never altered
    mixed = {"rows": pd.DataFrame({"x": ["a", 1]})}
    assert not bc.store(tmp_path / "m.json", "m", mixed)
    assert not (tmp_path / "m.json").exists()
    assert not bc.store(tmp_path / "o.json", "o", {"f": open})  # a function: never written


def _forge(path: Path, edit) -> None:
    """Rewrite a cache entry's content and, like a careful forger, its content hash."""
    from kpi_lib.report import build_cache as bc

    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["value"] = edit(doc["value"])
    doc["content_sha256"] = bc._content_hash(doc["value"])
    path.write_text(json.dumps(doc), encoding="utf-8")


TAMPERED_ENTRIES = {
    "a value edited, hash not updated": lambda p: p.write_text(
        p.read_text(encoding="utf-8").replace("quarter", "QUARTER", 1), encoding="utf-8"
    ),
    "torn in half": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "a pickle in its place": lambda p: p.write_bytes(
        b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R."
    ),
    "another entry's file": lambda p: (
        _forge(p, lambda v: v)
        or p.write_text(
            p.read_text(encoding="utf-8").replace('"key": "k"', '"key": "other"'), encoding="utf-8"
        )
    ),
    "a class named by the file": lambda p: _forge(
        p, lambda v: {"$class": "Popen", "fields": {"args": ["touch", str(p) + ".ran"]}}
    ),
    "a module path named by the file": lambda p: _forge(
        p, lambda v: {"$class": "subprocess:Popen", "fields": {}}
    ),
    "an unknown tag": lambda p: _forge(p, lambda v: {"$eval": "__import__('os')"}),
}


@pytest.mark.parametrize("how", TAMPERED_ENTRIES)
def test_a_tampered_cache_entry_is_recomputed_never_trusted(tmp_path: Path, how: str) -> None:
    from kpi_lib.report import build_cache as bc

    path = tmp_path / "k.json"
    assert bc.store(path, "k", _entry_value())
    TAMPERED_ENTRIES[how](path)
    assert bc.load(path, "k") is None  # a miss: the caller recomputes
    assert not path.exists()  # and the bad entry is gone
    assert not Path(str(path) + ".ran").exists()


# --- issue 19: the audit recomputes from the raw files -----------------------------------------
def _forge_headline(entry: Path) -> tuple[str, str]:
    """The issue's attack: the recomputed green count in a cached quarter changed by hand,
    the entry's content hash rewritten to match. Returns (was, now)."""
    from kpi_lib.report import build_cache as bc

    box: dict[str, str] = {}

    def edit(value: dict) -> dict:
        head = bc.decode(value["fields"]["headline"])
        row = head.index[head["source"] == "recomputed"][0]
        box["was"] = str(head.at[row, "green"])
        head.at[row, "green"] = int(head.at[row, "green"]) + 21
        box["now"] = str(head.at[row, "green"])
        value["fields"]["headline"] = bc.encode(head)
        return value

    _forge(entry, edit)
    return box["was"], box["now"]


def _edit_a_kpi_cell(tables: Path) -> tuple[str, str, str]:
    """Change one figure in the first published table with KPI rows: (table, kpi, column)."""
    import pandas as pd

    for p in sorted(tables.glob("*.csv")):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "kpi_id" in df.columns and "value" in df.columns and len(df):
            df.at[0, "value"] = "999999"
            df.to_csv(p, index=False)
            return f"tables/{p.name}", str(df.at[0, "kpi_id"]), "value"
    raise AssertionError("no published table with KPI rows")


def test_audit_recomputes_and_names_every_tampered_cache_and_table(project: Path) -> None:
    """A forged report cache is published by `kpi report` (its hash checks out) but the audit
    recomputes from data/raw with a private store and caches, so it fails naming the table,
    the row and the column; a published table edited by hand is named by KPI and column; the
    audited project's store, ingest cache and report cache, all tampered, are never read."""
    import pandas as pd

    period, out = "2021/22 Q4", project / "outputs" / "2021-22_Q4"
    assert finish(kpi(project, "report", "--period", period))[0] == 0
    entries = sorted((project / "data" / "cache" / "report").glob("quarterly-*.json"))
    assert len(entries) == 1 and not list(project.rglob("*.pkl"))
    was, now = _forge_headline(entries[0])
    code, _, err = finish(kpi(project, "report", "--period", period))
    assert code == 0, err
    published = pd.read_csv(out / "tables" / "headline.csv", dtype=str).set_index("source")
    assert published.at["recomputed", "green"] == now  # the lie is published by `kpi report`
    table, kpi_id, column = _edit_a_kpi_cell(out / "tables")
    # every other cached artefact of the audited project, tampered after the run
    processed = project / "data" / "processed"
    obs = pd.read_parquet(processed / "observations.parquet")
    obs["value"] = obs["value"] * 2
    obs.to_parquet(processed / "observations.parquet")
    for entry in (processed / "_cache").glob("*.json"):
        entry.write_text(
            entry.read_text(encoding="utf-8").replace('"rag": "Red"', '"rag": "Green"')
        )
    code, text, err = finish(kpi(project, "audit", str(out / "manifest.json")))
    assert code == 1 and "Traceback" not in err, err
    assert "audit FAILED" in text
    assert re.search(
        rf"tables/headline.csv: source recomputed, row \d+, column green: "
        rf"published '{now}', re-run '{was}'",
        text,
    ), text
    assert f"{table}: published file edited since the run" in text
    assert re.search(
        rf"{re.escape(table)}: KPI {re.escape(kpi_id)}, row 1\b.*column {column}:", text
    )
    assert "02_quarterly_report.html: re-run page differs" in text
    # the page names the same cells, says when, and is kept in the history
    cells = pd.read_csv(project / "outputs" / "audit" / "2021-22_Q4" / "tables" / "audit_cells.csv")
    assert {("tables/headline.csv", "green"), (table, column)} <= set(
        zip(cells["table"], cells["column"], strict=True)
    )
    assert kpi_id in set(cells["kpi"])
    kept = list((project / "outputs" / "audit" / "history" / "2021-22_Q4").iterdir())
    assert len(kept) == 1 and kept[0].name.endswith("-failed")
    page = (kept[0] / "04_audit.html").read_text(encoding="utf-8")
    assert "Audited on " in page and "What was audited" in page and "UTC" in page


# --- issue 19: kill -9 leaves no process and no litter -----------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rpartition(")")[2].split()
        if fields and fields[0] != "Z":
            kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return kids


def descendants(pid: int) -> set[int]:
    kids, found, todo = _children(), set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            out.add(pid)
    return out


def started(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`kpi ...` as the leader of its own process group, as a shell would start it."""
    return kpi(root, *args, env=env, new_session=True)


def _kernels_running(proc: subprocess.Popen[str]) -> bool:
    for pid in descendants(proc.pid):
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def _killed(proc: subprocess.Popen[str], group: bool) -> set[int]:
    """SIGKILL the command (or its whole process group); the processes it had started."""
    family = descendants(proc.pid)
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.communicate(timeout=240)  # orphans may hold its pipes while they shut down
    return family


@pytest.mark.parametrize("group", [False, True], ids=["parent", "process group"])
def test_batch_killed_leaves_no_worker_kernel_lock_or_staging(project: Path, group: bool) -> None:
    batch = started(project, "batch", "--period", "2021/22 Q4", "--period", "2023/24 Q2")
    wait_for(lambda: _kernels_running(batch), "workers running notebooks", timeout=240)
    family = _killed(batch, group)
    assert family, "the batch had started workers"
    wait_for(lambda: not alive(family), f"workers and kernels gone: {alive(family)}", timeout=30)
    # the store is free again: an ingest is not refused by an orphan holding its lock
    code, _, err = finish(kpi(project, "ingest"))
    assert code == 0, err
    outputs = project / "outputs"
    litter = [p.name for p in outputs.iterdir() if p.name.startswith((".staging", ".old"))]
    # SIGTERM from the kernel (PR_SET_PDEATHSIG) lets a worker clean up when only the parent is
    # killed, but a worker caught printing its PDF may not finish: either way the promise is
    # that nothing is left for good, which the next run keeps (below)
    # the next run removes what SIGKILL left (a killed worker cleans nothing) and says so
    code, _, err = finish(kpi(project, "report", "--period", "2021/22 Q4"))
    assert code == 0, err
    for name in litter:
        assert f"removed outputs/{name} left by an interrupted run" in err, err
    assert not [p.name for p in outputs.iterdir() if p.name.startswith((".staging", ".old"))]


def test_a_worker_stopped_from_outside_ends_and_the_batch_says_so(project: Path) -> None:
    """SIGTERM to one worker (an administrator, the out-of-memory killer's kin): the worker
    cleans up and ends, rather than handing its SystemExit back and waiting for work for ever,
    and the batch fails that job in its table instead of a traceback."""
    batch = started(project, "batch", "--period", "2021/22 Q4", "--period", "2023/24 Q2")
    wait_for(lambda: _kernels_running(batch), "workers running notebooks", timeout=240)
    workers = set(_children().get(batch.pid, []))
    family = descendants(batch.pid)
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
    time.sleep(0.3)
    for pid in alive(workers):  # again, as the pool itself does once a worker has died
        os.kill(pid, signal.SIGTERM)
    code, out, err = finish(batch, timeout=240)
    assert "Traceback" not in err, err
    assert code == 1, out + err
    assert "stopped from outside" in out, out
    wait_for(lambda: not alive(family), f"workers and kernels gone: {alive(family)}", timeout=30)
    outputs = project / "outputs"
    assert not [p.name for p in outputs.iterdir() if p.name.startswith((".staging", ".old"))]


def test_audit_killed_leaves_nothing_or_the_next_audit_clears_it(
    project: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    assert finish(kpi(project, "report", "--period", "2021/22 Q4"))[0] == 0
    manifest = project / "outputs" / "2021-22_Q4" / "manifest.json"
    audit = started(project, "audit", str(manifest), env=env)
    wait_for(lambda: _kernels_running(audit), "the audit re-running notebooks", timeout=240)
    family = _killed(audit, group=True)
    wait_for(lambda: not alive(family), f"kernels gone: {alive(family)}", timeout=30)
    left = [p.name for p in scratch.iterdir()]
    # kill -9 runs no clean-up: the re-run's scratch folder and its kernels' files are left
    assert any(n.startswith("kpi-audit-") for n in left), left
    assert all(n.startswith(("kpi-audit-", "kpi-kernels-")) for n in left), left
    code, out, err = finish(kpi(project, "audit", str(manifest), env=env))
    assert code == 0, err
    for name in left:  # the next audit removes them and says so
        assert f"removed {scratch / name}, " in err, err
    assert list(scratch.iterdir()) == []
    audits = project / "outputs" / "audit"
    assert not [p.name for p in audits.iterdir() if p.name.startswith((".staging", ".old"))]


# --- issue 19: hostile input bounded, and who holds the store said truthfully ------------------
def kpi_junk(size: int, seed: int = 0) -> str:
    """Junk shaped like a KPI report: a quarter, sections and real KPI headers over rows of
    random names and figures (the adversarial pass's 226-second input at 1 MB)."""
    rng = random.Random(seed)
    out = ["# Corporate Performance Report\n\n**2022/23 Quarter 3**\n\n"]
    n, sec = len(out[0]), 0
    header = "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends"
    while n < size:
        sec += 1
        block = [f"## Section {sec} {rng.randint(0, 99999)}\n", header]
        for _ in range(rng.randint(5, 40)):
            name = " ".join(
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                for _ in range(rng.randint(2, 6))
            )
            block.append(
                f"{rng.randint(1, 100)}%\t{rng.choice(['High', 'Low'])}\t2022/23 Q3\t{name}\t"
                f"{rng.uniform(0, 1000):.2f}\t{rng.choice(['!', '~', '✓'])}\t"
            )
        text = "\n".join(block) + "\n\n"
        out.append(text)
        n += len(text.encode())
    return "".join(out)


def test_kpi_shaped_junk_under_the_size_limit_is_refused_and_the_rest_ingested(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_lib import store
    from kpi_lib.limits import MAX_KPI_ROWS

    folder = store_root / "data" / "raw" / "2022-23_Q3"
    folder.mkdir()
    (folder / "q3.md").write_text(Q3, encoding="utf-8")
    (folder / "junk.md").write_text(kpi_junk(990_000), encoding="utf-8")
    obs_before = len(store.load("observations"))
    assert main(["ingest"]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert "junk.md" in line and f"more than {MAX_KPI_ROWS} KPI rows" in line, line
    files = set(store.load("reports")["file"])
    assert "data/raw/2022-23_Q3/q3.md" in files and "data/raw/2022-23_Q3/junk.md" not in files
    assert len(store.load("observations")) == obs_before + 1  # q3.md's one row, no junk


def test_a_file_over_its_time_budget_is_refused_in_one_line(
    store_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(store_root / "data" / "processed")
    monkeypatch.setenv("KPI_FILE_SECONDS", "0.001")
    assert main(["ingest", "--rebuild"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and all("not read within 0.001 s" in x for x in lines), lines
    assert snapshot(store_root / "data" / "processed") == before


def test_who_holds_the_store_is_said_truthfully(project: Path) -> None:
    """Between an ingest's two renames the store folder is missing: readers are told whether
    that ingest is still running or was killed there."""
    processed = project / "data" / "processed"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        aside = processed.parent / f".processed-old-{sleeper.pid}"
        processed.rename(aside)  # what a running ingest's first rename leaves
        code, _, err = finish(kpi(project, "sql", "select 1"))
        line = one_line(err)
        assert code == 2 and "being replaced by a running ingest" in line, line
        assert f"pid {sleeper.pid}" in line and "interrupted" not in line
    finally:
        sleeper.kill()
        sleeper.wait()
    code, _, err = finish(kpi(project, "sql", "select 1"))  # the same folder, its ingest gone
    line = one_line(err)
    assert code == 2 and "interrupted ingest" in line and "no longer running" in line, line
    assert finish(kpi(project, "ingest"))[0] == 0  # which puts the store back
    assert processed.is_dir() and not aside.exists()


def test_a_lock_held_by_a_batch_worker_names_the_worker() -> None:
    from kpi_lib.locks import describe_process

    code = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "print(flush=True); time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        parent.stdout.readline()
        wait_for(lambda: descendants(parent.pid), "the forked worker")
        (child,) = descendants(parent.pid)
        assert describe_process(child).endswith(f"a worker of pid {parent.pid}")
        assert "unknown command" not in describe_process(parent.pid)
    finally:
        for pid in (*descendants(parent.pid), parent.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.wait()


@pytest.mark.parametrize("size", [401, 10_000, 1_000_000])
def test_a_tampered_manifests_huge_parameter_is_named_not_printed_on_the_audit_page(
    size: int,
) -> None:
    """The refused audit's page lists the manifest's parameters: a 1 MB period printed whole
    made the page a megabyte of one unbreakable word (three minutes of Chromium layout)."""
    from kpi_lib.publish.manifest import parameters_text

    text = parameters_text({"period": "2" * size, "horizon": 4})
    assert len(text) < 480
    assert f"({size:,} characters)" in text and "horizon 4" in text
    assert parameters_text({"period": "2022/23 Q2"}) == "period 2022/23 Q2"
