"""What a run was built from and what it produced, so an auditor can re-run and compare."""

from __future__ import annotations

import json
import os
import platform
import stat
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kpi_lib.digest import sha256_file
from kpi_lib.errors import InputError
from kpi_lib.limits import check_regular
from kpi_lib.paths import project_root, raw_dir, relative

if TYPE_CHECKING:
    from kpi_lib.report.paper import Html

PACKAGES = (
    "kpi-workbook",
    "pandas",
    "numpy",
    "statsmodels",
    "seaborn",
    "matplotlib",
    "pdfplumber",
    "papermill",
    "duckdb",
    "pyarrow",
    "pandera",
)
RUN_INFO = "run_info.json"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 10_000_000  # a real manifest is a few KB
_TOO_DEEP = object()
MAX_DEPTH = 16  # a real one nests 4 levels (results > tables > name); parameters one more


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state() -> dict[str, Any]:
    """The commit the code came from; `dirty` when the working tree differs from it."""

    def git(*args: str) -> str:
        try:
            res = subprocess.run(
                ["git", *args], cwd=project_root(), capture_output=True, text=True, check=False
            )
        except OSError:  # no git on this machine: the run is still valid, its commit unknown
            return ""
        return res.stdout.strip() if res.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--", "kpi_lib", "notebooks", "data/catalog"))
    return {"commit": commit or "unknown", "dirty": dirty}


def input_files(council: str | None = None) -> list[dict[str, str]]:
    """The council's raw inputs (with SOURCES.csv), the councils file and its catalogue, with
    sha256: the analysis reads the council's whole history and nothing of another council's."""
    from kpi_lib.store.catalog import catalog_file
    from kpi_lib.store.councils import council_of, councils_path, current, load_councils
    from kpi_lib.store.sources import load_sources, source_for

    councils = load_councils()
    me = current(council, councils)
    sources = load_sources()
    files = []
    for p in sorted(p for p in raw_dir().rglob("*") if p.is_file()):
        if (
            p.parent == raw_dir()
            or council_of(p, councils, sources, source_for(p, sources)).council.id == me.id
        ):
            files.append(p)
    for extra in (councils_path(), catalog_file(me)):
        if extra.is_file():
            files.append(extra)
    return [{"path": relative(p), "sha256": sha256_file(p)} for p in files]


def _council_id() -> str:
    from kpi_lib.store.councils import current

    return current().id


