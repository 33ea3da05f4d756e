"""A cache for what `kpi report` and `kpi audit` recompute: the quarterly tables (claims checks,
backtested forecasts) are a pure function of the store's bytes, the catalogue, the parameters
and the code, so an audit's re-run of an unchanged quarter (or a second `kpi report`) loads
them instead of refitting every model.

Keyed by the sha256 of the store's Parquet files, the catalogue, the parameters and every
kpi_lib source file: any change to data or code is a miss. Entries are pickles under
data/cache/report/ (written by this project's own code, read only by it; delete the folder to
clear it). KPI_CACHE=off disables it, as for the PDF cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from kpi_lib.digest import sha256_file
from kpi_lib.paths import processed_dir, project_root
from kpi_lib.store.catalog import catalog_file
from kpi_lib.store.councils import current

T = TypeVar("T")
STORE_FILES = ("observations.parquet", "reports.parquet", "commentary.parquet")


def enabled() -> bool:
    return os.environ.get("KPI_CACHE", "on").strip().lower() not in {"off", "0", "no", "false"}


def cache_dir() -> Path:
    return project_root() / "data" / "cache" / "report"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every kpi_lib source file: any edit to the code is a miss."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _digest(path: Path) -> str:
    return sha256_file(path) if path.is_file() else "-"


def key(kind: str, params: dict[str, Any]) -> str:
    me = current()
    parts = {
        "kind": kind,
        "params": params,
        "code": code_version(),
        "store": {f: _digest(processed_dir() / f) for f in STORE_FILES},
        "catalog": _digest(catalog_file(me)),
        "council": me.id,  # two councils' reports of one quarter never share a result
    }
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return f"{kind}-{hashlib.sha256(blob).hexdigest()[:32]}"


def cached(kind: str, params: dict[str, Any], compute: Callable[[], T]) -> T:
    """`compute()` once per (data, code, parameters); later calls load the stored result."""
    if not enabled():
        return compute()
    path = cache_dir() / f"{key(kind, params)}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a torn or foreign entry is recomputed, not trusted
            path.unlink(missing_ok=True)
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # atomic: parallel runs never read half an entry
    return result
