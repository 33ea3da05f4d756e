"""Recognise a table's header row by the set of labels it holds, so OCR noise does not hide a
KPI table: misread words ("Metrio Name"), a label split over two cells ("Ta" + "rget"), several
labels merged into one cell ("Good Is As of Date", then an empty cell), a label missing over its
column, stray columns. Shared by the text and PDF readers.

Matching is cheap on purpose: readers try every tab-separated line of a document, so a line is
first screened by its words (two cells must hold a word near a header word, by set lookups of
one-deletion variants) and only the cells that pass are scored with difflib; scores are cached
per cell text. A megabyte of junk costs a few set lookups per word, not a fuzzy match per cell
and label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from kpi_lib.readers.profile import DEFAULT
from kpi_lib.values import collapse

# canonical column -> the header texts it is printed as (the built-in reader profile)
KPI_HEADER: dict[str, tuple[str, ...]] = DEFAULT.vocab
KPI_REQUIRED = ("metric_name", "value")


def known_headers(vocab: dict[str, tuple[str, ...]] | None = None) -> str:
    """The header words a table must use to be read, for a message: required ones first."""
    vocab = vocab or KPI_HEADER
    shown = [f"{k}: " + " / ".join(repr(s) for s in vocab[k][:4]) for k in KPI_REQUIRED]
    return "; ".join(shown)


THRESHOLD = 0.75
MAX_LABEL_WORDS = 3
SEGMENT_COST = 0.9  # per label a merged cell is cut into: a weak extra label must not pay


@lru_cache(maxsize=1 << 18)
def norm(text: str) -> str:
    """Lower-case letters, digits and single spaces only."""
    return " ".join(_NOT_WORD.sub(" ", _ascii_lower(text)).split())


def _ascii_lower(text: str) -> str:
    """Lower case without accents; other non-ASCII characters dropped (headers are words)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


_NOT_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1024)
def _matcher(b: str) -> SequenceMatcher:
    """A matcher with `b` indexed once (difflib's own advice for one b against many a)."""
    m = SequenceMatcher(None, "", "", autojunk=False)
    m.set_seq2(b)
    return m


def similarity(a: str, b: str) -> float:
    """difflib's ratio, skipped (0.0) when its cheap upper bounds already rule out a match."""
    m = _matcher(b)
    m.set_seq1(a)
    if m.real_quick_ratio() < 0.5 or m.quick_ratio() < 0.5:
        return 0.0
    return m.ratio()


@lru_cache(maxsize=1 << 16)
def _best(n: str, spellings: tuple[tuple[str, str], ...]) -> tuple[str | None, float]:
    best: tuple[str | None, float] = (None, 0.0)
    index = _by_variant(spellings)
    if index is not None:
        # only spellings sharing a near word with the cell can reach the threshold
        near = set()
        for w in n.split():
            if MIN_ANCHOR <= len(w) <= MAX_ANCHOR:
                for v in _deletions(w.translate(_LOOKALIKE).replace("rn", "m")):
                    near |= index.get(v, set())
        candidates = [spellings[k] for k in sorted(near)]
    else:
        candidates = list(spellings)
    for key, s in candidates:
        # ratio <= 2*min/(len a + len b): lengths far apart can never reach a match
        if 2 * min(len(n), len(s)) < 0.5 * (len(n) + len(s)):
            continue
        score = similarity(n, s)
        if score > best[1]:
            best = (key, score)
    return best


@lru_cache(maxsize=64)
def _by_variant(spellings: tuple[tuple[str, str], ...]) -> dict[str, set[int]] | None:
    """Deletion variant of a vocabulary word -> the spellings holding that word; None when
    some spelling has no word long enough to anchor it."""
    out: dict[str, set[int]] = {}
    for k, (_, s) in enumerate(spellings):
        words = [w for w in s.split() if len(w) >= MIN_ANCHOR]
        if not words:
            return None
        for w in words:
            for v in _deletions(w) | _deletions(_unlook(w)):
                out.setdefault(v, set()).add(k)
    return out


_FLAT: dict[int, tuple[dict, tuple[tuple[str, str], ...]]] = {}


