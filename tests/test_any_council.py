"""Any council's report reads with no profile where it uses the common words: generated councils
(tests/council_factory.py), each with its own header words, status key, column order and
format; a council's own words in its reader profile; a file with no KPI rows is never ingested in
silence; a table with no as-of column dates its figures with the report's quarter."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_lib.cli import main
from kpi_lib.errors import InputError
from kpi_lib.readers import profile
from kpi_lib.readers.document import read_report
from kpi_lib.readers.textdoc import pipe_row
from kpi_lib.values import polarity
from tests import council_factory as cf

FORMATS = ("text", "csv", "layout", "markdown", "pdf", "pdf_plain")
# every format, rule-less PDFs too (a web page printed without cell borders, a labelled note or
# a sentence of prose under each table): 98% of rows exact and no row that is not a KPI
GOAL = 0.98
SEEDS = range(8)


def _exact(got: list[dict], want: list[dict]) -> tuple[int, list[str]]:
    """Rows read exactly: name, reference (where printed), value as printed and parsed,
    target, status."""
    by_name = {r["metric_name"]: r for r in got}
    ok, wrong = 0, []
    for w in want:
        g = by_name.get(w["metric_name"])
        fields = {
            "value_text": (g or {}).get("value_text") == w["value"],
            "value": (g or {}).get("value") is not None,
            "target": (g or {}).get("target_text") == w["target"],
            "rag": (g or {}).get("rag") == w["rag"],
            "ref": not w.get("has_ref") or (g or {}).get("ref") == w["ref"],
            "good_is": not w.get("has_polarity")
            or polarity((g or {}).get("good_is", "")) == w["polarity"],
        }
        if g is not None and all(fields.values()):
            ok += 1
        else:
            bad = [k for k, v in fields.items() if not v] if g else ["missing"]
            wrong.append(f"{w['metric_name']}: {bad}")
    return ok, wrong


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_councils_reports_read_with_the_builtin_profile(
    fmt: str, tmp_path: Path, capsys
) -> None:
    total = exact = 0
    problems = []
    for seed in SEEDS:
        c = cf.council(seed, fmt)
        rep = cf.report(c)
        path = cf.write(rep, tmp_path / fmt)
        result = read_report(path).result
        has = {"has_ref": "ref" in c.columns, "has_polarity": "good_is" in c.columns}
        want = [{**r, **has} for r in rep.rows]
        ok, wrong = _exact(result.rows, want)
        total, exact = total + len(want), exact + ok
        problems += [f"{c.header} {c.statuses}: {w}" for w in wrong]
        assert len(result.rows) == len(want), (c.header, [r["metric_name"] for r in result.rows])
        assert result.period == "2023/24 Q2"
    with capsys.disabled():
        print(f"\n{fmt}: {exact}/{total} rows of {len(SEEDS)} councils exact")
    assert exact / total >= GOAL, "\n".join(problems[:10])


def test_quarter_columns_read_in_long_form(tmp_path: Path, capsys) -> None:
    """Q1 | Q2 | Q3 | Q4 | Annual | Annual Target | Status: one row per quarter printed, each
    with its own period; the status on the quarter it rates (the one its header names, else
    the latest printed); empty later quarters are no figures."""
    total = exact = 0
    for seed in SEEDS:
        c = cf.council(seed, "text")
        body, want = cf.quarters(cf.report(c), seed)
        path = tmp_path / f"q{seed}.txt"
        path.write_text(body)
        rows = read_report(path).result.rows
        got = {(r["metric_name"], r["as_of_text"]): r for r in rows}
        assert len(rows) == len(want)
        for w in want:
            g = got.get((w["metric_name"], w["as_of_text"]))
            total += 1
            exact += bool(
                g
                and g["value_text"] == w["value"]
                and g["value"] is not None
                and g["rag"] == w["rag"]
                and g["target_text"] == w["target"]
                and (not w["has_ref"] or g["ref"] == w["ref"])
            )
    with capsys.disabled():
        print(f"\nquarter columns: {exact}/{total} rows exact")
    assert exact / total >= 0.98


@pytest.mark.parametrize("metric_above", [False, True])
def test_two_row_headers_date_the_figures_with_the_period_above(
    metric_above: bool, tmp_path: Path
) -> None:
    total = exact = 0
    for seed in SEEDS:
        c = cf.council(seed, "text")
        rep = cf.report(c)
        path = tmp_path / f"two{seed}.txt"
        path.write_text(cf.two_rows(rep, metric_above))
        result = read_report(path).result
        has = {"has_ref": "ref" in c.columns, "has_polarity": "good_is" in c.columns}
        want = [{**r, **has} for r in rep.rows]
        ok, _ = _exact(result.rows, want)
        total, exact = total + len(want), exact + ok
        assert {r["as_of_text"] for r in result.rows} == {"2023/24 Q2"}
        assert [i for i in result.issues if i["kind"] != "no_table"] == []
    assert exact / total >= 0.98


def test_two_names_for_one_column_settle_by_what_the_cells_hold() -> None:
    """ "KPI | Description": codes under one, names under the other; whichever is which."""
    for heads in (("KPI", "Description"), ("Indicator", "Indicator name")):
        text = "\t".join([*heads, "Target", "Actual", "Status"]) + "\n"
        text += "HS01\tHomes delivered this year\t100\t120\tOn target\n"
        got = _rows(text)
        assert (got[0]["ref"], got[0]["metric_name"]) == ("HS01", "Homes delivered this year")


def _rows(text: str, name: str = "r.txt") -> list[dict]:
    from kpi_lib.readers.document import parse

    return parse(text.encode(), name).rows


def test_markdown_pipe_rows_are_table_rows() -> None:
    assert pipe_row("| KPI | Target \\| floor | 5 |") == "KPI\tTarget | floor\t5"
    assert pipe_row("no pipes here") == "no pipes here"
    assert pipe_row("a | b") == "a | b"  # prose with a bar is not a table
    rows = _rows(
        "| Indicator | Actual | Target | Status |\n|:---|---:|---:|:---:|\n"
        "| Calls answered | 91% | 90% | Target met |\n",
        "r.md",
    )
    assert [(r["metric_name"], r["value"], r["rag"]) for r in rows] == [
        ("Calls answered", 91.0, "Green")
    ]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("On target", "Green"),
        ("target met", "Green"),
        ("Near target", "Amber"),
        ("Off Target", "Red"),
        ("Target not achieved", "Red"),
        ("Data only", ""),
        ("✓", "Green"),
        ("On track", "Green"),
        ("At Risk", "Amber"),
        ("Off Track", "Red"),
    ],
)
def test_common_status_words(word: str, status: str) -> None:
    assert profile.DEFAULT.status(word) == status


@pytest.mark.parametrize(
    ("printed", "direction"),
    [
        ("High", "High"),
        ("Hig", "High"),  # OCR
        ("Higher is better", "High"),
        ("Bigger is better", "High"),
        ("Increase", "High"),
        ("Maximise", "High"),
        ("Low", "Low"),
        ("Smaller is better", "Low"),
        ("Lower is good", "Low"),
        ("Fewer is better", "Low"),
        ("Minimise", "Low"),
        ("Not appropriate", "Other"),
        ("On target", "Other"),
        ("Upper quartile", "Other"),
        ("", ""),
    ],
)
def test_a_polarity_as_councils_print_it(printed: str, direction: str) -> None:
    assert polarity(printed) == direction


def test_an_unknown_status_word_is_a_warning_not_a_guess() -> None:
    assert profile.DEFAULT.status("Improving") is None
    from kpi_lib.readers.document import parse

    r = parse(b"Indicator\tActual\tStatus\nCalls answered\t91%\tImproving\n", "r.txt")
    assert r.rows[0]["rag"] == ""
    assert [i["kind"] for i in r.issues] == ["unknown_glyph"]


def test_a_councils_profile_adds_its_words(tmp_path: Path) -> None:
    yml = tmp_path / "reader.yaml"
    yml.write_text("headers:\n  value: [q2 figure]\nstatuses:\n  exceeded: green\n")
    p = profile.load_profile(yml)
    assert "q2 figure" in p.vocab["value"] and "actual" in p.vocab["value"]
    assert p.status("Exceeded") == "Green" and p.status("On target") == "Green"
    assert p.fingerprint() != profile.DEFAULT.fingerprint()
    assert profile.load_profile(tmp_path / "none.yaml") is profile.DEFAULT


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("headers:\n  colour: [x]\n", "unknown column 'colour'"),
        ("statuses:\n  great: purple\n", "not Green, Amber, Red"),
        ("headers: [a, b]\n", "must be mappings"),
        ("rules: {}\n", "holds `headers:` and `statuses:` only"),
        ("headers:\n  value: [a\n", "not valid YAML"),
    ],
)
def test_a_bad_profile_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    yml = tmp_path / "reader.yaml"
    yml.write_text(text)
    with pytest.raises(InputError, match="reader.yaml") as err:
        profile.load_profile(yml)
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_one_line_is_read_by_one_reader() -> None:
    """A history table's header also holds the common words ("Performance Indicator",
    "Performance", "Target"): its rows are read once, by the history reader."""
    text = (
        "Performance Indicator\tFrequency\tDirectorate\tGood is\t2018/19 Performance\tQ1\tQ2"
        "\tCurrent (Q3) Performance\t2020/21 Target\n"
        "Visits to libraries\tQuarterly\tCommunities\tHigh\t100\t20\t40\t60\t120\n"
        "Audit report\tAnnual\tResources\tAnnual Report - schedule to be confirmed\t\t\t\t\t\n"
    )
    rows = _rows(text)
    assert {r["reader"] for r in rows} == {"history"}
    assert all(r["metric_name"] != "Audit report" for r in rows)


def test_no_as_of_column_dates_figures_with_the_report_quarter(store_root: Path) -> None:
    from kpi_lib import store

    path = store_root / "data" / "raw" / "2022-23_Q3" / "other.txt"
    path.parent.mkdir(parents=True)
    path.write_text(
        "Corporate Performance Report 2022/23 Quarter 3\n\n"
        "Metric Name\tLatest Value\tRAG Status\nComplaints answered on time\t91%\tGreen\n"
    )
    assert main(["ingest"]) == 0
    obs = store.load("observations")
    row = obs[obs["metric_name"] == "Complaints answered on time"].iloc[0]
    assert (row["period"], bool(row["period_parsed"])) == ("2022/23 Q3", True)
    # a blank cell under an as-of header stays undated, as before
    blank = obs[(obs["as_of_text"] == "") & (obs["source_file"] != "data/raw/2022-23_Q3/other.txt")]
    assert (blank["period"] == "").all()


def test_a_file_with_no_kpi_rows_is_never_ingested_in_silence(store_root: Path, capsys) -> None:
    """Its header words are unknown: one line naming the file and the header it saw, exit 2,
    and the other reports are stored as they were."""
    from kpi_lib import store

    before = len(store.load("observations"))
    path = store_root / "data" / "raw" / "2022-23_Q3" / "unknown.txt"
    path.parent.mkdir(parents=True)
    path.write_text(
        "Quarter 3 2022/23\n\nObjective\tQ3 figure\tRating\nCalls answered\t91%\tGood\n"
    )
    assert main(["ingest"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "data/raw/2022-23_Q3/unknown.txt" in err[0] and "line 3" in err[0]
    assert "Objective | Q3 figure | Rating" in err[0] and "no KPI rows" in err[0]
    assert len(store.load("observations")) == before
    assert "unknown.txt" not in set(store.load("reports")["file"])


def test_a_document_naming_another_quarter_than_its_folder_is_a_warning(
    store_root: Path,
) -> None:
    from kpi_lib import store

    path = store_root / "data" / "raw" / "2022-23_Q3" / "late.txt"
    path.parent.mkdir(parents=True)
    path.write_text(
        "Corporate Performance Report 2022/23 Quarter 4\n\n"
        "Metric Name\tLatest Value\tRAG Status\nComplaints answered on time\t91%\tGreen\n"
    )
    assert main(["ingest"]) == 0
    rep = store.load("reports").set_index("file").loc["data/raw/2022-23_Q3/late.txt"]
    assert rep["report_period"] == "2022/23 Q4"
    assert "lies in the folder of 2022/23 Q3" in rep["warnings_text"]


def test_a_councils_own_words_in_its_profile_read_its_tables(store_root: Path, capsys) -> None:
    """The table refused above reads once the council's profile names its words; the cache
    keyed by the profile reads it afresh, and kpi extract uses the same profile."""
    from kpi_lib import store

    path = store_root / "data" / "raw" / "2022-23_Q3" / "unknown.txt"
    path.parent.mkdir(parents=True)
    path.write_text(
        "Quarter 3 2022/23\n\nObjective\tQ3 figure\tRating\nCalls answered\t91%\tGood\n"
    )
    assert main(["ingest"]) == 2
    capsys.readouterr()
    (store_root / "data" / "catalog" / "reader.yaml").write_text(
        "headers:\n  metric_name: [objective]\n  value: [q3 figure]\nstatuses:\n  good: green\n"
    )
    assert main(["ingest"]) == 0
    obs = store.load("observations")
    row = obs[obs["source_file"] == "data/raw/2022-23_Q3/unknown.txt"].iloc[0]
    assert (row["metric_name"], row["value"], row["rag"]) == ("Calls answered", 91.0, "Green")
    assert main(["extract", str(path), "--format", "csv"]) == 0
    assert "Calls answered,,,,91.0" in capsys.readouterr().out.replace('"', "")
