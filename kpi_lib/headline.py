"""The headline a report states in prose: how many KPIs were rated and how many were green,
amber and red ("41 rated ... 23 meeting or exceeding ... 13 slightly below ... 5 significantly
below ... 56.1%").

Reads wording, not sentences: each clause is classified by its status words, then its count and
percentage are read in either order ("39% (12)", "23 (56.1%)", "23 are ..."). Nothing is
computed: a percentage that is not printed stays None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi_lib.values import collapse

# Status words, most specific first: "significantly below" before "below", "not on track"
# before "on track".
_STATUS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.I), status)
    for p, status in [
        (r"significantly (?:below|under|off)|well below|requir\w* improvement", "red"),
        (r"off[ -]track|not on (?:track|target)|recovery action|\bred\b", "red"),
        (r"slightly (?:below|under|off)|just (?:below|under)|near(?:ly)? (?:to )?target", "amber"),
        (r"\bamber\b", "amber"),
        (
            r"(?:meeting|achieving|met|achieved) or exceed\w*|at or above|on track|on target",
            "green",
        ),
        (r"\bgreen\b|exceed(?:ing|ed)? (?:the |their )?target", "green"),
    ]
]
_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_NUM = r"(?:\d{1,3}|" + "|".join(_WORDS) + r")"  # KPI counts: never years or big figures
_PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|per\s?cent)"
# "39% (12)" / "23 (56.1%)" / "56.1%" / "23"
_PCT_COUNT = re.compile(rf"(?i){_PCT}\s*\(\s*(?P<count>\d{{1,3}})\s*\)")
_COUNT_PCT = re.compile(rf"(?i)\b(?P<count>\d{{1,3}})\s*\(\s*{_PCT}\s*\)")
_PCT_ONLY = re.compile(rf"(?i){_PCT}")
_COUNT_ONLY = re.compile(rf"(?i)(?<![\w./])(?P<count>{_NUM})\b(?![.,]?\d|\s*(?:%|per\s?cent))")
_KPI_WORD = r"(?:kpis?\b|key performance indicators|(?:performance )?indicators|measures)"
# "41 rated key performance indicators", "31 high level Key Performance Indicators (KPIs)"
_TOTAL = re.compile(
    rf"(?i)(?<![\w./])(?P<count>{_NUM})\s+(?:(?!unrated)[^\W\d][\w-]*\s+){{0,4}}?" + _KPI_WORD
)
# Inside a status clause only an explicit total counts: "Of 40 rated KPIs 10 (60%) are green".
_TOTAL_IN_STATUS = re.compile(
    rf"(?i)(?:\b(?:out )?of (?:the |all )?|there (?:are|were) |total of )(?P<count>{_NUM})\s+"
    rf"(?:[^\W\d][\w-]*\s+){{0,4}}?{_KPI_WORD}|(?<![\w./])(?P<rcount>{_NUM})\s+rated\b"
)
_CLAUSE_SPLIT = re.compile(r"(?<!\d)[.;:](?!\d)|,|\band\b|\bwhile\b|\bwhilst\b|\bwith\b", re.I)
_WINDOW = 4  # a headline paragraph may be wrapped over a few lines
_ABOUT_KPIS = re.compile(r"(?i)\b(?:kpis?|(?:performance )?indicators?|measures)\b")


@dataclass
class Headline:
    rated: int | None
    green: int | None
    amber: int | None
    red: int | None
    pct_green: float | None
    source_line: int
    text: str

    def problems(self) -> list[str]:
        """Disagreements between the printed numbers; empty when they agree or cannot be checked."""
        out = []
        parts = (self.green, self.amber, self.red)
        if self.rated is not None and None not in parts:
            total = sum(p for p in parts if p is not None)
            if total != self.rated:
                out.append(f"green+amber+red = {total} but {self.rated} rated")
        if self.pct_green is not None and self.green is not None and self.rated:
            share = 100 * self.green / self.rated
            if abs(share - self.pct_green) > 1.0:
                out.append(f"{self.pct_green}% green but {self.green}/{self.rated} = {share:.1f}%")
        return out


def _count(text: str) -> int:
    return _WORDS[text.lower()] if text.lower() in _WORDS else int(float(text))


def _status(clause: str) -> str | None:
    for pat, status in _STATUS:
        if pat.search(clause):
            return status
    return None


def _read(text: str) -> dict[str, float | int]:
    """Counts and percentages found in one stretch of prose, first mention of each wins."""
    found: dict[str, float | int] = {}
    for clause in _CLAUSE_SPLIT.split(text):
        status = _status(clause)
        if status is None:
            m = _TOTAL.search(clause)
            if m and "unrated" not in clause[: m.end()].lower():
                found.setdefault("rated", _count(m["count"]))
            continue
        if m := _TOTAL_IN_STATUS.search(clause):
            found.setdefault("rated", _count(m["count"] or m["rcount"]))
            clause = clause[: m.start()] + " " + clause[m.end() :]
        count = pct = None
        for pat in (_PCT_COUNT, _COUNT_PCT):
            if m := pat.search(clause):
                count, pct = int(m["count"]), float(m["pct"])
                break
        else:
            if m := _PCT_ONLY.search(clause):
                pct = float(m["pct"])
            if m := _COUNT_ONLY.search(_PCT_ONLY.sub(" ", clause)):
                count = _count(m["count"])
        if count is not None:
            found.setdefault(status, count)
        if pct is not None:
            found.setdefault(f"pct_{status}", pct)
    return found


def _score(found: dict[str, float | int]) -> int:
    return sum(k in found for k in ("rated", "green", "amber", "red", "pct_green"))


def _is_headline(found: dict[str, float | int], text: str) -> bool:
    """Prose about KPIs giving at least two counts, one of them a status count."""
    counts = [k for k in ("rated", "green", "amber", "red") if k in found]
    return len(counts) >= 2 and counts != ["rated"] and _ABOUT_KPIS.search(text) is not None


def extract_headline(lines: list[str]) -> Headline | None:
    """The report's headline RAG counts, from the stretch of up to four consecutive non-blank
    lines that states the most of them (rated, green, amber, red, % green); ties go to the
    shorter, then the earlier stretch. None unless the prose is about KPIs and gives at least two
    counts, one of them green, amber or red."""
    best: tuple[int, int, int] | None = None
    best_found: dict[str, float | int] = {}
    best_text = ""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        parts: list[str] = []
        for j in range(i, min(i + _WINDOW, len(lines))):
            if not lines[j].strip():
                break
            parts.append(collapse(lines[j]))
            text = " ".join(parts)
            found = _read(text)
            if not _is_headline(found, text):
                continue
            key = (-_score(found), len(parts), i)
            if best is None or key < best:
                best, best_found, best_text = key, found, text
    if best is None:
        return None

    def _int(key: str) -> int | None:
        value = best_found.get(key)
        return None if value is None else int(value)

    pct = best_found.get("pct_green")
    return Headline(
        rated=_int("rated"),
        green=_int("green"),
        amber=_int("amber"),
        red=_int("red"),
        pct_green=None if pct is None else float(pct),
        source_line=best[2] + 1,
        text=best_text,
    )
