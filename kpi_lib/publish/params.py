"""The parameters of each kind of run, defined and checked in one place.

The CLI, the runner and the audit (re-checking what a manifest says) all build these objects,
so a value the CLI refuses can never reach a kernel through another door. The names match the
notebooks' `parameters` cells. Checks here need no store; what needs one (a period with KPI
rows, a known section or KPI id) is checked by the runner's plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_lib.analysis.defaults import (
    AMBER_TOLERANCE,
    FORECAST_HORIZON,
    check_horizon,
    check_tolerance,
)
from kpi_lib.errors import UsageError
from kpi_lib.periods import parse_report_period

DEFAULT_TIMEOUT = 600  # seconds per cell
MAX_TIMEOUT = 24 * 3600  # a day per cell: anything longer is a typo, not a plan
MAX_WORKERS = 64


MAX_TEXT = 200  # characters: a period, section or KPI id is a few words


def check_text(name: str, value: Any) -> str:
    """A non-empty string of at most MAX_TEXT characters: an empty period or id would
    otherwise mean "the default", and a megabyte of one would be echoed in every message."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise UsageError(f"{name} must be at most {MAX_TEXT} characters, got {len(value)}")
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{name} must be non-empty text, got {value!r}")
    return value


def check_period(value: Any) -> str:
    """A report period as the CLI takes it (`parse_report_period`): text that is not one,
    code included, never reaches a notebook."""
    parse_report_period(check_text("period", value))
    return value


def check_int(name: str, value: Any, low: int, high: int, unit: str = "") -> int:
    """An integer in [low, high]; bools and floats are refused (a manifest is JSON)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        what = f" {unit}" if unit else ""
        raise UsageError(f"{name} must be {low} to {high}{what}, got {value!r}")
    return value


def check_timeout(value: Any) -> int:
    """nbclient reads 0 or a negative limit as "no limit": a typo would let a cell hang."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"timeout must be at least 1 second per cell, got {value!r}")
    if value > MAX_TIMEOUT:
        raise UsageError(f"timeout must be at most {MAX_TIMEOUT} seconds per cell, got {value}")
    return value


def check_texts(name: str, values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise UsageError(f"{name} must be a list of text, got {values!r}")
    for v in values:
        check_text(name, v)
    return tuple(values)


@dataclass(frozen=True)
class ReportParams:
    """`kpi report`: notebooks 01 (period) and 02 (all but timeout and with_code)."""

    period: str | None = None  # None: the newest report in data/raw (runs.newest_period)
    amber_tolerance: float = AMBER_TOLERANCE
    forecast_horizon: int = FORECAST_HORIZON
    sections: tuple[str, ...] = ()
    timeout: int = DEFAULT_TIMEOUT
    with_code: bool = False

    def __post_init__(self) -> None:
        if self.period is not None:
            check_text("period", self.period)
        object.__setattr__(self, "amber_tolerance", check_tolerance(self.amber_tolerance))
        check_horizon(self.forecast_horizon)
        object.__setattr__(self, "sections", check_texts("sections", self.sections))
        check_timeout(self.timeout)


@dataclass(frozen=True)
class DeepDiveParams:
    """`kpi deep-dive`: notebook 03."""

    kpi_id: str
    forecast_horizon: int = FORECAST_HORIZON
    timeout: int = DEFAULT_TIMEOUT
    with_code: bool = False

    def __post_init__(self) -> None:
        check_text("KPI id", self.kpi_id)
        check_horizon(self.forecast_horizon)
        check_timeout(self.timeout)


@dataclass(frozen=True)
class BatchParams:
    """`kpi batch`: every period's report (and deep dives) in worker processes."""

    periods: tuple[str, ...] = ()  # empty: every period with KPI rows
    deep_dives: bool = False
    workers: int = 2
    with_code: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", check_texts("period", self.periods))
        if isinstance(self.workers, bool) or not isinstance(self.workers, int):
            raise UsageError(f"workers must be a whole number, got {self.workers!r}")
        if self.workers < 1:
            raise UsageError(f"workers must be at least 1, got {self.workers}")
        check_int("workers", self.workers, 1, MAX_WORKERS)


@dataclass(frozen=True)
class AuditParams:
    """`kpi audit`: the manifest to verify and re-run."""

    manifest: str
    keep: bool = False
    timeout: int = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        check_text("manifest", self.manifest)
        check_timeout(self.timeout)


# What each workbook notebook may be given, checked the same way as the CLI's values.
def _no_output_dir(p: dict[str, Any]) -> None:
    if "output_dir" in p:  # the runner sets it: a manifest naming one points elsewhere
        raise UsageError(
            f"output_dir is set by the runner, not a manifest (got {p['output_dir']!r})"
        )


def _ingest_nb(p: dict[str, Any]) -> None:
    _no_output_dir(p)
    check_period(p.get("period"))
    check_texts("source_files", p.get("source_files"))


def _quarterly_nb(p: dict[str, Any]) -> None:
    _no_output_dir(p)
    ReportParams(
        period=check_period(p.get("period")),
        amber_tolerance=p.get("amber_tolerance", AMBER_TOLERANCE),
        forecast_horizon=p.get("forecast_horizon", FORECAST_HORIZON),
        sections=p.get("sections", ()),
    )


def _deep_dive_nb(p: dict[str, Any]) -> None:
    _no_output_dir(p)
    DeepDiveParams(
        kpi_id=p.get("kpi_id"), forecast_horizon=p.get("forecast_horizon", FORECAST_HORIZON)
    )


NOTEBOOK_PARAMS = {
    "notebooks/01_ingest_quarter.ipynb": _ingest_nb,
    "notebooks/02_quarterly_report.ipynb": _quarterly_nb,
    "notebooks/03_kpi_deep_dive.ipynb": _deep_dive_nb,
}


def check_notebook_params(notebook: str, params: dict[str, Any]) -> None:
    """A notebook's parameters as a plan or manifest gives them, checked like the CLI's.
    Notebooks the workbook does not run (tests' own) get only the runner's name check."""
    check = NOTEBOOK_PARAMS.get(notebook)
    if check is not None:
        check(params)
