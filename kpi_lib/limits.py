"""Bounds on the work one input file may cause, so hostile input is refused in seconds.

A council's quarterly report prints tens to a few hundred KPI rows (the bundled reports:
0 to 141); a file whose "tables" yield more than MAX_KPI_ROWS is not a KPI report (1 MB of
junk shaped like KPI tables gave 13,493 rows) and is refused, not stored. Whatever a file
holds, reading it stops after a time budget ($KPI_FILE_SECONDS, default FILE_SECONDS).
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kpi_lib.errors import InputError, UsageError
from kpi_lib.settings import settings

MAX_KPI_ROWS = 1000
FILE_SECONDS = 120.0  # a cold 26-page PDF takes a few seconds; this is for the pathological


def too_many_rows(path: str, rows: int, line: int | None = None) -> InputError:
    where = f" by line {line}" if line else ""
    return InputError(
        path,
        f"more than {MAX_KPI_ROWS} KPI rows{where} ({rows} read): a council's report prints "
        "tens to a few hundred, so this is not read as one (nothing stored from it)",
    )


def file_seconds() -> float:
    env = (settings().file_seconds or "").strip()
    if not env:
        return FILE_SECONDS
    try:
        value = float(env)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise UsageError(f"KPI_FILE_SECONDS must be a positive number of seconds, got {env!r}")
    return value


class _OutOfTime(BaseException):
    """Raised by the alarm inside the reader; a BaseException so no reader's broad `except
    Exception` swallows it."""


@contextmanager
def time_budget(path: str, seconds: float | None = None) -> Iterator[None]:
    """Stop reading `path` after `seconds` with an InputError. Uses SIGALRM, so only in the
    main thread (elsewhere the block runs unbounded, as before)."""
    limit = file_seconds() if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    except _OutOfTime:
        raise InputError(
            path,
            f"not read within {limit:g} s (a report takes seconds): not read as a report, "
            "nothing stored from it (KPI_FILE_SECONDS sets the budget)",
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def special_kind(mode: int) -> str:
    """What a non-regular file is ("a FIFO (named pipe)", "a character device"...); "" for a
    regular file. Reading a FIFO blocks forever and /dev/zero never ends: neither is opened."""
    return next((what for test, what in _SPECIAL if test(mode)), "")


def check_regular(path: str | os.PathLike[str], shown: str | None = None) -> os.stat_result:
    """The file's stat when it is a regular file (symlinks followed), else InputError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(shown or str(path), "no such file") from None
    except OSError as exc:
        raise InputError(shown or str(path), f"cannot read: {exc.strerror or exc}") from None
    kind = special_kind(st.st_mode) or ("" if stat.S_ISREG(st.st_mode) else "not a regular file")
    if kind:
        raise InputError(shown or str(path), f"is {kind}, not a file: not read")
    return st
