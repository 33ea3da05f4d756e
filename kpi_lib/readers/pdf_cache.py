"""Cache of PDF extractions, keyed by the file's content, the reader's settings and its code.

Reading a 50-page report with pdfplumber takes seconds; the same bytes always give the same
rows, so `kpi` reuses an earlier result. The key covers the file's sha256, the settings
fingerprint and a hash of the reader's own source, so editing the reader or its settings never
serves a stale result. Entries are JSON (safe to load, diffable) under $KPI_CACHE_DIR, default
data/cache/pdf/ in the project. Set KPI_CACHE=off to disable it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from kpi_lib.readers.rows import Extraction, Issue, Row

_CODE_MODULES = (
    "readers/pdf.py",
    "readers/pdf_scan.py",
    "readers/pdf_layout.py",
    "readers/pdf_tables.py",
    "readers/pdf_settings.py",
    "readers/headers.py",
    "values.py",
    "readers/rows.py",
    "readers/pdf_cache.py",
)


def enabled() -> bool:
    return os.environ.get("KPI_CACHE", "on").strip().lower() not in {"off", "0", "no", "false"}


def cache_dir() -> Path:
    env = os.environ.get("KPI_CACHE_DIR")
    if env:
        return Path(env)
    from kpi_lib.paths import project_root

    return project_root() / "data" / "cache" / "pdf"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the reader's source: any edit invalidates cached results."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for rel in _CODE_MODULES:
        p = root / rel
        h.update(rel.encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def key(path: Path, settings_fingerprint: str) -> str:
    return f"{file_sha256(path)}-{settings_fingerprint}-{code_version()}"


def load(cache_key: str, source_file: str) -> Extraction | None:
    """The cached extraction, re-labelled with the path it was asked for; None on a miss."""
    entry = cache_dir() / f"{cache_key}.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        rows = [Row(**{**r, "source_file": source_file}) for r in data["rows"]]
        issues = [Issue(**{**i, "source_file": source_file}) for i in data["issues"]]
        return Extraction(source_file, rows, issues, int(data["tables"]), data["pages"])
    except (KeyError, TypeError):
        return None  # an entry written by another layout: treat as a miss


def store(cache_key: str, result: Extraction) -> None:
    """Write atomically; a cache that cannot be written is skipped, never an error."""
    directory = cache_dir()
    data = {
        "rows": [{**asdict(r), "source_file": ""} for r in result.rows],
        "issues": [{**asdict(i), "source_file": ""} for i in result.issues],
        "tables": result.tables,
        "pages": result.pages,
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{cache_key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, directory / f"{cache_key}.json")
    except OSError:
        pass
