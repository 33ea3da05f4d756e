"""The amber rule a report prints in its status key: "On target / Within 10% of target / More
than 10% from target".

A council that publishes where Amber ends has said how its statuses are judged; recomputing them
with another band (the 5% tolerance, or bands learned from its statuses) would call a 7% miss Red
where its own key says Amber. The key is taken only where it is plainly a key: a line giving the
Amber side ("within 10% of target") and, within a few lines, one giving the Red side at the same
share ("more than 10% from target").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi_lib.readers.textdoc import strip_markup

_SHARE = r"(?P<share>\d{1,2}(?:\.\d+)?)\s*(?:%|per\s?cent\b)"
_OF_TARGET = r"\s+(?:of|below|from|off|short\s+of|away\s+from|outside)\s+(?:the\s+|its\s+)?target\b"
_AMBER = re.compile(
    rf"(?i)^\W*(?:amber\W+)?(?:within|up\s+to|less\s+than|no\s+more\s+than|under)\s+{_SHARE}"
    rf"{_OF_TARGET}"
)
_RED = re.compile(
    rf"(?i)^\W*(?:red\W+)?(?:more\s+than|over|greater\s+than|beyond|at\s+least)\s+{_SHARE}"
    rf"{_OF_TARGET}"
)
_NEAR = 4  # lines between the two sides of one key


@dataclass(frozen=True)
class StatusKey:
    amber_within: float  # a share: 0.10
    source_line: int  # 1-based, the Amber line
    text: str  # as printed: "Within 10% of target"


def status_key(lines: list[str]) -> StatusKey | None:
    """The report's printed amber rule; None where it prints none, or two that disagree."""
    texts = [strip_markup(line).strip() for line in lines]
    found: list[StatusKey] = []
    for i, text in enumerate(texts):
        m = _AMBER.match(text)
        if m is None:
            continue
        share = float(m.group("share"))
        near = texts[max(0, i - _NEAR) : i + _NEAR + 1]
        if any((r := _RED.match(t)) and float(r.group("share")) == share for t in near):
            found.append(StatusKey(share / 100.0, i + 1, text))
    if not found or len({k.amber_within for k in found}) > 1:
        return None
    return found[0]
