"""Onboarding a council: its new KPI names grouped into variants, and `kpi catalog init`, which
writes a catalogue entry for each group with polarity and unit guessed and marked for review.

Nothing here merges two indicators in silence: variants are only *grouped* for a person to
confirm (they become one entry's title and aliases, `review: true`), and a name is only ever
compared with names of the same council (and entries other councils mark `shared`).
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import pandas as pd
import yaml

from kpi_lib.errors import UsageError
from kpi_lib.store.catalog import (
    NEW_PREFIX,
    Catalog,
    catalog_file,
    load_catalog,
    new_kpi_id,
    normalise_name,
)
from kpi_lib.store.councils import current

# words that say little about which indicator a name is ("% of", "number of the")
_FILLER = {
    "of",
    "the",
    "a",
    "an",
    "to",
    "in",
    "for",
    "and",
    "by",
    "on",
    "per",
    "number",
    "no",
    "percentage",
    "percent",
    "proportion",
    "rate",
    "total",
    "kpi",
    "pi",
}
VARIANT_SIMILARITY = 0.6  # content-word overlap (or character similarity) that groups two names
# names of indicators where a lower figure is better; anything else is guessed High
_LOW = re.compile(
    r"(?i)\b(sickness|absence|days lost|delay\w*|waiting|wait|complaints?|re-?offend\w*|"
    r"overdue|backlog|vacanc\w*|agency|overspend|variance|emissions?|missing|missed|abandoned|"
    r"exclusions?|excluded|admissions?|re-?referrals?|homeless\w*|temporary accommodation|"
    r"fly-?tipping|not in treatment|not receiving|carbon dioxide|co2e?|"
    r"landfill|"
    r"killed|injur\w*|deaths?|mortality|obesity|smoking|arrears|outstanding|turnover|"
    r"(?:time|days|weeks) (?:taken|to))\b"
)


_SHARE_RED = re.compile(r"(?i)%\s*red\b")  # "Condition of A road % Red"
# what was done about a bad thing, in time or at all: "complaints responded to within 10 days",
# "homelessness cases prevented", "fly-tipping cleared" are higher-is-better whatever the noun
_DONE = re.compile(
    r"(?i)\b(within|on time|in time|prevented|resolved|cleared|repaired|responded|answered|"
    r"completed|closed|removed|reduction in|good or outstanding)\b"
)


def content_words(name: str) -> frozenset[str]:
    return frozenset(w for w in normalise_name(name).split() if w not in _FILLER)


def similar(a: str, b: str) -> float:
    """How alike two printed names are, 0-1: the better of content-word overlap and character
    similarity (the catalogue's own suggestion score, on content words)."""
    wa, wb = content_words(a), content_words(b)
    overlap = len(wa & wb) / len(wa | wb) if wa | wb else 0.0
    ratio = difflib.SequenceMatcher(
        None, normalise_name(a), normalise_name(b), autojunk=False
    ).ratio()
    return max(overlap, ratio)


def distinct(a: str, b: str) -> bool:
    """Two names each with content words the other lacks ("business rates" against "council
    tax" in "% of ... collected") name two measures, however alike they read; a name that only
    adds words to the other ("(in year)") may be a variant of it."""
    wa, wb = content_words(a), content_words(b)
    return bool(wa - wb) and bool(wb - wa)


def printed_together(obs: pd.DataFrame) -> set[frozenset[str]]:
    """Pairs of names printed as rows of one report: two KPIs, never variants of one."""
    pairs: set[frozenset[str]] = set()
    for _, names in obs.groupby("report_period")["metric_name"]:
        unique = sorted({str(n) for n in names})
        pairs.update(frozenset((a, b)) for i, a in enumerate(unique) for b in unique[i + 1 :])
    return pairs


def variant_groups(names: list[str], apart: set[frozenset[str]] | None = None) -> dict[str, str]:
    """name -> the first name (sorted) of its group: names joined where any two of a chain are
    at least VARIANT_SIMILARITY alike and neither has words the other lacks (single linkage,
    deterministic order); two groups are never joined where a name of one and a name of the
    other are `apart` (printed in one report)."""
    ordered = sorted(dict.fromkeys(names))
    parent = {n: n for n in ordered}
    members = {n: {n} for n in ordered}
    apart = apart or set()

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if distinct(a, b) or similar(a, b) < VARIANT_SIMILARITY:
                continue
            ra, rb = root(a), root(b)
            if ra == rb or any(frozenset(xy) in apart for xy in product(members[ra], members[rb])):
                continue
            keep, gone = min(ra, rb), max(ra, rb)
            parent[gone] = keep
            members[keep] |= members.pop(gone)
    return {n: root(n) for n in ordered}


def suggestions(obs: pd.DataFrame, catalog: Catalog, n: int = 3) -> pd.DataFrame:
    """A council's names its catalogue does not know: its closest entries (its own catalogue and
    shared entries only) and the council's other new names that look like variants of it."""
    new = obs[~obs["catalogued"]]
    groups = variant_groups([str(m) for m in new["metric_name"].unique()], printed_together(obs))
    members: dict[str, list[str]] = {}
    for name, head in groups.items():
        members.setdefault(head, []).append(name)
    rows = []
    for name, group in new.groupby("metric_name", sort=True):
        hints = catalog.suggest(str(name), n=n)
        head = groups[str(name)]
        rows.append(
            {
                "metric_name": name,
                "kpi_id": group["kpi_id"].iloc[0],
                "reports": ", ".join(sorted(group["report_period"].unique())),
                "suggestions": "; ".join(f"{k} ({s:.2f})" for k, s in hints),
                "variant_group": head,
                "variants": "; ".join(m for m in members[head] if m != name),
            }
        )
    cols = ["metric_name", "kpi_id", "reports", "suggestions", "variant_group", "variants"]
    return pd.DataFrame(rows, columns=cols)


# --- guesses --------------------------------------------------------------------------------
def guess_polarity(name: str, printed: list[str]) -> tuple[str, str]:
    """(polarity, why): the polarity the council's own reports print most, else a guess from the
    name's words (sickness, waiting, complaints... are Low), else High."""
    seen = [p for p in printed if p in ("High", "Low")]
    if seen:
        best = max(sorted(set(seen)), key=seen.count)
        return best, f"printed {best} in {seen.count(best)} of its rows"
    done = _DONE.search(name)
    if done:
        return "High", f"guessed from the words {done.group(0).lower()!r} (something done)"
    m = _LOW.search(name) or _SHARE_RED.search(name)
    if m:
        return "Low", f"guessed from the word {m.group(0).lower()!r}"
    return "High", "guessed (nothing printed; no word says lower is better)"


def guess_unit(name: str, value_texts: list[str]) -> tuple[str, str]:
    """(unit, why), from the name's words and the figures as printed."""
    text = f"{name} {' '.join(value_texts)}".lower()
    rules = [
        ("days per FTE", r"per fte|per full[- ]time"),
        ("%", r"%|\bpercent|\bproportion\b|\bpercentage\b"),
        ("£", r"£|\bspend\b|\bcost\b|\bbudget\b"),
        ("rate per 10k", r"per 10,?000"),
        ("rate per 100k", r"per 100,?000"),
        ("days", r"\bdays\b"),
        ("score", r"\bscore\b|\battainment 8\b"),
    ]
    for unit, pattern in rules:
        m = re.search(pattern, text)
        if m:
            return unit, f"guessed from {m.group(0)!r}"
    return "count", "guessed (no unit word)"


# --- kpi catalog init -------------------------------------------------------------------------
@dataclass(frozen=True)
class InitResult:
    path: Path
    written: int  # entries added
    names: int  # names they cover


def init_catalog(obs: pd.DataFrame, council: str | None = None) -> InitResult:
    """Add an entry to the council's catalogue for each group of its names the catalogue does not
    know (`obs`: the council's observations), with polarity and unit guesses marked
    `review: true`. The file is written whole and checked by loading it before it replaces the
    old one, so a failure leaves the catalogue as it was."""
    me = current(council)
    path = catalog_file(me)
    catalog = load_catalog(council=me.id)
    new = obs[~obs["catalogued"]]
    new = new[[catalog.resolve(str(m)) is None for m in new["metric_name"]]]
    if new.empty:
        raise UsageError(f"{me.id}: every name in the store is catalogued: nothing to add")
    groups = variant_groups([str(m) for m in new["metric_name"].unique()], printed_together(obs))
    taken = {e.id for e in catalog.entries}
    blocks = []
    by_head: dict[str, list[str]] = {}
    for name, head in groups.items():
        by_head.setdefault(head, []).append(name)
    for head in sorted(by_head):
        names = by_head[head]
        rows = new[new["metric_name"].isin(names)]
        latest = rows.sort_values(["report_period", "metric_name"], kind="stable")
        title = str(latest["metric_name"].iloc[-1])
        pol, pol_why = guess_polarity(title, [str(p) for p in rows["polarity"]])
        unit, unit_why = guess_unit(title, [str(v) for v in rows["value_text"].head(5)])
        kpi_id = _free_id(title, taken)
        taken.add(kpi_id)
        section = next((str(s) for s in rows["section"] if str(s).strip()), "") or "Uncategorised"
        entry = {
            "id": kpi_id,
            "title": title,
            "aliases": sorted(n for n in names if n != title),
            "polarity": pol,
            "unit": unit,
            "frequency": "quarterly",
            "accumulation": "point",
            "section": section,
            "review": True,
        }
        text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=1000)
        blocks.append(f"# {kpi_id}: polarity {pol_why}; unit {unit_why}\n{text}")
    _write(path, blocks, me.name)
    return InitResult(path, len(blocks), len(groups))


def _free_id(title: str, taken: set[str]) -> str:
    base = new_kpi_id(title).removeprefix(NEW_PREFIX)
    kpi_id, n = base, 2
    while kpi_id in taken:
        kpi_id, n = f"{base}-{n}", n + 1
    return kpi_id


def _write(path: Path, blocks: list[str], council_name: str) -> None:
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    head = (
        ""
        if old
        else f"# KPI catalogue of {council_name} (kpi_lib/store/catalog.py); entries marked\n"
        "# `review: true` were written by `kpi catalog init`: check polarity, unit, frequency\n"
        "# and accumulation, join or split the aliases, then remove the mark.\n"
    )
    text = old + ("\n" if old and not old.endswith("\n") else "") + head + "\n".join(blocks)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kpis-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        load_catalog(Path(tmp))  # what is written must load, or nothing is replaced
        os.replace(tmp, path)
    except Exception:
        Path(tmp).unlink(missing_ok=True)
        raise
