"""Monitoring tables with history columns (older agenda packs): `Performance Indicator |
Frequency | Directorate | Good is | 2018/19 Performance | Q1 | Q2 | Current (Q3) Performance |
2020/21 Target`, in long form: one Row per indicator and period column.

Period headers are printed many ways (`Q4 2018-19`, `Q1 2019-18 (April-June)`, `Current
Performance (Q3)`); each becomes a label like `2019/20 Q1`, taking the financial year from
the header when it is a valid one and otherwise from the report's own period, never from
a hard-coded year. Indicators with no value in any period (placeholders such as "Annual
Report - schedule to be confirmed") are not emitted but reported as `no_values` Issues.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kpi_lib.readers.headers import HeaderMatch, best_label, join_split, match_header, screen
from kpi_lib.readers.headings import find_sections
from kpi_lib.readers.profile import DEFAULT
from kpi_lib.readers.rows import Extraction, Issue, Row
from kpi_lib.readers.text_tables import (
    EXTRA,
    MIN_FIT,
    Column,
    absorb_tails,
    align_cells,
    cells_of,
    claimed,
    could_be_header,
    find_tables,
)
from kpi_lib.readers.textdoc import TextDoc, strip_markup
from kpi_lib.values import collapse, headline_number, polarity, value_cell

HISTORY_HEADER: dict[str, tuple[str, ...]] = {
    "metric_name": tuple(
        dict.fromkeys(
            ("performance indicator", "indicator", "key performance indicator")
            + DEFAULT.vocab["metric_name"]
        )
    ),
    "frequency": ("frequency",),
    "directorate": ("directorate",),
    "good_is": tuple(dict.fromkeys(("good is",) + DEFAULT.vocab["good_is"])),
    "target": ("target", "annual target"),
    "rag": (
        "status",
        "rag status",
        "rag",
        "annual status",
        "rating",
        "rag rating",
        "performance against target",
        "status against target",
    ),
    "ref": tuple(DEFAULT.vocab["ref"]),
}
MIN_PERIOD_COLUMNS = 2  # without a frequency or directorate column: a table of periods
_ANNUAL = re.compile(r"(?i)^(?:annual|full year|year[\s-]end|(?:annual\s+)?outturn)$")
_YTD = re.compile(r"(?i)^(?:year to date|ytd|cumulative)$")
PERIOD = "period"
LATEST = "latest"  # a status column rating the latest figure printed in the row

_FY = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[/\-\u2013]\s*((?:19|20)?\d\d)(?!\d)")
_QUARTER = re.compile(r"(?i)(?:\bq\s*|\bquarter\s*)([1-4])\b")
_CURRENT = re.compile(r"(?i)\b(?:current|latest)\b")
_TAG = re.compile(r"<[^>]+>")
_REPORT_PERIOD = (
    re.compile(r"(?i)\b(?:quarter|q)\s*([1-4])\s*(?:of\s+)?((?:19|20)\d\d)\s*[/-]\s*(\d\d)\b"),
    re.compile(r"(?i)\b((?:19|20)\d\d)\s*[/-]\s*(\d\d)\s*(?:quarter|q)\s*([1-4])\b"),
)


def fy_label(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


def _valid_fy(text: str) -> int | None:
    """The start year of the first well-formed financial year in text (`2018/19`, `2018-19`);
    typos such as `2019-18` are not financial years."""
    for m in _FY.finditer(text):
        start, end = int(m.group(1)), int(m.group(2)[-2:])
        if end == (start + 1) % 100:
            return start
    return None


@dataclass(frozen=True)
class ReportPeriod:
    """The financial year (start year) and quarter a report describes."""

    fy: int
    quarter: int


def report_period(lines: list[str]) -> ReportPeriod | None:
    """The period the report's prose names most often ("Quarter 3 2019/20", "2022/23 Q2")."""
    seen: Counter[tuple[int, int]] = Counter()
    for line in lines:
        if "\t" in line:
            continue  # a table's column headers name other periods
        for m in _REPORT_PERIOD[0].finditer(line):
            start, end = int(m.group(2)), int(m.group(3))
            if end == (start + 1) % 100:
                seen[(start, int(m.group(1)))] += 1
        for m in _REPORT_PERIOD[1].finditer(line):
            start, end = int(m.group(1)), int(m.group(2))
            if end == (start + 1) % 100:
                seen[(start, int(m.group(3)))] += 1
    if not seen:
        return None
    (fy, q), _ = max(seen.items(), key=lambda kv: (kv[1], kv[0]))
    return ReportPeriod(fy, q)


