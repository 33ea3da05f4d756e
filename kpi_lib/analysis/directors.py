"""What the executive directors say is off track or on track, sentence by sentence, attached to
the KPIs each sentence names, with each KPI's last known figure and status.

A quarter that prints only its headline (2024/25 Q2) says what is below target only in these
accounts. A sentence is read as "below" or "on track" only where its main clause says so in
words a reader would agree with ("dipped below the national average", "above target"); a
sentence saying both, or neither, is not classified, and nothing is inferred from tone."""

from __future__ import annotations

import re

import pandas as pd

from kpi_lib.store.catalog import Catalog, normalise_name

KIND = "directors_summary"
COLUMNS = [
    "director",
    "stance",
    "cue",
    "sentence",
    "kpi_id",
    "metric_name",
    "last_period",
    "last_value",
    "last_rag",
    "last_source",
    "source_file",
    "source_line",
]

BELOW = re.compile(
    r"\b(?:(?:(?:dipped|fallen|fell|remain(?:s|ed)?|is|are|was|were)\s+)?(?:well\s+|"
    r"slightly\s+|significantly\s+)?below\s+(?:the\s+)?(?:target|national average|"
    r"desired level|expectations?)\w*|(?:faced|face|facing)\s+challenges|area of challenge|"
    r"(?:continued|biggest|main)\s+(?:challenge|risk)|proved difficult|remains? high|"
    r"(?:increase|rise) in (?:people|children|the number of people) waiting|worsening)"
    r"\b",
    re.I,
)
ON_TRACK = re.compile(
    r"\b(?:above (?:the )?targets?(?: figures)?|exceed\w*\s+(?:the\s+|their\s+)?targets?|"
    r"on track|achieving (?:the |their )?target|performing above|"
    r"has (?:now )?been cleared|is improving|improving (?:trend|overall))\b",
    re.I,
)
CONCESSIVE = re.compile(r"^(?:whilst|while|although|though|despite)\b[^,]*,\s*", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"'])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(" ".join(str(text).split())) if s.strip()]


def stance(sentence: str) -> tuple[str, str]:
    """("below" | "on track" | "", the words that decided it), read from the main clause: in
    "Whilst alcohol treatment is improving, opiate treatment has dipped below the national
    average" the main clause is the second."""
    main = CONCESSIVE.sub("", sentence, count=1)
    below, on = BELOW.search(main), ON_TRACK.search(main)
    if below and not on:
        return "below", below.group(0)
    if on and not below:
        return "on track", on.group(0)
    return "", ""


def named_kpis(sentence: str, catalog: Catalog | None) -> list[str]:
    """The KPIs whose title, alias or catalogued mention the sentence contains as whole words,
    in the order the catalogue lists them; in a concessive sentence, only the main clause's."""
    if catalog is None:
        return []
    main = CONCESSIVE.sub("", sentence, count=1)
    text = f" {normalise_name(main)} "
    found = []
    for e in catalog.entries:
        for phrase in (e.title, *e.aliases, *e.mentions):
            key = normalise_name(phrase)
            if key and f" {key} " in text:
                found.append(e.id)
                break
    return found


def directors_view(
    commentary: pd.DataFrame, observations: pd.DataFrame, catalog: Catalog | None, period: str
) -> pd.DataFrame:
    """Every classified sentence of the directors' accounts of `period`, one row per KPI it
    names (or one row with no KPI), with that KPI's latest figure known at the report date."""
    blocks = commentary[(commentary["report_period"] == period) & (commentary["kind"] == KIND)]
    latest = _latest(observations)
    rows = []
    for b in blocks.sort_values("source_line").to_dict("records"):
        for sent in sentences(b["text"]):
            word, cue = stance(sent)
            if not word:
                continue
            ids = named_kpis(sent, catalog) or [""]
            for k in ids:
                last = latest.get(k, {})
                rows.append(
                    {
                        "director": b["heading"],
                        "stance": word,
                        "cue": cue,
                        "sentence": sent,
                        "kpi_id": k,
                        "metric_name": last.get("metric_name", ""),
                        "last_period": last.get("period", ""),
                        "last_value": last.get("value"),
                        "last_rag": last.get("rag", ""),
                        "last_source": last.get("source", ""),
                        "source_file": b["source_file"],
                        "source_line": int(b["source_line"]),
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def _latest(observations: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Each KPI's latest current figure (by period end, then report), with where it was printed."""
    obs = observations[observations["is_current"] & observations["value"].notna()]
    obs = obs.sort_values(["kpi_id", "period_end", "report_period"], na_position="first")
    out: dict[str, dict[str, object]] = {}
    for r in obs.groupby("kpi_id").tail(1).to_dict("records"):
        line = "" if pd.isna(r["source_line"]) else f":{int(r['source_line'])}"
        out[r["kpi_id"]] = {
            "metric_name": r["metric_name"],
            "period": r["period"],
            "value": r["value"],
            "rag": r["rag"] or "",
            "source": f"{r['source_file']}{line}",
        }
    return out
