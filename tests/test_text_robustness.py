"""Robustness of the text readers beyond the single-noise tests: tab rows under no recognised
header are reported (but not the agenda pack's non-KPI tables), RAG glyph look-alikes, a
property test over arbitrary files, and a report from "another quarter" mixing every noise."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kpi_lib.cli import main
from kpi_lib.errors import InputError
from kpi_lib.readers import stray_tables, text_tables
from kpi_lib.readers.document import extract_document
from kpi_lib.readers.textdoc import TextDoc, load_text
from tests import noise
from tests.gold import KPI_2022_23_Q2, match_rate, read_gold

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data/raw"
REPORT = RAW / "2022-23_Q2/2022-23_Q2_kpi_commentary.md"
PACK = RAW / "2019-20_Q3/2019-20_Q3_committee_agenda_pack.txt"
FIELDS = ["metric_name", "value", "rag", "good_is", "target_text", "as_of_text"]
GARBLED = "Tq\tGd\tAo\tMc\tLv\tRS\tTr"


@pytest.fixture(scope="module")
def text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pack() -> str:
    return PACK.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return read_gold(KPI_2022_23_Q2)


def extract_text(tmp_path: Path, content: str, name: str = "report.md"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return extract_document(path)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _table(lines: list[str], contains: str) -> tuple[int, list[int]]:
    """The KPI table (header index, data row indices) with a row containing `contains`."""
    return next(
        (i, rows)
        for i, _, rows in text_tables.find_tables(lines, text_tables.is_kpi_header)
        if any(contains in lines[j] for j in rows)
    )


def _stray(result) -> list:
    return [i for i in result.issues if i.kind == "unrecognised_table"]


# --- 1. tab rows under no recognised header ---------------------------------------------------
def test_garbled_header_table_is_reported_at_its_first_line(text, gold, tmp_path):
    lines = text.split("\n")
    head, rows = _table(lines, "Customer Access Service answered")
    lines[head] = GARBLED
    assert text_tables.is_kpi_header(GARBLED) is None
    result = extract_text(tmp_path, "\n".join(lines), "q.md")
    stray = _stray(result)
    assert len(stray) == 1
    assert (stray[0].source_file, stray[0].source_line) == (str(tmp_path / "q.md"), head + 1)
    assert f"{len(rows) + 1} tab-separated rows" in stray[0].message
    assert "['Tq', 'Gd', 'Ao', 'Mc']" in stray[0].message
    assert len(result.rows) == len(gold) - len(rows)
    assert match_rate(result.frame(), gold, FIELDS) == pytest.approx(
        (len(gold) - len(rows)) / len(gold)
    )


def test_rows_with_no_header_at_all_are_reported(text, tmp_path):
    lines = text.split("\n")
    head, rows = _table(lines, "Sickness Absence days per FTE")
    del lines[head]
    stray = _stray(extract_text(tmp_path, "\n".join(lines)))
    assert [i.source_line for i in stray] == [head + 1]  # the first data row, moved up
    assert "Sickness Absence" in lines[head]


def test_rows_cut_off_from_their_table_are_reported(text, tmp_path):
    lines = text.split("\n")
    head, rows = _table(lines, "(Primary)")
    assert len(rows) >= 2
    lines[rows[1] : rows[1]] = ["", "A sentence that ends the table early.", ""]
    result = extract_text(tmp_path, "\n".join(lines))
    assert [i.source_line for i in _stray(result)] == [rows[1] + 4]
    assert len(result.rows) == 76 - (len(rows) - 1)


def test_cli_warns_about_unread_table_and_explains_no_rows(text, tmp_path):
    lines = text.split("\n")
    head, rows = _table(lines, "Customer Access Service answered")
    lines[head] = GARBLED
    some = tmp_path / "some.md"
    some.write_text("\n".join(lines), encoding="utf-8")
    rc, out, err = run_cli(["extract", str(some)])
    assert rc == 0 and "unrecognised_table" in err and f"line {head + 1}" in err
    only = tmp_path / "only.md"
    only.write_text("\n".join(lines[head - 2 : rows[-1] + 2]), encoding="utf-8")
    rc, out, err = run_cli(["extract", str(only)])
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "no known header, first at line 3" in err


def test_garbled_history_header_is_reported(pack, tmp_path):
    lines = pack.split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Performance Indicator\t"))
    lines[at] = lines[at].replace("Performance Indicator\tFrequency\tDirectorate", "Px\tFx\tDx")
    result = extract_text(tmp_path, "\n".join(lines), "pack.txt")
    assert [i.source_line for i in _stray(result)] == [at + 1]


@pytest.mark.parametrize("path", sorted(p for p in RAW.glob("*/*") if p.suffix != ".csv"))
def test_real_reports_have_no_unrecognised_tables(path):
    assert stray_tables.read(load_text(path)).issues == []


def _pack_row(pack: str, starts: str) -> list[str]:
    line = next(ln for ln in pack.split("\n") if ln.startswith(starts) and "\t" in ln)
    return text_tables.cells_of(line)


@pytest.mark.parametrize(
    ("starts", "kpi_like"),
    [
        ("1.\tApologies", False),  # agenda item: too few cells
        ("On track/good", False),  # key for performance legend
        ("CR10\t", False),  # risk register: a risk score is a number, but not a KPI value
        ("\tMAJOR\t4\t8", False),  # risk scoring matrix: numbers only
        ("Risk Identification Number", False),  # header of a table no reader knows
        ("Safety carriageway defects repaired within 4 hours", True),  # history data row
    ],
)
def test_kpi_like_rule_on_the_agenda_pack(pack, starts, kpi_like):
    cells = _pack_row(pack, starts)
    assert stray_tables.is_kpi_like(cells) is kpi_like
    if starts == "CR10\t":
        assert len(cells) >= stray_tables.MIN_CELLS and any(c.isdigit() for c in cells)


@pytest.mark.parametrize(
    ("cells", "kpi_like"),
    [
        (["90%", "High", "2022/23 Q2", "Some metric", "91.4", "\u2713", ""], True),
        (["90%", "High", "2022/23 Q2", "Some metric", "", "\u00d7"], True),  # glyph, no value
        (["90%", "Low", "2022/23 Q2", "Some metric", "7.5", ""], True),  # value + polarity
        (["Some metric", "Quarterly", "Resources", "12%"], True),  # value + frequency
        (["Some metric", "Resources", "12%", "13%"], False),  # numbers alone
        (["Some metric", "91.4", "\u2713"], False),  # too few cells
    ],
)
def test_kpi_like_rule(cells, kpi_like):
    assert stray_tables.is_kpi_like(cells) is kpi_like


# --- 2. RAG glyph look-alikes -----------------------------------------------------------------
def read_text(content: str, name: str = "report.md"):
    return text_tables.read(TextDoc(Path(name), content.split("\n")))


@pytest.mark.parametrize(
    "glyphs",
    [
        {"Green": "~", "Amber": "\u012f", "Red": "\u00d7"},
        {"Green": "\u2713", "Amber": "\u012f.", "Red": "X"},
        {"Green": "~", "Amber": "!", "Red": "\u2717"},
    ],
    ids=["tilde-i-times", "tick-idot-X", "tilde-bang-cross"],
)
def test_rag_glyph_variants(glyphs, text, gold):
    noisy = noise.kpi_rag_glyphs(text, glyphs)
    assert noisy != text
    result = read_text(noisy)
    assert [r.rag for r in result.rows] == list(gold["rag"])
    assert [r.metric_name for r in result.rows] == list(gold["metric_name"])
    assert result.issues == []


@pytest.mark.parametrize("glyph", ["?", "\u25a0"])
def test_unknown_glyph_gives_issue_and_empty_rag(glyph, text, gold):
    lines = text.split("\n")
    j, c, colour = noise._rag_cells(lines)[7]
    cells = lines[j].split("\t")
    cells[c] = glyph
    lines[j] = "\t".join(cells)
    result = read_text("\n".join(lines), "q.md")
    assert [(i.kind, i.source_file, i.source_line) for i in result.issues] == [
        ("unknown_glyph", "q.md", j + 1)
    ]
    assert glyph in result.issues[0].message
    rags = [r.rag for r in result.rows]
    at = next(k for k, r in enumerate(result.rows) if r.source_line == j + 1)
    assert rags[at] == "" and gold["rag"][at] == colour
    assert rags[:at] + rags[at + 1 :] == list(gold["rag"][:at]) + list(gold["rag"][at + 1 :])


# --- 3. arbitrary input never crashes ---------------------------------------------------------
_WORDS = [
    "Target", "Ta", "rget", "Good Is", "As of Date", "Metric Name", "Metrio Name", "Latest Value",
    "RAG Status", "Trends", "Ref", "Performance Indicator", "Frequency", "Directorate", "Q1",
    "Current (Q3) Performance", "2018/19 Performance", "2020/21 Target", "High", "Low", "Other",
    "2022/23 Q2", "2022 09", "Quarterly", "85.4", "2,655,636.0", "£385000.0", "73.6% (52 of 70)",
    "\u2713", "\u2717", "\u00d7", "!", "~", "\u012f.", "X", "?", "\u25a0", "", " ", "N/A",
    "<p>fragment</p>", "**bold**", "-", "\u00a0",
]  # fmt: skip
_LINES = [
    "# Heading", "## Delivering better services", "**Bold heading**", "- Priority one",
    "Our priorities are:", "This section covers", "Issues:", "Actions:", "Page 3 of 20", "3",
    "", "Quarter 3 2019/20", "5.2.1 Library visits (Red KPI)", "at 692.0 admissions per 100,000",
    "Key for performance:",
]  # fmt: skip
# cells a KPI table's columns hold, typos and OCR look-alikes included
_COLUMN_CELLS = {
    "Ref": ["3ECS001a", "R1", ""],
    "Target": ["90%", "<700", "To be agreed", "Quartile 2", "Ta", ""],
    "Good Is": ["High", "Low", "Other", "Hgh", ""],
    "As of Date": ["2022/23 Q2", "2022 09", "2021/22 Prov", "", "Q3"],
    "Metric Name": ["% of calls answered", "Library visits", "Me", "", "<b>x</b>"],
    "Latest Value": ["85.4", "2,655,636.0", "", "N/A", "12 days", "-3", "£385000.0"],
    "RAG Status": ["\u2713", "!", "\u00d7", "~", "X", "?", "", "Green", "\u012f."],
    "Trends": ["", " "],
}
_HISTORY = "Performance Indicator\tFrequency\tDirectorate\tGood is\tQ1\tQ2\tCurrent (Q3)"
# readable text (no surrogates, no NUL); raw text and bytes get their own branches below
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
_cell = st.one_of(st.sampled_from(_WORDS), _text)
_tab_line = st.lists(_cell, min_size=1, max_size=10).map("\t".join)
_line = st.one_of(_tab_line, st.sampled_from(_LINES), _text)


@st.composite
def _kpi_table(draw) -> list[str]:
    """A KPI header (some columns left out) and rows that mostly fit it; OCR noise inserts a
    stray cell or loses one, and some rows are any tab-separated text."""
    cols = [c for c in _COLUMN_CELLS if draw(st.booleans()) or c in ("Metric Name", "Latest Value")]
    out = ["\t".join(cols)]
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(_tab_line))
            continue
        cells = [draw(st.sampled_from(_COLUMN_CELLS[c])) for c in cols]
        if "Metric Name" in cols and draw(st.booleans()):
            cells[cols.index("Metric Name")] = draw(_text)
        change, at = draw(st.sampled_from(["", "", "insert", "drop"])), draw(st.integers(0, 7))
        if change == "insert":
            cells.insert(at, draw(_cell))
        elif change == "drop" and at < len(cells):
            del cells[at]
        out.append("\t".join(cells))
    return out


_history_table = st.lists(_tab_line, max_size=5).map(lambda rows: [_HISTORY, *rows])
_structured = st.lists(
    st.one_of(_line.map(lambda ln: [ln]), _kpi_table(), _history_table), max_size=20
).map(lambda parts: "\n".join(ln for part in parts for ln in part))
_document = st.one_of(
    _structured.map(lambda s: s.encode("utf-8", "surrogatepass")),
    _structured.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_document, suffix=st.sampled_from([".md", ".txt", ".md", ".txt", ".pdf"]))
def test_any_file_gives_rows_or_one_line_error(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"report{suffix}"
        path.write_bytes(data)
        try:
            result = extract_document(path)
        except InputError as exc:  # NoTablesError is one
            error: InputError | None = exc
        else:
            error = None
            assert result.rows
            nlines = max(len(data.decode("utf-8-sig", "replace").splitlines()), 1)
            assert all(1 <= r.source_line <= nlines for r in result.rows if r.source_line)
        rc, out, err = run_cli(["extract", str(path)])
    event("rows" if error is None else type(error).__name__)
    if error is None:
        assert rc == 0 and out
    else:
        assert rc != 0 and out == ""
        assert err.count("\n") == 1 and err.startswith("kpi: error: ")


# --- 4. a report from another quarter: every noise at once ------------------------------------
@pytest.mark.parametrize("seed", [2, 4, 9])
def test_other_quarter_report(seed, text, gold, tmp_path, capsys):
    noisy = noise.other_quarter(text, seed)
    lines = noisy.split("\n")
    # the mutation really mixes the noises it names
    cells = Counter(c.strip() for ln in lines if "\t" in ln for c in ln.split("\t"))
    headers = [m for m in map(text_tables.is_kpi_header, lines) if m is not None]
    assert len(headers) == 30
    assert {t for ts in noise.KPI_TYPOS.values() for t in ts} & cells.keys(), "header typos"
    assert any(len(idx) > 1 for m in headers for idx in m.columns.values()), "split header"
    assert any(0 in m.extra for m in headers), "stray leading column"
    assert 0 < sum("ref" in m.columns for m in headers) < 30, "Ref column in some tables"
    assert {"~", "\u012f", "\u012f.", "\u00d7", "X"} & cells.keys(), "glyph variants"
    assert any(ln in noise.JUNK_LINES[:3] for ln in lines), "junk lines"
    new = set(lines) - set(text.split("\n"))
    assert any("\t" not in ln and ln not in noise.JUNK_LINES for ln in new), "wrapped heading"

    result = extract_text(tmp_path, noisy, f"other_{seed}.md")
    df = result.frame()
    rate = match_rate(df, gold, FIELDS)
    with capsys.disabled():
        print(f"\nother quarter seed {seed}: {rate:.1%} of {len(gold)} gold rows exact")
    assert rate >= 0.98
    # the table readers warn of nothing (a wrapped heading may still read as a section whose
    # commentary has no table: the commentary reader's warning, which ingest gives too)
    assert [i for i in result.issues if i.kind != "no_table"] == []
    codes = [c for c in cells.elements() if re.fullmatch(rf"R{seed}-\d+-\d+", c)]
    assert sorted(r.ref for r in result.rows if r.ref) == sorted(codes)
    assert headings_kept(df, gold) >= 0.98


def headings_kept(df: pd.DataFrame, gold: pd.DataFrame) -> float:
    got = Counter(zip(df["metric_name"], df["heading"], strict=True))
    want = Counter(zip(gold["metric_name"], gold["heading"], strict=True))
    return sum((got & want).values()) / len(gold)


def test_other_quarter_is_seeded(text):
    assert noise.other_quarter(text, 5) == noise.other_quarter(text, 5)
    assert noise.other_quarter(text, 5) != noise.other_quarter(text, 6)
