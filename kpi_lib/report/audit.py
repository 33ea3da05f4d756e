"""Verify a published analysis against its manifest, re-run it, and say exactly what differs.

A manifest may come from anyone, so it is checked before anything executes: the notebooks
it names must be this project's own (under notebooks/, same sha256), its inputs under data/
and unchanged, its result names inside its output folder, its parameters valid by the same
rules as the CLI's. Only then are the project's notebooks run, in a scratch folder.
"""

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
from kpi_lib.report.page_audit import compare_pages, edited_pages
from kpi_lib.report.params import DEFAULT_TIMEOUT, AuditParams, check_notebook_params
from kpi_lib.report.run import NotebookError, check_parameters, run_notebook
from kpi_lib.store.councils import using
from kpi_lib.store.ingest import ingest
from kpi_lib.store.read import council_table

MAX_CELLS = 10  # differing cells listed per table


@dataclass
class AuditResult:
    manifest: str
    inputs_changed: list[str] = field(default_factory=list)
    results_changed: list[str] = field(default_factory=list)
    checked: int = 0
    kept: str = ""  # the re-run folder, when asked to keep it
    refused: list[str] = field(default_factory=list)  # why nothing was run

    @property
    def ok(self) -> bool:
        return not self.inputs_changed and not self.results_changed and not self.refused

    def lines(self) -> list[str]:
        if self.refused:
            out = [
                f"audit REFUSED: {self.manifest}: it does not match the project, nothing was run"
            ]
            out += [f"refused: {line}" for line in self.refused]
        else:
            head = "OK" if self.ok else "FAILED"
            out = [f"audit {head}: {self.manifest} ({self.checked} result files compared)"]
        out += [f"input changed: {line}" for line in self.inputs_changed]
        out += [f"result differs: {line}" for line in self.results_changed]
        if self.kept:
            out.append(f"re-run kept at {self.kept}")
        return out

    def frame(self) -> pd.DataFrame:
        rows = [("refused", x) for x in self.refused]
        rows += [("input", x) for x in self.inputs_changed]
        rows += [("result", x) for x in self.results_changed]
        return pd.DataFrame(rows, columns=["what", "difference"])


def compare_inputs(recorded: list[dict[str, str]], council: str | None = None) -> list[str]:
    now = {i["path"]: i["sha256"] for i in manifest.input_files(council)}
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
    """Notebooks are inputs too, and the only code an audit runs: each must be a notebook of
    this project (under notebooks/) with the sha256 the manifest recorded."""
    out = []
    for nb in recorded:
        path, problem = inside(nb["path"], project_root() / "notebooks", "notebooks/")
        if problem:
            out.append(problem)
            continue
        if path.suffix != ".ipynb" or not path.is_file():
            raise UsageError(f"{nb['path']}: the manifest's notebook is missing: cannot re-run")
        then, now = str(nb.get("sha256", "")), manifest.sha256_file(path)
        if then != now:
            out.append(f"{nb['path']}: sha256 was {then[:12]}, now {now[:12]}")
    return out


def inside(name: Any, folder: Path, label: str, base: Path | None = None) -> tuple[Path, str]:
    """`name` (relative to `base`, default the project root, as a manifest records it)
    resolved under `folder`, or why not: an absolute path, `..` or a symlink leading out of
    `folder` is refused, never opened."""
    if not isinstance(name, str) or not name.strip():
        return folder, f"{name!r}: not a path"
    rel = Path(name)
    target = ((base or project_root()) / rel).resolve()
    if rel.is_absolute() or not target.is_relative_to(folder.resolve()):
        return target, f"{name}: outside {label}: not opened"
    return target, ""


