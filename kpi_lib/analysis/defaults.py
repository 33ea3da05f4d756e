"""The analysis parameters' defaults and ranges, defined once: the CLI, the runner, the
notebooks' parameter cells and the analysis functions all take them from here. Kept free of
heavy imports so the `kpi` command can read them at start-up."""

from __future__ import annotations

from kpi_lib.errors import UsageError

# A miss within 5% of the target (relative) is Amber, not Red, where no band is known.
AMBER_TOLERANCE = 0.05
FORECAST_HORIZON = 4  # quarters
MAX_HORIZON = 40  # quarters: ten years is already beyond what a short KPI series can say


def check_tolerance(value: float, name: str = "amber tolerance") -> float:
    """The amber tolerance as a float in [0, 1), else a one-line error."""
    try:
        tol = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number in [0, 1), got {value!r}") from None
    if not 0 <= tol < 1:  # also refuses NaN
        raise UsageError(f"{name} must be in [0, 1), got {value}")
    return tol


def check_horizon(value: int, name: str = "forecast horizon") -> int:
    """The forecast horizon as a whole number of quarters from 1 to MAX_HORIZON."""
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):
        n = 0
    if n != value or not 1 <= n <= MAX_HORIZON:
        raise UsageError(f"{name} must be 1 to {MAX_HORIZON} quarters, got {value}")
    return n
