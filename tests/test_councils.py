"""Two councils in one project (issue 17 parts 1, 4, 5): a council's rows, catalogue, bands and
reports are its own; a file filed under the wrong council is named and left out; polarity and
an amber rule come from the council where its report prints none.

The second council is tests/fixtures/councils/blackburn/ (two quarters in the layout
Lancashire's readers read, with no "Good is" column, one KPI printed under a name that is also
one of Lancashire's: "Sickness Absence days per FTE").
"""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from common import FIXTURES

from kpi_lib.analysis.bands import MAX_AMBER, Point, band_for
from kpi_lib.analysis.rag import rag_table
from kpi_lib.cli import main
from kpi_lib.readers.council_name import council_named
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.councils import load_councils
from kpi_lib.store.ingest import ingest
from kpi_lib.store.read import catalog_suggestions, council_table
from kpi_lib.store.snapshot import Store

OTHER = FIXTURES / "councils" / "blackburn"
OTHER_NAME = "Blackburn with Darwen Borough Council"
SHARED_NAME = "Sickness Absence days per FTE"  # printed by both councils
LANCS = "lancashire"


def declare(root: Path, **rule: object) -> None:
    """councils.yaml with Lancashire (default) and Blackburn (with `rule` fields)."""
    councils = [
        {"id": LANCS, "name": "Lancashire County Council", "default": True},
        {"id": "blackburn", "name": OTHER_NAME, **rule},
    ]
    (root / "data" / "councils.yaml").write_text(yaml.safe_dump(councils), encoding="utf-8")


def add_other(root: Path) -> None:
    shutil.copytree(OTHER, root / "data" / "raw" / "blackburn")


def frames(store: Store) -> dict[str, pd.DataFrame]:
    return {
        "observations": store.observations,
        "reports": store.reports,
        "commentary": store.commentary,
        "named": store.named,
    }


# --- which council a document names -----------------------------------------------------------
PLACES = ["Blackburn with Darwen", "Stoke-on-Trent", "Newcastle upon Tyne", "Cornwall", "Leeds"]
TYPES = ["Borough", "City", "County", "District", "Metropolitan Borough", ""]
OPENINGS = ["{c}", "Corporate Performance Report {c}", "{c}: KPI commentary, Quarter 2", "# {c}"]


@pytest.mark.parametrize(
    ("place", "kind", "opening"), list(itertools.product(PLACES, TYPES, OPENINGS))
)
def test_the_council_a_title_names_is_read(place: str, kind: str, opening: str) -> None:
    name = " ".join(w for w in (place, kind, "Council") if w)
    text = "\n\n" + opening.format(c=name) + "\n2022/23 Quarter 2\n"
    assert council_named(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "Corporate Performance Report\nKPI commentary\n",
        "Report to Full Council\n",
        "Performance of the County Council\n",
        "\n".join(["line"] * 40) + "\nHertfordshire County Council works with us\n",
    ],
)
def test_no_council_is_read_where_the_title_names_none(text: str) -> None:
    assert council_named(text) is None


# --- the store: one council's rows never reach another's ---------------------------------------
def test_another_councils_files_never_change_a_councils_store(store_root: Path) -> None:
    """Every table Lancashire's analysis reads, as of every bundled quarter, and the judged RAG
    of each, are the same with Blackburn's two quarters in the project; Blackburn's rows are
    its own, its shared-name KPI not filed under Lancashire's id."""
    before = Store.load()
    declare(store_root)
    add_other(store_root)
    result = ingest(keep_going=True)
    assert not result.failed
    after = Store.load()
    for name, df in frames(before).items():
        pd.testing.assert_frame_equal(df, frames(after)[name], check_exact=True, obj=name)
    for label in sorted(set(before.reports["report_period"])):
        a, b = before.as_of(label), after.as_of(label)
        pd.testing.assert_frame_equal(
            rag_table(a.observations, report_period=label, commentary=a.commentary),
            rag_table(b.observations, report_period=label, commentary=b.commentary),
            obj=label,
        )
    other = Store.load("blackburn")
    assert set(other.reports["file"]) == {
        f"data/raw/blackburn/{q}/{q}_performance_report.md" for q in ("2022-23_Q2", "2023-24_Q2")
    }
    shared = other.observations[other.observations["metric_name"] == SHARED_NAME]
    assert len(shared) == 1 and not shared["catalogued"].any()
    assert shared["kpi_id"].iloc[0].startswith("new-")
    lancs = after.observations
    assert not lancs["source_file"].str.contains("blackburn").any()


