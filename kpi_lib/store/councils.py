"""The councils a project holds (data/councils.yaml), which one a file belongs to, and where
each council's catalogue and outputs live.

A council's KPIs are its own: two councils' "sickness absence" are two series, so every table
row carries its council and every read of the store is one council's. The default council keeps
the layout a one-council project always had (data/raw/<YYYY-YY>_Q<n>/, data/catalog/kpis.yaml,
outputs/<period>/); another council's files live under data/raw/<id>/, its catalogue in
data/catalog/<id>/kpis.yaml and its outputs in outputs/<id>/. With no councils.yaml the default
council is the publisher SOURCES.csv names (so a project made before councils still works).

A council may declare its published amber rule ("within 10% of target is Amber"):
`amber_within: 10%`, with `amber_rule` quoting where it is published; RAG then uses it instead
of the bands learned from the council's statuses (kpi_lib.analysis.rag).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kpi_lib.errors import InputError, UsageError
from kpi_lib.paths import project_root, raw_dir
from kpi_lib.readers.council_name import place_of
from kpi_lib.settings import overridden, settings
from kpi_lib.store.sources import Source, load_sources

COUNCILS_NAME = "councils.yaml"
FALLBACK_ID = "council"
FALLBACK_NAME = "The council"
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_QUARTER = re.compile(r"^\d{4}-\d{2}_Q[1-4]$")
_FIELDS = ("id", "name", "default", "aliases", "amber_within", "amber_rule")


@dataclass(frozen=True)
class Council:
    """One council: its id (a slug, the folder name of its files), its name as it prints it, and
    the amber rule it publishes, if it declares one."""

    id: str
    name: str
    default: bool = False
    aliases: tuple[str, ...] = ()  # other names it prints ("Blackburn with Darwen Council")
    amber_within: float | None = None  # a miss up to this share of the target is Amber
    amber_rule: str = ""  # the rule as the council publishes it, with where
    name_known: bool = True  # False for a council known only by its folder (named by its id)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def is_named(self, printed: str) -> bool:
        """Is `printed` ("Lancashire County Council", "Lancashire Council") this council?"""
        place = place_of(printed)
        return bool(place) and any(place == place_of(n) for n in self.names())


@dataclass(frozen=True)
class Councils:
    """Every council of the project; exactly one is the default."""

    all: tuple[Council, ...]
    declared: bool = True  # False: no councils.yaml, the default taken from SOURCES.csv
    _by_id: dict[str, Council] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id.update({c.id: c for c in self.all})

    @property
    def default(self) -> Council:
        return next(c for c in self.all if c.default)

    def get(self, council_id: str) -> Council:
        try:
            return self._by_id[council_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UsageError(f"unknown council {council_id!r} (known: {known})") from None

    def known(self, council_id: str) -> bool:
        return council_id in self._by_id

    def named(self, printed: str) -> Council | None:
        """The council whose name or alias `printed` is, if any."""
        return next((c for c in self.all if c.is_named(printed)), None)


def councils_path() -> Path:
    return project_root() / "data" / COUNCILS_NAME


def slug(name: str) -> str:
    """An id from a council's name: its place words ("Lancashire County Council" -> lancashire)."""
    words = re.findall(r"[a-z0-9]+", place_of(name))
    return "-".join(words) or FALLBACK_ID


def load_councils() -> Councils:
    """data/councils.yaml checked (ids, one default, rules); without it, one council: the
    publisher SOURCES.csv names most, else "The council". Every council found in data/raw by
    its folder (data/raw/<id>/<YYYY-YY>_Q<n>/) is known too, named by its id until declared."""
    path = councils_path()
    if path.is_file():
        found = _read(path)
        declared = True
    else:
        found = [_from_sources()]
        declared = False
    for publisher in sorted({s.publisher for s in load_sources().values() if s.publisher}):
        if not any(c.is_named(publisher) for c in found):
            found.append(Council(slug(publisher), publisher))
    ids = {c.id for c in found}
    for folder in _council_folders():
        if folder not in ids:
            found.append(Council(folder, folder, name_known=False))
    return Councils(tuple(found), declared)


