"""Build realistic Corporate Performance Report PDFs from gold rows, the way Word exports them.

Councils publish the report as a PDF exported from Word: ruled tables, bold headings, a running
header and a "Page N of M" footer, RAG shown as an icon glyph in a coloured cell. The PDF reader
is tested against PDFs built here from the hand-checked gold rows, with `Layout` varying the
things real reports vary (fonts, column order, a Ref column, no Trends column, OCR-like noise in
the header, RAG by fill colour only, a table broken over a page). Output is deterministic
(reportlab invariant mode), so a PDF built twice is byte-identical. PDFs are built into tmp
dirs by fixtures and never committed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLD_2022_Q2 = FIXTURES / "2022-23_Q2_kpis.csv"

MARGIN = 15 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
HEADING_HEIGHT = 30.0  # KPI heading: 15pt leading + 10 before + 5 after
RUNNING_HEADER = "Corporate Performance Report \u2013 Q2 2022/23"
KPI_COLUMNS = (
    "Target",
    "Good Is",
    "As of Date",
    "Metric Name",
    "Latest Value",
    "RAG Status",
    "Trends",
)
# Header texts as a noisy OCR/Word round trip might leave them.
NOISY_HEADER = {
    "Ref": "Ref.",
    "Target": "Targt",
    "Good Is": "Good ls",
    "As of Date": "As of Dale",
    "Metric Name": "Metrio Name",
    "Latest Value": "Latest Va1ue",
    "RAG Status": "RAG Staus",
    "Trends": "Trerds",
}
COLUMN_WIDTH_MM = {
    "Ref": 14,
    "Target": 31,
    "Good Is": 20,
    "As of Date": 17,
    "Latest Value": 24,
    "RAG Status": 15,
    "Trends": 18,
}
GLYPHS = {"Green": "\u2713", "Amber": "!", "Red": "\u2717"}
PALETTES = {
    # Word's standard colours, and the pale conditional-format fills of Excel dashboards.
    "word": {"Green": "#00B050", "Amber": "#FFC000", "Red": "#FF0000"},
    "light": {"Green": "#C6EFCE", "Amber": "#FFEB9C", "Red": "#FFC7CE"},
}
HEADER_FILL = "#D9E2F3"
TURNOVER_ROWS = (
    ("Directorate", "Starters", "Leavers", "Turnover %"),
    ("Adult Services", "118", "97", "8.4"),
    ("Education and Children's Services", "204", "188", "9.1"),
    ("Growth, Environment, Transport and Community Services", "87", "79", "7.7"),
    ("Resources", "64", "71", "10.2"),
)
LEGEND = (
    ("Green", "Achieving the target/expected level of performance"),
    ("Amber", "Slightly below desired level"),
    ("Red", "Requires improvement"),
)

# Font search: the system's DejaVu, else the copy matplotlib ships (a dependency of seaborn).
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/Library/Fonts"),
)
_STANDARD_FAMILIES = {
    "Helvetica": ("Helvetica", "Helvetica-Bold"),
    "Times": ("Times-Roman", "Times-Bold"),
}


@dataclass(frozen=True)
class Layout:
    """What varies between councils' Word templates."""

    body_font: str = "DejaVuSans"  # "DejaVuSans", "DejaVuSerif", "Helvetica" or "Times"
    columns: tuple[str, ...] = KPI_COLUMNS  # order as printed; leave "Trends" out to drop it
    ref_column: bool = False  # prepend a Ref column with codes like DBS001
    header_noise: bool = False  # header words as in NOISY_HEADER
    fill_only_every: int = 4  # every n-th rated row shows its RAG by fill colour only
    glyph_fill: bool = True  # glyph cells are coloured too (as in the published reports)
    palette: str = "word"
    break_table: int = 1  # the n-th KPI table of 3+ rows is forced across a page break (-1: none)
    repeat_header: bool = True  # header row repeated on the continuation page
    metric_width_mm: float = 41.0  # narrow, so metric names wrap
    hyphen_break: str = "face-to-face"  # printed as "face-to-" / "face" over two lines
    turnover_table: bool = True  # a ruled non-KPI table that must not be emitted
    legend: bool = True  # RAG glyphs outside any table that must not be emitted
    sparklines: bool = True  # a tiny trend image in the Trends cell
    repeat: int = 1  # repeat the report body (bench: a long report)
    narrative_pages: int = 0  # pages of prose without tables after each section intro
    title: str = "Corporate Performance Report"
    odd_glyph: str = ""  # printed instead of the first rated row's glyph: an unknown glyph
    odd_fill: str = ""  # hex fill of the first colour-only row instead of its RAG colour
    image_page: bool = False  # a page holding only a picture (a scan pasted into the report)
    commentary_bullets: int = 0  # "Actions:" as this many wrapped bullet points, not a paragraph
    rules: bool = True  # KPI tables ruled; False: no lines at all, a shaded header row only


