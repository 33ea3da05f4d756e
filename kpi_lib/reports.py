"""Plan and run report notebooks into outputs/, atomically: a failed run never replaces the
last good output, and every run leaves a manifest an auditor can re-run."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi_lib import manifest
from kpi_lib.errors import UsageError
from kpi_lib.paths import outputs_dir, project_root, raw_dir, relative
from kpi_lib.run import DEFAULT_TIMEOUT, NotebookError, check_parameters, run_notebook

INGEST_NB = "notebooks/01_ingest_quarter.ipynb"
QUARTERLY_NB = "notebooks/02_quarterly_report.ipynb"
DEEP_DIVE_NB = "notebooks/03_kpi_deep_dive.ipynb"
AUDIT_NB = "notebooks/04_audit.ipynb"

Plan = dict[str, dict[str, Any]]


@dataclass
class RunResult:
    kind: str
    out_dir: Path
    html: list[Path]
    seconds: float


def latest_period() -> str:
    """The latest report period that has KPI rows in the store."""
    from kpi_lib import store

    df = store.sql(
        "select report_period, min(period_start) as s from observations "
        "group by report_period order by report_period"
    )
    if df.empty:
        raise UsageError("the store has no KPI observations: run `kpi ingest`")
    return str(df["report_period"].iloc[-1])


def period_sources(label: str) -> list[str]:
    """The raw files of one report period (data/raw/<YYYY-YY>_Q<n>/), relative to the root."""
    from kpi_lib.periods import parse_report_period, slug

    folder = raw_dir() / slug(parse_report_period(label))
    return sorted(relative(p) for p in folder.glob("*") if p.is_file())


def quarterly_plan(
    period: str | None = None,
    amber_tolerance: float = 0.05,
    forecast_horizon: int = 4,
    sections: list[str] | None = None,
) -> tuple[str, Plan]:
    from kpi_lib.periods import parse_report_period, slug

    label = parse_report_period(period).label if period else latest_period()
    plan: Plan = {
        INGEST_NB: {"period": label, "source_files": period_sources(label)},
        QUARTERLY_NB: {
            "period": label,
            "amber_tolerance": amber_tolerance,
            "forecast_horizon": forecast_horizon,
            "sections": list(sections or []),
        },
    }
    return slug(parse_report_period(label)), plan


def deep_dive_plan(kpi_id: str, forecast_horizon: int = 4) -> tuple[str, Plan]:
    return f"kpi/{kpi_id}", {DEEP_DIVE_NB: {"kpi_id": kpi_id, "forecast_horizon": forecast_horizon}}


def execute_plan(
    kind: str,
    plan: Plan,
    final_dir: Path,
    with_code: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
) -> RunResult:
    """Run every notebook of `plan` into a staging folder, then swap it into `final_dir`."""
    root = project_root()
    for nb, params in plan.items():  # all parameters checked before anything executes
        check_parameters(root / nb, {**params, "output_dir": ""})
    staging = final_dir.parent / f".staging-{final_dir.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    manifest.write_json(staging / manifest.RUN_INFO, manifest.run_info(kind, plan))
    html: list[Path] = []
    seconds = 0.0
    try:
        for nb, params in plan.items():
            run = run_notebook(
                root / nb,
                staging,
                {**params, "output_dir": str(staging)},
                with_code=with_code,
                timeout=timeout,
            )
            html.append(final_dir / run.html.name)
            seconds += run.seconds
        manifest.finish(staging)
    except NotebookError as exc:
        failed = outputs_dir() / "_failed" / final_dir.relative_to(outputs_dir())
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, failed)
        kept = relative(failed / Path(exc.notebook).name)
        raise NotebookError(exc.notebook, exc.message, cell=exc.cell, kept=kept) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, final_dir)
    return RunResult(kind, final_dir, html, seconds)


def _swap(staging: Path, final_dir: Path) -> None:
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    old = final_dir.parent / f".old-{final_dir.name}-{os.getpid()}"
    if final_dir.exists():
        os.replace(final_dir, old)
    os.replace(staging, final_dir)
    shutil.rmtree(old, ignore_errors=True)


def run_report(period: str | None = None, with_code: bool = False, **kw: Any) -> RunResult:
    timeout = kw.pop("timeout", DEFAULT_TIMEOUT)
    name, plan = quarterly_plan(period, **kw)
    return execute_plan("quarterly", plan, outputs_dir() / name, with_code, timeout)


def run_deep_dive(kpi_id: str, with_code: bool = False, **kw: Any) -> RunResult:
    from kpi_lib.catalog import load_catalog

    timeout = kw.pop("timeout", DEFAULT_TIMEOUT)
    known = set(_store_kpis())
    if kpi_id not in known:
        hint = load_catalog().suggest(kpi_id, n=3) if known else []
        extra = f"; did you mean {', '.join(k for k, _ in hint)}?" if hint else ""
        raise UsageError(f"unknown KPI id '{kpi_id}'{extra}")
    name, plan = deep_dive_plan(kpi_id, **kw)
    return execute_plan("deep-dive", plan, outputs_dir() / name, with_code, timeout)


def _store_kpis() -> list[str]:
    from kpi_lib import store

    return store.sql("select distinct kpi_id from observations order by 1")["kpi_id"].tolist()
