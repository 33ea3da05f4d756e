"""How far the recomputed RAG covers and agrees with the council's, and what `kpi claims`
says, on the hand-checked quarters (not a speed bench: the numbers for the note).

For 2023/24 Q2 the rows are the gold extraction placed on the text (tests/report_2023.py) and
the commentary is read from the text, so the figures do not depend on the text reader; for
2022/23 Q2 the gold rows alone. Prints, per quarter: rated rows, judged, agreed, and each
disagreement with its reason and the band used; then the claims' statuses and every
contradiction.

    .venv/bin/python bench/rag_agreement.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi_lib.analysis.claims import check_claims  # noqa: E402
from kpi_lib.analysis.rag import rag_summary, rag_table  # noqa: E402
from tests import report_2023  # noqa: E402


def show(label: str, table: pd.DataFrame) -> None:
    s = rag_summary(table)
    rated = int((table["reported_rag"] != "").sum())
    rate = 0.0 if s.agreement_rate is None else s.agreement_rate
    print(
        f"{label}: {rated} rated rows, {s.both_rated} judged ({s.both_rated / rated:.1%}), "
        f"{s.agreed} agree ({rate:.1%})"
    )
    bands = table.set_index("metric_name")["band"]
    for r in s.disagreements.itertuples():
        print(f"  {r.reported_rag:>5} printed, {r.computed_rag:>5} recomputed: {r.metric_name}")
        print(f"        {r.reason}")
        if bands.get(r.metric_name):
            print(f"        band: {bands[r.metric_name]}")
    unjudged = table[(table["reported_rag"] != "") & (table["computed_rag"] == "")]
    for r in unjudged.itertuples():
        print(f"  not judged: {r.metric_name[:70]}: {r.reason}")


def main() -> None:
    obs, com = report_2023.frames()
    show("2023/24 Q2", rag_table(obs, report_period=report_2023.PERIOD, commentary=com))
    gold = pd.read_csv(
        ROOT / "tests" / "fixtures" / "2022-23_Q2_kpis.csv", dtype=str, keep_default_na=False
    ).assign(report_period="2022/23 Q2")
    print()
    show("2022/23 Q2", rag_table(gold, report_period="2022/23 Q2"))
    claims = check_claims(com, obs, report_2023.PERIOD)
    counts = claims["status"].value_counts()
    print(
        f"\nclaims 2023/24 Q2: {len(claims)}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("matched", "contradicted", "not checkable"))
    )
    for r in claims[claims["status"] == "contradicted"].itertuples():
        print(f"  contradicted: {r.claim_text!r}: {r.reason}")


if __name__ == "__main__":
    main()
