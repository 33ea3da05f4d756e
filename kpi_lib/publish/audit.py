"""Verify a published analysis against its manifest, re-run it, and say exactly what differs.

A manifest may come from anyone, so it is checked before anything executes: the notebooks
it names must be this project's own (under notebooks/, same sha256), its inputs under data/
and unchanged, its result names inside its output folder, its parameters valid by the same
rules as the CLI's. Only then are the project's notebooks run, in a scratch folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_lib.errors import UsageError
from kpi_lib.paths import project_root
from kpi_lib.publish import manifest
from kpi_lib.publish.execute import NotebookError, check_planned, run_notebook
from kpi_lib.publish.page_hashes import compare_pages, edited_pages, page_hashes
from kpi_lib.publish.params import DEFAULT_TIMEOUT, AuditParams
from kpi_lib.settings import overridden
from kpi_lib.store.councils import using
from kpi_lib.store.ingest import ingest
from kpi_lib.store.read import council_table

MAX_CELLS = 10  # differing cells listed per table


@dataclass
class AuditResult:
    manifest: str
    inputs_changed: list[str] = field(default_factory=list)
    results_changed: list[str] = field(default_factory=list)
    checked: int = 0
    kept: str = ""  # the re-run folder, when asked to keep it
    refused: list[str] = field(default_factory=list)  # why nothing was run
    started: str = ""  # UTC, ISO 8601: when the audit began and ended
    finished: str = ""
    # what was audited, one dict per file: kind (input, notebook, table, figure, page), name,
    # recorded (the manifest's sha256), now (the published or current file's), rerun, status
    files: list[dict[str, str]] = field(default_factory=list)
    # each differing table cell: table, kpi (or the row's key), row, column, published, rerun
    cells: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.inputs_changed and not self.results_changed and not self.refused

    def lines(self) -> list[str]:
        if self.refused:
            out = [
                f"audit REFUSED: {self.manifest}: it does not match the project, nothing was run"
            ]
            out += [f"refused: {line}" for line in self.refused]
        else:
            head = "OK" if self.ok else "FAILED"
            out = [f"audit {head}: {self.manifest} ({self.checked} result files compared)"]
        out += [f"input changed: {line}" for line in self.inputs_changed]
        out += [f"result differs: {line}" for line in self.results_changed]
        if self.kept:
            out.append(f"re-run kept at {self.kept}")
        return out

    def frame(self) -> pd.DataFrame:
        rows = [("refused", x) for x in self.refused]
        rows += [("input", x) for x in self.inputs_changed]
        rows += [("result", x) for x in self.results_changed]
        return pd.DataFrame(rows, columns=["what", "difference"])

    def cell_frame(self) -> pd.DataFrame:
        """Each differing cell by table, KPI (or row key) and column."""
        cols = ["table", "kpi", "row", "column", "published", "rerun"]
        return pd.DataFrame(self.cells, columns=cols)

    def file_frame(self) -> pd.DataFrame:
        cols = ["kind", "name", "recorded", "now", "rerun", "status"]
        return pd.DataFrame(self.files, columns=cols)


def compare_inputs(recorded: list[dict[str, str]], council: str | None = None) -> list[str]:
    now = {i["path"]: i["sha256"] for i in manifest.input_files(council)}
    then = {i["path"]: i["sha256"] for i in recorded}
    out = []
    for path in sorted(then.keys() | now.keys()):
        if path not in now:
            out.append(f"{path}: missing (was sha256 {then[path][:12]})")
        elif path not in then:
            out.append(f"{path}: new file, not in the manifest")
        elif then[path] != now[path]:
            out.append(f"{path}: sha256 was {then[path][:12]}, now {now[path][:12]}")
    return out


def compare_notebooks(recorded: list[dict[str, Any]]) -> list[str]:
    """Notebooks are inputs too, and the only code an audit runs: each must be a notebook of
    this project (under notebooks/) with the sha256 the manifest recorded."""
    out = []
    for nb in recorded:
        path, problem = inside(nb["path"], project_root() / "notebooks", "notebooks/")
        if problem:
            out.append(problem)
            continue
        if path.suffix != ".ipynb" or not path.is_file():
            raise UsageError(f"{nb['path']}: the manifest's notebook is missing: cannot re-run")
        then, now = str(nb.get("sha256", "")), manifest.sha256_file(path)
        if then != now:
            out.append(f"{nb['path']}: sha256 was {then[:12]}, now {now[:12]}")
    return out


def inside(name: Any, folder: Path, label: str, base: Path | None = None) -> tuple[Path, str]:
    """`name` (relative to `base`, default the project root, as a manifest records it)
    resolved under `folder`, or why not: an absolute path, `..` or a symlink leading out of
    `folder` is refused, never opened."""
    if not isinstance(name, str) or not name.strip():
        return folder, f"{name!r}: not a path"
    rel = Path(name)
    target = ((base or project_root()) / rel).resolve()
    if rel.is_absolute() or not target.is_relative_to(folder.resolve()):
        return target, f"{name}: outside {label}: not opened"
    return target, ""


def check_plan(m: dict[str, Any], published_dir: Path) -> list[str]:
    """Everything the re-run would read, checked before any kernel starts: result names stay
    in the output folder, inputs in data/, each notebook's parameters pass the same checks as
    the CLI's (kpi_lib.publish.params) and name only files the manifest lists and hashes."""
    out = []
    listed = {i["path"] for i in m["inputs"]}
    for i in m["inputs"]:
        out += [p for p in [inside(i["path"], project_root() / "data", "data/")[1]] if p]
    for section in m["results"].values():
        for name in section:
            out += [
                p for p in [inside(name, published_dir, "the output folder", published_dir)[1]] if p
            ]
    for nb in m["notebooks"]:
        params = nb["parameters"]
        path, problem = inside(nb["path"], project_root() / "notebooks", "notebooks/")
        if problem:
            out.append(problem)
            continue
        if not path.is_file():  # refused by its hash check as missing
            continue
        try:
            check_planned(nb["path"], params)
        except UsageError as exc:
            out.append(f"{nb['path']}: parameters: {exc}")
            continue
        for f in params.get("source_files", []) if isinstance(params, dict) else []:
            problem = inside(f, project_root() / "data", "data/")[1]
            if problem or f not in listed:
                out.append(problem or f"{f}: a source file the manifest does not list as input")
    return out


