"""The council's own RAG bands, read from the statuses it printed.

The council rarely prints its bands, and they are not a fixed 5%: in 2023/24 Q2 misses of
13.7% and 20% were Amber and a 3% miss Green. Every rated point whose target gives a shortfall
(`gap`, relative to the target; 0 when met) is evidence of where the bands lie: a Green point
says the green edge is at least its gap, an Amber one that the green edge is below it and the
amber edge at least it, a Red one that the amber edge is below it. The edges are the ones that
misclassify fewest points. The council's edges come from the other KPIs of the same report
(the bands it used that quarter, as published; never the point being judged) or, where that
report has too few, the latest earlier report; each KPI's own earlier statuses then move the
council's edges where they contradict them. With no evidence the tolerance parameter is used.

Two edges are never learned, whatever the statuses say. Green is "achieving or exceeding the
target", so a miss is never Green: a Green printed at a miss only says the amber edge lies
beyond it. And Amber is "slightly below": an amber edge the statuses put beyond MAX_AMBER (a
37.3% band would call a miss of over a third "slightly below") is capped there, and the band
says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from kpi_lib.periods import period_key

MIN_POINTS = 5  # missed-target points a report needs before its statuses set the bands
# the widest amber edge the statuses may set: a miss of more than a quarter of the target is not
# "slightly below the desired level"
MAX_AMBER = 0.25
PUBLISHED = "published rule"  # a band the council publishes (kpi_lib.store.councils)


@dataclass(frozen=True)
class Point:
    """One printed status and the shortfall the same target gives."""

    report_period: str
    kpi_id: str
    period: str
    gap: float  # relative shortfall, 0 when met, inf when the target is 0
    status: str  # Green | Amber | Red


@dataclass(frozen=True)
class AmberBand:
    """A miss up to `green` is still Green (only ever a user's explicit band: the learned ones
    have none), up to `amber` Amber, beyond that Red. `implied` is the edge the statuses put
    beyond MAX_AMBER when the band was capped."""

    green: float
    amber: float
    source: str  # where the edges come from, for the table's `band` column
    implied: float | None = None
    judged_in: str = ""  # the report whose point the band judges ("the report's own statuses")

    def status(self, gap: float) -> str:
        """The status of a missed target (a miss of 0 is a strict target just missed)."""
        if self.green > 0 and gap <= self.green + 1e-12:
            return "Green"
        return "Amber" if gap <= self.amber + 1e-12 else "Red"

    @property
    def learned(self) -> bool:
        return self.source.startswith("council's statuses")

    def meaning(self) -> str:
        """Where the amber edge comes from, to follow "within the 13.7% band ...": said in every
        reason, so a learned band is never shown without what it is."""
        base, _, moved = self.source.partition(", moved by ")
        if self.source.startswith(PUBLISHED):
            said = f"the council publishes ({self.source})"
        elif self.learned:
            report = base.split(",", 1)[0].removeprefix("council's statuses in ")
            own = report == self.judged_in
            said = f"{'the report' if own else 'the council'}'s own statuses"
            said += "" if own else f" in {report}"
            said += " imply"
        else:
            said = "of the tolerance parameter"
        if moved:
            said += f" (moved by {moved})"
        if self.implied is not None:
            said += f" (they imply {pct(self.implied)}, capped: {_CAPPED})"
        return said

    def describe(self) -> str:
        green = f"Green within {pct(self.green)}, " if self.green > 0 else ""
        capped = (
            f"; the statuses imply {pct(self.implied)}, capped at {pct(self.amber)}: {_CAPPED}"
            if self.implied is not None
            else ""
        )
        return f"{green}Amber within {pct(self.amber)} ({self.source}{capped})"


def pct(x: float) -> str:
    """A share as a percentage with one decimal, none when whole: 5%, 13.7%."""
    return f"{x:.1%}".replace(".0%", "%")


_CAPPED = f"a miss of more than {pct(MAX_AMBER)} is not 'slightly below'"


def tolerance_band(tolerance: float) -> AmberBand:
    return AmberBand(0.0, tolerance, "tolerance parameter")


def published_band(amber_within: float, council: str, rule: str = "") -> AmberBand:
    """The amber band a council publishes ("within 10% of target is Amber"): used as it is,
    never learned, moved or capped."""
    said = f": {rule}" if rule else ""
    return AmberBand(0.0, amber_within, f"{PUBLISHED} of {council}{said}")


def _edge(
    points: list[Point], below: set[str], above: set[str], floor: float, default: float
) -> float:
    """The edge (>= floor) that puts fewest `below` points above it and `above` points at or
    under it. `default` (the tolerance's edge) stands unless an edge misclassifies strictly
    fewer points: inconsistent statuses do not move it. Among equally good edges, the one
    before the widest empty stretch up to the next `above` point (the clearest line the
    statuses draw), set halfway across that stretch."""
    finite = [p for p in points if p.gap < math.inf]
    gaps = sorted({p.gap for p in finite if p.gap >= floor})

    def nxt(t: float) -> float | None:
        up = [p.gap for p in finite if p.status in above and p.gap > t]
        return min(up) if up else None

    def errors(t: float) -> int:
        return sum(
            (p.status in below and p.gap > t) or (p.status in above and floor < p.gap <= t)
            for p in points
        )

    def score(t: float) -> tuple[int, float]:
        n = nxt(t)
        return errors(t), -(n - t) if n is not None else 0.0

    default = max(default, floor)
    best = min([floor, *gaps], key=score)
    if errors(best) >= errors(default):
        return default
    n = nxt(best)
    return (best + n) / 2 if n is not None and best > floor else best


def odd_status(points: Iterable[Point]) -> Point | None:
    """The one status that alone says a miss of more than MAX_AMBER is not Red (an Amber or
    Green at a 60% miss): "slightly below" cannot mean that, so one such status is taken as an
    odd rating, not as where the council's edge lies, and moves no edge. Two or more agree, and
    are kept."""
    lenient = [
        p for p in points if p.status in ("Green", "Amber") and MAX_AMBER + 1e-12 < p.gap < math.inf
    ]
    return lenient[0] if len(lenient) == 1 else None


def _without_odd(points: list[Point]) -> list[Point]:
    odd = odd_status(points)
    return points if odd is None else [p for p in points if p is not odd]


def fit(points: list[Point], tolerance: float, source: str) -> AmberBand:
    """The amber edge misclassifying fewest of `points`, starting from the tolerance (met
    targets say nothing about how far a miss may go). No green margin: a Green printed at a
    miss counts as not Red. An edge beyond MAX_AMBER is capped there; one odd status (see
    odd_status) is left out, so it cannot stretch the band."""
    missed = _without_odd([p for p in points if p.gap > 0])
    amber = _edge(missed, {"Green", "Amber"}, {"Red"}, 0.0, tolerance)
    return _capped(AmberBand(0.0, amber, source))


def _capped(band: AmberBand) -> AmberBand:
    """`band` with its learned amber edge no wider than MAX_AMBER."""
    if band.amber <= MAX_AMBER + 1e-12:
        return band
    return replace(band, amber=MAX_AMBER, implied=band.implied or band.amber)


def _clip(edge: float, low: float, high: float) -> float:
    """`edge` moved into [low, high) (halfway when above), if that interval is not empty."""
    if low >= high:
        return edge
    if edge < low:
        return low
    return (low + high) / 2 if edge >= high else edge


def adjust_for_kpi(band: AmberBand, own: list[Point]) -> AmberBand:
    """The council's edges moved as little as needed to agree with this KPI's own earlier
    statuses, where those agree among themselves; one odd status (see odd_status) moves
    nothing."""
    own = _without_odd([p for p in own if p.gap > 0])
    if not own:
        return band

    def span(lower: set[str], upper: set[str]) -> tuple[float, float]:
        low = max((p.gap for p in own if p.status in lower), default=0.0)
        high = min((p.gap for p in own if p.status in upper), default=math.inf)
        return low, high

    amber = _clip(band.amber, *span({"Green", "Amber"}, {"Red"}))
    if amber == band.amber:
        return band
    n = len(own)
    moved = f"{band.source}, moved by this KPI's {n} earlier statuses"
    return _capped(AmberBand(band.green, amber, moved))


def _order(report_period: str) -> tuple[int, float]:
    return period_key(report_period) or (-1, -1.0)


@lru_cache(maxsize=256)
def _line_drawn(report: tuple[Point, ...], tolerance: float) -> tuple[bool, int, int, int]:
    """Do a report's statuses draw a clearer line than the tolerance? Each missed target is
    judged by the band fitted without it, against the tolerance band; asked once per report, so
    every point of a report is judged the same way. Returns (drawn, fitted wrong, missed,
    tolerance wrong)."""
    missed = [p for p in report if p.gap > 0]
    fitted_wrong = sum(
        fit([q for q in report if q is not p], tolerance, "").status(p.gap) != p.status
        for p in missed
    )
    fixed = tolerance_band(tolerance)
    fixed_wrong = sum(fixed.status(p.gap) != p.status for p in missed)
    return fitted_wrong <= fixed_wrong, fitted_wrong, len(missed), fixed_wrong


@lru_cache(maxsize=4096)
def _council_band(
    report: tuple[Point, ...], others: tuple[Point, ...], tolerance: float, source: str
) -> AmberBand:
    """The band fitted to the council's statuses other than the point being judged (`others`),
    where the report's statuses draw a line at all (see _line_drawn). Statuses that draw no line
    (misses of 8-20% Amber beside misses of 6-8% Red) keep the tolerance, and the band says
    why."""
    drawn, fitted_wrong, n, fixed_wrong = _line_drawn(report, tolerance)
    if drawn:
        missed = sum(p.gap > 0 for p in others)
        return fit(list(others), tolerance, f"{source}, {missed} missed targets")
    return AmberBand(
        0.0,
        tolerance,
        f"tolerance parameter: the {source} draw no line as clear "
        f"({fitted_wrong} of {n} misjudged without each, {fixed_wrong} by the tolerance)",
    )


def band_for(
    points: Iterable[Point],
    report_period: str,
    kpi_id: str,
    period: str,
    tolerance: float,
) -> AmberBand:
    """The band to judge one point with: the council's (this report's other KPIs, else the
    latest earlier report with enough missed targets), adjusted by the KPI's earlier statuses;
    the tolerance when nothing was printed."""
    points = list(points)
    now = _order(report_period)
    report = [p for p in points if p.report_period == report_period]
    others = [p for p in report if not (p.kpi_id == kpi_id and p.period == period)]
    source = f"council's statuses in {report_period}"
    if sum(p.gap > 0 for p in others) < MIN_POINTS:
        earlier = sorted(
            {p.report_period for p in points if _order(p.report_period) < now}, key=_order
        )
        report = others = []
        for rp in reversed(earlier):
            cand = [p for p in points if p.report_period == rp]
            if sum(p.gap > 0 for p in cand) >= MIN_POINTS:
                report = others = cand
                source = f"council's statuses in {rp}"
                break
    band = (
        _council_band(tuple(report), tuple(others), tolerance, source)
        if others
        else tolerance_band(tolerance)
    )
    own = [p for p in points if p.kpi_id == kpi_id and _order(p.report_period) < now]
    return replace(adjust_for_kpi(band, own), judged_in=report_period)
