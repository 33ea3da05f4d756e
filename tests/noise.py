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
    """Places where a word can be cut so that kpi_lib.readers.headers.join_split restores it."""
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


def _wrap_heading(lines: list[str], header: int, rng: random.Random) -> None:
    """Wrap the heading above lines[header] over two lines, in place."""
    h = _heading_above(lines, header)
    if h is None:
        return
    md = _MD.match(lines[h])
    words = _MARKS.sub("", md.group(2) if md else lines[h]).split()
    if len(words) < 2:
        return
    cut = rng.randint(1, len(words) - 1)
    first, second = " ".join(words[:cut]), " ".join(words[cut:])
    if md:
        lines[h : h + 1] = [f"{md.group(1)} {first}", second]
    else:
        lines[h : h + 1] = [f"**{first}**", f"**{second}**"]


def kpi_two_line_headings(text: str, seed: int = 0) -> str:
    """Each KPI heading wrapped over two lines: a markdown heading continues as plain text,
    a bold heading becomes two bold lines."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in reversed(_tables(lines, KPI_HEADER_START)):
        _wrap_heading(lines, i, rng)
    return "\n".join(lines)


def _junk(rng: random.Random) -> list[str]:
    junk = rng.sample(JUNK_LINES, rng.randint(1, 3))
    return [x for j in junk for x in (j, "")]


def kpi_junk_before_table(text: str, seed: int = 0) -> str:
    """Page numbers, stray symbols and blank-ish lines between each heading and its table."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in reversed(_tables(lines, KPI_HEADER_START)):
        lines[i:i] = _junk(rng)
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


# RAG glyphs of the real report, and the look-alikes OCR turns them into (DOMAIN.md)
RAG_COLOUR = {"\u2713": "Green", "!": "Amber", "\u2717": "Red", "\u00d7": "Red"}
GLYPH_VARIANTS = {
    "Green": ["\u2713", "~"],
    "Amber": ["!", "\u012f", "\u012f."],
    "Red": ["\u2717", "\u00d7", "X"],
}


def _rag_cells(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, cell index, colour) of every non-empty RAG cell of every KPI table."""
    found = []
    for i, rows in _tables(lines, KPI_HEADER_START):
        c = lines[i].split("\t").index("RAG Status")
        for j in rows:
            cells = lines[j].split("\t")
            if c < len(cells) and cells[c].strip():
                found.append((j, c, RAG_COLOUR[cells[c].strip()]))
    return found


def kpi_rag_glyphs(text: str, glyphs: dict[str, str]) -> str:
    """Every RAG cell rewritten to `glyphs[colour]` (e.g. {"Green": "~", ...})."""
    lines = _lines(text)
    for j, c, colour in _rag_cells(lines):
        cells = lines[j].split("\t")
        cells[c] = glyphs[colour]
        lines[j] = "\t".join(cells)
    return "\n".join(lines)


def _prose(line: str) -> bool:
    text = line.strip()
    return bool(text) and "\t" not in line and not text.startswith(("#", "*", "-"))


def other_quarter(text: str, seed: int = 0) -> str:
    """A plausible report from another quarter: each table gets a random mix of the noises
    above (glyph look-alikes always; header typos, a split column, no Trends, a Ref column,
    a stray leading column, a page break, junk above, a wrapped heading sometimes), and page
    footers fall between paragraphs of prose."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, rows in reversed(_tables(lines, KPI_HEADER_START)):
        head = lines[i].split("\t")
        body = [lines[j].split("\t") for j in rows]
        names = list(head)
        rag = names.index("RAG Status")
        for cells in body:
            if rag < len(cells) and cells[rag].strip():
                colour = RAG_COLOUR[cells[rag].strip()]
                cells[rag] = rng.choice(GLYPH_VARIANTS[colour])
        if (
            names[-1] == "Trends"
            and rng.random() < 0.3
            and all(len(c) == len(names) and not c[-1].strip() for c in body)
        ):
            head, body = head[:-1], [c[:-1] for c in body]
        head = [
            rng.choice(KPI_TYPOS[h]) if h in KPI_TYPOS and rng.random() < 0.4 else h for h in head
        ]
        if rng.random() < 0.4:
            c = names.index(rng.choice(["Target", "Metric Name"]))
            if rng.random() < 0.7:
                head[c : c + 1] = split_cell(head[c], rng)
            for cells in body:
                cells[c : c + 1] = split_cell(cells[c], rng)
        if rng.random() < 0.3:
            head = ["Ref", *head]
            body = [[f"R{seed}-{i}-{k}", *cells] for k, cells in enumerate(body)]
        if rng.random() < 0.3:
            stray = rng.choice(["", "|", "1", "\u2022"])
            head, body = [stray, *head], [[stray, *cells] for cells in body]
        lines[i] = "\t".join(head)
        for j, cells in zip(rows, body, strict=True):
            lines[j] = "\t".join(cells)
        if len(rows) > 1 and rng.random() < 0.25:
            at = rng.choice(rows[1:])
            lines[at:at] = ["", f"Page {rng.randint(2, 40)} of 40", ""]
        if rng.random() < 0.4:
            lines[i:i] = _junk(rng)
        if rng.random() < 0.3:
            _wrap_heading(lines, i, rng)
    for k in reversed(range(1, len(lines) - 1)):
        if not lines[k] and _prose(lines[k - 1]) and _prose(lines[k + 1]) and rng.random() < 0.1:
            lines[k : k + 1] = ["", rng.choice(JUNK_LINES[:3]), ""]
    return "\n".join(lines)
