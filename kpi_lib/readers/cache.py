"""The one cache of what reading a file yields, keyed by the file, the code and the settings.

Reading a report (a PDF above all) costs far more than loading a JSON entry, and the same
bytes read by the same code with the same settings always give the same result. Every entry
is named by the file's sha256 and holds, besides the result, the hash of the code that read
it (`code_version`: every module of kpi_lib/readers/, the shared base modules they use, and
the versions of the PDF libraries) and the fingerprint of the settings the parse read
(`config`); an entry whose code or settings differ is a miss, so an edit never serves a stale
result. Entries are JSON with sorted keys: safe to load, diffable, byte-stable; each carries
the hash of its result and is served only when that hash and its file's sha256 still match.

One entry per file's bytes, a FileResult, used by the one door to the readers
(readers.document.read_report), in two places:
- `kpi ingest` keeps its entries inside the store, under <store>/_cache/, written with the
  store so both change together (`cache_bytes`), and the extraction QA reads them there;
- `kpi extract` keeps its own under $KPI_CACHE_DIR, default data/cache/files/ (`store`).
KPI_CACHE=off turns both off: every file is read afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from kpi_lib.readers.profile import DEFAULT as DEFAULT_PROFILE
from kpi_lib.readers.profile import Profile
from kpi_lib.readers.rows import FileResult
from kpi_lib.settings import settings

CACHE_DIR = "_cache"  # the store's folder of FileResult entries
CACHE_FORMAT = 4
# Besides every reader (kpi_lib/readers/), the shared base modules whose code decides what a
# file yields; editing any of them invalidates every entry.
_BASE = ("values.py", "periods.py", "errors.py", "paths.py")
_LIBRARIES = ("pdfplumber", "pdfminer.six", "pypdfium2")  # they read the PDFs


def enabled() -> bool:
    return settings().cache_on


def cache_dir() -> Path:
    """Where `kpi extract` keeps its entries: $KPI_CACHE_DIR, default data/cache/files/."""
    env = settings().cache_dir
    if env:
        return Path(env)
    from kpi_lib.paths import project_root

    return project_root() / "data" / "cache" / "files"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that reads a file: the readers, the base modules, the PDF libraries."""
    from importlib import metadata  # ~50 ms of imports: only when the cache is used

    root = Path(__file__).resolve().parents[1]
    files = sorted(p for p in (root / "readers").rglob("*") if p.suffix in (".py", ".yaml")) + [
        root / m for m in _BASE
    ]
    h = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    for package in _LIBRARIES:
        try:
            h.update(f"{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package} -".encode())
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def default_config() -> str:
    """The fingerprint of the settings a plain parse reads (the PDF reader's defaults)."""
    from kpi_lib.readers.pdf.settings import DEFAULT

    return DEFAULT.fingerprint()


def _content(result: dict[str, Any]) -> str:
    """The hash of a result as stored: an entry torn, edited or swapped is not served."""
    text = json.dumps(result, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(result: dict[str, Any], config: str) -> bytes:
    doc = {"code": code_version(), "config": config, "content": _content(result), "result": result}
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _result(path: Path, config: str) -> dict[str, Any] | None:
    """The stored result when the entry was written by this code with these settings."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("code") != code_version():
        return None
    if doc.get("config") != config or not isinstance(doc.get("result"), dict):
        return None
    if doc.get("content") != _content(doc["result"]):
        return None  # edited or torn since it was written: read the file afresh
    if doc["result"].get("sha256") != path.stem:
        return None  # another file's result under this file's name
    return doc["result"]


# --- kpi ingest: a FileResult per input, kept in the store ----------------------------------
def config_of(profile: Profile) -> str:
    """The settings a parse read: the PDF reader's, and the reader profile's words."""
    if profile == DEFAULT_PROFILE:
        return default_config()
    return f"{default_config()}+{profile.fingerprint()}"


def load_cached(path: Path, config: str | None = None) -> FileResult | None:
    """The FileResult in the entry at `path`; None on a miss, or when KPI_CACHE=off."""
    if not enabled():
        return None
    found = _result(path, config or default_config())
    if found is None:
        return None
    try:
        return FileResult(**found)
    except TypeError:
        return None  # written by another layout: a miss


def cache_bytes(result: FileResult, config: str | None = None) -> bytes:
    return _entry(asdict(result), config or default_config())


def store(path: Path, result: FileResult, config: str | None = None) -> None:
    """Write an entry atomically; a cache that cannot be written is skipped, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        tmp.write_bytes(cache_bytes(result, config))
        os.replace(tmp, path)
    except OSError:
        pass
