"""The contract between readers and everything downstream: one extracted row per KPI data row."""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pandas costs more to import than a short `kpi extract` takes to read
    import pandas as pd

COLUMNS: list[str] = [
    "section",
    "heading",
    "ref",
    "metric_name",
    "target_text",
    "good_is",
    "as_of_text",
    "value",
    "value_text",
    "rag",
    "source_file",
    "source_page",
    "source_line",
    "frequency",
    "directorate",
    "reader",
    "rag_text",
    "target_period",
]


@dataclass
class Row:
    """One KPI data row as printed, plus where it came from.

    `value` is the headline number or None; `rag` is Green/Amber/Red or "".
    `source_page` is 1-based for PDFs and None for text; `source_line` is the
    1-based line in a text file (or the line within the page for PDFs).
    """

    metric_name: str
    section: str = ""
    heading: str = ""
    ref: str = ""
    target_text: str = ""
    good_is: str = ""
    as_of_text: str = ""
    value: float | None = None
    value_text: str = ""
    rag: str = ""
    source_file: str = ""
    source_page: int | None = None
    source_line: int | None = None
    reader: str = ""
    # history tables print how often an indicator is reported and who owns it
    frequency: str = ""
    directorate: str = ""
    # the RAG cell as printed ("~", "✓", "Amber"), so a status read from an OCR look-alike
    # can be marked as such; "" where the status came from a cell's colour
    rag_text: str = ""
    # the year a table's target column is headed with ("2020/21 Target"): a target set for that
    # year, not necessarily the one the row's figures had to meet
    target_period: str = ""
    # narrative rows: the figure each catalogue unit would choose ("unit|point" or
    # "unit|cumulative" -> value, value_text, as_of_text, source_line; "" -> no figure), for
    # the store to settle by the catalogue, which readers never read. Not a column.
    figures: dict[str, dict] = field(default_factory=dict)
    # the table prints no as-of column: its figures are for the report's own quarter, which
    # the store dates them with (a blank cell under an as-of header stays undated). Not a
    # column.
    undated: bool = False


@dataclass
class Issue:
    """A warning about input we could not fully use; never silently dropped."""

    kind: str  # unknown_glyph | unparsed_row | unparsed_cell | other
    message: str
    source_file: str = ""
    source_page: int | None = None
    source_line: int | None = None

    def __str__(self) -> str:
        where = [self.source_file or "?"]
        if self.source_page is not None:
            where.append(f"page {self.source_page}")
        if self.source_line is not None:
            where.append(f"line {self.source_line}")
        return f"{': '.join(where)}: {self.kind}: {self.message}"


@dataclass
class Extraction:
    """What a reader found in one document."""

    source_file: str
    rows: list[Row] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    tables: int = 0
    pages: int | None = None

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        df = pd.DataFrame([asdict(r) for r in self.rows], columns=COLUMNS)
        df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
        for col in ("source_page", "source_line"):
            df[col] = pd.array(df[col], dtype="Int64")
        return df

    def issues_frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = ["kind", "message", "source_file", "source_page", "source_line"]
        return pd.DataFrame([asdict(i) for i in self.issues], columns=cols)

    def write_csv(self, out: TextIO, drop: tuple[str, ...] = ()) -> None:
        """The rows as `frame().drop(columns=drop).to_csv(out, index=False)` writes them, byte
        for byte, without pandas: what `kpi extract` prints."""
        cols = [c for c in COLUMNS if c not in drop]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for row in self.rows:
            record = asdict(row)
            writer.writerow([_csv_cell(record[c], c == "value") for c in cols])


def _csv_cell(v: object, number: bool = False) -> object:
    """A cell as pandas writes it: missing and NaN empty, floats (the value column is float64
    in frame()) by repr."""
    if number and v is not None:
        v = float(v)  # type: ignore[arg-type]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return repr(v) if isinstance(v, float) else v


@dataclass
class FileResult:
    """Everything read from one file that does not depend on any other file."""

    sha256: str
    bytes: int
    pdf: bool
    rows: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    tables: int = 0
    pages: int | None = None
    period: str = ""  # the quarter the document names itself ("" if it does not)
    title: str = ""  # its first heading
    headline: dict[str, Any] | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    # how many KPIs the report says it covers ({count, source_line, text}), None if unsaid
    covered: dict[str, Any] | None = None
    # sections with commentary but no KPI table ({heading, source_page, source_line, figure})
    untabled: list[dict[str, Any]] = field(default_factory=list)
    # the amber rule its status key prints ({amber_within, source_line, text}), None if none
    key: dict[str, Any] | None = None