def period_label(header: str, period: ReportPeriod | None) -> str | None:
    """`2018/19`, `2018/19 Q4`, `2019/20 Q1`... for a period column header, None if it is not one.

    A quarter without a valid year belongs to the report's year, or the year before when
    the quarter comes after the report's own quarter (a Q4 column in a Q3 report).
    """
    text = collapse(header)
    if period is not None and _ANNUAL.match(text):
        return fy_label(period.fy)
    if period is not None and _YTD.match(text):
        end = 3 * period.quarter + 3  # the report quarter's last month, counted from April
        return f"{period.fy}-04 to {period.fy + (end - 1) // 12}-{(end - 1) % 12 + 1:02d}"
    fy = _valid_fy(text)
    q = _QUARTER.search(text)
    if q:
        quarter = int(q.group(1))
        if fy is None and period is not None:
            fy = period.fy if quarter <= period.quarter else period.fy - 1
        return f"{fy_label(fy)} Q{quarter}" if fy is not None else f"Q{quarter}"
    if fy is not None:
        return fy_label(fy)
    if _CURRENT.search(text) and period is not None:
        return f"{fy_label(period.fy)} Q{period.quarter}"
    return None


def _fixed_part(header: str) -> str:
    """A header cell without years, quarters and brackets: `2020/21 Target` -> `Target`."""
    text = re.sub(r"\([^)]*\)", " ", collapse(header))
    text = _FY.sub(" ", text)
    text = _QUARTER.sub(" ", text)
    return collapse(text)


@dataclass
class HistoryLayout:
    columns: list[Column]
    periods: dict[str, str]  # column key -> period label
    target_fy: int | None
    status_of: str = ""  # the period column key the status column rates ("" when none is)
    skip_empty: bool = False  # a plain table of periods: an empty cell is no figure


def history_header(cells: list[str], period: ReportPeriod | None) -> HistoryLayout | None:
    """Recognise a history table header; None for any other table (e.g. a risk register)."""
    if not screen(cells, HISTORY_HEADER, 2):
        return None  # most lines: no header words, so no need to clean each cell
    fixed = [_fixed_part(c) for c in cells]
    match = match_header(fixed, HISTORY_HEADER, required=("metric_name",), min_columns=1)
    if match is None:
        return None
    lancashire = bool({"frequency", "directorate"} & match.columns.keys())
    if lancashire and len(match.columns) < 3:
        return None
    match = absorb_tails(match, fixed)
    spans = [(min(idx), key, idx) for key, idx in match.columns.items()]
    periods: dict[str, str] = {}
    extra = sorted(match.extra)
    k = 0
    while k < len(extra):
        i = extra[k]
        span, text = [i], cells[i]
        # a period header split over two cells: the second piece is a word's tail,
        # or neither piece is a period alone
        if k + 1 < len(extra) and extra[k + 1] == i + 1:
            nxt = cells[i + 1]
            joined = join_split([text, nxt])
            tail = text[-1:].isalpha() and nxt[:1].islower()
            neither = period_label(text, period) is None and period_label(nxt, period) is None
            if (tail or neither) and period_label(joined, period) is not None:
                span, text = [i, i + 1], joined
        label = period_label(text, period)
        key = EXTRA
        if label is not None:
            key = f"{PERIOD}{len(periods)}"
            periods[key] = label
        spans.append((i, key, span))
        k += len(span)
    if not periods or (not lancashire and len(periods) < MIN_PERIOD_COLUMNS):
        return None
    target_cells = match.columns.get("target", [])
    target_fy = _valid_fy(" ".join(cells[i] for i in target_cells))
    if target_fy is None and period is not None and any(_is_annual(cells[i]) for i in target_cells):
        target_fy = period.fy  # "Annual Target": this year's
    columns = [Column(key, len(idx)) for _, key, idx in sorted(spans)]
    status = _status_of(cells, match, periods, period)
    return HistoryLayout(columns, periods, target_fy, status, skip_empty=not lancashire)


def _is_annual(header: str) -> bool:
    return collapse(header).lower().split(" ")[0] in ("annual", "year")


def _status_of(
    cells: list[str], match: HeaderMatch, periods: dict[str, str], period: ReportPeriod | None
) -> str:
    """Which period column a status column rates: the one its header names ("Annual Status",
    "Q2 Status"); "latest" for a plain "Status" (the latest figure's)."""
    idx = match.columns.get("rag")
    if not idx:
        return ""
    head = collapse(" ".join(cells[i] for i in idx))
    named = head if _is_annual(head) else period_label(head, period)
    if _is_annual(head) and period is not None:
        named = fy_label(period.fy)
    for key, label in periods.items():
        if named and label == named:
            return key
    return LATEST


_FREQUENCY = {"f": ("quarterly", "annual", "annually", "monthly", "termly", "weekly", "biannual")}
_GOOD = {"g": ("high", "low", "on target", "other")}


