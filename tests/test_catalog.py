"""The KPI catalogue: one id per indicator across printed names, strict loading, suggestions."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.errors import InputError, UsageError
from kpi_lib.store.catalog import Catalog, KpiEntry, load_catalog, new_kpi_id, normalise_name

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CATALOG = ROOT / "data" / "catalog" / "kpis.yaml"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(CATALOG)


# Printed names of one indicator across reports (2019/20 table, 2022/23 table, 2021/22 heading).
SAME_KPI = {
    "sickness-absence-days-per-fte": [
        "Number of working days per full time equivalent lost to sickness absence",
        "Sickness Absence days per FTE",
        "Sickness absence.",
    ],
    "care-home-admissions-18-64": [
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 18-64 during the year",
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 18-64 during the year.",
    ],
    "care-home-admissions-65-plus": [
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 65+ during the year",
        "PERMANENT ADMISSIONS to residential and nursing care homes per 100,000 population "
        "aged 65+  during the year",
    ],
    "library-visits": [
        "Number of visits to libraries (annual cumulative indicator)",
        "Visitor numbers",
    ],
    "young-people-eet": [
        "Percentage of young people in employment education or training (NEET)",
        "% of Young People in Employment Education or Training",
        "16/17-year-olds in Employment Education or Training (EET).",
    ],
    "customer-access-calls-answered": [
        "% of calls presented to the Customer Access Service answered",
        "%  of calls presented to the customer access service answered",
    ],
    "cqc-care-homes-good-outstanding": [
        "Percentage of Care homes in Lancashire rated as Good or Outstanding – all Care Home "
        "provision (LCC and non-LCC maintained)",
        "% of CQC registered locations rated Good or Outstanding vs. Target - Residential",
        "Quality of care homes.",
    ],
    "cqc-community-providers-good-outstanding": [
        "Percentage care providers in the community rated as Good or Outstanding - all Community "
        "Based provision (LCC and non-LCC maintained)",
        "% of CQC registered locations rated Good or Outstanding vs. Target - Community Based",
        "Quality of community service providers.",
    ],
    "older-people-home-91-days-after-discharge": [
        "Percentage of older people (65 and over) who were still at home 91 days after discharge "
        "from hospital into reablement/rehabilitation services",
        "The Proportion of people aged 65 and over who were still at home 91 days after discharge "
        "from hospital into reablement/rehabilitation services %",
    ],
    "revenue-outturn-variance": [
        "Revenue forecast outturn % variance to budget",
        "% Revenue forecast outturn variance to budget",
    ],
    "carriageway-defects-4-hours": [
        "Safety carriageway defects repaired within 4 hours (emergency)",
        "Safety carriageway defects repaired within 4 hours (emergency) %",
    ],
    "library-pnet-sessions": [
        "Number of PNET sessions (annual cumulative indicator)",
        "Libraries – PNET sessions",
        "Libraries - PNET sessions",
        "People’s network (PNET) sessions",
    ],
}


@pytest.mark.parametrize("kpi_id", sorted(SAME_KPI))
def test_one_indicator_one_id(cat: Catalog, kpi_id: str) -> None:
    assert {cat.resolve(n) for n in SAME_KPI[kpi_id]} == {kpi_id}


def test_different_age_groups_and_timescales_stay_apart(cat: Catalog) -> None:
    base = "Permanent admissions to residential and nursing care homes per 100,000 population"
    young = cat.resolve(f"{base} aged 18-64 during the year")
    old = cat.resolve(f"{base} aged 65+ during the year")
    assert young and old and young != old
    defects = [
        "Safety carriageway defects repaired within 4 hours (emergency) %",
        "Safety carriageway defects repaired within 2 working days (urgent) %",
        "Safety carriageway defects repaired within 5 working days (non-urgent) %",
        "Safety carriageway defects repaired within 10 working days (non-urgent) %",
        "Safety carriageway defects repaired within 20 working days (non-urgent) %",
    ]
    ids = [cat.resolve(n) for n in defects]
    assert None not in ids and len(set(ids)) == 5
    # the young-people measure and its SEND variant are different indicators
    assert cat.resolve("% of Young People in Employment Education or Training") != cat.resolve(
        "% of Young People with SEND in Employment, Education or Training"
    )


def test_every_gold_metric_name_resolves(cat: Catalog) -> None:
    names = set(pd.read_csv(FIXTURES / "2022-23_Q2_kpis.csv")["metric_name"])
    names |= set(pd.read_csv(FIXTURES / "2019-20_Q3_kpis.csv")["metric_name"])
    names |= set(pd.read_csv(FIXTURES / "2023-24_Q2_kpis.csv")["metric_name"])
    assert [n for n in sorted(names) if cat.resolve(n) is None] == []


def test_renamed_kpi_keeps_its_id(cat: Catalog) -> None:
    """2023/24 prints the NHS health checks KPI "per quarter": the same indicator, one id."""
    assert cat.resolve(
        "NHS Health Checks undertaken (proportion of eligible population per quarter) %"
    ) == cat.resolve("NHS Health Checks undertaken (proportion of eligible population per year)")
    # a combined count and a KPI for disadvantaged pupils only are new indicators
    assert cat.resolve(
        "Number of visits to libraries and Number of e-downloads (annual cumulative indicator)"
    ) not in {cat.resolve("Number of visits to libraries (annual cumulative indicator)"), None}
    assert cat.resolve("Disadvantaged Pupils Average Attainment 8 Score at Key Stage 4") not in {
        cat.resolve("Pupils Average Attainment 8 Score at Key Stage 4"),
        None,
    }


def test_entries_use_the_declared_vocabularies(cat: Catalog) -> None:
    assert len({e.id for e in cat.entries}) == len(cat.entries)
    by_id = {e.id: e for e in cat.entries}
    assert by_id["library-visits"].accumulation == "annual cumulative"
    assert by_id["sickness-absence-days-per-fte"].accumulation == "rolling 12 months"
    assert by_id["sickness-absence-days-per-fte"].unit == "days per FTE"
    assert by_id["care-home-admissions-65-plus"].unit == "rate per 100k"
    assert by_id["care-home-admissions-65-plus"].polarity == "Low"


def test_unknown_name_gives_none_and_suggestions(cat: Catalog) -> None:
    name = "Sickness absence days lost per full time equivalent employee"
    assert cat.resolve(name) is None
    sugg = cat.suggest(name)
    assert sugg[0][0] == "sickness-absence-days-per-fte"
    assert len(sugg) == 3 and all(0 < s <= 1 for _, s in sugg)
    assert [s for _, s in sugg] == sorted((s for _, s in sugg), reverse=True)
    sugg = cat.suggest("Permanent admissions to care homes per 100,000 aged 65+", n=2)
    assert [k for k, _ in sugg][0] == "care-home-admissions-65-plus"
    assert cat.resolve("") is None and cat.suggest("") == []
    # near-misses are never resolved: only suggested
    assert cat.resolve("Sickness Absence days per FTE (rolling)") is None


def test_get(cat: Catalog) -> None:
    assert cat.get("library-visits").unit == "count"
    with pytest.raises(UsageError):
        cat.get("no-such-kpi")


def test_normalise_name() -> None:
    assert normalise_name("Libraries – PNET sessions") == normalise_name("libraries-pnet  SESSIONS")
    assert normalise_name("People’s network") == normalise_name("Peoples Network")
    assert normalise_name("aged 18-64") != normalise_name("aged 65+")


def test_new_kpi_id_is_deterministic_and_marked() -> None:
    a = new_kpi_id("Highways carriageway safety defects")
    assert a == "new-highways-carriageway-safety-defects"
    assert a == new_kpi_id("highways  carriageway safety defects.")
    long_a = new_kpi_id("Number of things " * 10 + "A")
    long_b = new_kpi_id("Number of things " * 10 + "B")
    assert long_a != long_b and long_a.startswith("new-") and len(long_a) <= 80
    assert new_kpi_id("%%").startswith("new-")


# --- malformed files ----------------------------------------------------------------------------
GOOD = """\
- id: a-kpi
  title: A KPI
  aliases: [First name]
  polarity: High
  unit: "%"
  frequency: quarterly
  accumulation: point
  section: S
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "kpis.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_small_catalogue_loads(tmp_path: Path) -> None:
    cat = load_catalog(_write(tmp_path, GOOD))
    assert cat.entries == [
        KpiEntry("a-kpi", "A KPI", ["First name"], "High", "%", "quarterly", "point", "S")
    ]
    assert cat.resolve("first  NAME") == "a-kpi" and cat.resolve("a kpi") == "a-kpi"


