"""Each source file is opened and read once per ingest, through the readers' one door, so a file
replaced while it is ingested cannot give the rows of one version and the sha256 of another."""

from __future__ import annotations

import builtins
import io
import os
from collections import Counter
from pathlib import Path

import pytest

from kpi_lib import store
from kpi_lib.digest import sha256_bytes
from kpi_lib.readers import source
from kpi_lib.store.ingest import ingest


def _count_opens(monkeypatch: pytest.MonkeyPatch, raw: Path) -> Counter[str]:
    """Every open of a file under data/raw, by any route Python offers."""
    seen: Counter[str] = Counter()

    def note(path: object) -> None:
        try:
            p = Path(os.fsdecode(path)).resolve()  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if raw in p.parents and p.name != "SOURCES.csv":
            seen[p.name] += 1

    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *a, **k):  # type: ignore[no-untyped-def]
        if not isinstance(file, int):
            note(file)
        return real_open(file, *a, **k)

    def spy_os_open(path, *a, **k):  # type: ignore[no-untyped-def]
        note(path)
        return real_os_open(path, *a, **k)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


def test_each_file_is_read_once_per_ingest(store_root: Path, monkeypatch) -> None:
    raw = (store_root / "data" / "raw").resolve()
    files = sorted(p.name for p in raw.rglob("*") if p.is_file() and p.name != "SOURCES.csv")
    seen = _count_opens(monkeypatch, raw)
    ingest(rebuild=True)  # every file parsed afresh, not served from the cache
    assert sorted(seen) == files
    assert set(seen.values()) == {1}, seen


def test_a_file_replaced_while_it_is_read_cannot_mix_versions(
    store_root: Path, monkeypatch
) -> None:
    """The file is swapped for another version the moment its bytes are read: what is stored
    (its sha256, rows and commentary) is all of the version that was read."""
    path = store_root / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_kpi_commentary.md"
    original = path.read_bytes()
    real = source.read_source

    def read_then_replace(p: Path, name: str | None = None) -> bytes:
        data = real(p, name)
        if Path(p).resolve() == path.resolve():
            path.write_bytes(original.replace(b"Sickness", b"Absence"))
        return data

    monkeypatch.setattr("kpi_lib.readers.document.read_source", read_then_replace)
    ingest(rebuild=True)
    rep = store.load("reports").set_index("file").loc["data/raw/2022-23_Q2/" + path.name]
    assert rep["sha256"] == sha256_bytes(original)
    obs = store.load("observations")
    mine = obs[obs["source_file"] == "data/raw/2022-23_Q2/" + path.name]
    assert mine["metric_name"].str.contains("Sickness").any()  # the version read, not the new


def test_a_cache_entry_edited_or_swapped_is_never_served(store_root: Path) -> None:
    """What a file yields is cached by its bytes; an entry edited after it was written (a
    figure changed), or another file's entry put under this file's name, is read afresh."""
    import json

    from kpi_lib.readers.cache import CACHE_DIR

    cache = store_root / "data" / "processed" / CACHE_DIR
    entries = sorted(cache.glob("*.json"))
    assert len(entries) >= 2
    doc = json.loads(entries[0].read_text())
    row = next(r for r in doc["result"]["rows"] if r["value"] is not None)
    row["value"] = 999_999.0  # a forged figure; the content hash left as it was
    entries[0].write_text(json.dumps(doc))
    entries[1].write_text(entries[2 % len(entries)].read_text())  # another file's entry
    result = ingest()
    forged, swapped = (p.stem for p in entries[:2])
    by_sha = dict(zip(store.load("reports")["sha256"], store.load("reports")["file"], strict=True))
    assert {by_sha[forged], by_sha[swapped]} <= set(result.parsed)
    assert 999_999.0 not in set(store.load("observations")["value"])
