"""data/raw/SOURCES.csv: where each raw file came from (title, period, published sha256)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from kpi_lib.errors import InputError
from kpi_lib.paths import raw_dir

SOURCES_NAME = "SOURCES.csv"


@dataclass(frozen=True)
class Source:
    """One row of SOURCES.csv; `file` is relative to data/raw, posix."""

    file: str
    period: str = ""
    title: str = ""
    publisher: str = ""
    sha256: str = ""
    licence: str = ""
    note: str = ""


def load_sources(raw: Path | None = None) -> dict[str, Source]:
    """Rows of SOURCES.csv keyed by file; an absent SOURCES.csv is simply no metadata."""
    path = (raw or raw_dir()) / SOURCES_NAME
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "file" not in reader.fieldnames:
                raise InputError(str(path), "no 'file' column in the header")
            out: dict[str, Source] = {}
            for row in reader:
                name = (row.get("file") or "").strip()
                if not name:
                    continue
                fields = {k: (row.get(k) or "").strip() for k in Source.__dataclass_fields__}
                fields["file"] = Path(name).as_posix()
                out[fields["file"]] = Source(**fields)
            return out
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(str(path), f"not valid CSV: {exc}") from None


def source_for(path: Path, sources: dict[str, Source], raw: Path | None = None) -> Source | None:
    """The SOURCES.csv row describing `path`, if `path` lies under data/raw and is listed."""
    try:
        key = path.resolve().relative_to((raw or raw_dir()).resolve()).as_posix()
    except ValueError:
        return None
    return sources.get(key)
