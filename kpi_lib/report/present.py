"""Result tables as a committee reads them: no index, units in the header or beside the value,
figures rounded to the precision the council prints, percentages with %, financial-year
quarter labels, blanks for missing values, long text wrapped, plain-English reasons.

Only the rendering changes: the CSV/Parquet result tables keep full precision for machines.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from kpi_lib.periods import fiscal_to_period, parse_period, period_to_fiscal
from kpi_lib.values import approximation, read_as_latin

MAX_DECIMALS = 2  # the council never prints more than two decimals for a KPI value
RAG_WORDS = {"Green": "Green", "Amber": "Amber", "Red": "Red"}
_CAL_QUARTER = re.compile(r"^\s*(\d{4})\s*Q([1-4])\s*$")


# --- single values ---------------------------------------------------------------------------
def is_missing(x: object) -> bool:
    """NaN, None, pd.NA, NaT and empty or whitespace-only text all read as 'no value'."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    return isinstance(x, str) and (not x.strip() or x.strip() in {"nan", "None", "<NA>"})


def decimals_of(value_text: object) -> int:
    """Digits after the decimal point as printed ('93.45' -> 2, '2,655,636.0' -> 1)."""
    if is_missing(value_text):
        return 0
    m = re.search(r"\d\.(\d+)", str(value_text))
    return min(len(m.group(1)), MAX_DECIMALS) if m else 0


def number(x: object, decimals: int = 1, unit: str = "") -> str:
    """A figure as printed: thousands separators, fixed decimals, % after and £ before (other
    units go in the header or a Unit column); blank when missing."""
    if is_missing(x):
        return ""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    text = f"{v:,.{_shown_decimals(v, decimals)}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.0"
    u = (unit or "").strip()
    sign, text = ("\u2212", text[1:]) if text.startswith("-") else ("", text)
    # a true minus sign: a hyphen lets the browser break "-£113,601" after the sign
    if u == "%":
        return f"{sign}{text}%"
    if u == "£":
        return f"{sign}£{text}"
    return sign + text


def _shown_decimals(v: float, decimals: int) -> int:
    """The council's precision, but never so few decimals that a figure other than 0 reads as
    0 (an exclusion rate of 0.19% is not "0%"): one significant digit at least."""
    d = max(0, decimals)
    if v != 0 and math.isfinite(v):
        while d < 12 and round(abs(v), d) == 0:
            d += 1
    return d


def approx(x: object, shown: str) -> str:
    """A figure as shown, with the word that made it approximate where it was printed with one
    ("over 1,500,000"; `x` is the printed text)."""
    word = approximation(x)
    return f"{word} {shown}" if word and shown else shown


def unit_word(unit: object) -> str:
    """The unit for a Unit column: % and £ are written with the figure, a count needs none."""
    u = text(unit)
    return "" if u in {"%", "£"} or u.casefold() in {"count", "number", "n"} else u


def percent(x: object, decimals: int = 1, signed: bool = False) -> str:
    """A share or change already in percent (56.1 -> '56.1%', signed -> '+4.2%')."""
    if is_missing(x):
        return ""
    v = float(x)  # type: ignore[arg-type]
    text = f"{v:+.{decimals}f}%" if signed else f"{v:.{decimals}f}%"
    return text.replace("-", "\u2212")


def change(row: dict[str, object], decimals: int = 1) -> str:
    """A movement as the trend table judged it: per cent where that means something, else in
    points (a percentage's change, or a change across zero: '+10.0 pts')."""
    how = text(row.get("change_as"))
    if how == "points":
        if is_missing(row.get("change")):
            return ""
        v = float(row["change"])  # type: ignore[arg-type]
        return f"{v:+.{decimals}f} pts".replace("-", "\u2212")
    return percent(row.get("change_pct"), decimals, signed=True)


def probability(x: object) -> str:
    """A probability 0..1 as a whole percentage ('0.23' -> '23%')."""
    return "" if is_missing(x) else f"{100 * float(x):.0f}%"  # type: ignore[arg-type]