# Columns that say which row of a published table a cell belongs to, most telling first.
KEY_COLUMNS = (
    "kpi_id",
    "statement_id",
    "measure",
    "source",
    "metric_name",
    "item",
    "period",
    "latest_period",
    "report_period",
)


def _row_key(row: pd.Series) -> tuple[str, str]:
    """(the row's KPI or other key, the rest of its key) in words."""
    keys = [(c, str(row[c])) for c in KEY_COLUMNS if c in row.index and str(row[c])]
    if not keys:
        return "", ""
    first, rest = keys[0], keys[1:]
    label = first[1] if first[0] == "kpi_id" else f"{first[0]} {first[1]}"
    return label, ", ".join(f"{c} {v}" for c, v in rest if c != "metric_name")


def cell_differences(name: str, published: Path, rerun: Path) -> tuple[list[dict[str, str]], str]:
    """Every differing cell of two CSV result tables, or why they cannot be compared cell by
    cell. A row is named by its KPI id (or its other key columns), not only its number."""
    if not published.exists() or not rerun.exists():
        which = "published copy" if not published.exists() else "re-run"
        return [], f"{name}: missing in the {which}"
    try:
        a = pd.read_csv(published, dtype=str, keep_default_na=False)
        b = pd.read_csv(rerun, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], f"{name}: cannot compare cells, not a readable CSV: {first}"
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        why = f"{name}: shape/columns differ: published {a.shape}, re-run {b.shape}"
        if "kpi_id" in a.columns and "kpi_id" in b.columns:
            only_a = sorted(set(a["kpi_id"]) - set(b["kpi_id"]))[:5]
            only_b = sorted(set(b["kpi_id"]) - set(a["kpi_id"]))[:5]
            why += "".join(
                f"; only the {side} has KPI {', '.join(ids)}"
                for side, ids in (("published", only_a), ("re-run", only_b))
                if ids
            )
        return [], why
    cells = []
    for idx in a.index:
        differ = [c for c in a.columns if a.at[idx, c] != b.at[idx, c]]
        if not differ:
            continue
        kpi, rest = _row_key(b.loc[idx])
        for col in differ:
            cells.append(
                {
                    "table": name,
                    "kpi": kpi,
                    "row": f"{idx + 1}" + (f" ({rest})" if rest else ""),
                    "column": col,
                    "published": a.at[idx, col],
                    "rerun": b.at[idx, col],
                }
            )
    return cells, ""


