#!/usr/bin/env python3
"""Acceptance test for the DERIVED statements of the KPI workbook.

    python3 check_statements.py PROJECT_ROOT [--checks checks.csv] [--verbose] [--family F]

Reads PROJECT_ROOT/outputs/<period>/tables/*.csv, the deep-dive tables under
PROJECT_ROOT/outputs/kpi/<kpi_id>/tables/*.csv and, for what exists only on the page a
councillor reads, PROJECT_ROOT/outputs/<period>/02_quarterly_report.html.  Every check is a
row of checks.csv (next to this script).  Prints one line per failed check and a last line
"statements true: X/N (wrong W)"; exits 0 only if every check holds.

Standard library only (no pandas needed).

The `check` column is a small language; one check is one clause, or several clauses joined by
" || " (any may hold) or " && " (all must hold).  The `expected` column holds one part per
clause, joined by the same separator.

    clause   := [source ":"] selector " " field " " op
    source   := name of a table in outputs/<period>/tables (movers, off_track, ...),
                kpi/<kpi_id>/<table> for a deep-dive table,
                page (02_quarterly_report.html) or ingest (01_ingest_quarter.html),
                or several joined by "+" (their selected text is pooled; text ops only).
                Without a source the `table` column is used.
    selector := rows | rows? | rows[filters] | rows?[filters] | blocks[...] | blocks?[...] | page
                CSV: rows of the table; when the check's kpi_id is set and the table has a
                kpi_id column (and no filter names kpi_id) only that KPI's rows ("a|b" = any).
                Page: "rows" = table rows of the page (cells joined by " | "), "blocks" = every
                paragraph, list item, heading and table row, "page" = the whole page text.
                filters (";"-separated): col=v1|v2  col!=v  col~regex  col!~regex;
                on a page: ~regex  !~regex (applied to the block's text).
                "rows"  : no selected row -> the check fails ("nothing shown").
                "rows?" : no selected row -> the clause holds (the statement is not made).
    field    := a column; a+b (texts joined); a,b,c (several columns, for = and empty);
                * (every column); text (page blocks); - (exists/absent)
    op       := ~      the pooled text matches the expected regex
                !~     the pooled text does not match
                all~   every selected row/block matches
                =      every selected row's value is one of expected (v1|v2; numbers compare
                       numerically; with a,b,c fields expected is x,y,z element by element)
                !=     no selected row's value is one of expected
                >= <=  every selected row's numeric value (blank = nothing shown = holds)
                in     alias of =
                empty  every selected row's field(s) are blank
                exists at least one row selected      absent  no row selected
Regexes are case-insensitive and use Python syntax.
"""
from __future__ import annotations

import argparse
import csv
import html
import math
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "fixtures" / "statements"
PAGE_FILES = {"page": "02_quarterly_report.html", "ingest": "01_ingest_quarter.html"}
BLOCK_END = re.compile(
    r"(?i)</(tr|li|p|h[1-6]|div|table|thead|tbody|caption|dt|dd|figcaption|pre|blockquote|ul|ol|"
    r"section|nav|summary|details)>|<br\s*/?>"
)


class CheckError(Exception):
    """A check that cannot be evaluated (table missing, column missing, bad spec)."""


# ---------------------------------------------------------------- loading -----------------

def period_dir(period: str) -> str:
    """'2023/24 Q2' -> '2023-24_Q2'."""
    p = period.strip().replace("/", "-")
    return re.sub(r"\s+", "_", p)


