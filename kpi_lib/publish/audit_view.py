"""The audit notebook's page: verdict first, then each difference, then what the audited run
was built from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_lib.paths import relative
from kpi_lib.publish.audit import AuditResult, audit
from kpi_lib.publish.manifest import parameters_text, read_manifest
from kpi_lib.report import present as pr
from kpi_lib.report.outputs import save_table
from kpi_lib.report.paper import Html, esc, section


@dataclass
class AuditView:
    manifest: str
    recorded: dict[str, Any]
    result: AuditResult


def load(manifest: str, result: str = "{}") -> AuditView:
    """The audit result passed by `kpi audit` (JSON), or a fresh audit when none is given."""
    recorded = read_manifest(manifest)
    data = json.loads(result or "{}")
    res = AuditResult(**data) if data else audit(manifest)
    return AuditView(manifest, recorded, res)


def save(a: AuditView, output_dir: str) -> None:
    save_table(a.result.frame(), "audit_differences", output_dir)
    save_table(a.result.cell_frame(), "audit_cells", output_dir)
    save_table(a.result.file_frame(), "audit_files", output_dir)


def when(stamp: str) -> str:
    """'7 December 2026 at 20:15:03 UTC' from the result's ISO time; '' when unknown."""
    if not stamp:
        return ""
    t = pd.Timestamp(stamp)
    return f"{t.day} {t:%B %Y} at {t:%H:%M:%S} UTC"


def title_block(a: AuditView) -> Html:
    word = "passed" if a.result.ok else ("REFUSED" if a.result.refused else "FAILED")
    kind = a.recorded.get("kind", "run")
    title = f"Audit {word}: {kind} run {relative(Path(a.manifest))}"
    sub = f"{a.result.checked} result files and pages compared with a fresh re-run."
    started = when(a.result.started)
    if started:
        sub = f"Audited on {started}. " + sub
    return Html(f'<h1>{esc(title)}</h1>\n<p class="subtitle">{esc(sub)}</p>')


def verdict(a: AuditView) -> Html:
    r = a.result
    if r.refused:
        words = (
            "The manifest does not match this project (listed below), so nothing was re-run: "
            "the published output cannot be checked as it stands."
        )
    elif r.ok:
        words = (
            "Every input matches its recorded sha256, and the re-run reproduces every result "
            "table, figure and page the manifest lists: what was published is what the "
            "recorded inputs and code produce."
        )
    else:
        words = (
            f"{len(r.inputs_changed)} input(s) changed and {len(r.results_changed)} "
            "difference(s) in the results or pages: the published output cannot be "
            "reproduced as it stands. Each is listed below."
        )
    return section("Verdict", words)


def differences(a: AuditView) -> Html:
    cols = [pr.col("what", "Kind"), pr.col("difference", "Difference", wide=True)]
    t = pr.table(a.result.frame(), cols, empty="Nothing differs.")
    cells = a.result.cell_frame()
    if cells.empty:
        return section("Differences", t)
    cell_cols = [
        pr.col("table", "Table"),
        pr.col("kpi", "KPI or row", wide=True),
        pr.col("row", "Row"),
        pr.col("column", "Column"),
        pr.col("published", "Published"),
        pr.col("rerun", "Re-run"),
    ]
    by_cell = pr.table(cells, cell_cols, caption="Each differing cell of the result tables")
    return section("Differences", t, by_cell)


def audited(a: AuditView) -> Html:
    """Every input, notebook and result the audit checked, with its sha256 as the manifest
    recorded it, as it is now, and as the re-run produced it (first 12 characters)."""
    files = a.result.file_frame()
    for c in ("recorded", "now", "rerun"):
        files[c] = files[c].fillna("").astype(str).str[:12]
    cols = [
        pr.col("kind", "Kind"),
        pr.col("name", "File", wide=True),
        pr.col("recorded", "sha256 in the manifest"),
        pr.col("now", "sha256 now"),
        pr.col("rerun", "sha256 of the re-run"),
        pr.col("status", "Status"),
    ]
    t = pr.table(files, cols, empty="Nothing was compared (the manifest was refused).")
    span = ""
    if a.result.started and a.result.finished:
        span = f"The audit ran from {when(a.result.started)} to {when(a.result.finished)}."
    return section("What was audited", span or None, t)


def earlier(a: AuditView) -> Html:
    """Links to the earlier audits of this run, kept under outputs/audit/history/."""
    from kpi_lib.publish.audit_notebook import history

    past = history(a.manifest)
    if not past:
        return section("Earlier audits", "This is the first audit of this run kept here.")
    items = []
    for p in reversed(past):
        stamp, _, word = p.name.partition("-")
        link = f"../history/{p.parent.name}/{p.name}/04_audit.html"
        items.append(f'<li><a href="{esc(link)}">{esc(stamp)}</a>: {esc(word)}</li>')
    return Html('<h2 id="earlier-audits">Earlier audits</h2>\n<ul>' + "".join(items) + "</ul>")


def built_from(a: AuditView) -> Html:
    m = a.recorded
    git = m.get("git", {})
    rows = [
        ("kind", m.get("kind", "")),
        ("git commit", str(git.get("commit", "")) + (" (dirty)" if git.get("dirty") else "")),
        ("inputs", str(len(m.get("inputs", [])))),
        ("result files", str(sum(len(v) for v in m.get("results", {}).values()))),
    ]
    rows += [
        (f"notebook {nb['path']}", parameters_text(nb["parameters"]))
        for nb in m.get("notebooks", [])
    ]
    df = pd.DataFrame(rows, columns=["item", "value"])
    cols = [pr.col("item", "Item", wide=True), pr.col("value", "Value", wide=True)]
    return section("What the audited run was built from", pr.table(df, cols))
