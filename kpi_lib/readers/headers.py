"""Recognise a table's header row by similarity, so OCR noise ("Metrio Name", "Ta"+"rget",
a stray leading column) does not hide a KPI table. Shared by the text and PDF readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from kpi_lib.values import collapse, strip_accents_lower

# canonical column -> the header texts it is printed as
KPI_HEADER: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference"),
    "target": ("target",),
    "good_is": ("good is",),
    "as_of_text": ("as of date", "as at date"),
    "metric_name": ("metric name", "metric"),
    "value": ("latest value", "value"),
    "rag": ("rag status", "rag"),
    "trends": ("trends", "trend"),
}
KPI_REQUIRED = ("metric_name", "value")

THRESHOLD = 0.75


def norm(text: str) -> str:
    """Lower-case letters, digits and single spaces only."""
    return re.sub(
        r"\s+", " ", re.sub(r"[^0-9a-z ]+", " ", strip_accents_lower(collapse(text)))
    ).strip()


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def best_label(text: str, vocab: dict[str, tuple[str, ...]]) -> tuple[str | None, float]:
    """The canonical column a header cell most resembles, with its score."""
    n = norm(text)
    if not n:
        return None, 0.0
    best: tuple[str | None, float] = (None, 0.0)
    for key, spellings in vocab.items():
        for s in spellings:
            score = similarity(n, s)
            if score > best[1]:
                best = (key, score)
    return best


@dataclass
class HeaderMatch:
    """Which physical cells make up each canonical column (a split word spans two cells)."""

    columns: dict[str, list[int]]
    ncells: int
    extra: list[int] = field(default_factory=list)
    score: float = 0.0

    def cell(self, cells: list[str], key: str) -> str:
        """A data row's text for `key`, joining the cells a split header spans."""
        idx = self.columns.get(key)
        if not idx:
            return ""
        parts = [cells[i] for i in idx if i < len(cells)]
        return join_split(parts)


def join_split(parts: list[str]) -> str:
    """Join the pieces of a cell that OCR split in two: no space inside a broken word."""
    parts = [collapse(p) for p in parts if collapse(p)]
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        if out[-1:].isalpha() and p[:1].islower():
            out += p
        else:
            out += " " + p
    return out


def match_header(
    cells: list[str],
    vocab: dict[str, tuple[str, ...]] = KPI_HEADER,
    required: tuple[str, ...] = KPI_REQUIRED,
    min_columns: int = 3,
) -> HeaderMatch | None:
    """Match header cells left to right; a cell that matches nothing is an extra column.

    Two adjacent cells are merged when neither matches alone but together they do.
    Returns None unless the required columns and at least `min_columns` are found.
    """
    columns: dict[str, list[int]] = {}
    extra: list[int] = []
    scores: list[float] = []
    i = 0
    while i < len(cells):
        key, score = best_label(cells[i], vocab)
        if i + 1 < len(cells):
            merged_key, merged = best_label(norm(cells[i]) + norm(cells[i + 1]), vocab)
            # a cell that matches alone takes the next only when that is a word's tail
            # ("Metric Na" + "me"), not the head of the next header ("As of Data" + "Me")
            tail = cells[i][-1:].isalpha() and cells[i + 1][:1].islower()
            if (
                merged >= THRESHOLD
                and merged > score
                and (score < THRESHOLD or (key == merged_key and tail))
            ):
                _, next_score = best_label(cells[i + 1], vocab)
                if next_score < THRESHOLD or merged > next_score:
                    if merged_key not in columns:
                        columns[merged_key] = [i, i + 1]
                        scores.append(merged)
                        i += 2
                        continue
        if key is not None and score >= THRESHOLD and key not in columns:
            columns[key] = [i]
            scores.append(score)
        else:
            extra.append(i)
        i += 1
    if any(r not in columns for r in required) or len(columns) < min_columns:
        return None
    return HeaderMatch(columns, len(cells), extra, sum(scores) / len(scores))
