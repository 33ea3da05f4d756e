"""Every setting the workbook takes from the environment, named and read in this one place.

The environment is also how a setting reaches the notebook kernels a run starts (child
processes that inherit it), so a command that works on another council or an audit that
re-runs in a private store changes it through `overridden`, for itself and its kernels, and
puts it back. Values are read when asked for, not cached at import: a kernel, a test or an
in-process command that changed a variable is seen at once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

# field -> environment variable; a value of None means "not set" (the default applies)
VARIABLES = {
    "root": "KPI_ROOT",  # the project folder (holding data/raw), else found from the cwd
    "processed": "KPI_PROCESSED",  # the store's folder, else data/processed
    "council": "KPI_COUNCIL",  # the council a command works on, else the default
    "cache": "KPI_CACHE",  # "off" (or 0/no/false) turns both caches off
    "cache_dir": "KPI_CACHE_DIR",  # the readers' cache, else data/cache/files
    "report_cache_dir": "KPI_REPORT_CACHE_DIR",  # the report tables' cache, else data/cache/report
    "max_file_mb": "KPI_MAX_FILE_MB",  # the largest file read, in MB
    "file_seconds": "KPI_FILE_SECONDS",  # the longest one file may take to read
    "lock_wait": "KPI_LOCK_WAIT",  # seconds to wait for a lock, else 0
    "chromium": "KPI_CHROMIUM",  # the browser that prints PDFs ("" for none)
    "crash_at": "KPI_CRASH_AT",  # test hook: die at this step
}


@dataclass(frozen=True)
class Settings:
    root: str | None = None
    processed: str | None = None
    council: str | None = None
    cache: str | None = None
    cache_dir: str | None = None
    report_cache_dir: str | None = None
    max_file_mb: str | None = None
    file_seconds: str | None = None
    lock_wait: str | None = None
    chromium: str | None = None
    crash_at: str | None = None

    @property
    def cache_on(self) -> bool:
        return (self.cache or "on").strip().lower() not in {"off", "0", "no", "false"}


def settings() -> Settings:
    return Settings(**{f.name: os.environ.get(VARIABLES[f.name]) for f in fields(Settings)})


@contextmanager
def overridden(**values: str | None) -> Iterator[None]:
    """Settings changed for this process and the kernels it starts until the block ends; a
    value of None leaves that setting as it is."""
    changes = {VARIABLES[name]: str(v) for name, v in values.items() if v is not None}
    old = {var: os.environ.get(var) for var in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for var, value in old.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
