"""Run every period's report (and optionally every KPI's deep dive) in worker processes."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd
from tqdm.auto import tqdm

from kpi_lib.errors import KpiError


def _job(kind: str, key: str, with_code: bool) -> tuple[str, str, str, float, str]:
    """Run one job; errors come back as text because custom exceptions may not pickle."""
    from kpi_lib.reports import run_deep_dive, run_report

    start = time.perf_counter()
    try:
        res = run_report(key, with_code) if kind == "report" else run_deep_dive(key, with_code)
        detail = str(res.html[-1]) if res.html else str(res.out_dir)
        return kind, key, "ok", time.perf_counter() - start, detail
    except KpiError as exc:
        return kind, key, "failed", time.perf_counter() - start, str(exc)


def report_periods() -> list[str]:
    from kpi_lib import store

    q = "select distinct report_period from observations order by 1"
    return store.sql(q)["report_period"].tolist()


def kpi_ids() -> list[str]:
    from kpi_lib import store

    return store.sql("select distinct kpi_id from observations order by 1")["kpi_id"].tolist()


def batch(
    periods: list[str] | None = None,
    deep_dives: bool = False,
    workers: int = 2,
    with_code: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per job (kind, key, status, seconds, detail), sorted; failures do not stop others."""
    jobs = [("report", p) for p in (periods or report_periods())]
    if deep_dives:
        jobs += [("deep-dive", k) for k in kpi_ids()]
    rows = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_job, kind, key, with_code) for kind, key in jobs]
        for fut in tqdm(as_completed(futures), total=len(futures), disable=not progress):
            rows.append(fut.result())
    cols = ["kind", "key", "status", "seconds", "detail"]
    return pd.DataFrame(rows, columns=cols).sort_values(["kind", "key"], ignore_index=True)
