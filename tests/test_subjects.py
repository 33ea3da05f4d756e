"""A sentence about a KPI's variant ("young people with SEND", "aged 65+") is checked against
and filed under the variant, never under the KPI whose heading the block sits under."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.claims import check_claims
from kpi_lib.analysis.subjects import sentence_subjects, variants
from kpi_lib.store.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(ROOT / "data" / "catalog" / "kpis.yaml")

# (the block's KPI, its variant, how a sentence names the variant, how it names the KPI)
PAIRS = [
    ("young-people-eet", "young-people-send-eet", "young people with SEND", "all young people"),
    ("ks2-reading-writing-maths", "ks2-reading-writing-maths-send", "SEND pupils", "all pupils"),
    ("ks4-attainment-8", "ks4-attainment-8-send", "SEND pupils", "all pupils"),
    ("ks4-attainment-8", "ks4-attainment-8-disadvantaged", "disadvantaged pupils", "all pupils"),
    ("care-home-admissions-18-64", "care-home-admissions-65-plus", "people aged 65+", "adults"),
    ("nowcards-older-people-5-days", "nowcards-disabled-5-days", "disabled people", "older people"),
]
SAY = [
    "The {q} average for {who} has remained steady at {v}.",
    "For {who}, the figure was {v} in the quarter.",
    "Performance for {who} improved to {v}.",
]


def _commentary(text: str, kpi: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_period": ["2021/22 Q4"],
            "kpi_id": [kpi],
            "source_file": ["r.txt"],
            "source_line": [10],
            "text": [text],
        }
    )


def _table(kpi: str, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_period": ["2021/22 Q4"],
            "kpi_id": [kpi],
            "metric_name": [CATALOG.get(kpi).title],
            "period": ["2021/22 Q4"],
            "value": [value],
            "target_text": [""],
            "polarity": ["High"],
            "unit": ["%"],
            "heading": [""],
            "is_current": [True],
        }
    )


@pytest.mark.parametrize(("kpi", "variant", "names", "plain"), PAIRS)
def test_the_catalogue_knows_each_variant(kpi: str, variant: str, names: str, plain: str) -> None:
    assert variant in {v.kpi_id for v in variants(CATALOG, [kpi])}


@pytest.mark.parametrize(
    ("pair", "say"), list(itertools.product(PAIRS, SAY)), ids=lambda x: str(x)[:30]
)
def test_a_sentence_naming_the_variant_is_about_it_and_the_next_pointing_back_too(
    pair: tuple[str, str, str, str], say: str
) -> None:
    kpi, variant, names, plain = pair
    text = (
        say.format(q="3-month", who=plain, v="94.8%")
        + " "
        + say.format(q="3-month", who=names, v="89.4%")
        + " This is below the latest National (91.4%)."
        + " The team continues its work with schools (92.0%)."
    )
    about = sentence_subjects(text, variants(CATALOG, [kpi]))
    found = {s: v.kpi_id for s, v in about.items()}
    assert list(found.values()) == [variant, variant], found
    assert any("89.4%" in s for s in found) and any("91.4%" in s for s in found)
    # checked against the variant's own figure where it is held, and filed under it
    com = _commentary(text, kpi)
    obs = pd.concat([_table(kpi, 94.8), _table(variant, 89.4)], ignore_index=True)
    claims = check_claims(com, obs, "2021/22 Q4", CATALOG).set_index("claimed_value")
    assert claims.loc[89.4, "kpi_id"] == variant and claims.loc[89.4, "status"] == "matched"
    assert claims.loc[94.8, "kpi_id"] == kpi and claims.loc[94.8, "status"] == "matched"
    assert claims.loc[91.4, "kpi_id"] == variant
    assert claims.loc[92.0, "kpi_id"] == kpi  # the chain is broken by a sentence of its own


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[1])
def test_without_the_variants_figures_its_claims_are_not_checkable_and_not_the_kpis(
    pair: tuple[str, str, str, str],
) -> None:
    kpi, variant, names, _ = pair
    text = f"The figure for {names} is 89.4%."
    claims = check_claims(_commentary(text, kpi), _table(kpi, 94.8), "2021/22 Q4", CATALOG)
    assert list(claims["kpi_id"]) == [variant]
    assert claims["status"].iloc[0] == "not checkable"
    assert claims["reason"].iloc[0].startswith(f"about {variant} (the sentence names ")
    assert "no figure is held" in claims["reason"].iloc[0]


@pytest.mark.parametrize(
    "text",
    [
        "We send letters to all young people; 89.4% replied.",  # "send", the verb
        "Both all young people and those with SEND and disadvantaged pupils rose (89.4%).",
        "Performance improved to 89.4%.",
    ],
)
def test_sentences_naming_no_single_variant_stay_with_the_block(text: str) -> None:
    found = variants(CATALOG, ["young-people-eet", "ks4-attainment-8"])
    about = sentence_subjects(text, found)
    assert not any(v.kpi_id.endswith("send-eet") for v in about.values()) or "SEND" in text
    if "SEND" not in text:
        assert about == {}


def test_two_variants_in_one_sentence_name_neither() -> None:
    found = variants(CATALOG, ["ks4-attainment-8"])
    text = "SEND pupils scored 30.1 and disadvantaged pupils 35.2."
    assert sentence_subjects(text, found) == {}


def test_without_a_catalogue_nothing_moves() -> None:
    text = "The figure for young people with SEND is 89.4%."
    claims = check_claims(
        _commentary(text, "young-people-eet"), _table("young-people-eet", 94.8), "2021/22 Q4"
    )
    assert list(claims["kpi_id"]) == ["young-people-eet"]
