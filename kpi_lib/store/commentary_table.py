"""The commentary table: one row per commentary block and KPI it speaks about, so a block that
names two KPIs is found under either; KPI names resolve through the same catalogue as the
observations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpi_lib.readers.directors import KIND as DIRECTORS
from kpi_lib.store import schemas
from kpi_lib.store.inputs import Input
from kpi_lib.store.parquet import sort_rows


def commentary(inputs: list[Input], resolve: Any) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for inp in inputs:
        assert inp.period is not None
        for c in inp.result.comments:
            ids = dict.fromkeys(resolve(m)[0] for m in c["metrics"])
            if not ids and c["kind"] == DIRECTORS:
                ids = {"": None}  # kept whole: the analysis finds the KPIs it names
            for kpi_id in ids:
                recs.append(
                    {
                        "report_period": inp.period.label,
                        "kpi_id": kpi_id,
                        "heading": c["heading"],
                        "kind": c["kind"],
                        "label": c["label"],
                        "text": c["text"],
                        "council": inp.council,
                        "source_file": inp.file,
                        "source_page": c.get("source_page"),
                        "source_line": c["source_line"],
                    }
                )
    if not recs:
        return schemas.empty("commentary")
    df = schemas.conform("commentary", pd.DataFrame(recs))
    return sort_rows("commentary", df)
