"""Statements as data: every sentence a page derives is a row of statements.csv with its
evidence (figures, periods, bases, source lines, rule), the page renders those rows and nothing
else derived, and a statement without its evidence stops the build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from common import DEEP_KPI

from kpi_lib.report.statements import (
    COLUMNS,
    REQUIRED,
    Statement,
    StatementError,
    checked,
    frame,
    validate,
    withhold,
)


def make(family: str, **kw: object) -> Statement:
    base: dict[str, object] = {
        "family": family,
        "kpi_id": "some-kpi",
        "key": "2023/24 Q2",
        "table": "movers",
        "text": "A sentence.",
        "verdict": "",
        "rule": "the rule",
        "figures": "previous 1; latest 2",
        "periods": "2022/23 Q2 -> 2023/24 Q2",
        "bases": "quarter",
        "sources": "data/raw/x.txt:12",
    }
    base.update(kw)
    return Statement(**base)  # type: ignore[arg-type]


# --- the contract ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "field"), [(f, x) for f, need in REQUIRED.items() for x in need]
)
def test_a_shown_statement_without_its_evidence_fails_the_build(family: str, field: str) -> None:
    frame([make(family)])  # complete: accepted
    with pytest.raises(StatementError, match=field):
        frame([make(family, **{field: "  "})])


def test_a_withheld_statement_needs_a_reason_and_is_never_shown_text() -> None:
    with pytest.raises(StatementError, match="without a reason"):
        frame([make("mover", shown=False)])
    df = frame([withhold(make("mover"), "the previous figure's source is unknown")])
    assert not df["shown"].iloc[0]


@pytest.mark.parametrize("family", sorted(REQUIRED))
def test_checked_withholds_what_lacks_evidence_and_says_what(family: str) -> None:
    field = REQUIRED[family][-1]
    s = checked(make(family, **{field: ""}))
    assert not s.shown and field in s.withheld_because
    assert checked(make(family)).shown


def test_unknown_family_and_blank_text_are_refused() -> None:
    with pytest.raises(StatementError, match="unknown family"):
        frame([make("prophecy")])
    with pytest.raises(StatementError, match="without text"):
        frame([make("mover", text="")])


def test_ids_are_unique_even_for_two_statements_on_one_row() -> None:
    df = frame([make("mover"), make("mover"), make("status")])
    assert df["statement_id"].is_unique
    assert list(df.columns) == COLUMNS


# --- published pages -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(published: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(published))
        yield published


PAGES = [
    ("2022-23_Q2", "02_quarterly_report.html"),
    ("2024-25_Q2", "02_quarterly_report.html"),
    (f"kpi/{DEEP_KPI}", "03_kpi_deep_dive.html"),
]
# sections whose every table row is a derived statement
DERIVED_TABLES = (
    "Biggest movers",
    "Off-track KPIs",
    "Where the recomputed RAG differs",
    "Claims in the commentary",
)


def _load(project: Path, folder: str) -> pd.DataFrame:
    path = project / "outputs" / folder / "tables" / "statements.csv"
    assert path.is_file(), f"no statements.csv in {folder}"
    return pd.read_csv(path, dtype=str, keep_default_na=False).assign(
        shown=lambda d: d["shown"] == "True"
    )


@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize(("folder", "page"), PAGES)
def test_every_published_statement_has_its_evidence(project: Path, folder: str, page: str) -> None:
    st = _load(project, folder)
    assert st["shown"].any()
    validate(st)  # the published table passes the same check as the build
    # every cited place exists: the file is an input and the line is inside it
    for cited in st.loc[st["shown"], "sources"]:
        for place in filter(None, (p.strip() for p in cited.split(";"))):
            m = re.match(r"^(data/raw/[^:]+?)(?::p\d+)?(?::(\d+)(?:-(\d+))?)?$", place)
            assert m, f"not a file:line place: {place!r}"
            lines = (project / m.group(1)).read_text(encoding="utf-8").splitlines()
            for n in filter(None, (m.group(2), m.group(3))):
                assert 1 <= int(n) <= len(lines), place


@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize(("folder", "page"), PAGES)
def test_the_page_shows_statements_and_nothing_else_derived(
    project: Path, folder: str, page: str
) -> None:
    st = _load(project, folder).set_index("statement_id")
    soup = BeautifulSoup((project / "outputs" / folder / page).read_text("utf-8"), "html.parser")
    marked = soup.select("[data-statement]")
    assert marked, "no sentence on the page is tied to a statement"
    for el in marked:
        sid = el["data-statement"]
        assert sid in st.index, f"page shows {sid!r}, which statements.csv does not hold"
        assert st.at[sid, "shown"], f"page shows withheld statement {sid!r}"
        if el.name in ("p", "span"):
            assert " ".join(el.get_text().split()) == " ".join(st.at[sid, "text"].split())
    on_page = {el["data-statement"] for el in marked}
    for family in ("mover", "off_track", "commentary", "trend", "forecast"):
        mine = st[st["shown"] & (st["family"] == family)]
        if family == "forecast" and folder.startswith("20"):
            continue  # a forecast is a column of its off-track row, not a sentence of its own
        missing = set(mine.index) - on_page
        assert not missing, f"shown {family} statements not on the page: {sorted(missing)[:3]}"
    for h in soup.find_all(["h2"]):
        if not h.get_text().startswith(DERIVED_TABLES):
            continue
        table = h.find_next("table")
        if table is None or table.find_previous("h2") is not h:
            continue
        for tr in table.select("tbody tr"):
            assert tr.get("data-statement"), f"a row under {h.get_text()!r} has no statement"


@pytest.mark.xdist_group("notebooks")
def test_the_audit_covers_the_statements(project: Path) -> None:
    manifest = json.loads((project / "outputs" / "2022-23_Q2" / "manifest.json").read_text())
    assert "tables/statements.csv" in manifest["results"]["tables"]


@pytest.mark.xdist_group("notebooks")
def test_a_headline_only_quarter_compares_only_headlines_counted_alike(project: Path) -> None:
    st = _load(project, "2024-25_Q2")
    hist = st[st["statement_id"] == "headline:-:history"]
    assert len(hist) == 1
    row = hist.iloc[0]
    bases = [b.strip() for b in row["bases"].split("->")]
    if row["shown"] and len(set(bases)) > 1:
        assert "not counted the same way" in row["text"] and "points" not in row["text"]
