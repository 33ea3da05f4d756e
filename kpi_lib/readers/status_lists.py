"""Lists in a report's prose naming the indicators it rates below the desired level.

A report whose tables lost their status icons (the 2019/20 agenda pack) still says which KPIs
are off track: "However, indicators performing below the desired level include:" followed by
bullets, grouped under priority headings. Each bullet is matched to the report's own table
rows by its words, and becomes a commentary block of kind `named_below` about that metric, so
the off-track list can name it with the line it was named on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kpi_lib.readers.commentary import Comment, PdfLine, match_metrics
from kpi_lib.values import collapse

NAMED_BELOW = "named_below"

# "indicators performing below the desired level include:", "KPIs below target are:",
# "the following indicators require improvement:", "measures that are off track:"
_INTRO = re.compile(
    r"(?i)\b(?:indicators?|kpis?|measures?|metrics?|areas?)\b[^.:]{0,80}?"
    r"(?:\bbelow\s+(?:the\s+)?(?:desired\s+level|target|expectations?)|\brequir\w*\s+improvement"
    r"|\boff[- ]track|\bnot\s+(?:on\s+track|meeting\s+(?:the\s+)?targets?))"
    r"[^:]{0,40}:\s*$"
)
_BULLET = re.compile(r"^\s*(?:[-•*\u2022\u25aa\u25cf]|\d{1,2}[.)])\s+(?P<text>\S.*)$")
# a group heading between bullets ("Lancashire will be the place to live –")
_GROUP = re.compile(r"[-\u2013\u2014:]\s*$")
_GROUP_WORDS = 16


def named_below(lines: list[str], rows: Iterable[dict]) -> list[Comment]:
    """A `named_below` block for each bullet of each such list that names a metric of the
    report's tables (`rows`: the reader's rows, with metric_name)."""
    metrics = list(dict.fromkeys(str(r["metric_name"]) for r in rows if r.get("metric_name")))
    if not metrics:
        return []
    out: list[Comment] = []
    for i, line in enumerate(lines):
        if "\t" in line or not _INTRO.search(line.strip()):
            continue
        out.extend(_bullets(lines, i, collapse(line), metrics))
    return out


def _bullets(lines: list[str], start: int, intro: str, metrics: list[str]) -> list[Comment]:
    """The bullets after the intro line `start`, through group headings and blank lines, up to
    the first other line; a bullet wrapped onto a line of its own (starting in lower case) is
    one item."""
    items: list[tuple[int, str, str]] = []  # (line, group, text)
    group, last = "", -2  # `last`: the line the latest item went on to
    for j in range(start + 1, len(lines)):
        text = lines[j].strip()
        if not text:
            continue
        m = _BULLET.match(text)
        if m is not None:
            items.append((j + 1, group, collapse(m["text"])))
            last = j
            continue
        if items and last == j - 1 and text[:1].islower():
            line, grp, before = items[-1]
            items[-1] = (line, grp, f"{before} {collapse(text)}")
            last = j
            continue
        if _GROUP.search(text) and len(text.split()) <= _GROUP_WORDS and "\t" not in text:
            group = collapse(_GROUP.sub("", text))
            continue
        break
    out: list[Comment] = []
    for line, grp, text in items:
        item = text.rstrip(" .;")
        for metric in match_metrics(item, metrics):
            out.append(
                Comment(
                    kind=NAMED_BELOW,
                    label=intro,
                    heading=grp,
                    text=item,
                    source_line=line,
                    metrics=[metric],
                )
            )
    return out


def named_below_printed(printed: Sequence[PdfLine], rows: Iterable[dict]) -> list[Comment]:
    """named_below over a PDF's printed lines, each block placed by its page and line."""
    found = named_below([t.text for t in printed], rows)
    for c in found:
        t = printed[c.source_line - 1]
        c.source_line, c.source_page = t.line, t.page
    return found
