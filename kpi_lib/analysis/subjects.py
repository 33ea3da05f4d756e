"""Which KPI a sentence of a KPI's commentary is about, where the council measures variants.

A heading often covers a KPI and its variant for a group ("16/17-year-olds in EET" over all
young people and those with SEND; care home admissions aged 18-64 and 65+), and the block is
filed under the one KPI its heading names. A sentence that names the variant's distinguishing
words ("for young people with SEND ... 89.4%") is about the variant, not the block's KPI; a
sentence that opens by pointing back ("This is below the latest National (91.4%)") is about
what the sentence before it was about. Variants are read from the council's catalogue: two
entries whose titles share most of their words, one adding a few of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kpi_lib.analysis.claims_extract import sentences
from kpi_lib.readers.commentary import acronyms, tokens
from kpi_lib.store.catalog import Catalog

_POINTS_BACK = re.compile(r"^(?:this|that|these|it|they|which)\b", re.IGNORECASE)
_KEY_STAGE = re.compile(r"(?i)\bkey\s+stage\s*(\d)")
_MAX_EXTRA = 3  # words a variant adds to its KPI's title ("with SEND", "aged 65+")


@dataclass(frozen=True)
class Variant:
    kpi_id: str
    title: str
    extra: frozenset[str]  # the words it adds to its KPI's title (in tokens' form)
    exact: frozenset[str]  # of those, the capitalised acronyms, matched as printed ("SEND")

    @property
    def naming(self) -> frozenset[str]:
        """What a sentence must say to name it: its acronyms and figures ("SEND", "65+") if it
        adds any, else every word it adds ("disadvantaged pupils")."""
        strong = {w for w in self.extra if any(c.isdigit() for c in w)}
        strong |= {a.lower() for a in self.exact}
        return frozenset(strong) if strong else self.extra


def variants(catalog: Catalog | None, kpi_ids: list[str]) -> list[Variant]:
    """The catalogue's variants of `kpi_ids` (entries not among them)."""
    if catalog is None:
        return []
    titles = {e.id: e.title for e in catalog.entries}
    out: dict[str, Variant] = {}
    for k in kpi_ids:
        if k not in titles:
            continue
        own = _words(titles[k])
        for e in catalog.entries:
            if e.id in kpi_ids or e.id in out:
                continue
            theirs = _words(e.title)
            shared, extra = own & theirs, theirs - own
            if not extra or len(extra) > _MAX_EXTRA or len(shared) < max(2, 0.6 * len(own)):
                continue
            printed = _KEY_STAGE.sub(r"KS\1", e.title)
            exact = frozenset(
                w for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", printed) if w.lower() in extra
            )
            out[e.id] = Variant(e.id, e.title, frozenset(extra), exact)
    return sorted(out.values(), key=lambda v: v.kpi_id)


@lru_cache(maxsize=4096)  # every block of a report asks for the catalogue's titles again
def _words(text: str) -> frozenset[str]:
    """Content words, "Key Stage 2" read as "KS2" as reports print both; not the initials of
    capitalised runs tokens() adds ("Disadvantaged Pupils Average Attainment" is no "dpaa")."""
    text = _KEY_STAGE.sub(r"KS\1", text)
    return frozenset(tokens(text) - (set(acronyms(text)) - tokens(text.lower())))


def _names(sentence: str, v: Variant) -> bool:
    words = _words(sentence)
    for w in v.naming:
        acronym = next((a for a in v.exact if a.lower() == w), None)
        if acronym is not None:
            if not re.search(rf"\b{re.escape(acronym)}\b", sentence):
                return False
        elif w not in words:
            return False
    return True


def sentence_subjects(text: str, found: list[Variant]) -> dict[str, Variant]:
    """sentence -> the variant it is about, for each sentence of `text` about one; a sentence
    naming two variants is about none of them in particular and is left to its block."""
    out: dict[str, Variant] = {}
    previous: Variant | None = None
    for s in sentences(text):
        named = [v for v in found if _names(s, v)]
        if len(named) == 1:
            previous = named[0]
        elif named or not _POINTS_BACK.match(s):
            previous = None
        if previous is not None:
            out[s] = previous
    return out