def history_fit(key: str, text: str) -> float:
    if key == "metric_name":
        return 1.0 if sum(c.isalpha() for c in text) >= 3 else 0.0
    if key == "frequency":
        return 0.5 if not text else (1.0 if best_label(text, _FREQUENCY)[1] >= 0.7 else 0.1)
    if key == "good_is":
        if not text:
            return 0.5
        return (
            1.0 if polarity(text) in ("High", "Low") or best_label(text, _GOOD)[1] >= 0.7 else 0.4
        )
    if key == EXTRA:
        return 1.0 if not text else 0.3
    return 0.8 if text else 0.6


def _clean(text: str) -> str:
    """No markup ever leaves the reader: HTML fragments are reduced to their text."""
    return collapse(strip_markup(text)) if _TAG.search(text) else collapse(text)


def _document_period(lines: list[str]) -> ReportPeriod | None:
    """The report's own period; failing that, the year before its target year and the
    quarter of its current-performance column."""
    found = report_period(lines)
    if found is not None:
        return found
    for line in lines:
        cells = cells_of(line) if "\t" in line else []
        layout = history_header(cells, None) if could_be_header(cells) else None
        if layout is None or layout.target_fy is None:
            continue
        current = [c for c in cells if _CURRENT.search(c) and _QUARTER.search(c)]
        undated = [c for c in cells if _QUARTER.search(c) and _valid_fy(c) is None]
        quarters = [int(_QUARTER.search(c).group(1)) for c in current or undated]
        # targets are set for the year after the one being monitored
        return ReportPeriod(layout.target_fy - 1, max(quarters, default=4))
    return None


def _header_finder(lines: list[str]) -> tuple[Callable[[str], HistoryLayout | None], bool]:
    """A test for history-table header lines of this document, and whether its period is known."""
    period = _document_period(lines)

    def header_of(line: str) -> HistoryLayout | None:
        cells = cells_of(line) if "\t" in line else []
        return history_header(cells, period) if could_be_header(cells) else None

    return header_of, period is not None


def table_lines(lines: list[str]) -> set[int]:
    """Lines this reader reads (history headers and their rows), so nothing else is reported."""
    return claimed(find_tables(lines, _header_finder(lines)[0]))


def read(doc: TextDoc) -> Extraction:
    """Every indicator x period of every history table in `doc`."""
    out = Extraction(source_file=doc.name)
    lines = doc.lines
    header_of, dated = _header_finder(lines)
    sections = find_sections(lines)
    for i, layout, rows in find_tables(lines, header_of):
        out.tables += 1
        for j in rows:
            _emit(doc, lines[j], j + 1, layout, sections.at(i), out)
    if not dated and out.tables:
        out.issues.append(
            Issue("other", "report period not found: quarter columns have no year", doc.name)
        )
    return out


def _emit(
    doc: TextDoc, line: str, lineno: int, layout: HistoryLayout, section: str, out: Extraction
) -> None:
    cells = [_clean(c) for c in cells_of(line)]
    aligned = align_cells(cells, layout.columns, history_fit, required=("metric_name",))
    if aligned is None or aligned[1] < MIN_FIT or not aligned[0].get("metric_name"):
        out.issues.append(
            Issue(
                "unparsed_row",
                f"cells do not fit the header: {line.strip()[:120]!r}",
                doc.name,
                None,
                lineno,
            )
        )
        return
    got = aligned[0]
    metric = got["metric_name"]
    values = {key: got.get(key, "") for key in layout.periods}
    if all(headline_number(v) is None for v in values.values()):
        out.issues.append(
            Issue(
                "no_values",
                f"{metric!r} has no value in any period; not emitted",
                doc.name,
                None,
                lineno,
            )
        )
        return
    rated = layout.status_of
    if rated == LATEST:  # the status of the latest figure the row prints
        rated = next((k for k in reversed(layout.periods) if values[k]), "")
    status_cell = got.get("rag", "")
    rag = DEFAULT.status(status_cell) if rated else ""
    if rated and rag is None:
        out.issues.append(
            Issue(
                "unknown_glyph",
                f"unknown status {status_cell!r} for {metric!r}; status left empty",
                doc.name,
                None,
                lineno,
            )
        )
        rag = ""
    for key, label in layout.periods.items():
        if layout.skip_empty and not values[key]:
            continue
        out.rows.append(
            Row(
                metric_name=metric,
                section=section,
                ref=got.get("ref", ""),
                target_text=got.get("target", ""),
                good_is=got.get("good_is", ""),
                as_of_text=label,
                value=value_cell(values[key])[0],
                value_text=values[key],
                source_file=doc.name,
                source_line=lineno,
                reader="history",
                rag=rag if key == rated else "",
                rag_text=collapse(status_cell) if key == rated and rag else "",
                frequency=got.get("frequency", ""),
                directorate=got.get("directorate", ""),
                target_period=fy_label(layout.target_fy) if layout.target_fy else "",
            )
        )