def run_info(kind: str, notebooks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Everything known before execution: inputs, parameters per notebook, versions, commit."""
    nb_hashes = {name: sha256_file(project_root() / name) for name in notebooks}
    return {
        "kind": kind,
        "notebooks": [
            {"path": name, "sha256": nb_hashes[name], "parameters": params}
            for name, params in notebooks.items()
        ],
        "inputs": input_files(),
        "council": _council_id(),  # whose report: an audit re-runs it for the same council
        "packages": package_versions(),
        "git": git_state(),
    }


def result_hashes(out_dir: Path) -> dict[str, dict[str, str]]:
    """sha256 of every result table and figure; for each HTML page, the hash of its visible
    content (`publish.page_shell`), so an audit covers what the reader reads."""
    from kpi_lib.publish.page_hashes import page_hashes

    out: dict[str, dict[str, str]] = {}
    for sub in ("tables", "figures"):
        folder = Path(out_dir) / sub
        files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
        out[sub] = {f"{sub}/{p.name}": sha256_file(p) for p in files}
    out["html"] = page_hashes(Path(out_dir)) if Path(out_dir).is_dir() else {}
    # the workbook and the PDF beside the page (both written reproducibly: publish.workbook,
    # publish.pdf)
    docs = sorted(
        p for ext in ("xlsx", "pdf") for p in Path(out_dir).glob(f"*.{ext}") if p.is_file()
    )
    out["documents"] = {p.name: sha256_file(p) for p in docs}
    return out


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", "utf-8")


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest checked for what an audit reads, so a wrong file is one line, not a KeyError."""

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(str(path), "no such manifest") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(str(path), f"is a folder: give its {MANIFEST}")
    check_regular(path)  # a FIFO or /dev/zero is never opened
    if st.st_size > MAX_MANIFEST_BYTES:
        raise InputError(
            str(path),
            f"{st.st_size / 1e6:.1f} MB: not a manifest (a real one is a few KB; "
            f"limit {MAX_MANIFEST_BYTES / 1e6:g} MB)",
        )
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a valid manifest: {exc}") from None
    except RecursionError:
        raise InputError(
            str(path), f"nested more than {MAX_DEPTH} levels: not a manifest"
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(str(path), f"nested more than {MAX_DEPTH} levels: not a manifest")
    if not _well_formed(data):
        raise InputError(str(path), "not a kpi manifest (needs kind, notebooks, inputs, results)")
    return data


def _depth(x: Any, limit: int = MAX_DEPTH + 1) -> int:
    """How deeply `x` nests (lists and objects), counted no further than `limit`."""
    deepest, todo = 0, [(x, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list) and item:
            deepest = max(deepest, level)
            if level < limit:
                todo += [
                    (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
                ]
    return deepest


def _well_formed(data: Any) -> bool:
    """The shape an audit reads (a wrong JSON file must not surface as a KeyError)."""

    def has_text(d: Any, *keys: str) -> bool:
        return isinstance(d, dict) and all(isinstance(d.get(k), str) for k in keys)

    if not has_text(data, "kind"):
        return False
    inputs, results, notebooks = data.get("inputs"), data.get("results"), data.get("notebooks")
    return (
        isinstance(inputs, list)
        and all(has_text(i, "path", "sha256") for i in inputs)
        and isinstance(results, dict)
        and all(isinstance(v, dict) for v in results.values())
        and isinstance(notebooks, list)
        and all(has_text(n, "path") and isinstance(n.get("parameters"), dict) for n in notebooks)
    )


def finish(out_dir: Path) -> dict[str, Any]:
    """Write manifest.json = run_info + the sha256 of every result table and figure, and the
    content hash of every HTML page (what the reader reads, volatile parts removed)."""
    info = json.loads((Path(out_dir) / RUN_INFO).read_text(encoding="utf-8"))
    info["results"] = result_hashes(out_dir)
    write_json(Path(out_dir) / MANIFEST, info)
    return info


def parameters_text(params: dict[str, Any]) -> str:
    """A notebook's parameters in words for the page ("period 2022/23 Q2; forecast horizon
    4"); the manifest keeps them as JSON for machines."""
    parts = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value)) if value else "none"
        parts.append(f"{key.replace('_', ' ')} {_shown(str(value))}")
    return "; ".join(parts)


# a tampered manifest's 1 MB parameter is named, not printed; a list of sections fits
_SHOWN_CHARS = 400


def _shown(value: str) -> str:
    if len(value) <= _SHOWN_CHARS:
        return value
    return f"{value[:_SHOWN_CHARS]}… ({len(value):,} characters)"


DIRECT_RUN = (
    "run directly (papermill or Jupyter), not by `kpi report`: no manifest.json is written, "
    "so `kpi audit` cannot re-run it"
)


def summary(out_dir: str | Path) -> pd.DataFrame:
    """A readable summary of the run, for the last cell of a report notebook. A notebook run
    directly with papermill or in JupyterLab has no run_info.json (`kpi report` writes it
    before the kernel starts): its inputs, versions and commit are read now and it says so."""
    folder = Path(out_dir)
    rows: list[tuple[str, str]] = []
    try:
        info = json.loads((folder / RUN_INFO).read_text(encoding="utf-8"))
    except FileNotFoundError:
        info = {"notebooks": [], "inputs": input_files(), "packages": package_versions()}
        info["git"] = git_state()
        rows.append(("run", DIRECT_RUN))
    rows.append(
        ("git commit", info["git"]["commit"] + (" (dirty)" if info["git"]["dirty"] else ""))
    )
    for nb in info["notebooks"]:
        rows.append((f"notebook {nb['path']}", parameters_text(nb["parameters"])))
    for item in info["inputs"]:
        rows.append((f"input {item['path']}", item["sha256"][:16]))
    for name, version in info["packages"].items():
        rows.append((f"package {name}", version))
    for files in result_hashes(folder).values():
        for name, digest in files.items():
            rows.append((f"result {name}", digest[:16]))
    return pd.DataFrame(rows, columns=["item", "value"])


def provenance(out_dir: str) -> Html:
    """The report's last section: what this run was built from (an interactive run, with no
    output folder, says it has no manifest)."""
    from kpi_lib.report.paper import provenance as section  # the runner needs no page code

    return section(summary(out_dir) if out_dir else "Interactive run: no manifest.")