def cell_line(c: dict[str, str]) -> str:
    """'tables/rag.csv: KPI <id>, row 3 (period 2022/23 Q2), column rag: published …'"""
    who = c["kpi"] if " " in c["kpi"] else f"KPI {c['kpi']}"
    who = f"{who}, " if c["kpi"] else ""
    return (
        f"{c['table']}: {who}row {c['row']}, column {c['column']}: "
        f"published {c['published']!r}, re-run {c['rerun']!r}"
    )


def diff_tables(name: str, published: Path, rerun: Path) -> list[str]:
    """Cell-level differences between two CSV result tables, one line each."""
    return _cells(name, published, rerun)[0]


@contextmanager
def _private(scratch: Path):
    """Point the store and every cache at the scratch folder for the re-run (the kernels
    inherit the environment): the audit recomputes from data/raw with caches it builds itself
    and never reads the audited project's store or caches, which the audited run wrote."""
    with overridden(
        processed=str(scratch / "store"),
        cache_dir=str(scratch / "cache" / "pdf"),
        report_cache_dir=str(scratch / "cache" / "report"),
    ):
        yield


def rerun(m: dict[str, Any], scratch: Path, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Rebuild the store from data/raw and execute the recorded notebooks with their parameters
    (all checked by `audit` before this is called)."""

    out = scratch / "run"
    out.mkdir(parents=True)
    plan = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    with using(m.get("council")), _private(scratch):
        manifest.write_json(out / manifest.RUN_INFO, manifest.run_info(m["kind"], plan))
        ingest()
        # the snapshot re-run is the one verified: a raw file edited since then is caught here
        reps = council_table("reports")  # the manifest's council's (its inputs)
        built = dict(zip(reps["file"].astype(str), reps["sha256"].astype(str), strict=True))
        recorded = {i["path"]: i["sha256"] for i in m["inputs"]}
        moved = sorted(f for f, sha in built.items() if recorded.get(f) != sha)
        if moved:
            raise UsageError(f"data/raw changed during the audit: {', '.join(moved)}")
        problems = replan(m)  # the CLI's checks that need a store, before any kernel starts
        if problems:
            raise Refused(problems)
        for nb in m["notebooks"]:
            params = {**nb["parameters"], "output_dir": str(out)}
            run_notebook(project_root() / nb["path"], out, params, timeout=timeout, checked=True)
    return out


class Refused(Exception):
    """The manifest's plan fails a check that needs the store (run before any kernel)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def replan(m: dict[str, Any]) -> list[str]:
    """Plan the run again from the manifest's parameters with the CLI's own planner, on the
    audit's private store: a period with no KPI rows, an unknown section or KPI id is refused
    as `kpi report` refuses it, and a plan that differs from the manifest's (other source
    files, extra parameters) is named. Kinds the workbook does not plan are left as they are."""
    from kpi_lib.publish.params import DeepDiveParams, ReportParams
    from kpi_lib.publish.plan import (
        DEEP_DIVE_NB,
        QUARTERLY_NB,
        deep_dive_plan,
        kpi_ids,
        quarterly_plan,
    )

    given = {nb["path"]: nb["parameters"] for nb in m["notebooks"]}
    try:
        if m["kind"] == "quarterly":
            q = given.get(QUARTERLY_NB, {})
            params = ReportParams(
                period=q.get("period"),
                amber_tolerance=q.get("amber_tolerance"),
                forecast_horizon=q.get("forecast_horizon"),
                sections=tuple(q.get("sections") or ()),
            )
            plan = quarterly_plan(params)[1]
        elif m["kind"] == "deep-dive":
            d = given.get(DEEP_DIVE_NB, {})
            params = DeepDiveParams(
                kpi_id=d.get("kpi_id"), forecast_horizon=d.get("forecast_horizon")
            )
            if params.kpi_id not in kpi_ids():
                return [f"{DEEP_DIVE_NB}: parameters: unknown KPI id {params.kpi_id!r}"]
            plan = deep_dive_plan(params)[1]
        else:
            return []
    except UsageError as exc:
        return [f"parameters: {exc}"]
    planned = json.loads(json.dumps(plan))
    out = []
    for nb in sorted(planned.keys() | given.keys()):
        if planned.get(nb) != given.get(nb):
            out.append(
                f"{nb}: the manifest's parameters {given.get(nb)!r:.200} are not the plan "
                f"`kpi` makes for them ({planned.get(nb)!r:.200})"
            )
    return out


SCRATCH_PREFIX = "kpi-audit-"


def clear_abandoned(tmp: Path | None = None) -> list[str]:
    """Remove the scratch folders of audits that were killed (kill -9 runs no clean-up): each
    is named kpi-audit-<pid>-..., and one whose process is gone is left over. Returns them, so
    the command can say what it removed."""
    from kpi_lib.locks import pid_alive
    from kpi_lib.publish.pdf import PDF_PREFIX, print_temp_dir

    folder = Path(tmp or tempfile.gettempdir())
    removed = []
    places = [(folder, SCRATCH_PREFIX), (Path(print_temp_dir()), PDF_PREFIX)]
    for where, prefix in places:
        for p in sorted(where.glob(f"{prefix}*-*")):
            pid = p.name.removeprefix(prefix).split("-")[0]
            if p.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(str(p))
    return removed


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit(
    manifest_path: str | Path, keep: bool = False, timeout: int = DEFAULT_TIMEOUT
) -> AuditResult:
    """Verify, then re-run. Nothing in the manifest is trusted until checked against the
    project: if any notebook, input or path differs or lies outside, or a parameter fails the
    CLI's checks, the result says so and no code runs at all."""
    AuditParams(manifest=str(manifest_path), keep=keep, timeout=timeout)
    path = Path(manifest_path)
    m = manifest.read_manifest(path)
    published_dir = path.parent
    result = AuditResult(str(path), started=_now())
    try:
        _audit(m, path, published_dir, result, keep, timeout)
    finally:
        result.finished = _now()
    return result


def _audit(
    m: dict[str, Any],
    path: Path,
    published_dir: Path,
    result: AuditResult,
    keep: bool,
    timeout: int,
) -> None:
    recorded = {**m["results"].get("tables", {}), **m["results"].get("figures", {})}
    result.refused = check_plan(m, published_dir)
    if result.refused:
        return
    if recorded and not any((published_dir / name).is_file() for name in recorded):
        raise UsageError(
            f"{path}: none of the {len(recorded)} result files it lists is in {published_dir}: "
            "audit the manifest inside its output folder"
        )
    result.files = _input_files(m)
    result.inputs_changed = compare_notebooks(m["notebooks"]) + compare_inputs(
        m["inputs"], m.get("council")
    )
    if result.inputs_changed:  # a changed notebook is foreign code; changed data, other results
        result.refused = ["notebooks or inputs differ from the manifest (listed below)"]
        result.results_changed = _edited_results(recorded, published_dir)
        result.results_changed += edited_pages(published_dir, m["results"].get("html", {}))
        return
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        try:
            rerun_dir = rerun(m, scratch, timeout)
        except Refused as exc:
            result.refused = exc.problems
            return
        fresh = manifest.result_hashes(rerun_dir)
        fresh_all = {**fresh["tables"], **fresh["figures"]}
        for name in sorted(recorded.keys() | fresh_all.keys()):
            result.checked += 1
            lines, cells = _compare_one(
                name,
                published_dir / name,
                rerun_dir / name,
                recorded.get(name),
                fresh_all.get(name),
            )
            result.results_changed += lines
            result.cells += cells
            result.files.append(
                _file_row(
                    name.split("/")[0].rstrip("s"),
                    name,
                    recorded.get(name),
                    published_dir / name,
                    fresh_all.get(name),
                    lines,
                )
            )
        recorded_pages = m["results"].get("html", {})
        result.checked += len(recorded_pages)
        page_lines = compare_pages(published_dir, rerun_dir, recorded_pages)
        result.results_changed += page_lines
        pub_pages = page_hashes(published_dir)
        for name in sorted(recorded_pages.keys() | fresh["html"].keys()):
            mine = [x for x in page_lines if x.startswith(f"{name}:")]
            result.files.append(
                {
                    "kind": "page",
                    "name": name,
                    "recorded": recorded_pages.get(name, ""),
                    "now": pub_pages.get(name, ""),
                    "rerun": fresh["html"].get(name, ""),
                    "status": "differs" if mine else "same",
                }
            )
    except NotebookError as exc:  # its copy is in scratch: point at it only if it stays
        kept = exc.kept if keep else ""
        raise NotebookError(exc.notebook, exc.message, cell=exc.cell, kept=kept) from None
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    result.kept = str(scratch) if keep else ""


def _input_files(m: dict[str, Any]) -> list[dict[str, str]]:
    """The manifest's inputs and notebooks with their recorded and current sha256."""
    now = {i["path"]: i["sha256"] for i in manifest.input_files()}
    rows = []
    for i in m["inputs"]:
        current = now.get(i["path"], "")
        status = "same" if current == i["sha256"] else ("missing" if not current else "changed")
        rows.append(
            {
                "kind": "input",
                "name": i["path"],
                "recorded": i["sha256"],
                "now": current,
                "rerun": "",
                "status": status,
            }
        )
    for nb in m["notebooks"]:
        p = project_root() / nb["path"]
        current = manifest.sha256_file(p) if p.is_file() else ""
        then = str(nb.get("sha256", ""))
        rows.append(
            {
                "kind": "notebook",
                "name": nb["path"],
                "recorded": then,
                "now": current,
                "rerun": "",
                "status": "same" if current == then else "changed",
            }
        )
    return rows


def _file_row(
    kind: str, name: str, recorded: str | None, pub: Path, fresh: str | None, lines: list[str]
) -> dict[str, str]:
    return {
        "kind": kind,
        "name": name,
        "recorded": recorded or "",
        "now": manifest.sha256_file(pub) if pub.is_file() else "",
        "rerun": fresh or "",
        "status": "differs" if lines else "same",
    }


def _edited_results(recorded: dict[str, str], published_dir: Path) -> list[str]:
    """Published files whose bytes no longer match the manifest (found without re-running)."""
    out = []
    for name, sha in sorted(recorded.items()):
        pub = published_dir / name
        if not pub.is_file():
            out.append(f"{name}: missing from the published output")
        elif manifest.sha256_file(pub) != sha:
            out.append(
                f"{name}: published file edited since the run (sha256 differs from manifest)"
            )
    return out


def _cells(name: str, pub: Path, fresh: Path) -> tuple[list[str], list[dict[str, str]]]:
    cells, why = cell_differences(name, pub, fresh)
    if why:
        return [why], []
    lines = [cell_line(c) for c in cells]
    if len(lines) > MAX_CELLS:
        lines = lines[:MAX_CELLS] + [f"{name}: … and {len(lines) - MAX_CELLS} more cells"]
    return lines, cells


def _compare_one(
    name: str, pub: Path, fresh: Path, recorded: str | None, fresh_sha: str | None
) -> tuple[list[str], list[dict[str, str]]]:
    """Why one result file fails the audit (edited since publication, or not reproduced), and
    its differing cells."""
    out: list[str] = []
    cells: list[dict[str, str]] = []
    is_table = name.endswith(".csv")
    if not pub.exists():
        out.append(f"{name}: missing from the published output")
    elif manifest.sha256_file(pub) != recorded:
        out.append(f"{name}: published file edited since the run (sha256 differs from manifest)")
        if is_table:
            lines, cells = _cells(name, pub, fresh)
            out += lines
        return out, cells
    if recorded != fresh_sha:
        out.append(f"{name}: re-run does not reproduce the manifest")
        if is_table and pub.exists():
            lines, cells = _cells(name, pub, fresh)
            out += lines
    return out, cells
