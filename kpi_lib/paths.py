"""Where the project's data lives: found from the working directory, or KPI_ROOT."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.settings import settings


def project_root() -> Path:
    """The folder holding data/raw: $KPI_ROOT, else the nearest parent of the cwd, else the
    checkout this package was installed from (editable install)."""
    env = settings().root
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for cand in (here, *here.parents):
        if (cand / "data" / "raw").is_dir() and (cand / "pyproject.toml").is_file():
            return cand
    return Path(__file__).resolve().parents[1]


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """$KPI_PROCESSED lets an audit re-run build a private store without touching the real one."""
    env = settings().processed
    return Path(env).resolve() if env else project_root() / "data" / "processed"


def catalog_path() -> Path:
    return project_root() / "data" / "catalog" / "kpis.yaml"


def outputs_dir() -> Path:
    return project_root() / "outputs"


def relative(path: Path) -> str:
    """A path as recorded in data and manifests: relative to the project root, posix."""
    try:
        return Path(path).resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return Path(path).as_posix()
