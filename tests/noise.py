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


# --- header noise as the 2023/24 OCR prints it (data/raw/2023-24_Q2) ---------------------------
# Label pairs that OCR merged into one cell in that file, and pairs of the same kind.
MERGEABLE = [
    ("Target", "Good Is"),
    ("Good Is", "As of Date"),
    ("As of Date", "Metric Name"),
    ("Latest Value", "RAG Status"),
    ("RAG Status", "Trends"),
]
# label -> what stands in its place when OCR loses it; the data below must say what it is
DROPPABLE = {
    "Latest Value": ["", ""],
    "Good Is": ["", ""],
    "As of Date": [""],
    "Target": ["3", "", "1"],
}


def merge_header_labels(head: list[str], rng: random.Random) -> list[str]:
    """One adjacent pair of labels printed in the left cell, the right cell left empty; now
    and then the left label repeated in front ("Target | Target Good Is As of Date | ")."""
    pairs = [(a, b) for a, b in MERGEABLE if a in head and b in head[head.index(a) + 1 :][:1]]
    if not pairs:
        return head
    a, b = rng.choice(pairs)
    c = head.index(a)
    out = list(head)
    out[c : c + 2] = [f"{a} {b}", ""]
    if c > 0 and rng.random() < 0.3:
        out[c] = f"{head[c - 1]} {out[c]}"
    return out


def drop_header_label(head: list[str], rng: random.Random) -> list[str]:
    """One label lost over its column: an empty cell, or a stray digit for the Target."""
    labels = [h for h in DROPPABLE if h in head]
    if not labels:
        return head
    h = rng.choice(labels)
    out = list(head)
    out[out.index(h)] = rng.choice(DROPPABLE[h])
    return out


def _headers(text: str, seed: int, change) -> str:
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in _tables(lines, KPI_HEADER_START):
        lines[i] = "\t".join(change(lines[i].split("\t"), rng))
    return "\n".join(lines)


def kpi_merged_labels(text: str, seed: int = 0) -> str:
    """Two header labels in one cell and an empty cell after it ("Good Is As of Date" | "")."""
    return _headers(text, seed, merge_header_labels)


def kpi_missing_label(text: str, seed: int = 0) -> str:
    """A header label lost over its column (Latest Value, Good Is, As of Date, or the Target
    turned into a stray "3"), the data below intact."""
    return _headers(text, seed, drop_header_label)


def kpi_stray_header_cell(text: str, seed: int = 0) -> str:
    """A stray first header cell ("1") over an empty first cell in every data row."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, rows in _tables(lines, KPI_HEADER_START):
        lines[i] = rng.choice(["1", "3", ","]) + "\t" + lines[i]
        for j in rows:
            lines[j] = "\t" + lines[j]
    return "\n".join(lines)


def kpi_trailing_empty_cell(text: str, seed: int = 0) -> str:
    """An empty cell after the last header label and after every data row."""
    lines = _lines(text)
    for i, rows in _tables(lines, KPI_HEADER_START):
        for j in [i, *rows]:
            lines[j] += "\t"
    return "\n".join(lines)


def kpi_debris_above_header(text: str, seed: int = 0) -> str:
    """A row of empty cells holding an OCR mark or two between the heading and the table."""
    rng = random.Random(seed)
    lines = _lines(text)
    for i, _ in reversed(_tables(lines, KPI_HEADER_START)):
        cells = [""] * 7
        cells[rng.randrange(7)] = rng.choice(["J -", ",", "|", "~"])
        lines[i:i] = ["\t".join(cells)]
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
    "merged_labels": kpi_merged_labels,
    "missing_label": kpi_missing_label,
    "stray_header_cell": kpi_stray_header_cell,
    "trailing_empty_cell": kpi_trailing_empty_cell,
    "debris_above_header": kpi_debris_above_header,
}
HISTORY_NOISES = {
    "header_typos": history_header_typos,
    "split_directorate": history_split_directorate,
    "split_period": history_split_period,
}


# RAG glyphs of the real report, and the look-alikes OCR turns them into
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
    above (glyph look-alikes always; header typos, a split column, two labels merged in one
    cell, a label lost, no Trends, a Ref column, a stray leading column, a page break, junk
    above, a wrapped heading sometimes), and page
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
        split = rng.random() < 0.4
        if not split and rng.random() < 0.3:
            head = merge_header_labels(head, rng)
        if not split and rng.random() < 0.3:
            head = drop_header_label(head, rng)
        head = [
            rng.choice(KPI_TYPOS[h]) if h in KPI_TYPOS and rng.random() < 0.4 else h for h in head
        ]
        if split:
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
