"""A source file's bytes, read once and checked once, before any reader sees them.

Every reader works from these bytes, never from the path again: a file replaced while it is
read cannot give rows of one version and a sha256 of another, and a pipe, a device or a file far
larger than any report is refused before a byte is read from it (a FIFO would block forever, a
device never ends).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kpi_lib.errors import InputError, UsageError
from kpi_lib.settings import settings

# Real reports are 10-200 KB of text (a 100-page report is ~300 KB) or a few MB of PDF; far
# beyond that is not a report, and parsing it would hold up the whole ingest.
# $KPI_MAX_FILE_MB overrides both limits.
MAX_TEXT_MB = 1.0
MAX_PDF_MB = 64.0
PDF_MAGIC = b"%PDF-"


def is_pdf(data: bytes) -> bool:
    return data[:5] == PDF_MAGIC


def size_limit_mb(pdf: bool) -> float:
    env = (settings().max_file_mb or "").strip()
    if env:
        try:
            return float(env)
        except ValueError:
            raise UsageError(
                f"KPI_MAX_FILE_MB must be a number of megabytes, got {env!r}"
            ) from None
    return MAX_PDF_MB if pdf else MAX_TEXT_MB


def read_source(path: Path, name: str | None = None) -> bytes:
    """The whole file, or InputError naming it (as `name`, default the path): not a regular
    file, empty, over the size limit, or unreadable."""
    shown = name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(shown, "no such file") from None
    except IsADirectoryError:
        raise InputError(shown, "is a directory, not a report") from None
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(shown, "is a directory, not a report")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(shown, "not a regular file (a pipe, device or socket), not a report")
        if info.st_size == 0:
            raise InputError(shown, "file is empty")
        head = os.read(fd, len(PDF_MAGIC))
        limit = size_limit_mb(is_pdf(head)) * 1e6
        if info.st_size > limit:
            raise InputError(
                shown,
                f"{info.st_size / 1e6:.1f} MB is over the {limit / 1e6:g} MB limit for a source "
                "file (not a report? set KPI_MAX_FILE_MB to raise the limit)",
            )
        chunks = [head]
        left = int(limit) + 1 - len(head)  # a file growing while read still stops at the limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputError(shown, "grew past the size limit while it was read")
    if not data.strip():
        raise InputError(shown, "file is empty")
    return data