@dataclass
class BuiltReport:
    """The PDF and what was put where, so tests can check specific features."""

    path: Path
    rows: list[dict[str, str]]  # gold rows in print order (repeated when Layout.repeat > 1)
    fill_only: set[str] = field(default_factory=set)  # metric names with RAG by colour only
    broken_heading: str = ""  # heading of the table forced across a page break
    hyphenated: set[str] = field(default_factory=set)  # metric names with a forced "-" wrap
    odd_glyph_metric: str = ""  # the row printed with Layout.odd_glyph
    odd_fill_metric: str = ""  # the row filled with Layout.odd_fill
    pages: int = 0
    # commentary printed after each KPI table, in print order: (heading, label, text) with one
    # line per paragraph or bullet, as a reader should give it back
    commentary: list[tuple[str, str, str]] = field(default_factory=list)


def load_gold(path: Path = GOLD_2022_Q2) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def find_font(filename: str) -> Path | None:
    """A TTF file by name from the usual places, or None."""
    dirs: list[Path] = list(_FONT_DIRS)
    try:
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib comes with seaborn
        pass
    for d in dirs:
        if (d / filename).is_file():
            return d / filename
    return None


def _register_ttf(name: str) -> bool:
    if name in pdfmetrics.getRegisteredFontNames():
        return True
    path = find_font(f"{name}.ttf")
    if path is None:
        return False
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return True


def glyph_font() -> str:
    """A font with ✓ and ✗; the tests cannot show RAG icons without one."""
    for name in ("DejaVuSans", "DejaVuSerif"):
        if _register_ttf(name):
            return name
    raise RuntimeError("no TTF font with \u2713/\u2717 found (install fonts-dejavu)")


def fonts(layout: Layout) -> tuple[str, str]:
    """(regular, bold) font names for the body, registering TTFs when needed."""
    if layout.body_font in _STANDARD_FAMILIES:
        return _STANDARD_FAMILIES[layout.body_font]
    regular, bold = layout.body_font, f"{layout.body_font}-Bold"
    if _register_ttf(regular) and _register_ttf(bold):
        return regular, bold
    return _STANDARD_FAMILIES["Helvetica"]


