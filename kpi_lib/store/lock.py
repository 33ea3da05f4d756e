"""The one lock of the store: `kpi ingest` takes it exclusively; report runs, deep dives,
batches and audits take it shared for as long as they read, so a report never publishes
tables from one store beside a headline from another."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from kpi_lib.locks import hold
from kpi_lib.paths import processed_dir, relative


def lock_file(store: Path | None = None) -> Path:
    """Beside the store, not in it: the store folder itself is swapped whole by each ingest."""
    store = store or processed_dir()
    return store.parent / f".{store.name}.lock"


def store_lock(
    *, shared: bool, store: Path | None = None, wait: float | None = None
) -> AbstractContextManager[None]:
    store = store or processed_dir()
    return hold(lock_file(store), shared=shared, what=f"the store {relative(store)}", wait=wait)
