"""`kpi catalog init` groups a council's names that are one KPI printed differently, never two
measures that share a template ("% of council tax collected" and "% of business rates
collected"), and never two names printed as rows of one report."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from common import FIXTURES

from kpi_lib.cli import main
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.catalog_init import printed_together, variant_groups
from kpi_lib.store.ingest import ingest

TEMPLATES = [
    "% of {} collected",
    "Number of {}",
    "Average days to process {}",
    "{} - rate per 1,000 population",
]
SUBJECTS = ["council tax", "business rates", "housing benefit claims", "library visits"]
# ways one KPI's name is printed from one report to the next
VARIANTS = ["{}", "{} (in year)", "{} - quarterly", "{} (cumulative)"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_two_measures_of_one_template_are_never_one_kpi(template: str) -> None:
    names = [template.format(s) for s in SUBJECTS]
    groups = variant_groups(names)
    assert len(set(groups.values())) == len(names), groups


@pytest.mark.parametrize(("template", "subject"), list(itertools.product(TEMPLATES, SUBJECTS)))
def test_one_kpi_printed_with_a_qualifier_is_grouped(template: str, subject: str) -> None:
    base = template.format(subject)
    names = [v.format(base) for v in VARIANTS]
    assert len(set(variant_groups(names).values())) == 1


def test_names_printed_in_one_report_are_two_kpis_however_alike() -> None:
    obs = pd.DataFrame(
        {
            "report_period": ["2023/24 Q2", "2023/24 Q2", "2022/23 Q2"],
            "metric_name": [
                "% of council tax collected (in year)",
                "% of council tax collected",
                "% of council tax collected - quarterly",
            ],
        }
    )
    groups = variant_groups(list(obs["metric_name"]), printed_together(obs))
    both = {groups["% of council tax collected (in year)"], groups["% of council tax collected"]}
    assert len(both) == 2  # printed side by side: two KPIs
    # a chain through a third name cannot join them either
    assert groups["% of council tax collected - quarterly"] in both


def test_a_councils_init_keeps_business_rates_apart_from_council_tax(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    councils = [
        {"id": "lancashire", "name": "Lancashire County Council", "default": True},
        {"id": "blackburn", "name": "Blackburn with Darwen Borough Council"},
    ]
    (store_root / "data" / "councils.yaml").write_text(yaml.safe_dump(councils), encoding="utf-8")
    shutil.copytree(FIXTURES / "councils" / "blackburn", store_root / "data" / "raw" / "blackburn")
    ingest()
    assert main(["catalog", "init", "--council", "blackburn"]) == 0
    catalog = load_catalog(council="blackburn")
    tax = catalog.resolve("% of council tax collected (in year)")
    rates = catalog.resolve("% of business rates collected")
    assert tax and rates and tax != rates
    assert catalog.resolve("% of council tax collected") == tax  # the same KPI renamed
