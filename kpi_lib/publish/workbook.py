"""Result tables as an Excel workbook, for analysts who live in Excel: one sheet per published
table (tables/*.csv), a title row naming the council, the table and the period, the CSV's
column names as headers with their units, frozen above the data, no index column, numbers as
numbers. Written through pandas with openpyxl.

Same tables, same bytes: openpyxl stamps the save time into docProps/core.xml and every zip
entry, so both are set to one fixed date (a workbook is audited like any other result).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

FIXED_DATE = "2000-01-01T00:00:00Z"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_WIDTH = 60  # characters: longer text wraps in the cell instead

# columns whose unit is the same on every row
UNIT_OF = {
    "change_pct": "%",
    "change_yoy_pct": "%",
    "pct_green": "%",
    "headline_pct_green": "%",
    "p_meet_target": "probability 0-1",
    "seconds": "seconds",
    "bytes": "bytes",
}
# KPI figures: in the KPI's own unit, which differs from row to row in a table of many KPIs
KPI_FIGURES = {
    "value",
    "value_quarter",
    "previous",
    "latest",
    "change",
    "year_ago",
    "change_yoy",
    "slope",
    "slope_low",
    "slope_high",
    "forecast_at_horizon",
    "lower80",
    "upper80",
    "claimed_value",
    "compared_value",
    "last_value",
    "mean",
    "lower",
    "upper",
    "lower95",
    "upper95",
    "revision_of_value",
    "target_value",
}
ROW_UNIT = "unit: see column 'unit'"
# the tables a reader opens first, in the paper's order; the rest follow by name
FIRST = [
    "headline",
    "off_track",
    "movers",
    "rag_disagreements",
    "claims_unchecked",
    "sources",
    "targets",
    "rag_history",
    "trend",
    "forecast",
    "backtest",
    "commentary",
    "directors",
]


def header(column: str, unit: str = "") -> str:
    """A CSV column name with its unit: one unit for the whole table (a deep dive's KPI) or,
    in a table of many KPIs, the row's own, in its `unit` column."""
    if column in UNIT_OF:
        return f"{column} ({UNIT_OF[column]})"
    if column in KPI_FIGURES:
        if column == "change":
            return f"change ({unit or ROW_UNIT}; points where change_as says so)"
        return f"{column} ({unit or ROW_UNIT})"
    return column


def read_table(path: Path) -> pd.DataFrame:
    """A published CSV as typed values: numbers as numbers, only an empty cell as missing
    (a council's word "None" stays text)."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def tables_in(folder: Path) -> dict[str, pd.DataFrame]:
    """Every tables/*.csv of a run folder by name, the paper's order first."""
    files = {p.stem: p for p in sorted((folder / "tables").glob("*.csv"))}
    order = [n for n in FIRST if n in files] + [n for n in sorted(files) if n not in FIRST]
    return {name: read_table(files[name]) for name in order}


def with_units(df: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    """A table of many KPIs' figures gets a `unit` column (after the KPI's name) where it has
    none, so a header can point at it."""
    if "unit" in df.columns or "kpi_id" not in df.columns or not units:
        return df
    if not any(c in KPI_FIGURES for c in df.columns):
        return df
    at = df.columns.get_loc("metric_name" if "metric_name" in df.columns else "kpi_id") + 1
    out = df.copy()
    out.insert(at, "unit", df["kpi_id"].map(lambda k: units.get(str(k), "")))
    return out


def write(
    path: Path,
    sheets: dict[str, pd.DataFrame],
    title: str,
    unit: str = "",
    units: dict[str, str] | None = None,
) -> Path:
    """One sheet per table: row 1 the title and table name, row 2 the headers (frozen).
    `unit`: the one unit of every figure (a deep dive); else `units` by KPI id."""
    from openpyxl.styles import Alignment, Font

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df = df if unit else with_units(df, units or {})
            sheet = _sheet_name(name, xw.sheets)
            shown = df.rename(columns={c: header(str(c), unit) for c in df.columns})
            shown.to_excel(xw, sheet_name=sheet, index=False, startrow=1)
            ws = xw.sheets[sheet]
            ws["A1"] = f"{title} · {name.replace('_', ' ')}"
            ws["A1"].font = Font(bold=True, size=12)
            ws.freeze_panes = "A3"
            for i, col in enumerate(shown.columns, start=1):
                width = _width(col, shown[col] if len(shown) else [])
                letter = ws.cell(row=2, column=i).column_letter
                ws.column_dimensions[letter].width = width
                if width >= MAX_WIDTH:
                    for cell in ws[letter][2:]:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
    data = _reproducible(buf.getvalue())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _sheet_name(name: str, taken: Iterable[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
    out, n = base, 2
    while out in set(taken):
        out, n = f"{base[: 31 - len(str(n)) - 1]}~{n}", n + 1
    return out


def _width(header_text: str, values: Iterable[object]) -> float:
    longest = max([len(str(header_text))] + [len(str(v)) for v in values], default=8)
    return float(min(max(8, longest + 2), MAX_WIDTH))


def _reproducible(xlsx: bytes) -> bytes:
    """The workbook with its save time replaced by FIXED_DATE, entries re-zipped in order
    with one fixed timestamp."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>" + FIXED_DATE.encode() + rb"\g<3>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


# --- what the runs write ---------------------------------------------------------------------
def write_run(
    out_dir: Path, name: str, title: str, unit: str = "", units: dict[str, str] | None = None
) -> Path | None:
    """`<name>.xlsx` beside a run's page, from its tables/ (None when it has none)."""
    sheets = tables_in(Path(out_dir))
    if not sheets:
        return None
    return write(Path(out_dir) / f"{name}.xlsx", sheets, title, unit, units)


HISTORY_NAME = "kpi_history.xlsx"


def write_history(path: Path) -> Path:
    """Every figure the store holds, over all reports: `current` (the latest word on each
    point), `observations` (every version as published), `reports` and `commentary`."""
    from kpi_lib.store.snapshot import Store

    data = Store.load()
    obs = data.observations.sort_values(
        ["kpi_id", "period_end", "period", "report_period"], kind="stable"
    )
    current = obs[obs["is_current"]]
    reps = data.reports.sort_values("report_period", kind="stable")
    periods = reps["report_period"].astype(str).tolist()
    span = f"{periods[0]} to {periods[-1]}" if periods else "no reports"
    sheets = {
        "current": current,
        "observations": obs,
        "reports": reps,
        "commentary": data.commentary,
    }
    sheets = {k: _plain(v) for k, v in sheets.items()}
    return write(path, sheets, f"Every KPI figure published, reports {span}")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Columns Excel can hold: dates without time zones, lists as text."""
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = s.dt.tz_localize(None)
        elif s.dtype == object and s.map(lambda v: isinstance(v, list | tuple | dict)).any():
            out[c] = s.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v)
    return out