def _flat(vocab: dict[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    """(key, spelling) pairs of a vocabulary, built once per vocabulary object."""
    hit = _FLAT.get(id(vocab))
    if hit is not None and hit[0] is vocab:
        return hit[1]
    flat = tuple((key, s) for key, spellings in vocab.items() for s in spellings)
    _FLAT[id(vocab)] = (vocab, flat)
    return flat


def best_label(text: str, vocab: dict[str, tuple[str, ...]]) -> tuple[str | None, float]:
    """The canonical column a header cell most resembles, with its score (0.0 without
    scoring when no word of the cell is near a word of the vocabulary)."""
    n = norm(text)
    if not n:
        return None, 0.0
    spellings = _flat(vocab)
    index = _anchors(spellings)
    if index is not None and not _has_header_word(n, index):
        return None, 0.0
    return _best(n, spellings)


# --- the word screen ---------------------------------------------------------------------------
# A word is "near" a vocabulary word when one deletion from each side makes them equal (any
# single edit, as OCR makes them), after undoing OCR's usual look-alikes ("rn" for "m", "1" for
# "l"). Words of three letters must match exactly: one edit leaves two letters, which half of
# all junk shares. One set lookup per variant: linear in the text, no fuzzy scoring.
_LOOKALIKE = str.maketrans({"0": "o", "1": "l", "5": "s"})
MIN_ANCHOR = 3


def _unlook(word: str) -> str:
    """A word as the screen sees it after undoing OCR's look-alikes: a header word that holds
    "rn" itself ("outturn") must still be found."""
    return word.translate(_LOOKALIKE).replace("rn", "m")


def _deletions(word: str) -> set[str]:
    out = {word}
    if len(word) > MIN_ANCHOR:
        out |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    return out


@lru_cache(maxsize=64)
def _anchors(spellings: tuple[tuple[str, str], ...]) -> frozenset[str] | None:
    """The deletion variants of a vocabulary's words of MIN_ANCHOR letters or more; None when
    some spelling has no such word (it could not be screened by its words)."""
    out: set[str] = set()
    for _, s in spellings:
        words = [w for w in s.split() if len(w) >= MIN_ANCHOR]
        if not words:
            return None
        for w in words:
            out |= _deletions(w) | _deletions(_unlook(w))
    return frozenset(out)


MAX_ANCHOR = 13  # longer words are not one edit from any header word


def _is_header_word(word: str, index: frozenset[str]) -> bool:
    if len(word) < MIN_ANCHOR or len(word) > MAX_ANCHOR:
        return False
    word = word.translate(_LOOKALIKE).replace("rn", "m")
    if word in index:
        return True
    if len(word) <= MIN_ANCHOR:
        return False
    return any(word[:i] + word[i + 1 :] in index for i in range(len(word)))


def _has_header_word(n: str, index: frozenset[str]) -> bool:
    return any(_is_header_word(w, index) for w in n.split())


def cell_labels(text: str, vocab: dict[str, tuple[str, ...]]) -> tuple[list[str], float]:
    """The labels a header cell holds, left to right, with their mean score: one label, or
    several merged into one cell ("Target Good Is As of Date"), or none ([], best score)."""
    n = norm(text)
    if not n:
        return [], 0.0
    spellings = _flat(vocab)
    index = _anchors(spellings)
    if index is not None and not _has_header_word(n, index):
        return [], 0.0
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
            if key is not None and score >= THRESHOLD and key not in best[p + k][0]:
                labels, scores = best[p + k]  # a cell holds each column's label once
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


_WORD = re.compile(r"[a-z0-9]+")
_SPLIT_WORD = re.compile(r"([a-z]+)\t+([a-z]+)")


def screen(cells: list[str], vocab: dict[str, tuple[str, ...]], need: int) -> bool:
    """Whether a row of cells could be a header of `vocab` (see _screen): cheap, for readers
    to call before any other work on a line."""
    return _screen(cells, _flat(vocab), need)


def _screen(cells: list[str], spellings: tuple[tuple[str, str], ...], need: int) -> bool:
    """Cheap test before any scoring: the line holds `need` words near a header word (a word
    split over two cells, "Ta" + "rget", counts too). Works on the raw line, not on each
    cell's normal form: it runs on every tab-separated line of every document."""
    index = _anchors(spellings)
    return True if index is None else _screen_text("\t".join(cells), index, need)


@lru_cache(maxsize=1 << 18)  # readers ask about each line more than once
def _screen_text(text: str, index: frozenset[str], need: int) -> bool:
    text = _ascii_lower(text)
    hits = 0
    for w in _WORD.findall(text):
        hits += _is_header_word(w, index)
        if hits >= need:
            return True
    for a, b in _SPLIT_WORD.findall(text):
        hits += _is_header_word(a + b, index)
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
    if not _screen(cells, spellings, min_columns):
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
        while (
            left < len(fresh) - 1 - right
            and extra
            and extra[-1] == i - left - 1
            and _is_mark(cells[i - left - 1])
        ):
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


def _is_mark(cell: str) -> bool:
    """An empty cell or a stray mark ("3", "|"): what is left where OCR lost a label."""
    return sum(c.isalnum() for c in cell) <= 2


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
