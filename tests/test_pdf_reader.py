"""The PDF reader against report PDFs built from the hand-checked 2022/23 Q2 gold rows."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from PIL import Image

from kpi_lib.readers.document import extract_document, read_report
from kpi_lib.readers.pdf.reader import PdfSettings, analyse, debug_page, read_pdf, scan_pages
from kpi_lib.readers.pdf.scan import scan_range
from kpi_lib.readers.pdf.tables import rag_from_fill
from kpi_lib.readers.rows import Extraction
from kpi_lib.readers.wrap import join_wrapped
from tests.pdf_factory import (
    LEGEND,
    NOISY_HEADER,
    PALETTES,
    RUNNING_HEADER,
    TURNOVER_ROWS,
    BuiltReport,
    Layout,
    build_report,
    load_gold,
)

KEYS = ("section", "heading", "target_text", "good_is", "as_of_text", "metric_name", "rag")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


def _build(pdf_dir: Path, name: str, layout: Layout) -> tuple[BuiltReport, Extraction]:
    built = build_report(pdf_dir / f"{name}.pdf", layout)
    return built, read_pdf(built.path)


@pytest.fixture(scope="session")
def default(pdf_dir: Path) -> tuple[BuiltReport, Extraction]:
    return _build(pdf_dir, "default", Layout())


@pytest.fixture(scope="session")
def noisy(pdf_dir: Path) -> tuple[BuiltReport, Extraction]:
    """Header typos, a Ref column first, Metric Name before Target, no Trends column."""
    cols = ("Metric Name", "Target", "Good Is", "As of Date", "Latest Value", "RAG Status")
    return _build(pdf_dir, "noisy", Layout(header_noise=True, ref_column=True, columns=cols))


@pytest.fixture(scope="session")
def plain(pdf_dir: Path) -> tuple[BuiltReport, Extraction]:
    """Helvetica, pale fills, glyph cells uncoloured, header not repeated after the page break."""
    layout = Layout(
        body_font="Helvetica", palette="light", glyph_fill=False, repeat_header=False, break_table=3
    )
    return _build(pdf_dir, "plain", layout)


def _misses(built: BuiltReport, ex: Extraction) -> list[str]:
    """Gold rows not reproduced exactly (by print order), described for the failure message."""
    out = []
    got = ex.rows
    if len(got) != len(built.rows):
        out.append(f"{len(got)} rows extracted, {len(built.rows)} printed")
    for gold, row in zip(built.rows, got, strict=False):
        wrong = [k for k in KEYS if gold[k] != getattr(row, k)]
        if (float(gold["value"]) if gold["value"] else None) != row.value:
            wrong.append("value")
        if wrong:
            out.append(
                f"p{row.source_page} l{row.source_line} "
                + "; ".join(f"{k}: {gold.get(k)!r} != {getattr(row, k)!r}" for k in wrong)
            )
    return out


def _rate(built: BuiltReport, misses: list[str]) -> float:
    return 1 - len(misses) / len(built.rows)


@pytest.mark.parametrize("which", ["default", "noisy", "plain"])
def test_every_gold_row_reproduced(which: str, request: pytest.FixtureRequest) -> None:
    built, ex = request.getfixturevalue(which)
    assert len(built.rows) == 76
    misses = _misses(built, ex)
    assert _rate(built, misses) >= 0.98, "\n".join(misses)
    assert len(ex.rows) == len(built.rows), "\n".join(misses)
    assert all(r.reader == "pdf" and r.source_file == str(built.path) for r in ex.rows)


def test_default_layout_reproduces_gold_exactly(default) -> None:
    built, ex = default
    assert _misses(built, ex) == []
    assert ex.issues == []


def test_rag_from_fill_colour_alone(default, plain) -> None:
    for built, ex in (default, plain):
        by_metric = {r.metric_name: r for r in ex.rows}
        gold = {g["metric_name"]: g["rag"] for g in built.rows}
        assert {gold[m] for m in built.fill_only} == {"Green", "Amber", "Red"}
        for metric in built.fill_only:
            assert by_metric[metric].rag == gold[metric], metric


def test_wrapped_cells_join_and_hyphen_keeps_word(default) -> None:
    built, ex = default
    by_metric = {r.metric_name: r for r in ex.rows}
    assert built.hyphenated, "factory printed no hyphen at a line end"
    for metric in built.hyphenated:
        assert "face-to-face" in metric and metric in by_metric
    a = analyse(scan_pages(built.path), str(built.path))
    wrapped = [
        c.text for t in a.tables for row in t.scan.rows for c in row if c.text.count("\n") >= 2
    ]
    assert len(wrapped) > 50  # the narrow columns really wrap


@pytest.mark.parametrize("which", ["default", "plain"])
def test_table_broken_across_pages_is_joined(which: str, request: pytest.FixtureRequest) -> None:
    built, ex = request.getfixturevalue(which)
    gold = [g for g in built.rows if g["heading"] == built.broken_heading]
    rows = [r for r in ex.rows if r.heading == built.broken_heading]
    assert len(gold) >= 3
    assert [r.metric_name for r in rows] == [g["metric_name"] for g in gold]
    assert len({r.source_page for r in rows}) == 2
    assert {r.section for r in rows} == {gold[0]["section"]}


def test_running_header_and_footer_never_in_rows(default) -> None:
    _, ex = default
    for row in ex.rows:
        for key in (*KEYS, "value_text", "ref"):
            text = getattr(row, key)
            assert "Corporate Performance Report" not in text, (key, text)
            assert "Page " not in text, (key, text)
    assert RUNNING_HEADER not in {r.section for r in ex.rows} | {r.heading for r in ex.rows}


def test_running_header_and_footer_are_marked_as_furniture(default) -> None:
    built, _ = default
    a = analyse(scan_pages(built.path), str(built.path))
    furniture = {ln.text for lines in a.body.values() for ln in lines if ln.furniture}
    footers = {f"Page {n} of {built.pages}" for n in range(1, built.pages + 1)}
    assert furniture == {RUNNING_HEADER} | footers
    assert not {h.text for h in a.headings} & furniture


def test_non_kpi_table_and_legend_not_emitted(default) -> None:
    built, ex = default
    texts = {t for r in ex.rows for t in (r.metric_name, r.target_text, r.heading)}
    assert not texts & {row[0] for row in TURNOVER_ROWS}
    assert not any("turnover" in t.lower() for t in texts)
    assert not texts & {text for _, text in LEGEND}
    assert len(ex.rows) == len(built.rows)  # no extra row from legend glyphs or other tables
    assert ex.tables == len({(g["section"], g["heading"]) for g in built.rows})


def test_noisy_header_variant(noisy) -> None:
    built, ex = noisy
    # the header really was noisy, and the Ref column is read
    a = analyse(scan_pages(built.path), str(built.path))
    first = [c.text.replace("\n", " ") for c in a.tables[0].scan.rows[0]]
    assert NOISY_HEADER["Metric Name"] in first and NOISY_HEADER["Target"] in first
    assert [r.ref for r in ex.rows[:3]] == ["DBS000", "DBS001", "DBS002"]


def test_unknown_glyph_and_colour_become_issues(pdf_dir: Path) -> None:
    built = build_report(pdf_dir / "odd.pdf", Layout(odd_glyph="?", odd_fill="#4472C4"))
    ex = read_pdf(built.path)
    by_kind = {i.kind: i for i in ex.issues}
    assert set(by_kind) == {"unknown_glyph", "unknown_colour"}
    rows = {r.metric_name: r for r in ex.rows}
    for kind, metric in (
        ("unknown_glyph", built.odd_glyph_metric),
        ("unknown_colour", built.odd_fill_metric),
    ):
        issue, row = by_kind[kind], rows[metric]
        assert row.rag == ""  # never guessed
        assert (issue.source_page, issue.source_line) == (row.source_page, row.source_line)
        assert issue.source_file == str(built.path) and metric in issue.message
    assert "#4472C4" in by_kind["unknown_colour"].message


def test_image_only_page_is_reported(pdf_dir: Path) -> None:
    built = build_report(pdf_dir / "image.pdf", Layout(image_page=True))
    ex = read_pdf(built.path)
    assert [(i.kind, i.source_page) for i in ex.issues] == [("scanned_page", 3)]
    assert len(ex.rows) == len(built.rows)


def test_unparsable_rows_are_reported_not_dropped(pdf_dir: Path) -> None:
    gold = load_gold()[:3]
    gold[1] = {**gold[1], "metric_name": ""}
    gold[2] = {**gold[2], "value": "see note 4/5"}
    built = build_report(pdf_dir / "unparsable.pdf", Layout(), gold=gold)
    ex = read_pdf(built.path)
    kinds = sorted(i.kind for i in ex.issues)
    assert kinds == ["unparsed_cell", "unparsed_row"], ex.issues
    assert all(i.source_page and i.source_line for i in ex.issues)
    assert len(ex.rows) == 2
    assert ex.rows[1].value is None and ex.rows[1].value_text == "see note 4/5"


def test_source_page_and_line(default) -> None:
    _, ex = default
    assert all(r.source_page and r.source_line for r in ex.rows)
    # within a page, rows come in print order and line numbers grow
    for a, b in zip(ex.rows, ex.rows[1:], strict=False):
        if a.source_page == b.source_page:
            assert b.source_line > a.source_line


def test_results_identical_with_two_workers(default) -> None:
    built, ex = default
    settings = PdfSettings(parallel_min_pages=1, chunk_pages=3)
    two = read_pdf(built.path, settings, workers=2)
    assert two.frame().equals(ex.frame())
    assert two.issues == ex.issues and two.pages == ex.pages


def test_cache_hit_equals_fresh_read_and_can_be_disabled(
    default, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers' one door caches what a file yields by its bytes: the same bytes elsewhere
    are served from the entry and labelled with their own path; KPI_CACHE=off reads afresh."""
    built, ex = default
    cache = tmp_path / "cache"
    first = extract_document(built.path, cache)
    assert len(list(cache.glob("*.json"))) == 1
    copy = tmp_path / "renamed.pdf"
    shutil.copy(built.path, copy)
    read = read_report(copy, str(copy), cache)
    assert not read.parsed  # same bytes elsewhere: served from the cache
    hit = extract_document(copy, cache)
    assert hit.frame().drop(columns="source_file").equals(ex.frame().drop(columns="source_file"))
    assert {r.source_file for r in hit.rows} == {str(copy)}
    assert first.frame().equals(ex.frame())
    monkeypatch.setenv("KPI_CACHE", "off")
    shutil.rmtree(cache)
    assert read_report(built.path, None, cache, write=True).parsed
    assert not cache.exists()