class _NumberedCanvas(rl_canvas.Canvas):
    """Draws the running header and "Page N of M" once the page count is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's API
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            width, height = self._pagesize
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.HexColor("#595959"))
            self.drawString(MARGIN, height - 11 * mm, RUNNING_HEADER)
            self.drawRightString(width - MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


class _LeaveRoom(Flowable):
    """Fills the frame so that only `keep` points remain: the next table must split."""

    def __init__(self, keep: float):
        super().__init__()
        self.keep = keep
        self._height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._height = max(0.0, avail_height - self.keep)
        return avail_width, self._height

    def draw(self) -> None:
        pass


def _styles(layout: Layout) -> dict[str, ParagraphStyle]:
    regular, bold = fonts(layout)
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=24, leading=30, spaceAfter=12),
        "subtitle": ParagraphStyle("subtitle", fontName=bold, fontSize=14, leading=18),
        "section": ParagraphStyle(
            "section", fontName=bold, fontSize=16, leading=20, spaceBefore=10, spaceAfter=6
        ),
        "kpi": ParagraphStyle(
            "kpi", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=5
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=13, spaceAfter=4),
        "label": ParagraphStyle(
            "label", fontName=bold, fontSize=10, leading=13, spaceBefore=4, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10),
        "bullet": ParagraphStyle(
            "bullet",
            fontName=regular,
            fontSize=10,
            leading=13,
            spaceAfter=2,
            leftIndent=14,
            bulletIndent=3,
        ),
        "head": ParagraphStyle("head", fontName=bold, fontSize=8, leading=10),
        "glyph": ParagraphStyle(
            "glyph", fontName=glyph_font(), fontSize=10, leading=12, alignment=1
        ),
    }


def _sparkline(seed: int) -> Image:
    """A small trend picture, as Word exports the dashboard's sparkline."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    img = PILImage.new("RGB", (60, 16), "white")
    draw = ImageDraw.Draw(img)
    points = [(x * 10, 2 + (seed * 7 + x * x * 3) % 12) for x in range(7)]
    draw.line(points, fill=(31, 78, 121), width=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return Image(buf, width=15 * mm, height=4 * mm)


def value_text(value: str, metric: str, index: int) -> str:
    """The value as the report prints it: separators and two decimals, or as stored."""
    try:
        number = float(value)
    except ValueError:
        return value  # not a number: printed as given
    style = index % 3
    if style == 0:
        text = f"{number:,.2f}"
    elif style == 1:
        text = f"{number:.2f}"
    else:
        text = value
    return ("£" + text) if metric.startswith("£") and index % 2 else text


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _columns(layout: Layout) -> list[str]:
    cols = list(layout.columns)
    return ["Ref", *cols] if layout.ref_column else cols


def _kpi_table(
    rows: list[dict[str, str]],
    layout: Layout,
    st: dict[str, ParagraphStyle],
    counter: list[int],
    built: BuiltReport,
    ref_prefix: str,
) -> Table:
    cols = _columns(layout)
    header = [_p(NOISY_HEADER[c] if layout.header_noise else c, st["head"]) for c in cols]
    data: list[list[object]] = [header]
    printed: dict[str, list[str]] = {}  # cell texts per column, for the column widths
    style: list[tuple] = [
        *([("GRID", (0, 0), (-1, -1), 0.5, colors.black)] if layout.rules else []),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_FILL)),
    ]
    for r_i, row in enumerate(rows, start=1):
        index = counter[0]
        counter[0] += 1
        metric = row["metric_name"]
        metric_markup = escape(metric)
        if layout.hyphen_break and layout.hyphen_break in metric:
            head, _, tail = layout.hyphen_break.rpartition("-")
            metric_markup = metric_markup.replace(layout.hyphen_break, f"{head}-<br/>{tail}", 1)
            built.hyphenated.add(metric)
        rag = row["rag"]
        fill_only = bool(rag) and layout.fill_only_every > 0 and index % layout.fill_only_every == 1
        glyph = GLYPHS.get(rag, "")
        if layout.odd_glyph and rag and not fill_only and not built.odd_glyph_metric:
            glyph, built.odd_glyph_metric = layout.odd_glyph, metric
        fill = PALETTES[layout.palette].get(rag, "")
        if layout.odd_fill and fill_only and not built.odd_fill_metric:
            fill, built.odd_fill_metric = layout.odd_fill, metric
        texts = {
            "Ref": f"{ref_prefix}{index:03d}",
            "Target": row["target_text"],
            "Good Is": row["good_is"],
            "As of Date": row["as_of_text"],
            "Latest Value": value_text(row["value"], metric, index),
        }
        for c, text in texts.items():
            printed.setdefault(c, []).append(text)
        printed.setdefault("Metric Name", []).append(metric)
        cells = {
            **{c: _p(text, st["cell"]) for c, text in texts.items()},
            "Metric Name": Paragraph(metric_markup, st["cell"]),
            "RAG Status": "" if fill_only or not rag else _p(glyph, st["glyph"]),
            "Trends": _sparkline(index) if layout.sparklines and row["value"] else "",
        }
        data.append([cells[c] for c in cols])
        if rag and (fill_only or layout.glyph_fill):
            c_i = cols.index("RAG Status")
            style.append(("BACKGROUND", (c_i, r_i), (c_i, r_i), colors.HexColor(fill)))
        if fill_only:
            built.fill_only.add(metric)
    widths = [
        _autofit(
            layout.metric_width_mm * mm if c == "Metric Name" else COLUMN_WIDTH_MM[c] * mm,
            printed.get(c, []),
            st["cell"].fontName,
        )
        for c in cols
    ]
    return Table(
        data,
        colWidths=widths,
        repeatRows=1 if layout.repeat_header else 0,
        style=TableStyle(style),
        hAlign="LEFT",
    )


