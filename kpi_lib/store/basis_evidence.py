"""A figure's basis from the council's own words, where they settle what the catalogue assumes.

The catalogue says library visits add up over the year, so a Q2 figure reads as the year to
date. But 2022/23 Q2's commentary says "visitor numbers have only reached around two thirds of
pre-pandemic levels": 571,743 is about two thirds of a pre-pandemic quarter (924,365) and a
third of a pre-pandemic half-year (1,797,304), so it is one quarter's visits. The rule: where a
sentence about the KPI relates its figure to a share of an earlier comparable figure ("two
thirds of pre-pandemic levels", "78% of last year's"), each basis the figure could have (the
quarter's own count or the year to date) is tested against the earlier figures of that basis
known when the report was published; when exactly one makes the share true, that is the basis,
and the sentence, its file and line are kept beside it (`basis_evidence`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_lib.values import running_total

# share words, as the council writes them
_SHARES = {
    "half": 0.5,
    "a half": 0.5,
    "one half": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "two thirds": 2 / 3,
    "two-thirds": 2 / 3,
    "a quarter": 0.25,
    "one quarter": 0.25,
    "three quarters": 0.75,
    "three-quarters": 0.75,
    "double": 2.0,
    "twice": 2.0,
}
_SHARE = "|".join(sorted((re.escape(k) for k in _SHARES), key=len, reverse=True))
_APPROX = r"around|about|approximately|roughly|nearly|almost|c\.\s?|circa|some|just over|just under"
_REF_PANDEMIC = r"pre[- ]pandemic|pre[- ]covid(?:-19)?|before the pandemic|before covid(?:-19)?"
_REF_YEAR = (
    r"last year(?:'s)?|the previous year(?:'s)?|a year (?:ago|earlier)"
    r"|the same (?:period|quarter|time) (?:last|a) year"
)
_RATIO = re.compile(
    rf"(?i)(?P<approx>\b(?:{_APPROX})\s*)?"
    rf"(?:(?P<share>\b(?:{_SHARE}))|(?P<pct>\d+(?:\.\d+)?)\s?%)\s+(?:of\s+)?(?:the\s+)?"
    rf"(?P<ref>{_REF_PANDEMIC}|{_REF_YEAR})"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"[,;:]|\b(?:but|and|while|although|however)\b", re.I)
# words saying what is counted in general, too common to tie a sentence to one KPI
_GENERIC = {
    "numbe",
    "perce",
    "propo",
    "total",
    "level",
    "figur",
    "perfo",
    "annua",
    "cumul",
    "indic",
    "remai",
    "reach",
    "only",
    "have",
    "been",
    "were",
    "with",
    "their",
    "still",
    "which",
    "this",
    "that",
    "than",
    "from",
    "around",
}
PANDEMIC = date(2020, 3, 1)  # figures of periods ending before this are pre-pandemic


@dataclass(frozen=True)
class Share:
    sentence: str
    value: float  # the share stated (2/3)
    approximate: bool
    reference: str  # "pre-pandemic" | "a year earlier"
    line: int | None

    def holds(self, ratio: float) -> bool:
        """Does `ratio` read as the share stated? "around two thirds" allows 20% either way, a
        plain share 10%."""
        if ratio <= 0 or not math.isfinite(ratio):
            return False
        slack = 0.2 if self.approximate else 0.1
        return abs(math.log(ratio / self.value)) <= math.log(1 + slack)


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {w[:5] for w in words if len(w) >= 4} - _GENERIC


def shares_about(texts: list[tuple[str, int | None]], names: list[str]) -> list[Share]:
    """Sentences of `texts` ((text, line of the block)) stating a share of an earlier figure,
    whose clause names the KPI (one of `names`: its printed name, title, aliases)."""
    named = set().union(*(_stems(n) for n in names)) if names else set()
    out = []
    for text, line in texts:
        for sentence in _SENTENCE.split(text):
            m = _RATIO.search(sentence)
            if m is None:
                continue
            clause = _CLAUSE.split(sentence[: m.start()])[-1]
            if not _stems(clause) & named:
                continue
            value = _SHARES[m["share"].lower()] if m["share"] else float(m["pct"]) / 100
            ref = m["ref"].lower()
            reference = "a year earlier" if re.match(_REF_YEAR, ref, re.I) else "pre-pandemic"
            out.append(Share(sentence.strip(" -•\t"), value, bool(m["approx"]), reference, line))
    return out


@dataclass(frozen=True)
class Decision:
    basis: str  # "quarter" or "year to date"
    evidence: str


def decide(
    value: float, period: str, quarter: int, fy: int, share: Share, earlier: pd.DataFrame
) -> Decision | None:
    """Which basis makes `share` true of `value` (a Q`quarter` figure of financial year `fy`),
    against `earlier` (the KPI's figures known then: period, period_type, basis, value,
    value_quarter, running, fy, quarter, period_end); None unless exactly one does."""
    refs = _references(earlier, quarter, fy, share.reference)
    if refs is None:
        return None
    (q_label, q_ref), (y_label, y_ref) = refs
    by_quarter, by_ytd = value / q_ref, value / y_ref
    fits = {"quarter": share.holds(by_quarter), "year to date": share.holds(by_ytd)}
    if sum(fits.values()) != 1:
        return None
    basis = "quarter" if fits["quarter"] else "year to date"
    said = (
        f"{value:,.0f} is {by_quarter:.0%} of {q_label} ({q_ref:,.0f}) and {by_ytd:.0%} of "
        f"{y_label} ({y_ref:,.0f}): "
    )
    said += "one quarter's count" if basis == "quarter" else "a year to date"
    return Decision(basis, said)


def _references(
    earlier: pd.DataFrame, quarter: int, fy: int, reference: str
) -> tuple[tuple[str, float], tuple[str, float]] | None:
    """(label, figure) of one quarter and of the year to date at the same quarter, in the latest
    reference year with both: the same quarter's own figure and the sum of that year's quarters
    (or its printed running total), else a quarter's and `quarter` quarters' share of a full
    year's figure."""
    if reference == "pre-pandemic":
        pool = earlier[earlier["period_end"].map(lambda d: _before(d, PANDEMIC))]
        word = "the pre-pandemic"
    else:
        pool = earlier[earlier["fy"] == fy - 1]
        word = "the year-earlier"
    if pool.empty:
        return None
    for year in sorted(set(pool["fy"].dropna().astype(int)), reverse=True):
        mine = pool[pool["fy"] == year]
        quarters = mine[(mine["period_type"] == "fy_quarter")]
        own = quarters.set_index("quarter")["value_quarter"].dropna()
        own = own[~own.index.duplicated(keep="last")]
        label = f"{year}/{(year + 1) % 100:02d}"
        if quarter in own.index:
            q_ref = (f"{word} quarter {label} Q{quarter}", float(own[quarter]))
            ytd = _year_to_date(quarters, own, quarter)
            if ytd is not None:
                return q_ref, (f"{word} year to date to {label} Q{quarter}", ytd)
        full = mine[mine["period_type"] == "fy_year"]["value"].dropna()
        if not full.empty:
            year_total = float(full.iloc[-1])
            return (
                (f"a quarter of {word} year {label}", year_total / 4),
                (f"{quarter}/4 of {word} year {label}", year_total * quarter / 4),
            )
    return None