def test_year_basis_is_optional_and_defaults_to_financial(tmp_path: Path) -> None:
    (entry,) = load_catalog(_write(tmp_path, GOOD)).entries
    assert entry.year_basis == "financial"
    (entry,) = load_catalog(_write(tmp_path, GOOD + "  year_basis: academic\n")).entries
    assert entry.year_basis == "academic"


def test_education_kpis_count_academic_years(cat: Catalog) -> None:
    """Attainment, EYFS, school places, exclusions and early years take-up print academic years
    ("2021/22 Prov"); services and finance print financial years."""
    academic = {e.id for e in cat.entries if e.year_basis == "academic"}
    education = re.compile(r"^(?:ks\d|eyfs|school-places|school-exclusions|early-years)")
    assert academic == {e.id for e in cat.entries if education.match(e.id)}
    assert cat.get("sickness-absence-days-per-fte").year_basis == "financial"
    assert cat.get("schools-eosv-academy-buy-in").year_basis == "financial"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD + "- id: [broken\n", 10, "invalid YAML"),
        (GOOD.replace('  unit: "%"\n', ""), 1, "lacks unit"),
        (GOOD.replace('unit: "%"', "unit: percent"), 5, "unit"),
        (GOOD.replace("polarity: High", "polarity: Up"), 4, "polarity"),
        (GOOD.replace("section: S", "section: S\n  colour: red"), 9, "unknown field"),
        (GOOD + GOOD, 9, "duplicate id"),
        (GOOD + GOOD.replace("a-kpi", "b-kpi").replace("A KPI", "B"), 11, "already belongs"),
        (GOOD.replace("id: a-kpi", "id: New KPI"), 1, "slug"),
        (GOOD.replace("id: a-kpi", "id: new-thing"), 1, "slug"),
        (GOOD.replace("aliases: [First name]", "aliases: First name"), 3, "list"),
        (GOOD + "  year_basis: calendar\n", 9, "year_basis 'calendar' is not one of"),
        (GOOD + "  year_basis: academic\n  year_basis: academic\n", 10, "given twice"),
        ("id: a-kpi\n", 1, "list of KPI entries"),
        (GOOD + "  min: zero\n", 9, "min 'zero' must be a number or none"),
    ],
)
def test_malformed_catalogue_names_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_catalog(path)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert words in err.value.problem
    assert f"line {line}" in str(err.value)


def test_a_declared_range_is_read(tmp_path: Path) -> None:
    cat = load_catalog(_write(tmp_path, GOOD + "  min: none\n  max: 100\n"))
    assert (cat.get("a-kpi").min, cat.get("a-kpi").max) == ("none", "100")


def test_missing_or_empty_catalogue(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_catalog(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="empty"):
        load_catalog(_write(tmp_path, "# nothing yet\n"))


def test_default_path_is_the_project_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_ROOT", str(ROOT))
    assert load_catalog().entries == load_catalog(CATALOG).entries
