"""Plan and run report notebooks into outputs/, atomically: a failed run never replaces the
last good output, and every run leaves a manifest an auditor can re-run."""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi_lib.analysis.defaults import (
    AMBER_TOLERANCE,
    FORECAST_HORIZON,
    check_horizon,
    check_tolerance,
)
from kpi_lib.errors import UsageError
from kpi_lib.paths import outputs_dir, project_root, relative
from kpi_lib.report import manifest
from kpi_lib.report.run import (
    DEFAULT_TIMEOUT,
    NotebookError,
    check_parameters,
    check_timeout,
    run_notebook,
)

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


def report_periods() -> list[str]:
    """Report periods with KPI rows in the store, oldest first (labels sort by time)."""
    from kpi_lib import store

    q = "select distinct report_period from observations order by 1"
    return store.sql(q)["report_period"].tolist()


def kpi_ids() -> list[str]:
    from kpi_lib import store

    return store.sql("select distinct kpi_id from observations order by 1")["kpi_id"].tolist()


def latest_period() -> str:
    """The latest report period that has KPI rows in the store."""
    periods = report_periods()
    if not periods:
        raise UsageError("the store has no KPI observations: run `kpi ingest`")
    return periods[-1]


def newest_period() -> tuple[str, str]:
    """The newest report period in data/raw (as ingested) and why it was picked: a committee
    reads the latest report, even one that printed only its headline."""
    from kpi_lib import store

    reps = store.load("reports")
    if reps.empty:
        raise UsageError("the store has no reports: run `kpi ingest`")
    reps = reps.sort_values(["report_period_end", "report_period"], kind="stable")
    label = str(reps["report_period"].iloc[-1])
    with_rows = set(report_periods())
    if label in with_rows:
        return label, f"{label}: the newest report in data/raw"
    has_headline = reps.loc[reps["report_period"] == label, "headline_rated"].notna().any()
    if has_headline:
        return label, (
            f"{label}: the newest report in data/raw; it prints a headline but no KPI tables, "
            "so its report is short (the headline and what the earlier reports say)"
        )
    older = [p for p in reps["report_period"] if p in with_rows]
    if not older:
        raise UsageError("no report in the store has KPI rows or a headline: nothing to report")
    return str(older[-1]), (
        f"{older[-1]}: the newest report with KPI rows ({label} has neither KPI tables nor "
        "a headline)"
    )


def period_sources(label: str) -> list[str]:
    """The files the store holds for one report period (what notebook 01 re-extracts)."""
    from kpi_lib import store

    reps = store.load("reports")
    return sorted(str(f) for f in reps.loc[reps["report_period"] == label, "file"])


def check_store_current() -> None:
    """A run's manifest lists data/raw as its inputs and an audit re-ingests exactly those, so
    a store built from anything else (a raw file changed or added since `kpi ingest`, a report
    ingested from outside data/raw) would publish figures its manifest cannot reproduce."""
    from kpi_lib import store
    from kpi_lib.report.manifest import sha256_file
    from kpi_lib.store.inputs import default_inputs

    reps = store.load("reports")
    stored = dict(zip(reps["file"].astype(str), reps["sha256"].astype(str), strict=True))
    raw = {relative(p): sha256_file(p) for p in default_inputs()}
    if stored == raw:
        return
    changed = sorted(f for f in raw.keys() & stored.keys() if raw[f] != stored[f])
    parts = {
        "changed since ingest": changed,
        "not ingested": sorted(raw.keys() - stored.keys()),
        "not in data/raw": sorted(stored.keys() - raw.keys()),
    }
    what = "; ".join(f"{k}: {', '.join(v)}" for k, v in parts.items() if v)
    raise UsageError(f"the store does not match data/raw ({what}): run `kpi ingest`")


def quarterly_plan(
    period: str | None = None,
    amber_tolerance: float = AMBER_TOLERANCE,
    forecast_horizon: int = FORECAST_HORIZON,
    sections: list[str] | None = None,
) -> tuple[str, Plan]:
    """Checks every parameter against the store before a kernel starts: a mistake inside a
    notebook would cost a run and surface as a notebook error (or, for a bad horizon, not at
    all: the forecasts would just be empty)."""
    from kpi_lib import store
    from kpi_lib.periods import parse_report_period, slug

    p = parse_report_period(period or newest_period()[0])
    obs = store.load("observations")
    mine = obs[obs["report_period"] == p.label]
    reps = store.load("reports")
    headline_only = reps.loc[reps["report_period"] == p.label, "headline_rated"].notna().any()
    if mine.empty and not (headline_only and not sections):
        have = ", ".join(sorted(obs["report_period"].unique())) or "none"
        raise UsageError(f"no KPI rows for {p.label} in the store (periods with KPI rows: {have})")
    check_tolerance(amber_tolerance)
    check_horizon(forecast_horizon)
    known = sorted(set(mine["section"].astype(str)))
    unknown = [s for s in sections or [] if s.casefold() not in {k.casefold() for k in known}]
    if unknown:
        wanted = ", ".join(map(repr, unknown))
        raise UsageError(f"no section {wanted} in {p.label} (sections: {'; '.join(known)})")
    plan: Plan = {
        INGEST_NB: {"period": p.label, "source_files": period_sources(p.label)},
        QUARTERLY_NB: {
            "period": p.label,
            "amber_tolerance": amber_tolerance,
            "forecast_horizon": forecast_horizon,
            "sections": list(sections or []),
        },
    }
    return slug(p), plan


def deep_dive_plan(kpi_id: str, forecast_horizon: int = FORECAST_HORIZON) -> tuple[str, Plan]:
    check_horizon(forecast_horizon)
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
    check_timeout(timeout)
    for nb, params in plan.items():  # all parameters checked before anything executes
        check_parameters(root / nb, {**params, "output_dir": ""})
    _remove_abandoned(final_dir)
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


def _remove_abandoned(final_dir: Path) -> None:
    """Staging and old folders left by a killed run (their process is gone) are removed."""
    for leftover in final_dir.parent.glob(f".*-{final_dir.name}-*"):
        prefix, _, pid = leftover.name.rpartition("-")
        if prefix not in (f".staging-{final_dir.name}", f".old-{final_dir.name}"):
            continue
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


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
    check_store_current()
    return execute_plan("quarterly", plan, outputs_dir() / name, with_code, timeout)


def run_deep_dive(kpi_id: str, with_code: bool = False, **kw: Any) -> RunResult:
    timeout = kw.pop("timeout", DEFAULT_TIMEOUT)
    known = kpi_ids()
    if kpi_id not in known:
        raise UsageError(f"unknown KPI id {kpi_id!r}{_did_you_mean(kpi_id, known)}")
    name, plan = deep_dive_plan(kpi_id, **kw)
    check_store_current()
    return execute_plan("deep-dive", plan, outputs_dir() / name, with_code, timeout)


def _did_you_mean(kpi_id: str, known: list[str]) -> str:
    """Close ids in the store, read the way people mistype them (case, spaces for hyphens)."""
    typed = "-".join(kpi_id.replace("_", " ").casefold().split())
    close = difflib.get_close_matches(typed, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
