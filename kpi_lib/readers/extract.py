"""Entry point for extraction: pick the reader(s) for a file and return rows as a DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kpi_lib.errors import InputError
from kpi_lib.limits import MAX_KPI_ROWS, too_many_rows
from kpi_lib.readers import history_tables, narrative, stray_tables, text_tables
from kpi_lib.readers.pdf import read_pdf
from kpi_lib.readers.rows import Extraction
from kpi_lib.readers.textdoc import load_text

if TYPE_CHECKING:
    import pandas as pd


class NoTablesError(InputError):
    """The document was readable but held no KPI rows."""

    extraction: Extraction | None = None  # what was read: its issues say why there are no rows


def is_pdf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"%PDF-"


def extract_document(path: str | Path) -> Extraction:
    """Extract every KPI row from a report (PDF or text), with its warnings.

    Raises InputError (one line, naming the file and place) for unusable input and
    NoTablesError when the document holds no KPI rows at all.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.is_dir():
        raise InputError(str(path), "is a directory, not a report")
    if path.stat().st_size == 0:
        raise InputError(str(path), "file is empty")
    if is_pdf(path):
        result = read_pdf(path)
    elif path.suffix.lower() == ".pdf":
        raise InputError(str(path), "named .pdf but is not a PDF (no %PDF- header)")
    else:
        result = _read_text(path)
    if not result.rows:
        error = NoTablesError(str(path), "no KPI tables found" + _unread_hint(result))
        error.extraction = result
        raise error
    return result


def _unread_hint(result: Extraction) -> str:
    """Point at tab-separated tables no reader recognised: the likeliest reason for no rows."""
    stray = [i for i in result.issues if i.kind == "unrecognised_table"]
    if not stray:
        return ""
    first = stray[0].source_line
    return f" ({len(stray)} tab-separated table(s) with no known header, first at line {first})"


def _read_text(path: Path) -> Extraction:
    doc = load_text(path)
    out = Extraction(source_file=str(path))
    for reader in (text_tables.read, history_tables.read, stray_tables.read):
        part = reader(doc)
        out.rows.extend(part.rows)
        out.issues.extend(part.issues)
        out.tables += part.tables
        if len(out.rows) > MAX_KPI_ROWS:
            raise too_many_rows(str(path), len(out.rows))
    if not out.rows:
        part = narrative.read(doc)
        out.rows.extend(part.rows)
        out.issues.extend(part.issues)
    out.rows.sort(key=lambda r: (r.source_page or 0, r.source_line or 0))
    return out


def extract(path: str | Path) -> pd.DataFrame:
    """One row per KPI data row in `path`, columns as kpi_lib.readers.rows.COLUMNS."""
    return extract_document(path).frame()
