"""Commentary under KPI tables: Issues / Causes / Actions blocks (and their printed variants),
or plain paragraphs in older reports, tied to the metrics of the table they follow.

The text between the end of one KPI table and the start of the next belongs to the first
table, until a heading there starts another indicator's section. Inside that stretch a label
line ("**Issues:**", "### Causes:", "Issues/causes:", "Short Term Actions:") opens a block; a
heading opens a new topic. Which metrics a block is about is the table's metrics, narrowed to
those whose names share most words with the block's topic ("Key Stage 4", "Street lighting
fault repair. …") when one clearly matches.

By the document's structure, not by a list of names:
- a heading of the commentary's own (a markdown heading above the labels' level, a long bold
  line at it, or in plain text a title-like line standing alone with Issues / Causes /
  Actions or prose after it) that names none of the table's KPIs outright heads an indicator
  printed without a table (its table an image: "Highways condition and maintenance score",
  "Number of complaints upheld by the Ombudsman."): its commentary is about none of the
  table's metrics, and it is returned as an `Untabled` section to be reported;
- a sub-group inside a label ("Care leavers", "16/17 year olds") names the KPIs it is about;
  one naming none is about those of its topic that its named siblings leave;
- what the word processor left behind ("[bookmark: _Int_…]", "The graph below shows …" with
  no graph) is not commentary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kpi_lib.readers.commentary_sections import (
    MIN_INDICATOR_WORDS,
    Untabled,
    announces_missing,
    drop_leftovers,
    indicator_words,
    title_like,
    without_aside,
)
from kpi_lib.readers.labels import LABEL_CORE, LABEL_PREFIX, LABEL_RE
from kpi_lib.readers.textdoc import strip_markup
from kpi_lib.readers.wrap import join_wrapped
from kpi_lib.values import collapse

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_BOLD_SEG = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022\u00b7]|\u25aa)\s+")
_LEAD = re.compile(
    r"^(?P<lead>[A-Z(][^.:\u2013\u2014]{2,200}?)(?:\.\s|\s+[\u2013\u2014-]\s|\s+[\u2013\u2014-]$)"
)
# Page furniture that ends a stretch of commentary in an agenda pack.
_STOP = re.compile(r"^(?:agenda item \d+|document is restricted|\(not for publication)", re.I)
_STOPWORDS = frozenset(
    "a an and the of to in on at by for with who which that are is be or from per as its it "
    "percentage number proportion rate total".split()
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?)])")
BOLD_LEVEL = 7  # a bold-only line ranks below every markdown heading level
STOP_LINE = "\x00stop"  # put in a flattened PDF where commentary must end (see pdf_comments)


@dataclass
class Table:
    """Where one KPI table sits in the document, and what it measures."""

    first_line: int  # 1-based line of its first data row
    last_line: int
    metrics: list[str]
    heading: str = ""
    section: str = ""


@dataclass
class Comment:
    """One block of commentary; `metrics` are the metric names (as printed) it is about."""

    kind: str  # issues | causes | actions | issues_causes | commentary
    label: str  # as printed, e.g. "Issues/causes", "Short Term Actions", "" for plain prose
    heading: str
    text: str
    source_line: int
    metrics: list[str] = field(default_factory=list)
    source_page: int | None = None  # PDFs: source_line is then the line within this page


@dataclass
class _Line:
    kind: str  # blank | label | heading | text | stop
    text: str = ""
    level: int = 0
    plain: bool = False  # a heading found by its place (plain text), not by its markup
    label: str = ""
    before: str = ""  # a topic printed on the label's line before it ("**Key Stage 4****Issue:**")
    after: str = ""  # text printed after the label on the same line
    sub: str = ""  # a bold sub-group printed after the label ("**Causes:****Care leavers**")


def kind_of(label: str) -> str:
    low = label.lower()
    if "issue" in low and "cause" in low:
        return "issues_causes"
    for key in ("issue", "cause", "action"):
        if key in low:
            return key + "s"
    return "commentary"


def classify(raw: str) -> _Line:
    """What one line is: a label opening a block, a heading, prose/bullet text, or blank."""
    if raw == STOP_LINE:
        return _Line("stop")
    line = raw.replace("\u00a0", " ").rstrip()
    if not line.strip():
        return _Line("blank")
    level = 0
    body = line.strip()
    m = _MD_HEADING.match(line)
    if m:
        level, body = len(m.group(1)), m.group(2).strip()
    segs = _BOLD_SEG.findall(body)
    if segs and not _BOLD_SEG.sub("", body).strip():  # the line is only bold runs
        plain = [strip_markup(s) for s in segs]
        for i, seg in enumerate(plain):
            lm = LABEL_RE.match(seg)
            if lm and not lm.group("rest"):
                return _Line(
                    "label",
                    level=level or BOLD_LEVEL,
                    label=lm.group("label"),
                    before=" ".join(p for p in plain[:i] if p),
                    sub=" ".join(p for p in plain[i + 1 :] if p),
                )
        return _Line("heading", " ".join(p for p in plain if p), level or BOLD_LEVEL)
    if body.count("\t") >= 2:  # a table row (a KPI row no reader took, or a key): not prose
        return _Line("blank")
    text = strip_markup(body)
    if not text:
        return _Line("blank")
    if _STOP.match(text):
        return _Line("stop", text)
    if not _BULLET.match(body):
        lm = LABEL_RE.match(text)
        if lm and (lm.group("colon") or not lm.group("rest")):
            return _Line(
                "label", level=level or BOLD_LEVEL, label=lm.group("label"), after=lm.group("rest")
            )
    if level:
        return _Line("heading", text, level)
    if re.fullmatch(r"\*{1,3}[^*].*[^*]\*{1,3}|\*{1,3}[^*]\*{1,3}", body):  # italic-only line
        return _Line("heading", text, BOLD_LEVEL)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)  # "vacancies <b>x</b>." left "x ."
    return _Line("text", _BULLET.sub("", text) if _BULLET.match(text) else text)


def tokens(text: str) -> set[str]:
    """Content words, crudely singularised, so "libraries" meets "library"."""
    out = set(acronyms(text))
    for w in re.findall(r"[0-9]+(?:-[0-9]+)+|[a-z0-9+]+", text.lower()):
        if w in _STOPWORDS:
            continue
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("s") and len(w) > 3 and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


def acronyms(text: str) -> list[str]:
    """ "Care Quality Commission" also reads as "cqc": reports use both."""
    out = []
    for run in re.findall(r"(?:\b[A-Z][a-z]+(?:\s+|$)){3,}", text):
        out.append("".join(w[0] for w in run.split()).lower())
    return out


def _scores(topic: str, metrics: list[str]) -> tuple[float, list[float]]:
    """Shared words per metric; a word with a digit ("65+", "18-64", "4") counts double, as
    it is what tells "Key Stage 2" from "Key Stage 4"."""

    def weight(words: set[str]) -> float:
        return float(sum(2 if any(ch.isdigit() for ch in w) else 1 for w in words))

    want = tokens(topic)
    return weight(want), [weight(want & tokens(m)) for m in metrics]


def match_metrics(topic: str, metrics: list[str]) -> list[str]:
    """The metrics a topic names: those sharing the most topic words, if they share at least
    two of them or half of them; [] when no metric clearly matches."""
    total, scores = _scores(topic, metrics)
    best = max(scores, default=0.0)
    if best == 0 or (best < 2 and best / total < 0.5):
        return []
    return [m for m, s in zip(metrics, scores, strict=True) if s == best]


def strong_match(topic: str, metrics: list[str]) -> bool:
    """Does the topic name a metric outright (two or more shared words, half its weight)?"""
    total, scores = _scores(topic, metrics)
    want = tokens(topic)
    shared = max((len(want & tokens(m)) for m in metrics), default=0)
    return shared >= 2 and max(scores, default=0.0) / total >= 0.5


_UNIT_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?\+?)\s+([a-z]+)")
_NUMBER_AFTER = re.compile(r"([a-z]+)\s+(\d+(?:[.,]\d+)?\+?)(?![\w.])")
_CONJUNCTION = re.compile(r"\s+(?:&|and)\s+", re.I)


def _word(w: str) -> str:
    """A word as tokens() files it: "libraries" as "library", "days" as "day"."""
    return next(iter(tokens(w) or {w}))


def _numbered(text: str) -> set[tuple[str, str]]:
    """(content word, number) pairs printed together: "5 days", "stage 4", "28 Days"."""
    low = text.lower()
    pairs = {(_word(w), n) for n, w in _UNIT_NUMBER.findall(low)}
    pairs |= {(_word(w), n) for w, n in _NUMBER_AFTER.findall(low)}
    return {(w, n) for w, n in pairs if w not in _STOPWORDS}


def numbers_conflict(topic: str, metric: str) -> bool:
    """Do the two print a different number beside the same word ("waiting 28 Days or more"
    against "waiting over 5 days")? Then they are different indicators, however many other
    words they share."""
    mine, theirs = _numbered(topic), _numbered(metric)
    words = {w for w, _ in mine} & {w for w, _ in theirs}
    return any(
        {n for w2, n in mine if w2 == w}.isdisjoint({n for w2, n in theirs if w2 == w})
        for w in words
    )


def _outright(topic: str, metrics: list[str]) -> list[str]:
    """The metrics sharing most of the topic's words (two or more, and at least half of their
    weight; an acronym matched counts its words: "Care Quality Commission" meets "CQC"), none
    printing a different number beside the same word."""
    topic = without_aside(topic)
    runs = {a: tokens(r) for a, r in zip(acronyms(topic), _runs(topic), strict=True)}
    want = tokens(topic) - set(runs)

    def weight(words: set[str]) -> float:
        return float(sum(2 if any(ch.isdigit() for ch in w) else 1 for w in words))

    total = weight(want)
    scores = []
    for m in metrics:
        have = tokens(m)
        shared = want & have
        for acronym, words in runs.items():
            if acronym in have:
                shared |= want & words
        ok = len(shared) >= 2 and weight(shared) >= total / 2 and not numbers_conflict(topic, m)
        scores.append(weight(shared) if ok else 0.0)
    best = max(scores, default=0.0)
    return [m for m, s in zip(metrics, scores, strict=True) if best and s == best]


def _runs(text: str) -> list[str]:
    return re.findall(r"(?:\b[A-Z][a-z]+(?:\s+|$)){3,}", text)


def names_outright(topic: str, metrics: list[str]) -> list[str]:
    """The metrics a heading names outright, in the metrics' order: by its whole wording, and
    by each part of a heading joined by "&" / "and" ("Care Quality Commission - Residential
    home & Community Based Services" names the residential and the community KPI). [] when
    it names none: a heading of another indicator."""
    found = set(_outright(topic, metrics))
    parts = _CONJUNCTION.split(topic)
    if len(parts) > 1:
        for part in parts:
            found |= set(_outright(part, metrics))
    return [m for m in metrics if m in found]


def opening_names(text: str, metrics: list[str], words: int = 8) -> list[str]:
    """The one metric a paragraph's opening words name ("Revenue forecast outturn % variance
    to budget has moved …", "Sickness absence has increased …" under a table of sickness,
    revenue and reserves): two or more of its words, and no other metric sharing any. []
    when the opening names none, or several alike."""
    opening = " ".join(text.split()[:words])
    _, scores = _scores(opening, metrics)
    if not scores:
        return []
    best = max(scores)
    others = sorted(scores)[-2] if len(scores) > 1 else 0.0
    if best < 2 or others > 1 or scores.count(best) > 1:
        return []
    return [metrics[scores.index(best)]]


def lead_phrase(text: str) -> str:
    """The topic an agenda-pack paragraph opens with ("Safety carriageway defects. Whilst …")."""
    m = _LEAD.match(text)
    if not m:
        return ""
    lead = m.group("lead").strip()
    words = len(lead.split())
    ends_with_stop = text[m.end("lead") :].lstrip().startswith(".")
    if words > (10 if ends_with_stop else 25):
        return ""
    return lead


def tables_from_rows(rows: Iterable[dict]) -> list[Table]:
    """Group extracted rows into tables: rows on adjacent lines belong together."""
    tables: list[Table] = []
    ordered = sorted(
        (r for r in rows if r.get("source_line") is not None),
        key=lambda r: int(r["source_line"]),
    )
    for r in ordered:
        line = int(r["source_line"])
        if tables and line - tables[-1].last_line <= 1:
            t = tables[-1]
            t.last_line = line
            if r["metric_name"] not in t.metrics:
                t.metrics.append(r["metric_name"])
        else:
            tables.append(
                Table(line, line, [r["metric_name"]], r.get("heading", ""), r.get("section", ""))
            )
    return tables


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", strip_markup(text).lower()).strip()


def _region_end(lines: list[str], table: Table, nxt: Table | None, sections: set[str]) -> int:
    """0-based index (exclusive) where the commentary after `table` stops."""
    start = table.last_line  # 0-based index of the line after the table
    if nxt is None:
        end = len(lines)
    else:
        end = nxt.first_line - 1
        k = end - 1
        while k >= start and not lines[k].strip():
            k -= 1
        if k >= start and "\t" in lines[k]:  # the next table's header row
            end = k
        heading = _norm(nxt.heading)
        if heading:
            for k in range(end - 1, start - 1, -1):
                if _starts_heading(_norm(lines[k]), heading):
                    end = k
                    break
    # a new section's heading (and its introduction) is never commentary on this table
    others = {_norm(s) for s in sections} - {_norm(table.section), ""}
    if nxt is not None and _norm(nxt.section):
        others.add(_norm(nxt.section))
    for k in range(start, end):
        if _norm(lines[k]) in others:
            return k
    return end


def _starts_heading(line: str, heading: str) -> bool:
    """Is the line the heading, or the first of the lines it is printed over ("Successful
    completion of treatment for opiates and not returned within 6 months, and")?"""
    return line == heading or (len(line.split()) >= 3 and heading.startswith(line + " "))


def extract_comments(lines: list[str], rows: Iterable[dict]) -> list[Comment]:
    """Every commentary block following a KPI table in a text report.

    `rows` are extracted table rows (dicts with metric_name, heading, section, source_line);
    narrative rows should not be passed: prose is not a table.
    """
    return read_commentary(lines, rows)[0]


def read_commentary(lines: list[str], rows: Iterable[dict]) -> tuple[list[Comment], list[Untabled]]:
    """extract_comments, and the sections inside the commentary that head an indicator
    without a KPI table (readers.commentary_sections): their blocks are about none of the
    table's KPIs, and each is returned so that it can be reported, never dropped in silence."""
    rows = list(rows)
    tables = tables_from_rows(rows)
    sections = {str(r.get("section", "")) for r in rows}
    out: list[Comment] = []
    untabled: list[Untabled] = []
    for i, table in enumerate(tables):
        nxt = tables[i + 1] if i + 1 < len(tables) else None
        end = _region_end(lines, table, nxt, sections)
        elsewhere = [m for t in tables if t is not table for m in t.metrics]
        blocks = _read_region(lines, table.last_line, end, table, elsewhere)
        out.extend(blocks.out)
        untabled.extend(blocks.untabled)
    return out, untabled


def _read_region(
    lines: list[str], start: int, end: int, table: Table, elsewhere: list[str]
) -> _Blocks:
    items: list[tuple[int, _Line]] = []
    for k in range(start, end):
        c = classify(lines[k])
        if c.kind == "stop":
            break
        if c.kind == "text" and announces_missing(c.text):
            c = _Line("blank")  # "The graph below shows ..." and no graph: not commentary
        items.append((k, c))
    blocks = _Blocks(table, elsewhere)
    blocks.run(_captions_as_text(_plain_headings(items, lines), lines))
    return blocks


def _captions_as_text(items: list[tuple[int, _Line]], lines: list[str]) -> list[tuple[int, _Line]]:
    """A heading printed right above a table of the commentary's own ("Leavers by
    directorate" over its rows) captions that table: it heads no indicator, so it is read as
    a line of the text."""
    out = list(items)
    for n, (k, c) in enumerate(items):
        if c.kind != "heading":
            continue
        nxt = next((raw for raw in lines[k + 1 : k + 6] if raw.strip()), "")
        if nxt.count("\t") >= 2:
            out[n] = (k, _Line("text", c.text))
    return out


_PLAIN_HEADING = re.compile(r"^[A-Z][^\t]{2,150}$")
# a heading may end in a short aside: "... maths at KS2 (year 6)"
_ASIDE_END = re.compile(r"\([^()]{1,30}\)$")
# a topic of three words or more and its first label on one line: "Average attainment 8 score
# at KS4 (years 10 and 11) Issue:" ("General issues:" is a label's wording, not a topic)
_TOPIC_LABEL = re.compile(
    rf"^(?P<before>[A-Z][^\t.:;\s]*(?:\s+[^\t.:;\s]+){{2,24}}?)\s+"
    rf"(?P<label>(?i:{LABEL_PREFIX}{LABEL_CORE}))\s*:$"
)


def _plain_headings(items: list[tuple[int, _Line]], lines: list[str]) -> list[tuple[int, _Line]]:
    """Mark as headings the plain-text lines that stand alone (a blank line before, not
    indented, no closing punctuation) with a label (Issues:, Causes: ...) as the next thing
    printed: the document's structure says they head the blocks that follow."""
    out = list(items)
    # the first line printed under a KPI table is what it says of that table ("Collection
    # improved on last year."), never the title of another indicator found by its place
    first = next((n for n, (_, c) in enumerate(items) if c.kind != "blank"), None)
    for n, (k, c) in enumerate(items):
        before_blank = n == 0 or items[n - 1][1].kind == "blank"
        raw = lines[k]
        alone = c.kind == "text" and before_blank and raw[:1] not in (" ", "\t", "-", "*", "\u2022")
        text = c.text.rstrip()
        topic = _TOPIC_LABEL.match(text) if alone else None
        if topic:
            label = _Line("label", level=BOLD_LEVEL, label=topic["label"], before=topic["before"])
            out[n] = (k, label)
        elif (
            alone
            and _PLAIN_HEADING.match(c.text)
            and not text.endswith((".", ":", ";", ","))
            and (not text.endswith(")") or _ASIDE_END.search(text))
            and _next_kind(items, n) == "label"
        ) or (alone and n != first and _titles_prose(items, n, text)):
            out[n] = (k, _Line("heading", c.text, BOLD_LEVEL, plain=True))
    return out


def _titles_prose(items: list[tuple[int, _Line]], n: int, text: str) -> bool:
    """A title-like line of three words or more, a blank line after it, then prose or a label:
    the heading of what follows ("Highways condition and maintenance score", its table an
    image, then "This score is a combination of ...")."""
    after_blank = n + 1 < len(items) and items[n + 1][1].kind == "blank"
    return (
        after_blank
        and _previous_kind(items, n) != "label"  # "Actions:" then a title: its first point
        and title_like(text)
        and indicator_words(text) >= MIN_INDICATOR_WORDS
        and _next_kind(items, n) in ("text", "label")
    )


class _Blocks:
    """The state while reading one stretch of commentary: the current topic and block, and
    the indicators without a table met on the way."""

    def __init__(self, table: Table, elsewhere: list[str]) -> None:
        self.table = table
        self.elsewhere = elsewhere  # metrics of the document's other tables
        self.everything = list(table.metrics)
        self.topic = (table.heading or table.section, self.everything)
        self.base = self.topic  # the topic set by a heading, never by a sub-group
        self.out: list[Comment] = []
        self.cur: Comment | None = None
        self.label_level = 0
        self.foreign: Untabled | None = None  # the indicator without a table being read
        self.untabled: list[Untabled] = []
        self._foreign_blocks: list[list[Comment]] = []
        # sub-groups of the labels ("Care leavers", "16/17 year olds"): the blocks of those
        # naming no metric, and the metrics their siblings name
        self._unnamed: list[Comment] = []
        self._named: set[str] = set()

    def _open(self, kind: str, label: str, heading: str, metrics: list[str], line: int) -> None:
        self.cur = Comment(kind, label, heading, "", line, list(metrics))
        self.out.append(self.cur)
        if self.foreign is not None and not metrics:
            self._foreign_blocks[-1].append(self.cur)

    def _own(self, heading: str) -> bool:
        return _norm(heading) in {_norm(self.table.heading), _norm(self.table.section)}

    def _about(self, topic: str) -> list[str]:
        """Metrics a sub-heading or a topic printed on a label's line names; all of the
        table's if none clearly; none inside an indicator without a table."""
        if self.foreign is not None:
            return []
        if self._own(topic):
            return self.everything
        return match_metrics(topic, self.everything) or self.everything

    def _structural(self, heading: str) -> list[str] | None:
        """The metrics a heading of the commentary's own structure names: all of the table's
        for its own heading, those it names outright; None for the heading of another
        indicator (three words or more, naming none of them); a short generic heading
        ("Benchmarking") goes on with the table's metrics."""
        if self._own(heading):
            return self.everything
        named = names_outright(heading, self.everything)
        if named:
            return named
        if self.table.heading and names_outright(heading, [self.table.heading]):
            return self.everything
        if indicator_words(heading) >= MIN_INDICATOR_WORDS:
            return None
        return self._about(heading)

    def _is_subgroup(self, c: _Line) -> bool:
        """A heading inside Issues / Causes / Actions grouping its points ("Adults 65+",
        "Care leavers"): printed below the label's level, or at it and short. A plain-text
        heading, or a long one at the label's level, heads a topic of its own."""
        if c.plain or self.cur is None or not self.cur.label:
            return False
        if c.level > self.label_level:
            return True
        return c.level == self.label_level and indicator_words(c.text) < 5

    def _start_foreign(self, heading: str, k: int) -> None:
        self.foreign = Untabled(heading.rstrip(" ."), k + 1)
        self.untabled.append(self.foreign)
        self._foreign_blocks.append([])

    def _sub_metrics(self, heading: str) -> list[str]:
        """A sub-group's metrics: those it names; naming none ("16/17 year olds"), those of
        the topic its label is under (not a sibling sub-group's)."""
        if self.foreign is not None:
            return []
        if self._own(heading) or match_metrics(heading, self.everything):
            return self._about(heading)
        return list(self.base[1])

    def _cohort(self, block: Comment, heading: str) -> None:
        if self.foreign is not None:
            return
        named = match_metrics(heading, self.everything)
        if named:
            self._named.update(named)
        else:
            self._unnamed.append(block)

    def run(self, items: list[tuple[int, _Line]]) -> list[Comment]:
        gap = False
        for n, (k, c) in enumerate(items):
            if c.kind == "blank":
                gap = True
                continue
            if c.kind == "label":
                self._label(c, k)
            elif c.kind == "heading":
                self._heading(c, k, _next_kind(items, n))
            else:
                self._text(c.text, k, gap)
            gap = False
        for blk in self.out:
            blk.text = "\n".join(t for t in blk.text.split("\n") if t)
        self._share_out()
        for section, blocks in zip(self.untabled, self._foreign_blocks, strict=True):
            section.text = "\n".join(b.text for b in blocks if b.text)
        # a heading with nothing under it (a parent heading above the next table) is no
        # indicator of its own
        self.untabled = [u for u in self.untabled if u.text]
        self.out = [b for b in self.out if b.text]
        return self.out

    def _share_out(self) -> None:
        """Sub-groups naming no metric ("16/17 year olds") beside ones that do ("Care
        leavers"): the unnamed are about the metrics of their topic their siblings leave."""
        if not self._named:
            return
        for blk in self._unnamed:
            rest = [m for m in blk.metrics if m not in self._named]
            if rest:
                blk.metrics = rest

    def _label(self, c: _Line, k: int) -> None:
        if c.before:
            self.topic = self.base = (c.before, self._about(c.before))
        heading, metrics = self.topic
        if c.sub:
            heading, metrics = c.sub, self._sub_metrics(c.sub)
        self._open(kind_of(c.label), collapse(c.label), heading, metrics, k + 1)
        if c.sub:
            self._cohort(self.cur, c.sub)  # type: ignore[arg-type]
        self.label_level = c.level
        if c.after:
            self._add(c.after)

    def _heading(self, c: _Line, k: int, following: str) -> None:
        if self._is_subgroup(c):
            self._subgroup(c, k, following)
            return
        metrics = self._structural(c.text)
        if metrics is None:
            self._start_foreign(c.text, k)
            metrics = []
        elif metrics:
            self.foreign = None
        self.topic = self.base = (c.text, metrics)
        if following == "label":  # the topic of the Issues/Causes/Actions that follow
            self.cur = None
            return
        self._open("commentary", "", c.text, metrics, k + 1)

    def _subgroup(self, c: _Line, k: int, following: str) -> None:
        """A sub-group inside Issues/Causes/Actions; one that names a metric outright also
        becomes the topic of the labels after it."""
        assert self.cur is not None
        metrics = self._sub_metrics(c.text)
        if following == "label":
            self.topic, self.cur = (c.text, metrics), None
            return
        if self.foreign is None and strong_match(c.text, self.everything):
            self.topic = (c.text, metrics)
        if self.cur.text:
            self._open(self.cur.kind, self.cur.label, c.text, metrics, k + 1)
        else:
            self.cur.heading, self.cur.metrics = c.text, list(metrics)
        self._cohort(self.cur, c.text)

    def _text(self, text: str, k: int, gap: bool) -> None:
        cur = self.cur
        if cur is None or (not cur.label and cur.text and gap and not _continues(cur.text)):
            if self.foreign is not None:  # inside an indicator without a table: none of ours
                if cur is None:
                    self._open("commentary", "", self.foreign.heading, [], k + 1)
                self._add(text)
                return
            lead = lead_phrase(text)
            named = [] if lead else opening_names(text, self.everything)
            if not lead and not named and _heading_like(text):
                # a short line on its own names the one metric it shares most words with
                best = match_metrics(text, self.everything)
                named = best if len(best) == 1 and strong_match(text, best) else []
            if cur is None or lead or named:
                if lead:
                    metrics = self._lead_metrics(lead) or (cur.metrics if cur else self.topic[1])
                else:
                    metrics = named or self.topic[1]
                if named and _heading_like(text):  # a line naming a KPI heads what follows
                    self.topic = (text, named)
                self._open("commentary", "", lead or self.topic[0], metrics, k + 1)
        self._add(text)

    def _lead_metrics(self, lead: str) -> list[str]:
        """An agenda pack comments on two tables after the second: a lead naming a metric of
        another table outright, better than any of this table's, is about that metric."""
        here = match_metrics(lead, self.everything)
        if self.elsewhere and strong_match(lead, self.elsewhere):
            _, local = _scores(lead, self.everything)
            _, other = _scores(lead, self.elsewhere)
            if max(other) > max(local, default=0.0):
                return match_metrics(lead, self.elsewhere)
        return here

    def _add(self, text: str) -> None:
        assert self.cur is not None
        text = drop_leftovers(text)
        if text:
            self.cur.text = f"{self.cur.text}\n{text}" if self.cur.text else text


def _previous_kind(items: list[tuple[int, _Line]], n: int) -> str:
    for _, c in reversed(items[:n]):
        if c.kind != "blank":
            return c.kind
    return "start"


def _next_kind(items: list[tuple[int, _Line]], n: int) -> str:
    for _, c in items[n + 1 :]:
        if c.kind != "blank":
            return c.kind
    return "end"


def _heading_like(text: str) -> bool:
    """A short line without closing punctuation: "Good level of development achieved at early
    years foundation stage" standing above its note and actions."""
    t = text.strip()
    return len(t.split()) <= 15 and not t.endswith((".", ":", ";", ",", "!", "?"))


def _continues(text: str) -> bool:
    """Does a block's last line announce more ("… including:", "… during the year –")?"""
    return text.rstrip().endswith((":", "\u2013", "-", "\u2014"))


_NUMBERED = re.compile(r"^\s*(?P<num>\d+\.(?:\d+\.?)*)\s+(?P<title>[A-Z\d].*)$")


def narrative_comments(lines: list[str], rows: Iterable[dict]) -> list[Comment]:
    """Reports that give KPIs only in prose (numbered sections, "5.2.9 Permanent admissions
    …"): the text of the section a figure was read from is that KPI's commentary."""
    heads = [k for k, line in enumerate(lines) if _NUMBERED.match(line)]
    by_section: dict[int, list[str]] = {}
    for r in rows:
        if r.get("source_line") is None:
            continue
        k = int(r["source_line"]) - 1
        start = max((h for h in heads if h <= k), default=None)
        if start is not None:
            names = by_section.setdefault(start, [])
            if r["metric_name"] not in names:
                names.append(r["metric_name"])
    out = []
    for start, metrics in sorted(by_section.items()):
        end = min((h for h in heads if h > start), default=len(lines))
        text = []
        for raw in lines[start + 1 : end]:
            if raw.startswith("\t") or raw.count("\t") >= 2:  # cells of a layout table
                continue
            plain = strip_markup(raw)
            plain = re.sub(r"^[\u00b7\u2022-]\s*", "", plain)
            if plain:
                text.append(plain)
        title = _NUMBERED.match(lines[start])
        if text and title:
            out.append(
                Comment(
                    "commentary", "", collapse(title["title"]), "\n".join(text), start + 2, metrics
                )
            )
    return out


# --- PDFs ----------------------------------------------------------------------------------
class PdfLine(Protocol):
    """A printed line of a PDF as kpi_lib.readers.pdf.TextLine gives it."""

    page: int
    line: int
    text: str
    kind: str  # body | heading | furniture | table
    top: float
    x0: float
    x1: float
    size: float
    heading: str
    level: str
    table: int | None


_ROW_LINE = "\t\t"  # a KPI row in a flattened PDF: a tab row, as text reports print them
_PARA_PITCH = 1.5  # font sizes from one baseline to the next: more opens a new paragraph
_SENTENCE_END = (".", "!", "?", ":")
# bullet glyphs Word exports (Symbol/Wingdings private-use ones included), read as "- "
_PDF_BULLET = re.compile(
    r"^[\u2022\u25aa\u25cf\u25e6\u2023\u2043\u27a2\u00b7\uf0b7\uf0a7\uf0d8-]\s*"
)
_NUMBERED_ITEM = re.compile(r"^(?:\d{1,2}|[a-z])[.)]\s")


def pdf_comments(lines: Sequence[PdfLine], rows: Iterable[dict]) -> list[Comment]:
    """Every commentary block following a KPI table in a PDF report, with its page and line.

    The PDF's printed lines are flattened into the shape of a text report, and read like one
    (extract_comments): running headers/footers dropped, so a block or a paragraph broken over
    a page is joined; a paragraph's wrapped lines joined into one line; headings as markdown;
    each KPI row as one tab row. A table without KPI rows under its own heading ends the
    commentary above it: its heading and text are about it, not about the KPI table.
    `rows` are the PDF's extracted rows (dicts with source_page and source_line).
    """
    return read_pdf_commentary(lines, rows)[0]


def read_pdf_commentary(
    lines: Sequence[PdfLine], rows: Iterable[dict]
) -> tuple[list[Comment], list[Untabled]]:
    """pdf_comments, and the sections heading an indicator without a KPI table (see
    read_commentary), each placed by page and line."""
    rows = [r for r in rows if r.get("source_page") is not None and r.get("source_line")]
    flat, where, row_at = flatten_pdf(lines, rows)
    moved = [r | {"source_line": row_at[(r["source_page"], r["source_line"])]} for r in rows]
    out, untabled = read_commentary(flat, moved)
    for c in out:
        c.source_page, c.source_line = where[c.source_line - 1]
    for u in untabled:
        u.source_page, u.source_line = where[u.source_line - 1]
    return out, untabled


def flatten_pdf(
    lines: Sequence[PdfLine], rows: list[dict]
) -> tuple[list[str], list[tuple[int, int]], dict[tuple[int, int], int]]:
    """(text-report lines, (page, line) each came from, 1-based flat line of each row's place)."""
    keys = {(int(r["source_page"]), int(r["source_line"])) for r in rows}
    with_rows = {t.table for t in lines if t.kind == "table" and (t.page, t.line) in keys}
    body = _body_size(lines)
    right: dict[int, float] = {}
    for t in lines:
        if t.kind == "body":
            right[t.page] = max(right.get(t.page, 0.0), t.x1)
    flat: list[str] = []
    where: list[tuple[int, int]] = []
    row_at: dict[tuple[int, int], int] = {}
    last_heading = -1  # flat index of a heading nothing has followed yet
    prev: PdfLine | None = None  # last line of the paragraph that may go on
    gap_from: PdfLine | None = None  # last body line, for the vertical gap to the next one
    seen_tables: set[int | None] = set()

    def emit(text: str, at: tuple[int, int]) -> None:
        flat.append(text)
        where.append(at)

    events = sorted(
        [(page, line, 0, None) for page, line in keys]
        + [(t.page, t.line, 1, t) for t in lines if t.kind != "furniture"],
        key=lambda e: (e[0], e[1], e[2], e[3].top if e[3] else 0.0, e[3].x0 if e[3] else 0.0),
    )
    for page, line, _, t in events:
        if t is None:  # a KPI row
            row_at[(page, line)] = len(flat) + 1
            emit(_ROW_LINE, (page, line))
            prev = gap_from = None
            last_heading = -1
            continue
        if t.kind == "table":
            if (t.page, t.line) in keys or t.table in with_rows or t.table in seen_tables:
                continue  # the KPI table's header and wrapped cell lines; a table seen already
            seen_tables.add(t.table)
            if last_heading >= 0:  # a table under its own heading: the commentary ends above
                flat.insert(last_heading, STOP_LINE)
                where.insert(last_heading, where[last_heading])
            else:
                emit("", (t.page, t.line))
            prev = gap_from = None
            last_heading = -1
            continue
        if t.kind == "heading":
            if t.heading:
                last_heading = len(flat)
                emit(_render_heading(t, body), (t.page, t.line))
            prev = gap_from = None
            continue
        last_heading = -1
        text = _PDF_BULLET.sub("- ", t.text, count=1) if _PDF_BULLET.match(t.text) else t.text
        starts = bool(_PDF_BULLET.match(t.text) or _NUMBERED_ITEM.match(text))
        c = classify(text)
        if prev is not None and not starts and c.kind == "text" and _wraps(prev, t, right):
            flat[-1] = join_wrapped([flat[-1], text])
        else:
            if gap_from is not None and _gap(gap_from, t):
                emit("", (t.page, t.line))
            emit(text, (t.page, t.line))
        bare_label = c.kind == "label" and not c.after
        prev = None if bare_label or c.kind == "heading" else t
        gap_from = t
    return flat, where, row_at


def _body_size(lines: Sequence[PdfLine]) -> float:
    sizes: Counter[float] = Counter()
    for t in lines:
        if t.kind == "body":
            sizes[round(t.size * 2) / 2] += len(t.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _render_heading(t: PdfLine, body: float) -> str:
    """Section headings as "##", larger KPI-level headings as "###", bold body-size lines as
    "**…**": the bold level, so a bold line inside Issues/Actions reads as a sub-group."""
    if t.level == "section":
        return f"## {t.heading}"
    if body and t.size >= body * 1.1:
        return f"### {t.heading}"
    return f"**{t.heading}**"


def _wraps(prev: PdfLine, t: PdfLine, right: dict[int, float]) -> bool:
    """Does `t` continue the paragraph `prev` ended on: the next line at the line pitch, the
    previous one running to the right edge or not ending a sentence; across a page break,
    only the latter (the footer and header in between are not part of the text)."""
    ended = prev.text.rstrip().endswith(_SENTENCE_END)
    if t.page != prev.page:
        return t.page == prev.page + 1 and not ended
    if t.top <= prev.top or t.top - prev.top > _PARA_PITCH * max(t.size, prev.size):
        return False
    short = prev.x1 < right.get(prev.page, prev.x1) - 4 * prev.size
    return not (ended and short)


def _gap(prev: PdfLine, t: PdfLine) -> bool:
    """A blank line in a text report: more than the line pitch between them, or a new page."""
    return t.page != prev.page or t.top - prev.top > _PARA_PITCH * max(t.size, prev.size)
