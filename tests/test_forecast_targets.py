"""No forecast against a target that does not exist yet (TBC, to be agreed, a baseline year),
and the report says why; every other off-track KPI keeps its forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kpi_lib.analysis.kpi import Kpi, pending_target
from kpi_lib.report import quarterly
from kpi_lib.store.snapshot import Store


@pytest.mark.parametrize(
    "text",
    [
        "TBC",
        "твс TBC",  # OCR'd with Cyrillic look-alikes
        "To be agreed",
        "Target to be confirmed",
        "Targets to be set in Q3",
        "TBA",
        "Baseline for new indicator, target for subsequent quarters",
        "2023/24 baseline year",
        "Not yet set",
    ],
)
def test_a_target_still_to_be_set_is_pending(text: str) -> None:
    assert pending_target(text)


@pytest.mark.parametrize(
    "text",
    [
        "88.75% Quarterly (2022/23)",
        "<700",
        "Year on year reduction",
        "Not appropriate",
        "Above national average",
        "11.25 absence days per FTE. (Annual)",
        "",
        None,
    ],
)
def test_a_set_target_or_none_at_all_is_not_pending(text: object) -> None:
    assert not pending_target(text)


@pytest.mark.parametrize("period", ["2022/23 Q2", "2023/24 Q2"])
def test_off_track_rows_forecast_only_against_a_set_target(store_root: Path, period: str) -> None:
    data = Store.load()
    q = quarterly.build(period, snapshot=data)
    off = q.off_track
    assert len(off)
    pending = off["target_text"].map(pending_target)
    blank = off[["forecast_at_horizon", "lower80", "upper80", "p_meet_target"]].isna().all(axis=1)
    assert (blank[pending]).all()
    assert off.loc[pending, "forecast_note"].str.contains("target is not set yet").all()
    # every row without a forecast says why; a short-history one says what it rests on
    assert (off.loc[blank, "forecast_note"].str.len() > 0).all()
    short = off["insufficient_history"].map(lambda v: isinstance(v, bool | np.bool_) and bool(v))
    assert short.any()
    notes = off.loc[~blank & short, "forecast_note"]
    assert notes.str.contains("chance of meeting the target is not estimated").all()
    assert (off.loc[~blank & ~short, "forecast_note"] == "").all()
    # a forecast shown beside a target is of figures that target can be compared with
    for kpi_id in off.loc[~blank, "kpi_id"]:
        assert q.forecasts[kpi_id].target_mismatch == "", kpi_id
    mismatched = off["forecast_note"].str.contains("is not comparable with")
    assert blank[mismatched].all()
    for kpi_id in off.loc[pending, "kpi_id"]:
        assert Kpi(data.as_of(q.period), kpi_id).forecast_or_none(4) is None


def test_the_2023_24_tbc_baseline_and_annual_target_kpis_get_no_forecast(
    store_root: Path,
) -> None:
    q = quarterly.build("2023/24 Q2", snapshot=Store.load())
    off = q.off_track.set_index("kpi_id")
    # TBC, a baseline year, and one quarter's sickness days beside the year's 11.25
    for kpi_id in ("capital-forecast-vs-budget", "vacancy-rate", "sickness-absence-days-per-fte"):
        if kpi_id in off.index:
            assert off.loc[kpi_id, ["forecast_at_horizon", "lower80", "upper80"]].isna().all()
