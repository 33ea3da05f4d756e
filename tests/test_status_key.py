"""A report's printed status key ("Within 10% of target" / "More than 10% from target") is the
council's published amber rule: RAG is recomputed with it, as known at the time, unless
councils.yaml declares one; keys that disagree, or half a key, are not taken."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml
from common import FIXTURES

from kpi_lib.readers.status_key import status_key
from kpi_lib.store.ingest import ingest
from kpi_lib.store.snapshot import Store

AMBER = ["Within {s}% of target", "Amber - within {s}% of target", "Up to {s}% below target",
         "Less than {s}% off target", "Amber: within {s} per cent of the target"]  # fmt: skip
RED = ["More than {s}% from target", "Red - more than {s}% below target",
       "Over {s}% off target", "Red: greater than {s} per cent from the target"]  # fmt: skip
SHARES = ["5", "10", "15", "2.5"]
STYLES = ["\t{}", "- {}", "* **{}**", "{}"]


@pytest.mark.parametrize(
    ("amber", "red", "share", "style"), list(itertools.product(AMBER, RED, SHARES, STYLES))
)
def test_a_printed_key_gives_the_amber_rule(amber: str, red: str, share: str, style: str) -> None:
    lines = ["# Council", "", "Each table shows the status as:", "", style.format("On target")]
    lines += [style.format(amber.format(s=share)), style.format(red.format(s=share)), ""]
    key = status_key(lines)
    assert key is not None and key.amber_within == pytest.approx(float(share) / 100)
    assert key.source_line == 6 and share in key.text


@pytest.mark.parametrize(
    "lines",
    [
        ["Collection is within 10% of target this quarter."],  # prose, no key
        ["Within 10% of target", "More than 5% from target"],  # the two sides disagree
        ["Within 10% of target", "", "", "", "", "", "More than 10% from target"],  # too far apart
        [
            "Within 10% of target",
            "More than 10% from target",
            "",
            "",
            "",
            "",
            "",
            "",
            "Within 5% of target",
            "More than 5% from target",
        ],  # two keys that disagree
    ],  # fmt: skip
)
def test_half_a_key_or_keys_that_disagree_give_none(lines: list[str]) -> None:
    assert status_key(lines) is None


def _blackburn(root: Path, share_2022: str = "10", declared: str | None = None) -> None:
    councils = [
        {"id": "lancashire", "name": "Lancashire County Council", "default": True},
        {"id": "blackburn", "name": "Blackburn with Darwen Borough Council"}
        | ({"amber_within": declared} if declared else {}),
    ]
    (root / "data" / "councils.yaml").write_text(yaml.safe_dump(councils), encoding="utf-8")
    dest = root / "data" / "raw" / "blackburn"
    shutil.copytree(FIXTURES / "councils" / "blackburn", dest)
    old = next((dest / "2022-23_Q2").glob("*.md"))
    old.write_text(
        old.read_text(encoding="utf-8").replace("10%", f"{share_2022}%"), encoding="utf-8"
    )


def test_the_store_takes_the_councils_key_as_known_at_the_time(store_root: Path) -> None:
    _blackburn(store_root)
    ingest()
    store = Store.load("blackburn")
    assert store.council.amber_within == pytest.approx(0.10)
    assert "Within 10% of target" in store.council.amber_rule
    assert "line 12" in store.council.amber_rule
    assert Store.load("lancashire").council.amber_within is None  # prints no such key


def test_keys_that_changed_are_each_used_for_their_own_time(store_root: Path) -> None:
    _blackburn(store_root, share_2022="5")
    ingest()
    assert Store.load("blackburn").council.amber_within is None  # 5% then 10%: not plain
    early = Store.load("blackburn").as_of("2022/23 Q2").council
    assert early.amber_within == pytest.approx(0.05)


def test_a_declared_rule_wins_over_the_printed_key(store_root: Path) -> None:
    _blackburn(store_root, declared="15%")
    ingest()
    council = Store.load("blackburn").council
    assert council.amber_within == pytest.approx(0.15)
    assert "status key" not in council.amber_rule