def _from_sources() -> Council:
    publishers = Counter(s.publisher for s in load_sources().values() if s.publisher)
    if not publishers:
        return Council(FALLBACK_ID, FALLBACK_NAME, default=True, name_known=False)
    name = sorted(publishers.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return Council(slug(name), name, default=True)


def _council_folders() -> list[str]:
    """Folders of data/raw holding quarter folders: another council's files."""
    raw = raw_dir()
    if not raw.is_dir():
        return []
    return sorted(
        p.name
        for p in raw.iterdir()
        if p.is_dir()
        and _ID.fullmatch(p.name)
        and any(q.is_dir() and _QUARTER.match(q.name) for q in p.iterdir())
    )


def _read(path: Path) -> list[Council]:
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(where, f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(
            where, f"invalid YAML: {getattr(exc, 'problem', exc)}", line=line
        ) from None
    if not isinstance(data, list) or not data:
        raise InputError(where, "expected a list of councils (id, name, default)")
    out: list[Council] = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise InputError(where, f"council {i}: expected a mapping of fields")
        unknown = [k for k in item if k not in _FIELDS]
        if unknown:
            raise InputError(where, f"council {i}: unknown field {unknown[0]!r}")
        cid, name = str(item.get("id") or ""), str(item.get("name") or "").strip()
        if not _ID.fullmatch(cid) or _QUARTER.match(cid):
            raise InputError(where, f"council {i}: id {cid!r} must be a lower-case slug")
        if not name:
            raise InputError(where, f"council {cid}: needs a name")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise InputError(where, f"council {cid}: aliases must be a list of names")
        out.append(
            Council(
                cid,
                name,
                default=item.get("default") is True,
                aliases=tuple(a.strip() for a in aliases if a.strip()),
                amber_within=_share(item.get("amber_within"), where, cid),
                amber_rule=str(item.get("amber_rule") or "").strip(),
            )
        )
    ids = [c.id for c in out]
    dup = next((c for c in ids if ids.count(c) > 1), None)
    if dup:
        raise InputError(where, f"council {dup!r} declared twice")
    defaults = [c.id for c in out if c.default]
    if len(defaults) != 1:
        raise InputError(
            where, f"exactly one council must be `default: true` (found {len(defaults)})"
        )
    return out


def _share(value: object, where: str, cid: str) -> float | None:
    """`amber_within` as a share: 10%, "10%" or 0.1; None when not declared."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 < share < 1:
        raise InputError(where, f"council {cid}: amber_within {value!r} must be a share like 10%")
    return share


# --- which council ----------------------------------------------------------------------------
def current(council_id: str | None = None, councils: Councils | None = None) -> Council:
    """The council a command works on: the one named, else $KPI_COUNCIL, else the default."""
    councils = councils or load_councils()
    wanted = council_id or (settings().council or "").strip()
    return councils.get(wanted) if wanted else councils.default


@contextmanager
def using(council_id: str | None) -> Iterator[None]:
    """Work on `council_id` (None: leave the environment as it is) until the block ends: what
    an audit re-run does for the council its manifest names."""
    with overridden(council=council_id or None):
        yield


@dataclass(frozen=True)
class Placement:
    """Which council a file belongs to and how that is known (folder, SOURCES.csv, default)."""

    council: Council
    known_from: str


def council_of(
    path: Path, councils: Councils, sources: dict[str, Source], source: Source | None = None
) -> Placement:
    """A file's council: its folder (data/raw/<id>/...), else its SOURCES.csv publisher, else
    the default council (a file placed as before councils)."""
    try:
        parts = path.resolve().relative_to(raw_dir().resolve()).parts
    except ValueError:  # a file named from outside data/raw: the council of the command
        return Placement(current(councils=councils), "command")
    if len(parts) > 1 and councils.known(parts[0]) and not _QUARTER.match(parts[0]):
        return Placement(councils.get(parts[0]), "folder")
    if source is not None and source.publisher:
        named = councils.named(source.publisher)
        if named is not None:
            return Placement(named, "SOURCES.csv")
    return Placement(councils.default, "default")


# --- where a council's files live ---------------------------------------------------------------
def outputs_root(council: Council) -> Path:
    base = project_root() / "outputs"
    return base if council.default else base / council.id
