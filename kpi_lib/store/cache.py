"""The per-file cache: what one file yields, kept under data/processed/_cache/<sha256>.json.

An entry is keyed by the file's bytes (its name) and by a hash of the code that reads it (inside
it), so an unchanged file is never parsed again and any edit to the reading code, or a new
version of the PDF libraries, makes every entry stale. Entries are JSON with sorted keys: safe
to load, diffable, and byte-stable for the same result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from kpi_lib.readers.document import FileResult

CACHE_DIR = "_cache"
CACHE_FORMAT = 1
# Besides every reader (kpi_lib/readers/), the shared modules whose code decides what a file
# yields; editing any of them invalidates the cache.
_CODE = ("values.py", "periods.py", "errors.py", "store/cache.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that reads a file: the readers and the modules in _CODE."""
    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "readers").glob("*.py")) + [root / m for m in _CODE]
    h = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    for package in ("pdfplumber", "pdfminer.six", "pypdfium2"):  # they read the PDFs
        try:
            h.update(f"{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package} -".encode())
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def load_cached(path: Path) -> FileResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("code") != code_version():
        return None
    try:
        return FileResult(**data["result"])
    except TypeError:
        return None


def cache_bytes(result: FileResult) -> bytes:
    doc = {"code": code_version(), "result": asdict(result)}
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