def _autofit(width: float, texts: list[str], font: str, size: float = 8) -> float:
    """Widen a column to its longest word, as Word's AutoFit does, so no word is split."""
    longest = max((stringWidth(w, font, size) for t in texts for w in t.split()), default=0.0)
    return max(width, longest + 13)


def _turnover_table(st: dict[str, ParagraphStyle]) -> Table:
    data = [
        [_p(c, st["head"] if i == 0 else st["cell"]) for c in row]
        for i, row in enumerate(TURNOVER_ROWS)
    ]
    return Table(
        data,
        colWidths=[70 * mm, 25 * mm, 25 * mm, 25 * mm],
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_FILL)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
        hAlign="LEFT",
    )


def _commentary(
    rows: list[dict[str, str]],
    st: dict[str, ParagraphStyle],
    layout: Layout = Layout(),
    built: BuiltReport | None = None,
    heading: str = "",
) -> list[Flowable]:
    first = rows[0]
    issues = (
        f"Performance for {first['metric_name'].lower()} is reported against a target of "
        f"{first['target_text'] or 'no set level'}; the latest position is described in the "
        "dashboard with the trend over time and comparison with statistical neighbours."
    )
    out = [_p("Issues:", st["label"]), _p(issues, st["body"]), _p("Actions:", st["label"])]
    if layout.commentary_bullets:
        actions = [
            f"Action {n}: the service will review {first['metric_name'].lower()} with the "
            "performance team and report any change to the next quarterly meeting."
            for n in range(1, layout.commentary_bullets + 1)
        ]
        out += [Paragraph(escape(a), st["bullet"], bulletText="\u2022") for a in actions]
    else:
        actions = [
            "Service managers will continue to review the indicator monthly and report any "
            "change in the position to the next quarterly meeting."
        ]
        out.append(_p(actions[0], st["body"]))
    if built is not None:
        built.commentary += [(heading, "Issues", issues), (heading, "Actions", "\n".join(actions))]
    return out


def _narrative_page(section: str, n: int, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    sentence = (
        f"The {section.lower()} priority brings together services whose performance is "
        "monitored through the corporate dashboard, with benchmarks drawn from national and "
        "regional comparators and commentary agreed with each directorate. "
    )
    out: list[Flowable] = [_p(f"Context {n}", st["label"])]
    out += [_p(sentence * 3, st["body"]) for _ in range(9)]
    out.append(PageBreak())
    return out


def _groups(rows: list[dict[str, str]]) -> list[tuple[str, str, list[dict[str, str]]]]:
    """Consecutive rows sharing section and heading: one KPI table each."""
    out: list[tuple[str, str, list[dict[str, str]]]] = []
    for row in rows:
        if out and out[-1][0] == row["section"] and out[-1][1] == row["heading"]:
            out[-1][2].append(row)
        else:
            out.append((row["section"], row["heading"], [row]))
    return out


def _story(gold: list[dict[str, str]], layout: Layout, built: BuiltReport) -> list[Flowable]:
    st = _styles(layout)
    story: list[Flowable] = [
        Spacer(1, 60 * mm),
        _p(layout.title, st["title"]),
        _p("KPI commentary", st["subtitle"]),
        _p("2022/23 Quarter 2", st["subtitle"]),
        PageBreak(),
        _p("Introduction", st["section"]),
        _p(
            "This Quarter 2 2022/23 report provides commentary on the Key Performance "
            "Indicators included in the Corporate Performance Dashboard. It is presented in "
            "four sections aligned with the priorities of the council.",
            st["body"],
        ),
    ]
    if layout.legend:
        story.append(
            _p(
                "Throughout the report the rating (RAG status) for each KPI is shown as:",
                st["body"],
            )
        )
        glyph = st["glyph"].fontName
        for rag, text in LEGEND:
            story.append(
                Paragraph(f'<font name="{glyph}">{GLYPHS[rag]}</font>  {escape(text)}', st["body"])
            )
    story.append(PageBreak())
    if layout.image_page:
        story += [_scan_image(170 * mm, 230 * mm), PageBreak()]
    counter = [0]
    long_tables = 0
    for rep in range(layout.repeat):
        section = None
        for g_i, (sec, heading, rows) in enumerate(_groups(gold)):
            if sec != section:
                section = sec
                story.append(_p(sec, st["section"]))
                story.append(
                    _p(
                        "This section reports on performance relating to the priority. "
                        f"Link to the Corporate Performance Dashboard: {sec} Overview",
                        st["body"],
                    )
                )
                for n in range(layout.narrative_pages):
                    story += _narrative_page(sec, n + 1, st)
            prefix = "".join(w[0] for w in sec.split()).upper()
            table = _kpi_table(rows, layout, st, counter, built, prefix)
            if len(rows) >= 3 and rep == 0:
                if long_tables == layout.break_table:
                    # room for the heading, the header row and one data row: the rest moves on
                    _, heights = table.wrap(FRAME_WIDTH, 10000), table._rowHeights
                    keep = HEADING_HEIGHT + heights[0] + heights[1] + 4
                    story += [CondPageBreak(keep + 24), _LeaveRoom(keep)]
                    built.broken_heading = heading
                long_tables += 1
            story.append(_p(heading, st["kpi"]))
            story.append(table)
            story += _commentary(rows, st, layout, built, heading)
            built.rows.extend(rows)
            if layout.turnover_table and rep == 0 and g_i == 2:
                story.append(_p("Workforce: staff turnover by directorate", st["kpi"]))
                story.append(_turnover_table(st))
                story.append(
                    _p("Turnover is within the expected range for the council.", st["body"])
                )
    return story


def build_report(
    out: Path, layout: Layout = Layout(), gold: Iterable[dict[str, str]] | None = None
) -> BuiltReport:
    """Write a multi-page report PDF to `out` from gold rows (default: 2022/23 Q2)."""
    rows = list(gold) if gold is not None else load_gold()
    built = BuiltReport(path=out, rows=[])
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title="Corporate Performance Report",
        author="County Council",
        invariant=1,
    )
    doc.build(_story(rows, layout, built), canvasmaker=_NumberedCanvas)
    built.pages = doc.page
    return built


