"""`kpi ingest`: rebuild data/processed/ (observations, reports, commentary) from the raw reports.

Three properties the rest of the workbook relies on:
- incremental: what one file yields (rows, warnings, headline, commentary, its own period) is
  cached under data/processed/_cache/<sha256>.json, keyed by the file's bytes and a hash of the
  code that reads it; an unchanged file is never parsed again, a new quarter parses one file;
- validated then atomic: every table passes kpi_lib.schemas before anything is written, and the
  new store is built in a temporary folder beside data/processed and swapped in whole, so a
  failure at any point leaves the previous store byte for byte as it was;
- idempotent: rows are sorted, nothing time-dependent is stored, Parquet options are fixed, so
  the same inputs give byte-identical files (and an unchanged store is not rewritten at all).

Cross-file facts (catalogue ids, which version of a value is current, the de-cumulated
quarterly value) are recomputed from the cached per-file results on every run: cheap, and
a catalogue edit never needs a re-parse.

An observation's period (see kpi_lib.periods): read from the value cell when it names one
(`Jan to Dec 2019 12.28 days per FTE` under a history column `Current (Q3)`), else from the
as-of text; a year is academic (September-August) for KPIs the catalogue marks `year_basis:
academic`. `period` is the label the figure is filed under, so one KPI's series lines up across
reports: a range ending on a quarter end (a rolling 12 months) is filed under that quarter,
with `period_type` "range" and `period_start`/`period_end` the real range; `as_of_text` and
`value_text` keep what was printed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from kpi_lib import schemas
from kpi_lib.errors import InputError, KpiError, UsageError
from kpi_lib.paths import processed_dir, project_root, raw_dir, relative
from kpi_lib.periods import (
    Period,
    filing_label,
    parse_period,
    parse_report_period,
    period_in_value,
)
from kpi_lib.rows import Issue
from kpi_lib.sources import SOURCES_NAME, Source, load_sources, source_for

CACHE_DIR = "_cache"
CACHE_FORMAT = 1
TABLES = ("observations", "reports", "commentary")
# Modules whose code decides what a file yields; editing any of them invalidates the cache.
_CODE = (
    "extract.py",
    "rows.py",
    "values.py",
    "headers.py",
    "periods.py",
    "headline.py",
    "commentary.py",
    "ingest.py",
    "pdfcache.py",
)
_FOLDER = re.compile(r"^\d{4}-\d{2}_Q[1-4]$")
_CUMULATIVE_CELL = re.compile(r"cumulative\s*:?\s*(?P<n>[-\d,]*\.?\d+)", re.I)
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1_000_000,
}


# --- what one file yields (cached) --------------------------------------------------------------
@dataclass
class FileResult:
    """Everything read from one file that does not depend on any other file."""

    sha256: str
    bytes: int
    pdf: bool
    rows: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    tables: int = 0
    pages: int | None = None
    period: str = ""  # the quarter the document names itself ("" if it does not)
    title: str = ""  # its first heading
    headline: dict[str, Any] | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Input:
    path: Path
    file: str  # relative to the project root, posix
    result: FileResult
    parsed: bool  # False when reused from the cache
    period: Period | None = None
    period_from: str = ""
    source: Source | None = None


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


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that reads a file: the readers and the modules in _CODE."""
    root = Path(__file__).resolve().parent
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


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_file(path: Path, data: bytes) -> FileResult:
    """Read one report: KPI rows (none is fine: an executive summary has no tables), its
    warnings (kept when there are no rows: they say why), the quarter it names, its headline
    and the commentary under its tables."""
    from kpi_lib.commentary import extract_comments, narrative_comments, pdf_comments
    from kpi_lib.extract import NoTablesError, extract_document, is_pdf
    from kpi_lib.periods import detect_report_period
    from kpi_lib.readers.pdf import read_pdf_text
    from kpi_lib.rows import Extraction

    pdf = is_pdf(path)
    printed: list[Any] = []  # a PDF's printed lines, numbered as its rows' source_line
    try:
        if pdf:  # rows and text from one pass over the file
            extraction, printed = read_pdf_text(path)
        else:
            extraction = extract_document(path)
    except NoTablesError as exc:
        extraction = exc.extraction or Extraction(source_file=str(path))
    except KpiError:
        raise
    except Exception as exc:  # a reader tripping over a damaged file still names the file
        raise InputError(str(path), f"cannot read: {type(exc).__name__}: {exc}") from None
    lines, pages = _pdf_lines(path) if pdf else (_text_lines(path), None)
    # where the file lies is not part of what it says: paths are filled in per run
    rows = [asdict(r) | {"source_file": ""} for r in extraction.rows]
    detected = detect_report_period(lines)
    table_rows = [r for r in rows if r["reader"] != "narrative"]
    if pdf:
        found = pdf_comments(printed, table_rows)
    else:
        prose_rows = [r for r in rows if r["reader"] == "narrative"]
        found = extract_comments(lines, table_rows) + narrative_comments(lines, prose_rows)
    found.sort(key=lambda c: (c.source_page or 0, c.source_line))
    comments = [asdict(c) for c in found]
    return FileResult(
        sha256=sha256_bytes(data),
        bytes=len(data),
        pdf=pdf,
        rows=rows,
        issues=[asdict(i) | {"source_file": ""} for i in extraction.issues],
        tables=extraction.tables,
        pages=extraction.pages if extraction.pages is not None else pages,
        period=detected.label if detected is not None else "",
        title=_first_heading(lines),
        headline=_headline(lines),
        comments=comments,
    )


