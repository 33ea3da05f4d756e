"""Which files a run reads and which quarter each one reports on.

Naming a file adds it to what the store already holds rather than replacing it, so ingesting a
new quarter never drops the others. A report's quarter is taken from the strongest evidence
available: the document's own words, then SOURCES.csv, then its data/raw folder, then --period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow
import pyarrow.parquet as pq

from kpi_lib.errors import InputError, UsageError
from kpi_lib.limits import check_regular, special_kind
from kpi_lib.paths import processed_dir, project_root, raw_dir, relative
from kpi_lib.periods import Period, parse_period, parse_report_period
from kpi_lib.readers.rows import FileResult
from kpi_lib.store.sources import SOURCES_NAME, Source

_FOLDER = re.compile(r"^\d{4}-\d{2}_Q[1-4]$")


@dataclass
class Input:
    path: Path
    file: str  # relative to the project root, posix
    result: FileResult
    parsed: bool  # False when reused from the cache
    period: Period | None = None
    period_from: str = ""
    source: Source | None = None
    council: str = ""  # the council's id (kpi_lib.store.councils)
    data: bytes | None = None  # the bytes read (once) for this run


def default_inputs() -> list[Path]:
    """Every report under data/raw/: all files but SOURCES.csv and hidden ones."""
    raw = raw_dir()
    if not raw.is_dir():
        raise UsageError(f"no raw data folder: {relative(raw)}")
    return sorted(
        p
        for p in raw.rglob("*")
        if p.is_file()
        and p.name != SOURCES_NAME
        and not any(part.startswith(".") for part in p.relative_to(raw).parts)
    )


def choose_inputs(paths: list[str | Path] | None) -> list[Path]:
    """No paths: all of data/raw. Paths: those files plus every file already in the store that
    still exists (naming one new report adds it; it does not drop the others)."""
    if not paths:
        return default_inputs()
    chosen: dict[Path, None] = {}
    for p in stored_files():
        full = project_root() / p
        if full.is_file():
            chosen[full.resolve()] = None
    for p in paths:
        if not str(p).strip():  # Path("") is the working directory: the whole project
            raise UsageError("a file path must not be empty")
        path = Path(p)
        try:
            exists = path.exists()
        except OSError as exc:  # e.g. a name too long for the file system
            shown = str(p) if len(str(p)) <= 80 else f"{str(p)[:60]}... ({len(str(p))} characters)"
            raise InputError(shown, exc.strerror or str(exc)) from None
        if not exists:
            raise InputError(str(p), "no such file")
        if path.is_dir():
            found = [
                f
                for f in sorted(path.rglob("*"))
                if f.is_file() and f.name != SOURCES_NAME and not f.name.startswith(".")
            ]
            if not found:
                raise InputError(str(p), "a folder with no report files in it: nothing to ingest")
            chosen.update(dict.fromkeys(f.resolve() for f in found))
        elif special_kind(path.stat().st_mode):
            check_regular(path)  # a FIFO or a device: one line, never opened
        elif path.name == SOURCES_NAME:
            raise InputError(str(p), "is the sources list, not a report: name the report files")
        else:
            chosen[path.resolve()] = None
    return sorted(chosen)


def stored_files() -> list[str]:
    """The files the current store was built from ([] if there is none or it is unreadable)."""
    path = processed_dir() / "reports.parquet"
    if not path.is_file():
        return []
    try:
        return [str(f) for f in pq.read_table(path, columns=["file"]).column("file").to_pylist()]
    except (OSError, pyarrow.ArrowException):
        return []


def folder_period(path: Path) -> Period | None:
    """The quarter of the data/raw/<YYYY-YY>_Q<n>/ folder a file lies in, if it does."""
    folder = path.parent.name
    return parse_report_period(folder) if _FOLDER.match(folder) else None


def report_period(inp: Input, option: Period | None) -> tuple[Period, str]:
    """The document's own words, else SOURCES.csv, else its folder, else --period."""
    if inp.result.period:
        return parse_period(inp.result.period), "document"
    if inp.source is not None and inp.source.period:
        try:
            return parse_report_period(inp.source.period), "SOURCES.csv"
        except UsageError as exc:
            raise InputError(relative(raw_dir() / SOURCES_NAME), f"{inp.file}: {exc}") from None
    folder = folder_period(inp.path)
    if folder is not None:
        return folder, "folder"
    if option is not None:
        return option, "--period"
    raise InputError(
        inp.file,
        "cannot tell which quarter this report covers: name it in SOURCES.csv, put it under "
        "data/raw/<YYYY-YY>_Q<n>/ or pass --period",
    )