def _year_to_date(quarters: pd.DataFrame, own: pd.Series, quarter: int) -> float | None:
    printed = quarters[quarters["quarter"] == quarter]["running"].dropna()
    if not printed.empty:
        return float(printed.iloc[-1])
    if all(q in own.index for q in range(1, quarter + 1)):
        return float(sum(own[q] for q in range(1, quarter + 1)))
    return None


def _before(d: object, when: date) -> bool:
    return d is not None and not pd.isna(d) and pd.Timestamp(d).date() < when


def sentence_line(lines: list[str] | None, sentence: str, default: int | None) -> int | None:
    """The line of a text report (its lines as read) holding `sentence` (its first words), else
    `default` (a PDF's block line)."""
    if lines is None:
        return default
    probe = re.sub(r"\s+", " ", sentence[:60]).strip()
    for i, text in enumerate(lines, start=1):
        if probe and probe in re.sub(r"\s+", " ", text):
            return i
    return default


def describe(share: Share, decision: Decision, file: str, line: int | None) -> str:
    where = f"{Path(file).name}:{line}" if line else Path(file).name
    return f"“{share.sentence}” ({where}): {decision.evidence}"


def candidates(df: pd.DataFrame) -> pd.Series:
    """Rows whose basis the commentary may settle: a total that adds up over the year, filed
    under a quarter after the first, read as the year to date by default (not printed with its
    running total beside it)."""
    return (
        (df["basis"] == "year to date")
        & (df["period_type"] == "fy_quarter")
        & df["value"].notna()
        & ~df["period"].str.endswith("Q1")
    )


def rebased(df: pd.DataFrame, texts_of: Any, names_of: Any, lines_of: Any) -> pd.DataFrame:
    """`df` (observations being built, with `basis`, `value_quarter`, `_report_start`) with the
    basis of each candidate row settled by its report's commentary where it can be:
    `texts_of(report_period, kpi_id)` gives the commentary [(text, block line)],
    `names_of(kpi_id, metric_name)` the KPI's names, `lines_of(source_file)` a text report's
    lines as ingest read them (None for a PDF): the file is never read again."""
    df = df.copy()
    df["basis_evidence"] = ""
    if df.empty:
        return df
    frame = _keyed(df)
    for idx in df.index[candidates(df)]:
        row = df.loc[idx]
        texts = texts_of(row["report_period"], row["kpi_id"])
        if not texts:
            continue
        shares = shares_about(texts, names_of(row["kpi_id"], row["metric_name"]))
        if not shares:
            continue
        earlier = frame[
            (frame["kpi_id"] == row["kpi_id"])
            & (
                frame["_report_start"].map(lambda d: d or date.min)
                <= (row["_report_start"] or date.min)
            )
            & (frame["fy"] < int(frame.at[idx, "fy"]))
        ]
        for share in shares:
            decision = decide(
                float(row["value"]),
                row["period"],
                int(frame.at[idx, "quarter"]),
                int(frame.at[idx, "fy"]),
                share,
                earlier,
            )
            if decision is None:
                continue
            line = sentence_line(lines_of(row["source_file"]), share.sentence, share.line)
            df.at[idx, "basis_evidence"] = describe(share, decision, row["source_file"], line)
            if decision.basis == "quarter":
                df.at[idx, "basis"] = "quarter"
                df.at[idx, "value_quarter"] = row["value"]
            break
    return df


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with fy, quarter and the printed running total of each row."""
    out = df.copy()
    start = pd.to_datetime(out["period_start"], errors="coerce")
    fy = start.dt.year.where(start.dt.month >= 4, start.dt.year - 1)
    out["fy"] = fy.fillna(-1).astype(int)
    out["quarter"] = [
        int(p[-1]) if t == "fy_quarter" and str(p)[-1:].isdigit() else 0
        for p, t in zip(out["period"], out["period_type"], strict=True)
    ]
    out["running"] = [running_total(v) for v in out["value_text"]]
    out["running"] = pd.to_numeric(out["running"], errors="coerce")
    return out