def _text_lines(path: Path) -> list[str]:
    from kpi_lib.readers.textdoc import load_text

    return load_text(path).lines


def _pdf_lines(path: Path) -> tuple[list[str], int | None]:
    """The PDF's text, for the headline and the quarter it names (not for table rows)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise InputError(str(path), f"cannot read the PDF's text: {exc}") from None
    try:
        lines: list[str] = []
        for i in range(len(pdf)):
            page = pdf[i]
            text = page.get_textpage().get_text_range()
            lines.extend(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return lines, len(pdf)
    finally:
        pdf.close()


def _first_heading(lines: list[str]) -> str:
    from kpi_lib.readers.textdoc import strip_markup

    for line in lines:
        text = strip_markup(line)
        if text:
            return text[:200]
    return ""


def _headline(lines: list[str]) -> dict[str, Any] | None:
    """The printed headline (kpi_lib.headline decides what is one), with the ways its printed
    numbers disagree: kept as printed, the disagreements become the report's warnings."""
    from kpi_lib.headline import extract_headline

    found = extract_headline(lines)
    if found is None:
        return None
    return {
        "rated": found.rated,
        "green": found.green,
        "amber": found.amber,
        "red": found.red,
        "pct_green": found.pct_green,
        "source_line": found.source_line,
        "text": found.text,
        "problems": found.problems(),
    }


def _load_cached(path: Path) -> FileResult | None:
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


def _cache_bytes(result: FileResult) -> bytes:
    doc = {"code": code_version(), "result": asdict(result)}
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --- which files ---------------------------------------------------------------------------------
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


def _inputs(paths: list[str | Path] | None) -> list[Path]:
    """No paths: all of data/raw. Paths: those files plus every file already in the store that
    still exists (naming one new report adds it; it does not drop the others)."""
    if not paths:
        return default_inputs()
    chosen: dict[Path, None] = {}
    for p in _stored_files():
        full = project_root() / p
        if full.is_file():
            chosen[full.resolve()] = None
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(str(p), "no such file")
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.name != SOURCES_NAME and not f.name.startswith("."):
                    chosen[f.resolve()] = None
        else:
            chosen[path.resolve()] = None
    return sorted(chosen)


def _stored_files() -> list[str]:
    path = processed_dir() / "reports.parquet"
    if not path.is_file():
        return []
    try:
        return [str(f) for f in pq.read_table(path, columns=["file"]).column("file").to_pylist()]
    except (OSError, pyarrow.ArrowException):
        return []


# --- the run -------------------------------------------------------------------------------------
def ingest(
    paths: list[str | Path] | None = None, period: str | None = None, rebuild: bool = False
) -> IngestResult:
    """Parse what changed, rebuild and validate every table, then swap the store in whole."""
    option = parse_report_period(period) if period else None
    store = processed_dir()
    _recover(store)
    files = _inputs(paths)
    sources = load_sources()
    old_cache = store / CACHE_DIR
    inputs: list[Input] = []
    fresh: dict[str, bytes] = {}
    seen: dict[str, str] = {}
    for path in files:
        data = path.read_bytes()
        sha = sha256_bytes(data)
        rel = relative(path)
        if sha in seen:
            raise InputError(rel, f"same content as {seen[sha]}: ingest one copy only")
        seen[sha] = rel
        cached = None if rebuild else _load_cached(old_cache / f"{sha}.json")
        result = cached or parse_file(path, data)
        if cached is None:
            fresh[sha] = _cache_bytes(result)
        inp = Input(path, rel, result, parsed=cached is None, source=source_for(path, sources))
        inp.period, inp.period_from = _report_period(inp, option)
        inputs.append(inp)

    tables = build_tables(inputs)
    for name, df in tables.items():
        schemas.validate(name, df)
    blobs = {f"{name}.parquet": to_parquet(df, name) for name, df in tables.items()}
    wanted = {inp.result.sha256 for inp in inputs}
    written = _commit(store, blobs, wanted, fresh)
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
    )


