"""Our forecaster against the standard open-source ones, on the same rolling windows.

Data (issue 21):
  A  statsmodels' macrodata: 12 US quarterly series, 1959Q1-2009Q3;
  B  18 other real quarterly series (tests/fixtures/forecast/quarterly_b.csv: Australian beer,
     residents and woollen yarn, wine sales and air passengers summed to quarters (pmdarima),
     the five US change series (sktime), Danish money demand and interest/inflation
     (statsmodels), El Nino averaged to quarters (statsmodels));
  C  generated council-like gappy series (tests/council_series.py: counts with closures at
     zero, shares, rates), 150 histories of 24 quarters.
Windows: the last L points before an origin (L = 6, 8, 12, 32), a new origin every year (4
quarters), horizons 1-4; every method sees the same windows, inside the series' natural range
(forecasts and intervals of every method clipped to it).
Peers (bench-only extra `pip install -e '.[bench]'`): statsforecast's AutoETS, AutoTheta,
AutoARIMA (season length 4), Naive, RandomWalkWithDrift, "Combo" (the M4 equal-weight mean of
the first three; its interval the mean of their bounds) and statsmodels' damped ETS (holtwinters,
point forecast only).
Ours is calibrated out of sample: A is scored with intervals calibrated on B and C, B with A
and C, C with A and B (`kpi_lib.analysis.calibration`); `--code DIR` runs another checkout's
kpi_lib instead (main's method, which has no calibration to pass).

Printed per data set and length: our MAE ratio to naive (geometric mean over windows of the
window's MAE over naive's), the best peer's, our 80%/95% coverage, our 95% interval score
(mean scaled interval score, MSIS, scaled by the window's in-sample naive MAE) and the best
peer's.

    .venv/bin/python bench/bench_forecast_peers.py [--code /work/main] [--quick] [--json F]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.forecast_data import data_a, data_b, data_c  # noqa: E402

H = 4
LENGTHS = (6, 8, 12, 32)
STEP = 4  # a new origin every year
LEVELS = (80, 95)
PEERS = ("AutoETS", "AutoTheta", "AutoARIMA", "Naive", "RWD", "Combo", "DampedETS")


CAL_SOURCE = (
    "bench/bench_forecast_peers.py data sets A (statsmodels macrodata, 12 series), B (18 real "
    "quarterly series, tests/fixtures/forecast/quarterly_b.csv) and C (150 generated council-like "
    "series, tests/council_series.py)"
)


@dataclass
class Window:
    key: str
    hist: pd.Series  # may hold NaN (gappy council series)
    future: np.ndarray  # H values, NaN where missing
    lower: float | None
    upper: float | None


DATA = {"A": data_a, "B": data_b, "C": data_c}  # tests/forecast_data.py


def windows(
    data: dict[str, tuple[pd.Series, tuple[float | None, float | None]]], length: int
) -> list[Window]:
    out = []
    for name, (s, (lo, hi)) in data.items():
        for t in range(length, len(s) - H + 1, STEP):
            hist = s.iloc[t - length : t]
            if hist.notna().sum() < 3 or np.isnan(hist.iloc[-1]):
                continue
            out.append(Window(f"{name}@{s.index[t]}", hist, s.iloc[t : t + H].to_numpy(), lo, hi))
    return out


# --- the methods -----------------------------------------------------------------------------
def _clip(x: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def peers(ws: list[Window]) -> dict[str, np.ndarray]:
    """method -> (windows x H x 5): mean, lo80, hi80, lo95, hi95 (NaN: no interval)."""
    from statsforecast import StatsForecast
    from statsforecast.models import (
        AutoARIMA,
        AutoETS,
        AutoTheta,
        Naive,
        RandomWalkWithDrift,
    )
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    rows = []
    for i, w in enumerate(ws):
        y = w.hist.interpolate(limit_direction="both").to_numpy()
        ds = np.arange(len(y))
        rows.append(pd.DataFrame({"unique_id": i, "ds": ds, "y": y}))
    df = pd.concat(rows, ignore_index=True)
    models = [
        AutoETS(season_length=4),
        AutoTheta(season_length=4),
        AutoARIMA(season_length=4),
        Naive(),
        RandomWalkWithDrift(alias="RWD"),
    ]
    sf = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=df, h=H, level=list(LEVELS))
    fc = fc.sort_values(["unique_id", "ds"])
    out = {}
    for name in ("AutoETS", "AutoTheta", "AutoARIMA", "Naive", "RWD"):
        cols = [name, f"{name}-lo-80", f"{name}-hi-80", f"{name}-lo-95", f"{name}-hi-95"]
        out[name] = fc[cols].to_numpy(float).reshape(len(ws), H, 5)
    out["Combo"] = np.mean([out[k] for k in ("AutoETS", "AutoTheta", "AutoARIMA")], axis=0)
    damped = np.full((len(ws), H, 5), np.nan)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i, w in enumerate(ws):
            y = w.hist.interpolate(limit_direction="both").to_numpy()
            try:
                res = ExponentialSmoothing(y, trend="add", damped_trend=True).fit()
                damped[i, :, 0] = res.forecast(H)
            except (ValueError, np.linalg.LinAlgError):
                damped[i, :, 0] = y[-1]
            if not np.isfinite(damped[i, :, 0]).all():
                damped[i, :, 0] = y[-1]
    out["DampedETS"] = damped
    for v in out.values():
        for i, w in enumerate(ws):
            v[i] = _clip(v[i], w.lower, w.upper)
    return out


def cached_peers(ws: list[Window], tag: str) -> dict[str, np.ndarray]:
    """peers(ws), kept in bench/results/peers_<tag>.npz (the windows' keys must match): the
    peers do not change between a before and an after run."""
    path = ROOT / "bench" / "results" / f"peers_{tag}.npz"
    keys = np.array([w.key for w in ws])
    if path.is_file():
        z = np.load(path)
        if np.array_equal(z["keys"], keys):
            return {k: z[k] for k in PEERS}
    out = peers(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=keys, **out)
    return out


def ours(ws: list[Window], calibration=None) -> np.ndarray:
    from kpi_lib.analysis.forecast import forecast

    takes = "calibration" in inspect.signature(forecast).parameters
    out = np.empty((len(ws), H, 5))
    for i, w in enumerate(ws):
        kw = {"calibration": calibration} if takes and calibration is not None else {}
        r = forecast(w.hist, horizon=H, seed=i, lower=w.lower, upper=w.upper, **kw)
        f = r.frame()[["mean", "lower", "upper", "lower95", "upper95"]].to_numpy(float)
        out[i] = f
    return out


# --- the scores ------------------------------------------------------------------------------
def scores(ws: list[Window], fc: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    fut = np.array([w.future for w in ws])
    scale = np.array([_naive_mae(w.hist) for w in ws])
    naive_mae = np.nanmean(np.abs(fut - fc["Naive"][:, :, 0]), axis=1)
    ok = np.isfinite(naive_mae) & (naive_mae > 0)
    out = {}
    for name, f in fc.items():
        mae = np.nanmean(np.abs(fut - f[:, :, 0]), axis=1)
        ratio = np.clip(mae[ok] / naive_mae[ok], 1e-3, 1e3)
        row = {"mae_ratio": float(np.exp(np.mean(np.log(ratio))))}
        if np.isfinite(f[:, :, 1:]).all():
            seen = np.isfinite(fut)
            in80 = (f[:, :, 1] <= fut) & (fut <= f[:, :, 2])
            in95 = (f[:, :, 3] <= fut) & (fut <= f[:, :, 4])
            row["cover80"] = float(in80[seen].mean())
            row["cover95"] = float(in95[seen].mean())
            lo, hi = f[:, :, 3], f[:, :, 4]
            a = 0.05
            score = (hi - lo) + 2 / a * np.maximum(lo - fut, 0) + 2 / a * np.maximum(fut - hi, 0)
            row["msis"] = float(np.nanmean(score / scale[:, None]))
            row["width95"] = float(np.nanmean((hi - lo) / scale[:, None]))
            naive_w = fc["Naive"][:, :, 4] - fc["Naive"][:, :, 3]
            with np.errstate(all="ignore"):
                wr = (hi - lo) / naive_w
            row["width95_vs_naive_max"] = float(np.nanmax(wr[np.isfinite(wr)]))
            row["width95_vs_naive_mean"] = float(np.nanmean(wr[np.isfinite(wr)]))
            row["cover80_h4"] = float(in80[:, -1][seen[:, -1]].mean())
        out[name] = row
    return out


def _naive_mae(hist: pd.Series) -> float:
    y = hist.interpolate(limit_direction="both").to_numpy()
    d = np.abs(np.diff(y))
    m = float(np.mean(d)) if len(d) else 0.0
    return m if m > 0 else max(1e-9, 0.01 * abs(float(y[-1])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", help="run the kpi_lib of this checkout (e.g. /work/main)")
    ap.add_argument("--quick", action="store_true", help="every third window only")
    ap.add_argument("--sets", default="ABC")
    ap.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    ap.add_argument(
        "--write-calibration",
        action="store_true",
        help="calibrate on A, B and C and write kpi_lib/analysis/calibration_table.py",
    )
    ap.add_argument("--cal-lengths", help="window lengths to calibrate on (smoke runs)")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "bench_forecast_peers.json"))
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.code).resolve() if args.code else ROOT))
    import kpi_lib

    print(f"kpi_lib from {Path(kpi_lib.__file__).parent}")
    try:
        from kpi_lib.analysis import calibrate
        from kpi_lib.analysis import calibration as cal
    except ImportError:
        cal = None
    lengths = [int(x) for x in args.lengths.split(",")]
    data = {k: DATA[k]() for k in "ABC"}
    errors = {}
    if cal is not None and not args.code:
        for k in "ABC":
            t0 = time.perf_counter()
            cl = (
                tuple(map(int, args.cal_lengths.split(",")))
                if args.cal_lengths
                else cal.CAL_LENGTHS
            )
            errors[k] = calibrate.collect_errors(data[k], cl)
            n = sum(map(len, errors[k].values()))
            print(f"{k}: {n} calibration errors in {time.perf_counter() - t0:.0f}s", flush=True)
    if args.write_calibration:
        table = cal.from_errors(cal.merged(*errors.values()), source=CAL_SOURCE)
        path = ROOT / "kpi_lib" / "analysis" / "calibration_table.py"
        path.write_text(cal.as_python(table))
        print(f"wrote {path.relative_to(ROOT)}: {int(table.counts.sum())} errors")
    results = {}
    header = (
        f"{'data':<5}{'L':>3}{'wins':>6}  {'ours':>6}  {'best peer (MAE)':<18}"
        f"{'80%':>6}{'95%':>6}{'h4 80%':>7}  {'MSIS':>6}  {'best peer (MSIS)':<18}{'w/naive':>8}"
        f"{'sec':>6}"
    )
    print(header)
    for name in args.sets:
        others = {k: v for k, v in data.items() if k != name and k in "ABC"}
        table = None
        if errors:
            others = [k for k in "ABC" if k != name]
            table = cal.from_errors(cal.merged(*(errors[k] for k in others)))
            print(f"{name}: intervals calibrated on {'+'.join(others)} only", flush=True)
        for length in lengths:
            ws = windows(data[name], length)
            if args.quick:
                ws = ws[::3]
            if not ws:
                continue
            t0 = time.perf_counter()
            fc = {"ours": ours(ws, table)}
            secs = time.perf_counter() - t0
            fc.update(cached_peers(ws, f"{name}{length}{'q' if args.quick else ''}"))
            sc = scores(ws, fc)
            results[f"{name}{length}"] = {"windows": len(ws), "ours_seconds": secs, **sc}
            o = sc["ours"]
            best = min((k for k in PEERS), key=lambda k: sc[k]["mae_ratio"])
            with_pi = [k for k in PEERS if "msis" in sc[k]]
            best_pi = min(with_pi, key=lambda k: sc[k]["msis"])
            peer = f"{best} {sc[best]['mae_ratio']:.3f}"
            peer_pi = f"{best_pi} {sc[best_pi]['msis']:.2f}"
            print(
                f"{name:<5}{length:>3}{len(ws):>6}  {o['mae_ratio']:>6.3f}  {peer:<18}"
                f"{o['cover80']:>6.1%}{o['cover95']:>6.1%}{o['cover80_h4']:>7.1%}  "
                f"{o['msis']:>6.2f}  {peer_pi:<18}"
                f"{o['width95_vs_naive_mean']:>8.2f}{secs:>6.1f}",
                flush=True,
            )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
