"""Plan and run report notebooks into outputs/, atomically: a failed run never replaces the
last good output, and every run leaves a manifest an auditor can re-run."""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_lib import store
from kpi_lib.digest import sha256_file
from kpi_lib.errors import StoreError, UsageError
from kpi_lib.locks import crash_point, hold, pid_alive
from kpi_lib.paths import outputs_dir, project_root, relative
from kpi_lib.periods import parse_report_period, slug
from kpi_lib.publish import manifest
from kpi_lib.publish.execute import NotebookError, check_planned, run_notebook
from kpi_lib.publish.params import (
    DEFAULT_TIMEOUT,
    DeepDiveParams,
    ReportParams,
    check_timeout,
)
from kpi_lib.store.councils import current, outputs_root
from kpi_lib.store.inputs import default_inputs
from kpi_lib.store.lock import store_lock
from kpi_lib.store.read import council_table

INGEST_NB = "notebooks/01_ingest_quarter.ipynb"
QUARTERLY_NB = "notebooks/02_quarterly_report.ipynb"
DEEP_DIVE_NB = "notebooks/03_kpi_deep_dive.ipynb"

Plan = dict[str, dict[str, Any]]


@dataclass
class RunResult:
    kind: str
    out_dir: Path
    html: list[Path]
    seconds: float
    notes: list[str] = field(default_factory=list)  # e.g. why no PDF was written


def report_periods() -> list[str]:
    """Report periods with KPI rows in the store, oldest first (labels sort by time)."""

    obs = council_table("observations")
    return sorted(set(obs["report_period"].astype(str)))


def kpi_ids() -> list[str]:
    return sorted(set(council_table("observations")["kpi_id"].astype(str)))


def latest_period() -> str:
    """The latest report period that has KPI rows in the store."""
    periods = report_periods()
    if not periods:
        raise UsageError("the store has no KPI observations: run `kpi ingest`")
    return periods[-1]


def newest_period() -> tuple[str, str]:
    """The newest report period in data/raw (as ingested) and why it was picked: a committee
    reads the latest report, even one that printed only its headline."""
    reps = council_table("reports")
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

    reps = council_table("reports")
    return sorted(str(f) for f in reps.loc[reps["report_period"] == label, "file"])


def check_store_current() -> None:
    """A run's manifest lists data/raw as its inputs and an audit re-ingests exactly those, so
    a store built from anything else (a raw file changed or added since `kpi ingest`, a report
    ingested from outside data/raw) would publish figures its manifest cannot reproduce."""

    reps = store.load("reports")  # every council's: the manifest's inputs are all of data/raw
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


def quarterly_plan(params: ReportParams) -> tuple[str, Plan]:
    """Checks the parameters against the store before a kernel starts (ReportParams checked
    the rest): a mistake inside a notebook would cost a run and surface as a notebook error."""

    p = parse_report_period(params.period or newest_period()[0])
    obs = council_table("observations")
    mine = obs[obs["report_period"] == p.label]
    reps = council_table("reports")
    headline_only = reps.loc[reps["report_period"] == p.label, "headline_rated"].notna().any()
    if mine.empty and not headline_only:
        have = ", ".join(sorted(obs["report_period"].unique())) or "none"
        raise UsageError(f"no KPI rows for {p.label} in the store (periods with KPI rows: {have})")
    known = sorted(set(mine["section"].astype(str)))
    folded = {k.casefold() for k in known}
    unknown = [s for s in params.sections if s.casefold() not in folded]
    if unknown:
        wanted = ", ".join(map(repr, unknown))
        raise UsageError(f"no section {wanted} in {p.label} (sections: {'; '.join(known)})")
    plan: Plan = {
        INGEST_NB: {"period": p.label, "source_files": period_sources(p.label)},
        QUARTERLY_NB: {
            "period": p.label,
            "amber_tolerance": params.amber_tolerance,
            "forecast_horizon": params.forecast_horizon,
            "sections": list(params.sections),
        },
    }
    return slug(p), plan


def deep_dive_plan(params: DeepDiveParams) -> tuple[str, Plan]:
    plan = {DEEP_DIVE_NB: {"kpi_id": params.kpi_id, "forecast_horizon": params.forecast_horizon}}
    return f"kpi/{params.kpi_id}", plan


def execute_plan(
    kind: str,
    plan: Plan,
    final_dir: Path,
    with_code: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
) -> RunResult:
    """Run every notebook of `plan` into a staging folder, then swap it into `final_dir`.

    One run per output folder at a time (a second one is refused in one line): two runs
    swapping the same folder would each remove what the other put in place."""
    check_timeout(timeout)
    for nb, params in plan.items():  # all parameters checked before anything executes
        check_planned(nb, params)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = final_dir.parent / f".{final_dir.name}.lock"
    with hold(lock, shared=False, what=relative(final_dir)):
        recover_abandoned(final_dir)
        return _execute(kind, plan, final_dir, with_code, timeout)


