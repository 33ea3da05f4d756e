"""PDF reader speed against the floor: pypdfium2's plain text of every page.

Builds a long report with the test factory (the 2022/23 Q2 gold repeated, plus prose-only
pages), then times, in one run and on the same file:
  floor        pypdfium2 text of every page (what any extraction must at least pay)
  pdfplumber   find_tables + extract on every page (the naive reader)
  read_pdf     cold (no cache) with 1 and 2 workers, and warm (cache hit)
Each is the best of --runs runs (the machine is shared; the minimum is the least disturbed).
Prints wall time, pages/s and CPU time (incl. worker processes), each against the floor;
checks the rows are identical whatever the worker count; writes bench/results/bench_pdf.json.

Then the whole process, as a user runs it: `kpi extract FILE` with KPI_CACHE=off against a
Python process that prints pypdfium2's plain text of the same file, on that long report, the
Writer-made 2023/24 Q2 report (ruled), its browser print without rules and its OCR'd scan
(tests/fixtures). The ratio (kpi / floor, wall and CPU) is the issue's measure: at most 10x.
The two processes run alternately (floor, kpi, floor, kpi...), so a busy moment hits both; the
table gives the fastest of each and the spread (slowest / fastest). `--baseline DIR` also times,
in the same rotation, `kpi extract` with the kpi_lib of another source tree (an earlier commit:
`git archive REF | tar -x -C DIR`), so before and after are measured together.

    .venv/bin/python bench/bench_pdf.py [--repeat 3] [--narrative 1] [--runs 3] [--baseline DIR]
    .venv/bin/python bench/bench_pdf.py --process-only   # the whole-process table alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from kpi_lib.readers.document import read_report  # noqa: E402
from kpi_lib.readers.pdf.reader import read_pdf  # noqa: E402
from tests.pdf_factory import Layout, build_report  # noqa: E402


def floor(path: Path) -> None:
    doc = pdfium.PdfDocument(str(path))
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        textpage.get_text_bounded()
        textpage.close()
        page.close()
    doc.close()


def plumber_naive(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.find_tables():
                table.extract()
            page.close()


FLOOR_SCRIPT = """
import sys
import pypdfium2 as pdfium
doc = pdfium.PdfDocument(sys.argv[1])
for i in range(len(doc)):
    page = doc[i]
    textpage = page.get_textpage()
    sys.stdout.write(textpage.get_text_bounded())
    textpage.close()
    page.close()
