"""The words that label a block of commentary ("Issues:", "Short term actions:",
"Issues/causes:"): shared by the commentary reader and the PDF word-table reader, which must not
take a label line for a table row."""

from __future__ import annotations

import re

LABEL_PREFIX = (
    r"(?:(?:ongoing|short[\s-]*term|medium[\s-]*term|long[\s-]*term|further|next|key)\s+)?"
)
LABEL_CORE = r"(?:issues?|causes?|actions?)"
LABEL_SUFFIX = (
    r"(?:\s+(?:in\s+progress|(?:being\s+)?taken|planned|proposed|under\s*way|to\s+date))?"
)
LABEL_RE = re.compile(
    rf"^(?P<label>{LABEL_PREFIX}{LABEL_CORE}(?:\s*(?:/|&|and)\s*{LABEL_CORE})?{LABEL_SUFFIX})"
    rf"\s*(?P<colon>:)?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)

# a line opening with a word that labels prose, its colon and text ("Commentary: under review."):
# what a table is followed by, never a KPI's name
PROSE_LABEL_RE = re.compile(
    r"(?i)^(?:commentary|comments?|notes?|narrative|update|officer\s+comments?|explanation|"
    r"context|summary|analysis|issues?|causes?|actions?)\s*:\s*\S"
)
