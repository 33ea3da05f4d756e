"""Wall time of `kpi report` for one quarter and of `kpi audit` of its output, against a
trivial papermill run, in the same run.

The trivial run is the floor any papermill report pays: start a kernel, import pandas,
seaborn and statsmodels, draw one plot, render HTML with nbconvert. `kpi report` is timed
cold (report cache emptied first: every forecast fitted) and warm (a second run over the same
store); `kpi audit` re-ingests into a private store, re-runs the report's notebooks, compares
tables, figures and pages, and renders the audit page. Goals: report <= 3x trivial, audit
<= 2x report.

    .venv/bin/python bench/bench_report.py [--period "2022/23 Q2"] [--repeat 3] [--batch]

Runs in a scratch copy of the project; prints each time's minimum, median and maximum over the
interleaved runs, and each ratio as min over min with its pair-by-pair range.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KPI = [sys.executable, "-m", "kpi_lib.cli"]

TRIVIAL = """
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
df = pd.DataFrame({"x": range(20), "y": [i * 1.5 for i in range(20)]})
sm.OLS(df["y"], sm.add_constant(df["x"])).fit()
sns.lineplot(data=df, x="x", y="y")
"""


def trivial_run(folder: Path) -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "kpi-workbook",
        "display_name": "kpi",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(TRIVIAL)]
    src, out = folder / "trivial.ipynb", folder / "trivial_out.ipynb"
    nbformat.write(nb, src)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(src),
            str(out),
            "-k",
            "kpi-workbook",
            "--no-progress-bar",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(out)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def timed(cmd: list[str], root: Path) -> float:
    start = time.perf_counter()
    env = {**os.environ, "KPI_ROOT": str(root)}
    env.pop("KPI_PROCESSED", None)
    subprocess.run(cmd, check=True, cwd=root, capture_output=True, env=env)
    return time.perf_counter() - start


def scratch_project(dest: Path) -> Path:
    """A copy of what a run reads (raw reports, catalogue, councils, notebooks): the bench
    never writes into the checkout's outputs or empties its caches."""
    for part in ("data/raw", "data/catalog", "notebooks"):
        shutil.copytree(ROOT / part, dest / part)
    shutil.copy2(ROOT / "data" / "councils.yaml", dest / "data" / "councils.yaml")
    return dest


def spread(xs: list[float]) -> str:
    return f"min {min(xs):6.1f} s  median {statistics.median(xs):6.1f}  max {max(xs):6.1f}"


def ratios(a: list[float], b: list[float]) -> str:
    """min over min, and the ratio run by run (pair i was timed back to back), min to max."""
    pairs = [x / y for x, y in zip(a, b, strict=True)]
    return f"{min(a) / min(b):5.2f}x  (pair by pair {min(pairs):.2f}-{max(pairs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2022/23 Q2", help="the quarter with KPI tables")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of each (>= 3)")
    ap.add_argument("--batch", action="store_true", help="also time `kpi batch` over all periods")
    args = ap.parse_args()
    if args.repeat < 3:
        ap.error("--repeat must be at least 3: one or two runs cannot tell 2x from 6x")
    folder = args.period.replace("/", "-").replace(" ", "_")
    trivial, cold, warm, audits = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = scratch_project(Path(tmp) / "project")
        subprocess.run(
            [*KPI, "ingest"], check=True, cwd=root, capture_output=True,
            env={**os.environ, "KPI_ROOT": str(root)},
        )  # fmt: skip
        report = [*KPI, "report", "--period", args.period]
        audit = [*KPI, "audit", f"outputs/{folder}/manifest.json"]
        for _ in range(args.repeat):  # interleaved so machine noise hits all alike
            trivial.append(trivial_run(Path(tmp)))
            shutil.rmtree(root / "data" / "cache" / "report", ignore_errors=True)
            cold.append(timed(report, root))
            warm.append(timed(report, root))
            audits.append(timed(audit, root))
        print(f"{args.repeat} interleaved runs of each, {args.period}")
        print(f"trivial papermill+nbconvert run  : {spread(trivial)}")
        print(f"kpi report, cold cache           : {spread(cold)}")
        print(f"kpi report, warm cache           : {spread(warm)}")
        print(f"kpi audit of that report         : {spread(audits)}")
        print(f"ratio kpi report cold / trivial  : {ratios(cold, trivial)}   (goal <= 3x)")
        print(f"ratio kpi report warm / trivial  : {ratios(warm, trivial)}")
        print(f"ratio kpi audit / kpi report cold: {ratios(audits, cold)}   (goal <= 2x)")
        if args.batch:
            print(f"kpi batch (all periods, 2 workers): {timed([*KPI, 'batch'], root):6.1f} s")


if __name__ == "__main__":
    main()
