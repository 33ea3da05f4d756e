"""The headline a report states in prose: how many KPIs were rated and how many were green,
amber and red ("41 rated ... 23 meeting or exceeding ... 13 slightly below ... 5 significantly
below ... 56.1%").

Reads wording, not sentences: each clause is classified by its status words, then its count and
percentage are read in either order ("39% (12)", "23 (56.1%)", "23 are ..."). Nothing is
computed: a percentage that is not printed stays None.

What counts as a headline (so that "Doorstep collected green waste is up 6% (April to November
2019)" is not one):
- years, financial years, quarters and dates are never counts ("2019", "2019/20", "Q3",
  "19th February"); a count has at most three digits;
- prose about KPIs giving a total rated plus a status count, or at least two status counts;
- self-consistent: no status count above the total rated, statuses not adding up to more than
  it, percentages within 0-100 and not adding up to more than 100 (allowing for rounding).
  Smaller disagreements (statuses adding up to less than the total, a printed percentage that
  does not match its count) are what the report printed: the headline is kept and
  `Headline.problems()` names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi_lib.values import MONTHS, collapse

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
_NOT_AFTER = r"(?<![\w./,£$])"  # not inside 2019/20, 3,629 or £23
_PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|per\s?cent)"
# "39% (12)" / "23 (56.1%)" / "56.1%" / "23"
_PCT_COUNT = re.compile(rf"(?i){_PCT}\s*\(\s*(?P<count>\d{{1,3}})\s*\)")
_COUNT_PCT = re.compile(rf"(?i){_NOT_AFTER}\b(?P<count>\d{{1,3}})\s*\(\s*{_PCT}\s*\)")
_PCT_ONLY = re.compile(rf"(?i){_PCT}")
_COUNT_ONLY = re.compile(rf"(?i){_NOT_AFTER}(?P<count>{_NUM})\b(?![.,]?\d|\s*(?:%|per\s?cent))")
# Years, financial years, quarters and dates: blanked out before anything is counted.
# "may" only beside a year or an ordinal: "5 may be red" is a count
_MONTH = "(?:" + "|".join(sorted((m for m in MONTHS if m != "may"), key=len, reverse=True)) + ")"
_DATES = re.compile(
    r"(?i)\b(?:19|20)\d\d\s*[/-]\s*(?:\d{4}|\d{2})\b"  # 2019/20, 2019-2020
    r"|\b(?:19|20)\d\d\b"  # 2019
    r"|\b(?P<a>\d\d)\s*/\s*(?P<b>\d\d)\b"  # 19/20, if the years are consecutive
    r"|\b(?:q|quarter\s*)[1-4]\b"  # Q3, quarter 3
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH}|may\s+(?:19|20)\d\d)\b"  # 19 Feb
    r"|\b\d{1,2}(?:st|nd|rd|th)\s+(?:of\s+)?may\b"  # 5th May
    # "(April 18)", "February 19th," but not "in March 23 KPIs were green"
    rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*[^\W\d_])"
)
_KPI_WORD = r"(?:kpis?\b|key performance indicators|(?:performance )?indicators|measures)"
# "41 rated key performance indicators", "31 high level Key Performance Indicators (KPIs)"
_TOTAL = re.compile(
    rf"(?i){_NOT_AFTER}(?P<count>{_NUM})\s+(?:(?!unrated)[^\W\d][\w-]*\s+){{0,4}}?" + _KPI_WORD
)
# Inside a status clause only an explicit total counts: "Of 40 rated KPIs 10 (60%) are green",
# not "there were 12 green KPIs".
_NO_STATUS = r"(?!(?:green|amber|red)\b)"
_TOTAL_IN_STATUS = re.compile(
    rf"(?i)(?:\b(?:out )?of (?:the |all )?|there (?:are|were) |total of )(?P<count>{_NUM})\s+"
    rf"(?:{_NO_STATUS}[^\W\d][\w-]*\s+){{0,4}}?{_KPI_WORD}|{_NOT_AFTER}(?P<rcount>{_NUM})\s+rated\b"
)
# a comma ends a clause unless it separates thousands ("2,019")
_CLAUSE_SPLIT = re.compile(
    r"(?<!\d)[.;:](?!\d)|,(?!\d{3}\b)|\band\b|\bwhile\b|\bwhilst\b|\bwith\b", re.I
)
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
    pct_amber: float | None = None  # printed beside a count ("16% (5) are slightly under")
    pct_red: float | None = None

    def problems(self) -> list[str]:
        """Disagreements between the printed numbers; empty when they agree or cannot be checked."""
        out = []
        parts = (self.green, self.amber, self.red)
        if self.rated is not None and None not in parts:
            total = sum(p for p in parts if p is not None)
            if total != self.rated:
                out.append(f"green+amber+red = {total} but {self.rated} rated")
        for status, count, pct in (
            ("green", self.green, self.pct_green),
            ("amber", self.amber, self.pct_amber),
            ("red", self.red, self.pct_red),
        ):
            if pct is not None and count is not None and self.rated:
                share = 100 * count / self.rated
                if abs(share - pct) > 1.0:
                    out.append(f"{pct}% {status} but {count}/{self.rated} = {share:.1f}%")
        return out


def _count(text: str) -> int:
    return _WORDS[text.lower()] if text.lower() in _WORDS else int(float(text))


def _status(clause: str) -> str | None:
    for pat, status in _STATUS:
        if pat.search(clause):
            return status
    return None


def _blank_date(m: re.Match[str]) -> str:
    if m["a"] and (int(m["a"]) + 1) % 100 != int(m["b"]):
        return m.group(0)  # "12/20": not a year
    return " "


def _read(text: str) -> dict[str, float | int]:
    """Counts and percentages found in one stretch of prose, first mention of each wins."""
    found: dict[str, float | int] = {}
    for clause in _CLAUSE_SPLIT.split(_DATES.sub(_blank_date, text)):
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


_STATUSES = ("green", "amber", "red")


def _is_headline(found: dict[str, float | int], text: str) -> bool:
    """Prose about KPIs giving a total rated and a status count, or two status counts, whose
    numbers can describe one set of KPIs."""
    statuses = [k for k in _STATUSES if k in found]
    enough = len(statuses) >= 2 or ("rated" in found and len(statuses) == 1)
    return enough and _consistent(found) and _ABOUT_KPIS.search(text) is not None


def _consistent(found: dict[str, float | int]) -> bool:
    """False for numbers that cannot belong together: statuses adding up to more than the total
    rated, a percentage above 100, or percentages adding up to more than 100 (each may be
    rounded to a whole number: at most 1.5 over)."""
    counts = sum(found[k] for k in _STATUSES if k in found)
    if "rated" in found and counts > found["rated"]:
        return False
    pcts = [found[f"pct_{k}"] for k in _STATUSES if f"pct_{k}" in found]
    return all(0 <= v <= 100 for v in pcts) and sum(pcts) <= 101.5


def extract_headline(lines: list[str]) -> Headline | None:
    """The report's headline RAG counts, from the stretch of up to four consecutive non-blank
    lines that states the most of them (rated, green, amber, red, % green); ties go to the
    shorter, then the earlier stretch. None unless a stretch is a headline (module docstring):
    about KPIs, a total rated and a status count or two status counts, self-consistent."""
    best: tuple[int, int, int] | None = None
    best_found: dict[str, float | int] = {}
    best_text = ""
    flat = [collapse(line) for line in lines]  # once per line, not once per stretch
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        parts: list[str] = []
        for j in range(i, min(i + _WINDOW, len(lines))):
            if not lines[j].strip():
                break
            parts.append(flat[j])
            text = " ".join(parts)
            if _ABOUT_KPIS.search(text) is None:
                continue  # not about KPIs: no headline, whatever _read would find (cheaper)
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

    def _pct(key: str) -> float | None:
        value = best_found.get(key)
        return None if value is None else float(value)

    return Headline(
        rated=_int("rated"),
        green=_int("green"),
        amber=_int("amber"),
        red=_int("red"),
        pct_green=_pct("pct_green"),
        source_line=best[2] + 1,
        text=best_text,
        pct_amber=_pct("pct_amber"),
        pct_red=_pct("pct_red"),
    )


# "a summary of performance for the 43 key performance indicators (KPIs)", "31 performance
# indicators are reported": how many KPIs the report says it covers, rated or not
_COVERED = re.compile(
    rf"(?i){_NOT_AFTER}\b(?P<count>\d{{1,3}})\s+(?:(?!(?:un)?rated\b)[^\W\d][\w-]*\s+){{0,3}}?"
    r"(?:kpis?\b|key performance indicators|performance indicators)"
)
_COVERS = re.compile(
    r"(?i)\b(?:report\w*|summary|summari[sz]\w*|cover\w*|includ\w*|agreed|set out|monitor\w*)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass
class Covered:
    """How many KPIs a report says it covers, where it says so."""

    count: int
    source_line: int
    text: str


def extract_covered(lines: list[str]) -> Covered | None:
    """The first sentence saying how many KPIs the report covers ("This quarter 2 (Q2)
    2023/24 report provides a summary of performance for the 43 key performance indicators
    (KPIs) ..."): a count before the words KPIs / performance indicators, in a sentence about
    the report (report, summary, covers, included ...) that gives no status count. Never a
    count of rated KPIs ("41 rated key performance indicators"): that is the headline's."""
    for i, line in enumerate(lines):
        for sentence in _SENTENCE.split(collapse(line)):
            blanked = _DATES.sub(_blank_date, sentence)
            m = _COVERED.search(blanked)
            if not m or not _COVERS.search(blanked) or _status(blanked) is not None:
                continue
            return Covered(int(m["count"]), i + 1, sentence)
    return None
