"""Time to forecast every KPI in the bundled store (what a report build pays for forecasts),
this checkout's kpi_lib against another's (`--baseline DIR`, e.g. a `git archive` of main's
kpi_lib), interleaved runs in fresh processes, min of `--runs`, with the spread.

    .venv/bin/python bench/bench_forecast_store.py --baseline /tmp/base [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from kpi_lib.analysis.kpi import Kpi
from kpi_lib.store.snapshot import Store
store = Store.load()
ids = sorted(store.observations["kpi_id"].dropna().unique())
t = time.perf_counter()
done = [Kpi(store, k).forecast_or_none(4) for k in ids]
print(time.perf_counter() - t, sum(r is not None for r in done))
"""


def run(code: Path) -> tuple[float, int]:
    env = dict(os.environ, KPI_ROOT=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(code)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="a directory holding another kpi_lib")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    counts = {}
    for _ in range(args.runs):
        for name, code in (("baseline", Path(args.baseline)), ("this", ROOT)):
            secs, n = run(code.resolve())
            times[name].append(secs)
            counts[name] = n
    for name, ts in times.items():
        print(
            f"{name:<9} {counts[name]} forecasts: min {min(ts):.2f}s "
            f"(runs {', '.join(f'{t:.2f}' for t in ts)})"
        )
    print(f"ratio this/baseline (min): {min(times['this']) / min(times['baseline']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