# --- bad inputs ------------------------------------------------------------------------------
def build_prose_pdf(out: Path, with_table: bool = True) -> Path:
    """A readable PDF with headings and prose (and a non-KPI table) but no KPI table."""
    layout = Layout()
    st = _styles(layout)
    story: list[Flowable] = [
        _p("Annual Workforce Report", st["section"]),
        _p("This report summarises the workforce of the council.", st["body"]),
    ]
    if with_table:
        story.append(_turnover_table(st))
    doc = SimpleDocTemplate(str(out), pagesize=A4, invariant=1)
    doc.build(story)
    return out


def build_encrypted_pdf(out: Path, user_password: str = "secret") -> Path:
    """A report PDF that needs a password to open."""
    st = _styles(Layout())
    enc = StandardEncryption(user_password, ownerPassword="owner", strength=128)
    doc = SimpleDocTemplate(str(out), pagesize=A4, invariant=1, encrypt=enc)
    doc.build([_p("Corporate Performance Report", st["title"])])
    return out


def _page_picture(n: int = 0):
    """A greyscale picture of a page of text: dark bars where lines would be."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    img = PILImage.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(img)
    for y in range(80, 800, 24):
        draw.rectangle((60, y, 60 + (y * 37 + n * 11) % 480, y + 9), fill=40)
    return img


def _scan_image(width: float, height: float) -> Image:
    buf = io.BytesIO()
    _page_picture().save(buf, format="PNG")
    buf.seek(0)
    return Image(buf, width=width, height=height)


def build_scanned_pdf(out: Path, pages: int = 1) -> Path:
    """A PDF whose pages are only images: a scan without a text layer."""
    from reportlab.lib.utils import ImageReader

    c = rl_canvas.Canvas(str(out), pagesize=A4, invariant=1)
    width, height = A4
    for n in range(pages):
        c.drawImage(ImageReader(_page_picture(n)), 0, 0, width=width, height=height)
        c.showPage()
    c.save()
    return out


def truncate(src: Path, out: Path, fraction: float = 0.5) -> Path:
    """A copy of `src` cut short, as an interrupted download leaves it."""
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def variant(**changes: object) -> Layout:
    return replace(Layout(), **changes)


if __name__ == "__main__":  # build one for eyeballing: python tests/pdf_factory.py out.pdf
    import sys

    report = build_report(Path(sys.argv[1] if len(sys.argv) > 1 else "report.pdf"))
    print(report.path, report.pages, "pages", len(report.rows), "rows")