def test_factory_output_is_deterministic(default, tmp_path: Path) -> None:
    built, _ = default
    again = build_report(tmp_path / "again.pdf", Layout())
    assert again.path.read_bytes() == built.path.read_bytes()


def test_settings_change_the_cache_key_but_workers_do_not() -> None:
    base = PdfSettings()
    assert base.fingerprint() == dataclasses.replace(base, workers=2).fingerprint()
    assert base.fingerprint() != dataclasses.replace(base, snap_tolerance=5).fingerprint()


def test_debug_page_draws_found_tables(default, tmp_path: Path) -> None:
    built, ex = default
    page = ex.rows[0].source_page
    out = debug_page(built.path, page, tmp_path / "page.png", resolution=72)
    img = Image.open(out).convert("RGB")
    assert abs(img.size[0] - 595) <= 1 and abs(img.size[1] - 842) <= 1
    # KPI tables are outlined in green: that colour is not in the page itself
    colours = {c for _, c in img.getcolors(maxcolors=1 << 24)}
    assert (0, 160, 0) in colours


def test_font_size_and_weight_from_any_producer(tmp_path: Path) -> None:
    """`Tf 1` with a scaled text matrix (or CTM) still gives the size; fake bold is bold."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "tm.pdf"), invariant=1)
    text = c.beginText()
    text.setFont("Helvetica-Bold", 1)
    text.setTextTransform(16, 0, 0, 16, 72, 700)
    text.textOut("Scaled by Tm")
    c.drawText(text)
    c.saveState()
    c.transform(2, 0, 0, 2, 0, 0)
    c.setFont("Helvetica", 6)
    c.drawString(36, 300, "Scaled by cm")
    c.restoreState()
    text = c.beginText(72, 200)
    text.setFont("Helvetica", 10)
    text.setTextRenderMode(2)  # fill and stroke: how Word fakes bold
    text.textOut("Fake bold")
    c.drawText(text)
    c.save()
    (page,) = scan_range(str(tmp_path / "tm.pdf"), [1], PdfSettings())
    assert sorted((b.text, b.size, b.bold) for b in page.bits) == [
        ("Fake bold", 10, True),
        ("Scaled by Tm", 16, True),
        ("Scaled by cm", 12, False),
    ]


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (
            ["PH 0-19: Infants that receive a face-to-", "face NBV"],
            "PH 0-19: Infants that receive a face-to-face NBV",
        ),
        (["Libraries -", "Physical issues"], "Libraries - Physical issues"),
        (["% of parents who get", "one of three"], "% of parents who get one of three"),
        (["reablement/rehabil\u00ad", "itation"], "reablement/rehabilitation"),
        (["", " 98.60 ", ""], "98.60"),
    ],
)
def test_join_wrapped(lines: list[str], joined: str) -> None:
    assert join_wrapped(lines) == joined


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def test_rag_from_fill_by_hue() -> None:
    s = PdfSettings()
    for palette in PALETTES.values():
        for rag, colour in palette.items():
            assert rag_from_fill(_rgb(colour), s) == rag
    assert rag_from_fill(_rgb("#92D050"), s) == "Green"  # Word's light green
    assert rag_from_fill(_rgb("#FFFFFF"), s) == ""
    assert rag_from_fill(_rgb("#D9E2F3"), s) == ""  # pale header blue: no colour
    assert rag_from_fill(_rgb("#4472C4"), s) is None  # saturated blue: unknown, not guessed
    assert rag_from_fill(None, s) == ""


def test_pdf_without_xref_is_repaired_and_read_whole(default, tmp_path: Path) -> None:
    """Cross-reference table and trailer lost, end marker kept: pypdfium2 rebuilds the table
    from the objects, so the file reads to the same rows as the intact one (none dropped)."""
    built, ex = default
    data = built.path.read_bytes()
    broken = tmp_path / "noxref.pdf"
    broken.write_bytes(data[: data.rfind(b"xref")] + b"%%EOF\n")
    got = read_pdf(broken)
    cols = ["source_file"]
    assert got.frame().drop(columns=cols).equals(ex.frame().drop(columns=cols))
