"""Inject the OCR noise seen in other quarters into a real report's text, deterministically.

Every function takes the report text and a seed and returns noisy text whose tables
still say the same thing, so a reader must extract exactly the gold rows from it.
Splits happen inside a word (before a lower-case letter), as OCR column boundaries do;
a cell with no such place keeps its text in the left piece and leaves the right one empty.
"""

from __future__ import annotations

import random
import re

KPI_HEADER_START = "Target\t"
HISTORY_HEADER_START = "Performance Indicator\t"

KPI_TYPOS = {
    "Metric Name": ["Metrio Name", "Metric Narne", "Metrc Name"],
    "Latest Value": ["Latect Value", "Latest Va1ue", "Lalest Value"],
    "As of Date": ["As of Data", "As at Date", "As of Dale"],
    "Good Is": ["Good In", "Good ls", "Goad Is"],
    "RAG Status": ["RAG Statu", "RAG Stalus"],
    "Target": ["Targel", "Tarqet"],
}
HISTORY_TYPOS = {
    "Performance Indicator": ["Performance Indicatr", "Performance lndicator"],
    "Frequency": ["Frequancy", "Freqency"],
    "Directorate": ["Directorato", "Dlrectorate"],
    "Good is": ["Good ls", "Goad is"],
    "Target": ["Targel", "Tarqet"],
}
JUNK_LINES = ["Page 3 of 20", "12", "- 4 -", "\u2022", "\u00a0", "|", "~ ~", "Page 7", " \t "]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _is_header(line: str, start: str) -> bool:
    return line.startswith(start) or line.startswith("\t" + start)


def _tables(lines: list[str], start: str) -> list[tuple[int, list[int]]]:
    """(header index, data row indices) of each table whose header begins with `start`."""
    found = []
    for i, line in enumerate(lines):
        if not _is_header(line, start):
            continue
        rows = []
        j = i + 1
        while j < len(lines) and "\t" in lines[j] and not _is_header(lines[j], start):
            rows.append(j)
            j += 1
        found.append((i, rows))
    return found


def split_points(text: str) -> list[int]:
    """Places where a word can be cut so that kpi_lib.headers.join_split restores it."""
    return [k for k in range(1, len(text)) if text[k - 1].isalpha() and text[k].islower()]


def split_cell(text: str, rng: random.Random) -> list[str]:
    points = split_points(text)
    if not points:
        return [text, ""]
    k = rng.choice(points)
    return [text[:k], text[k:]]


def _typos(text: str, start: str, typos: dict[str, list[str]], seed: int) -> str:
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in _tables(lines, start):
        cells = lines[i].split("\t")
        for c, cell in enumerate(cells):
            if cell in typos:
                cells[c] = rng.choice(typos[cell])
        lines[i] = "\t".join(cells)
    return "\n".join(lines)


def kpi_header_typos(text: str, seed: int = 0) -> str:
    """Misread header words in every KPI table ("Metrio Name", "Latect Value", ...)."""
    return _typos(text, KPI_HEADER_START, KPI_TYPOS, seed)


def history_header_typos(text: str, seed: int = 0) -> str:
    return _typos(text, HISTORY_HEADER_START, HISTORY_TYPOS, seed)


def _split_column(text: str, start: str, column: str, seed: int, split_header: bool = True) -> str:
    """Split one column of every table across two cells, header and data alike."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, rows in _tables(lines, start):
        head = lines[i].split("\t")
        if column not in head:
            continue
        c = head.index(column)
        if split_header:
            head[c : c + 1] = split_cell(column, rng)
            lines[i] = "\t".join(head)
        for j in rows:
            cells = lines[j].split("\t")
            if c < len(cells):
                cells[c : c + 1] = split_cell(cells[c], rng)
                lines[j] = "\t".join(cells)
    return "\n".join(lines)


def kpi_split_target(text: str, seed: int = 0) -> str:
    """`Ta` + `rget` in the header and each Target cell split the same way."""
    return _split_column(text, KPI_HEADER_START, "Target", seed)


def kpi_split_metric(text: str, seed: int = 0) -> str:
    """`Metric Na` + `me`, with each metric name split the same way."""
    return _split_column(text, KPI_HEADER_START, "Metric Name", seed)


def kpi_split_data_only(text: str, seed: int = 0) -> str:
    """Metric names split across two cells under an intact header."""
    return _split_column(text, KPI_HEADER_START, "Metric Name", seed, split_header=False)


def history_split_directorate(text: str, seed: int = 0) -> str:
    return _split_column(text, HISTORY_HEADER_START, "Directorate", seed)


def history_split_period(text: str, seed: int = 0) -> str:
    """`Current (Q3) Perfor` + `mance`, with the Q3 cells split (or padded) the same way."""
    out = _split_column(text, HISTORY_HEADER_START, "Current (Q3) Performance", seed)
    return _split_column(out, HISTORY_HEADER_START, "Current Performance (Q3)", seed + 1)


def kpi_extra_leading_column(text: str, seed: int = 0) -> str:
    """A stray cell in front of the header and every row of each KPI table."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, rows in _tables(lines, KPI_HEADER_START):
        for j in [i, *rows]:
            lines[j] = rng.choice(["", "|", "1", "\u2022"]) + "\t" + lines[j]
    return "\n".join(lines)


