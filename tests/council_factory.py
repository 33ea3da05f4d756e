"""Other councils' performance reports, generated: each council its own vocabulary (header words,
status key), column order, optional reference and period columns, and format (tab-separated
text, markdown pipe tables, a ruled PDF). Every report comes with the rows it holds, so a test
can measure how many a reader gets exactly right."""

from __future__ import annotations

import csv
import io
import random
import textwrap
import zlib
from dataclasses import dataclass, field
from pathlib import Path

NAMES = {
    "metric_name": [
        "Performance Indicator",
        "Indicator",
        "KPI",
        "Measure",
        "Performance Measure",
        "Key Performance Indicator",
        "Indicator Name",
    ],
    "value": ["Actual", "Outturn", "Result", "Current Value", "Performance", "Value", "Latest"],
    "target": ["Target", "Annual Target", "Target Value"],
    "rag": [
        "Status",
        "RAG",
        "RAG Rating",
        "Rating",
        "Performance Status",
        "Performance against target",
    ],
    "ref": ["Ref", "Code", "KPI Ref", "Reference"],
    "as_of_text": ["Period", "Reporting Period", "As at"],
    "good_is": ["Good is", "Polarity", "Higher or lower is better", "Good performance is"],
}
# how a council prints each direction in its polarity column
POLARITY_WORDS = [
    ("High", "Low"),
    ("Higher is better", "Lower is better"),
    ("Bigger is better", "Smaller is better"),
    ("High is good", "Low is good"),
    ("Increase", "Decrease"),
]
STATUS_WORDS = {
    "Green": ["On target", "Target met", "Achieved", "Green", "G", "On track"],
    "Amber": ["Near target", "Within tolerance", "Amber", "A", "At risk"],
    "Red": [
        "Off target",
        "Target not met",
        "Not achieved",
        "Red",
        "R",
        "Behind target",
        "Off track",
    ],
    "": ["Data only", "No target"],
}
COUNCILS = [
    "Northbridge Borough Council",
    "Eastmoor District Council",
    "Riverford City Council",
    "Westvale Borough Council",
    "Hightown District Council",
]
SECTIONS = ["Resources", "Housing", "Environment", "Customer services", "Planning", "Leisure"]
MEASURES = [
    "Average working days lost to sickness per employee",
    "Percentage of invoices paid within 30 days",
    "Council tax collected in year",
    "Business rates collected in year",
    "Number of affordable homes delivered",
    "Average days to re-let council homes",
    "Percentage of household waste recycled",
    "Missed bin collections per 100,000",
    "Fly-tipping incidents cleared within 2 working days",
    "Major planning applications decided within 13 weeks",
    "Minor planning applications decided within 8 weeks",
    "Visits to leisure centres",
    "Calls answered within 60 seconds",
    "Complaints responded to within 10 working days",
    "Freedom of information requests answered on time",
    "Homelessness cases prevented",
    "Households in temporary accommodation",
    "Staff turnover rate",
    "Days to process new housing benefit claims",
    "Food hygiene inspections completed",
]


@dataclass
class Council:
    name: str
    columns: list[str]  # canonical keys in printed order
    header: dict[str, str]  # canonical key -> printed header
    statuses: dict[str, str]  # status -> printed word
    # "text" (tab-separated) | "csv" (a spreadsheet saved as CSV) | "layout" (columns laid out
    # with spaces, as `pdftotext -layout` prints a PDF) | "markdown" | "pdf" (ruled) |
    # "pdf_plain" (no cell borders)
    fmt: str
    seed: int
    polarity: dict[str, str] = field(default_factory=dict)  # High/Low -> printed words


@dataclass
class Report:
    council: Council
    quarter: str  # "2023/24 Q2"
    sections: list[tuple[str, list[dict[str, str]]]] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [r for _, rows in self.sections for r in rows]


def council(seed: int, fmt: str) -> Council:
    rnd = random.Random(seed)
    keys = ["metric_name", "value", "target", "rag"]
    rnd.shuffle(keys_tail := keys[1:])
    columns = ["metric_name", *keys_tail]
    if rnd.random() < 0.5:
        columns.insert(0, "ref")
    if rnd.random() < 0.4:
        columns.insert(columns.index("metric_name") + 1, "as_of_text")
    header = {k: rnd.choice(NAMES[k]) for k in columns}
    if header.get("ref") and header["metric_name"] == "KPI":
        header["metric_name"] = "Indicator"
    statuses = {s: rnd.choice(words) for s, words in STATUS_WORDS.items()}
    name = rnd.choice(COUNCILS)
    more = random.Random(seed * 104729 + 3)  # the draws above stay as they were
    polarity = {}
    if more.random() < 0.5:  # a polarity column after the name
        columns.insert(columns.index("metric_name") + 1, "good_is")
        header["good_is"] = more.choice(NAMES["good_is"])
        polarity = dict(zip(("High", "Low"), more.choice(POLARITY_WORDS), strict=True))
    return Council(name, columns, header, statuses, fmt, seed, polarity)


