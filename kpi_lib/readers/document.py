"""What one report yields on its own: its KPI rows, warnings, the quarter it names, its headline
and its commentary.

Nothing here looks at any other file, so the result depends only on the file's bytes and the
code that reads it; that is what lets kpi_lib.readers.cache keep it keyed by sha256. Where the
file lies is not part of what it says: source paths are left blank and filled in per run.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from kpi_lib.digest import sha256_bytes
from kpi_lib.errors import InputError, KpiError
from kpi_lib.periods import detect_report_period
from kpi_lib.readers.commentary import narrative_comments, read_commentary, read_pdf_commentary
from kpi_lib.readers.commentary_sections import Untabled
from kpi_lib.readers.directors import directors_comments
from kpi_lib.readers.extract import NoTablesError, extract_document, is_pdf
from kpi_lib.readers.headline import extract_covered, extract_headline
from kpi_lib.readers.pdf.reader import read_pdf_text
from kpi_lib.readers.rows import Extraction, FileResult, Issue
from kpi_lib.readers.status_lists import named_below, named_below_printed
from kpi_lib.readers.textdoc import load_text, strip_markup


def parse_file(path: Path, data: bytes) -> FileResult:
    """Read one report: KPI rows (none is fine: an executive summary has no tables), its
    warnings (kept when there are no rows: they say why), the quarter it names, its headline
    and the commentary under its tables."""

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
    # a PDF is parsed once: its printed lines (reading order) serve the headline and period
    lines = [t.text for t in printed] if pdf else _text_lines(path)
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
        headline=_headline(lines),
        comments=comments,
        covered=_covered(lines),
        untabled=[_section(u) for u in _in_order(untabled)],
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


def _covered(lines: list[str]) -> dict[str, Any] | None:
    found = extract_covered(lines)
    return None if found is None else asdict(found)


def _text_lines(path: Path) -> list[str]:
    return load_text(path).lines


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
