"""Placeholder reader: finds nothing until implemented."""

from __future__ import annotations

from kpi_lib.readers.textdoc import TextDoc
from kpi_lib.rows import Extraction


def read(doc: TextDoc) -> Extraction:
    return Extraction(source_file=doc.name)