def quarter(label: object) -> str:
    """Any quarter label as a financial-year quarter ('2022Q4' -> '2022/23 Q3'); other
    periods (years, months, terms) keep their canonical label; blank when missing."""
    if is_missing(label):
        return ""
    if isinstance(label, pd.Period):
        return period_to_fiscal(label.asfreq("Q")) if label.freqstr.startswith("Q") else str(label)
    text = str(label).strip()
    m = _CAL_QUARTER.match(text)
    if m:
        return period_to_fiscal(pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q"))
    if fiscal_to_period(text) is not None and parse_period(text).kind == "fy_quarter":
        return parse_period(text).label
    p = parse_period(text)
    if p.kind in ("month", "range") and p.start is not None and p.end is not None:
        return _months(p.start, p.end)
    return p.label or text


def _months(start: date, end: date) -> str:
    """ "Dec 2020–Feb 2021", "Mar 2021": as a reader says it, not the store's "2020-12 to
    2021-02" (which beside "in … to …" reads as two periods)."""
    first, last = start.strftime("%b %Y"), end.strftime("%b %Y")
    return first if first == last else f"{first}–{last}"


def period_as_printed(row: dict[str, object] | pd.Series, source: str = "period") -> str:
    """A figure's period label with what span it covers where the commentary says it is less
    than the label ("2022/23 Q2 (July-August average)"; kpi_lib.analysis.period_notes)."""
    label = quarter(row.get(source))
    note = text(row.get("period_note"))
    return f"{label} ({note})" if label and note else label


def text(x: object) -> str:
    """Free text with newlines (real or a literal backslash-n) as spaces; blank when missing."""
    if is_missing(x):
        return ""
    return " ".join(read_as_latin(str(x)).replace("\\n", "\n").split())


COMMENT_KINDS = {"issues_causes": "Issues and causes"}


def comment_kind(kind: object) -> str:
    """A commentary block's kind as a label: "issues" -> "Issues"."""
    k = text(kind)
    return COMMENT_KINDS.get(k, k.replace("_", " ").capitalize())


def flag(x: object) -> str:
    """True/False columns read as Yes/blank."""
    if is_missing(x):
        return ""
    return "Yes" if bool(x) else ""


def reason(x: object) -> str:
    """A trend's reason as shown: kpi_lib.analysis.trends.describe already words it for a
    reader (the slope's figures stay in the CSV columns)."""
    return text(x)


def trend_word(row: dict | pd.Series) -> str:
    """improving / worsening / little change, as kpi_lib.analysis.trends.describe found it;
    "rose" / "fell" where the polarity is unknown."""
    d = text(row.get("direction"))
    if d:
        return d
    return {"rising": "rose", "falling": "fell"}.get(text(row.get("movement")), "")


# --- tables ----------------------------------------------------------------------------------
Formatter = Callable[[pd.Series], str]


@dataclass(frozen=True)
class Col:
    """One column as shown: where it comes from, its header, how a cell is written."""

    header: str
    cell: Formatter
    numeric: bool = False
    wide: bool = False  # long text: given room to wrap
    nowrap: bool = False  # short labels ("2022/23 Q2") kept on one line
    path: bool = False  # file paths: may break anywhere rather than widen the table


def col(source: str, header: str, fmt: Callable[[object], str] = text, **kw: bool) -> Col:
    return Col(header, lambda row: fmt(row.get(source)), **kw)


CARD_MIN_COLUMNS = 4  # a table this wide is one card per row on a phone (page.CSS)


@dataclass
class Table:
    """A formatted table that renders as accessible HTML in a notebook (and as text in a
    terminal); `frame` holds the strings shown."""

    frame: pd.DataFrame
    caption: str = ""
    numeric: tuple[str, ...] = ()
    wide: tuple[str, ...] = ()
    empty: str = "Nothing to show."
    nowrap: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    # the statement (report.statements) each row words, written as data-statement on its <tr>
    row_ids: tuple[str, ...] = ()
    # on a phone each row becomes a card: its first cell (the KPI) the heading, every other
    # cell on a line of its own after its column's header (each <td>'s data-label)
    cards: bool = False

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f'<p class="empty">{html.escape(self.empty)}</p>'
        # a narrow table scrolls sideways inside its own box on a narrow screen (the page never
        # does; a card table reflows instead); the box is focusable so keyboard users can scroll
        label = self.caption or "Table: " + ", ".join(map(str, self.frame.columns[:3]))
        # a card table keeps its table semantics in the accessibility tree when CSS shows its
        # rows as blocks (some browsers drop them with `display: block`): explicit roles
        role = _CARD_ROLES if self.cards else dict.fromkeys(_CARD_ROLES, "")
        cards = " cards" if self.cards else ""
        out = [
            f'<div class="table-box{cards}" role="region" tabindex="0" '
            f'aria-label="{html.escape(label, quote=True)}">'
            f'<table class="kpi-table{cards}"{role["table"]}>'
        ]
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append(f"<thead{role['rowgroup']}><tr{role['row']}>")
        for c in self.frame.columns:
            out.append(
                f'<th scope="col"{role["columnheader"]}{self._cls(c)}>{html.escape(str(c))}</th>'
            )
        out.append(f"</tr></thead><tbody{role['rowgroup']}>")
        labels = {c: f' data-label="{html.escape(str(c), quote=True)}"' for c in self.frame.columns}
        ids = self.row_ids or ("",) * len(self.frame)
        for (_, row), sid in zip(self.frame.iterrows(), ids, strict=True):
            attr = f' data-statement="{html.escape(sid, quote=True)}"' if sid else ""
            out.append(f"<tr{attr}{role['row']}>")
            for c in self.frame.columns:
                v = str(row[c])
                inner = _rag_badge(v) if c in _RAG_HEADERS else html.escape(v)
                data = labels[c] if self.cards else ""
                out.append(f"<td{role['cell']}{data}{self._cls(c)}>{inner}</td>")
            out.append("</tr>")
        out.append("</tbody></table></div>")
        return "".join(out)

    def _cls(self, c: str) -> str:
        classes = (["num"] if c in self.numeric else []) + (["wide"] if c in self.wide else [])
        classes += ["nowrap"] if c in self.nowrap else []
        classes += ["path"] if c in self.path else []
        return f' class="{" ".join(classes)}"' if classes else ""

    def __repr__(self) -> str:
        return self.frame.to_string(index=False) if not self.frame.empty else self.empty


_RAG_HEADERS = {"Reported RAG", "Recomputed RAG", "RAG", "Status"}
_CARD_ROLES = {k: f' role="{k}"' for k in ("table", "rowgroup", "row", "columnheader", "cell")}


def _rag_badge(v: str) -> str:
    """A RAG word with a coloured marker; the word itself carries the meaning (not colour)."""
    if v in RAG_WORDS:
        return f'<span class="rag rag-{v.lower()}">{v}</span>'
    return html.escape(v)


def table(
    df: pd.DataFrame,
    cols: Iterable[Col],
    caption: str = "",
    empty: str = "Nothing to show.",
    ids: str = "",
    cards: bool | None = None,
) -> Table:
    """`ids`: the column holding each row's statement id (see report.statements); `cards`:
    one card per row on a phone, by default for tables of CARD_MIN_COLUMNS columns or more
    (narrower ones fit a phone as a table)."""
    cols = list(cols)
    rows = [[c.cell(r) for c in cols] for _, r in df.iterrows()]
    frame = pd.DataFrame(rows, columns=[c.header for c in cols])
    return Table(
        frame,
        caption,
        tuple(c.header for c in cols if c.numeric),
        tuple(c.header for c in cols if c.wide),
        empty,
        tuple(c.header for c in cols if c.nowrap),
        tuple(c.header for c in cols if c.path),
        tuple(str(x) if not is_missing(x) else "" for x in df[ids]) if ids else (),
        len(cols) >= CARD_MIN_COLUMNS if cards is None else cards,
    )


def value_col(
    source: str,
    header: str,
    units: dict[str, str],
    decimals: dict[str, int],
    key: str = "kpi_id",
    printed: str = "",
) -> Col:
    """A KPI value written with that KPI's unit and printed precision; `printed` names the
    column of the text as printed, whose approximation word ("over") is kept."""

    def cell(row: pd.Series) -> str:
        k = row.get(key)
        d = decimals.get(k, 1)
        as_printed = row.get(printed) if printed else None
        if _printed_as_is(as_printed, row.get(source)):
            d = decimals_of(as_printed)  # this figure's own decimals: 1.96%, not 2.0%
        shown = number(row.get(source), d, units.get(k, ""))
        return approx(as_printed, shown) if printed else shown

    return Col(header, cell, numeric=True)


def _printed_as_is(text: object, value: object) -> bool:
    """Whether `text` prints `value` itself with significant decimals ("1.96%" for 1.96): not
    zeros that say nothing ("827.0"), nor a scaled figure ("1.5 million" for 1,500,000)."""
    if is_missing(text) or is_missing(value):
        return False
    m = re.search(r"\d[\d,]*\.\d*[1-9]\d*", str(text))
    if m is None:
        return False
    try:
        return abs(float(m.group(0).replace(",", "")) - float(value)) <= 1e-9 * max(
            1.0, abs(float(value))
        )
    except ValueError:
        return False


def printed_decimals(rows: pd.DataFrame) -> dict[str, int]:
    """Per KPI, the decimals the council printed in its latest report (from value_text); none
    where every figure of the KPI is whole, as a table formatted to "827.0" or "116.00" prints
    counts: zeros that say nothing about precision."""
    if rows.empty or "value_text" not in rows:
        return {}
    if "value" in rows:  # a row without a figure ("-") says nothing about precision
        rows = rows[pd.to_numeric(rows["value"], errors="coerce").notna()]
    d = rows.assign(_d=rows["value_text"].map(decimals_of))
    if "report_period" in d:
        d = d.sort_values("report_period", kind="stable")
    printed = d.groupby("kpi_id")["_d"].last()
    if "value" not in d:
        return {str(k): int(v) for k, v in printed.items()}
    values = pd.to_numeric(d["value"], errors="coerce").dropna()
    whole = (values % 1 == 0).groupby(d.loc[values.index, "kpi_id"]).all()
    return {str(k): 0 if whole.get(k, False) else int(v) for k, v in printed.items()}


def header(name: str) -> str:
    """A column name as a header: 'rows_without_value' -> 'Rows without value'."""
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def generic(
    df: pd.DataFrame,
    caption: str = "",
    empty: str = "Nothing to show.",
    paths: Iterable[str] = ("file", "source_file"),
) -> Table:
    """Any result table formatted for reading when it has no bespoke layout: readable
    headers, whole numbers without decimals, other figures to two places, blanks for
    missing values, long text wrapped, file paths allowed to break."""
    cols: list[Col] = []
    for name in df.columns:
        s = df[name]
        if pd.api.types.is_bool_dtype(s):
            cols.append(col(name, header(name), flag))
        elif pd.api.types.is_numeric_dtype(s):
            whole = s.dropna().apply(lambda v: float(v).is_integer()).all()
            fmt = (lambda x: number(x, 0)) if whole else (lambda x: number(x, 2))
            cols.append(col(name, header(name), fmt, numeric=True))
        else:
            long = s.astype(str).str.len().max() > 40 if len(s) else False
            cols.append(col(name, header(name), text, wide=bool(long), path=name in set(paths)))
    return table(df, cols, caption, empty)