def _report_period(inp: Input, option: Period | None) -> tuple[Period, str]:
    """The document's own words, else SOURCES.csv, else its folder, else --period."""
    if inp.result.period:
        return parse_period(inp.result.period), "document"
    if inp.source is not None and inp.source.period:
        try:
            return parse_report_period(inp.source.period), "SOURCES.csv"
        except UsageError as exc:
            raise InputError(relative(raw_dir() / SOURCES_NAME), f"{inp.file}: {exc}") from None
    folder = inp.path.parent.name
    if _FOLDER.match(folder):
        return parse_report_period(folder), "folder"
    if option is not None:
        return option, "--period"
    raise InputError(
        inp.file,
        "cannot tell which quarter this report covers: name it in SOURCES.csv, put it under "
        "data/raw/<YYYY-YY>_Q<n>/ or pass --period",
    )


# --- tables --------------------------------------------------------------------------------------
def build_tables(inputs: list[Input]) -> dict[str, pd.DataFrame]:
    from kpi_lib.catalog import load_catalog

    catalog = load_catalog()
    resolve = _resolver(catalog)
    return {
        "observations": observations(inputs, catalog, resolve),
        "reports": reports(inputs),
        "commentary": commentary(inputs, resolve),
    }


def _resolver(catalog: Any) -> Any:
    from kpi_lib.catalog import new_kpi_id

    @cache
    def resolve(name: str) -> tuple[str, bool]:
        kpi_id = catalog.resolve(name)
        return (kpi_id, True) if kpi_id else (new_kpi_id(name), False)

    return resolve


def polarity(good_is: str) -> str:
    """Map "Good Is" as printed to High / Low / Other / ""."""
    g = (good_is or "").strip().lower()
    if not g:
        return ""
    if g.startswith("high"):
        return "High"
    if g.startswith("low"):
        return "Low"
    return "Other"  # "Other", "Not Appropriate", "On target"...


def observations(inputs: list[Input], catalog: Any, resolve: Any) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        for r in inp.result.rows:
            kpi_id, catalogued = resolve(r["metric_name"])
            entry = catalog.get(kpi_id) if catalogued else None
            value = r["value"]
            p = observation_period(r, inp.period, entry)
            recs.append(
                {
                    "kpi_id": kpi_id,
                    "catalogued": catalogued,
                    "metric_name": r["metric_name"],
                    "section": r["section"] or "",
                    "heading": r["heading"] or "",
                    "ref": r["ref"] or "",
                    "report_period": inp.period.label,
                    "period": filing_label(p) if p.parsed else p.text,
                    "period_parsed": p.parsed,
                    "period_type": p.kind if p.parsed else "unknown",
                    "period_start": p.start,
                    "period_end": p.end,
                    "provisional": p.provisional,
                    "as_of_text": r["as_of_text"] or "",
                    "value": float(value) if value is not None else math.nan,
                    "value_text": r["value_text"] or "",
                    "value_quarter": math.nan,
                    "unit": str(getattr(entry, "unit", "") or "") if entry else "",
                    "target_text": r["target_text"] or "",
                    "polarity": polarity(r["good_is"]),
                    "rag": r["rag"] or "",
                    "source_file": inp.file,
                    "source_sha256": inp.result.sha256,
                    "source_page": r["source_page"],
                    "source_line": r["source_line"],
                    "reader": r["reader"] or "",
                    "is_current": False,
                    "revision_of_value": math.nan,
                    "revision_of_report": "",
                    "_report_start": inp.period.start,
                    "_accumulation": accumulation(entry, r["metric_name"]),
                }
            )
    if not recs:
        return schemas.empty("observations")
    df = pd.DataFrame(recs)
    df = _mark_versions(df)
    df = _quarter_values(df)
    df = df.drop(columns=[c for c in df.columns if c.startswith("_")])
    df = schemas.conform("observations", df)
    return _sorted("observations", df)


def observation_period(row: dict[str, Any], report: Period, entry: Any) -> Period:
    """The period a row's figure describes: the one its value cell names, else its as-of text,
    read with the KPI's year basis (academic years for education KPIs) and the report's quarter
    as context (a bare "Q2")."""
    academic = entry.year_basis == "academic" if entry is not None else None
    column = parse_period(row["as_of_text"] or "", context=report, academic=academic)
    if row["value"] is None:
        return column
    own = period_in_value(
        row["value_text"] or "", context=column if column.parsed else report, academic=academic
    )
    if own is None:
        return column
    if column.provisional and not own.provisional:
        own = Period(own.text, own.label, own.kind, own.start, own.end, True, True)
    return own


