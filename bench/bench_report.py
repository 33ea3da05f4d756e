"""Wall time of `kpi report` for one quarter against a trivial papermill run, in the same run.

The trivial run is the floor any papermill report pays: start a kernel, import pandas,
seaborn and statsmodels, draw one plot, render HTML with nbconvert.

    .venv/bin/python bench/bench_report.py [--period "2022/23 Q2"] [--repeat 2] [--batch]
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default=None)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batch", action="store_true", help="also time `kpi batch` over all periods")
    args = ap.parse_args()
    subprocess.run([*KPI, "ingest"], check=True, cwd=ROOT, capture_output=True)
    report = [*KPI, "report"] + (["--period", args.period] if args.period else [])
    trivial, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved so machine noise hits both alike
            trivial.append(trivial_run(Path(tmp)))
            ours.append(timed(report))
    t, o = statistics.median(trivial), statistics.median(ours)
    print(f"trivial papermill+nbconvert run : {t:6.1f} s (median of {args.repeat})")
    print(f"kpi report (one quarter)        : {o:6.1f} s (median of {args.repeat})")
    print(f"ratio kpi report / trivial      : {o / t:6.2f}x")
    if args.batch:
        print(f"kpi batch (all periods, 2 workers): {timed([*KPI, 'batch']):6.1f} s")


if __name__ == "__main__":
    main()
