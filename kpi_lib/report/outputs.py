"""Saving result tables and figures from notebooks so that reruns are byte-identical."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure
import pandas as pd

# PNG text chunks otherwise carry the matplotlib version string; nothing time-dependent remains.
PNG_METADATA = {"Software": None}
DPI = 100
# 12 significant digits: exact for any figure a report prints (pounds to the penny up to
# £9,999,999,999.99) while hiding last-bit floating-point noise that would break an audit.
FLOATS = "%.12g"


def save_table(df: pd.DataFrame, name: str, output_dir: str | Path | None) -> pd.DataFrame:
    """Write `tables/<name>.csv` when running under `kpi report`; return df for display."""
    if output_dir:
        folder = Path(output_dir) / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        df.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n", float_format=FLOATS)
    return df


def save_figure(fig: matplotlib.figure.Figure, name: str, output_dir: str | Path | None) -> None:
    """Write `figures/<name>.png` without metadata that changes between runs."""
    if output_dir:
        folder = Path(output_dir) / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        fig.savefig(folder / f"{name}.png", dpi=DPI, metadata=PNG_METADATA, bbox_inches="tight")
