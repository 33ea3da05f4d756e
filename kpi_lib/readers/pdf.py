"""Placeholder PDF reader."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.rows import Extraction


def read_pdf(path: Path) -> Extraction:
    return Extraction(source_file=str(path))
