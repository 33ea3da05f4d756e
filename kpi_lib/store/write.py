"""The atomic store write: validate every table, build the new store in a staging folder beside
data/processed, then swap it in whole.

A failure at any point (a table failing kpi_lib.store.schemas, a full disk, a crash between the two
renames) leaves the previous store byte for byte as it was; the next run's `recover` puts back
a store a crash left aside. The store is its Parquet tables plus one subfolder of per-file cache
entries: entries still wanted are carried over (hard-linked), stale ones dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from kpi_lib.locks import crash_point
from kpi_lib.store import schemas
from kpi_lib.store.parquet import to_parquet


def write(
    store: Path,
    tables: dict[str, pd.DataFrame],
    *,
    cache_dir: str,
    wanted: set[str],
    fresh: dict[str, bytes],
) -> bool:
    """Validate every table before anything is written, then swap in the new store whole.

    `wanted` names the cache entries (<sha256>.json under `cache_dir`) the new store keeps,
    `fresh` holds the bytes of those just parsed; the rest are taken from the old store.
    False (nothing touched) when the store would be identical."""
    for name, df in tables.items():
        schemas.validate(name, df)
    blobs = {f"{name}.parquet": to_parquet(df, name) for name, df in tables.items()}
    return _commit(store, blobs, cache_dir, wanted, fresh)


def _commit(
    store: Path, blobs: dict[str, bytes], cache_dir: str, wanted: set[str], fresh: dict[str, bytes]
) -> bool:
    """Swap in the new store whole; False (nothing touched) when it would be identical."""
    old_cache = store / cache_dir
    have = {p.stem for p in old_cache.glob("*.json")} if old_cache.is_dir() else set()
    same_tables = all(
        (store / name).is_file() and (store / name).read_bytes() == data
        for name, data in blobs.items()
    )
    if same_tables and not fresh and have == wanted:
        return False
    store.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{store.name}-new-{os.getpid()}-", dir=store.parent))
    try:
        os.chmod(staging, _folder_mode())  # mkdtemp makes it 0700, unlike every other folder
        for name, data in blobs.items():
            (staging / name).write_bytes(data)
        cache = staging / cache_dir
        cache.mkdir()
        for sha in sorted(wanted):
            target = cache / f"{sha}.json"
            if sha in fresh:
                target.write_bytes(fresh[sha])
            else:
                _link_or_copy(old_cache / f"{sha}.json", target)
        crash_point("store-staged")
        _swap(staging, store)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _swap(staging: Path, store: Path) -> None:
    """Two renames; if the second fails the first is undone. A crash between them leaves the
    old store under .<name>-old-*, which recover puts back on the next run."""
    old = store.parent / f".{store.name}-old-{os.getpid()}"
    if store.exists():
        os.replace(store, old)
    crash_point("store-swap")
    try:
        os.replace(staging, store)
    except BaseException:
        if old.exists() and not store.exists():
            os.replace(old, store)
        raise
    crash_point("store-swapped")
    shutil.rmtree(old, ignore_errors=True)


def _folder_mode() -> int:
    """What a folder made with mkdir gets under the process's umask (as data/ itself did)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def recover(store: Path) -> None:
    """Undo an interrupted swap: restore the previous store, drop half-built ones (of
    processes no longer running; a concurrent ingest's staging folder is left alone)."""
    parent = store.parent
    if not parent.is_dir():
        return
    olds = sorted(p for p in parent.glob(f".{store.name}-old-*") if not _alive(p))
    if olds and not store.exists():
        os.replace(olds[-1], store)
        olds = olds[:-1]
    news = [p for p in parent.glob(f".{store.name}-new-*") if not _alive(p)]
    for leftover in [*olds, *news]:
        shutil.rmtree(leftover, ignore_errors=True)


def _alive(folder: Path) -> bool:
    """Is the process that named this staging folder (…-new-<pid>-…) still running?"""
    m = re.search(r"-(?:new|old)-(\d+)", folder.name)
    if not m or int(m.group(1)) == os.getpid():
        return False
    try:
        os.kill(int(m.group(1)), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