class Outputs:
    def __init__(self, root: Path):
        self.root = root
        self._csv: dict[Path, list[dict] | None] = {}
        self._pages: dict[Path, tuple[list[str], str] | None] = {}

    def csv_path(self, period: str, name: str) -> Path:
        if name.startswith("kpi/"):
            parts = name.split("/")
            if len(parts) != 3:
                raise CheckError(f"bad deep-dive table name {name!r}")
            return self.root / "outputs" / "kpi" / parts[1] / "tables" / f"{parts[2]}.csv"
        return self.root / "outputs" / period_dir(period) / "tables" / f"{name}.csv"

    def table(self, period: str, name: str) -> list[dict]:
        path = self.csv_path(period, name)
        if path not in self._csv:
            if not path.is_file():
                self._csv[path] = None
            else:
                with open(path, newline="", encoding="utf-8") as fh:
                    self._csv[path] = list(csv.DictReader(fh))
        rows = self._csv[path]
        if rows is None:
            raise CheckError(f"table missing: {path.relative_to(self.root)}")
        return rows

    def columns(self, period: str, name: str) -> list[str]:
        path = self.csv_path(period, name)
        self.table(period, name)
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
        return header

    def page(self, period: str, name: str) -> tuple[list[str], str]:
        path = self.root / "outputs" / period_dir(period) / PAGE_FILES[name]
        if path not in self._pages:
            if not path.is_file():
                self._pages[path] = None
            else:
                self._pages[path] = page_blocks(path.read_text(encoding="utf-8", errors="replace"))
        got = self._pages[path]
        if got is None:
            raise CheckError(f"table missing: {path.relative_to(self.root)}")
        return got


def page_blocks(source: str) -> tuple[list[str], str]:
    s = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", source)
    s = re.sub(r"(?is)<!--.*?-->", " ", s)
    s = BLOCK_END.sub("\n", s)
    s = re.sub(r"(?i)</t[dh]>", " | ", s)
    s = re.sub(r"<[^>]+>", " ", s)
    s = html.unescape(s).replace("\u2212", "-")  # typographic minus -> hyphen-minus
    blocks = []
    for line in s.split("\n"):
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            blocks.append(line)
    return blocks, "\n".join(blocks)


# ---------------------------------------------------------------- values ------------------

NUM = re.compile(r"^[\s£$]*([+-]?\d[\d,]*\.?\d*(?:[eE][+-]?\d+)?)\s*%?\s*$")


def as_number(v: str | None) -> float | None:
    if v is None:
        return None
    m = NUM.match(str(v).replace("\u2212", "-"))
    if not m:
        return None
    try:
        x = float(m.group(1).replace(",", ""))
    except ValueError:
        return None
    return None if math.isnan(x) else x


def same_value(a: str, b: str) -> bool:
    x, y = as_number(a), as_number(b)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y))
    return str(a).strip().casefold() == str(b).strip().casefold()


def rx(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern, re.I | re.S)
    except re.error as exc:
        raise CheckError(f"bad regex {pattern!r}: {exc}") from exc


def short(text: str, n: int = 140) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------- clause parsing ----------

CLAUSE = re.compile(
    r"^\s*(?:(?P<source>[A-Za-z0-9_/+\-]+):\s*)?"
    r"(?P<sel>rows\??|blocks\??|page)(?:\[(?P<filters>.*)\])?\s+"
    r"(?P<field>\S+)\s+(?P<op>all~|!~|~|!=|>=|<=|=|in|empty|exists|absent)\s*$"
)


def split_top(spec: str) -> tuple[str, list[str]]:
    if " || " in spec and " && " in spec:
        raise CheckError("a check may not mix ' || ' and ' && '")
    if " || " in spec:
        return "any", spec.split(" || ")
    if " && " in spec:
        return "all", spec.split(" && ")
    return "one", [spec]


def parse_filters(text: str | None) -> list[tuple[str, str, str]]:
    out = []
    if not text:
        return out
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z0-9_]*)\s*(!~|~|!=|=)\s*(.*)$", part)
        if not m:
            raise CheckError(f"bad filter {part!r}")
        out.append((m.group(1), m.group(2), m.group(3).strip()))
    return out


# ---------------------------------------------------------------- evaluation --------------