def test_a_file_filed_under_the_wrong_council_is_named_and_left_out(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in (store_root / "data" / "processed").glob("*.parquet")}
    for quarter in ("2022-23_Q2", "2023-24_Q2"):
        src = OTHER / quarter / f"{quarter}_performance_report.md"
        shutil.copy(src, store_root / "data" / "raw" / quarter / f"bwd_{quarter}.md")
    assert main(["ingest"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    for quarter, line in zip(("2022-23_Q2", "2023-24_Q2"), err, strict=True):
        assert f"data/raw/{quarter}/bwd_{quarter}.md" in line
        assert OTHER_NAME in line and "not ingested" in line
    after = {p.name: p.read_bytes() for p in (store_root / "data" / "processed").glob("*.parquet")}
    assert after == before


MISPLACED = [
    "Blackburn with Darwen Borough Council",
    "Stoke-on-Trent City Council",
    "Cornwall Council",
    "Newcastle upon Tyne City Council",
    "Kent County Council",
    "Wigan Metropolitan Borough Council",
]
OWN_NAMES = ["Lancashire County Council", "Lancashire Council", "LANCASHIRE COUNTY COUNCIL"]


def test_every_file_naming_another_council_is_named_and_its_own_are_ingested(
    store_root: Path,
) -> None:
    """A family: the same report retitled for six councils and placed as the default council's
    is refused, one line each naming the file and the council; retitled with the default
    council's own name (as printed three ways) it is ingested."""
    text = (OTHER / "2022-23_Q2" / "2022-23_Q2_performance_report.md").read_text("utf-8")
    folder = store_root / "data" / "raw" / "2022-23_Q2"
    for i, name in enumerate([*MISPLACED, *OWN_NAMES]):
        body = text.replace(OTHER_NAME, name).replace("Quarter 2**", f"Quarter 2** ({i})")
        (folder / f"retitled_{i}.md").write_text(body, encoding="utf-8")
    result = ingest(keep_going=True)
    refused = {Path(e.path).name: str(e) for e in result.failed}
    assert set(refused) == {f"retitled_{i}.md" for i in range(len(MISPLACED))}
    for i, name in enumerate(MISPLACED):
        assert name in refused[f"retitled_{i}.md"]
    own = {f"data/raw/2022-23_Q2/retitled_{i}.md" for i in range(len(MISPLACED), 9)}
    assert own <= set(Store.load().reports["file"])


def test_a_file_named_from_outside_data_raw_is_filed_under_the_commands_council(
    store_root: Path, tmp_path: Path
) -> None:
    declare(store_root)
    outside = tmp_path / "bwd.md"
    shutil.copy(OTHER / "2023-24_Q2" / "2023-24_Q2_performance_report.md", outside)
    assert main(["ingest", "--council", "blackburn", str(outside)]) == 0
    assert len(Store.load("blackburn").reports) == 1
    assert not Store.load().reports["file"].str.endswith("bwd.md").any()


def test_a_file_whose_sources_row_names_its_council_is_that_councils(store_root: Path) -> None:
    """Known from SOURCES.csv's publisher: placed as today, filed under Blackburn."""
    declare(store_root)
    dest = store_root / "data" / "raw" / "2022-23_Q2" / "bwd.md"
    shutil.copy(OTHER / "2022-23_Q2" / "2022-23_Q2_performance_report.md", dest)
    with (store_root / "data" / "raw" / "SOURCES.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"2022-23_Q2/bwd.md,2022/23 Q2,KPI report,{OTHER_NAME},,OGL,test\n")
    assert not ingest(keep_going=True).failed
    assert list(Store.load("blackburn").reports["file"]) == ["data/raw/2022-23_Q2/bwd.md"]
    assert "data/raw/2022-23_Q2/bwd.md" not in set(Store.load().reports["file"])


# --- the catalogue: matches never cross councils -----------------------------------------------
def test_catalogue_suggestions_never_cross_councils(store_root: Path) -> None:
    declare(store_root)
    add_other(store_root)
    ingest()
    lancs_ids = {e.id for e in load_catalog().entries}
    theirs = catalog_suggestions(council="blackburn")
    assert SHARED_NAME in set(theirs["metric_name"])
    assert (theirs["suggestions"] == "").all(), "a Lancashire entry was offered to Blackburn"
    mine = catalog_suggestions()
    other_names = set(council_table("observations", "blackburn")["metric_name"])
    assert not other_names & set(mine["metric_name"])
    # a council's own variants are grouped
    groups = dict(zip(theirs["metric_name"], theirs["variant_group"], strict=True))
    assert groups[SHARED_NAME] == groups["Sickness absence - days lost per FTE"]
    tax = ["% of council tax collected", "% of council tax collected (in year)"]
    assert groups[tax[0]] == groups[tax[1]]
    assert groups[SHARED_NAME] != groups[tax[0]]
    assert not any(k in lancs_ids for k in theirs["kpi_id"])


def test_a_shared_kpi_is_the_one_match_across_councils(store_root: Path) -> None:
    """Marking Lancashire's sickness entry `shared` lets Blackburn's printed name resolve to it;
    the series stay apart (each council reads its own rows)."""
    declare(store_root)
    add_other(store_root)
    path = store_root / "data" / "catalog" / "kpis.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "- id: sickness-absence-days-per-fte\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + "  shared: true\n"), encoding="utf-8")
    ingest()
    theirs = Store.load("blackburn").observations
    row = theirs[theirs["metric_name"] == SHARED_NAME]
    assert row["kpi_id"].tolist() == ["sickness-absence-days-per-fte"]
    assert row["catalogued"].all()
    lancs = Store.load().rows("sickness-absence-days-per-fte")
    assert not lancs["source_file"].str.contains("blackburn").any()
    # no other Lancashire entry is offered to Blackburn: only shared ones
    offered = "; ".join(catalog_suggestions(council="blackburn")["suggestions"])
    lancs_only = {e.id for e in load_catalog().entries if not e.shared}
    assert not any(f"{k} (" in offered for k in lancs_only)


# --- onboarding: kpi catalog init ---------------------------------------------------------------
def test_catalog_init_writes_reviewable_entries_for_a_councils_names(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declare(store_root)
    add_other(store_root)
    ingest()
    lancs_catalog = (store_root / "data" / "catalog" / "kpis.yaml").read_bytes()
    assert main(["catalog", "init", "--council", "blackburn"]) == 0
    assert "data/catalog/blackburn/kpis.yaml" in capsys.readouterr().out
    assert (store_root / "data" / "catalog" / "kpis.yaml").read_bytes() == lancs_catalog
    entries = yaml.safe_load(
        (store_root / "data" / "catalog" / "blackburn" / "kpis.yaml").read_text(encoding="utf-8")
    )
    assert all(e["review"] is True for e in entries)
    by_name = {n: e for e in entries for n in (e["title"], *e["aliases"])}
    names = set(council_table("observations", "blackburn")["metric_name"])
    assert set(by_name) == names  # every new name, each in one entry
    sick = by_name[SHARED_NAME]
    assert sick is by_name["Sickness absence - days lost per FTE"]
    assert (sick["polarity"], sick["unit"]) == ("Low", "days per FTE")
    assert by_name["% of council tax collected"]["unit"] == "%"
    assert by_name["Number of households in temporary accommodation"]["unit"] == "count"
    ingest()
    theirs = Store.load("blackburn").observations
    assert theirs["catalogued"].all()
    assert theirs.loc[theirs["metric_name"] == SHARED_NAME, "kpi_id"].item() == sick["id"]
    assert main(["catalog", "init", "--council", "blackburn"]) == 2  # nothing new to add
    assert "nothing to add" in capsys.readouterr().err


# --- RAG per council ------------------------------------------------------------------------------
def _rag(period: str, council: str) -> pd.DataFrame:
    data = Store.load(council).as_of(period)
    return rag_table(
        data.observations,
        report_period=period,
        commentary=data.commentary,
        catalog=data.catalog,
        council=data.council,
    )


def test_kpi_rag_uses_the_catalogue_polarity_where_the_report_prints_none(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declare(store_root)
    add_other(store_root)
    ingest()
    before = _rag("2022/23 Q2", "blackburn")
    assert (before["computed_rag"] == "").all()  # no polarity printed, none catalogued
    assert main(["catalog", "init", "--council", "blackburn"]) == 0
    ingest()
    capsys.readouterr()
    assert main(["rag", "--council", "blackburn", "--period", "2022/23 Q2"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert len(table) == 9 and (table["computed_rag"] != "").all()
    sick = table[table["metric_name"] == SHARED_NAME].iloc[0]
    assert sick["polarity"] == "Low"
    assert "polarity Low from the catalogue" in sick["reason"]
    assert "guessed by `kpi catalog init`, not yet reviewed" in sick["reason"]
    lib = table[table["metric_name"] == "Number of library visits"].iloc[0]
    assert (lib["polarity"], lib["computed_rag"]) == ("High", "Green")


def _reviewed(root: Path, council: str) -> None:
    """A person has checked the guesses: `review: true` comes off every entry."""
    path = root / "data" / "catalog" / council / "kpis.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        e.pop("review", None)
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")


def test_trend_words_use_the_catalogue_polarity_and_say_whose_it_is(store_root: Path) -> None:
    """A council that prints no "Good is": a mover's rise or fall is improving or worsening by
    its catalogue, never by a guess said as a fact, and never without saying where the polarity
    comes from; without one the movement is given and no direction."""
    from kpi_lib.report.quarterly import build

    declare(store_root)
    add_other(store_root)
    ingest()

    def movers() -> pd.DataFrame:
        q = build("2023/24 Q2", snapshot=Store.load("blackburn"))
        return q.movers[q.movers["change"].abs() > 0]

    bare = movers()
    assert len(bare) and (bare["direction"].isin(["", "little change"])).all()
    assert main(["catalog", "init", "--council", "blackburn"]) == 0
    ingest()
    guessed = movers()  # a guess nobody has reviewed: rose or fell, and why no direction
    moved = guessed[guessed["movement"].isin(["rising", "falling"])]
    moved = moved[~moved["reason"].str.contains("not called little change")]
    assert len(moved) and (moved["direction"] == "").all()
    assert moved["reason"].str.contains("only as guessed by `kpi catalog init`").all()
    _reviewed(store_root, "blackburn")
    sure = movers()
    moved = sure[sure["direction"].isin(["improving", "worsening"])]
    assert len(moved) and moved["reason"].str.endswith("from the catalogue").all()
    catalog = load_catalog(council="blackburn")
    for _, r in moved.iterrows():
        pol = catalog.get(r["kpi_id"]).polarity
        assert (r["direction"] == "improving") == ((r["change"] > 0) == (pol == "High"))


@pytest.mark.parametrize("rule", [0.05, 0.10, 0.15, 0.2])
def test_a_councils_published_amber_rule_is_used(store_root: Path, rule: float) -> None:
    declare(store_root, amber_within=f"{rule:.0%}", amber_rule="within the rule is Amber")
    add_other(store_root)
    ingest()
    main(["catalog", "init", "--council", "blackburn"])
    ingest()
    table = _rag("2022/23 Q2", "blackburn")
    missed = table[table["band"] != ""]
    assert len(missed) >= 6
    for _, r in missed.iterrows():
        target = float(str(r["target_text"]).split()[0].rstrip("%").replace(",", ""))
        gap = abs(r["value"] - target) / target
        assert r["computed_rag"] == ("Amber" if gap <= rule else "Red"), r["metric_name"]
        assert "published rule of Blackburn" in r["band"]
    assert set(missed["computed_rag"]) == {"Amber", "Red"}
    # Lancashire, with no rule declared, keeps the bands its statuses imply
    lancs = _rag("2023/24 Q2", LANCS)
    assert not lancs["band"].str.contains("published rule").any()


# --- learned bands: one odd status cannot stretch them ----------------------------------------
def _report(edge: float, n: int = 6) -> list[Point]:
    """A report whose statuses draw an amber edge at `edge`: Ambers below it, Reds above it
    (within MAX_AMBER), Greens at met targets."""
    pts = [
        Point("2023/24 Q2", f"a{i}", "2023/24 Q2", edge * (i + 1) / n, "Amber") for i in range(n)
    ]
    step = (MAX_AMBER - edge) / (n + 1)
    pts += [
        Point("2023/24 Q2", f"r{i}", "2023/24 Q2", edge + step * (i + 1), "Red") for i in range(n)
    ]
    pts += [Point("2023/24 Q2", f"g{i}", "2023/24 Q2", 0.0, "Green") for i in range(3)]
    return pts


EDGES = [0.03, 0.05, 0.08, 0.1, 0.137, 0.18, 0.2]


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("odd_gap", [0.3, 0.45, 0.6, 0.9])
def test_one_odd_amber_does_not_widen_the_band(edge: float, odd_gap: float) -> None:
    """One Amber at a miss of 30-90%, in the report or among the KPI's own earlier statuses,
    leaves the band the other statuses draw exactly as it is."""
    report = _report(edge)
    judged = ("2023/24 Q2", "x", "2023/24 Q2")
    plain = band_for(report, *judged, 0.05)
    assert plain.amber < MAX_AMBER
    odd_in_report = [*report, Point("2023/24 Q2", "odd", "2023/24 Q2", odd_gap, "Amber")]
    own_earlier = [*report, Point("2022/23 Q2", "x", "2022/23 Q2", odd_gap, "Amber")]
    assert band_for(odd_in_report, *judged, 0.05).amber == plain.amber
    assert band_for(own_earlier, *judged, 0.05) == plain


@pytest.mark.parametrize("edge", EDGES)
def test_two_earlier_statuses_that_agree_still_move_a_kpis_band(edge: float) -> None:
    """The rule is about one odd status: the KPI's own statuses that agree still count (so the
    test above is not passing because earlier statuses were ignored altogether)."""
    report = _report(edge)
    judged = ("2023/24 Q2", "x", "2023/24 Q2")
    plain = band_for(report, *judged, 0.05)
    own = [Point(rp, "x", rp, 0.4, "Amber") for rp in ("2021/22 Q4", "2022/23 Q2")]
    moved = band_for([*report, *own], *judged, 0.05)
    assert moved.amber > plain.amber and "moved by this KPI's 2 earlier statuses" in moved.source


def test_councils_yaml_mistakes_are_one_line(kpi_root: Path) -> None:
    path = kpi_root / "data" / "councils.yaml"
    for text, said in [
        ("- id: a\n  name: A\n- id: b\n  name: B\n", "exactly one council"),
        ("- id: A B\n  name: A\n  default: true\n", "lower-case slug"),
        ("- id: a\n  name: A\n  default: true\n  amber_within: 140%\n", "amber_within"),
        ("- id: a\n  name: A\n  default: true\n  colour: red\n", "unknown field"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(Exception, match=said):
            load_councils()


def test_a_new_councils_own_project_starts_without_a_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A council setting up its own project has reports and no catalogue: ingest stores every
    KPI as new and says so, then `kpi catalog init` writes the catalogue to review (it needs
    the store, so ingest must not need the catalogue)."""
    root = tmp_path / "westshire"
    (root / "data" / "raw" / "2023-24_Q2").mkdir(parents=True)
    (root / "data" / "councils.yaml").write_text(
        "- id: westshire\n  name: Westshire District Council\n  default: true\n"
    )
    (root / "data" / "raw" / "2023-24_Q2" / "q2.txt").write_text(
        "Westshire District Council\nQuarter 2 2023/24\n\n"
        "Indicator\tActual\tTarget\tStatus\n"
        "Missed bin collections per 100,000\t48\t60\tOn track\n"
        "Complaints responded to within 10 days\t96%\t90%\tOn track\n"
    )
    monkeypatch.setenv("KPI_ROOT", str(root))
    monkeypatch.delenv("KPI_PROCESSED", raising=False)
    assert main(["ingest"]) == 0
    err = capsys.readouterr().err
    assert "data/catalog/kpis.yaml: no KPI catalogue for Westshire District Council yet" in err
    assert Store.load().observations["kpi_id"].str.startswith("new-").all()
    assert main(["catalog", "init"]) == 0
    entries = yaml.safe_load((root / "data" / "catalog" / "kpis.yaml").read_text())
    polarity = {e["title"]: e["polarity"] for e in entries}
    assert polarity == {
        "Missed bin collections per 100,000": "Low",
        "Complaints responded to within 10 days": "High",  # something done, in time
    }
    capsys.readouterr()
    assert main(["ingest"]) == 0
    assert "no KPI catalogue" not in capsys.readouterr().err
    assert Store.load().observations["catalogued"].all()


@pytest.mark.parametrize(
    ("name", "polarity"),
    [
        ("Average working days lost to sickness per employee", "Low"),
        ("Missed bin collections per 100,000", "Low"),
        ("Households in temporary accommodation", "Low"),
        ("Days to process new housing benefit claims", "Low"),
        ("Condition of A road % Red", "Low"),
        ("Proportion of children excluded from school", "Low"),
        ("Percentage of invoices paid within 30 days", "High"),
        ("Fly-tipping incidents cleared within 2 working days", "High"),
        ("Complaints responded to within 10 working days", "High"),
        ("Homelessness cases prevented", "High"),
        ("% of care homes rated Good or Outstanding by CQC", "High"),
        ("Visits to leisure centres", "High"),
    ],
)
def test_a_polarity_guessed_from_a_name(name: str, polarity: str) -> None:
    """What `kpi catalog init` guesses where a council prints no polarity (marked for review):
    a bad thing counted is Low, something done about it (in time, at all) is High."""
    from kpi_lib.store.catalog_init import guess_polarity

    assert guess_polarity(name, [])[0] == polarity
