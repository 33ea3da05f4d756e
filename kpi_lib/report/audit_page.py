"""`kpi audit` leaves a page a person can read beside its exit code: the audit notebook,
rendered from the audit's result (the audit itself is not run twice)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from kpi_lib.paths import outputs_dir
from kpi_lib.report.runs import execute_plan

AUDIT_NB = "notebooks/04_audit.ipynb"


def audit_folder(manifest_path: str | Path) -> Path:
    """outputs/audit/<the audited run's folder, e.g. 2022-23_Q2 or kpi-<id>>."""
    run = Path(manifest_path).resolve().parent
    try:
        name = "-".join(run.relative_to(outputs_dir().resolve()).parts)
    except ValueError:
        name = run.name
    return outputs_dir() / "audit" / (name or "run")


def render(result, manifest_path: str | Path) -> Path:
    """Render notebooks/04_audit.ipynb for one AuditResult; returns the HTML path."""
    payload = json.dumps(dataclasses.asdict(result), sort_keys=True)
    params = {"manifest": str(manifest_path), "result": payload}
    run = execute_plan("audit", {AUDIT_NB: params}, audit_folder(manifest_path))
    return run.html[0]
