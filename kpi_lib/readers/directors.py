"""The executive directors' accounts in an executive summary: each paragraph under a signed
line ("Louise Taylor, Executive Director of Adult Services") is a block of commentary by that
director. A quarter that prints only its headline says what is off track and what is being done
here and nowhere else, so these blocks are kept (about no one KPI: the analysis attaches the
sentences to the KPIs they name)."""

from __future__ import annotations

import re

from kpi_lib.readers.commentary import Comment

KIND = "directors_summary"
# "Name Surname, [Interim] Chief Executive" / ", Executive Director of X" / ", Director of X"
SIGNED = re.compile(
    r"^\s*(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}),\s+"
    r"(?P<role>(?:Interim\s+)?(?:Chief\s+Executive|(?:Executive\s+)?Director\s+(?:of|for)\s+.+?))"
    r"\.?\s*$"
)
MAX_SIGNED = 120  # a signed line is short; a sentence naming a director is not one
ENDS_SENTENCE = re.compile(r"[.!?:)\"”’]\s*$")


def signed(line: str) -> re.Match[str] | None:
    return SIGNED.match(line) if len(line) <= MAX_SIGNED else None


def directors_comments(lines: list[str]) -> list[Comment]:
    """One block per paragraph under each signed line, up to the next signed line or the end;
    a paragraph broken by a page break (no full stop before the blank lines) is joined."""
    heads = [(k, m) for k, line in enumerate(lines) if (m := signed(line))]
    out: list[Comment] = []
    for i, (k, m) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(lines)
        role = " ".join(m["role"].split())
        heading = f"{' '.join(m['name'].split())}, {role}"
        para: list[str] = []
        start = 0
        for j in range(k + 1, end):
            text = " ".join(lines[j].split())
            if not text:
                continue
            if para and ENDS_SENTENCE.search(para[-1]):
                out.append(Comment(KIND, role, heading, " ".join(para), start + 1))
                para = []
            if not para:
                start = j
            para.append(text)
        if para:
            out.append(Comment(KIND, role, heading, " ".join(para), start + 1))
    return out
