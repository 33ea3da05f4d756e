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
  store.inputs (which files, which quarter) -> readers.document.read_report (what one file
  yields: its bytes read once, parsed only on a miss in readers.cache) -> store.observations ·
  store.report_table · store.commentary_table (the tables, cross-file facts recomputed every
  run) -> store.write (validate, stage, swap; the bytes fixed by store.parquet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm  # the terminal bar: tqdm.auto warns inside a kernel without ipywidgets

from kpi_lib.errors import InputError
from kpi_lib.limits import time_budget
from kpi_lib.locks import crash_point
from kpi_lib.paths import processed_dir, relative
from kpi_lib.periods import parse_report_period
from kpi_lib.readers.cache import CACHE_DIR, cache_bytes, config_of
from kpi_lib.readers.council_name import council_named, opening_text
from kpi_lib.readers.document import read_report
from kpi_lib.readers.headers import known_headers
from kpi_lib.readers.profile import PROFILE_NAME, Profile, default_profile, load_profile
from kpi_lib.readers.rows import FileResult
from kpi_lib.store import schemas
from kpi_lib.store import write as storewrite
from kpi_lib.store.catalog import catalog_file, load_catalog, new_kpi_id
from kpi_lib.store.commentary_table import commentary
from kpi_lib.store.councils import Council, Councils, Placement, council_of, load_councils, slug
from kpi_lib.store.inputs import Input, choose_inputs, default_inputs, report_period
from kpi_lib.store.lock import store_lock
from kpi_lib.store.observations import observations
from kpi_lib.store.parquet import sort_rows
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
        councils = load_councils()
        old_cache = store / CACHE_DIR
        inputs: list[Input] = []
        failed: list[InputError] = []
        fresh: dict[str, bytes] = {}
        seen: dict[str, str] = {}
        bar = tqdm(files, desc="ingest", unit="file", disable=None if progress else True)
        for path in bar:
            bar.set_postfix_str(path.name[-40:], refresh=False)
            try:
                inp, blob = _read_one(path, seen, old_cache, sources, option, rebuild, councils)
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
    councils: Councils,
) -> tuple[Input, bytes | None]:
    """One file through the readers' one door (its bytes read once: a file replaced while it is
    read cannot mix versions), read with its council's profile; its council and quarter; the
    cache entry's bytes when it was parsed now. Every failure is an InputError, a report that
    names another council than the one it is filed under among them."""
    rel = relative(path)
    source = source_for(path, sources)
    placed = council_of(path, councils, sources, source)
    profile = reader_profile(placed.council)
    with time_budget(rel):  # hostile input is refused in bounded time
        read = read_report(path, rel, None if rebuild else old_cache, profile=profile)
    result = read.result
    check_council(rel, path, read.data, placed)
    if not result.rows and result.headline is None:
        raise InputError(rel, nothing_read(result))
    if result.sha256 in seen:
        raise InputError(rel, f"same content as {seen[result.sha256]}: ingest one copy only")
    inp = Input(path, rel, result, read.parsed, source=source, data=read.data)
    inp.council = placed.council.id
    inp.period, inp.period_from = report_period(inp, option)
    seen[result.sha256] = rel
    return inp, (cache_bytes(result, config_of(profile)) if read.parsed else None)


def reader_profile(council: Council | None = None) -> Profile:
    """The built-in reader profile with the council's own words: its reader.yaml beside its
    catalogue (data/catalog/reader.yaml for the default council)."""
    if council is None:
        return default_profile()
    return load_profile(catalog_file(council).with_name(PROFILE_NAME))


def nothing_read(result: FileResult) -> str:
    """Why a file gave no KPI row and no headline, and what the readers would have known: a
    report is never ingested in silence with nothing stored."""
    kinds = ("unread_header", "unrecognised_table", "unparsed_row")
    seen = [i for i in result.issues if i["kind"] in kinds]
    if seen:
        first = seen[0]
        where = f"line {first['source_line']}" if first["source_line"] else "its first table"
        what = (
            f"{len(seen)} table(s) or row(s) it could not read, first at {where}: "
            f"{first['message']}"
        )
    else:
        what = "no table with a recognised header and no headline"
    return (
        f"no KPI rows read: {what}; known column names include {known_headers()} "
        "(add a council's own words to its reader profile)"
    )


def check_council(rel: str, path: Path, data: bytes, placed: Placement) -> None:
    """A report whose title lines name another council than the one it is filed under is not
    ingested (never merged into that council's series): one line naming the file, the council
    it names and where it would go."""
    if not placed.council.name_known:
        return
    named = council_named(opening_text(path, data))
    if named is None or placed.council.is_named(named):
        return
    how = {
        "folder": "by its folder",
        "SOURCES.csv": "by SOURCES.csv",
        "default": "as the default council's (data/raw/<YYYY-YY>_Q<n>/)",
        "command": "by --council (or as the default council's)",
    }[placed.known_from]
    raise InputError(
        rel,
        f"the document names {named} but is filed {how} under {placed.council.name}: not "
        f"ingested; put it in data/raw/{slug(named)}/<YYYY-YY>_Q<n>/ or give its publisher in "
        "SOURCES.csv",
    )


def build_tables(inputs: list[Input]) -> dict[str, pd.DataFrame]:
    """Every table from the per-file results, one council at a time: each council's names
    resolve through its own catalogue, and what is settled across files (current versions,
    de-cumulation, the commentary's bases) only among its own files, so another council's
    files never change a council's rows."""
    by_council: dict[str, list[Input]] = {}
    for inp in inputs:
        by_council.setdefault(inp.council, []).append(inp)
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for council in sorted(by_council):
        mine = by_council[council]
        catalog = load_catalog(council=council)
        resolve = _resolver(catalog)
        parts["observations"].append(observations(mine, catalog, resolve))
        parts["reports"].append(reports(mine))
        parts["commentary"].append(commentary(mine, resolve))
    out = {}
    for table, frames in parts.items():
        if not frames:
            out[table] = schemas.empty(table)
            continue
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        out[table] = sort_rows(table, schemas.conform(table, df))
    return out


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