def accumulation(entry: Any, metric_name: str) -> str:
    """point | annual cumulative | rolling 12 months: the catalogue's, else read off the name."""
    if entry is not None and getattr(entry, "accumulation", ""):
        return str(entry.accumulation)
    return "annual cumulative" if "cumulative" in metric_name.lower() else "point"


def _mark_versions(df: pd.DataFrame) -> pd.DataFrame:
    """Per KPI and period, the row from the latest report is current; every row records the
    value it replaced when the report before it printed a different one."""
    df = df.copy()
    # a row without a period is taken to be about its own report's quarter, never another's
    key = df["period"].where(df["period"] != "", "\x00" + df["report_period"])
    df["_key"] = key
    df["_order"] = list(
        zip(
            df["_report_start"].map(lambda d: d or date.min),
            df["report_period"],
            df["source_file"],
            df["source_line"].map(lambda v: -1 if v is None else int(v)),
            strict=True,
        )
    )
    for _, idx in df.groupby(["kpi_id", "_key"], sort=False).groups.items():
        group = df.loc[idx].sort_values("_order")
        reports = list(dict.fromkeys(group["report_period"]))
        latest = group[group["report_period"] == reports[-1]]
        df.loc[latest.index[0], "is_current"] = True
        first_of = {rp: group[group["report_period"] == rp].iloc[0] for rp in reports}
        for i, rp in enumerate(reports[1:], start=1):
            before = first_of[reports[i - 1]]
            for row_idx in group.index[group["report_period"] == rp]:
                if not _same(df.at[row_idx, "value"], before["value"]):
                    df.at[row_idx, "revision_of_value"] = before["value"]
                    df.at[row_idx, "revision_of_report"] = reports[i - 1]
    return df.drop(columns=["_key", "_order"])


