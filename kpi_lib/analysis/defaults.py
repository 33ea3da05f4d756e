"""The analysis parameters' defaults and ranges, defined once: the CLI, the runner's parameter
objects (kpi_lib.publish.params), the notebooks' parameter cells and the analysis functions all
take them from here. Kept free of heavy imports so the `kpi` command can read them at start-up.
"""

from __future__ import annotations

import math
from typing import Any

from kpi_lib.errors import UsageError

# A miss within 5% of the target (relative) is Amber, not Red, where no band is known.
AMBER_TOLERANCE = 0.05
FORECAST_HORIZON = 4  # quarters
MAX_HORIZON = 40  # quarters: ten years is already beyond what a short KPI series can say


def check_tolerance(value: Any, name: str = "amber tolerance") -> float:
    """The amber tolerance as a float in [0, 1); bools, NaN and text are refused in one line."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not 0 <= value < 1:
        raise UsageError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def check_horizon(value: Any, name: str = "forecast horizon") -> int:
    """A whole number of quarters from 1 to MAX_HORIZON; bools and floats are refused (a
    manifest is JSON: 4.0 there is a typo, not four quarters)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HORIZON:
        raise UsageError(f"{name} must be 1 to {MAX_HORIZON} quarters, got {value!r}")
    return value
