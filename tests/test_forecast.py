"""Forecasts on seeded synthetic series with known behaviour: model choice against naive,
interval coverage, target probabilities, short and gappy series, determinism, the CLI."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from kpi_lib.analysis.backtest import fit_model, hw_mean, is_seasonal, quiet_fits
from kpi_lib.analysis.forecast import (
    LEVEL_MEMBERS,
    TREND_MEMBERS,
    ForecastResult,
    forecast,
    forecast_many,
)
from kpi_lib.cli import main
from kpi_lib.errors import UsageError
from kpi_lib.periods import fiscal_to_period, period_to_fiscal, series_to_quarterly
from kpi_lib.store import schemas

ROOT = Path(__file__).resolve().parents[1]
H = 4


# --- synthetic series (bench/bench_forecast.py uses the same generator) ------------------------
def ets_path(
    rng: np.random.Generator,
    n: int,
    alpha: float,
    beta: float = 0.0,
    slope: float = 0.0,
    season: np.ndarray | None = None,
    sigma: float = 1.0,
    level: float = 50.0,
) -> np.ndarray:
    """An additive ETS(A,A,N) / ETS(A,N,A)-like path in error-correction form."""
    out = np.empty(n)
    for t in range(n):
        e = rng.normal(0.0, sigma)
        s = 0.0 if season is None else season[t % len(season)]
        out[t] = level + slope + s + e
        level, slope = level + slope + alpha * e, slope + alpha * beta * e
    return out


def make_series(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """level: ETS(A,N,N) with small alpha; trend: ETS(A,A,N); seasonal: level plus a fixed
    quarterly pattern; rw: a random walk."""
    if kind == "level":
        return ets_path(rng, n, alpha=rng.uniform(0.05, 0.3))
    if kind == "trend":
        slope = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)
        return ets_path(rng, n, alpha=rng.uniform(0.1, 0.4), beta=0.1, slope=slope)
    if kind == "seasonal":
        season = rng.uniform(1.5, 3.0) * np.array([1.0, 0.0, -1.0, 0.0])
        return ets_path(rng, n, alpha=rng.uniform(0.05, 0.3), season=season)
    if kind == "rw":
        return 50.0 + np.cumsum(rng.normal(size=n))
    raise ValueError(kind)


def quarterly(values: np.ndarray | list[float], start: str = "2015Q1") -> pd.Series:
    return pd.Series(
        np.asarray(values, dtype=float), index=pd.period_range(start, periods=len(values), freq="Q")
    )


def mase(actual: np.ndarray, pred: np.ndarray, history: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - pred)) / np.mean(np.abs(np.diff(history))))


# --- one shared experiment: 240 series, forecast from all but the last H points ----------------
KINDS = ("level", "trend", "seasonal", "rw")


@pytest.fixture(scope="module")
def experiment() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    rows = []
    for i in range(240):
        kind = KINDS[i % len(KINDS)]
        n = int(rng.integers(20, 41))
        y = make_series(rng, kind, n + H)
        hist, future = y[:n], y[n:]
        r = forecast(quarterly(hist), horizon=H, seed=i, n_paths=1000)
        lo, up = r.lower.to_numpy(), r.upper.to_numpy()
        lo95, up95 = r.lower95.to_numpy(), r.upper95.to_numpy()
        inside80 = (lo <= future) & (future <= up)
        inside95 = (lo95 <= future) & (future <= up95)
        rows.append(
            {
                "kind": kind,
                "model": r.model,
                "mase": mase(future, r.mean.to_numpy(), hist),
                "mase_naive": mase(future, np.full(H, hist[-1]), hist),
                "c80_1": inside80[0],
                "c80_h": inside80[-1],
                "c95_1": inside95[0],
                "c95_h": inside95[-1],
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("column", "nominal"), [("c80_1", 0.80), ("c80_h", 0.80), ("c95_1", 0.95), ("c95_h", 0.95)]
)
def test_interval_coverage_never_short_of_nominal(
    experiment: pd.DataFrame, column: str, nominal: float
) -> None:
    """The intervals are calibrated on real series (kpi_lib.analysis.calibration), whose misses
    grow faster with the step than these Gaussian toy series': here they may err wide, never
    narrow (real-data coverage: tests/test_forecast_real.py)."""
    assert nominal - 0.05 <= experiment[column].mean() <= min(1.0, nominal + 0.15)


# trend 0.65: the fixed combination (damped + ARIMA(1,1,0)) gives 0.63 on these toy trends,
# where the old pick-one-by-backtest gave under 0.6; on real series it is ahead (the bench)
@pytest.mark.parametrize(("kind", "ratio"), [("level", 0.9), ("trend", 0.65)])
def test_chosen_model_beats_naive_on_ets_series(
    experiment: pd.DataFrame, kind: str, ratio: float
) -> None:
    part = experiment[experiment["kind"] == kind]
    assert part["mase"].mean() <= ratio * part["mase_naive"].mean()
    assert (part["model"] != "naive").mean() > 0.8


def test_chosen_model_never_loses_badly_on_random_walks(experiment: pd.DataFrame) -> None:
    part = experiment[experiment["kind"] == "rw"]
    assert part["mase"].mean() <= 1.1 * part["mase_naive"].mean()


def test_seasonal_series_use_seasonal_models(experiment: pd.DataFrame) -> None:
    part = experiment[experiment["kind"] == "seasonal"]
    assert part["mase"].mean() <= 0.7 * part["mase_naive"].mean()


# --- shape, determinism ------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "horizon"), [("level", 4), ("trend", 6), ("seasonal", 1)])
def test_result_shape_and_order(kind: str, horizon: int) -> None:
    s = quarterly(make_series(np.random.default_rng(1), kind, 30), start="2016Q2")
    r = forecast(s, horizon=horizon)
    expected = pd.period_range("2023Q4", periods=horizon, freq="Q")
    for part in (r.mean, r.lower, r.upper, r.lower95, r.upper95):
        assert len(part) == horizon
        assert part.index.equals(expected)
    assert (r.lower95 <= r.lower).all() and (r.lower <= r.mean).all()
    assert (r.mean <= r.upper).all() and (r.upper <= r.upper95).all()
    assert r.paths is None and not r.insufficient_history and r.n_obs == 30
    # a fixed combination (one of two families), never a pick from a backtest
    assert r.model in ("+".join(TREND_MEMBERS), "+".join(LEVEL_MEMBERS))
    json.dumps(r.to_dict())  # JSON-friendly
    assert r.model in r.summary()


def test_same_numbers_every_run_and_seed_matters() -> None:
    s = quarterly(make_series(np.random.default_rng(7), "trend", 28))
    a = forecast(s, target=60.0, seed=3, keep_paths=True)
    b = forecast(s, target=60.0, seed=3, keep_paths=True)
    assert a.paths is not None and b.paths is not None
    assert np.array_equal(a.paths, b.paths)
    assert a.to_dict() == b.to_dict()
    assert a.backtest.equals(b.backtest)
    c = forecast(s, target=60.0, seed=4, keep_paths=True)
    assert not np.array_equal(a.paths, c.paths)


def test_forecast_many_with_two_workers_equals_serial() -> None:
    rng = np.random.default_rng(11)
    data = {f"k{i}": quarterly(make_series(rng, KINDS[i % 4], 24)) for i in range(6)}
    data["short"] = quarterly([3.0, 4.0, 3.5])
    serial = forecast_many(data, workers=1, target=50.0)
    pooled = forecast_many(data, workers=2, target=50.0)
    assert list(serial) == list(data) == list(pooled)
    for key in data:
        assert serial[key].to_dict() == pooled[key].to_dict()
        assert serial[key].to_dict() == forecast(data[key], target=50.0).to_dict()


# --- targets -----------------------------------------------------------------------------------
def test_p_meet_target_follows_distance_and_polarity() -> None:
    rng = np.random.default_rng(5)
    s = quarterly(ets_path(rng, 30, alpha=0.2, sigma=1.0))  # hovers around 50
    assert forecast(s, target=30.0, polarity="High").p_meet_target > 0.95
    assert forecast(s, target=70.0, polarity="High").p_meet_target < 0.05
    assert forecast(s, target=30.0, polarity="Low").p_meet_target < 0.05
    assert forecast(s, target=70.0, polarity="low").p_meet_target > 0.95
    mid = float(s.iloc[-1])
    high = forecast(s, target=mid, polarity="High").p_meet_target
    low = forecast(s, target=mid, polarity="Low").p_meet_target
    assert high + low == pytest.approx(1.0)
    assert forecast(s).p_meet_target is None


def test_year_end_beyond_the_horizon_is_simulated() -> None:
    s = quarterly(ets_path(np.random.default_rng(8), 30, alpha=0.2, slope=1.0, sigma=0.5))
    r4 = forecast(s, horizon=4, target=0.0)
    target = float(r4.mean.iloc[-1]) + 2.0  # above the 4-step forecast, rising series
    at4 = forecast(s, horizon=4, target=target)
    at8 = forecast(s, horizon=4, target=target, year_end=s.index[-1] + 8)
    assert at4.target_period == s.index[-1] + 4 and at8.target_period == s.index[-1] + 8
    assert len(at8.mean) == 4
    assert at8.p_meet_target > at4.p_meet_target + 0.2
    annual_end = pd.Period("2024", freq="Y")  # another frequency: its last quarter
    assert forecast(s, target=target, year_end=annual_end).target_period == pd.Period("2024Q4")


# --- short and gappy series --------------------------------------------------------------------
def test_short_series_get_a_shrunk_blend_and_wider_intervals_than_a_fit() -> None:
    rng = np.random.default_rng(9)
    short_w, long_w = [], []
    for _ in range(10):
        y = ets_path(rng, 30, alpha=0.2)
        full = forecast(quarterly(y))
        short = forecast(quarterly(y[-5:]))
        assert short.insufficient_history
        assert short.model in ("drift+arima110", "+".join(LEVEL_MEMBERS) + "+snaive")
        assert not full.insufficient_history
        two = forecast(quarterly(y[-2:]))  # two figures: the last carried on
        assert two.model == "naive" and (two.mean == y[-1]).all()
        short_w.append((short.upper95 - short.lower95).iloc[0])
        long_w.append((full.upper95 - full.lower95).iloc[0])
    assert np.mean(short_w) > np.mean(long_w)  # calibrated: wider, not by a rule of thumb


def test_short_series_give_no_probability_but_finite_intervals() -> None:
    s = quarterly([50.0, 51.0, 50.5])
    near = forecast(s, target=50.5, polarity="High")
    assert near.insufficient_history and near.p_meet_target is None
    assert any("short history" in n for n in near.notes)
    one = forecast(quarterly([40.0]), target=41.0)
    assert one.insufficient_history and one.p_meet_target is None
    assert np.isfinite(one.upper95).all() and (one.upper95 - one.lower95 > 0).all()
    flat = forecast(quarterly([7.0, 7.0, 7.0, 7.0]))
    assert (flat.upper - flat.lower > 0).all()  # never a confident line


def test_inner_gaps_are_interpolated_and_counted() -> None:
    y = make_series(np.random.default_rng(3), "level", 20)
    s = quarterly(np.concatenate([[np.nan], y, [np.nan, np.nan]]))
    s.iloc[5] = np.nan
    s.iloc[9] = np.nan
    r = forecast(s)
    assert r.n_obs == 18 and not r.insufficient_history
    assert r.last_period == s.index[-3]
    assert any("interpolated 2 missing" in note for note in r.notes)
    dropped = s.drop(s.index[[5, 9]])  # a missing period is a gap, like a NaN
    assert forecast(dropped).to_dict() == r.to_dict()


def test_mostly_missing_series_is_insufficient() -> None:
    y = make_series(np.random.default_rng(4), "level", 30)
    s = quarterly(y)
    s.iloc[1:-1:3] = np.nan  # a third of the span missing
    r = forecast(s)
    assert r.insufficient_history and r.n_obs == 20 and r.p_meet_target is None


@pytest.mark.parametrize(
    "call",
    [
        lambda: forecast(quarterly([np.nan, np.nan])),
        lambda: forecast(pd.Series([1.0, 2.0, 3.0])),
        lambda: forecast(quarterly([1.0, 2.0]), target=1.0, polarity="Other"),
        lambda: forecast(quarterly(np.arange(10.0)), year_end=pd.Period("2015Q4")),
        lambda: forecast(quarterly(np.arange(10.0)), horizon=0),
        lambda: forecast(quarterly([1.0, np.inf, 2.0])),
        lambda: forecast(
            pd.Series([1.0, 2.0], index=pd.PeriodIndex(["2020Q1", "2020Q1"], freq="Q"))
        ),
        lambda: forecast(quarterly(np.arange(10.0)), target=1.0, year_end="not a period"),
        lambda: forecast(quarterly(np.arange(10.0)), horizon="four"),
        lambda: forecast(quarterly(np.arange(10.0)), target=float("nan")),
        # minutes are not months
        lambda: forecast(
            pd.Series(np.arange(10.0), pd.period_range("2020", periods=10, freq="min"))
        ),
    ],
)
def test_bad_input_is_a_usage_error(call) -> None:
    with pytest.raises(UsageError):
        call()


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 5.0, np.nan])), min_size=1,
        max_size=40,
    ),
    freq=st.sampled_from(["Q", "M", "Y"]),
    horizon=st.integers(1, 12),
    target=st.one_of(st.none(), st.floats(-10.0, 10.0)),
)  # fmt: skip
def test_forecast_never_raises_and_its_intervals_are_ordered(
    values: list[float], freq: str, horizon: int, target: float | None
) -> None:
    s = pd.Series(values, index=pd.period_range("2015-01", periods=len(values), freq=freq))
    if s.isna().all():
        with pytest.raises(UsageError):
            forecast(s)
        return
    r = forecast(s, horizon=horizon, target=target, n_paths=100)
    f = r.frame()
    assert len(f) == horizon and np.isfinite(f.to_numpy()).all()
    assert f.index[0] == s.dropna().index[-1] + 1  # a trailing NaN period is forecast
    tol = 1e-9 * (1.0 + float(np.abs(f.to_numpy()).max()))
    for inner, outer in (("lower95", "lower"), ("lower", "mean"), ("mean", "upper"),
                         ("upper", "upper95")):  # fmt: skip
        assert (f[inner] <= f[outer] + tol).all(), (inner, outer, f)
    if target is None or r.insufficient_history:  # too short to backtest: no probability
        assert r.p_meet_target is None
    else:
        assert 0.0 <= r.p_meet_target <= 1.0  # type: ignore[operator]


# --- frequencies and seasonality ---------------------------------------------------------------
def test_frequencies_set_the_seasonal_period() -> None:
    rng = np.random.default_rng(12)
    months = pd.period_range("2019-01", periods=48, freq="M")
    monthly = pd.Series(100 + 6 * np.sin(np.arange(48) * np.pi / 6) + rng.normal(size=48), months)
    r = forecast(monthly, horizon=6)
    assert r.seasonal_period == 12 and r.seasonal
    years = pd.Series(np.cumsum(rng.normal(size=12)), pd.period_range("2010", periods=12, freq="Y"))
    ra = forecast(years)
    assert ra.seasonal_period == 1 and not ra.seasonal
    stamps = pd.Series(monthly.to_numpy(), index=months.to_timestamp())
    assert forecast(stamps, horizon=6).to_dict() == r.to_dict()


def test_seasonality_test_needs_a_seasonal_signal() -> None:
    rng = np.random.default_rng(13)
    season = 3.0 * np.array([1.0, 0.0, -1.0, 0.0])
    assert is_seasonal(ets_path(rng, 32, alpha=0.1, season=season), 4)
    trend = ets_path(rng, 32, alpha=0.2, slope=1.0)
    assert not is_seasonal(trend, 4)  # a trend is not seasonality
    assert not is_seasonal(ets_path(rng, 8, alpha=0.1, season=season), 4)  # < 3 cycles


# --- the shortcuts around statsmodels agree with statsmodels -----------------------------------
def test_theta_matches_statsmodels_theta_model() -> None:
    rng = np.random.default_rng(21)
    for _ in range(3):
        y = ets_path(rng, 30, alpha=0.3, slope=0.5)
        with quiet_fits():
            ours = fit_model("theta", y, H).mean
            ref = ThetaModel(y, period=1, deseasonalize=False).fit().forecast(H).to_numpy()
        assert np.allclose(ours, ref, atol=0.01 * np.std(np.diff(y)))


def test_holt_winters_mean_matches_forecast() -> None:
    y = ets_path(np.random.default_rng(22), 25, alpha=0.3, slope=0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in ({}, {"trend": "add", "damped_trend": True}, {"trend": "add"}):
            res = ExponentialSmoothing(y, initialization_method="estimated", **kw).fit()
            assert np.allclose(hw_mean(res, 5), res.forecast(5))


def test_arima110_matches_statsmodels_arima_burg() -> None:
    y = ets_path(np.random.default_rng(23), 25, alpha=0.8, slope=0.2)
    with quiet_fits():
        ours = fit_model("arima110", y, H).mean
        ref = ARIMA(y, order=(1, 1, 0)).fit(method="burg").forecast(H)
    assert np.allclose(ours, ref)


# --- period labels -----------------------------------------------------------------------------
def test_fiscal_quarters_map_to_calendar_quarters() -> None:
    assert fiscal_to_period("2022/23 Q1") == pd.Period("2022Q2")
    assert fiscal_to_period("2022-23_Q4") == pd.Period("2023Q1")
    assert fiscal_to_period("2023/24-Q2") == pd.Period("2023Q3")
    assert fiscal_to_period("2021-04 to 2022-03") == pd.Period("2022Q1")  # rolling 12 months
    assert fiscal_to_period("2022/23") is None and fiscal_to_period("2022 09") is None
    for p in pd.period_range("2019Q1", periods=8, freq="Q"):
        assert fiscal_to_period(period_to_fiscal(p)) == p


def test_series_to_quarterly_sorts_and_flags_other_labels() -> None:
    s = pd.Series(
        [1.0, 2.0, 3.0, 4.0, 5.0],
        index=["2022/23 Q2", "2022/23 Q1", "2022/23", "2022 Summer term", "2022/23 Q3"],
    )
    q = series_to_quarterly(s)
    assert list(q.index) == [pd.Period("2022Q2"), pd.Period("2022Q3"), pd.Period("2022Q4")]
    assert list(q) == [2.0, 1.0, 5.0]
    assert q.attrs["skipped"] == ["2022/23", "2022 Summer term"]
    with pytest.raises(UsageError, match="same quarter"):
        series_to_quarterly(pd.Series([1.0, 2.0], index=["2022/23 Q1", "2022-23_Q1"]))


# --- the CLI, over a small store ---------------------------------------------------------------
def _observation(kpi_id: str, label: str, value: float, target: str) -> dict:
    row: dict = {}
    for col in schemas.TABLES["observations"]:
        row[col.name] = {"string": "", "bool": False, "float64": np.nan}.get(col.dtype, None)
    p = fiscal_to_period(label)
    row.update(
        kpi_id=kpi_id,
        catalogued=True,
        metric_name="Sickness absence days per FTE",
        report_period=label,
        period=label,
        period_parsed=True,
        period_type="fy_quarter",
        period_start=p.start_time,
        period_end=p.end_time.normalize(),
        value=value,
        target_text=target,
        polarity="Low",
        source_file="report.pdf",
        source_sha256="0" * 64,
        source_line=1,
        reader="pdf",
        is_current=True,
    )
    return row


def _write_store(root: Path, rows: list[dict]) -> None:
    out = root / "data" / "processed"
    out.mkdir(parents=True)
    frames = {
        "observations": schemas.conform("observations", pd.DataFrame(rows)),
        "reports": schemas.empty("reports"),
        "commentary": schemas.empty("commentary"),
    }
    for name, df in frames.items():
        table = pa.Table.from_pandas(df, schema=schemas.arrow_schema(name), preserve_index=False)
        pq.write_table(table, out / f"{name}.parquet")


def test_cli_forecast_reads_store_catalogue_and_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    (root / "data" / "catalog").mkdir(parents=True)
    (root / "data" / "catalog" / "kpis.yaml").write_bytes(
        (ROOT / "data" / "catalog" / "kpis.yaml").read_bytes()
    )
    kpi = "sickness-absence-days-per-fte"
    labels = [period_to_fiscal(p) for p in pd.period_range("2019Q2", periods=12, freq="Q")]
    values = 12.0 + 0.1 * np.arange(12) + np.random.default_rng(0).normal(0, 0.2, 12)
    rows = [
        _observation(kpi, lab, v, "9.83 days per FTE")
        for lab, v in zip(labels, values, strict=True)
    ]
    monkeypatch.setenv("KPI_ROOT", str(root))
    from kpi_lib.store.councils import load_councils

    own = load_councils().default.id  # the project's one council: its rows are the ones read
    _write_store(root, [{**r, "council": own} for r in rows])

    assert main(["forecast", kpi, "--format", "json", "--horizon", "3"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kpi_id"] == kpi and d["polarity"] == "Low" and d["target"] == 9.83
    assert [row["label"] for row in d["forecast"]] == ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3"]
    assert d["p_meet_target"] < 0.05  # around 13 days, target at most 9.83
    expected = forecast(quarterly(values, start="2019Q2"), 3, 9.83, "Low", lower=0).to_dict()
    assert d["scale"] == "log" and d["lower_bound"] == 0.0  # days per FTE: never negative
    assert d["forecast"][0]["mean"] == pytest.approx(expected["forecast"][0]["mean"])

    assert main(["forecast", kpi, "--target", "20"]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(csv["period"]) == ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4"]
    assert (csv["kpi_id"] == kpi).all() and (csv["lower"] <= csv["upper"]).all()

    assert main(["forecast", "no-such-kpi"]) == 2
    assert "no-such-kpi" in capsys.readouterr().err


def test_result_type_is_exported() -> None:
    r = forecast(quarterly([1.0, 2.0, 3.0]))
    assert isinstance(r, ForecastResult) and r.to_dict()["insufficient_history"] is True


def test_long_flat_series_is_never_a_confident_line() -> None:
    res = forecast(quarterly([100.0] * 12), horizon=4, target=90.0, polarity="High")
    assert not res.insufficient_history
    assert (res.upper - res.lower > 0).all() and (res.upper95 > res.upper).all()
    assert res.p_meet_target is not None and res.p_meet_target > 0.99  # 10 points of headroom
    assert any("flat" in n for n in res.notes)
