"""RAG by fill colour from the report's own printed key, when its colours are its own."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kpi_lib.readers.pdf.reader import read_pdf

# a council's own palette: no hue near green, amber or red
KEY = {"Green": "#4472C4", "Amber": "#00B0F0", "Red": "#7030A0"}
WORDS = {
    "Green": "Achieving the target",
    "Amber": "Slightly below desired level",
    "Red": "Requires improvement",
}
ROWS = [("Sickness absence days", "3.25", "Green"), ("Vacancies", "13.48", "Red")]
ROWS += [("Staff turnover", "13.50", "Amber")]


def _report(path: Path, key: bool) -> Path:
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9)
    head = ParagraphStyle("head", fontName="Helvetica-Bold", fontSize=12, spaceAfter=6)
    story: list = [Paragraph("Corporate Performance Report", head)]
    if key:
        for rag, words in WORDS.items():
            swatch = Table(
                [["", Paragraph(words, body)]],
                colWidths=[10, 200],
                rowHeights=[12],
                style=TableStyle([("BACKGROUND", (0, 0), (0, 0), colors.HexColor(KEY[rag]))]),
                hAlign="LEFT",
            )
            story += [swatch, Spacer(1, 4)]
    story.append(Paragraph("Corporate health", head))
    header = ["Target", "Good Is", "As of Date", "Metric Name", "Latest Value", "RAG Status"]
    data = [header] + [["10", "Low", "2023/24 Q2", m, v, ""] for m, v, _ in ROWS]
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
    style += [
        ("BACKGROUND", (5, i), (5, i), colors.HexColor(KEY[rag]))
        for i, (_, _, rag) in enumerate(ROWS, start=1)
    ]
    story.append(Table(data, style=TableStyle(style), hAlign="LEFT"))
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build(story)
    return path


def test_fill_colours_read_by_the_printed_key(tmp_path: Path) -> None:
    ex = read_pdf(_report(tmp_path / "key.pdf", key=True))
    assert [(r.metric_name, r.rag) for r in ex.rows] == [(m, rag) for m, _, rag in ROWS]
    assert ex.issues == []


def test_without_a_key_such_colours_are_reported_not_guessed(tmp_path: Path) -> None:
    ex = read_pdf(_report(tmp_path / "nokey.pdf", key=False))
    assert [r.rag for r in ex.rows] == ["", "", ""]
    assert [i.kind for i in ex.issues] == ["unknown_colour"] * 3