class Clause:
    def __init__(self, spec: str, expected: str, default_table: str):
        m = CLAUSE.match(spec)
        if not m:
            raise CheckError(f"cannot parse check {spec!r}")
        self.spec = spec.strip()
        self.sources = (m.group("source") or default_table).split("+")
        self.selector = m.group("sel")
        self.optional = self.selector.endswith("?")
        self.kind = self.selector.rstrip("?")
        self.filters = parse_filters(m.group("filters"))
        self.field = m.group("field")
        self.op = "=" if m.group("op") == "in" else m.group("op")
        self.expected = expected.strip()

    # -- selection -------------------------------------------------------------------------
    def select(self, out: Outputs, period: str, kpi_ids: list[str]) -> list[tuple[str, dict | str]]:
        """Return (source, row) pairs; a row is a dict (CSV) or a string (page block)."""
        picked: list[tuple[str, dict | str]] = []
        for src in self.sources:
            if src in PAGE_FILES:
                blocks, whole = out.page(period, src)
                if self.kind == "page":
                    items = [whole]
                elif self.kind == "rows":
                    items = [b for b in blocks if " | " in b]
                else:
                    items = list(blocks)
                for col, op, _ in self.filters:
                    if col or op not in ("~", "!~"):
                        raise CheckError("page filters are ~regex or !~regex (no column)")
                for b in items:
                    ok = True
                    for _, op, val in self.filters:
                        hit = rx(val).search(b) is not None
                        ok = ok and (hit if op == "~" else not hit)
                    if ok:
                        picked.append((src, b))
            else:
                rows = out.table(period, src)
                cols = out.columns(period, src)
                names_kpi = any(col == "kpi_id" for col, _, _ in self.filters)
                for row in rows:
                    if kpi_ids and "kpi_id" in cols and not names_kpi:
                        if row.get("kpi_id", "") not in kpi_ids:
                            continue
                    ok = True
                    for col, op, val in self.filters:
                        if col not in cols:
                            raise CheckError(f"column missing: {src}.{col}")
                        cell = row.get(col, "") or ""
                        if op == "=":
                            ok = ok and any(same_value(cell, v) for v in val.split("|"))
                        elif op == "!=":
                            ok = ok and not any(same_value(cell, v) for v in val.split("|"))
                        elif op == "~":
                            ok = ok and rx(val).search(cell) is not None
                        else:
                            ok = ok and rx(val).search(cell) is None
                    if ok:
                        picked.append((src, row))
        return picked

    def values(self, src: str, row: dict | str, out: Outputs, period: str) -> list[str]:
        if isinstance(row, str):
            return [row]
        if self.field == "*":
            return [" | ".join(v or "" for v in row.values())]
        if self.field == "-":
            return []
        cols = out.columns(period, src)
        sep = "," if "," in self.field else "+"
        names = self.field.split(sep)
        for n in names:
            if n not in cols:
                raise CheckError(f"column missing: {src}.{n}")
        vals = [row.get(n, "") or "" for n in names]
        return vals if sep == "," else [" ".join(vals)]

    # -- verdict ---------------------------------------------------------------------------
    def evaluate(self, out: Outputs, period: str, kpi_ids: list[str]) -> tuple[bool, str]:
        picked = self.select(out, period, kpi_ids)
        op, exp = self.op, self.expected
        if op == "exists":
            return (bool(picked), f"{len(picked)} row(s)")
        if op == "absent":
            return (not picked, f"{len(picked)} row(s): " + short(self._show(picked, out, period)))
        if not picked:
            return (self.optional, "nothing shown" if self.optional else "no matching row")
        if op in ("~", "!~", "all~"):
            texts = [" ".join(self.values(s, r, out, period)) for s, r in picked]
            pat = rx(exp)
            if op == "all~":
                bad = [t for t in texts if not pat.search(t)]
                return (not bad, "row without it: " + short(bad[0]) if bad else "all rows match")
            pooled = "\n".join(texts)
            m = pat.search(pooled)
            if op == "~":
                return (m is not None, "found" if m else "text: " + short(pooled))
            if m is None:
                return (True, "absent")
            lo = max(0, m.start() - 50)
            return (False, "text has: …" + short(pooled[lo : m.end() + 50], 160))
        found = []
        ok = True
        for s, r in picked:
            vals = self.values(s, r, out, period)
            found.append(",".join(vals))
            if op == "empty":
                ok = ok and all(not str(v).strip() for v in vals)
            elif op in ("=", "!="):
                exps = exp.split(",") if len(vals) > 1 else [exp]
                if len(exps) != len(vals):
                    raise CheckError("expected has a different number of parts than field")
                hits = [any(same_value(v, e) for e in ex.split("|")) for v, ex in zip(vals, exps)]
                ok = ok and (all(hits) if op == "=" else not any(hits))
            elif op in (">=", "<="):
                bound = as_number(exp)
                if bound is None:
                    raise CheckError(f"bound {exp!r} is not a number")
                for v in vals:
                    x = as_number(v)
                    if x is None:
                        continue  # nothing shown
                    ok = ok and (x >= bound if op == ">=" else x <= bound)
            else:
                raise CheckError(f"unknown op {op}")
        return (ok, "found " + "; ".join(short(f, 60) for f in found[:6]))

    def _show(self, picked, out, period) -> str:
        return "; ".join(" ".join(self.values(s, r, out, period)) or "(row)" for s, r in picked[:3])


