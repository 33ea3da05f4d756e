"""Advisory file locks (flock) so that runs never mix: the store is written by one ingest at a
time and never while a report reads it; one output folder is written by one run at a time.

flock locks belong to the open file: the kernel drops them when the process ends, however it
ends (kill -9 included), so a crash never leaves a stale lock behind. Waiting is bounded: a
process that cannot get the lock in `wait` seconds stops with one line naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kpi_lib.errors import KpiError
from kpi_lib.settings import settings

POLL = 0.1  # seconds between attempts while waiting
_HELD: set[tuple[int, str]] = set()  # (pid, lock file) this process holds: nesting is a no-op


class LockedError(KpiError):
    """Another process holds the lock; the message names it."""


def default_wait() -> float:
    """Seconds to wait for a lock: $KPI_LOCK_WAIT, else 0 (say who holds it and stop)."""
    try:
        return max(0.0, float(settings().lock_wait or "0"))
    except ValueError:
        return 0.0


@contextmanager
def hold(path: Path, *, shared: bool, what: str, wait: float | None = None) -> Iterator[None]:
    """Hold a shared (readers) or exclusive (writer) lock on `path` for the block.

    `what` names the thing locked, for the message a refused process prints."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = (os.getpid(), str(path.resolve()))
    if key in _HELD:  # already held by this process (a report reading through store.sql)
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # O_CLOEXEC: kernels never inherit it
    try:
        op = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + (default_wait() if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, op)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"{what} is in use by {holders(fd)}: try again when it has finished"
                    ) from None
                time.sleep(POLL)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
    finally:
        os.close(fd)  # releases the lock


def holders(fd: int) -> str:
    """Who holds the lock on the open file `fd`, read from /proc/locks (Linux)."""
    inode = os.fstat(fd).st_ino
    found = []
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] != "FLOCK":  # "->" marks a waiter, not a holder
            continue
        dev_inode = parts[5].split(":")
        if len(dev_inode) == 3 and dev_inode[2].isdigit() and int(dev_inode[2]) == inode:
            pid = parts[4]
            if pid.isdigit() and int(pid) != os.getpid():
                found.append(f"pid {pid} ({describe_process(int(pid))})")
    return ", ".join(dict.fromkeys(found)) or "another process"


def pid_alive(pid: int) -> bool:
    """A process with this pid exists (and is not this one, nor a zombie awaiting its parent)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[0] if ")" in stat else ""


def describe_process(pid: int) -> str:
    """What a process is, for a message: its command, and for a worker (a forked child with
    the same command line) that it works for its parent, or that its parent is gone."""
    text = _command(pid)
    parent = _parent(pid)
    if parent and _command(parent) == text:
        return f"{text}, a worker of pid {parent}"
    if _state(pid) == "Z":
        return f"{text}, exited"
    return text


def _parent(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "a process this user cannot inspect"
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    if not args:  # a kernel thread, or a process that has exited but not been reaped
        return "a process that has exited" if _state(pid) == "Z" else "no command line"
    if len(args) > 1 and Path(args[1]).name == "kpi":  # python .venv/bin/kpi report ...
        args = args[1:]
    if len(args) > 2 and args[1] == "-m" and args[2] == "kpi_lib.cli":  # python -m kpi_lib.cli
        args = ["kpi", *args[3:]]
    text = " ".join([Path(args[0]).name, *args[1:]])
    return text if len(text) <= 80 else text[:77] + "..."


def crash_point(step: str) -> None:
    """Test hook: $KPI_CRASH_AT=<step> kills this process right here with SIGKILL (no clean-up
    runs), so the reliability suite can check what a real crash at that step leaves behind."""
    if settings().crash_at == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
