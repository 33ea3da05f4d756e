"""Saving result tables and figures from notebooks so that reruns are byte-identical."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib.figure
import pandas as pd

# PNG text chunks otherwise carry the matplotlib version string; nothing time-dependent remains.
PNG_METADATA = {"Software": None}
DPI = 100  # a figure's size on screen: 100 pixels (CSS px) per inch of its figsize
PAGE_DPI = 150  # the pixels a page's chart carries: sharp in print (A4) and on a phone, at 2.25x
# the bytes of a 100 dpi chart (200 dpi would make the quarterly page three times the size)
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


def save_all(tables: dict[str, pd.DataFrame], output_dir: str | Path | None) -> None:
    """Each of a notebook's result tables, by name (save_table)."""
    for name, df in tables.items():
        save_table(df, name, output_dir)


def save_figure(fig: matplotlib.figure.Figure, name: str, output_dir: str | Path | None) -> None:
    """Write `figures/<name>.png` without metadata that changes between runs."""
    if output_dir:
        folder = Path(output_dir) / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        fig.savefig(folder / f"{name}.png", dpi=DPI, metadata=PNG_METADATA, bbox_inches="tight")


@dataclass
class Chart:
    """A saved chart as the reader sees it: the PNG inline (self-contained HTML) with an alt
    text that says what it shows (nbconvert's default alt text says nothing)."""

    png: bytes
    alt: str
    caption: str = ""
    width: int = 0  # CSS px (the PNG holds PAGE_DPI / DPI times as many)
    height: int = 0

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        cap = f"<figcaption>{html.escape(self.caption)}</figcaption>" if self.caption else ""
        size = f' width="{self.width}" height="{self.height}"' if self.width else ""
        return (
            f'<figure class="chart"><img src="data:image/png;base64,{data}"{size} '
            f'alt="{html.escape(self.alt, quote=True)}">{cap}</figure>'
        )

    def __repr__(self) -> str:
        return f"<chart: {self.alt}>"


def show_figure(
    fig: matplotlib.figure.Figure,
    name: str,
    output_dir: str | Path | None,
    alt: str,
    caption: str = "",
) -> Chart:
    """Render the figure once: the same PNG bytes go to `figures/<name>.png` and the page."""
    if not alt.strip():
        raise ValueError(f"chart {name}: an alt text is required")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PAGE_DPI, metadata=PNG_METADATA)
    png = buf.getvalue()
    if output_dir:
        folder = Path(output_dir) / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(png)
    w, h = (round(x * DPI) for x in fig.get_size_inches())
    return Chart(png, alt, caption, w, h)
