"""How long `kpi ingest` takes to answer a file of junk, by size, against ingesting a real
report of the bundled data in the same run (the baseline).

Two kinds of junk: random tab-separated text (`--shape random`), and junk shaped like KPI
tables (`--shape kpi`: real KPI headers over rows of random names and figures, the input that
once took 226 s at 1 MB and stored 13,493 rows). Junk above the per-file size limit (1 MB of
text) is refused before it is read; KPI-shaped junk is refused once it yields more than
kpi_lib.limits.MAX_KPI_ROWS rows. Each size is the minimum of --runs runs, interleaved with
the baseline's, with the spread (max/min) printed so a noisy machine shows as noise.

    .venv/bin/python bench/bench_junk.py [--shape kpi] [--sizes 125,500,990] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KPI = [sys.executable, "-m", "kpi_lib.cli"]
REAL = "2022-23_Q2/2022-23_Q2_kpi_commentary.md"


def junk_text(size: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines, n = [], 0
    while n < size:
        line = "\t".join(
            "".join(rng.choice("abcdefghij klmn0123456789%.") for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 8))
        )
        lines.append(line)
        n += len(line) + 1
    return "\n".join(lines) + "\n"


def timed_ingest(root: Path, file: Path) -> tuple[float, int, str]:
    """Seconds for `kpi ingest FILE --period ...` in a private project holding only `file`."""
    env = {**os.environ, "KPI_ROOT": str(root)}
    env.pop("KPI_PROCESSED", None)
    start = time.perf_counter()
    res = subprocess.run(
        [*KPI, "ingest", str(file), "--period", "2030/31 Q1"],
        env=env,
        capture_output=True,
        text=True,
    )
    last = (res.stderr.strip().splitlines() or [""])[-1]
    return time.perf_counter() - start, res.returncode, last


def project(tmp: Path, name: str) -> Path:
    root = tmp / name
    (root / "data" / "raw").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "catalog", root / "data" / "catalog")
    (root / "pyproject.toml").write_text("")
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=["random", "kpi"], default="random")
    ap.add_argument("--sizes", default="16,64,256", help="junk sizes in KB, below the limit")
    ap.add_argument("--over", type=int, default=2000, help="a junk size (KB) above the limit")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from test_reliability import kpi_junk  # the suite's own generator

    make = kpi_junk if args.shape == "kpi" else junk_text
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        root = project(tmp, "baseline")
        real = root / "data" / "raw" / "real.md"
        shutil.copy(ROOT / "data" / "raw" / REAL, real)
        sizes = [int(s) for s in args.sizes.split(",") if s] + [args.over]
        files = {}
        for kb in sizes:
            jroot = project(tmp, f"junk{kb}")
            junk = jroot / "data" / "raw" / "junk.txt"
            junk.write_text(make(kb * 1000, seed=kb), encoding="utf-8")
            files[kb] = (jroot, junk)
        base_times: list[float] = []
        times: dict[int, list[float]] = {kb: [] for kb in sizes}
        last: dict[int, tuple[int, str]] = {}
        for _ in range(args.runs):  # interleaved: each round times the baseline and each size
            base_times.append(timed_ingest(root, real)[0])
            for kb, (jroot, junk) in files.items():
                shutil.rmtree(jroot / "data" / "processed", ignore_errors=True)
                secs, code, line = timed_ingest(jroot, junk)
                times[kb].append(secs)
                last[kb] = (code, line)
        base = min(base_times)
        size_kb = real.stat().st_size / 1000
        print(
            f"baseline: real report ({size_kb:.0f} KB) ingested in {base:.2f} s "
            f"(min of {args.runs}, spread {max(base_times) / base:.2f}x)"
        )
        for kb in sizes:
            secs = min(times[kb])
            code, line = last[kb]
            print(
                f"{args.shape} junk {kb:>5} KB: {secs:7.2f} s = {secs / base:5.1f} x baseline "
                f"(spread {max(times[kb]) / secs:.2f}x), {secs / (kb / 1000):7.1f} s/MB, "
                f"exit {code}: {line[:90]}"
            )


if __name__ == "__main__":
    main()