"""
FIXTURES = ROOT / "tests" / "fixtures"
PROCESS_FILES = {
    "Writer, ruled (2023/24 Q2)": FIXTURES / "writer" / "2023-24_Q2_kpi_commentary_writer.pdf",
    "browser print, no rules": FIXTURES / "matrix" / "2023-24_Q2_html_noborder.pdf",
    "OCR'd scan": FIXTURES / "matrix" / "2023-24_Q2_scan_ocr.pdf",
}


def _child_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(wall, CPU) seconds of one run of a whole process, and what it printed."""
    c0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(
        cmd, check=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - t0, _child_cpu() - c0, done.stdout


def process_env(scratch: Path, bytecode: bool) -> dict[str, str]:
    """The environment of the timed processes: no result cache (KPI_CACHE=off) and, unless
    told otherwise, Python's bytecode cache as an installed package has it (pip compiles what
    it installs; an editable install compiles on first import): kept in `scratch`, written by
    an untimed first run. Without it (PYTHONDONTWRITEBYTECODE=1, as some shells set) every
    `kpi` run compiles kpi_lib's modules (~0.3 s) while the floor's pypdfium2 has pip's."""
    env = {**os.environ, "KPI_CACHE": "off"}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def whole_process(
    files: dict[str, Path], runs: int, env: dict[str, str], baseline: Path | None = None
) -> dict[str, dict[str, float]]:
    """Cold `kpi extract` against the floor process, per file, run alternately after one
    untimed run of each: per command the fastest run (wall and CPU) and the spread, slowest
    wall / fastest wall."""
    kpi = str(Path(sys.executable).with_name("kpi"))
    out: dict[str, dict[str, float]] = {}
    for name, path in files.items():
        cmds = {
            "floor": ([sys.executable, "-c", FLOOR_SCRIPT, str(path)], env),
            "kpi": ([kpi, "extract", str(path)], env),
        }
        if baseline is not None:  # the kpi script puts PYTHONPATH before the editable install
            cmds["base"] = ([kpi, "extract", str(path)], {**env, "PYTHONPATH": str(baseline)})
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        printed: dict[str, set[bytes]] = {k: set() for k in cmds}
        for cmd, e in cmds.values():
            run_once(cmd, e)  # bytecode written, files in the page cache
        for _ in range(runs):
            for k, (cmd, e) in cmds.items():
                wall, cpu, stdout = run_once(cmd, e)
                times[k].append((wall, cpu))
                printed[k].add(stdout)
        r: dict[str, float] = {}
        # the same rows every run, and the same as the baseline's
        r["same_rows"] = float(len(printed["kpi"] | printed.get("base", set())) == 1)
        for k, ts in times.items():
            r[f"{k}_wall"], r[f"{k}_cpu"] = min(ts)
            r[f"{k}_spread"] = max(t[0] for t in ts) / min(t[0] for t in ts)
        for k in cmds:
            if k != "floor":
                r[f"{k}_ratio_wall"] = r[f"{k}_wall"] / r["floor_wall"]
                r[f"{k}_ratio_cpu"] = r[f"{k}_cpu"] / max(r["floor_cpu"], 1e-9)
        r["ratio_wall"], r["ratio_cpu"] = r["kpi_ratio_wall"], r["kpi_ratio_cpu"]
        out[name] = r
    return out


def print_processes(processes: dict[str, dict[str, float]], runs: int, bytecode: bool) -> None:
    print(
        "\nwhole process: `kpi extract FILE` (KPI_CACHE=off) against pypdfium2's plain text; "
        f"fastest of {runs} alternating runs, spread = slowest / fastest wall; "
        f"bytecode cache {'on' if bytecode else 'off'}; load average {os.getloadavg()[0]:.1f}"
    )
    base = any("base_wall" in r for r in processes.values())
    head = f"{'file':30} {'floor s':>8} {'spread':>6} {'kpi s':>7} {'spread':>6} {'x wall':>6}"
    head += f" {'x cpu':>6}"
    if base:
        head += f" | {'base s':>7} {'spread':>6} {'x wall':>6} {'x cpu':>6}"
    print(head)
    for name, r in processes.items():
        line = (
            f"{name:30} {r['floor_wall']:8.3f} {r['floor_spread']:6.2f} {r['kpi_wall']:7.3f} "
            f"{r['kpi_spread']:6.2f} {r['ratio_wall']:6.1f} {r['ratio_cpu']:6.1f}"
        )
        if base:
            line += (
                f" | {r['base_wall']:7.3f} {r['base_spread']:6.2f} "
                f"{r['base_ratio_wall']:6.1f} {r['base_ratio_cpu']:6.1f}"
            )
        print(line + ("" if r["same_rows"] else "   ROWS DIFFER"))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best(
    fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the fastest run."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        c0, t0 = _cpu(), time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0, _cpu() - c0))
    return min(times)


def _ratio(base: float, secs: float) -> str:
    ratio = base / max(secs, 1e-9)
    return f"1/{1 / ratio:.0f}" if ratio < 1 else f"{ratio:.0f}x"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="copies of the report body")
    ap.add_argument("--narrative", type=int, default=1, help="prose-only pages per section")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bench_pdf.json")
    ap.add_argument("--process-only", action="store_true", help="only the whole-process table")
    ap.add_argument("--baseline", type=Path, help="source tree of an earlier kpi_lib to compare")
    ap.add_argument(
        "--no-bytecode",
        action="store_true",
        help="time the processes without Python's bytecode cache (PYTHONDONTWRITEBYTECODE=1)",
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        report = build_report(
            tmpdir / "report.pdf", Layout(repeat=args.repeat, narrative_pages=args.narrative)
        )
        path, pages = report.path, report.pages
        os.environ["KPI_CACHE_DIR"] = str(tmpdir / "cache")
        files = {f"factory report, {pages} pages": path, **PROCESS_FILES}
        env = process_env(tmpdir, bytecode=not args.no_bytecode)
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        if args.process_only:
            processes = whole_process(files, args.runs, env, args.baseline)
            print_processes(processes, args.runs, not args.no_bytecode)
            same = all(r["same_rows"] for r in processes.values())
            return 0 if same else 1

        def clear_cache() -> None:
            for f in (tmpdir / "cache").glob("*.json"):
                f.unlink()

        results: dict[str, tuple[float, float]] = {}
        results["floor: pypdfium2 text"] = best(lambda: floor(path), args.runs)
        results["pdfplumber find_tables, every page"] = best(lambda: plumber_naive(path), 1)
        frames = {}
        for w in (1, 2):
            frames[w] = read_pdf(path, workers=w).frame()
            results[f"read_pdf cold, {w} worker{'s' * (w > 1)}"] = best(
                lambda w=w: read_pdf(path, workers=w), args.runs, clear_cache
            )
        cache = tmpdir / "cache"
        read_report(path, cache_dir=cache, write=True)
        results["read_report warm (cache hit)"] = best(
            lambda: read_report(path, cache_dir=cache), args.runs
        )
        identical = frames[1].equals(frames[2])
        processes = whole_process(files, args.runs, env, args.baseline)

    base, base_cpu = results["floor: pypdfium2 text"]
    load = os.getloadavg()[0]
    print(
        f"{pages} pages, {len(frames[1])} KPI rows; best of {args.runs} runs; "
        f"cpus={os.cpu_count()}, load average {load:.1f}"
    )
    print(
        f"{'variant':36} {'wall s':>7} {'pages/s':>8} {'vs floor':>9} {'cpu s':>7} {'vs floor':>9}"
    )
    for name, (secs, cpu) in results.items():
        print(
            f"{name:36} {secs:7.3f} {pages / secs:8.1f} {_ratio(base, secs):>9} "
            f"{cpu:7.3f} {_ratio(base_cpu, cpu):>9}"
        )
    print(f"rows identical with 1 and 2 workers: {identical}")
    print_processes(processes, args.runs, not args.no_bytecode)
    same = all(r["same_rows"] for r in processes.values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "pages": pages,
                "rows": len(frames[1]),
                "load_average": load,
                "wall_seconds": {k: v[0] for k, v in results.items()},
                "cpu_seconds": {k: v[1] for k, v in results.items()},
                "identical": identical,
                "whole_process": processes,
            },
            indent=1,
        )
        + "\n"
    )
    return 0 if identical and same else 1


if __name__ == "__main__":
    sys.exit(main())