def _value(rnd: random.Random) -> tuple[str, str]:
    """(printed value, printed target) in one of the councils' usual forms."""
    kind = rnd.choice(["pct", "count", "days", "money"])
    if kind == "pct":
        v, t = rnd.uniform(40, 99.9), rnd.choice([50, 75, 90, 95, 97.5])
        return f"{v:.1f}%", f"{t:g}%"
    if kind == "count":
        v, t = rnd.randint(20, 250_000), rnd.choice([100, 500, 1_000, 120_000])
        return f"{v:,}", f"{t:,}"
    if kind == "days":
        return f"{rnd.uniform(2, 40):.2f}", f"{rnd.choice([5, 8.5, 10, 20]):g}"
    return f"£{rnd.randint(10, 900):,}k", f"£{rnd.choice([100, 500, 750]):,}k"


def report(c: Council, quarter: str = "2023/24 Q2") -> Report:
    rnd = random.Random(c.seed * 7919 + 1)
    out = Report(c, quarter)
    measures = rnd.sample(MEASURES, 12 + rnd.randint(0, 6))
    sections = rnd.sample(SECTIONS, 3)
    for k, section in enumerate(sections):
        rows = []
        for i, name in enumerate(measures[k::3]):
            value, target = _value(rnd)
            status = rnd.choice(["Green", "Green", "Amber", "Red", ""])
            rows.append(
                {
                    "ref": f"{section[:2].upper()}{k + 1}{i + 1:02d}",
                    "metric_name": name,
                    "value": value,
                    "target": "" if status == "" and rnd.random() < 0.5 else target,
                    "rag": status,
                    "rag_text": c.statuses[status],
                    "as_of_text": quarter,
                    "polarity": ("High", "Low")[zlib.crc32(name.encode()) % 2],
                }
            )
        out.sections.append((section, rows))
    return out


