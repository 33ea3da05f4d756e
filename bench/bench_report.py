"""Wall time of `kpi report` for one quarter and of `kpi audit` of its output, against a
trivial papermill run, in the same run.

The trivial run is the floor any papermill report pays: start a kernel, import pandas,
seaborn and statsmodels, draw one plot, render HTML with nbconvert. `kpi report` is timed
cold (report cache emptied first: every forecast fitted) and warm (a second run over the same
store); `kpi audit` re-ingests into a private store, re-runs the report's notebooks, compares
tables, figures and pages, and renders the audit page. Goals: report <= 3x trivial, audit
<= 2x report.

    .venv/bin/python bench/bench_report.py [--period "2022/23 Q2"] [--repeat 2] [--batch]
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2022/23 Q2", help="the quarter with KPI tables")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batch", action="store_true", help="also time `kpi batch` over all periods")
    args = ap.parse_args()
    subprocess.run([*KPI, "ingest"], check=True, cwd=ROOT, capture_output=True)
    report = [*KPI, "report", "--period", args.period]
    folder = args.period.replace("/", "-").replace(" ", "_")
    audit = [*KPI, "audit", f"outputs/{folder}/manifest.json"]
    trivial, cold, warm, audits = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved so machine noise hits all alike
            trivial.append(trivial_run(Path(tmp)))
            shutil.rmtree(ROOT / "data" / "cache" / "report", ignore_errors=True)
            cold.append(timed(report))
            warm.append(timed(report))
            audits.append(timed(audit))
    t, c, w, a = (statistics.median(x) for x in (trivial, cold, warm, audits))
    n = f"(median of {args.repeat})"
    print(f"trivial papermill+nbconvert run  : {t:6.1f} s {n}")
    print(f"kpi report, cold cache           : {c:6.1f} s {n}")
    print(f"kpi report, warm cache           : {w:6.1f} s {n}")
    print(f"kpi audit of that report         : {a:6.1f} s {n}")
    print(f"ratio kpi report cold / trivial  : {c / t:6.2f}x   (goal <= 3x)")
    print(f"ratio kpi report warm / trivial  : {w / t:6.2f}x")
    print(f"ratio kpi audit / kpi report cold: {a / c:6.2f}x   (goal <= 2x)")
    if args.batch:
        print(f"kpi batch (all periods, 2 workers): {timed([*KPI, 'batch']):6.1f} s")


if __name__ == "__main__":
    main()
