"""A text extraction of a report, loaded once and shared by the text readers."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kpi_lib.errors import InputError
from kpi_lib.readers.source import read_source

_TAG = re.compile(r"<[^>]+>")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPH = re.compile(r"(\*{1,3}|_{2,3})(.+?)\1")
_BOOKMARK = re.compile(r"\[bookmark:\s*[^\]]*\]", re.I)  # Word bookmarks (pandoc keeps them)


@dataclass
class TextDoc:
    """Lines of a text report; `lines[i]` is line i+1 of the file."""

    path: Path
    lines: list[str]

    @property
    def name(self) -> str:
        return str(self.path)


def load_text(path: Path) -> TextDoc:
    """Read a text report from its file (checked by readers.source)."""
    return decode_text(read_source(path), str(path))


def decode_text(data: bytes, name: str) -> TextDoc:
    """A text report from its bytes, failing with one clear line for empty or undecodable
    files."""
    if not data.strip():
        raise InputError(name, "file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(name, "not UTF-8 text (is it a binary file?)", line=line) from None
    if "\x00" in text:
        raise InputError(name, "contains NUL bytes: not a text report")
    if Path(name).suffix.lower() == ".csv":
        return TextDoc(Path(name), csv_rows(text, name))
    return TextDoc(Path(name), aligned_rows([pipe_row(line) for line in text.splitlines()]))


def csv_rows(text: str, name: str) -> list[str]:
    """A CSV export (a spreadsheet saved as .csv) as the tab-separated rows every text reader
    reads, parsed by the csv module (quoted commas, quoted quotes). A record whose quoted cell
    runs over several lines stands on its first line and its other lines are rules (cells of
    dashes, which the table readers step over, as a markdown table's), so every row keeps its
    line number in the file and a table does not end inside one record."""
    lines = [""] * len(text.splitlines())
    reader = csv.reader(io.StringIO(text))
    start = 0
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell over the csv module's size limit
            raise InputError(name, f"not a readable CSV row ({exc})", line=start + 1) from None
        cells = [" ".join(c.split()) for c in record]
        if start < len(lines):
            lines[start] = "\t".join(cells)
            for k in range(start + 1, min(reader.line_num, len(lines))):
                lines[k] = "\t".join("---" for _ in cells)
        start = reader.line_num
    return lines


_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
MARKDOWN_RULE = re.compile(r"^\s*:?-{3,}:?\s*$")


def pipe_row(line: str) -> str:
    """A markdown pipe-table row as the tab-separated row every text reader reads ("| a | b |"
    -> "a<TAB>b"); its rule row ("|---|:--:|") becomes cells of dashes, which the table readers
    step over. Other lines are returned as they are."""
    if line.count("|") < 3 or not _PIPE_ROW.match(line):
        return line
    inner = line.strip()[1:-1].replace("\\|", "\x00")
    cells = [c.strip().replace("\x00", "|") for c in inner.split("|")]
    return "\t".join(cells)


_CELL = re.compile(r"\S+(?: \S+)*")  # words parted by single spaces
MIN_ALIGNED_CELLS = 3


def _spans(line: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _CELL.finditer(line)]


def _placed(spans: list[tuple[int, int, str]], starts: list[int]) -> list[str] | None:
    """A row's cells under the header's columns (each column runs from its label's start to
    the next label's), by where they stand; None when two cells fall in one column."""
    cells = [""] * len(starts)
    bounds = [*starts[1:], 10**9]
    for a, b, text in spans:
        overlap = [max(0, min(b, hi) - max(a, lo)) for lo, hi in zip(starts, bounds, strict=True)]
        k = max(range(len(starts)), key=lambda c: (overlap[c], -abs(starts[c] - a)))
        if cells[k]:
            return None
        cells[k] = text
    return cells


def aligned_rows(lines: list[str]) -> list[str]:
    """Tables a PDF-to-text export laid out with spaces (`pdftotext -layout`, a fixed-width
    export) as the tab-separated rows every text reader reads: a line with no tab cut by runs
    of two or more spaces into at least three cells, and the lines under it whose cells each
    stand under one of its cells (an empty cell is a column with nothing under it); a line
    holding one cell's text alone, under a cell of the row above, is that cell wrapped. A
    line of prose with a double space after a sentence is never such a run: the line under
    it does not line up with its cells."""
    out = list(lines)
    i = 0
    while i < len(lines):
        head = _spans(lines[i]) if "\t" not in lines[i] else []
        if len(head) < MIN_ALIGNED_CELLS:
            i += 1
            continue
        starts = [a for a, _, _ in head]
        rows: list[list[str] | None] = []  # None: a wrapped line, joined to the row above
        j = i + 1
        while j < len(lines) and "\t" not in lines[j]:
            spans = _spans(lines[j])
            placed = _placed(spans, starts) if spans else None
            if placed is None:
                break
            filled = [k for k, c in enumerate(placed) if c]
            last = next((r for r in reversed(rows) if r is not None), None)
            if len(filled) == 1 and last is not None and last[filled[0]]:
                k = filled[0]  # a cell's text wrapped onto a line of its own
                last[k] = f"{last[k]} {placed[k]}"
                rows.append(None)
            elif len(spans) >= 2:
                rows.append(placed)
            else:
                break
            j += 1
        if any(r is not None for r in rows):
            out[i] = "\t".join(t for _, _, t in head)
            for k, cells in enumerate(rows, start=i + 1):
                # a wrapped line becomes a rule (cells of dashes, stepped over like a markdown
                # table's) so every row keeps its line number and the table does not end there
                out[k] = "\t".join(cells) if cells is not None else "\t".join("---" for _ in head)
        i = max(j, i + 1)
    return out


def strip_markup(text: str) -> str:
    """Plain text of a cell or heading: no HTML tags/entities, no markdown marks."""
    text = html.unescape(_TAG.sub(" ", _BOOKMARK.sub("", text)))
    text = _MD_HEADING.sub("", text)
    for _ in range(3):
        text = _MD_EMPH.sub(r"\2", text)
    text = text.replace("\\*", "*").replace("\\_", "_")
    return re.sub(r"\s+", " ", text).strip()
