"""The `kpi` command: thin argument parsing over kpi_lib; user errors become one line and exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import pandas as pd

from kpi_lib.errors import KpiError

Handler = Callable[[argparse.Namespace], int]


def emit(df: pd.DataFrame, fmt: str) -> None:
    """Print a table as CSV or JSON records on stdout."""
    if fmt == "json":
        sys.stdout.write(df.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        df.to_csv(sys.stdout, index=False, lineterminator="\n")


def add_format(p: argparse.ArgumentParser, default: str = "csv") -> None:
    p.add_argument("--format", choices=["csv", "json"], default=default)


# --- extract ---------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from kpi_lib.extract import extract_document

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