def check_plan(m: dict[str, Any], published_dir: Path) -> list[str]:
    """Everything the re-run would read, checked before any kernel starts: result names stay
    in the output folder, inputs in data/, each notebook's parameters pass the same checks as
    the CLI's (kpi_lib.report.params) and name only files the manifest lists and hashes."""
    out = []
    listed = {i["path"] for i in m["inputs"]}
    for i in m["inputs"]:
        out += [p for p in [inside(i["path"], project_root() / "data", "data/")[1]] if p]
    for section in m["results"].values():
        for name in section:
            out += [
                p for p in [inside(name, published_dir, "the output folder", published_dir)[1]] if p
            ]
    for nb in m["notebooks"]:
        params = nb["parameters"]
        path, problem = inside(nb["path"], project_root() / "notebooks", "notebooks/")
        if problem:
            out.append(problem)
            continue
        try:
            check_notebook_params(nb["path"], params)
            if path.is_file():
                check_parameters(path, {**params, "output_dir": ""})
        except UsageError as exc:
            out.append(f"{nb['path']}: parameters: {exc}")
            continue
        for f in params.get("source_files", []) if isinstance(params, dict) else []:
            problem = inside(f, project_root() / "data", "data/")[1]
            if problem or f not in listed:
                out.append(problem or f"{f}: a source file the manifest does not list as input")
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


def rerun(m: dict[str, Any], scratch: Path, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Rebuild the store from data/raw and execute the recorded notebooks with their parameters
    (all checked by `audit` before this is called)."""

    out = scratch / "run"
    out.mkdir(parents=True)
    plan = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    with _private_store(scratch / "store"), using(m.get("council")):
        manifest.write_json(out / manifest.RUN_INFO, manifest.run_info(m["kind"], plan))
        ingest()
        # the snapshot re-run is the one verified: a raw file edited since then is caught here
        reps = council_table("reports")  # the manifest's council's (its inputs)
        built = dict(zip(reps["file"].astype(str), reps["sha256"].astype(str), strict=True))
        recorded = {i["path"]: i["sha256"] for i in m["inputs"]}
        moved = sorted(f for f, sha in built.items() if recorded.get(f) != sha)
        if moved:
            raise UsageError(f"data/raw changed during the audit: {', '.join(moved)}")
        for nb in m["notebooks"]:
            params = {**nb["parameters"], "output_dir": str(out)}
            run_notebook(project_root() / nb["path"], out, params, timeout=timeout)
    return out


def audit(
    manifest_path: str | Path, keep: bool = False, timeout: int = DEFAULT_TIMEOUT
) -> AuditResult:
    """Verify, then re-run. Nothing in the manifest is trusted until checked against the
    project: if any notebook, input or path differs or lies outside, or a parameter fails the
    CLI's checks, the result says so and no code runs at all."""
    AuditParams(manifest=str(manifest_path), keep=keep, timeout=timeout)
    path = Path(manifest_path)
    m = manifest.read_manifest(path)
    published_dir = path.parent
    result = AuditResult(str(path))
    recorded = {**m["results"].get("tables", {}), **m["results"].get("figures", {})}
    result.refused = check_plan(m, published_dir)
    if result.refused:
        return result
    if recorded and not any((published_dir / name).is_file() for name in recorded):
        raise UsageError(
            f"{path}: none of the {len(recorded)} result files it lists is in {published_dir}: "
            "audit the manifest inside its output folder"
        )
    result.inputs_changed = compare_notebooks(m["notebooks"]) + compare_inputs(
        m["inputs"], m.get("council")
    )
    if result.inputs_changed:  # a changed notebook is foreign code; changed data, other results
        result.refused = ["notebooks or inputs differ from the manifest (listed below)"]
        result.results_changed = _edited_results(recorded, published_dir)
        result.results_changed += edited_pages(published_dir, m["results"].get("html", {}))
        return result
    scratch = Path(tempfile.mkdtemp(prefix="kpi-audit-"))
    try:
        rerun_dir = rerun(m, scratch, timeout)
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


def _edited_results(recorded: dict[str, str], published_dir: Path) -> list[str]:
    """Published files whose bytes no longer match the manifest (found without re-running)."""
    out = []
    for name, sha in sorted(recorded.items()):
        pub = published_dir / name
        if not pub.is_file():
            out.append(f"{name}: missing from the published output")
        elif manifest.sha256_file(pub) != sha:
            out.append(
                f"{name}: published file edited since the run (sha256 differs from manifest)"
            )
    return out


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
