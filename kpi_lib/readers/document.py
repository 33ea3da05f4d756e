"""The one way into the readers: a file's bytes read once and checked once (readers.source),
its cached result used when the same bytes were read by the same code, else every reader run
over those bytes: its KPI rows, warnings, the quarter it names, its headline and its commentary.

Nothing here looks at any other file, so the result depends only on the file's bytes and the
code that reads it; that is what lets kpi_lib.readers.cache keep it keyed by sha256. Where the
file lies is not part of what it says: source paths are left blank and filled in per run.
Ingest, `kpi extract` and the extraction QA all read files through `read_report`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi_lib.digest import sha256_bytes
from kpi_lib.errors import InputError, KpiError
from kpi_lib.limits import MAX_KPI_ROWS, too_many_rows
from kpi_lib.periods import detect_report_period
from kpi_lib.readers import cache, history_tables, narrative, stray_tables, text_tables
from kpi_lib.readers.commentary import narrative_comments, read_commentary, read_pdf_commentary
from kpi_lib.readers.commentary_sections import Untabled
from kpi_lib.readers.directors import directors_comments
from kpi_lib.readers.headline import extract_covered, extract_headline
from kpi_lib.readers.pdf.reader import read_pdf_text
from kpi_lib.readers.pdf.settings import DEFAULT as PDF_DEFAULT
from kpi_lib.readers.profile import DEFAULT, Profile
from kpi_lib.readers.rows import Extraction, FileResult, Issue, Row
from kpi_lib.readers.source import is_pdf, read_source
from kpi_lib.readers.status_key import status_key
from kpi_lib.readers.status_lists import named_below, named_below_printed
from kpi_lib.readers.textdoc import TextDoc, decode_text, strip_markup

if TYPE_CHECKING:
    import pandas as pd


class NoTablesError(InputError):
    """The document was readable but held no KPI rows."""

    extraction: Extraction | None = None  # what was read: its issues say why there are no rows


@dataclass
class Read:
    """One file read: what it yields, and whether it was parsed now (else served from the
    cache)."""

    result: FileResult
    parsed: bool
    data: bytes = b""  # the bytes read: what a caller needs of the file besides its result


def read_report(
    path: Path,
    name: str | None = None,
    cache_dir: Path | None = None,
    write: bool = False,
    profile: Profile = DEFAULT,
) -> Read:
    """Read one report file through the only door: bytes once, checks once, the cache once.
    `cache_dir` is where entries are looked up (and written, with `write`); KPI_CACHE=off
    reads afresh. `profile`: the council's words (readers.profile). InputError, naming the
    file as `name`, for anything unreadable."""
    shown = name or str(path)
    data = read_source(path, shown)
    entry = None
    config = cache.config_of(profile)
    if cache_dir is not None:
        entry = cache_dir / f"{sha256_bytes(data)}.json"
        found = cache.load_cached(entry, config)
        if found is not None:
            return Read(found, False, data)
    result = parse(data, shown, profile)
    if write and entry is not None and cache.enabled():
        cache.store(entry, result, config)
    return Read(result, True, data)


def extract_document(
    path: str | Path, cache_dir: Path | None = None, profile: Profile = DEFAULT
) -> Extraction:
    """The KPI rows of one report, with its warnings, labelled with its path: what `kpi
    extract` prints. NoTablesError when the document holds no KPI rows at all."""
    name = str(path)
    read = read_report(Path(path), name, cache_dir, cache_dir is not None, profile)
    result = read.result
    found = extraction_of(result, name)
    if not found.rows:
        error = NoTablesError(name, "no KPI tables found" + _unread_hint(found))
        error.extraction = found
        raise error
    return found


def extract(path: str | Path) -> pd.DataFrame:
    """One row per KPI data row in `path`, columns as kpi_lib.readers.rows.COLUMNS."""
    return extract_document(path).frame()


def extraction_of(result: FileResult, source_file: str) -> Extraction:
    """A FileResult's rows and warnings as the typed Extraction, labelled with a path."""
    rows = [Row(**{**r, "source_file": source_file}) for r in result.rows]
    issues = [Issue(**{**i, "source_file": source_file}) for i in result.issues]
    return Extraction(source_file, rows, issues, result.tables, result.pages)


def _unread_hint(result: Extraction) -> str:
    """Point at tab-separated tables no reader recognised: the likeliest reason for no rows."""
    stray = [i for i in result.issues if i.kind == "unrecognised_table"]
    if not stray:
        return ""
    first = stray[0].source_line
    return f" ({len(stray)} tab-separated table(s) with no known header, first at line {first})"


def unread_headers(doc: TextDoc) -> list[Issue]:
    """The first row of every block of table rows (three cells or more) in a document that
    gave no KPI row: what the readers saw where a council's header words are not yet known."""
    out: list[Issue] = []
    for block in stray_tables.unclaimed_blocks(doc.lines, set()):
        cells = [c for c in text_tables.cells_of(doc.lines[block[0]]) if c]
        if len(cells) >= 3:
            shown = " | ".join(c[:30] for c in cells[:8])
            message = f"a table header with no known column names: {shown!r}"
            out.append(Issue("unread_header", message, doc.name, None, block[0] + 1))
    return out


