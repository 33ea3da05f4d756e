"""`kpi ingest`: rebuild data/processed/ (observations, reports, commentary) from the raw reports.

Three properties the rest of the workbook relies on:
- incremental: what one file yields (rows, warnings, headline, commentary, its own period) is
  cached under data/processed/_cache/<sha256>.json, keyed by the file's bytes and a hash of the
  code that reads it; an unchanged file is never parsed again, a new quarter parses one file;
- validated then atomic: every table passes store.schemas before anything is written, and the
  new store is built in a temporary folder beside data/processed and swapped in whole, so a
  failure at any point leaves the previous store byte for byte as it was;
- idempotent: rows are sorted, nothing time-dependent is stored, Parquet options are fixed, so
  the same inputs give byte-identical files (and an unchanged store is not rewritten at all).

This module only runs the steps; each lives in its own module, data flowing one way:
  ingest_inputs (which files, which quarter) -> file_result (what one file yields, parsed only
  on a cache miss in ingest_cache) -> observations · report_rows · commentary_rows (the tables,
  cross-file facts recomputed every run) -> storewrite (validate, stage, swap; the bytes fixed
  by store_format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm  # the terminal bar: tqdm.auto warns inside a kernel without ipywidgets

from kpi_lib.digest import sha256_bytes
from kpi_lib.errors import InputError
from kpi_lib.limits import time_budget
from kpi_lib.locks import crash_point
from kpi_lib.paths import processed_dir, relative
from kpi_lib.periods import parse_report_period
from kpi_lib.readers.cache import CACHE_DIR, cache_bytes, load_cached
from kpi_lib.readers.document import parse_file
from kpi_lib.store import write as storewrite
from kpi_lib.store.catalog import load_catalog, new_kpi_id
from kpi_lib.store.commentary_table import commentary
from kpi_lib.store.inputs import Input, check_size, choose_inputs, default_inputs, report_period
from kpi_lib.store.lock import store_lock
from kpi_lib.store.observations import observations
from kpi_lib.store.report_table import reports
from kpi_lib.store.sources import load_sources, source_for

__all__ = ["TABLES", "IngestResult", "build_tables", "default_inputs", "describe", "ingest"]

TABLES = ("observations", "reports", "commentary")


@dataclass
class IngestResult:
    """What a run did: which files were parsed and which reused, and what the store holds."""

    parsed: list[str]
    reused: list[str]
    written: bool
    counts: dict[str, int]
    store: Path
    periods: dict[str, str] = field(default_factory=dict)  # file -> report period
    warnings: dict[str, int] = field(default_factory=dict)  # file -> warning count
    failed: list[InputError] = field(default_factory=list)  # files left out (keep_going)


def ingest(
    paths: list[str | Path] | None = None,
    period: str | None = None,
    rebuild: bool = False,
    *,
    keep_going: bool = False,
    progress: bool = False,
) -> IngestResult:
    """Parse what changed, rebuild and validate every table, then swap the store in whole.

    The store is locked for the whole run (a second ingest, or one during a report, stops
    with one line naming the holder). A file that cannot be read raises InputError and
    nothing is written; with keep_going the others are ingested and the bad ones returned in
    `failed`, so one broken or oversized file never blocks a quarter's update (the caller
    must report them: the CLI prints one line each and exits non-zero)."""
    option = parse_report_period(period) if period else None
    store = processed_dir()
    with store_lock(shared=False, store=store):
        storewrite.recover(store)
        files = choose_inputs(paths)
        sources = load_sources()
        old_cache = store / CACHE_DIR
        inputs: list[Input] = []
        failed: list[InputError] = []
        fresh: dict[str, bytes] = {}
        seen: dict[str, str] = {}
        bar = tqdm(files, desc="ingest", unit="file", disable=None if progress else True)
        for path in bar:
            bar.set_postfix_str(path.name[-40:], refresh=False)
            try:
                inp, blob = _read_one(path, seen, old_cache, sources, option, rebuild)
            except InputError as exc:
                if not keep_going:
                    raise
                failed.append(exc)
                continue
            inputs.append(inp)
            if blob is not None:
                fresh[inp.result.sha256] = blob
        if failed and not inputs:  # nothing readable: never replace a store with an empty one
            raise failed[0]
        crash_point("ingest-parsed")
        tables = build_tables(inputs)
        wanted = {inp.result.sha256 for inp in inputs}
        written = storewrite.write(store, tables, cache_dir=CACHE_DIR, wanted=wanted, fresh=fresh)
    return IngestResult(
        parsed=[i.file for i in inputs if i.parsed],
        reused=[i.file for i in inputs if not i.parsed],
        written=written,
        counts={name: len(df) for name, df in tables.items()},
        store=store,
        periods=dict(
            zip(tables["reports"]["file"], tables["reports"]["report_period"], strict=True)
        ),
        warnings=dict(zip(tables["reports"]["file"], tables["reports"]["warnings"], strict=True)),
        failed=failed,
    )


def _read_one(
    path: Path,
    seen: dict[str, str],
    old_cache: Path,
    sources: dict[str, Any],
    option: Any,
    rebuild: bool,
) -> tuple[Input, bytes | None]:
    """One file: its bytes (size-checked), its cached or freshly parsed result, its quarter;
    the cache entry's bytes when it was parsed now. Every failure is an InputError."""
    rel = relative(path)
    try:
        check_size(path)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(rel, f"cannot read: {exc.strerror or exc}") from None
    sha = sha256_bytes(data)
    if sha in seen:
        raise InputError(rel, f"same content as {seen[sha]}: ingest one copy only")
    cached = None if rebuild else load_cached(old_cache / f"{sha}.json")
    result = cached
    if result is None:
        with time_budget(rel):  # hostile input is refused in bounded time
            result = parse_file(path, data)
    inp = Input(path, rel, result, parsed=cached is None, source=source_for(path, sources))
    inp.period, inp.period_from = report_period(inp, option)
    seen[sha] = rel
    return inp, (cache_bytes(result) if cached is None else None)


def build_tables(inputs: list[Input]) -> dict[str, pd.DataFrame]:
    """Every table from the per-file results; one catalogue and one name resolver for all, so
    observations and commentary file a KPI under the same id."""

    catalog = load_catalog()
    resolve = _resolver(catalog)
    return {
        "observations": observations(inputs, catalog, resolve),
        "reports": reports(inputs),
        "commentary": commentary(inputs, resolve),
    }


def _resolver(catalog: Any) -> Any:
    @cache
    def resolve(name: str) -> tuple[str, bool]:
        kpi_id = catalog.resolve(name)
        return (kpi_id, True) if kpi_id else (new_kpi_id(name), False)

    return resolve


def describe(result: IngestResult) -> list[str]:
    """What `kpi ingest` prints: one line per file (parsed or reused), then the store."""
    lines = []
    for verb, files in (("parsed", result.parsed), ("reused", result.reused)):
        for f in files:
            n = result.warnings.get(f, 0)
            lines.append(f"{verb}  {result.periods.get(f, '?'):<10}  {f}  ({n} warnings)")
    state = "wrote" if result.written else "unchanged"
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
    lines.append(f"{state} {relative(result.store)}: {counts}")
    return lines
