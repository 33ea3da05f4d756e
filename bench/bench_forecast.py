"""Forecast throughput against a plain statsmodels ETS loop, in the same run.

Generates --n seeded synthetic quarterly series of 20-40 points (a mix of level, trend,
seasonal and random walk, the generator of tests/test_forecast.py), holds out the last 4
points of each, and times:
  ours       analysis.forecast.forecast_many: the fixed damped ETS + ARIMA(1,1,0) combination,
             intervals from the shipped out-of-sample calibration (--workers processes)
  baseline   ExponentialSmoothing(trend="add", damped_trend=True).fit().forecast(4) per
             series, one process: the cheapest "fit one model" loop
Prints series per second, CPU seconds (incl. worker processes) and the ratio, plus what the
extra time buys on the held-out points (MASE of both, coverage of our intervals). Then the
real-data experiment of tests/test_forecast_real.py (statsmodels' macrodata, 8-year
windows, rolling origins, intervals calibrated on other series only: interval coverage, MASE
relative to naive, damped ETS, Theta and drift; bench/bench_forecast_peers.py compares with
statsforecast's models), and, if data/processed exists, times forecasting every KPI in the
store inside its natural range. Writes bench/results/bench_forecast.json.

    .venv/bin/python bench/bench_forecast.py [--n 1000] [--workers 1|2] [--horizon 4]
"""

from __future__ import annotations

import os

# Tiny optimisation problems: BLAS threads only add contention (both sides get the same).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: E402

from kpi_lib.analysis.forecast import forecast_many  # noqa: E402
from tests.test_forecast import KINDS, make_series, quarterly  # noqa: E402
from tests.test_forecast_real import macro_experiment, summarise  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def synthetic(n: int, horizon: int, seed: int = 0) -> tuple[dict[str, pd.Series], dict]:
    rng = np.random.default_rng(seed)
    series, future = {}, {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        length = int(rng.integers(20, 41))
        y = make_series(rng, kind, length + horizon)
        key = f"{kind}-{i:04d}"
        series[key] = quarterly(y[:length])
        future[key] = y[length:]
    return series, future


def baseline(series: dict[str, pd.Series], horizon: int) -> dict[str, np.ndarray]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, s in series.items():
            y = s.to_numpy()
            res = ExponentialSmoothing(y, trend="add", damped_trend=True).fit()
            out[key] = np.asarray(res.forecast(horizon))
    return out


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), _cpu()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - w0, _cpu() - c0


def mase(actual: np.ndarray, pred: np.ndarray, history: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - pred)) / np.mean(np.abs(np.diff(history))))


