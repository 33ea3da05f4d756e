"""Recognise a table's header row by the set of labels it holds, so OCR noise does not hide a
KPI table: misread words ("Metrio Name"), a label split over two cells ("Ta" + "rget"), several
labels merged into one cell ("Good Is As of Date", then an empty cell), a label missing over its
column, stray columns. Shared by the text and PDF readers.

Matching is cheap on purpose: readers try every tab-separated line of a document, so a line is
first screened by its words (at least `min_columns` cells must hold a word resembling a header
word) and only survivors are scored with difflib; scores are cached per cell text. A megabyte
of junk costs a word lookup per word, not a fuzzy match per cell and label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from kpi_lib.values import collapse, strip_accents_lower

# canonical column -> the header texts it is printed as; the order is the printed order
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
WORD_THRESHOLD = 0.7  # a word resembling a header word: worth scoring its line
MAX_LABEL_WORDS = 3
SEGMENT_COST = 0.9  # per label a merged cell is cut into: a weak extra label must not pay


def norm(text: str) -> str:
    """Lower-case letters, digits and single spaces only."""
    return re.sub(
        r"\s+", " ", re.sub(r"[^0-9a-z ]+", " ", strip_accents_lower(collapse(text)))
    ).strip()


def similarity(a: str, b: str) -> float:
    """difflib's ratio, skipped (0.0) when its cheap upper bounds already rule out a match."""
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() < 0.5 or m.quick_ratio() < 0.5:
        return 0.0
    return m.ratio()


@lru_cache(maxsize=8192)
def _best(n: str, spellings: tuple[tuple[str, str], ...]) -> tuple[str | None, float]:
    best: tuple[str | None, float] = (None, 0.0)
    for key, s in spellings:
        # ratio <= 2*min/(len a + len b): lengths far apart can never reach a match
        if 2 * min(len(n), len(s)) < 0.5 * (len(n) + len(s)):
            continue
        score = similarity(n, s)
        if score > best[1]:
            best = (key, score)
    return best


