"""The `kpi` command: thin argument parsing over kpi_lib; user errors become one line and exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import pandas as pd

from kpi_lib.analysis.defaults import (
    AMBER_TOLERANCE,
    FORECAST_HORIZON,
    check_horizon,
    check_tolerance,
)
from kpi_lib.errors import KpiError, UsageError

Handler = Callable[[argparse.Namespace], int]


def emit(df: pd.DataFrame, fmt: str) -> None:
    """Print a table as CSV or JSON records on stdout."""
    if fmt == "json":
        text = df.to_json(orient="records", force_ascii=False, indent=1, date_format="iso")
        sys.stdout.write(text.replace("\\/", "/") + "\n")  # pandas escapes every "/"
    else:
        df.to_csv(sys.stdout, index=False, lineterminator="\n")


def add_format(p: argparse.ArgumentParser, default: str = "csv") -> None:
    p.add_argument("--format", choices=["csv", "json"], default=default)


# --- extract ---------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from kpi_lib.readers.extract import extract_document

    result = extract_document(args.file)
    for issue in result.issues:
        print(f"kpi: warning: {issue}", file=sys.stderr)
    df = result.frame().drop(columns=["reader"])
    emit(df, args.format)
    return 0


def _extract_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="print the KPI rows found in one report (PDF or text)")
    p.add_argument("file")
    add_format(p)
    p.set_defaults(func=cmd_extract)


# Each entry adds one subcommand; new commands append a builder here.
BUILDERS: list[Callable[[argparse._SubParsersAction], None]] = [
    _extract_parser,
]


# --- reports -------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from kpi_lib.report.runs import newest_period, run_report

    period = args.period
    if not period:  # say which quarter and why, so a default run is never a surprise
        period, why = newest_period()
        print(f"report period {why}", file=sys.stderr)
    res = run_report(
        period,
        with_code=args.with_code,
        amber_tolerance=args.tolerance,
        forecast_horizon=args.horizon,
        sections=args.section or None,
        timeout=args.timeout,
    )
    for html in res.html:
        print(html)
    return 0


def cmd_deep_dive(args: argparse.Namespace) -> int:
    from kpi_lib.report.runs import run_deep_dive

    res = run_deep_dive(
        args.kpi_id, with_code=args.with_code, forecast_horizon=args.horizon, timeout=args.timeout
    )
    for html in res.html:
        print(html)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from kpi_lib.report.batch import batch

    table = batch(
        periods=args.period or None,
        deep_dives=args.deep_dives,
        workers=args.workers,
        with_code=args.with_code,
    )
    print(table.to_string(index=False))
    failed = int((table["status"] != "ok").sum())
    print(f"{len(table) - failed} succeeded, {failed} failed")
    return 1 if failed else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from kpi_lib.report.audit import audit
    from kpi_lib.report.audit_page import render

    result = audit(args.manifest, keep=args.keep)
    for line in result.lines():
        print(line)
    print(f"audit page: {render(result, args.manifest)}")  # a readable record beside the code
    return 0 if result.ok else 1


def _report_parsers(sub: argparse._SubParsersAction) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--with-code", action="store_true", help="show code cells in the HTML")
        p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")

    p = sub.add_parser("report", help="run the quarterly report notebooks into outputs/<period>/")
    p.add_argument("--period", help="e.g. 2022/23 Q2 (default: the newest report in data/raw)")
    p.add_argument(
        "--tolerance", type=float, default=AMBER_TOLERANCE, help="amber tolerance (relative)"
    )
    p.add_argument(
        "--horizon", type=int, default=FORECAST_HORIZON, help="forecast horizon in quarters"
    )
    p.add_argument("--section", action="append", help="limit to a section (repeatable)")
    common(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("deep-dive", help="run the KPI deep-dive notebook into outputs/kpi/<id>/")
    p.add_argument("kpi_id")
    p.add_argument("--horizon", type=int, default=FORECAST_HORIZON)
    common(p)
    p.set_defaults(func=cmd_deep_dive)

    p = sub.add_parser("batch", help="run every period's report (and deep dives) in parallel")
    p.add_argument("--period", action="append", help="only these periods (repeatable)")
    p.add_argument("--deep-dives", action="store_true", help="also every KPI's deep dive")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--with-code", action="store_true")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("audit", help="re-run a published analysis from its manifest and compare")
    p.add_argument("manifest", help="outputs/<period>/manifest.json")
    p.add_argument("--keep", action="store_true", help="keep the re-run folder for inspection")
    p.set_defaults(func=cmd_audit)


# --- store: ingest, sql, summary, catalog ------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from kpi_lib.store.ingest import describe, ingest

    result = ingest(args.paths or None, period=args.period, rebuild=args.rebuild)
    for line in describe(result):
        print(line)
    return 0


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

    emit(catalog_suggestions() if args.action == "suggest" else catalog_listing(), args.format)
    return 0


def _store_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="rebuild data/processed/ from the reports in data/raw/")
    p.add_argument("paths", nargs="*", help="files to add to the store (default: all of data/raw)")
    p.add_argument("--period", help="report period for a file that names none, e.g. 2023/24 Q2")
    p.add_argument("--rebuild", action="store_true", help="re-parse every file (ignore the cache)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sql", help="query the store with DuckDB SQL")
    p.add_argument("query", help="e.g. \"select * from current where kpi_id = 'library-visits'\"")
    add_format(p)
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("summary", help="a report's printed headline beside the computed one")
    p.add_argument("--period", required=True, help="e.g. 2024/25 Q2")
    add_format(p)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("catalog", help="list KPIs; `catalog suggest`: match uncatalogued names")
    p.add_argument("action", nargs="?", choices=["list", "suggest"], default="list")
    add_format(p)
    p.set_defaults(func=cmd_catalog)


BUILDERS.append(_store_parsers)


# --- analysis: RAG recomputed, commentary claims ---------------------------------------------
def _report_rows(period: str) -> tuple[str, pd.DataFrame]:
    """The canonical report period and the store's observations, with a one-line error when
    the store holds no rows for it."""
    from kpi_lib.periods import parse_report_period
    from kpi_lib.store import load

    label = parse_report_period(period).label
    obs = load("observations")
    if not (obs["report_period"] == label).any():
        raise UsageError(f"no observations for report period {label} in the store")
    return label, obs


def cmd_rag(args: argparse.Namespace) -> int:
    from kpi_lib.analysis.rag import rag_summary, rag_table
    from kpi_lib.analysis.targets import load_benchmarks

    check_tolerance(args.tolerance, "--tolerance")
    label, obs = _report_rows(args.period)
    bench = load_benchmarks(args.benchmarks) if args.benchmarks else None
    table = rag_table(
        obs, args.tolerance, report_period=label, benchmarks=bench, prorate=args.prorate
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
    from kpi_lib.analysis.claims import check_claims
    from kpi_lib.store import load

    label, obs = _report_rows(args.period)
    result = check_claims(load("commentary"), obs, label)
    counts = result["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in ("matched", "contradicted", "not checkable")]
    print(f"kpi: {label}: {len(result)} claims: {', '.join(parts)}", file=sys.stderr)
    emit(result, args.format)
    return 0


def _analysis_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rag", help="recompute each KPI's RAG from its printed target")
    p.add_argument("--period", required=True, help="report period, e.g. 2022/23 Q2")
    p.add_argument(
        "--tolerance",
        type=float,
        default=AMBER_TOLERANCE,
        help=f"amber band, relative (default {AMBER_TOLERANCE})",
    )
    p.add_argument("--benchmarks", help="CSV of benchmark values: kpi_id,period,benchmark,value")
    p.add_argument(
        "--prorate", action="store_true", help="pro-rate annual targets of cumulative KPIs"
    )
    p.add_argument("--summary", action="store_true", help="print the headline both ways")
    add_format(p)
    p.set_defaults(func=cmd_rag)

    p = sub.add_parser("claims", help="check the figures quoted in a report's commentary")
    p.add_argument("--period", required=True, help="report period, e.g. 2022/23 Q2")
    add_format(p)
    p.set_defaults(func=cmd_claims)


BUILDERS.append(_analysis_parsers)


# --- forecast --------------------------------------------------------------------------------
def cmd_forecast(args: argparse.Namespace) -> int:
    import json

    from kpi_lib.analysis.kpi import Kpi
    from kpi_lib.periods import period_to_fiscal
    from kpi_lib.store.snapshot import Store

    check_horizon(args.horizon, "--horizon")

    data = Store.load()
    known = sorted(set(data.observations["kpi_id"]))
    if args.kpi_id not in known:  # the same suggestion as `kpi deep-dive`
        from kpi_lib.report.runs import _did_you_mean

        raise UsageError(f"unknown KPI id {args.kpi_id!r}{_did_you_mean(args.kpi_id, known)}")
    result, skipped = Kpi(data, args.kpi_id).forecast(
        args.horizon, target=args.target, year_end=args.year_end, seed=args.seed
    )
    if skipped:
        print(f"kpi: warning: not quarterly, left out: {', '.join(skipped)}", file=sys.stderr)
    for note in result.notes:
        print(f"kpi: note: {note}", file=sys.stderr)
    if args.format == "text":
        print(result.summary())
    elif args.format == "json":
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


def _forecast_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forecast", help="forecast one KPI's quarterly series with intervals")
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
    p.set_defaults(func=cmd_forecast)


BUILDERS.append(_forecast_parser)
BUILDERS.append(_report_parsers)  # last: the commands that run notebooks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description="Council KPI workbook")
    sub = parser.add_subparsers(dest="command", required=True)
    for build in BUILDERS:
        build(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KpiError as exc:
        print(f"kpi: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("kpi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
