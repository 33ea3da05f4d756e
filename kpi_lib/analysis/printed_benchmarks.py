"""Benchmark figures a report prints in its own commentary, for targets that name a benchmark.

"Quartile 2" as a target cannot be judged without the quartile's edges, and the council
often prints them beside the table: "Quartile 2 performance for primary schools is currently
98.5% - 99.04%. For secondary schools it is 94.8% - 96.7%." Such a band, read from the same
report (as known at the time), gives the figure to reach: the band's worse edge (its lower
end when higher is better). A sentence goes to the KPI of its block whose name it shares a
distinguishing word with ("primary", "secondary"); a sentence that names no quartile takes
the one of the sentence before it. Only quartile bands are read: a bare "national average"
in prose is too loosely tied to one KPI's figure.
"""

from __future__ import annotations

import re

import pandas as pd

from kpi_lib.analysis.claims_extract import extract_claims
from kpi_lib.analysis.targets import BENCHMARK_COLUMNS, norm_polarity
from kpi_lib.readers.commentary import tokens

_QUARTILE = re.compile(r"(?i)\bquartile\s*(?P<q>[1-4]|one|two|three|four)\b")
_WORD_Q = {"one": "1", "two": "2", "three": "3", "four": "4"}


def printed_benchmarks(commentary: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """(kpi_id, period, benchmark, value, source) for each quartile band printed in the
    commentary of a KPI whose report row targets that quartile."""
    out: list[dict[str, object]] = []
    columns = [*BENCHMARK_COLUMNS, "source"]
    if commentary is None or commentary.empty or observations.empty:
        return pd.DataFrame(out, columns=columns)
    quartile = observations["target_text"].astype(str).map(lambda t: bool(_QUARTILE.search(t)))
    obs = observations[quartile]
    if obs.empty:
        return pd.DataFrame(out, columns=columns)
    com = commentary[commentary["kpi_id"].isin(set(obs["kpi_id"]))]
    key = ["report_period", "source_file", "source_line", "text"]
    for (report, _, _, text), grp in com.groupby(key, sort=True, dropna=False):
        rows = obs[(obs["report_period"] == report) & obs["kpi_id"].isin(set(grp["kpi_id"]))]
        if not rows.empty:
            out.extend(_from_block(str(text), rows))
    df = pd.DataFrame(out, columns=columns).drop_duplicates(
        ["kpi_id", "period", "benchmark"], keep="first"
    )
    return df.reset_index(drop=True)


def _from_block(text: str, rows: pd.DataFrame) -> list[dict[str, object]]:
    out = []
    quartile = ""
    for claim in extract_claims(text):
        m = _QUARTILE.search(claim.text)
        if m:
            quartile = _WORD_Q.get(m.group("q").lower(), m.group("q"))
        if claim.kind != "range" or not quartile or claim.target is None:
            continue
        row = _row_named(claim.text, rows)
        if row is None:
            continue
        pol = norm_polarity(row["polarity"])
        if not pol:
            continue
        edge = claim.value if pol == "High" else claim.target
        out.append(
            {
                "kpi_id": row["kpi_id"],
                "period": row["period"],
                "benchmark": f"quartile {quartile}",
                "value": float(edge),
                "source": f"the commentary ({claim.quote})",
            }
        )
    return out


def _row_named(sentence: str, rows: pd.DataFrame) -> pd.Series | None:
    """The one row a sentence is about: the only one, or the one whose name alone shares a
    word with it (among the rows of one block, the words that tell them apart)."""
    if len(rows) == 1:
        return rows.iloc[0]
    names = [tokens(str(n)) for n in rows["metric_name"]]
    said = tokens(sentence)
    hits = []
    for i, own in enumerate(names):
        others = set().union(*(n for j, n in enumerate(names) if j != i))
        if said & (own - others):
            hits.append(i)
    return rows.iloc[hits[0]] if len(hits) == 1 else None