def _text_rows(doc: TextDoc, profile: Profile) -> Extraction:
    out = Extraction(source_file=doc.name)
    history = history_tables.table_lines(doc.lines)  # its headers are theirs alone

    def kpi_tables(doc: TextDoc) -> Extraction:
        return text_tables.read(doc, history, profile)

    def stray(doc: TextDoc) -> Extraction:
        return stray_tables.read(doc, profile)

    for reader in (kpi_tables, history_tables.read, stray):
        part = reader(doc)
        out.rows.extend(part.rows)
        out.issues.extend(part.issues)
        out.tables += part.tables
        if len(out.rows) > MAX_KPI_ROWS:
            raise too_many_rows(doc.name, len(out.rows))
    if not out.rows:
        part = narrative.read(doc)
        out.rows.extend(part.rows)
        out.issues.extend(part.issues)
    out.rows.sort(key=lambda r: (r.source_page or 0, r.source_line or 0))
    return out


def parse(data: bytes, name: str, profile: Profile = DEFAULT) -> FileResult:
    """Read one report: KPI rows (none is fine: an executive summary has no tables), its
    warnings (kept when there are no rows: they say why), the quarter it names, its headline
    and the commentary under its tables."""

    pdf = is_pdf(data)
    if not pdf and Path(name).suffix.lower() == ".pdf":
        raise InputError(name, "named .pdf but is not a PDF (no %PDF- header)")
    printed: list[Any] = []  # a PDF's printed lines, numbered as its rows' source_line
    doc = None if pdf else decode_text(data, name)
    try:
        if pdf:  # rows and text from one pass over the file
            settings = replace(PDF_DEFAULT, profile=profile)
            extraction, printed = read_pdf_text(data, settings, name=name)
        else:
            extraction = _text_rows(doc, profile)
    except KpiError:
        raise
    except Exception as exc:  # a reader tripping over a damaged file still names the file
        raise InputError(name, f"cannot read: {type(exc).__name__}: {exc}") from None
    # a PDF is parsed once: its printed lines (reading order) serve the headline and period
    lines = [t.text for t in printed] if pdf else doc.lines
    pages = extraction.pages if pdf else None
    # where the file lies is not part of what it says: paths are filled in per run
    rows = [asdict(r) | {"source_file": ""} for r in extraction.rows]
    detected = detect_report_period(lines)
    table_rows = [r for r in rows if r["reader"] != "narrative"]
    if pdf:
        found, untabled = read_pdf_commentary(printed, table_rows)
        found += named_below_printed(printed, table_rows)
    else:
        prose_rows = [r for r in rows if r["reader"] == "narrative"]
        found, untabled = read_commentary(lines, table_rows)
        found += narrative_comments(lines, prose_rows)
        found += named_below(lines, table_rows)
    if not pdf:  # a PDF's lines are numbered per page: its directors' pages are not read yet
        found += directors_comments(lines)
    found.sort(key=lambda c: (c.source_page or 0, c.source_line))
    comments = [asdict(c) for c in found]
    issues = [asdict(i) for i in extraction.issues] + _untabled_issues(untabled)
    headline = _headline(lines)
    if not rows and headline is None and doc is not None:
        issues += [asdict(i) for i in unread_headers(doc)]
    return FileResult(
        sha256=sha256_bytes(data),
        bytes=len(data),
        pdf=pdf,
        rows=rows,
        issues=[i | {"source_file": ""} for i in issues],
        tables=extraction.tables,
        pages=extraction.pages if extraction.pages is not None else pages,
        period=detected.label if detected is not None else "",
        title=_first_heading(lines),
        headline=headline,
        comments=comments,
        covered=_covered(lines),
        untabled=[_section(u) for u in _in_order(untabled)],
        key=_key(lines),
    )


def _untabled_issues(untabled: list[Untabled]) -> list[dict[str, Any]]:
    """A warning per indicator whose section has commentary but no KPI table: never dropped
    in silence (its figures, where the prose gives them, are in the message)."""
    out = []
    for u in _in_order(untabled):
        issue = Issue("no_table", u.message(), "", u.source_page, u.source_line)
        out.append(asdict(issue))
    return out


def _in_order(untabled: list[Untabled]) -> list[Untabled]:
    return sorted(untabled, key=lambda u: (u.source_page or 0, u.source_line))


def _section(u: Untabled) -> dict[str, Any]:
    return {
        "heading": u.heading,
        "source_page": u.source_page,
        "source_line": u.source_line,
        "figure": u.figure(),
    }


def _key(lines: list[str]) -> dict[str, Any] | None:
    found = status_key(lines)
    return None if found is None else asdict(found)


def _covered(lines: list[str]) -> dict[str, Any] | None:
    found = extract_covered(lines)
    return None if found is None else asdict(found)


def _first_heading(lines: list[str]) -> str:
    for line in lines:
        text = strip_markup(line)
        if text:
            return text[:200]
    return ""


def _headline(lines: list[str]) -> dict[str, Any] | None:
    """The printed headline (readers.headline decides what is one), with the ways its printed
    numbers disagree: kept as printed, the disagreements become the report's warnings."""

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
