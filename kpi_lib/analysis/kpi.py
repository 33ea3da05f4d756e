"""One KPI seen through one loaded Store: its series, history, targets, RAG, trend, forecast
and commentary.

The quarterly report, the deep dive, the `kpi` command and `import kpi_lib` all ask these
questions; answering them here, from a Store loaded once, means they get the same answers and
never re-read the store per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from kpi_lib.analysis.bounds import range_seen
from kpi_lib.analysis.defaults import AMBER_TOLERANCE, FORECAST_HORIZON
from kpi_lib.analysis.forecast import ForecastResult, forecast
from kpi_lib.analysis.rag import comparable_target, judge_rows
from kpi_lib.analysis.restatements import restatements, with_restatements
from kpi_lib.analysis.seasonal import seasonal_kpis
from kpi_lib.analysis.targets import numeric_target, parse_target
from kpi_lib.analysis.trends import Trend, basis_of_row, trend_of_rows
from kpi_lib.errors import UsageError
from kpi_lib.periods import fiscal_to_period, parse_report_period, series_to_quarterly
from kpi_lib.store.read import series_of
from kpi_lib.store.snapshot import Store
from kpi_lib.values import read_as_latin

# a target that does not exist yet: nothing to forecast against ("TBC", "To be agreed",
# "Baseline for new indicator, target for subsequent quarters")
_PENDING = re.compile(
    r"(?i)\b(?:tbc|tba|to be (?:agreed|confirmed|set|determined|decided)|baseline|"
    r"not yet (?:set|agreed)|target for subsequent|awaiting (?:a )?target)\b"
)
NO_SERIES = "No quarterly series to forecast."


def pending_target(text: object) -> bool:
    """True when a printed target says it is still to be set (TBC, a baseline year)."""
    return bool(_PENDING.search(read_as_latin(str(text or ""))))


HISTORY_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "basis",
    "value",
    "rag",
    "target_text",
    "target_value",
    "report_period",
    "source_file",
    "source_page",
    "source_line",
]


@dataclass(frozen=True, repr=False)
class Kpi:
    store: Store
    kpi_id: str

    def __post_init__(self) -> None:
        self.store.rows(self.kpi_id)  # an unknown id fails here, in one line

    # --- how it shows itself (the dataclass repr would print the whole store) ---------------
    def facts(self) -> dict[str, str]:
        """What a reader wants first: name, unit, polarity, bases, points, latest figure."""
        cur = self.current
        known = cur[cur["value"].notna()]
        out = {"id": self.kpi_id, "title": self.title, "unit": self.unit or "none recorded"}
        out["good is"] = self.polarity or "not known"
        out["bases"] = ", ".join(b for b in self.bases if b) or "not known"
        out["points"] = str(len(known))
        if len(known):
            first, last = known.iloc[0], known.iloc[-1]
            out["points"] += f" (first {first['period']})"
            rag = last.get("rag")
            status = f", {rag}" if isinstance(rag, str) and rag else ""
            out["latest"] = f"{float(last['value']):,.6g} ({last['period']}{status})"
        target = self.latest_target_text()
        if target:
            out["latest target"] = target
        return out

    def __repr__(self) -> str:
        f = self.facts()
        title = f["title"] if len(f["title"]) <= 70 else f["title"][:69] + "…"
        latest = f"; latest {f['latest']}" if "latest" in f else ""
        return f"<Kpi {self.kpi_id}: {title!r} ({f['unit']}); points {f['points']}{latest}>"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f'<tr><th scope="row" style="text-align:left">{html.escape(k)}</th>'
            f'<td style="text-align:left">{html.escape(v)}</td></tr>'
            for k, v in self.facts().items()
        )
        return f'<table class="kpi-facts"><caption>KPI</caption><tbody>{rows}</tbody></table>'

    # --- what it is ---------------------------------------------------------------------------
    @property
    def rows(self) -> pd.DataFrame:
        """Every version of every point, in time order (latest report last)."""
        return self.store.rows(self.kpi_id).sort_values(
            ["period_end", "period", "report_period"], kind="stable"
        )

    @property
    def current(self) -> pd.DataFrame:
        rows = self.store.rows(self.kpi_id)
        return rows[rows["is_current"]].sort_values(
            ["period_end", "period"], kind="stable", na_position="first"
        )

    @property
    def title(self) -> str:
        return str(self.rows.iloc[-1]["metric_name"])

    @property
    def unit(self) -> str:
        return str(self.rows.iloc[-1]["unit"] or "")

    @property
    def natural_range(self) -> tuple[float | None, float | None]:
        """(lower, upper) its unit allows, the catalogue's unit first (a share 0-100, a count
        or rate at least 0), less any bound its printed figures have crossed (a budget
        variance below 0); forecasts are kept inside it."""
        entry = self.store.entry(self.kpi_id)
        values = pd.to_numeric(self.current["value"], errors="coerce").to_numpy(dtype=float)
        if entry is None:
            return range_seen(self.unit, values)
        return range_seen(entry.unit, values, entry.min, entry.max)

    @property
    def polarity(self) -> str:
        """The catalogue's polarity; for an uncatalogued KPI, the one printed last."""
        entry = self.store.entry(self.kpi_id)
        if entry is not None:
            return entry.polarity
        cur = self.current
        return str(cur["polarity"].iloc[-1]) if len(cur) else ""

    # --- values -------------------------------------------------------------------------------
    def series(self, current_only: bool = True, basis: str | None = None) -> pd.Series:
        """Its values on one basis, indexed by time, oldest first, so `s.plot()` puts them where
        they belong and never joins a year to date to a single quarter: by default the basis of
        the latest figure, `basis=` picks another ("quarter", "year to date", "rolling 12
        months"... see `.bases`). `s.attrs["basis"]` says which; `s.attrs["left_out"]` counts
        the points on other bases.

        A quarterly PeriodIndex with every quarter present (a two-year gap shows as NaN, a gap
        in the line) when all its periods are financial-year quarters; otherwise the period
        ends (months, years and terms mixed cannot share a regular index). The printed labels
        are in `s.attrs["labels"]`; `Store.series` keeps the label index."""
        rows = self.store.rows(self.kpi_id)
        rows = rows[rows["is_current"]] if current_only else rows
        bases = rows["basis"].fillna("").astype(str)
        if basis is None:
            dated = rows.assign(b=bases).sort_values(
                ["period_end", "report_period"], na_position="first"
            )
            basis = str(dated["b"].iloc[-1]) if len(dated) else ""
        if basis not in set(bases):
            raise UsageError(
                f"KPI '{self.kpi_id}' has no figures on the basis '{basis}': it has "
                + ", ".join(sorted(repr(b) for b in set(bases)))
            )
        left_out = bases[bases != basis].value_counts().to_dict()
        by_label = self.store.series(self.kpi_id, current_only=current_only, basis=basis)
        labels = [str(p) for p in by_label.index]
        quarters = [fiscal_to_period(p) for p in labels]
        if (
            quarters
            and all(q is not None for q in quarters)
            and len(set(quarters)) == len(quarters)
        ):
            s = pd.Series(by_label.to_numpy(dtype=float), index=pd.PeriodIndex(quarters, freq="Q"))
            s = s.sort_index()
            s = s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="Q"))
        else:
            mine = rows[bases == basis].sort_values(
                ["period_end", "period_start", "period", "report_period", "source_line"],
                na_position="last",
                kind="stable",
            )
            if mine["period_end"].notna().all() and len(mine) == len(by_label):
                s = pd.Series(
                    mine["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(mine["period_end"])
                )
            else:
                s = by_label.astype(float)
        s.name, s.index.name = self.kpi_id, "period"
        s.attrs["labels"] = labels
        s.attrs["basis"] = basis
        s.attrs["left_out"] = {str(k): int(v) for k, v in left_out.items()}
        return s

    @property
    def bases(self) -> list[str]:
        """The bases its current figures are on, oldest first: more than one means its series
        must be read one basis at a time."""
        return list(dict.fromkeys(self.current["basis"]))

    def quarterly(self) -> pd.Series:
        """The current quarterly figures on ONE basis, on a quarterly PeriodIndex: the forecast's
        input.

        The basis is the latest quarterly figure's. A cumulative KPI is forecast as each
        quarter's own figure: a year to date de-cumulated where that is exact (the store's
        value_quarter, which needs the quarter before from the same year) joins the figures
        printed per quarter; only when nothing can be de-cumulated are the year-to-date figures
        used as they stand. Figures on another basis are never mixed in. The basis is in
        `.attrs['basis']`; the labels left out (not quarters, or another basis) in
        `.attrs['skipped']`."""
        cur = self.current
        on_quarter = cur["period"].map(lambda p: fiscal_to_period(str(p)) is not None)
        rows = cur[on_quarter.astype(bool)]
        if rows.empty:
            out = series_to_quarterly(self.store.series(self.kpi_id))
            out.attrs["basis"] = ""
            return out
        bases = rows.apply(basis_of_row, axis=1)
        basis = str(bases.iloc[-1])
        column = "value"
        keep = bases == basis
        if basis in ("year to date", "quarter") and (bases == "year to date").any():
            exact = bases.isin(["year to date", "quarter"]) & rows["value_quarter"].notna()
            if exact.any():
                basis, column, keep = "quarter", "value_quarter", exact
            else:
                basis, keep = "year to date", bases == "year to date"
        chosen = series_of(rows[keep.to_numpy()], self.kpi_id, True, column)
        out = series_to_quarterly(chosen)
        others = cur.loc[~cur.index.isin(rows[keep.to_numpy()].index), "period"]
        out.attrs["skipped"] = [str(p) for p in others]
        out.attrs["basis"] = basis
        return out

    def history(self) -> pd.DataFrame:
        """Every current point with its target figure and its source, oldest first."""
        h = self.store.rows(self.kpi_id)
        h = h[h["is_current"]].copy()
        # only a target figure the point can be compared with is drawn beside it
        h["target_value"] = [comparable_target(row) for _, row in h.iterrows()]
        h = h.sort_values(["period_end", "period_start", "period"], kind="stable")
        return h[HISTORY_COLUMNS].reset_index(drop=True)

    def targets(self) -> pd.DataFrame:
        """Each report's target text and the rule read from it."""
        rows = self.rows
        targets = rows.drop_duplicates(["report_period", "target_text"])[
            ["report_period", "target_text", "polarity"]
        ].copy()
        pairs = zip(targets["target_text"], targets["polarity"], strict=True)
        rules = (parse_target(t, p) for t, p in pairs)
        targets["rule"] = [r.describe() or r.reason for r in rules]
        return targets.reset_index(drop=True)

    def commentary(self) -> pd.DataFrame:
        com = self.store.commentary
        return com[com["kpi_id"] == self.kpi_id].sort_values(["report_period", "source_line"])

    # --- analysis -----------------------------------------------------------------------------
    def rag_history(self, amber_tolerance: float = AMBER_TOLERANCE) -> pd.DataFrame:
        """Reported vs recomputed RAG of each current point, judged as `kpi rag` judges it."""
        judged = judge_rows(
            self.current,
            self.store.observations,
            amber_tolerance,
            commentary=self.store.commentary,
            catalog=self.store.catalog,
            council=self.store.council,
        )
        cols = ["period", "reported_rag", "computed_rag", "reason", "band"]
        cols += ["reported_rag_from", "target_for", "basis", "basis_evidence", "disagreement"]
        return judged[cols].reset_index(drop=True)

    def seasonal_because(self) -> str:
        """Where the council's commentary calls this KPI seasonal ("" when it does not): the
        trend then compares a quarter with the same quarter a year earlier, and the forecast
        models the season without waiting for the history to prove it."""
        com = self.store.commentary
        return seasonal_kpis(com[com["kpi_id"] == self.kpi_id]).get(self.kpi_id, "")

    def trend(self) -> Trend:
        """The trend on the latest figure's basis, as the quarterly report's movers read it:
        earlier figures as the latest commentary restates them, a year apart if the
        commentary calls the KPI seasonal."""
        pol = self.polarity
        rows = self.rows_restated()
        mine = rows[rows["is_current"].astype(bool)]
        mine = mine.sort_values(["period_end", "period"], kind="stable", na_position="first")
        seasonal = self.seasonal_because()
        polarity = pol if pol in ("High", "Low") else "High"
        return trend_of_rows(mine, polarity, seasonal=seasonal)[0]

    def rows_restated(self) -> pd.DataFrame:
        """Every version of every point (as `rows`) and the earlier figures the commentary
        restates, each a row of the report that printed it (reader `prose`, the figure it
        revises in `revision_of_value`), `is_current` set again: the latest word on each."""
        com = self.store.commentary
        key = ["report_period", "source_file", "source_line"]
        blocks = com.loc[com["kpi_id"] == self.kpi_id, key].drop_duplicates()
        com = com.merge(blocks, on=key)  # every KPI of its blocks: the anchor must be unique
        obs = self.store.observations
        merged = with_restatements(obs, restatements(com, obs))
        mine = merged[merged["kpi_id"] == self.kpi_id]
        return mine.sort_values(["period_end", "period", "report_period"], kind="stable")

    def forecast(
        self,
        horizon: int = FORECAST_HORIZON,
        target: float | None = None,
        year_end: str | None = None,
        seed: int = 0,
    ) -> tuple[ForecastResult, list[str]]:
        """The quarterly series' forecast inside its natural range, with the catalogue's
        polarity and, unless `target` is given, the latest printed numeric target. Returns
        the result and the period labels left out (not quarterly, or on another basis than
        the series, see `quarterly`)."""
        return self._forecast(self.quarterly(), horizon, target, year_end, seed)

    def _forecast(
        self,
        quarterly: pd.Series,
        horizon: int,
        target: float | None,
        year_end: str | None,
        seed: int,
    ) -> tuple[ForecastResult, list[str]]:
        skipped = list(quarterly.attrs.get("skipped", []))
        if quarterly.dropna().empty:
            raise UsageError(f"forecast: {self.kpi_id} has no quarterly values to forecast")
        polarity = self.polarity
        notes = []
        mismatch = ""
        if target is None:
            cur = self.current
            printed = cur[cur["target_text"].fillna("").astype(str).str.strip() != ""]
            if not printed.empty:
                # the latest printed target, if the forecast's figures can be compared with it
                latest = printed.iloc[-1]
                basis = quarterly.attrs.get("basis") or None
                target = comparable_target(latest, basis)
                if target is None and numeric_target(latest["target_text"], polarity) is not None:
                    mismatch = (
                        f"target {latest['target_text']!r} is not comparable with "
                        f"{'single-quarter' if basis == 'quarter' else basis or 'these'} figures"
                    )
                    notes.append(f"{mismatch}: no target line or P(meet target)")
        if target is not None and polarity not in ("High", "Low"):
            notes.append(
                f"polarity {polarity!r} is neither High nor Low: target {target:g} ignored"
            )
            target = None
        end = None
        if year_end is not None:
            end = pd.Period(parse_report_period(year_end).start, freq="Q")
        lower, upper = self.natural_range
        result = forecast(
            quarterly,
            horizon,
            target,
            polarity or "High",
            seed=seed,
            year_end=end,
            lower=lower,
            upper=upper,
            seasonal=True if self.seasonal_because() else None,
        )
        result.notes.extend(notes)
        result.target_mismatch = mismatch
        result.title, result.unit = self.title, self.unit
        return result, skipped

    def latest_target_text(self) -> str:
        """The target printed with its latest figure that has one ("" when none)."""
        cur = self.current
        printed = cur["target_text"].fillna("").astype(str).str.strip()
        printed = printed[printed != ""]
        return str(printed.iloc[-1]) if len(printed) else ""

    def why_no_forecast(self, quarterly: pd.Series | None = None) -> str:
        """Why a committee gets no forecast of this KPI ("" when it can have one): no quarterly
        series, or a target that does not exist yet (a forecast would have nothing to be
        judged against, and a baseline year is what the target will be set from)."""
        q = self.quarterly() if quarterly is None else quarterly
        if q.dropna().empty:
            bases = sorted(set(self.current.dropna(subset=["value"])["basis"].astype(str)) - {""})
            if bases:
                return f"No forecast: its figures are not quarterly ({', '.join(bases)})."
            return NO_SERIES
        target = self.latest_target_text()
        if pending_target(target):
            return (
                f"No forecast: the target is not set yet ({read_as_latin(target)!r}), so there "
                "is nothing to forecast against."
            )
        return ""

    def forecast_or_none(self, horizon: int = FORECAST_HORIZON) -> ForecastResult | None:
        """The forecast, or None when `why_no_forecast` gives a reason (no quarterly values, a
        target still to be set). A bad horizon raises, so a typo never reads as "nothing to
        forecast"."""
        if int(horizon) < 1:
            raise UsageError(f"forecast horizon must be at least 1, got {horizon}")
        quarterly = self.quarterly()  # built once: it is most of the cost for a short series
        if self.why_no_forecast(quarterly):
            return None
        return self._forecast(quarterly, horizon, None, None, 0)[0]
