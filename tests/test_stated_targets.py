"""A target the table does not print but the KPI's own commentary states ("still above the
target range of 600-680 at 692.0") is shown with its line; a target that is not plainly the
KPI's current one (another year's, another body's, one of two, a variant's) is not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.claims_extract import extract_claims
from kpi_lib.analysis.stated_targets import stated_targets
from kpi_lib.store.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(ROOT / "data" / "catalog" / "kpis.yaml")
KPI = "care-home-admissions-65-plus"


def _blocks(*texts: str, kpis: tuple[str, ...] = (KPI,)) -> pd.DataFrame:
    rows = [
        {
            "report_period": "2021/22 Q4",
            "kpi_id": k,
            "source_file": "r.txt",
            "source_line": 10 + i,
            "text": t,
        }  # fmt: skip
        for i, t in enumerate(texts)
        for k in kpis
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("sentence", "shown"),
    [
        ("It is still above the target range of 600-680 at 692.0 admissions.", "600-680"),
        ("Performance is 81.2% against a target of 90%.", "90%"),
        ("The target is 3.2 - 4.3 days per FTE; we are at 4.9.", "3.2-4.3"),
        ("The target range is 600 to 680 admissions.", "600-680"),
        ("We reached 70%, short of the 85% target.", "85%"),
        ("The target of 1,250 visits was missed (1,100).", "1,250"),
        ("Against the target range of 5.5–6.5 the rate stands at 7.1.", "5.5-6.5"),
    ],
)
def test_a_stated_target_is_read_with_its_line(sentence: str, shown: str) -> None:
    found = stated_targets(_blocks("Some context first.", sentence), "2021/22 Q4", [KPI])
    assert found[KPI].text == shown
    assert found[KPI].source_line == 11
    assert found[KPI].quote in sentence and "line 11" in found[KPI].where()


@pytest.mark.parametrize(
    "sentence",
    [
        "Next year's target of 650 will be harder to meet.",
        "A new target of 600 is proposed for 2023/24.",
        "The national target of 95% is met by few councils.",
        "If the target of 600 were applied, we would be Red.",
        "The rate is 692.0 admissions.",  # no target at all
        "Targets for 2023 are under review (600).",
        "This remains off the target of 72.8% set for 2020/21.",
        "A stretch target of 8 days is to be achieved by 2025/26.",
        "The target of 600 for the coming year is tighter.",
    ],
)
def test_a_target_not_plainly_current_is_not_taken(sentence: str) -> None:
    assert stated_targets(_blocks(sentence), "2021/22 Q4", [KPI]) == {}


def test_two_different_targets_leave_it_unsaid() -> None:
    text = "The target of 600 applies to Q1. The target of 680 is the year's."
    assert stated_targets(_blocks(text), "2021/22 Q4", [KPI]) == {}
    same = "The target of 600 was missed. Against the target of 600 we stand at 692."
    assert stated_targets(_blocks(same), "2021/22 Q4", [KPI])[KPI].text == "600"


def test_a_block_shared_by_two_kpis_states_no_ones_target() -> None:
    blocks = _blocks("The target of 600 was missed.", kpis=(KPI, "care-home-admissions-18-64"))
    assert stated_targets(blocks, "2021/22 Q4", [KPI]) == {}


def test_a_sentence_about_a_variant_gives_the_variant_not_the_block_its_target() -> None:
    text = "For people aged 18-64 the target of 14 was met."
    assert stated_targets(_blocks(text), "2021/22 Q4", [KPI], CATALOG) == {}
    assert stated_targets(_blocks(text), "2021/22 Q4", [KPI], None)[KPI].text == "14"


def test_only_the_kpis_asked_for_and_only_this_report() -> None:
    blocks = _blocks("The target of 600 was missed.")
    assert stated_targets(blocks, "2021/22 Q4", ["other-kpi"]) == {}
    assert stated_targets(blocks, "2022/23 Q2", [KPI]) == {}


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("the target range of 600-680 at 692", 600.0, 680.0),
        ("a target of 5 to 10 per cent", 5.0, 10.0),
        ("the target of 90% - 5 of 6 were met", 90.0, None),  # a dash that is not a range
    ],
)
def test_a_target_claim_keeps_its_range(text: str, lo: float, hi: float | None) -> None:
    (claim,) = [c for c in extract_claims(text) if c.kind == "target"]
    assert (claim.value, claim.target) == (lo, hi)
