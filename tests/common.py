"""What tests share besides fixtures: the checkout's paths, a project root to copy, a folder's
bytes. A plain module (tests import it by name), so no test imports conftest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
DEEP_KPI = "care-home-admissions-65-plus"


def make_root(dest: Path) -> Path:
    """A project root holding copies of data/raw and data/catalog (nothing processed yet)."""
    (dest / "data").mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "data" / "raw", dest / "data" / "raw")
    if (ROOT / "data" / "catalog").is_dir():
        shutil.copytree(ROOT / "data" / "catalog", dest / "data" / "catalog")
    return dest


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def use_root(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Work on `root` (KPI_ROOT) with its own store and read cache."""
    monkeypatch.setenv("KPI_ROOT", str(root))
    monkeypatch.delenv("KPI_PROCESSED", raising=False)
    monkeypatch.delenv("KPI_CACHE_DIR", raising=False)
