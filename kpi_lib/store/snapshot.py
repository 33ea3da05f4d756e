"""One read of the store and the catalogue, passed down to everything a run builds.

A quarterly report asks dozens of questions of the same tables; reading the Parquet files and
the catalogue once per run (not once per question) is what makes it fast, and it means every
table, chart and headline of one run describes the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import pandas as pd

from kpi_lib.errors import KpiError, UsageError
from kpi_lib.periods import parse_report_period
from kpi_lib.store.catalog import Catalog, KpiEntry, load_catalog
from kpi_lib.store.councils import Council, current
from kpi_lib.store.read import load, series_of, summary_of
from kpi_lib.store.schemas import NAMED_BELOW

KEY_RULE = "its reports' status key"


def keyed(council: Council, reports: pd.DataFrame) -> Council:
    """The council with the amber rule its reports' status key prints, where it declares none
    in councils.yaml and every key its reports print agrees ("Within 10% of target"); the rule
    says where it is printed. Keys that disagree leave it undeclared: which one holds is not
    plain."""
    if council.amber_within is not None or "key_amber_within" not in reports.columns:
        return council
    keys = reports[reports["key_amber_within"].notna()]
    if keys.empty or keys["key_amber_within"].nunique() != 1:
        return council
    last = keys.sort_values("report_period_start", kind="stable").iloc[-1]
    where = f"{last['file']} line {int(last['key_line'])}" if pd.notna(last["key_line"]) else ""
    rule = f"{KEY_RULE}, {where}: “{last['key_text']}”"
    return replace(council, amber_within=float(last["key_amber_within"]), amber_rule=rule)


@dataclass(frozen=True)
class Store:
    """The store's three tables and the KPI catalogue as loaded at one moment."""

    observations: pd.DataFrame
    reports: pd.DataFrame
    commentary: pd.DataFrame  # the commentary under the tables
    catalog: Catalog | None  # None when the project has no readable catalogue
    # the report's own lists of indicators below the desired level (kind named_below), kept
    # apart from the commentary: a name in a list is not text about the KPI
    named: pd.DataFrame = field(default_factory=pd.DataFrame)
    council: Council | None = None  # whose tables these are (None: built by hand, one council)

    @classmethod
    def load(cls, council: str | None = None) -> Store:
        """One council's tables (`council`, else $KPI_COUNCIL, else the default council) and
        its catalogue: another council's rows are never seen, so they cannot change a report.
        The tables come without their `council` column, as they were before councils."""
        me = current(council)
        try:
            catalog: Catalog | None = load_catalog(council=me.id)
        except KpiError:
            catalog = None
        com = of_council(load("commentary"), me.id)
        named = com["kind"] == NAMED_BELOW
        reports = of_council(load("reports"), me.id)
        return cls(
            of_council(load("observations"), me.id),
            reports,
            com[~named].reset_index(drop=True),
            catalog,
            com[named].reset_index(drop=True),
            keyed(me, reports),
        )

    def as_of(self, period: str) -> Store:
        """The store as it stood when the report for `period` was published: only the reports
        up to it, each figure as the latest of those printed it (is_current recomputed among
        them, exactly as an ingest of only those reports would set it). Analysis of a past
        quarter uses this, so re-running it after later quarters are ingested gives the same
        tables, and a later revision is never used in an earlier report."""
        end = parse_report_period(period).start
        keep = {label for label in self.reports["report_period"] if _start(label) <= end}
        keep |= {label for label in self.observations["report_period"] if _start(label) <= end}
        obs = self.observations[self.observations["report_period"].isin(keep)]
        reports = self.reports[self.reports["report_period"].isin(keep)].reset_index(drop=True)
        council = self.council
        if council is not None and (
            council.amber_within is None or council.amber_rule.startswith(KEY_RULE)
        ):  # not declared in councils.yaml: the keys of the reports up to `period`
            council = keyed(replace(council, amber_within=None, amber_rule=""), reports)
        return Store(
            _recurrent(obs),
            reports,
            self.commentary[self.commentary["report_period"].isin(keep)].reset_index(drop=True),
            self.catalog,
            _kept(self.named, keep),
            council,
        )

    def rows(self, kpi_id: str) -> pd.DataFrame:
        """Every stored version of every point of one KPI; an unknown id is a one-line error,
        so a typo never reads as "no data yet"."""
        mine = self.observations[self.observations["kpi_id"] == kpi_id]
        if mine.empty:
            raise UsageError(f"unknown KPI id '{kpi_id}': not in the store")
        return mine

    def entry(self, kpi_id: str) -> KpiEntry | None:
        """The catalogue's entry, or None for an uncatalogued ("new-") KPI."""
        if self.catalog is None:
            return None
        try:
            return self.catalog.get(kpi_id)
        except KpiError:
            return None

    def series(
        self,
        kpi_id: str,
        current_only: bool = True,
        column: str = "value",
        period_type: str | None = None,
        basis: str | None = None,
    ) -> pd.Series:
        """By printed label (see read.series_of); Kpi.series gives one basis on a time index."""
        return series_of(self.observations, kpi_id, current_only, column, period_type, basis)

    def summary(self, period: str) -> pd.DataFrame:
        return summary_of(self.reports, self.observations, period)


def of_council(table: pd.DataFrame, council_id: str) -> pd.DataFrame:
    """The rows of one council, without the council column."""
    if "council" not in table.columns:
        return table
    mine = table[table["council"] == council_id]
    return mine.drop(columns="council").reset_index(drop=True)


def _kept(table: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    if table.empty or "report_period" not in table.columns:
        return table
    return table[table["report_period"].isin(keep)].reset_index(drop=True)


@lru_cache(maxsize=256)
def _start(label: str) -> date:
    """When a report period starts (a label the store holds, so always a report period)."""
    start = parse_report_period(label).start
    return start if start is not None else date.min


def _recurrent(obs: pd.DataFrame) -> pd.DataFrame:
    """Which version of each point is current, decided again among the rows kept, by the rule
    the store was built with (kpi_lib.store.observations): per KPI and period (a row without
    one is about its own report), the first row of the latest report. Revision marks look only
    backwards, so they stay as stored."""
    df = obs.reset_index(drop=True).copy()
    key = df["period"].where(df["period"] != "", "\x00" + df["report_period"])
    order = pd.DataFrame(
        {
            "kpi": df["kpi_id"],
            "key": key,
            "start": df["report_period"].map(_start),
            "report": df["report_period"],
            "file": df["source_file"],
            "line": df["source_line"].fillna(-1).astype("int64"),
        }
    ).sort_values(["kpi", "key", "start", "report", "file", "line"], kind="stable")
    latest = order.groupby(["kpi", "key"], sort=False)["report"].transform("last")
    first = order[order["report"] == latest].drop_duplicates(["kpi", "key"], keep="first")
    df["is_current"] = df.index.isin(first.index)
    return df
