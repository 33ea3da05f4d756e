"""pyproject.toml and environment.yml must declare the same dependencies and bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    pip_specs = dict(_split(s) for s in declared)
    pip_specs["python"] = project["requires-python"].replace(" ", "")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_specs = dict(_split(s) for s in env["dependencies"] if isinstance(s, str))
    assert conda_specs == pip_specs