def _flat(vocab: dict[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    return tuple((key, s) for key, spellings in vocab.items() for s in spellings)


def best_label(text: str, vocab: dict[str, tuple[str, ...]]) -> tuple[str | None, float]:
    """The canonical column a header cell most resembles, with its score."""
    n = norm(text)
    if not n:
        return None, 0.0
    return _best(n, _flat(vocab))


@lru_cache(maxsize=64)
def _words(spellings: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """The words of a vocabulary that can anchor a header (two letters are too common)."""
    return frozenset(w for _, s in spellings for w in s.split() if len(w) >= 3)


@lru_cache(maxsize=65536)
def _is_header_word(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    if len(word) < 3 or len(word) > 12:
        return False
    return any(
        abs(len(word) - len(w)) <= 2 and similarity(word, w) >= WORD_THRESHOLD for w in words
    )


def _has_header_word(n: str, words: frozenset[str]) -> bool:
    return any(_is_header_word(w, words) for w in n.split())


def cell_labels(text: str, vocab: dict[str, tuple[str, ...]]) -> tuple[list[str], float]:
    """The labels a header cell holds, left to right, with their mean score: one label, or
    several merged into one cell ("Target Good Is As of Date"), or none ([], best score)."""
    n = norm(text)
    if not n:
        return [], 0.0
    spellings = _flat(vocab)
    key, score = _best(n, spellings)
    if key is not None and score >= THRESHOLD:
        return [key], score
    merged = _segment(tuple(n.split()), spellings)
    return merged if merged is not None else ([], score)


@lru_cache(maxsize=4096)
def _segment(
    words: tuple[str, ...], spellings: tuple[tuple[str, str], ...]
) -> tuple[list[str], float] | None:
    """Cut a cell's words into two or more labels, each matching on its own; None if it cannot
    be cut so (one-letter words may be skipped: stray OCR marks)."""
    n = len(words)
    if n < 2 or n > 4 * MAX_LABEL_WORDS:
        return None
    # best[p] = (labels, scores) covering words[p:]
    best: list[tuple[list[str], list[float]] | None] = [None] * (n + 1)
    best[n] = ([], [])
    for p in range(n - 1, -1, -1):
        options = []
        if len(words[p]) == 1 and best[p + 1] is not None:
            options.append(best[p + 1])
        for k in range(1, MAX_LABEL_WORDS + 1):
            if p + k > n or best[p + k] is None:
                continue
            key, score = _best(" ".join(words[p : p + k]), spellings)
            if key is not None and score >= THRESHOLD:
                labels, scores = best[p + k]
                options.append(([key, *labels], [score, *scores]))
        if options:
            # whole labels beat pieces: "rag status" + "trends", not "rag" + "status" + ...
            best[p] = max(options, key=lambda o: sum(o[1]) - SEGMENT_COST * len(o[1]))
    found = best[0]
    if found is None or len(found[0]) < 2:
        return None
    return found[0], sum(found[1]) / len(found[1])


@dataclass
class HeaderMatch:
    """Which physical cells make up each canonical column (a split word spans two cells).

    `guesses` maps an unlabelled cell to the missing columns it may be, by where it sits
    between labelled ones: the data below decides (see text_tables.resolve_guesses).
    """

    columns: dict[str, list[int]]
    ncells: int
    extra: list[int] = field(default_factory=list)
    score: float = 0.0
    guesses: dict[int, list[str]] = field(default_factory=dict)

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


def _screen(cells: list[str], spellings: tuple[tuple[str, str], ...], need: int) -> bool:
    """Cheap test before any scoring: enough cells (or adjacent pairs, for a split word) hold a
    word like a header word."""
    words = _words(spellings)
    normed = [norm(c) for c in cells]
    hits = 0
    for i, n in enumerate(normed):
        if _has_header_word(n, words) or (
            i + 1 < len(normed) and _has_header_word(n + normed[i + 1], words)
        ):
            hits += 1
            if hits >= need:
                return True
    return False


def match_header(
    cells: list[str],
    vocab: dict[str, tuple[str, ...]] = KPI_HEADER,
    required: tuple[str, ...] = KPI_REQUIRED,
    min_columns: int = 3,
    infer: bool = False,
) -> HeaderMatch | None:
    """Match header cells left to right; a cell that matches nothing is an extra column.

    Two adjacent cells are merged when neither matches alone but together they do; a cell
    holding several labels takes the empty cells after it for the later ones. With `infer`,
    an unlabelled cell may stand for a missing column (see HeaderMatch.guesses), and a
    required column may be such a guess. Returns None unless the required columns and at
    least `min_columns` are found.
    """
    spellings = _flat(vocab)
    if not _screen(cells, spellings, min(min_columns, 2)):
        return None
    columns: dict[str, list[int]] = {}
    extra: list[int] = []
    scores: list[float] = []
    i = 0
    while i < len(cells):
        labels, score = cell_labels(cells[i], vocab)
        key = labels[0] if len(labels) == 1 else None
        if len(labels) <= 1 and i + 1 < len(cells):
            merged_key, merged = best_label(norm(cells[i]) + norm(cells[i + 1]), vocab)
            # a cell that matches alone takes the next only when that is a word's tail
            # ("Metric Na" + "me"), not the head of the next header ("As of Data" + "Me")
            tail = cells[i][-1:].isalpha() and cells[i + 1][:1].islower()
            if (
                merged >= THRESHOLD
                and merged > score
                and (score < THRESHOLD or (key == merged_key and tail))
            ):
                next_labels, next_score = cell_labels(cells[i + 1], vocab)
                if (next_score < THRESHOLD and len(next_labels) < 2) or merged > next_score:
                    if merged_key not in columns:
                        columns[merged_key] = [i, i + 1]
                        scores.append(merged)
                        i += 2
                        continue
        fresh = list(dict.fromkeys(k for k in labels if k not in columns))
        if not fresh:
            extra.append(i)
            i += 1
            continue
        scores.append(score)
        # merged labels own the empty cells that follow, then unlabelled cells just before
        # ("3 | Target Good Is As of Date | " where the Target's own label was lost)
        right = 0
        while right < len(fresh) - 1 and i + right + 1 < len(cells):
            if norm(cells[i + right + 1]):
                break
            right += 1
        left = 0
        while left < len(fresh) - 1 - right and extra and extra[-1] == i - left - 1:
            left += 1
            extra.pop()
        span = range(i - left, i + right + 1)
        for k, at in zip(fresh, span, strict=False):
            columns[k] = [at]
        i += right + 1
    guesses = _guesses(columns, extra, list(vocab)) if infer else {}
    possible = set(columns) | {k for ks in guesses.values() for k in ks}
    if any(r not in possible for r in required) or len(columns) < min_columns:
        return None
    return HeaderMatch(columns, len(cells), extra, sum(scores) / len(scores), guesses)


def _guesses(columns: dict[str, list[int]], extra: list[int], order: list[str]) -> dict:
    """For each unlabelled cell, the missing columns whose printed place lies between the
    labelled cells on either side of it."""
    rank = {k: order.index(k) for k in columns}
    placed = sorted((min(idx), rank[k]) for k, idx in columns.items())
    missing = [k for k in order if k not in columns]
    out: dict[int, list[str]] = {}
    for e in extra:
        lo = max((r for pos, r in placed if pos < e), default=-1)
        hi = min((r for pos, r in placed if pos > e), default=len(order))
        cands = [k for k in missing if lo < order.index(k) < hi]
        if cands:
            out[e] = cands
    return out
