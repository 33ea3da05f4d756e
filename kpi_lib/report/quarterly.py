"""The tables behind the quarterly report notebook, assembled from the store and the analysis
modules so that the notebook only calls and shows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kpi_lib.analysis.claims import check_claims
from kpi_lib.analysis.defaults import AMBER_TOLERANCE, FORECAST_HORIZON
from kpi_lib.analysis.forecast import ForecastResult
from kpi_lib.analysis.kpi import Kpi
from kpi_lib.analysis.rag import rag_summary, rag_table
from kpi_lib.analysis.trends import trend_table
from kpi_lib.periods import parse_report_period
from kpi_lib.store.snapshot import Store

FLAG_ORDER = {"Red": 0, "Amber": 1, "Green": 2, "": 3}
# kept as a header even when nothing is off track, so the saved table is never a bare '""'
OFF_TRACK_COLUMNS = [
    "kpi_id",
    "metric_name",
    "value",
    "target_text",
    "reported_rag",
    "computed_rag",
    "model",
    "forecast_at_horizon",
    "lower80",
    "upper80",
    "p_meet_target",
    "insufficient_history",
]


@dataclass
class Quarterly:
    period: str
    rows: pd.DataFrame  # this report's observations (sections filtered)
    headline: pd.DataFrame  # printed headline beside the one from extracted and recomputed RAG
    rag: pd.DataFrame  # per KPI row: reported vs recomputed with the reason
    disagreements: pd.DataFrame
    movers: pd.DataFrame
    off_track: pd.DataFrame  # red/amber KPIs with forecast and P(meet target)
    claims: pd.DataFrame  # claims that do not check out
    commentary: pd.DataFrame  # commentary of the off-track KPIs
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    forecasts: dict[str, ForecastResult] = field(default_factory=dict)  # off-track, for charts


def build(
    period: str,
    amber_tolerance: float = AMBER_TOLERANCE,
    forecast_horizon: int = FORECAST_HORIZON,
    sections: list[str] | None = None,
    snapshot: Store | None = None,
) -> Quarterly:
    """Everything the quarterly report shows for one report period, from one read of the store
    and the catalogue (`snapshot`, loaded here when not given), so the notebook only shows."""
    data = Store.load() if snapshot is None else snapshot
    label = parse_report_period(period).label
    obs = data.observations
    rows = obs[obs["report_period"] == label]
    if sections:
        wanted = {s.casefold() for s in sections}
        rows = rows[rows["section"].str.casefold().isin(wanted)]
    ids = set(rows["kpi_id"])

    rag = rag_table(obs, amber_tolerance, report_period=label)
    rag = rag[rag["kpi_id"].isin(ids)].reset_index(drop=True)
    summ = rag_summary(rag)
    printed = data.summary(label).set_index("measure")["reported"]
    headline = summ.headline
    if printed.notna().any():
        printed_row = {"source": "printed in the report", **printed.to_dict()}
        headline = pd.DataFrame([printed_row, *headline.to_dict("records")])

    trends = trend_table(obs)
    movers = trends[trends["kpi_id"].isin(ids) & trends["change_pct"].notna()].copy()
    movers["abs_change_pct"] = movers["change_pct"].abs()
    movers = movers.sort_values(["abs_change_pct", "kpi_id"], ascending=[False, True]).head(10)
    movers = movers[
        [
            "kpi_id",
            "metric_name",
            "previous_period",
            "previous",
            "latest_period",
            "latest",
            "change_pct",
            "direction",
            "reason",
        ]
    ].reset_index(drop=True)

    flagged = rag[(rag["reported_rag"].isin(["Red", "Amber"]))].copy()
    flagged["order"] = flagged["reported_rag"].map(FLAG_ORDER)
    flagged = flagged.sort_values(["order", "kpi_id"]).drop_duplicates("kpi_id")
    off = []
    histories: dict[str, pd.DataFrame] = {}
    forecasts: dict[str, ForecastResult] = {}
    for _, r in flagged.iterrows():
        kpi = Kpi(data, r["kpi_id"])
        fc = kpi.forecast_or_none(forecast_horizon)
        off.append(
            (
                r["kpi_id"],
                r["metric_name"],
                r["value"],
                r["target_text"],
                r["reported_rag"],
                r["computed_rag"],
                None if fc is None else fc.model,
                None if fc is None else float(fc.mean.iloc[-1]),
                None if fc is None else float(fc.lower.iloc[-1]),
                None if fc is None else float(fc.upper.iloc[-1]),
                None if fc is None else fc.p_meet_target,
                None if fc is None else fc.insufficient_history,
            )
        )
        histories[r["kpi_id"]] = kpi.history()
        if fc is not None:
            forecasts[r["kpi_id"]] = fc
    off_track = pd.DataFrame(off, columns=OFF_TRACK_COLUMNS)

    claims = check_claims(data.commentary, obs, label)
    claims = claims[claims["kpi_id"].isin(ids) & (claims["status"] != "matched")]
    claims = claims.sort_values(["status", "kpi_id", "source_line"]).reset_index(drop=True)

    com = data.commentary
    com = com[(com["report_period"] == label) & com["kpi_id"].isin(set(flagged["kpi_id"]))]
    com = com.sort_values(["source_line", "kpi_id"])[["kpi_id", "heading", "kind", "text"]]

    units = dict(zip(rows["kpi_id"], rows["unit"].fillna(""), strict=True))
    return Quarterly(
        period=label,
        rows=rows.reset_index(drop=True),
        headline=headline,
        rag=rag,
        disagreements=summ.disagreements.reset_index(drop=True),
        movers=movers,
        off_track=off_track,
        claims=claims,
        commentary=com.reset_index(drop=True),
        histories=histories,
        units=units,
        forecasts=forecasts,
    )
