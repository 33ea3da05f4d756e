"""Extraction QA for one quarter: what each reader found, what it could not use (an indicator
whose section has commentary but no KPI table among it), and which metric names are new to
the catalogue.

It shows what ingest stored: each file's result is read from the store's cache of what the
file yielded (kpi_lib.readers.cache, keyed by its bytes and the reading code), and only read
afresh when that entry is missing or stale, through the readers' one door (read_report)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi_lib.errors import InputError
from kpi_lib.paths import processed_dir, project_root
from kpi_lib.readers.cache import CACHE_DIR
from kpi_lib.readers.document import read_report
from kpi_lib.readers.rows import COLUMNS, FileResult
from kpi_lib.report.outputs import save_all
from kpi_lib.report.paper import Html, esc
from kpi_lib.store.catalog import load_catalog
from kpi_lib.store.ingest import reader_profile

NO_TABLES = "no KPI tables (narrative or headline only)"


@dataclass
class QA:
    files: pd.DataFrame  # one row per source file
    tables: pd.DataFrame  # rows per table (heading) per file
    issues: pd.DataFrame  # every warning with its place
    new_metrics: pd.DataFrame  # uncatalogued metric names with suggested matches


def file_result(name: str) -> FileResult:
    """What ingest stored for one file (path relative to the project root), or the same read
    afresh when the store has no current entry for it. InputError when it cannot be read."""
    path, cache = project_root() / name, processed_dir() / CACHE_DIR
    return read_report(path, name, cache, profile=reader_profile()).result


def extraction_qa(source_files: list[str]) -> QA:
    """Summarise what was read from each file (paths relative to the project root)."""

    catalog = load_catalog()
    files, tables, issues, new = [], [], [], []
    for name in source_files:
        try:
            res = file_result(name)
        except InputError as exc:
            files.append((name, 0, 0, 0, f"error: {exc.problem}"))
            continue
        for i in res.issues:
            issues.append((name, i["kind"], i["source_page"], i["source_line"], i["message"]))
        if not res.rows:
            files.append((name, 0, 0, len(res.issues), NO_TABLES))
            continue
        df = _frame(res)
        files.append((name, len(df), res.tables, len(res.issues), "ok"))
        in_order = df.sort_values(
            ["source_page", "source_line"], kind="stable", na_position="first"
        )
        by_table = in_order.groupby(["reader", "heading"], sort=False, dropna=False)
        for (reader, heading), grp in by_table:
            first = grp.iloc[0]
            tables.append(
                (
                    name,
                    reader,
                    heading,
                    first["source_page"],
                    first["source_line"],
                    len(grp),
                    int(grp["value"].isna().sum()),
                )
            )
        for metric in sorted(set(df["metric_name"])):
            if catalog.resolve(metric) is None:
                hints = "; ".join(f"{k} ({s:.2f})" for k, s in catalog.suggest(metric, n=3))
                new.append((name, metric, hints))
    return QA(
        pd.DataFrame(files, columns=["file", "rows", "tables", "warnings", "status"]),
        pd.DataFrame(
            tables,
            columns=["file", "reader", "heading", "page", "line", "rows", "rows_without_value"],
        ),
        _issues(issues),
        pd.DataFrame(new, columns=["file", "metric_name", "suggested_matches"]),
    )


def save_tables(qa: QA, output_dir: str) -> None:
    tables = {
        "qa_files": qa.files,
        "qa_tables": qa.tables,
        "qa_issues": qa.issues,
        "qa_new_metrics": qa.new_metrics,
    }
    save_all(tables, output_dir)


def title_block(period: str, source_files: list[str]) -> Html:
    n = len(source_files)
    return Html(
        f"<h1>Extraction QA: {esc(period)} ({n} source file{'' if n == 1 else 's'})</h1>"
        '<p class="subtitle">What the readers found in this quarter\'s reports, what they could '
        "not use, and which metric names are new to the KPI catalogue.</p>"
    )


def _frame(res: FileResult) -> pd.DataFrame:
    df = pd.DataFrame(res.rows).reindex(columns=COLUMNS)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for col in ("source_page", "source_line"):
        df[col] = pd.array(df[col], dtype="Int64")
    return df


def _issues(issues: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(issues, columns=["file", "kind", "page", "line", "message"])
    for col in ("page", "line"):
        df[col] = pd.array(df[col], dtype="Int64")
    return df