def _same(a: float, b: float) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return not (pd.isna(a) or pd.isna(b)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _quarter_values(df: pd.DataFrame) -> pd.DataFrame:
    """value_quarter: the quarter's own value.

    Point KPIs: the value itself. Annual cumulative KPIs: this quarter's running total minus
    the previous quarter's of the same financial year (Q1 is its own total); a report that
    prints each quarter's own figure with the running total beside it ("841,582 Cumulative
    2,638,886") gives it directly. Null where it cannot be derived: rolling 12-month figures,
    a missing previous quarter, a yearly period."""
    df = df.copy()
    df["value_quarter"] = df["value"].where(df["_accumulation"] == "point")
    cum = df[df["_accumulation"] == "annual cumulative"]
    if cum.empty:
        return df
    own_style = set()  # (kpi, file) printing quarters' own values
    running: dict[int, float] = {}
    for idx, row in cum.iterrows():
        m = _CUMULATIVE_CELL.search(row["value_text"])
        if m:
            total = _number(m["n"])
            if total is not None and not _same(total, row["value"]):
                own_style.add((row["kpi_id"], row["source_file"]))
            running[idx] = total if total is not None else math.nan
        else:
            running[idx] = row["value"]
    totals: dict[tuple[str, str, str], float] = {}  # (kpi, period, file) -> running total
    current: dict[tuple[str, str], float] = {}
    for idx, row in cum.iterrows():
        if (row["kpi_id"], row["source_file"]) in own_style:
            if not _CUMULATIVE_CELL.search(row["value_text"]):
                running[idx] = math.nan  # a quarter's own figure, not a running total
        totals[(row["kpi_id"], row["period"], row["source_file"])] = running[idx]
        if row["is_current"]:
            current[(row["kpi_id"], row["period"])] = running[idx]
    for idx, row in cum.iterrows():
        if row["period_type"] != "fy_quarter":
            continue
        if (row["kpi_id"], row["source_file"]) in own_style:
            df.at[idx, "value_quarter"] = row["value"]
            continue
        q = int(row["period"][-1])
        if q == 1:
            df.at[idx, "value_quarter"] = running[idx]
            continue
        prev = f"{row['period'][:-1]}{q - 1}"
        before = totals.get((row["kpi_id"], prev, row["source_file"]))
        if before is None or pd.isna(before):
            before = current.get((row["kpi_id"], prev))
        if before is not None and not pd.isna(before) and not pd.isna(running[idx]):
            df.at[idx, "value_quarter"] = running[idx] - before
    return df


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def reports(inputs: list[Input]) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        res = inp.result
        warnings = [_issue_text(i, inp.file) for i in res.issues]
        if inp.source is not None and inp.source.sha256 and inp.source.sha256 != res.sha256:
            warnings.append(f"{inp.file}: sha256 differs from SOURCES.csv ({inp.source.sha256})")
        if (
            inp.source is not None
            and inp.source.period
            and inp.period_from == "document"
            and _label(inp.source.period) not in ("", inp.period.label)
        ):
            warnings.append(
                f"{inp.file}: the document names {inp.period.label}, "
                f"SOURCES.csv says {inp.source.period}"
            )
        head = res.headline or {}
        for problem in head.get("problems", []):  # printed numbers that disagree
            issue = Issue("headline_mismatch", problem, inp.file, None, head.get("source_line"))
            warnings.append(str(issue))
        recs.append(
            {
                "file": inp.file,
                "report_period": inp.period.label,
                "report_period_start": inp.period.start,
                "report_period_end": inp.period.end,
                "period_from": inp.period_from,
                "title": (inp.source.title if inp.source and inp.source.title else res.title),
                "sha256": res.sha256,
                "bytes": res.bytes,
                "pages": res.pages,
                "rows_extracted": len(res.rows),
                "tables": res.tables,
                "readers": ",".join(sorted({r["reader"] for r in res.rows if r["reader"]})),
                "warnings": len(warnings),
                "warnings_text": "\n".join(warnings),
                "headline_rated": head.get("rated"),
                "headline_green": head.get("green"),
                "headline_amber": head.get("amber"),
                "headline_red": head.get("red"),
                "headline_pct_green": head.get("pct_green"),
                "headline_line": head.get("source_line"),
                "headline_text": head.get("text", "") or "",
                "commentary_blocks": len(res.comments),
            }
        )
    if not recs:
        return schemas.empty("reports")
    df = pd.DataFrame(recs)
    for col in ("headline_pct_green",):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df = schemas.conform("reports", df)
    return _sorted("reports", df)


def _label(text: str) -> str:
    try:
        return parse_report_period(text).label
    except UsageError:
        return ""


def _issue_text(issue: dict[str, Any], file: str) -> str:
    return str(Issue(**{**issue, "source_file": file}))


def commentary(inputs: list[Input], resolve: Any) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        for c in inp.result.comments:
            ids = dict.fromkeys(resolve(m)[0] for m in c["metrics"])
            for kpi_id in ids:
                recs.append(
                    {
                        "report_period": inp.period.label,
                        "kpi_id": kpi_id,
                        "heading": c["heading"],
                        "kind": c["kind"],
                        "label": c["label"],
                        "text": c["text"],
                        "source_file": inp.file,
                        "source_page": c.get("source_page"),
                        "source_line": c["source_line"],
                    }
                )
    if not recs:
        return schemas.empty("commentary")
    df = schemas.conform("commentary", pd.DataFrame(recs))
    return _sorted("commentary", df)


def _sorted(table: str, df: pd.DataFrame) -> pd.DataFrame:
    keys = [k for k in schemas.SORT[table] if k in df.columns]
    return df.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


# --- writing -------------------------------------------------------------------------------------
def to_parquet(df: pd.DataFrame, table: str) -> bytes:
    """The table as Parquet bytes with fixed types and options: same frame, same bytes."""
    arrow = pyarrow.Table.from_pandas(
        schemas.conform(table, df), schema=schemas.arrow_schema(table), preserve_index=False
    )
    arrow = arrow.replace_schema_metadata(schemas.arrow_schema(table).metadata)
    sink = pyarrow.BufferOutputStream()
    pq.write_table(arrow, sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def _commit(
    store: Path, blobs: dict[str, bytes], wanted: set[str], fresh: dict[str, bytes]
) -> bool:
    """Swap in the new store whole; False (nothing touched) when it would be identical."""
    old_cache = store / CACHE_DIR
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
        for name, data in blobs.items():
            (staging / name).write_bytes(data)
        cache = staging / CACHE_DIR
        cache.mkdir()
        for sha in sorted(wanted):
            target = cache / f"{sha}.json"
            if sha in fresh:
                target.write_bytes(fresh[sha])
            else:
                _link_or_copy(old_cache / f"{sha}.json", target)
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
    old store under .<name>-old-*, which _recover puts back on the next run."""
    old = store.parent / f".{store.name}-old-{os.getpid()}"
    if store.exists():
        os.replace(store, old)
    try:
        os.replace(staging, store)
    except BaseException:
        if old.exists() and not store.exists():
            os.replace(old, store)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _recover(store: Path) -> None:
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
