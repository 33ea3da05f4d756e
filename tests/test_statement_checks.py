"""What the reports derive, checked against the council's own words: every check of
tests/fixtures/statements/checks*.csv (each cites the source lines it rests on) run on the
tables and pages of every bundled quarter and the deep dives the checks name."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from common import FIXTURES
from statement_checks import Outputs, run_check

pytestmark = pytest.mark.xdist_group("notebooks")  # reads the session's notebook runs

# Checks that do not hold yet, each a known wrong sentence still on the page (strict: a fix
# that makes one hold fails here until it is taken off this list).
NOT_YET: set[str] = set(
    """

    """.split()
)


def _checks() -> list[dict[str, str]]:
    rows = []
    for path in sorted((FIXTURES / "statements").glob("checks*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


CHECKS = _checks()


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(strict=True)] * (c["id"] in NOT_YET))
        for c in CHECKS
    ],
)
def test_statement_holds(every_quarter: tuple[Path, object], check: dict[str, str]) -> None:
    ok, detail = run_check(check, Outputs(every_quarter[0]))
    assert ok, f"{check['id']} [{check['family']}] {check['period']}: {detail}; {check['note']}"