def _execute(kind: str, plan: Plan, final_dir: Path, with_code: bool, timeout: int) -> RunResult:
    root = project_root()
    staging = final_dir.parent / f".staging-{final_dir.name}-{os.getpid()}"
    html: list[Path] = []
    seconds = 0.0
    try:  # from the folder's making: a stop at any point removes it
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        manifest.write_json(staging / manifest.RUN_INFO, manifest.run_info(kind, plan))
        for nb, params in plan.items():
            run = run_notebook(
                root / nb,
                staging,
                {**params, "output_dir": str(staging)},
                with_code=with_code,
                timeout=timeout,
                checked=True,
            )
            html.append(final_dir / run.html.name)
            seconds += run.seconds
        notes = documents(kind, plan, staging)
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
    swap(staging, final_dir)
    return RunResult(kind, final_dir, html, seconds, notes)


def documents(kind: str, plan: Plan, staging: Path) -> list[str]:
    """What a council circulates beside the page: the workbook of the run's tables and the
    page as a PDF (both named after the last notebook's page). Returns why a PDF was not
    written (no Chromium): the run itself stands."""
    from kpi_lib.publish import workbook
    from kpi_lib.publish.page_shell import page_title
    from kpi_lib.publish.pdf import print_page

    page = staging / Path(list(plan)[-1]).with_suffix(".html").name
    title = page_title(page.read_text(encoding="utf-8")) if page.is_file() else kind
    try:
        obs = store.load("observations").sort_values(["report_period"], kind="stable")
    except StoreError:  # a notebook run without a store (a plain papermill plan): no units
        obs = None
    units = (
        {}
        if obs is None
        else dict(zip(obs["kpi_id"].astype(str), obs["unit"].fillna("").astype(str), strict=True))
    )
    unit = units.get(plan[DEEP_DIVE_NB]["kpi_id"], "") if kind == "deep-dive" else ""
    workbook.write_run(staging, page.stem, title, unit, units)
    why = print_page(page, page.with_suffix(".pdf")) if page.is_file() else ""
    return [why] if why else []


def recover_abandoned(final_dir: Path) -> list[str]:
    """Undo what killed runs left in `final_dir`'s folder (their processes are gone), like the
    store's writer: an `.old-<name>-<pid>` copy is the last good output of <name> if that
    folder is missing, so it is put back before anything is removed; staging folders and
    other old copies are deleted, whichever run they belonged to. Says what it did (stderr)
    and returns it."""
    leftovers: dict[str, list[tuple[str, Path]]] = {}
    for leftover in final_dir.parent.glob(".*-*"):
        rest, _, pid = leftover.name.rpartition("-")
        kind = next((k for k in (".staging-", ".old-") if rest.startswith(k)), "")
        if not kind or not leftover.is_dir() or not pid.isdigit() or pid_alive(int(pid)):
            continue
        leftovers.setdefault(rest.removeprefix(kind), []).append((kind, leftover))
    done = []
    for name, found in sorted(leftovers.items()):
        olds = sorted((p for kind, p in found if kind == ".old-"), key=_mtime)
        target = final_dir.parent / name
        if olds and not target.exists():
            os.replace(olds[-1], target)
            done.append(f"restored {relative(target)} from an interrupted run")
        for _, leftover in found:
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"removed {relative(leftover)} left by an interrupted run")
    for line in done:
        print(f"kpi: note: {line}", file=sys.stderr)
    return done


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


def swap(staging: Path, final_dir: Path) -> None:
    """Two renames; a crash between them leaves the last good output as .old-<name>-<pid>,
    which the next run (recover_abandoned) puts back."""
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    old = final_dir.parent / f".old-{final_dir.name}-{os.getpid()}"
    crash_point("output-staged")
    if final_dir.exists():
        os.replace(final_dir, old)
    crash_point("output-swap")
    os.replace(staging, final_dir)
    crash_point("output-swapped")
    shutil.rmtree(old, ignore_errors=True)


def run_report(params: ReportParams | None = None) -> RunResult:
    """Plan, check and run the quarterly report, reading one consistent store: the store is
    locked (shared) from the first read to the swap, so no ingest can change it mid-run."""
    params = params or ReportParams()
    with store_lock(shared=True):
        name, plan = quarterly_plan(params)
        check_store_current()
        final = outputs_root(current()) / name
        return execute_plan("quarterly", plan, final, params.with_code, params.timeout)


def run_deep_dive(params: DeepDiveParams) -> RunResult:
    """Run one KPI's deep dive into outputs/kpi/<id>/: an unknown id is refused with the id
    it most likely meant before any kernel starts, and the store is read under one shared
    lock, so the page, its tables and its manifest describe the same data."""
    with store_lock(shared=True):
        known = kpi_ids()
        if params.kpi_id not in known:
            hint = _did_you_mean(params.kpi_id, known)
            raise UsageError(f"unknown KPI id {params.kpi_id!r}{hint}")
        name, plan = deep_dive_plan(params)
        check_store_current()
        final = outputs_root(current()) / name
        return execute_plan("deep-dive", plan, final, params.with_code, params.timeout)


def _did_you_mean(kpi_id: str, known: list[str]) -> str:
    """Close ids in the store, read the way people mistype them (case, spaces for hyphens)."""
    typed = "-".join(kpi_id.replace("_", " ").casefold().split())
    close = difflib.get_close_matches(typed, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
