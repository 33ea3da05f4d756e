"""Re-run a published analysis from its manifest and say exactly what differs."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_lib.errors import UsageError
from kpi_lib.paths import project_root
from kpi_lib.report import manifest
from kpi_lib.report.page_audit import compare_pages
from kpi_lib.report.run import NotebookError, run_notebook

MAX_CELLS = 10  # differing cells listed per table


@dataclass
class AuditResult:
    manifest: str
    inputs_changed: list[str] = field(default_factory=list)
    results_changed: list[str] = field(default_factory=list)
    checked: int = 0
    kept: str = ""  # the re-run folder, when asked to keep it

    @property
    def ok(self) -> bool:
        return not self.inputs_changed and not self.results_changed

    def lines(self) -> list[str]:
        head = "OK" if self.ok else "FAILED"
        out = [f"audit {head}: {self.manifest} ({self.checked} result files compared)"]
        out += [f"input changed: {line}" for line in self.inputs_changed]
        out += [f"result differs: {line}" for line in self.results_changed]
        if self.kept:
            out.append(f"re-run kept at {self.kept}")
        return out

    def frame(self) -> pd.DataFrame:
        rows = [("input", x) for x in self.inputs_changed]
        rows += [("result", x) for x in self.results_changed]
        return pd.DataFrame(rows, columns=["what", "difference"])


def compare_inputs(recorded: list[dict[str, str]]) -> list[str]:
    now = {i["path"]: i["sha256"] for i in manifest.input_files()}
    then = {i["path"]: i["sha256"] for i in recorded}
    out = []
    for path in sorted(then.keys() | now.keys()):
        if path not in now:
            out.append(f"{path}: missing (was sha256 {then[path][:12]})")
        elif path not in then:
            out.append(f"{path}: new file, not in the manifest")
        elif then[path] != now[path]:
            out.append(f"{path}: sha256 was {then[path][:12]}, now {now[path][:12]}")
    return out


def compare_notebooks(recorded: list[dict[str, Any]]) -> list[str]:
    """Notebooks are inputs too: an edited one re-runs into different results for a reason the
    result diff alone would not name. A missing one cannot be re-run at all."""
    out = []
    for nb in recorded:
        path = project_root() / nb["path"]
        if not path.is_file():
            raise UsageError(f"{nb['path']}: the manifest's notebook is missing: cannot re-run")
        then, now = str(nb.get("sha256", "")), manifest.sha256_file(path)
        if then != now:
            out.append(f"{nb['path']}: sha256 was {then[:12]}, now {now[:12]}")
    return out


def diff_tables(name: str, published: Path, rerun: Path) -> list[str]:
    """Cell-level differences between two CSV result tables."""
    if not published.exists() or not rerun.exists():
        which = "published copy" if not published.exists() else "re-run"
        return [f"{name}: missing in the {which}"]
    try:
        a = pd.read_csv(published, dtype=str, keep_default_na=False)
        b = pd.read_csv(rerun, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [f"{name}: cannot compare cells, not a readable CSV: {first}"]
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return [f"{name}: shape/columns differ: published {a.shape}, re-run {b.shape}"]
    out = []
    for col in a.columns:
        for idx in a.index[a[col] != b[col]]:
            out.append(
                f"{name}: row {idx + 1}, column {col}: published {a.at[idx, col]!r}, "
                f"re-run {b.at[idx, col]!r}"
            )
    if len(out) > MAX_CELLS:
        out = out[:MAX_CELLS] + [f"{name}: … and {len(out) - MAX_CELLS} more cells"]
    return out


@contextmanager
def _private_store(folder: Path):
    """Point the store at a scratch folder for the re-run; the real store is not touched."""
    old = os.environ.get("KPI_PROCESSED")
    os.environ["KPI_PROCESSED"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("KPI_PROCESSED", None)
        else:
            os.environ["KPI_PROCESSED"] = old


def rerun(m: dict[str, Any], scratch: Path) -> Path:
    """Rebuild the store from data/raw and execute the recorded notebooks with their parameters."""
    from kpi_lib.store.ingest import ingest

    out = scratch / "run"
    out.mkdir(parents=True)
    plan = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    manifest.write_json(out / manifest.RUN_INFO, manifest.run_info(m["kind"], plan))
    with _private_store(scratch / "store"):
        ingest()
        for nb in m["notebooks"]:
            params = {**nb["parameters"], "output_dir": str(out)}
            run_notebook(project_root() / nb["path"], out, params)
    return out


def audit(manifest_path: str | Path, keep: bool = False) -> AuditResult:
    path = Path(manifest_path)
    m = manifest.read_manifest(path)
    published_dir = path.parent
    result = AuditResult(str(path))
    recorded = {**m["results"].get("tables", {}), **m["results"].get("figures", {})}
    if recorded and not any((published_dir / name).is_file() for name in recorded):
        raise UsageError(
            f"{path}: none of the {len(recorded)} result files it lists is in {published_dir}: "
            "audit the manifest inside its output folder"
        )
    result.inputs_changed = compare_notebooks(m["notebooks"]) + compare_inputs(m["inputs"])
    scratch = Path(tempfile.mkdtemp(prefix="kpi-audit-"))
    try:
        rerun_dir = rerun(m, scratch)
        fresh = manifest.result_hashes(rerun_dir)
        fresh_all = {**fresh["tables"], **fresh["figures"]}
        for name in sorted(recorded.keys() | fresh_all.keys()):
            result.checked += 1
            result.results_changed += _compare_one(
                name,
                published_dir / name,
                rerun_dir / name,
                recorded.get(name),
                fresh_all.get(name),
            )
        recorded_pages = m["results"].get("html", {})
        result.checked += len(recorded_pages)
        result.results_changed += compare_pages(published_dir, rerun_dir, recorded_pages)
    except NotebookError as exc:  # its copy is in scratch: point at it only if it stays
        kept = exc.kept if keep else ""
        raise NotebookError(exc.notebook, exc.message, cell=exc.cell, kept=kept) from None
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    result.kept = str(scratch) if keep else ""
    return result


def _compare_one(
    name: str, pub: Path, fresh: Path, recorded: str | None, fresh_sha: str | None
) -> list[str]:
    """Why one result file fails the audit: edited since publication, or not reproduced."""
    out: list[str] = []
    cells = name.endswith(".csv")
    if not pub.exists():
        out.append(f"{name}: missing from the published output")
    elif manifest.sha256_file(pub) != recorded:
        out.append(f"{name}: published file edited since the run (sha256 differs from manifest)")
        if cells:
            out += diff_tables(name, pub, fresh)
        return out
    if recorded != fresh_sha:
        out.append(f"{name}: re-run does not reproduce the manifest")
        if cells and pub.exists():
            out += diff_tables(name, pub, fresh)
    return out