def store_kpis(horizon: int) -> dict | None:
    """Forecast every KPI in data/processed through the Kpi view (its natural range from the
    catalogue's unit), one process; None when there is no store."""
    if not (ROOT / "data" / "processed" / "observations.parquet").is_file():
        return None
    os.environ.setdefault("KPI_ROOT", str(ROOT))
    from kpi_lib.analysis.kpi import Kpi
    from kpi_lib.store.snapshot import Store

    t0 = time.perf_counter()
    snapshot = Store.load()
    ids = sorted(snapshot.observations["kpi_id"].dropna().unique())
    load_s = time.perf_counter() - t0

    def run() -> dict:
        return {k: Kpi(snapshot, k).forecast_or_none(horizon) for k in ids}

    results, wall, cpu = timed(run)
    done = [r for r in results.values() if r is not None]
    fitted = sum(not r.insufficient_history for r in done)
    return {
        "kpis": len(ids),
        "with_quarterly_values": len(done),
        "fitted": fitted,
        "insufficient_history": len(done) - fitted,
        "bounded": sum(r.scale != "identity" for r in done),
        "with_p_meet_target": sum(r.p_meet_target is not None for r in done),
        "load_s": round(load_s, 3),
        "forecast_wall_s": round(wall, 3),
        "forecast_cpu_s": round(cpu, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--workers", type=int, choices=[1, 2], default=1)
    ap.add_argument("--horizon", type=int, default=4)
    args = ap.parse_args()
    h = args.horizon

    series, future = synthetic(args.n, h)
    ours, o_wall, o_cpu = timed(forecast_many, series, workers=args.workers, horizon=h)
    base, b_wall, b_cpu = timed(baseline, series, h)

    rows = []
    for key, s in series.items():
        hist, fut, r = s.to_numpy(), future[key], ours[key]
        rows.append(
            {
                "kind": key.split("-")[0],
                "ours": mase(fut, r.mean.to_numpy(), hist),
                "ets": mase(fut, base[key], hist),
                "naive": mase(fut, np.full(h, hist[-1]), hist),
                "c80": np.mean((r.lower.to_numpy() <= fut) & (fut <= r.upper.to_numpy())),
                "c95": np.mean((r.lower95.to_numpy() <= fut) & (fut <= r.upper95.to_numpy())),
            }
        )
    acc = pd.DataFrame(rows)
    by_kind = acc.groupby("kind")[["ours", "ets", "naive", "c80", "c95"]].mean()
    by_kind.loc["all"] = acc[["ours", "ets", "naive", "c80", "c95"]].mean()

    load = os.getloadavg()[0]
    print(f"{args.n} series of 20-40 quarters, horizon {h}; cpus={os.cpu_count()}, load {load:.1f}")
    print(f"{'variant':<44}{'wall s':>8}{'series/s':>10}{'cpu s':>8}")
    name = f"forecast_many, workers={args.workers}"
    print(f"{name:<44}{o_wall:>8.2f}{args.n / o_wall:>10.1f}{o_cpu:>8.2f}")
    name = "statsmodels damped ETS fit+forecast loop"
    print(f"{name:<44}{b_wall:>8.2f}{args.n / b_wall:>10.1f}{b_cpu:>8.2f}")
    print(f"ratio (ours / baseline): wall {o_wall / b_wall:.1f}x, cpu {o_cpu / b_cpu:.1f}x")
    print("held-out accuracy (MASE, lower is better) and our interval coverage (per point):")
    print(by_kind.round(3).to_string())

    real_df, r_wall, _ = timed(macro_experiment)
    real = {k: round(v, 4) for k, v in summarise(real_df).items()}
    real["in_range"] = bool(real_df["in_range"].all())
    print(
        f"real data (statsmodels macrodata, 12 series, 8-year windows, {real['forecasts']} "
        f"origins x 4 quarters, {r_wall:.1f}s):"
    )
    print(
        f"  80% interval covers {real['cover80']:.1%} (step 1 {real['cover80_h1']:.1%}, "
        f"step 4 {real['cover80_hlast']:.1%}); 95% covers {real['cover95']:.1%}; "
        f"all inside the natural range: {real['in_range']}"
    )
    print(
        "  MASE relative to naive: ours {ratio_ours:.3f}, damped ETS {ratio_damped:.3f}, "
        "Theta {ratio_theta:.3f}, drift {ratio_drift:.3f}".format(**real)
    )

    store = store_kpis(h)
    if store is None:
        print("store: data/processed missing, skipped (run `kpi ingest`)")
    else:
        print(
            f"store: {store['with_quarterly_values']} of {store['kpis']} KPIs with quarterly "
            f"values forecast in {store['forecast_wall_s']:.2f}s wall "
            f"({store['fitted']} fitted, {store['insufficient_history']} insufficient history, "
            f"{store['bounded']} on a bounded scale, {store['with_p_meet_target']} with a "
            "P(meet target))"
        )

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "n": args.n,
        "workers": args.workers,
        "horizon": h,
        "load_average": round(load, 2),
        "ours": {"wall_s": round(o_wall, 3), "cpu_s": round(o_cpu, 3)},
        "baseline": {"wall_s": round(b_wall, 3), "cpu_s": round(b_cpu, 3)},
        "ratio_wall": round(o_wall / b_wall, 2),
        "accuracy": by_kind.round(4).reset_index().to_dict(orient="records"),
        "real_data": real,
        "store": store,
    }
    (out / "bench_forecast.json").write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
