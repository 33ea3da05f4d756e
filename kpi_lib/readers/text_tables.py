"""KPI tables in a text report: a tab-separated `Target | Good Is | As of Date | Metric Name |
Latest Value | RAG Status | Trends` header and one row per metric until the first non-tab line.

Headers are recognised by similarity (kpi_lib.readers.headers), so OCR typos, split words, a stray
leading column, a missing Trends column or a leading Ref column do not hide a table. Data
cells are aligned to the header by scoring every way of grouping them (a split cell spans
two, trailing cells may be missing), so a row either lands in the right columns or is
reported as an `unparsed_row` Issue - never guessed, never dropped. A word cut in two
("Maintain all statutory returns and pla" + "ns") is cheap to join and costly to leave
apart, so the tail never lands in the next column. Tab rows no header claims are reported
by kpi_lib.readers.stray_tables.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import TypeVar

from kpi_lib.limits import MAX_KPI_ROWS, too_many_rows
from kpi_lib.readers.headers import HeaderMatch, best_label, join_split, match_header
from kpi_lib.readers.headings import find_sections, is_blankish, is_junk, table_heading
from kpi_lib.readers.profile import DEFAULT, Profile
from kpi_lib.readers.rows import Extraction, Issue, Row
from kpi_lib.readers.textdoc import MARKDOWN_RULE, TextDoc
from kpi_lib.values import collapse, headline_number, parse_number, polarity, value_cell

EXTRA = "_extra"
SPLIT_PENALTY = 0.5  # per cell a column takes beyond (or short of) its header's width
WORD_SPLIT_PENALTY = 0.15  # ... when the extra cell continues a word cut in two ("Ta" + "rget")
ORPHAN_PENALTY = 0.3  # a column's text starts with a word's tail left in the previous column
MISSING_PENALTY = 0.05  # per trailing column a row leaves out
MIN_FIT = 0.5  # a row whose best alignment fits worse than this is reported, not guessed

Fit = Callable[[str, str], float]
H = TypeVar("H")


@dataclass(frozen=True)
class Column:
    """One logical column: its canonical key and how many header cells it spans."""

    key: str
    width: int


def layout(match: HeaderMatch) -> list[Column]:
    """Logical columns left to right; unmatched header cells become EXTRA columns."""
    spans = [(min(idx), key, len(idx)) for key, idx in match.columns.items()]
    spans += [(i, EXTRA, 1) for i in match.extra]
    return [Column(key, width) for _, key, width in sorted(spans)]


_REF = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9./-]{3,15}")


def plainly(key: str, text: str) -> bool:
    """Whether a data cell plainly belongs to column `key`: strict enough that a column with
    no label over it is only named when its values leave no doubt."""
    if key == "value":
        return parse_number(text) is not None
    if key == "rag":
        return bool(DEFAULT.status(text))
    if key == "good_is":
        return _is_polarity(text)
    if key == "as_of_text":
        return bool(_YEAR.search(text))
    if key == "ref":
        return bool(_REF.fullmatch(text))
    if key in ("target", "metric_name"):
        return sum(c.isalnum() for c in text) >= 2 and DEFAULT.status(text) is None
    return False


def resolve_guesses(match: HeaderMatch, rows: list[list[str]]) -> HeaderMatch:
    """Name the unlabelled header cells from the data below them: a cell becomes the first
    missing column it may be (HeaderMatch.guesses) whose every non-empty value below plainly
    fits it; otherwise it stays an extra column. Rows with as many cells as the header count;
    others may be split or short, so they cannot say what a column holds."""
    if not match.guesses:
        return match
    same = [r for r in rows if len(r) == match.ncells] or rows
    columns = {k: list(v) for k, v in match.columns.items()}
    extra = list(match.extra)
    for e, cands in sorted(match.guesses.items()):
        below = [r[e] for r in same if e < len(r) and r[e]]
        for key in cands:
            if key not in columns and below and all(plainly(key, t) for t in below):
                columns[key] = [e]
                extra.remove(e)
                break
    return HeaderMatch(columns, match.ncells, extra, match.score)


def settle_names(match: HeaderMatch, rows: list[list[str]]) -> HeaderMatch:
    """Where the column read as the metric name holds only codes ("R01", "KPI 12a" is not one)
    and an unlabelled column beside it holds the names ("KPI | Description", "Indicator |
    Indicator description"), the codes are the reference and the words the name."""
    names = match.columns.get("metric_name")
    if names is None or len(names) != 1 or "ref" in match.columns:
        return match
    same = [r for r in rows if len(r) == match.ncells] or rows
    below = [r[names[0]] for r in same if names[0] < len(r) and r[names[0]]]
    if not below or not all(_REF.fullmatch(x) for x in below):
        return match
    for e in match.extra:
        texts = [r[e] for r in same if e < len(r) and r[e]]
        if texts and all(" " in x and sum(c.isalpha() for c in x) >= 3 for x in texts):
            columns = {k: list(v) for k, v in match.columns.items()}
            columns["ref"], columns["metric_name"] = names, [e]
            extra = [x for x in match.extra if x != e]
            return HeaderMatch(columns, match.ncells, sorted(extra), match.score)
    return match


def cells_of(line: str) -> list[str]:
    return [collapse(c) for c in line.split("\t")]


def align_cells(
    cells: list[str], columns: list[Column], fit: Fit, required: tuple[str, ...]
) -> tuple[dict[str, str], float] | None:
    """The best grouping of a row's cells into columns, with its mean fit (0..1).

    Each column takes 1-3 consecutive cells (joined as one split cell); columns after
    the row's last cell are empty unless `required`. None when nothing fits.
    """
    n, m = len(cells), len(columns)

    @cache
    def best(c: int, p: int) -> tuple[float, tuple[int, ...]] | None:
        if c == m:
            return (0.0, ()) if all(not x for x in cells[p:]) else None
        col = columns[c]
        if p == n:
            if any(k.key in required for k in columns[c:]):
                return None
            return (-MISSING_PENALTY * (m - c), (0,) * (m - c))
        options = []
        for k in (1, 2, 3):
            if p + k > n:
                break
            rest = best(c + 1, p + k)
            if rest is None:
                continue
            text = join_split(cells[p : p + k])
            score = fit(col.key, text) - split_cost(cells[p : p + k], col.width)
            if p > 0 and is_word_split(cells[p - 1], cells[p]):
                score -= ORPHAN_PENALTY
            options.append((score + rest[0], (k, *rest[1])))
        return max(options, key=lambda o: o[0]) if options else None

    found = best(0, 0)
    if found is None:
        return None
    out: dict[str, str] = {}
    p = 0
    for col, k in zip(columns, found[1], strict=True):
        if col.key != EXTRA:
            out[col.key] = join_split(cells[p : p + k])
        p += k
    return out, found[0] / max(m, 1)


def is_word_split(left: str, right: str) -> bool:
    """Two cells that are one word cut in two, as OCR column boundaries cut them."""
    return left[-1:].isalpha() and right[:1].islower()


def split_cost(pieces: list[str], width: int) -> float:
    """Penalty for a column taking `pieces` where its header spans `width` cells: each piece
    beyond the width costs SPLIT_PENALTY, or less where it continues a cut word."""
    if len(pieces) <= width:
        return SPLIT_PENALTY * (width - len(pieces))
    costs = sorted(
        WORD_SPLIT_PENALTY if is_word_split(a, b) else SPLIT_PENALTY
        for a, b in itertools.pairwise(pieces)
    )
    return sum(costs[: len(pieces) - width])


_GOOD_IS = {"good_is": ("high", "low", "other", "not appropriate", "on target", "n a")}
_YEAR = re.compile(r"(?:19|20)\d\d")


def _is_polarity(text: str) -> bool:
    """A "Good is" cell: a direction ("High", "Higher is better", "Smaller is better") or one of
    the words printed for none ("Not appropriate", "On target")."""
    return polarity(text) in ("High", "Low") or best_label(text, _GOOD_IS)[1] >= 0.7


_NA = {"n/a", "na", "-", "\u2013", "tbc", "tba", "not available"}


def kpi_fit(key: str, text: str, status: Callable[[str], str | None] = DEFAULT.status) -> float:
    """How plausible `text` is as a cell of column `key` in a KPI table (0..1)."""
    if key == "value":
        if not text:
            return 0.6
        if parse_number(text) is not None:
            return 1.0
        if text.lower() in _NA:
            return 0.5
        # words with no number are a misaligned metric name, not a value
        return 0.4 if headline_number(text) is not None else 0.0
    if key == "rag":
        if not text:
            return 0.6
        if status(text) is not None:
            return 1.0
        return 0.5 if len(text) <= 3 and sum(c.isalpha() for c in text) <= 1 else 0.0
    if key == "good_is":
        if not text:
            return 0.3
        return 1.0 if _is_polarity(text) else 0.1
    if key == "as_of_text":
        return 0.5 if not text else (1.0 if _YEAR.search(text) else 0.1)
    if key == "metric_name":
        return 1.0 if sum(c.isalpha() for c in text) >= 3 else 0.0
    if key == "trends":
        return 1.0 if not text else 0.2
    if key == "ref":
        return 0.5 if not text else (1.0 if len(text) <= 15 and " " not in text else 0.3)
    if key == EXTRA:
        return 1.0 if not text else (0.8 if len(text) <= 3 else 0.2)
    return 0.8 if text else 0.5


MAX_HEADER_CELL = 40  # header cells are short; skip similarity scoring of data rows


def could_be_header(cells: list[str]) -> bool:
    return len(cells) >= 3 and max(len(c) for c in cells) <= MAX_HEADER_CELL


def absorb_tails(match: HeaderMatch, cells: list[str]) -> HeaderMatch:
    """Give a column the unmatched cell right after it when that cell is the tail of a split
    word: a misread word cut in two ("Metric Na" + "rne") leaves the head matching alone and
    the tail unmatched, which would otherwise become an extra column that steals data cells."""
    columns = {k: list(v) for k, v in match.columns.items()}
    owner = {idx[-1]: key for key, idx in columns.items()}
    extra = []
    for e in match.extra:
        key = owner.get(e - 1)
        if key is not None and is_word_split(cells[e - 1], cells[e]):
            columns[key].append(e)
            owner[e] = key
        else:
            extra.append(e)
    guesses = {e: ks for e, ks in match.guesses.items() if e in extra}
    return HeaderMatch(columns, match.ncells, extra, match.score, guesses)


@lru_cache(maxsize=1 << 18)  # readers ask about each line more than once
def is_kpi_header(line: str, profile: Profile = DEFAULT) -> HeaderMatch | None:
    if "\t" not in line:
        return None
    cells = cells_of(line)
    match = match_header(cells, profile.vocab, infer=True) if could_be_header(cells) else None
    return absorb_tails(match, cells) if match is not None else None


def is_rule_row(line: str) -> bool:
    """A markdown table's rule under its header ("---<TAB>:---:"), read as no row."""
    cells = line.split("\t")
    return len(cells) > 1 and all(MARKDOWN_RULE.match(c) for c in cells)


def is_tab_row(line: str) -> bool:
    return "\t" in line and not is_blankish(line.replace("\t", " "))


def _after_page_break(lines: list[str], j: int) -> int | None:
    """Index of the tab row that continues a table after a page break (junk lines), else None."""
    k, saw_junk = j, False
    while k < len(lines) and not is_tab_row(lines[k]) and is_junk(lines[k]):
        saw_junk = saw_junk or not is_blankish(lines[k].replace("\t", " "))
        k += 1
    if saw_junk and k < len(lines) and is_tab_row(lines[k]):
        return k
    return None


def table_rows(lines: list[str], header: int, is_header: Callable[[str], object]) -> Iterator[int]:
    """0-based indices of a table's data rows: tab rows below the header, across page breaks,
    until a non-tab line or the next header."""
    j = header + 1
    while j < len(lines):
        if not is_tab_row(lines[j]):
            k = _after_page_break(lines, j)
            if k is None:
                return
            j = k
        if is_header(lines[j]):
            return
        if not is_rule_row(lines[j]):
            yield j
        j += 1


@dataclass
class _Place:
    source_file: str
    section: str
    heading: str
    period: str = ""  # printed over the figures' columns of a two-row header


def _parse_row(
    line: str,
    lineno: int,
    columns: list[Column],
    place: _Place,
    out: Extraction,
    profile: Profile = DEFAULT,
) -> None:
    cells = cells_of(line)

    def fit(key: str, text: str) -> float:
        return kpi_fit(key, text, profile.status)

    aligned = align_cells(cells, columns, fit, required=("metric_name", "value"))
    if aligned is None or aligned[1] < MIN_FIT or not aligned[0].get("metric_name"):
        why = "too few cells" if aligned is None else "cells do not fit the header"
        if aligned is not None and not aligned[0].get("metric_name"):
            why = "no metric name"
        out.issues.append(
            Issue("unparsed_row", f"{why}: {line.strip()[:120]!r}", place.source_file, None, lineno)
        )
        return
    got = aligned[0]
    rag_cell = got.get("rag", "")
    rag = profile.status(rag_cell)
    if rag is None:
        out.issues.append(
            Issue(
                "unknown_glyph",
                f"unknown RAG glyph {rag_cell!r} for {got['metric_name']!r}; status left empty",
                place.source_file,
                None,
                lineno,
            )
        )
        rag = ""
    value, unparsed = value_cell(got.get("value", ""))
    if unparsed:
        out.issues.append(
            Issue(
                "unparsed_cell",
                f"value {got['value']!r} of {got['metric_name']!r} is not a number",
                place.source_file,
                None,
                lineno,
            )
        )
    out.rows.append(
        Row(
            metric_name=got["metric_name"],
            section=place.section,
            heading=place.heading,
            ref=got.get("ref", ""),
            target_text=got.get("target", ""),
            good_is=got.get("good_is", ""),
            as_of_text=got.get("as_of_text", "") or place.period,
            value=value,
            value_text=got.get("value", ""),
            rag=rag,
            rag_text=collapse(rag_cell) if rag else "",
            source_file=place.source_file,
            source_line=lineno,
            reader="table",
            undated=all(c.key != "as_of_text" for c in columns) and not place.period,
        )
    )


def find_tables(
    lines: list[str], header_of: Callable[[str], H | None]
) -> Iterator[tuple[int, H, list[int]]]:
    """(header index, what `header_of` made of it, data row indices) of each table, 0-based."""
    i = 0
    while i < len(lines):
        match = header_of(lines[i])
        if match is None:
            i += 1
            continue
        rows = list(table_rows(lines, i, header_of))
        yield i, match, rows
        i = (rows[-1] if rows else i) + 1


def claimed(tables: Iterator[tuple[int, object, list[int]]]) -> set[int]:
    """0-based indices of the header and data lines of `tables`."""
    return {k for i, _, rows in tables for k in (i, *rows)}


def table_lines(lines: list[str], profile: Profile = DEFAULT) -> set[int]:
    """Lines this reader reads (KPI headers and their rows), so nothing else is reported."""
    joined, over = two_row_headers(lines, profile)
    found = claimed(find_tables(joined, partial(is_kpi_header, profile=profile)))
    return found | {j - 1 for j in over if j in found}


def read(
    doc: TextDoc, skip: set[int] | frozenset[int] = frozenset(), profile: Profile = DEFAULT
) -> Extraction:
    """Every row of every KPI table in `doc`, with its section and KPI heading; tables whose
    header line is in `skip` (0-based) are another reader's: one line, one reader."""
    out = Extraction(source_file=doc.name)
    lines, over = two_row_headers(doc.lines, profile)
    sections = find_sections(doc.lines)
    for i, match, rows in find_tables(lines, partial(is_kpi_header, profile=profile)):
        if i in skip:
            continue
        below = [cells_of(lines[j]) for j in rows]
        match = settle_names(resolve_guesses(match, below), below)
        missing = [k for k in ("metric_name", "value") if k not in match.columns]
        if missing:
            out.issues.append(
                Issue(
                    "unrecognised_table",
                    f"header {lines[i].strip()[:80]!r} names no {' or '.join(missing)} column"
                    f" and no column below plainly holds it; its {len(rows)} row(s) not read",
                    doc.name,
                    None,
                    i + 1,
                )
            )
            continue
        out.tables += 1
        place = _Place(doc.name, sections.at(i), table_heading(doc.lines, i), over.get(i, ""))
        columns = layout(match)
        for j in rows:
            _parse_row(lines[j], j + 1, columns, place, out, profile)
        if len(out.rows) > MAX_KPI_ROWS:  # junk shaped like tables: stop before reading it all
            raise too_many_rows(doc.name, len(out.rows), rows[-1] + 1)
    return out


def _period_cell(text: str) -> bool:
    return bool(text) and _PERIOD_HEAD.fullmatch(text) is not None


_PERIOD_HEAD = re.compile(
    r"(?i)(?:(?:q[1-4]|quarter\s*[1-4])\s*(?:(?:19|20)\d\d\s*[/-]\s*\d\d)?|"
    r"(?:19|20)\d\d\s*[/-]\s*\d\d\s*(?:q[1-4]|quarter\s*[1-4])?)"
)


def two_row_headers(lines: list[str], profile: Profile) -> tuple[list[str], dict[int, str]]:
    """A header printed on two rows, a period over the figures' columns ("Q2 2023/24" over
    Value | Target | Status), read as one: the lower row, with the upper row's words where it
    has none, is the header, and the period dates the table's figures. Returns the lines with
    such headers joined (numbering unchanged) and, per header line, the period it printed."""
    out, over = list(lines), {}
    for j in range(1, len(lines)):
        upper, lower = lines[j - 1], lines[j]
        if "\t" not in upper or "\t" not in lower:
            continue
        top = cells_of(upper)
        periods = [c for c in top if _period_cell(c)]
        if len(set(periods)) != 1 or any(
            c and not _period_cell(c) and parse_number(c) is not None for c in top
        ):
            continue
        bottom = cells_of(lower)
        width = max(len(top), len(bottom))
        top += [""] * (width - len(top))
        bottom += [""] * (width - len(bottom))
        joined = [b or ("" if _period_cell(a) else a) for a, b in zip(top, bottom, strict=True)]
        if is_kpi_header("\t".join(joined), profile) is None:
            continue
        out[j] = "\t".join(joined)
        over[j] = periods[0]
    return out, over
