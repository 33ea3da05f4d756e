"""Real and generated quarterly series the forecaster is measured on (issue 21), each with its
natural range. bench/bench_forecast_peers.py scores them against statsforecast's models;
tests/test_forecast_real.py checks held-out coverage on them.

A  statsmodels' macrodata: 12 US quarterly series, 1959Q1-2009Q3;
B  18 other real quarterly series, copied into tests/fixtures/forecast/quarterly_b.csv from
   the datasets bundled with pmdarima 2.1.1 (ausbeer, austres, woolyrnq; wineind and
   airpassengers summed to quarters), sktime 1.2.0 (Uschange: five series) and statsmodels
   (danish_data: five series; interest_inflation: two; elnino averaged to quarters);
C  150 generated council-like histories of 24 quarters (tests/council_series.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.council_series import council_set

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "forecast" / "quarterly_b.csv"
Bounds = tuple[float | None, float | None]
# natural ranges: levels and prices at least 0, rates in percent 0-100, changes unbounded
MACRO_RANGES: dict[str, Bounds] = {
    "tbilrate": (0.0, 100.0),
    "unemp": (0.0, 100.0),
    "infl": (None, None),
    "realint": (None, None),
}
B_UNBOUNDED = ("uschange_", "interest_inflation_dp", "danish_lpy")


def data_a() -> dict[str, tuple[pd.Series, Bounds]]:
    from statsmodels.datasets import macrodata

    d = macrodata.load_pandas().data
    index = pd.period_range("1959Q1", periods=len(d), freq="Q")
    return {
        c: (pd.Series(d[c].to_numpy(float), index=index), MACRO_RANGES.get(c, (0.0, None)))
        for c in d.columns
        if c not in ("year", "quarter")
    }


def data_b() -> dict[str, tuple[pd.Series, Bounds]]:
    df = pd.read_csv(FIXTURE)
    out = {}
    for name, part in df.groupby("series", sort=True):
        s = pd.Series(part["value"].to_numpy(float), index=pd.PeriodIndex(part["period"], freq="Q"))
        bounds: Bounds = (None, None) if str(name).startswith(B_UNBOUNDED) else (0.0, None)
        out[str(name)] = (s.sort_index(), bounds)
    return out


def data_c() -> dict[str, tuple[pd.Series, Bounds]]:
    return council_set(150)
