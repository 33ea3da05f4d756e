"""The `kpi` command: thin argument parsing over kpi_lib; user errors become one line and exit 2."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_lib.analysis.defaults import (
    AMBER_TOLERANCE,
    FORECAST_HORIZON,
    check_horizon,
    check_tolerance,
)
from kpi_lib.errors import InputError, KpiError, UsageError
from kpi_lib.limits import check_regular, special_kind
from kpi_lib.settings import overridden

if TYPE_CHECKING:  # imported where used: `kpi extract` of a PDF is quicker than pandas' import
    import pandas as pd

    from kpi_lib.store.snapshot import Store


def emit(df: pd.DataFrame, fmt: str) -> None:
    """Print a table as CSV or JSON records on stdout."""
    if fmt == "json":
        text = df.to_json(orient="records", force_ascii=False, indent=1, date_format="iso")
        sys.stdout.write(text.replace("\\/", "/") + "\n")  # pandas escapes every "/"
    else:
        df.to_csv(sys.stdout, index=False, lineterminator="\n")


def add_format(p: argparse.ArgumentParser, default: str = "csv") -> None:
    p.add_argument("--format", choices=["csv", "json"], default=default)


def check_path(arg: str) -> str:
    """A path argument the OS can look up: an empty one would mean "here" (the whole project)
    and one too long for the file system would surface as a traceback."""
    if not arg.strip():
        raise UsageError("a file path must not be empty")
    try:
        st = os.stat(arg)
    except FileNotFoundError:
        return arg  # the command says "no such file" with its own context
    except OSError as exc:
        shown = arg if len(arg) <= 80 else arg[:60] + f"... ({len(arg)} characters)"
        raise InputError(shown, exc.strerror or str(exc)) from None
    if special_kind(st.st_mode) not in ("", "a folder"):  # folders: each command says
        check_regular(arg)  # a FIFO would block for ever, /dev/zero never end: one line
    return arg


# --- extract ---------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from kpi_lib.limits import time_budget
    from kpi_lib.readers.cache import cache_dir, enabled
    from kpi_lib.readers.document import extract_document
    from kpi_lib.readers.profile import default_profile as reader_profile

    path = Path(check_path(args.file))
    with time_budget(str(path)):
        result = extract_document(path, cache_dir() if enabled() else None, reader_profile())
    for issue in result.issues:
        print(f"kpi: warning: {issue}", file=sys.stderr)
    if args.format == "csv":
        result.write_csv(sys.stdout, drop=("reader",))
    else:
        emit(result.frame().drop(columns=["reader"]), args.format)
    return 0


# --- reports -------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from kpi_lib.publish.params import ReportParams
    from kpi_lib.publish.plan import newest_period, run_report

    params = ReportParams(
        period=args.period,
        amber_tolerance=args.tolerance,
        forecast_horizon=args.horizon,
        sections=tuple(args.section or ()),
        timeout=args.timeout,
        with_code=args.with_code,
    )
    if params.period is None:  # say which quarter and why, so a default run is no surprise
        period, why = newest_period()
        print(f"report period {why}")
        params = dataclasses.replace(params, period=period)
    result = run_report(params)
    for html in result.html:
        print(html)
    for note in result.notes:
        print(note)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    """outputs/index.html (every KPI, linking the papers and deep dives built so far) and
    outputs/kpi_history.xlsx, from the store alone (no notebook runs; `kpi batch` builds
    them too)."""
    from kpi_lib.publish.batch import build_site
    from kpi_lib.store.lock import store_lock

    with store_lock(shared=True):
        site = build_site()
    for what, status, detail in site:
        print(f"{what}: {detail}" if status == "ok" else f"{what} failed: {detail}")
    return 0 if all(status == "ok" for _, status, _ in site) else 1


def cmd_deep_dive(args: argparse.Namespace) -> int:
    from kpi_lib.publish.params import DeepDiveParams
    from kpi_lib.publish.plan import run_deep_dive

    params = DeepDiveParams(
        kpi_id=args.kpi_id,
        forecast_horizon=args.horizon,
        timeout=args.timeout,
        with_code=args.with_code,
    )
    result = run_deep_dive(params)
    for html in result.html:
        print(html)
    for note in result.notes:
        print(note)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from kpi_lib.publish.batch import run_batch
    from kpi_lib.publish.params import BatchParams

    params = BatchParams(
        periods=tuple(args.period or ()),
        deep_dives=args.deep_dives,
        workers=args.workers,
        with_code=args.with_code,
    )
    table = run_batch(params)
    print(table.to_string(index=False))
    for what, status, detail in table.attrs.get("site", []):
        print(f"{what}: {detail}" if status == "ok" else f"{what} failed: {detail}")
    failed = int((table["status"] != "ok").sum())
    print(f"{len(table) - failed} succeeded, {failed} failed")
    site_failed = any(status != "ok" for _, status, _ in table.attrs.get("site", []))
    return 1 if failed or site_failed else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from kpi_lib.publish.audit import audit, clear_abandoned
    from kpi_lib.publish.audit_notebook import render_kept
    from kpi_lib.publish.execute import clear_stale_runtime
    from kpi_lib.publish.manifest import read_manifest
    from kpi_lib.publish.params import AuditParams

    params = AuditParams(manifest=check_path(args.manifest), keep=args.keep, timeout=args.timeout)
    read_manifest(Path(params.manifest))  # a file that is no manifest: one line, nothing else
    for folder in clear_abandoned():  # what an audit killed earlier left behind
        print(f"kpi: note: removed {folder}, left by an interrupted audit", file=sys.stderr)
    for folder in clear_stale_runtime():
        print(f"kpi: note: removed {folder}, kernel files of an interrupted run", file=sys.stderr)
    result = audit(params.manifest, keep=params.keep, timeout=params.timeout)
    for line in result.lines():
        print(line)
    page, kept = render_kept(result, params.manifest)  # a readable record beside the code
    print(f"audit page: {page}")
    print(f"audit kept: {kept}")
    return 0 if result.ok else 1


def _run_options(p: argparse.ArgumentParser) -> None:
    from kpi_lib.publish.params import DEFAULT_TIMEOUT

    p.add_argument("--with-code", action="store_true", help="show code cells in the HTML")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds allowed per cell")


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", help="e.g. 2022/23 Q2 (default: the newest report in data/raw)")
    p.add_argument(
        "--tolerance", type=float, default=AMBER_TOLERANCE, help="amber tolerance (relative)"
    )
    p.add_argument("--horizon", type=int, default=FORECAST_HORIZON, help="forecast quarters")
    p.add_argument("--section", action="append", help="limit to a section (repeatable)")
    _run_options(p)


def _deep_dive_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kpi_id")
    p.add_argument("--horizon", type=int, default=FORECAST_HORIZON)
    _run_options(p)


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", action="append", help="only these periods (repeatable)")
    p.add_argument("--deep-dives", action="store_true", help="also every KPI's deep dive")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--with-code", action="store_true")


def _audit_args(p: argparse.ArgumentParser) -> None:
    from kpi_lib.publish.params import DEFAULT_TIMEOUT

    p.add_argument("manifest", help="outputs/<period>/manifest.json")
    p.add_argument("--keep", action="store_true", help="keep the re-run folder for inspection")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds allowed per cell")


# --- store: ingest, sql, summary, catalog ------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from kpi_lib.paths import relative
    from kpi_lib.store.catalog import without_catalogue
    from kpi_lib.store.ingest import describe, ingest

    paths = [check_path(p) for p in args.paths]
    if args.period is not None and not args.period.strip():
        raise UsageError("--period must not be empty")
    result = ingest(
        paths or None, period=args.period, rebuild=args.rebuild, keep_going=True, progress=True
    )
    for line in describe(result):
        print(line)
    for council, path in without_catalogue():  # not an error: ids are new- until reviewed
        print(
            f"kpi: note: {relative(path)}: no KPI catalogue for {council} yet, so every KPI is "
            "new (ids new-...): `kpi catalog init` writes one for review",
            file=sys.stderr,
        )
    for failure in result.failed:  # the other files are in the store; these are not
        print(f"kpi: error: {failure}", file=sys.stderr)
    return 2 if result.failed else 0


def cmd_sql(args: argparse.Namespace) -> int:
    from kpi_lib.store import printable, sql

    emit(printable(sql(args.query)), args.format)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from kpi_lib.store import summary

    emit(summary(args.period), args.format)
    return 0


def cmd_catalog(args: argparse.Namespace) -> int:
    from kpi_lib.store import catalog_listing, catalog_suggestions

    if args.action == "init":
        from kpi_lib.paths import relative
        from kpi_lib.store.catalog_init import init_catalog
        from kpi_lib.store.read import council_table

        done = init_catalog(council_table("observations"))
        print(
            f"wrote {done.written} entries ({done.names} names) to {relative(done.path)}, "
            "each marked `review: true`: check them, then run `kpi ingest`"
        )
        return 0
    emit(catalog_suggestions() if args.action == "suggest" else catalog_listing(), args.format)
    return 0


def _ingest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files to add to the store (default: all of data/raw)")
    p.add_argument("--period", help="report period for a file that names none, e.g. 2023/24 Q2")
    p.add_argument("--rebuild", action="store_true", help="re-parse every file (ignore the cache)")


def _sql_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="e.g. \"select * from current where kpi_id = 'library-visits'\"")
    add_format(p)


def _summary_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", required=True, help="e.g. 2024/25 Q2")
    add_format(p)


def _catalog_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="?",
        choices=["list", "suggest", "init"],
        default="list",
        help="init: write entries for the council's new names, marked for review",
    )
    add_format(p)


# --- analysis: RAG recomputed, commentary claims ---------------------------------------------
def _report_store(period: str) -> tuple[str, Store]:
    """The canonical report period and the store as known at that report (Store.as_of), with a
    one-line error when the store holds no rows for it."""
    from kpi_lib.periods import parse_report_period
    from kpi_lib.store.snapshot import Store

    label = parse_report_period(period).label
    data = Store.load().as_of(label)
    if not (data.observations["report_period"] == label).any():
        raise UsageError(f"no observations for report period {label} in the store")
    return label, data


def cmd_rag(args: argparse.Namespace) -> int:
    from kpi_lib.analysis.rag import rag_summary, rag_table
    from kpi_lib.analysis.targets import load_benchmarks
    from kpi_lib.store.read import council_table

    check_tolerance(args.tolerance, "--tolerance")
    label, data = _report_store(args.period)
    obs = data.observations
    bench = load_benchmarks(args.benchmarks) if args.benchmarks else None
    table = rag_table(
        obs,
        args.tolerance,
        report_period=label,
        benchmarks=bench,
        prorate=args.prorate,
        commentary=council_table("commentary"),
        catalog=data.catalog,
        council=data.council,
    )
    s = rag_summary(table)
    rate = "n/a" if s.agreement_rate is None else f"{s.agreement_rate:.1%}"
    print(
        f"kpi: {label}: reported and recomputed RAG agree on {s.agreed}/{s.both_rated} ({rate}); "
        f"{s.not_evaluable} rated rows not evaluable from the printed target",
        file=sys.stderr,
    )
    emit(s.headline if args.summary else table, args.format)
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from kpi_lib.analysis.claims import STATUSES, check_claims

    label, data = _report_store(args.period)
    result = check_claims(data.commentary, data.observations, label, data.catalog)
    counts = result["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in STATUSES]
    print(f"kpi: {label}: {len(result)} claims: {', '.join(parts)}", file=sys.stderr)
    emit(result, args.format)
    return 0


def _rag_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", required=True, help="report period, e.g. 2022/23 Q2")
    p.add_argument(
        "--tolerance",
        type=float,
        default=AMBER_TOLERANCE,
        help=f"amber band, relative (default {AMBER_TOLERANCE})",
    )
    p.add_argument("--benchmarks", help="CSV of benchmark values: kpi_id,period,benchmark,value")
    p.add_argument(
        "--no-prorate",
        dest="prorate",
        action="store_false",
        help="leave year-to-date totals against annual targets unjudged instead of pro-rating "
        "the target to the quarter (the default, as the report does)",
    )
    p.add_argument("--summary", action="store_true", help="print the headline both ways")
    add_format(p)


def _claims_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", required=True, help="report period, e.g. 2022/23 Q2")
    add_format(p)


# --- forecast --------------------------------------------------------------------------------
def cmd_forecast(args: argparse.Namespace) -> int:
    import json

    from kpi_lib.analysis.kpi import Kpi
    from kpi_lib.periods import period_to_fiscal
    from kpi_lib.store.snapshot import Store

    check_horizon(args.horizon, "--horizon")
    if not 0 <= args.seed < 2**32:  # numpy's range for a seed
        raise UsageError(f"--seed must be 0 to {2**32 - 1}, got {args.seed}")

    data = Store.load()
    known = sorted(set(data.observations["kpi_id"]))
    if args.kpi_id not in known:  # the same suggestion as `kpi deep-dive`
        from kpi_lib.publish.plan import _did_you_mean

        raise UsageError(f"unknown KPI id {args.kpi_id!r}{_did_you_mean(args.kpi_id, known)}")
    result, skipped = Kpi(data, args.kpi_id).forecast(
        args.horizon, target=args.target, year_end=args.year_end, seed=args.seed
    )
    if skipped:
        why = "not quarterly, or on another basis"
        print(f"kpi: warning: {why}, left out: {', '.join(skipped)}", file=sys.stderr)
    for note in result.notes:
        print(f"kpi: note: {note}", file=sys.stderr)
    if args.format == "text":
        print(result.summary())
    elif args.format == "json":
        import pandas as pd

        d = {"kpi_id": args.kpi_id, **result.to_dict()}
        for row in d["forecast"]:
            row["label"] = period_to_fiscal(pd.Period(row["period"], freq="Q"))
        sys.stdout.write(json.dumps(d, indent=1) + "\n")
    else:
        df = result.frame()
        df.insert(0, "period", [period_to_fiscal(p) for p in df.index])
        df.insert(0, "kpi_id", args.kpi_id)
        df["model"] = result.model
        df["insufficient_history"] = result.insufficient_history
        emit(df.reset_index(drop=True), "csv")
    return 0


def _forecast_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kpi_id")
    p.add_argument(
        "--horizon",
        type=int,
        default=FORECAST_HORIZON,
        help=f"quarters ahead (default {FORECAST_HORIZON})",
    )
    p.add_argument(
        "--target", type=float, help="target to meet (default: the latest printed numeric one)"
    )
    p.add_argument("--year-end", help="quarter the target applies to, e.g. 2024/25 Q4")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["csv", "json", "text"], default="csv")


def _extract_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    add_format(p)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# Every command, in data-flow order: read a report, build the store, query it, analyse it,
# then the commands that run notebooks. `kpi --help` lists them in this order.
COMMANDS = (
    Command(
        "extract",
        "print the KPI rows found in one report (PDF or text)",
        _extract_args,
        cmd_extract,
    ),
    Command(
        "ingest", "rebuild data/processed/ from the reports in data/raw/", _ingest_args, cmd_ingest
    ),
    Command("sql", "query the store with read-only DuckDB SQL", _sql_args, cmd_sql),
    Command(
        "summary", "a report's printed headline beside the computed one", _summary_args, cmd_summary
    ),
    Command(
        "catalog",
        "list KPIs; `catalog suggest`: match new names; `catalog init`: catalogue them",
        _catalog_args,
        cmd_catalog,
    ),
    Command("rag", "recompute each KPI's RAG from its printed target", _rag_args, cmd_rag),
    Command(
        "claims", "check the figures quoted in a report's commentary", _claims_args, cmd_claims
    ),
    Command(
        "forecast",
        "forecast one KPI's quarterly series with intervals",
        _forecast_args,
        cmd_forecast,
    ),
    Command(
        "report",
        "run the quarterly report notebooks into outputs/<period>/",
        _report_args,
        cmd_report,
    ),
    Command(
        "deep-dive",
        "run the KPI deep-dive notebook into outputs/kpi/<id>/",
        _deep_dive_args,
        cmd_deep_dive,
    ),
    Command(
        "batch", "run every period's report (and deep dives) in parallel", _batch_args, cmd_batch
    ),
    Command(
        "index",
        "write outputs/index.html (every KPI) and outputs/kpi_history.xlsx",
        lambda p: None,
        cmd_index,
    ),
    Command(
        "audit",
        "verify a published analysis against its manifest, then re-run it",
        _audit_args,
        cmd_audit,
    ),
)


# commands that read or write one council's data (`kpi sql` shows every council's rows, with
# their `council` column)
PER_COUNCIL = {
    "ingest",
    "summary",
    "catalog",
    "rag",
    "claims",
    "forecast",
    "report",
    "deep-dive",
    "batch",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description="Council KPI workbook")
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help)
        cmd.arguments(p)
        if cmd.name in PER_COUNCIL:
            add_council(p)
        p.set_defaults(func=cmd.run)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    # SIGTERM cleans up like Ctrl-C: staging and scratch folders removed, workers stopped
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        return _run(args)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:  # a command run in-process (tests, notebooks) leaves the environment as it was
        with overridden(council=_council_id(getattr(args, "council", None))):
            return int(args.func(args) or 0)
    except KpiError as exc:
        print(f"kpi: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:  # last resort: a file the OS refused, still one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kpi: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kpi: interrupted", file=sys.stderr)
        return 130


def _council_id(council: str | None) -> str | None:
    """`--council ID`: checked against data/councils.yaml (and the councils data/raw holds),
    then the council every read of this command and its notebook kernels works on."""
    if council is None:
        return None
    from kpi_lib.store.councils import load_councils

    return load_councils().get(council.strip()).id


def add_council(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--council",
        help="the council's id from data/councils.yaml (default: the default council)",
    )


if __name__ == "__main__":
    sys.exit(main())