def run_check(row: dict, out: Outputs) -> tuple[bool, str]:
    mode, specs = split_top(row["check"])
    exp_parts = [row.get("expected", "")] if mode == "one" else (
        row.get("expected", "").split(" || " if mode == "any" else " && ")
    )
    if mode != "one" and len(exp_parts) == 1 and len(specs) > 1:
        exp_parts = exp_parts * len(specs)
    if len(exp_parts) != len(specs):
        raise CheckError("check and expected have different numbers of clauses")
    kpi_ids = [k.strip() for k in (row.get("kpi_id") or "").split("|") if k.strip()]
    results = []
    for spec, exp in zip(specs, exp_parts):
        clause = Clause(spec, exp, row.get("table", "").split(" ")[0].strip())
        try:
            results.append(clause.evaluate(out, row["period"], kpi_ids))
        except CheckError as exc:
            results.append((False, str(exc)))
    if mode == "all":
        ok = all(r[0] for r in results)
    else:
        ok = any(r[0] for r in results)
    detail = " | ".join(r[1] for r in results) if len(results) > 1 else results[0][1]
    return ok, detail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("project_root", type=Path)
    ap.add_argument("--checks", type=Path, default=HERE / "checks.csv")
    ap.add_argument("--verbose", action="store_true", help="also print the checks that hold")
    ap.add_argument("--family", help="only this family")
    args = ap.parse_args(argv)

    with open(args.checks, newline="", encoding="utf-8") as fh:
        checks = list(csv.DictReader(fh))
    if args.family:
        checks = [c for c in checks if c["family"] == args.family]
    out = Outputs(args.project_root.resolve())
    n_true = 0
    for c in checks:
        try:
            ok, detail = run_check(c, out)
        except CheckError as exc:
            ok, detail = False, str(exc)
        where = f"{c['period']} {c.get('kpi_id') or '-'}"
        if ok:
            n_true += 1
            if args.verbose:
                print(f"ok   {c['id']} [{c['family']}] {where}: {detail}")
        else:
            print(
                f"FAIL {c['id']} [{c['family']}] {where}: {detail}; "
                f"expected {c['check']} {short(c.get('expected', ''), 120)}"
            )
    n = len(checks)
    print(f"statements true: {n_true}/{n} (wrong {n - n_true})")
    return 0 if n_true == n else 1


if __name__ == "__main__":
    sys.exit(main())
