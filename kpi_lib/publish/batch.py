"""Run every period's report (and optionally every KPI's deep dive) in worker processes.

Workers never outlive the batch: each asks the kernel for SIGTERM when its parent dies
(prctl PR_SET_PDEATHSIG), and a batch stopped by Ctrl-C or SIGTERM stops its workers rather
than waiting for their reports; a stopped worker's run removes its staging folder, and its
kernels exit when their parent does (ipykernel's parent poller). A worker told to stop ends
its process: the pool's own loop would catch the SystemExit, send it back to a parent that may
be dead, and wait for the next job for ever."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import NoReturn

import pandas as pd
from tqdm import tqdm  # the terminal bar: tqdm.auto warns inside a kernel without ipywidgets

from kpi_lib.errors import KpiError, UsageError
from kpi_lib.periods import parse_report_period
from kpi_lib.publish.params import BatchParams, DeepDiveParams, ReportParams
from kpi_lib.publish.plan import kpi_ids, report_periods, run_deep_dive, run_report
from kpi_lib.store.lock import store_lock


def _job(kind: str, key: str, with_code: bool) -> tuple[str, str, str, float, str]:
    """Run one job; every error comes back as text (custom exceptions may not pickle, and one
    job's crash must not lose the others' results)."""

    start = time.perf_counter()
    try:
        if kind == "report":
            res = run_report(ReportParams(period=key, with_code=with_code))
        else:
            res = run_deep_dive(DeepDiveParams(kpi_id=key, with_code=with_code))
        detail = str(res.html[-1]) if res.html else str(res.out_dir)
        return kind, key, "ok", time.perf_counter() - start, detail
    except SystemExit as exc:  # SIGTERM: the run has cleaned up on the way out; end the worker
        _end_worker(exc.code if isinstance(exc.code, int) else 1)
    except KpiError as exc:
        return kind, key, "failed", time.perf_counter() - start, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported in the table like any other failure
        return kind, key, "failed", time.perf_counter() - start, f"{type(exc).__name__}: {exc}"


def build_site() -> list[tuple[str, str, str]]:
    """What ties the runs together, built from the store once they are done: the KPI index
    (outputs/index.html, linking whatever papers and deep dives exist) and the workbook of the
    whole history (outputs/kpi_history.xlsx). Each as (what, status, path or error); a
    failure is reported like a job's, never raised. The caller holds the store lock."""
    from kpi_lib.paths import outputs_dir
    from kpi_lib.publish.index import INDEX_NAME, write_index
    from kpi_lib.publish.workbook import HISTORY_NAME, write_history

    out = []
    for what, write, name in [
        ("KPI index", write_index, INDEX_NAME),
        ("history workbook", write_history, HISTORY_NAME),
    ]:
        try:
            outputs_dir().mkdir(parents=True, exist_ok=True)
            out.append((what, "ok", str(write(outputs_dir() / name))))
        except (KpiError, OSError, ValueError) as exc:
            out.append((what, "failed", f"{type(exc).__name__}: {exc}"))
    return out


# --- workers die with their parent ----------------------------------------------------------
_PR_SET_PDEATHSIG = 1
_STOP_GRACE_SECONDS = 20.0
_stopping = threading.Event()


def _end_worker(code: int) -> NoReturn:
    """Leave now, removing this worker's kernel folder (os._exit runs no finalizers)."""
    from kpi_lib.publish.execute import remove_runtime_dir

    remove_runtime_dir()
    os._exit(code)


def _watchdog() -> None:
    """A SIGTERM that lands where nothing lets it end the process (the pool's result hand-back)
    still ends it, after a grace period for the run's own clean-up."""
    _stopping.wait()
    time.sleep(_STOP_GRACE_SECONDS)
    _end_worker(128 + signal.SIGTERM)


def _worker_start() -> None:
    """In each worker: SIGTERM from the kernel when the parent dies, however it dies (kill -9
    included), and SIGTERM raising SystemExit so the run's own clean-up (staging folder,
    kernel shutdown) happens. Linux only; elsewhere the pool's own shutdown applies."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    threading.Thread(target=_watchdog, name="kpi-stop-watchdog", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl: no signal would ever come
        os._exit(1)


def _exit_on_signal(signum: int, frame: object) -> None:
    """Once: a second SIGTERM (the pool stops every worker when one dies) must not cut the
    first one's clean-up short; the watchdog ends a worker that does not finish it."""
    if _stopping.is_set():
        return
    _stopping.set()
    raise SystemExit(128 + signum)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM to the parent stops the batch like Ctrl-C (the workers are then stopped)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and send SIGTERM to every worker, then wait for them."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()


def _outcome(fut: Future, kind: str, key: str) -> tuple[str, str, str, float, str]:
    """A job's row; a worker ended from outside (a signal, the out-of-memory killer) breaks
    the pool, and every job it had not finished is failed with that reason."""
    try:
        return fut.result()
    except BrokenProcessPool:
        why = "its worker process was stopped from outside (a signal or out of memory)"
        return kind, key, "failed", 0.0, why


def _canonical(period: str) -> str:
    """One label per period, so `2022-23_Q2` and `2022/23 Q2` never race for one folder."""

    try:
        return parse_report_period(period).label
    except UsageError:
        return period  # fails in its job, with the parser's message


def batch(
    periods: list[str] | None = None,
    deep_dives: bool = False,
    workers: int = 2,
    with_code: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per job (kind, key, status, seconds, detail), sorted; failures do not stop others."""
    params = BatchParams(tuple(periods or ()), deep_dives, workers, with_code)
    return run_batch(params, progress=progress)


def run_batch(params: BatchParams, progress: bool = True) -> pd.DataFrame:
    """Every job reads the same store: it stays locked (shared) until the last job ends."""

    with store_lock(shared=True):
        wanted = list(params.periods) or report_periods()
        jobs = [("report", p) for p in dict.fromkeys(_canonical(p) for p in wanted)]
        if params.deep_dives:
            jobs += [("deep-dive", k) for k in kpi_ids()]
        rows = []
        pool = ProcessPoolExecutor(max_workers=params.workers, initializer=_worker_start)
        try:
            with _terminate_as_interrupt():
                futures = {
                    pool.submit(_job, kind, key, params.with_code): (kind, key)
                    for kind, key in jobs
                }
                for fut in tqdm(as_completed(futures), total=len(futures), disable=not progress):
                    rows.append(_outcome(fut, *futures[fut]))
        except BaseException:
            _stop(pool)  # never wait for running reports: stop them, they clean up after them
            raise
        pool.shutdown(wait=True)
        site = build_site()
    cols = ["kind", "key", "status", "seconds", "detail"]
    table = pd.DataFrame(rows, columns=cols).sort_values(["kind", "key"], ignore_index=True)
    table.attrs["site"] = site  # what ties the runs together: [(what, status, path or error)]
    return table
