"""The KPI catalogue (data/catalog/kpis.yaml): canonical ids for indicators whose printed names
change between reports, with polarity, unit and how figures accumulate.

Names resolve by exact match after normalisation only; anything fuzzy is a *suggestion* for a
person to confirm by adding an alias, so no two indicators are ever merged in silence.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kpi_lib.errors import InputError, KpiError, UsageError
from kpi_lib.paths import catalog_path
from kpi_lib.periods import parse_report_period
from kpi_lib.store.councils import current, load_councils

POLARITIES = ("High", "Low", "Other")
UNITS = (
    "%",
    "count",
    "rate per 10k",
    "rate per 100k",
    "days per FTE",
    "days",
    "£",
    "score",
    "index",
    "ratio",
)
FREQUENCIES = ("quarterly", "monthly", "annual")
ACCUMULATIONS = ("point", "annual cumulative", "rolling 12 months")
YEAR_BASES = ("financial", "academic")
# What span a figure covers (see kpi_lib.store.basis); a catalogue may declare one, overall
# (`basis`) or from a report on (`basis_from`), where the printed figure does not say.
BASES = (
    "quarter",
    "year to date",
    "rolling 12 months",
    "annual",
    "snapshot",
    "academic year",
    "term",
    "month",
)
FIELDS = ("id", "title", "aliases", "polarity", "unit", "frequency", "accumulation", "section")
# Optional fields and their defaults. year_basis: how a printed "2021/22" is read for this KPI
# (academic = September to August, for attainment, school places, early years).
OPTIONAL = {"year_basis": "financial", "basis": "", "min": "", "max": ""}
# basis_from: a mapping "report period": basis, for a KPI whose definition changed (sickness
# absence printed a rolling 12 months until 2021/22, a year to date from 2022/23).
MAPPINGS = ("basis_from",)
# mentions: phrases by which the council's prose names the KPI ("children missing from
# education", "opiate treatment"), matched whole-word and normalised, never fuzzily; how a
# director's account that gives no figure is attached to the KPIs it speaks of.
LISTS = ("mentions",)
# shared: a KPI with one national definition (a single data list indicator) that other councils'
# catalogues may match too: a name never resolves across councils otherwise. review: written by
# `kpi catalog init` with guessed polarity and unit, for a person to check and then remove.
FLAGS = ("shared", "review")
_CHOICES = {
    "polarity": POLARITIES,
    "unit": UNITS,
    "frequency": FREQUENCIES,
    "accumulation": ACCUMULATIONS,
    "year_basis": YEAR_BASES,
    "basis": ("", *BASES),
}
_BOUND = re.compile(r"(?i)none|[-+]?\d+(?:\.\d+)?")
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NEW_PREFIX = "new-"


def normalise_name(name: str) -> str:
    """The matching key of a printed name: case, accents, apostrophes, punctuation, dashes and
    spacing ignored ("Libraries – PNET sessions" == "libraries - pnet sessions")."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['\u2018\u2019`]", "", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


@dataclass
class KpiEntry:
    id: str
    title: str
    aliases: list[str]
    polarity: str
    unit: str
    frequency: str
    accumulation: str
    section: str
    year_basis: str = "financial"
    basis: str = ""  # "" = read off the period and the accumulation
    basis_from: dict[str, str] = field(default_factory=dict)  # report period label -> basis
    mentions: list[str] = field(default_factory=list)
    # the KPI's possible range where its unit does not say it (kpi_lib.analysis.bounds): a
    # number, "none" (no bound: a £ variance can be negative), "" = the unit's
    min: str = ""
    max: str = ""
    shared: bool = False
    review: bool = False

    def basis_at(self, report_start: date | None) -> str:
        """The basis declared for figures printed in a report starting `report_start`: the
        latest `basis_from` entry at or before it, else `basis` ("" when none is declared)."""
        declared = self.basis
        if report_start is None:
            return declared
        starts = sorted((parse_report_period(k).start, v) for k, v in self.basis_from.items())
        for start, basis in starts:
            if start is not None and start <= report_start:
                declared = basis
        return declared


