"""Extraction QA for one quarter: what each reader found, what it could not use, and which
metric names are new to the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi_lib.errors import InputError
from kpi_lib.paths import project_root
from kpi_lib.readers.extract import NoTablesError, extract_document
from kpi_lib.store.catalog import load_catalog


@dataclass
class QA:
    files: pd.DataFrame  # one row per source file
    tables: pd.DataFrame  # rows per table (heading) per file
    issues: pd.DataFrame  # every warning with its place
    new_metrics: pd.DataFrame  # uncatalogued metric names with suggested matches


def extraction_qa(source_files: list[str]) -> QA:
    """Extract each file (paths relative to the project root) and summarise the result."""

    catalog = load_catalog()
    files, tables, issues, new = [], [], [], []
    for name in source_files:
        path = project_root() / name
        try:
            ex = extract_document(path)
        except NoTablesError:
            files.append((name, 0, 0, 0, "no KPI tables (narrative or headline only)"))
            continue
        except InputError as exc:
            files.append((name, 0, 0, 0, f"error: {exc.problem}"))
            continue
        df = ex.frame()
        files.append((name, len(df), ex.tables, len(ex.issues), "ok"))
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
        for i in ex.issues:
            issues.append((name, i.kind, i.source_page, i.source_line, i.message))
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
        pd.DataFrame(issues, columns=["file", "kind", "page", "line", "message"]),
        pd.DataFrame(new, columns=["file", "metric_name", "suggested_matches"]),
    )
