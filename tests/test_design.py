"""The package reads as the pipeline: stages import only earlier stages, a run loads the store
and the catalogue once, and one function judges every point."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from kpi_lib.analysis.rag import rag_table
from kpi_lib.report import deep_dive, quarterly
from kpi_lib.store.snapshot import Store

PACKAGE = Path(__file__).resolve().parents[1] / "kpi_lib"
# raw -> extracted rows -> store -> analysis -> notebooks -> outputs: a stage may import its own
# and earlier
STAGES = {"base": 0, "readers": 1, "store": 2, "analysis": 3, "report": 4, "publish": 5, "face": 6}
BASE = {"periods", "values", "errors", "paths", "digest", "locks", "limits", "settings"}
FACES = {"cli", "__init__"}


def _stage(module: str) -> str:
    """Stage of a dotted module name inside kpi_lib ('kpi_lib.store.read' -> 'store')."""
    parts = module.split(".")[1:]
    if not parts:
        return "face"
    head = parts[0]
    if head in STAGES:
        return head
    if head in BASE:
        return "base"
    if head in FACES:
        return "face"
    raise AssertionError(f"kpi_lib.{head} belongs to no stage: add it to a stage folder")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kpi_lib"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            # `from kpi_lib import store` imports the module kpi_lib.store
            found += [(node.lineno, n if node.module == "kpi_lib" else node.module) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("kpi_lib.")]
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


def test_no_stage_imports_a_later_one() -> None:
    wrong = []
    for name, path in _modules():
        mine = STAGES[_stage(name)]
        for line, target in _imports(path):
            theirs = STAGES[_stage(target)]
            if theirs > mine:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_stage_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The check above is not vacuous: a reader importing the analysis stage is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from kpi_lib.analysis.rag import rag_table\n")
    ((line, target),) = _imports(bad)
    assert STAGES[_stage(target)] > STAGES["readers"]


def _environment_reads(source: str) -> list[int]:
    """Lines that read one variable of the environment (os.environ.get / [...] / os.getenv);
    handing the whole environment to a child process (`{**os.environ, ...}`) is not a read."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value if node.func.attr in {"get", "pop"} else None
            if node.func.attr == "getenv":
                lines.append(node.lineno)
        elif isinstance(node, ast.Subscript):
            target = node.value
        if isinstance(target, ast.Attribute) and target.attr == "environ":
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment() -> None:
    """One place names every KPI_ variable (kpi_lib/settings.py) and reads it."""
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for name, path in _modules()
        if name != "kpi_lib.settings"
        for line in _environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "read the environment through kpi_lib.settings: " + ", ".join(wrong)


def test_the_environment_rule_catches_a_read() -> None:
    source = (
        'import os\nx = os.environ.get("KPI_ROOT")\ny = os.environ["A"]\nz = os.getenv("B")\n'
        'env = {**os.environ, "TMPDIR": "/tmp"}\n'
    )
    assert _environment_reads(source) == [2, 3, 4]


def test_every_variable_the_settings_name_is_documented() -> None:
    from kpi_lib.settings import VARIABLES

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    hooks = {"KPI_CRASH_AT"}  # a test hook, not a user's setting
    missing = sorted(v for v in VARIABLES.values() if v not in readme and v not in hooks)
    assert not missing, f"README.md does not say what {missing} do"


