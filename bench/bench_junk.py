"""How long `kpi ingest` takes to answer a file of random tab-separated junk, by size, against
ingesting a real report of the bundled data in the same run (the baseline).

Junk above the per-file size limit (1 MB of text) is refused before it is read; below it the
time is the readers' (header matching), reported per MB so growth is visible.

    .venv/bin/python bench/bench_junk.py [--sizes 16,64,256] [--over 2000]   # sizes in KB
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
    ap.add_argument("--sizes", default="16,64,256", help="junk sizes in KB, below the limit")
    ap.add_argument("--over", type=int, default=2000, help="a junk size (KB) above the limit")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        root = project(tmp, "baseline")
        real = root / "data" / "raw" / "real.md"
        shutil.copy(ROOT / "data" / "raw" / REAL, real)
        base, code, _ = timed_ingest(root, real)
        size_kb = real.stat().st_size / 1000
        print(f"baseline: real report ({size_kb:.0f} KB) ingested in {base:.2f} s (exit {code})")
        sizes = [int(s) for s in args.sizes.split(",") if s] + [args.over]
        for kb in sizes:
            root = project(tmp, f"junk{kb}")
            junk = root / "data" / "raw" / "junk.txt"
            junk.write_text(junk_text(kb * 1000, seed=kb), encoding="utf-8")
            secs, code, last = timed_ingest(root, junk)
            print(
                f"junk {kb:>5} KB: {secs:7.2f} s = {secs / base:5.1f} x baseline, "
                f"{secs / (kb / 1000):7.1f} s/MB, exit {code}: {last[:90]}"
            )


if __name__ == "__main__":
    main()
