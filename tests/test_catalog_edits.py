"""Issue 8 item 6: a catalogue edit takes effect on a plain `kpi ingest`. Readers never read
the catalogue (the per-file cache holds what a file says on its own); names are resolved,
and a narrative KPI's figure chosen by its catalogued unit, in the store step."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd

from kpi_lib import store
from kpi_lib.cli import main
from kpi_lib.store.ingest import ingest

REPORT = "data/raw/2021-22_Q4/2021-22_Q4_performance_report.txt"
# "2.4 Highways carriageway safety defects. (Red KPIs)": RAG-tagged, no unit in the heading,
# "... reported defects across the county at 19,909 ..." in its first sentence.
HIGHWAYS = "Highways carriageway safety defects"
# "2.5 Street lighting fault repair.": no tag, no unit; the reader used to drop it unseen.
LIGHTING = "Street lighting fault repair"
ENTRY = f"""
- id: highways-defects-reported
  title: Highway defects reported
  aliases:
    - {HIGHWAYS}
  polarity: Low
  unit: count
  frequency: quarterly
  accumulation: point
  section: Protecting the environment
"""


def _suggested(capsys) -> set[str]:
    assert main(["catalog", "suggest", "--format", "json"]) == 0
    return set(pd.read_json(io.StringIO(capsys.readouterr().out))["metric_name"])


def test_alias_takes_effect_without_rebuild(store_root: Path, capsys) -> None:
    assert {HIGHWAYS, LIGHTING} <= _suggested(capsys)
    obs = store.load("observations")
    before = obs[obs["metric_name"] == HIGHWAYS].iloc[0]
    assert not before["catalogued"] and math.isnan(before["value"])

    catalog = store_root / "data" / "catalog" / "kpis.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + ENTRY, encoding="utf-8")
    result = ingest()  # no rebuild: every file comes from the per-file cache
    assert result.parsed == [] and REPORT in result.reused

    obs = store.load("observations")
    row = obs[obs["metric_name"] == HIGHWAYS].iloc[0]
    assert row["kpi_id"] == "highways-defects-reported" and row["catalogued"]
    assert (row["value"], row["value_text"], row["unit"]) == (19909.0, "19,909", "count")
    assert HIGHWAYS not in _suggested(capsys)


def test_catalogue_unit_picks_the_figure_without_a_reparse(store_root: Path) -> None:
    """The same cached file, two catalogues: each unit takes its own figure from the prose."""
    catalog = store_root / "data" / "catalog" / "kpis.yaml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text + ENTRY, encoding="utf-8")
    ingest()
    count = store.load("observations").set_index("metric_name").loc[HIGHWAYS, "value"]
    catalog.write_text(text + ENTRY.replace("unit: count", "unit: days"), encoding="utf-8")
    assert ingest().parsed == []
    days = store.load("observations").set_index("metric_name").loc[HIGHWAYS]
    assert count == 19909.0 and (days["value"], days["value_text"]) == (58.0, "over 58 days")
    # a unit the prose states no figure in: the row stays, with no value
    catalog.write_text(text + ENTRY.replace("unit: count", 'unit: "%"'), encoding="utf-8")
    assert ingest().parsed == []
    pct = store.load("observations").set_index("metric_name").loc[HIGHWAYS]
    assert pct["catalogued"] and math.isnan(pct["value"])
