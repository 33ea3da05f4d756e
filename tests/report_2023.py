"""The 2023/24 Q2 OCR report as store-shaped frames built from its text and the gold rows
(each gold row placed on its line of the text), with the commentary read by
kpi_lib.readers.commentary: tests of RAG and claims on that quarter that do not depend on
the text reader being exact."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi_lib.readers.commentary import extract_comments

ROOT = Path(__file__).resolve().parents[1]
TXT = ROOT / "data" / "raw" / "2023-24_Q2" / "2023-24_Q2_kpi_commentary.txt"
GOLD = ROOT / "tests" / "fixtures" / "2023-24_Q2_kpis.csv"
PERIOD = "2023/24 Q2"


def frames(*edits: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(observations, commentary) of the report, after replacing text as `edits` say."""
    text = TXT.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    lines = text.splitlines()
    g = pd.read_csv(GOLD, dtype=str, keep_default_na=False)
    rows = []
    for r in g.to_dict("records"):
        at = [i for i, line in enumerate(lines) if r["metric_name"] in line and "\t" in line]
        rows.append(r | {"source_line": at[0] + 1})
    com = pd.DataFrame(
        [
            {"report_period": PERIOD, "kpi_id": m, "text": c.text, "source_file": TXT.name,
             "source_line": c.source_line}
            for c in extract_comments(lines, rows)
            for m in c.metrics
        ]
    )  # fmt: skip
    obs = pd.DataFrame(rows).rename(columns={"good_is": "polarity", "as_of_text": "period"})
    obs = obs.assign(kpi_id=obs["metric_name"], report_period=PERIOD, unit="", rag=g["rag"])
    return obs, com
