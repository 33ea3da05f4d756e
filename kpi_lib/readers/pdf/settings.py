"""Every tunable of the PDF reader in one place, with defaults that suit Word-exported reports.

Like pdfplumber's TableSettings: an explicit dataclass, so a caller (or the debug view) can see
and change what the reader assumes instead of hunting for constants.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any

from kpi_lib.readers.profile import DEFAULT as DEFAULT_PROFILE
from kpi_lib.readers.profile import Profile


@dataclass(frozen=True)
class PdfSettings:
    # -- pdfplumber table finding: ruled tables only, as Word draws them --------------------
    vertical_strategy: str = "lines"
    horizontal_strategy: str = "lines"
    snap_tolerance: float = 3.0
    join_tolerance: float = 3.0
    edge_min_length: float = 3.0
    intersection_tolerance: float = 3.0
    text_x_tolerance: float = 3.0
    text_y_tolerance: float = 3.0

    # -- which pages are worth pdfplumber's time --------------------------------------------
    # A ruled table needs drawn paths at least this tall and this wide (pt); pages without
    # any (prose, scans) skip pdfplumber and are read from pypdfium2's text objects alone.
    min_rule_extent: float = 8.0
    # ... drawn as a stroked path, or a filled one at most this thin (pt): a filled cell or a
    # shaded row is no rule, so a table with fills but no lines does not cost pdfplumber's time
    max_rule_width: float = 2.5

    # -- running headers and footers --------------------------------------------------------
    top_margin: float = 0.035  # share of the page height: text above this is page furniture
    bottom_margin: float = 0.035
    running_share: float = 0.5  # text at the same y on at least this share of pages is furniture
    running_y_tolerance: float = 2.0  # pt

    # -- headings ---------------------------------------------------------------------------
    heading_size_ratio: float = 1.2  # a regular-weight line this much above body size is a heading
    section_size_gap: float = 1.0  # pt above the KPI-heading size makes a section heading
    heading_max_chars: int = 160
    heading_join_gap: float = 1.6  # heading lines closer than this many font sizes join up

    # -- tables -----------------------------------------------------------------------------
    header_rows: int = 2  # the KPI header is looked for in the first n rows of a table
    column_tolerance: float = 3.0  # pt: same column boundaries => same layout (continuation)
    # a cell line whose one word ends within this many font sizes of the right edge (beyond
    # the cell's left padding) was a word too long for the column, split mid-word
    split_word_slack: float = 0.8
    # a continuation's first row is the rest of the row split at the page break when each of
    # its filled cells continues a cell of that row ending this many font sizes (or less)
    # above the row's bottom; see pdf.tables.split_row_rest
    split_row_reach: float = 0.6
    split_row_space: float = 0.4  # font sizes allowed for the blank before a word that fits
    # the document keeps the blank at a line break (LibreOffice, some Word exports) when at
    # least this share of wrapped cell lines end with one; then a line ending in a hyphen
    # and no blank was broken inside a word, whatever stands before the hyphen
    blank_breaks_share: float = 0.5

    # -- tables without rules (pdf.words): found by words aligned under a KPI header ----------
    column_gap: float = 0.6  # font sizes: a wider gap between words on a line parts two cells
    row_gap_min: float = 1.0  # pt beyond a wrapped cell's line pitch that starts a new row
    word_margin: float = 0.03  # share of the page height at top and bottom never read as a table
    table_max_gap: float = 3.0  # font sizes between baselines that no table row leaves
    scan_render_scale: float = 0.5  # scanned pages are rendered at 72 dpi x this for RAG colours
    min_colour_share: float = 0.3  # share of a cell's pixels that must be coloured to count

    # -- RAG by fill colour -----------------------------------------------------------------
    rag_hues: tuple[tuple[str, float], ...] = (("Red", 0.0), ("Amber", 42.0), ("Green", 120.0))
    rag_hue_tolerance: float = 45.0  # degrees; further from every RAG hue -> unknown colour
    min_fill_saturation: float = 0.15  # paler fills (white, grey) are no colour at all
    min_fill_value: float = 0.2  # darker fills (black) likewise
    min_fill_cover: float = 0.5  # a fill must cover this share of the cell

    # -- speed (not part of the cache key: results never depend on them) --------------------
    workers: int | None = None  # None: min(cpu count, max_workers)
    max_workers: int = 4
    parallel_min_pages: int = 24  # fewer pages: one process (start-up costs more than it saves)
    chunk_pages: int = 16

    # -- the council's words over its columns and in its status column ----------------------
    profile: Profile = DEFAULT_PROFILE

    def table_settings(self) -> dict[str, Any]:
        """The pdfplumber TableSettings dict for page.find_tables."""
        return {
            "vertical_strategy": self.vertical_strategy,
            "horizontal_strategy": self.horizontal_strategy,
            "snap_tolerance": self.snap_tolerance,
            "join_tolerance": self.join_tolerance,
            "edge_min_length": self.edge_min_length,
            "intersection_tolerance": self.intersection_tolerance,
        }

    def fingerprint(self) -> str:
        """A short hash of every setting that can change the extracted rows."""
        speed = {"workers", "max_workers", "parallel_min_pages", "chunk_pages", "profile"}
        relevant = {f.name: v for f, v in zip(fields(self), asdict(self).values(), strict=True)}
        if self.profile != DEFAULT_PROFILE:  # the council's own words
            relevant["profile"] = self.profile.fingerprint()
            speed.discard("profile")
        text = repr(sorted((k, v) for k, v in relevant.items() if k not in speed))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


DEFAULT = PdfSettings()
