"""The reports table: one row per file, saying what it is (quarter, where that came from, title,
hash, size), what was read from it, its printed headline, and every warning about it.

Warnings are kept as text with their place, never dropped: the reader's issues, a hash or
quarter that disagrees with SOURCES.csv, and headline figures that disagree with each other.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpi_lib.errors import UsageError
from kpi_lib.periods import parse_report_period
from kpi_lib.readers.rows import Issue
from kpi_lib.store import schemas
from kpi_lib.store.inputs import Input, folder_period
from kpi_lib.store.parquet import sort_rows


def reports(inputs: list[Input]) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        res = inp.result
        warnings = [_issue_text(i, inp.file) for i in res.issues]
        if inp.source is not None and inp.source.sha256 and inp.source.sha256 != res.sha256:
            warnings.append(f"{inp.file}: sha256 differs from SOURCES.csv ({inp.source.sha256})")
        if (
            inp.source is not None
            and inp.source.period
            and inp.period_from == "document"
            and _label(inp.source.period) not in ("", inp.period.label)
        ):
            warnings.append(
                f"{inp.file}: the document names {inp.period.label}, "
                f"SOURCES.csv says {inp.source.period}"
            )
        folder = folder_period(inp.path)
        if inp.period_from == "document" and folder and folder.label != inp.period.label:
            warnings.append(
                f"{inp.file}: the document names {inp.period.label}, "
                f"but it lies in the folder of {folder.label}"
            )
        head = res.headline or {}
        for problem in head.get("problems", []):  # printed numbers that disagree
            issue = Issue("headline_mismatch", problem, inp.file, None, head.get("source_line"))
            warnings.append(str(issue))
        recs.append(
            {
                "council": inp.council,
                "file": inp.file,
                "report_period": inp.period.label,
                "report_period_start": inp.period.start,
                "report_period_end": inp.period.end,
                "period_from": inp.period_from,
                "title": (inp.source.title if inp.source and inp.source.title else res.title),
                "sha256": res.sha256,
                "bytes": res.bytes,
                "pages": res.pages,
                "rows_extracted": len(res.rows),
                "tables": res.tables,
                "readers": ",".join(sorted({r["reader"] for r in res.rows if r["reader"]})),
                "warnings": len(warnings),
                "warnings_text": "\n".join(warnings),
                "headline_rated": head.get("rated"),
                "headline_green": head.get("green"),
                "headline_amber": head.get("amber"),
                "headline_red": head.get("red"),
                "headline_pct_green": head.get("pct_green"),
                "headline_line": head.get("source_line"),
                "headline_text": head.get("text", "") or "",
                "commentary_blocks": len(res.comments),
                **_coverage(res.covered, res.untabled),
                **_key(res.key),
            }
        )
    if not recs:
        return schemas.empty("reports")
    df = pd.DataFrame(recs)
    for col in ("headline_pct_green", "key_amber_within"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df = schemas.conform("reports", df)
    return sort_rows("reports", df)


def _coverage(covered: dict[str, Any] | None, untabled: list[dict[str, Any]]) -> dict[str, Any]:
    """How many KPIs the report says it covers, and its sections without a KPI table, one a
    line ("heading (line N)"), for the headline to say why its count differs."""
    cov = covered or {}
    return {
        "kpis_covered": cov.get("count"),
        "kpis_covered_line": cov.get("source_line"),
        "kpis_covered_text": cov.get("text", "") or "",
        "untabled_sections": len(untabled),
        "untabled_sections_text": "\n".join(_place(u) for u in untabled),
    }


def _key(key: dict[str, Any] | None) -> dict[str, Any]:
    """The amber rule the report's status key prints, where (readers.status_key)."""
    k = key or {}
    return {
        "key_amber_within": k.get("amber_within"),
        "key_line": k.get("source_line"),
        "key_text": k.get("text", "") or "",
    }


def _place(section: dict[str, Any]) -> str:
    page = f"page {section['source_page']}, " if section.get("source_page") else ""
    return f"{section['heading']} ({page}line {section['source_line']})"


def _label(text: str) -> str:
    try:
        return parse_report_period(text).label
    except UsageError:
        return ""


def _issue_text(issue: dict[str, Any], file: str) -> str:
    return str(Issue(**{**issue, "source_file": file}))
