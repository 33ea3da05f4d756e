"""A headline counted from a report's own rows, with the reason wherever it cannot stand beside
the printed one.

Reports do not all mark every status: 2021/22 Q4 marks only its Red KPIs, 2019/20 Q3 marks
none, 2024/25 Q2 has no KPI tables at all. Counting what is there gives "7 rated, 0 green,
0.0%" for a report whose own headline is "31 rated, 39% green"; so a status the report does not
mark is left blank with why, never counted as zero, and % green is only given when every status
is marked.
"""

from __future__ import annotations

from collections.abc import Mapping

MEASURES = ("rated", "green", "amber", "red", "pct_green")
STATUSES = ("Green", "Amber", "Red")
NO_TABLES = "no KPI tables in this report"


def explain(
    found: Mapping[str, int], rows: int, printed: Mapping[str, object] | None = None
) -> tuple[dict[str, object], dict[str, str]]:
    """(value, note) per measure of the headline computed from a report's rows.

    `found`: how many rows carry each status (Green/Amber/Red); `rows`: how many KPI rows the
    report's tables gave, rated or not; `printed`: the report's own headline (measure ->
    number, None where it prints none)."""
    counts = {s: int(found.get(s, 0)) for s in STATUSES}
    rated = sum(counts.values())
    values: dict[str, object] = {
        "rated": rated,
        "green": counts["Green"],
        "amber": counts["Amber"],
        "red": counts["Red"],
        "pct_green": round(100 * counts["Green"] / rated, 1) if rated else None,
    }
    notes = dict.fromkeys(MEASURES, "")
    if rows == 0:
        shown = " (the printed headline is shown)" if _has(printed) else ""
        return dict.fromkeys(MEASURES), dict.fromkeys(MEASURES, NO_TABLES + shown)
    if rated == 0:
        why = (
            f"no RAG status could be read from this report's tables ({rows} figures): a status "
            "shown only as a colour is lost in a text copy"
        )
        values["pct_green"] = None
        return values, {**dict.fromkeys(MEASURES, why)}
    missing = _unmarked(counts, printed, rows - rated)
    if missing:
        marked = [s for s in STATUSES if counts[s]]
        only = " and ".join(marked)
        for s in missing:
            values[s.lower()] = None
            notes[s.lower()] = f"not marked in this report (only {only} statuses are)"
        notes["rated"] = f"{rated} statuses found: only {only} statuses are marked" + (
            f"; the report prints {_int(printed, 'rated')} rated" if _has(printed) else ""
        )
        values["pct_green"] = None
        notes["pct_green"] = f"not computable: only {only} statuses are marked"
    if _has(printed):
        for s in STATUSES:
            key = s.lower()
            if not notes[key] and counts[s] != _int(printed, key):
                notes[key] = (
                    f"{counts[s]} found in the tables; the report prints {_int(printed, key)}"
                )
    return values, notes


def one_line(notes: Mapping[str, str]) -> str:
    """The note of a whole headline row: what it says about the count of rated statuses, else
    about % green, else the first there is."""
    for m in ("rated", "pct_green", *MEASURES):
        if notes.get(m):
            return notes[m]
    return ""


def _unmarked(
    counts: Mapping[str, int], printed: Mapping[str, object] | None, unrated: int
) -> list[str]:
    """Statuses the report uses but does not mark in its tables: printed in its headline but
    never found; without a printed headline, the others when only one status is found and
    some rows carry none (a report marking only its Red KPIs)."""
    if _has(printed):
        return [s for s in STATUSES if counts[s] == 0 and _int(printed, s.lower())]
    present = [s for s in STATUSES if counts[s]]
    if len(present) == 1 and present != ["Green"] and unrated > 0:
        return [s for s in STATUSES if s not in present]
    return []


def _has(printed: Mapping[str, object] | None) -> bool:
    return printed is not None and any(_int(printed, m) for m in MEASURES[:4])


def _int(printed: Mapping[str, object] | None, measure: str) -> int:
    value = None if printed is None else printed.get(measure)
    try:
        return 0 if value is None or value != value else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def coverage_note(
    covered: int | None, rows: int, untabled: list[str], printed_rated: int | None = None
) -> str:
    """What the headline counted from the tables leaves out: the number of KPIs the report
    says it covers when that is not the number of rows read ("the report covers 43 KPIs; 38
    rows were read from its tables"), and the sections with commentary but no KPI table (an
    image in the published report), by name. "" when nothing is left out, or when the
    printed headline's own total (already set beside the count) is that same number."""
    said = covered is not None and covered != rows and covered != printed_rated
    if not said and not untabled:
        return ""
    parts = []
    if said:
        parts.append(f"the report covers {covered} KPIs; {rows} rows were read from its tables")
    if untabled:
        n = len(untabled)
        has = "section has" if n == 1 else "sections have"
        parts.append(
            f"{n} {has} commentary but no KPI table (an image in the published report?), "
            f"not counted: {'; '.join(untabled)}"
        )
    return "; ".join(parts)