@dataclass
class Catalog:
    entries: list[KpiEntry]
    _by_name: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, KpiEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.entries}
        self._by_name = {}
        for e in self.entries:
            for name in (e.title, *e.aliases):
                self._by_name.setdefault(normalise_name(name), e.id)

    def resolve(self, metric_name: str) -> str | None:
        """The id whose title or alias equals `metric_name` after normalisation; None otherwise."""
        key = normalise_name(metric_name)
        return self._by_name.get(key) if key else None

    def polarities(self) -> dict[str, str]:
        """kpi_id -> High | Low, where the catalogue declares one (not "Other")."""
        return {e.id: e.polarity for e in self.entries if e.polarity in ("High", "Low")}

    def polarity_source(self, kpi_id: str) -> str:
        """How a catalogued polarity is said where it is used: a guess `kpi catalog init`
        wrote and nobody has reviewed yet is called one."""
        entry = self._by_id.get(kpi_id)
        if entry is not None and entry.review:
            return "the catalogue (guessed by `kpi catalog init`, not yet reviewed)"
        return "the catalogue"

    def get(self, kpi_id: str) -> KpiEntry:
        try:
            return self._by_id[kpi_id]
        except KeyError:
            raise UsageError(f"unknown KPI id: {kpi_id!r}") from None

    def suggest(self, metric_name: str, n: int = 3) -> list[tuple[str, float]]:
        """Likely entries for a name that did not resolve, best first, scored 0-1 by the better
        of character similarity and word overlap. For people to confirm, never applied."""
        key = normalise_name(metric_name)
        if not key or n <= 0:
            return []
        words = set(key.split())
        best: dict[str, float] = {}
        for name, kpi_id in self._by_name.items():
            other = set(name.split())
            overlap = len(words & other) / len(words | other)
            ratio = difflib.SequenceMatcher(None, key, name, autojunk=False).ratio()
            score = round(max(overlap, ratio), 3)
            if score > best.get(kpi_id, 0.0):
                best[kpi_id] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(k, s) for k, s in ranked if s > 0][:n]


def new_kpi_id(metric_name: str) -> str:
    """A stable id for an uncatalogued name, marked "new-" so it is never merged with a
    catalogued KPI by accident; long names are cut and get a short hash to stay distinct."""
    key = normalise_name(metric_name)
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    words = key.split()
    slug = "-".join(words)
    if not slug:
        return f"{NEW_PREFIX}{digest}"
    if len(slug) <= 60:
        return NEW_PREFIX + slug
    cut = slug[:60].rsplit("-", 1)[0]
    return f"{NEW_PREFIX}{cut}-{digest}"


# --- loading --------------------------------------------------------------------------------------
def load_catalog(path: Path | None = None, council: str | None = None) -> Catalog:
    """Read and check a catalogue; every problem is an InputError naming the file and line.

    Without a path, the council's (`council`, else $KPI_COUNCIL, else the default council's,
    data/catalog/kpis.yaml): its own entries and the entries other councils mark `shared`. A
    council may have no catalogue yet (every name is then new, and `kpi ingest` says so):
    `kpi catalog init` writes one from what ingest stored, which it could not do if ingest
    needed the catalogue first."""
    if path is not None:
        return _load_file(Path(path))
    councils = load_councils()
    me = current(council, councils)
    own_path = catalog_file(me)
    if not own_path.is_file():
        own = Catalog([])
    else:
        own = _load_file(own_path)
    shared: list[KpiEntry] = []
    for other in councils.all:
        if other.id == me.id or not catalog_file(other).is_file():
            continue
        shared += [e for e in _load_file(catalog_file(other)).entries if e.shared]
    if not shared:
        return own
    return Catalog([*own.entries, *_not_clashing(own, shared)])


def without_catalogue() -> list[tuple[str, Path]]:
    """(council name, where its catalogue belongs) for each council that has none yet."""
    return [(c.name, catalog_file(c)) for c in load_councils().all if not catalog_file(c).is_file()]


def catalog_file(council: Any) -> Path:
    """A council's catalogue: data/catalog/kpis.yaml for the default council (the layout of a
    one-council project), data/catalog/<id>/kpis.yaml for another."""
    base = catalog_path().parent
    return base / "kpis.yaml" if council.default else base / council.id / "kpis.yaml"


def _not_clashing(own: Catalog, shared: list[KpiEntry]) -> list[KpiEntry]:
    """Shared entries whose id and names the council's own catalogue does not already use (its
    own entry wins), each once."""
    out: list[KpiEntry] = []
    ids = {e.id for e in own.entries}
    names = set(own._by_name)
    for e in shared:
        keys = {normalise_name(n) for n in (e.title, *e.aliases)}
        if e.id in ids or keys & names:
            continue
        out.append(e)
        ids.add(e.id)
        names |= keys
    return out