def kpi_drop_trends(text: str, seed: int = 0) -> str:
    """No Trends column: the header loses it and rows lose their last (empty) cell."""
    lines = _lines(text)
    for i, rows in _tables(lines, KPI_HEADER_START):
        head = lines[i].split("\t")
        if head[-1] != "Trends":
            continue
        lines[i] = "\t".join(head[:-1])
        for j in rows:
            cells = lines[j].split("\t")
            if len(cells) == len(head) and not cells[-1].strip():
                lines[j] = "\t".join(cells[:-1])
    return "\n".join(lines)


def kpi_ref_column(text: str, seed: int = 0) -> str:
    """A leading Ref column; row n of the report gets ref `R{seed}-{n:03d}`."""
    lines = _lines(text)
    n = 0
    for i, rows in _tables(lines, KPI_HEADER_START):
        lines[i] = "Ref\t" + lines[i]
        for j in rows:
            n += 1
            lines[j] = f"R{seed}-{n:03d}\t" + lines[j]
    return "\n".join(lines)


def _heading_above(lines: list[str], header: int) -> int | None:
    i = header - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    return i if i >= 0 else None


_MD = re.compile(r"^(#{1,6})\s+(.*)$")
_MARKS = re.compile(r"[*_]{1,3}")


def kpi_two_line_headings(text: str, seed: int = 0) -> str:
    """Each KPI heading wrapped over two lines: a markdown heading continues as plain text,
    a bold heading becomes two bold lines."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in reversed(_tables(lines, KPI_HEADER_START)):
        h = _heading_above(lines, i)
        if h is None:
            continue
        md = _MD.match(lines[h])
        words = _MARKS.sub("", md.group(2) if md else lines[h]).split()
        if len(words) < 2:
            continue
        cut = rng.randint(1, len(words) - 1)
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if md:
            lines[h : h + 1] = [f"{md.group(1)} {first}", second]
        else:
            lines[h : h + 1] = [f"**{first}**", f"**{second}**"]
    return "\n".join(lines)


def kpi_junk_before_table(text: str, seed: int = 0) -> str:
    """Page numbers, stray symbols and blank-ish lines between each heading and its table."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in reversed(_tables(lines, KPI_HEADER_START)):
        junk = rng.sample(JUNK_LINES, rng.randint(1, 3))
        lines[i:i] = [x for j in junk for x in (j, "")]
    return "\n".join(lines)


def kpi_page_break_in_table(text: str, seed: int = 0) -> str:
    """A page footer between two data rows of every table with more than one row."""
    rng = random.Random(seed)
    lines = _lines(text)
    for _, rows in reversed(_tables(lines, KPI_HEADER_START)):
        if len(rows) > 1:
            at = rng.choice(rows[1:])
            lines[at:at] = ["", f"Page {rng.randint(2, 40)} of 40", ""]
    return "\n".join(lines)


KPI_NOISES = {
    "header_typos": kpi_header_typos,
    "split_target": kpi_split_target,
    "split_metric": kpi_split_metric,
    "split_data_only": kpi_split_data_only,
    "extra_leading_column": kpi_extra_leading_column,
    "drop_trends": kpi_drop_trends,
    "ref_column": kpi_ref_column,
    "two_line_headings": kpi_two_line_headings,
    "junk_before_table": kpi_junk_before_table,
    "page_break_in_table": kpi_page_break_in_table,
}
HISTORY_NOISES = {
    "header_typos": history_header_typos,
    "split_directorate": history_split_directorate,
    "split_period": history_split_period,
}
