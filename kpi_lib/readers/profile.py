"""A reader profile: the words a council prints over the columns of its KPI tables and in their
status column, as data rather than code.

Every council lays its report out its own way, but most use a common vocabulary ("Performance
Indicator", "Actual", "Status", "On target"); the built-in profile (profile_default.yaml) holds
it, so a new council's report reads with no profile at all where it uses common words. A
council's own profile (a YAML file beside its catalogue) adds its words: a header it prints
under another name, a status key ("Target met", "Data only").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from kpi_lib.errors import InputError
from kpi_lib.paths import catalog_path
from kpi_lib.values import collapse, rag_from_text

DEFAULT_FILE = Path(__file__).with_name("profile_default.yaml")
COLUMNS = ("ref", "target", "good_is", "as_of_text", "metric_name", "value", "rag", "trends")
STATUSES = ("Green", "Amber", "Red", "")


@dataclass(frozen=True)
class Profile:
    """Header words per canonical column (printed order) and status words per status."""

    headers: tuple[tuple[str, tuple[str, ...]], ...]
    statuses: tuple[tuple[str, str], ...] = ()
    source: str = field(default="built-in", compare=False)

    @cached_property
    def vocab(self) -> dict[str, tuple[str, ...]]:
        return dict(self.headers)

    @cached_property
    def _status_words(self) -> dict[str, str]:
        return {_word(k): v for k, v in self.statuses}

    def status(self, text: object) -> str | None:
        """Green/Amber/Red, "" for an empty cell or a word printed for "not rated", None for
        an unknown glyph or word (callers warn, never guess)."""
        found = rag_from_text(text)
        if found is not None:
            return found
        return self._status_words.get(_word(collapse(text)))

    def fingerprint(self) -> str:
        doc = {"headers": self.headers, "statuses": self.statuses}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def _word(text: str) -> str:
    return " ".join(text.lower().strip(" .:;").split())


def _parse(doc: Any, name: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    if doc is None:
        return {}, {}
    if not isinstance(doc, dict) or set(doc) - {"headers", "statuses"}:
        raise InputError(name, "a reader profile holds `headers:` and `statuses:` only")
    headers = doc.get("headers") or {}
    statuses = doc.get("statuses") or {}
    if not isinstance(headers, dict) or not isinstance(statuses, dict):
        raise InputError(name, "`headers:` and `statuses:` must be mappings")
    out: dict[str, list[str]] = {}
    for key, words in headers.items():
        if key not in COLUMNS:
            raise InputError(name, f"unknown column {key!r} (one of {', '.join(COLUMNS)})")
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise InputError(name, f"headers.{key} must be a list of header texts")
        out[key] = [" ".join(w.lower().split()) for w in words]
        short = [w for w in out[key] if not any(len(x) >= 3 for x in w.split())]
        if short:
            raise InputError(name, f"headers.{key}: {short[0]!r} needs a word of 3 letters or more")
    status: dict[str, str] = {}
    for word, meaning in statuses.items():
        meaning = "" if meaning is None else str(meaning).strip().capitalize()
        if meaning not in STATUSES:
            raise InputError(name, f"status {word!r}: {meaning!r} is not Green, Amber, Red or ''")
        status[_word(str(word))] = meaning
    return out, status


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the reader profile: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(str(path), f"not valid YAML: {what}", line=line) from None


def merged(base: Profile, path: Path) -> Profile:
    """`base` with a council's words added (its own words first, so they win a tie)."""
    headers, statuses = _parse(_load_yaml(path), str(path))
    vocab = {k: list(v) for k, v in base.headers}
    for key, words in headers.items():
        vocab[key] = list(dict.fromkeys([*words, *vocab.get(key, [])]))
    ordered = tuple((k, tuple(vocab[k])) for k in COLUMNS if k in vocab)
    status = dict(base.statuses) | statuses
    return Profile(ordered, tuple(sorted(status.items())), str(path))


def _builtin() -> Profile:
    headers, statuses = _parse(_load_yaml(DEFAULT_FILE), str(DEFAULT_FILE))
    ordered = tuple((k, tuple(headers[k])) for k in COLUMNS if k in headers)
    return Profile(ordered, tuple(sorted(statuses.items())))


DEFAULT = _builtin()


def load_profile(path: Path | None) -> Profile:
    """The built-in profile, with the council's own words where its profile file exists."""
    if path is None or not path.is_file():
        return DEFAULT
    return merged(DEFAULT, path)


PROFILE_NAME = "reader.yaml"  # a council's reader profile, beside its catalogue


def default_profile() -> Profile:
    """The default council's profile (data/catalog/reader.yaml), found without the store:
    `kpi extract` reads one file, and importing the store (pandas, pandera) would cost more
    than reading a short PDF."""
    return load_profile(catalog_path().with_name(PROFILE_NAME))