def _import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the kpi_lib modules it imports, in functions too (a lazy import hides a circle
    from Python, not from a reader of the code). `from pkg import mod` names the module."""
    root = package.parent
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def module(dotted: str) -> str:
        while dotted and dotted not in names:
            dotted = dotted.rpartition(".")[0]
        return dotted

    graph = {}
    for name, path in names.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kpi_lib"):
                found |= {module(f"{node.module}.{a.name}") for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {module(a.name) for a in node.names if a.name.startswith("kpi_lib")}
        graph[name] = found - {name, ""}
    return graph


def _circle(package: Path) -> list[str] | None:
    try:
        TopologicalSorter(_import_graph(package)).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_no_import_circle_anywhere_in_the_package() -> None:
    circle = _circle(PACKAGE)
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_the_circle_rule_catches_a_circle(tmp_path: Path) -> None:
    """The check above is not vacuous: two modules importing each other, one of them inside a
    function, are found."""
    pkg = tmp_path / "kpi_lib"
    (pkg / "readers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "readers" / "__init__.py").write_text("")
    (pkg / "readers" / "a.py").write_text("from kpi_lib.readers.b import two\n")
    (pkg / "readers" / "b.py").write_text("def two():\n    from kpi_lib.readers import a\n")
    assert set(_circle(pkg) or ()) == {"kpi_lib.readers.a", "kpi_lib.readers.b"}


def test_every_stage_is_a_folder_and_nothing_else_is_loose() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose <= BASE | FACES, f"modules outside the stage folders: {loose - BASE - FACES}"
    for stage in ("readers", "store", "analysis", "report", "publish"):
        assert (PACKAGE / stage / "__init__.py").is_file()


def test_one_month_table() -> None:
    """Month names are spelled out once (kpi_lib.values.MONTHS); others build on it."""
    spelled = re.compile(r"(?i)\bjan(?:uary)?\b.{0,40}\bfeb(?:ruary)?\b")
    homes = [
        p.relative_to(PACKAGE).as_posix()
        for _, p in _modules()
        if spelled.search(p.read_text(encoding="utf-8"))
    ]
    assert homes == [], homes


def test_one_default_amber_tolerance() -> None:
    """The default amber band is written as a number once."""
    homes = [
        f"{p.relative_to(PACKAGE).as_posix()}:{i}"
        for _, p in _modules()
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "tolerance" in line.lower() and re.search(r"(?<![\d.])0\.05(?!\d)", line)
    ]
    assert len(homes) <= 1, homes


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"parquet": 0, "catalogue": 0}
    read_table, compose = pq.read_table, yaml.compose

    def counting_read(*a, **k):
        counts["parquet"] += 1
        return read_table(*a, **k)

    def counting_compose(*a, **k):
        counts["catalogue"] += 1
        return compose(*a, **k)

    monkeypatch.setattr(pq, "read_table", counting_read)
    monkeypatch.setattr(yaml, "compose", counting_compose)
    return counts


def test_quarterly_build_reads_the_store_and_catalogue_once(
    store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _count_reads(monkeypatch)
    q = quarterly.build("2022/23 Q2")
    assert len(q.off_track) > 5  # many KPIs asked about, each from the same read
    assert counts == {"parquet": 3, "catalogue": 1}  # observations, reports, commentary


def test_deep_dive_reads_the_store_and_catalogue_once(
    store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _count_reads(monkeypatch)
    deep_dive.build("sickness-absence-days-per-fte")
    assert counts == {"parquet": 3, "catalogue": 1}


def test_rag_report_and_deep_dive_agree_on_every_point(store_root: Path) -> None:
    """`kpi rag`'s table and each KPI's deep-dive RAG history judge a point the same way."""
    data = Store.load()
    table = rag_table(data.observations, commentary=data.commentary)
    judged = {
        (r.report_period, r.kpi_id, r.period): (r.computed_rag, r.reason)
        for r in table.itertuples()
    }
    compared = 0
    current = data.observations[data.observations["is_current"]]
    for kpi_id in sorted(set(current["kpi_id"])):
        d = deep_dive.build(kpi_id, snapshot=data)
        cur = current[current["kpi_id"] == kpi_id]
        reports = dict(zip(cur["period"], cur["report_period"], strict=False))
        for r in d.rag_history.itertuples():
            key = (reports[r.period], kpi_id, r.period)
            if key in judged:
                assert (r.computed_rag, r.reason) == judged[key], key
                compared += 1
    assert compared > 100


def test_no_test_imports_conftest() -> None:
    """Shared helpers live in tests/common.py; conftest holds fixtures only (pytest loads it)."""
    tests = PACKAGE.parent / "tests"
    wrong = []
    for path in sorted(tests.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n.split(".")[-1] == "conftest" for n in names):
                wrong.append(f"{path.name}:{node.lineno}")
    assert not wrong, f"import from tests/common.py instead: {wrong}"
