"""`kpi audit` leaves a page a person can read beside its exit code: the audit notebook,
rendered from the audit's result (the audit itself is not run twice).

outputs/audit/<run>/ holds the latest audit of a run; every audit is also kept, never
overwritten, under outputs/audit/history/<run>/<UTC time>-<verdict>/, so a failed audit
never hides the passing one before it (or the other way round)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from kpi_lib.paths import outputs_dir
from kpi_lib.publish.plan import execute_plan

AUDIT_NB = "notebooks/04_audit.ipynb"


def run_name(manifest_path: str | Path) -> str:
    """The audited run's folder as one name: 2022-23_Q2, or kpi-<id> for a deep dive."""
    run = Path(manifest_path).resolve().parent
    try:
        name = "-".join(run.relative_to(outputs_dir().resolve()).parts)
    except ValueError:
        name = run.name
    return name or "run"


def audit_folder(manifest_path: str | Path) -> Path:
    """outputs/audit/<the audited run's folder, e.g. 2022-23_Q2 or kpi-<id>>."""
    return outputs_dir() / "audit" / run_name(manifest_path)


def history_folder(manifest_path: str | Path) -> Path:
    return outputs_dir() / "audit" / "history" / run_name(manifest_path)


def history(manifest_path: str | Path) -> list[Path]:
    """Earlier audits of this run, oldest first (their folders' names start with the time)."""
    folder = history_folder(manifest_path)
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def verdict(result) -> str:
    return "passed" if result.ok else ("refused" if result.refused else "failed")


def render(result, manifest_path: str | Path) -> Path:
    """Render notebooks/04_audit.ipynb for one AuditResult, keep a copy in the history;
    returns the HTML path of the latest page."""
    return render_kept(result, manifest_path)[0]


def render_kept(result, manifest_path: str | Path) -> tuple[Path, Path]:
    """The latest page and the history folder this audit is kept in."""
    payload = json.dumps(dataclasses.asdict(result), sort_keys=True)
    params = {"manifest": str(manifest_path), "result": payload}
    run = execute_plan("audit", {AUDIT_NB: params}, audit_folder(manifest_path))
    return run.html[0], keep(run.out_dir, manifest_path, result)


def keep(folder: Path, manifest_path: str | Path, result) -> Path:
    """Copy one audit's folder into the history under a name no later audit reuses."""
    stamp = (result.started or "unknown").replace("-", "").replace(":", "")
    base = history_folder(manifest_path) / f"{stamp}-{verdict(result)}"
    target, n = base, 1
    while target.exists():  # two audits in one second: both kept
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder, staging)
    staging.rename(target)  # whole or not at all
    return target