def _csv_lines(records: list[list[str]]) -> list[str]:
    """Rows as a spreadsheet saves them as CSV: quoted where a cell holds a comma or quote."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(records)
    return buf.getvalue().splitlines()


def _laid_out(heads: list[str], rows: list[list[str]], c: Council) -> list[str]:
    """Header and rows padded with spaces into columns: names and words left-aligned under
    their label, figures right-aligned at the column's right edge, 2-5 spaces between; in
    half the councils a long name wraps onto lines of its own under its column, as a PDF's
    narrow name column does when exported with `pdftotext -layout`."""
    rnd = random.Random(c.seed * 15485863 + 11)
    name = c.columns.index("metric_name")
    wrap = rnd.choice([None, 24, 30])
    lines_of = [textwrap.wrap(r[name], wrap) if wrap else [r[name]] for r in rows]
    cols = list(zip(heads, *rows, strict=True))
    widths = [max(len(x) for x in col) for col in cols]
    if wrap:
        widths[name] = max(len(heads[name]), *(len(x) for ls in lines_of for x in ls))
    gaps = [rnd.randint(2, 5) for _ in heads]
    right = [k in ("value", "target") for k in c.columns]

    def line(cells: list[str], head: bool) -> str:
        parts = [
            (x.rjust(w) if r and not head else x.ljust(w)) + " " * g
            for x, w, g, r in zip(cells, widths, gaps, right, strict=True)
        ]
        return "".join(parts).rstrip()

    out = [line(heads, True)]
    for r, parts in zip(rows, lines_of, strict=True):
        out.append(line([parts[0] if k == name else x for k, x in enumerate(r)], False))
        out += [line([p if k == name else "" for k in range(len(r))], False) for p in parts[1:]]
    return out


def _cell(row: dict[str, str], key: str, c: Council | None = None) -> str:
    if key == "good_is":
        return c.polarity[row["polarity"]] if c else row["polarity"]
    return row["rag_text"] if key == "rag" else row[key]


def text(r: Report) -> str:
    """The report as a tab-separated text export, or markdown with pipe tables."""
    c = r.council
    md = c.fmt == "markdown"
    lines = [f"{'# ' if md else ''}{c.name}", "", f"Quarterly performance report, {r.quarter}", ""]
    heads = [c.header[k] for k in c.columns]
    for section, rows in r.sections:
        lines += [f"{'## ' if md else ''}{section}", ""]
        if md:
            lines.append("| " + " | ".join(heads) + " |")
            lines.append("|" + "|".join("---" for _ in heads) + "|")
            lines += ["| " + " | ".join(_cell(row, k, c) for k in c.columns) + " |" for row in rows]
        elif c.fmt == "csv":
            lines += _csv_lines([heads] + [[_cell(row, k, c) for k in c.columns] for row in rows])
        elif c.fmt == "layout":
            lines += _laid_out(heads, [[_cell(row, k, c) for k in c.columns] for row in rows], c)
        else:
            lines.append("\t".join(heads))
            lines += ["\t".join(_cell(row, k, c) for k in c.columns) for row in rows]
        lines += ["", f"Commentary: performance in {section.lower()} is being reviewed.", ""]
    return "\n".join(lines) + "\n"


# what councils print under a table: a labelled note or a paragraph of prose
PROSE_UNDER = [
    "Commentary: under review.",
    "Note: figures for this quarter are provisional.",
    "Comments: see the service's own report for detail.",
    "Update: two indicators are new this year.",
    "All figures are provisional until year end.",
    "Performance across the service remains broadly in line with the same quarter last year, "
    "with the exceptions explained in the commentary that follows this table.",
]


def _prose_under(c: Council, section: str) -> str:
    return PROSE_UNDER[zlib.crc32(f"{c.name}|{section}".encode()) % len(PROSE_UNDER)]


def pdf(r: Report, out: Path) -> Path:
    """The report as a PDF printed from the council's web page: ruled tables, one per section."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    c = r.council
    styles = getSampleStyleSheet()
    story = [Paragraph(c.name, styles["Title"]), Paragraph(f"Performance report, {r.quarter}")]
    for section, rows in r.sections:
        story += [Spacer(1, 10), Paragraph(section, styles["Heading2"])]
        cell = styles["BodyText"]
        bold = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
        # a long label wraps in its cell, as a browser prints it, rather than take the page
        data = [[Paragraph(c.header[k], bold) for k in c.columns]]
        for row in rows:
            data.append([Paragraph(_cell(row, k, c), cell) for k in c.columns])
        table = Table(data, repeatRows=1)
        style = [
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if c.fmt == "pdf":  # "pdf_plain": a web page printed without cell borders
            style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        table.setStyle(TableStyle(style))
        story += [table, Spacer(1, 6), Paragraph(_prose_under(c, section), cell)]
    doc = SimpleDocTemplate(str(out), pagesize=A4, invariant=1)
    doc.build(story)
    return out


QUARTER_STATUS = ["Status", "RAG", "Q2 Status", "Rating", "Performance against target"]
QUARTER_TARGET = ["Annual Target", "Target", "Target 2023/24"]


def quarters(r: Report, seed: int) -> tuple[str, list[dict[str, str]]]:
    """The report as a table of quarter columns (Q1 | Q2 | Q3 | Q4 | Annual | Annual Target |
    Status) with the later quarters empty, and the rows it holds in long form: one per quarter
    printed, the status on the quarter it rates."""
    rnd = random.Random(seed)
    c = r.council
    q_heads = rnd.choice([["Q1", "Q2", "Q3", "Q4"], ["Q1 2023/24", "Q2 2023/24"]])
    annual = rnd.random() < 0.5
    target_head, status_head = rnd.choice(QUARTER_TARGET), rnd.choice(QUARTER_STATUS)
    ref = "ref" in c.columns  # printed before the name, as the council's other tables do
    heads = [*([c.header["ref"]] if ref else []), c.header["metric_name"], *q_heads]
    heads += ["Annual"] if annual else []
    heads += [target_head, status_head]
    lines = [c.name, "", f"Quarterly performance report, {r.quarter}", ""]
    want = []
    for section, rows in r.sections:
        lines += [section, "", "\t".join(heads)]
        for row in rows:
            q1, _ = _value(rnd)
            q1 = q1 if not q1.startswith("£") else "12.5"
            cells = [*([row["ref"]] if ref else []), row["metric_name"], q1, row["value"]]
            cells += [""] * (len(q_heads) - 2)
            cells += [""] * annual + [row["target"], row["rag_text"]]
            lines.append("\t".join(cells))
            for label, value in (("2023/24 Q1", q1), ("2023/24 Q2", row["value"])):
                rag = row["rag"] if label.endswith("Q2") else ""
                want.append(
                    {**row, "as_of_text": label, "value": value, "rag": rag, "has_ref": ref}
                )
        lines += ["", "Commentary under review.", ""]
    return "\n".join(lines) + "\n", want


def two_rows(r: Report, metric_above: bool) -> str:
    """The report with each table's header on two rows: the quarter printed over the figures'
    columns, the metric's name in the upper row or the lower one."""
    c = r.council
    cols = [k for k in c.columns if k != "as_of_text"]
    lines = [c.name, "", f"Quarterly performance report, {r.quarter}", ""]
    for section, rows in r.sections:
        upper = [
            r.quarter
            if k == "value"
            else (c.header[k] if metric_above and k == "metric_name" else "")
            for k in cols
        ]
        lower = ["" if metric_above and k == "metric_name" else c.header[k] for k in cols]
        lines += [section, "", "\t".join(upper), "\t".join(lower)]
        lines += ["\t".join(_cell(row, k, c) for k in cols) for row in rows]
        lines += ["", "Commentary under review.", ""]
    return "\n".join(lines) + "\n"


def write(r: Report, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"council_{r.council.seed}"
    if r.council.fmt.startswith("pdf"):
        return pdf(r, folder / f"{stem}.pdf")
    suffix = {"markdown": ".md", "csv": ".csv"}.get(r.council.fmt, ".txt")
    path = folder / f"{stem}{suffix}"
    path.write_text(text(r), encoding="utf-8")
    return path