def _load_file(path: Path) -> Catalog:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(where, "KPI catalogue not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(where, f"cannot read KPI catalogue ({exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(where, f"invalid YAML: {exc.problem or exc}", line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(where, f"invalid YAML: {exc}") from None
    if root is None:
        raise InputError(where, "KPI catalogue is empty")
    if not isinstance(root, yaml.SequenceNode):
        raise InputError(where, "expected a list of KPI entries", line=_line(root))
    parsed = [_entry(node, where) for node in root.value]
    _check_unique(parsed, where)
    return Catalog([entry for entry, _ in parsed])


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node, key: str, where: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InputError(where, f"{key!r} must be a non-empty text value", line=_line(node))
    return str(node.value).strip()


def _entry(node: yaml.Node, where: str) -> tuple[KpiEntry, list[int]]:
    """One entry plus the line of its id, title and each alias (for duplicate reports)."""
    if not isinstance(node, yaml.MappingNode):
        raise InputError(where, "each KPI entry must be a mapping of fields", line=_line(node))
    values: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in (*FIELDS, *OPTIONAL, *MAPPINGS, *LISTS, *FLAGS):
            raise InputError(where, f"unknown field {key!r}", line=_line(key_node))
        if key in values:
            raise InputError(where, f"field {key!r} given twice", line=_line(key_node))
        values[key] = value_node
    missing = [k for k in FIELDS if k not in values]
    if missing:
        raise InputError(where, f"KPI entry lacks {', '.join(missing)}", line=_line(node))
    fields = {k: _scalar(values[k], k, where) for k in FIELDS if k != "aliases"}
    for key, default in OPTIONAL.items():
        fields[key] = _scalar(values[key], key, where) if key in values else default
    basis_from = _basis_from(values["basis_from"], where) if "basis_from" in values else {}
    flags = {k: _flag(values[k], k, where) for k in FLAGS if k in values}
    mentions: list[str] = []
    if "mentions" in values:
        if not isinstance(values["mentions"], yaml.SequenceNode):
            raise InputError(where, "'mentions' must be a list of phrases", line=_line(node))
        mentions = [_scalar(a, "mentions", where) for a in values["mentions"].value]
    if not _ID.fullmatch(fields["id"]) or fields["id"].startswith(NEW_PREFIX):
        raise InputError(
            where,
            f"id {fields['id']!r} must be a lower-case slug not starting {NEW_PREFIX!r}",
            line=_line(values["id"]),
        )
    for key, allowed in _CHOICES.items():
        if fields[key] not in allowed:
            raise InputError(
                where,
                f"{key} {fields[key]!r} is not one of: {', '.join(allowed)}",
                line=_line(values[key]),
            )
    for key in ("min", "max"):
        if fields[key] and not _BOUND.fullmatch(fields[key]):
            raise InputError(
                where, f"{key} {fields[key]!r} must be a number or none", line=_line(values[key])
            )
    alias_node = values["aliases"]
    if isinstance(alias_node, yaml.ScalarNode) and alias_node.value in ("", "~", "null"):
        aliases: list[str] = []
    elif isinstance(alias_node, yaml.SequenceNode):
        aliases = [_scalar(a, "aliases", where) for a in alias_node.value]
        alias_lines = [_line(a) for a in alias_node.value]
    else:
        raise InputError(where, "'aliases' must be a list of names", line=_line(alias_node))
    if not aliases:
        alias_lines = []
    lines = [_line(values["id"]), _line(values["title"]), *alias_lines]
    entry = KpiEntry(aliases=aliases, basis_from=basis_from, mentions=mentions, **fields, **flags)
    return entry, lines


def _flag(node: yaml.Node, key: str, where: str) -> bool:
    value = _scalar(node, key, where).lower()
    if value not in ("true", "false", "yes", "no"):
        raise InputError(where, f"{key!r} must be true or false", line=_line(node))
    return value in ("true", "yes")


def _basis_from(node: yaml.Node, where: str) -> dict[str, str]:
    """`basis_from` as {report period label: basis}, each key a report period and each value
    one of BASES, so a typo fails at load with its line rather than mislabelling figures."""
    if not isinstance(node, yaml.MappingNode):
        raise InputError(where, "'basis_from' must map report periods to bases", line=_line(node))
    out: dict[str, str] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node, "basis_from", where)
        try:
            label = parse_report_period(key).label
        except KpiError:
            raise InputError(
                where, f"basis_from: {key!r} is not a report period", line=_line(key_node)
            ) from None
        basis = _scalar(value_node, "basis_from", where)
        if basis not in BASES:
            raise InputError(
                where,
                f"basis_from: {basis!r} is not one of: {', '.join(BASES)}",
                line=_line(value_node),
            )
        out[label] = basis
    return out


def _check_unique(parsed: list[tuple[KpiEntry, list[int]]], where: str) -> None:
    ids: dict[str, int] = {}
    names: dict[str, str] = {}
    for entry, lines in parsed:
        id_line, name_lines = lines[0], lines[1:]
        if entry.id in ids:
            raise InputError(
                where, f"duplicate id {entry.id!r} (first at line {ids[entry.id]})", line=id_line
            )
        ids[entry.id] = id_line
        for name, line in zip((entry.title, *entry.aliases), name_lines, strict=True):
            key = normalise_name(name)
            if not key:
                raise InputError(where, f"{entry.id}: {name!r} has no letters or digits", line=line)
            owner = names.setdefault(key, entry.id)
            if owner != entry.id:
                raise InputError(
                    where, f"{entry.id}: name {name!r} already belongs to {owner!r}", line=line
                )
