"""One read of the store and the catalogue, passed down to everything a run builds.

A quarterly report asks dozens of questions of the same tables; reading the Parquet files and
the catalogue once per run (not once per question) is what makes it fast, and it means every
table, chart and headline of one run describes the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi_lib.errors import KpiError, UsageError
from kpi_lib.store.catalog import Catalog, KpiEntry, load_catalog
from kpi_lib.store.read import load, series_of, summary_of


@dataclass(frozen=True)
class Store:
    """The store's three tables and the KPI catalogue as loaded at one moment."""

    observations: pd.DataFrame
    reports: pd.DataFrame
    commentary: pd.DataFrame
    catalog: Catalog | None  # None when the project has no readable catalogue

    @classmethod
    def load(cls) -> Store:
        try:
            catalog: Catalog | None = load_catalog()
        except KpiError:
            catalog = None
        return cls(load("observations"), load("reports"), load("commentary"), catalog)

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
    ) -> pd.Series:
        return series_of(self.observations, kpi_id, current_only, column, period_type)

    def summary(self, period: str) -> pd.DataFrame:
        return summary_of(self.reports, self.observations, period)
