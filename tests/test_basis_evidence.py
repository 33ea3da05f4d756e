"""The council's words settle a figure's basis: a share of an earlier comparable figure ("two
thirds of pre-pandemic levels") is true of one basis only. Generated over KPIs, quarters,
phrasings and references; never a library special case."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi_lib.periods import fy_quarter
from kpi_lib.store.basis_evidence import rebased, shares_about


def _row(kpi: str, report: str, fy: int, q: int, value: float, basis: str, **kw: object) -> dict:
    p = fy_quarter(fy, q)
    rec = {
        "kpi_id": kpi,
        "metric_name": kw.pop("name", f"Number of {kpi}"),
        "report_period": report,
        "period": p.label,
        "period_type": "fy_quarter",
        "period_start": pd.Timestamp(p.start),
        "period_end": pd.Timestamp(p.end),
        "basis": basis,
        "value": value,
        "value_text": f"{value:,.0f}",
        "value_quarter": value if basis == "quarter" else float("nan"),
        "source_file": "data/raw/x.md",
        "_report_start": date(int(report[:4]), 4 + 3 * (int(report[-1]) - 1), 1)
        if int(report[-1]) < 4
        else date(int(report[:4]) + 1, 1, 1),
    }
    rec.update(kw)
    return rec


def _history(kpi: str, quarters: list[float], fy: int = 2019) -> list[dict]:
    """One pre-pandemic year's quarters, each printed as the quarter's own count."""
    report = f"{fy}/{(fy + 1) % 100:02d} Q{len(quarters)}"
    return [_row(kpi, report, fy, i + 1, v, "quarter") for i, v in enumerate(quarters)]


def _run(rows: list[dict], text: str, names: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    latest = df.iloc[-1]

    def texts_of(rp: str, k: str) -> list[tuple[str, int | None]]:
        return [(text, 10)] if (rp, k) == (latest["report_period"], latest["kpi_id"]) else []

    return rebased(df, texts_of, lambda k, n: [n, *names], lambda f: None)


CASES = [
    # (kpi, names, pre-pandemic quarters, quarter judged, share, phrasing)
    ("library-visits", ["Visitor numbers"], [872_939, 924_365, 841_582], 2, 2 / 3,
     "Visitor numbers have only reached around two thirds of pre-pandemic levels."),
    ("museum-visits", ["Museum visitors"], [40_000, 52_000, 38_000], 3, 0.5,
     "Museum visitors are at about half of pre-Covid levels."),
    ("pool-swims", ["Swimming sessions"], [100_000, 110_000, 90_000], 2, 0.78,
     "Swimming sessions remain at c.78% of pre-pandemic levels."),
    ("bus-journeys", ["Concessionary bus journeys"], [2_000_000, 2_100_000, 1_900_000], 3, 0.75,
     "Despite recovery, concessionary bus journeys are roughly three quarters of pre-pandemic "
     "levels."),
]  # fmt: skip


@pytest.mark.parametrize(("kpi", "names", "pre", "q", "share", "text"), CASES)
def test_a_quarters_share_of_a_pre_pandemic_quarter_is_one_quarter(
    kpi: str, names: list[str], pre: list[float], q: int, share: float, text: str
) -> None:
    value = round(pre[q - 1] * share)
    rows = [*_history(kpi, pre), _row(kpi, f"2022/23 Q{q}", 2022, q, value, "year to date")]
    out = _run(rows, text, names).iloc[-1]
    assert out["basis"] == "quarter" and out["value_quarter"] == value
    assert (
        text.split(" ")[1] in out["basis_evidence"]
        and "one quarter's count" in out["basis_evidence"]
    )


@pytest.mark.parametrize(("kpi", "names", "pre", "q", "share", "text"), CASES)
def test_a_year_to_date_that_makes_the_share_true_stays_one(
    kpi: str, names: list[str], pre: list[float], q: int, share: float, text: str
) -> None:
    """The same sentence beside a running total of that share: the year to date stays, and
    the evidence is kept."""
    value = round(sum(pre[:q]) * share)
    rows = [*_history(kpi, pre), _row(kpi, f"2022/23 Q{q}", 2022, q, value, "year to date")]
    out = _run(rows, text, names).iloc[-1]
    assert out["basis"] == "year to date"
    assert "a year to date" in out["basis_evidence"]


def test_a_share_true_of_neither_basis_decides_nothing() -> None:
    pre = [872_939, 924_365, 841_582]
    rows = [*_history("library-visits", pre), _row("library-visits", "2022/23 Q2", 2022, 2,
                                                      100_000, "year to date")]  # fmt: skip
    out = _run(rows, "Visitor numbers are around two thirds of pre-pandemic levels.", ["visitor"])
    assert out.iloc[-1]["basis"] == "year to date" and out.iloc[-1]["basis_evidence"] == ""


def test_a_sentence_about_another_kpi_is_not_evidence() -> None:
    pre = [872_939, 924_365, 841_582]
    rows = [*_history("library-visits", pre), _row("library-visits", "2022/23 Q2", 2022, 2,
                                                      616_000, "year to date")]  # fmt: skip
    text = "Although visits increased, physical issues remain at c.67% of pre-pandemic levels."
    out = _run(rows, text, ["Visitor numbers", "Number of visits to libraries"])
    assert out.iloc[-1]["basis"] == "year to date"


def test_a_year_earlier_reference_uses_the_year_before() -> None:
    rows = [
        *_history("downloads", [50_000, 60_000, 55_000], fy=2021),
        _row("downloads", "2022/23 Q2", 2022, 2, 90_000, "year to date"),
    ]
    out = _run(rows, "E-downloads are 150% of the same period last year.", ["E-downloads"])
    # 90,000 is 150% of the Q2 own count (60,000) and 82% of the year to date (110,000)
    assert out.iloc[-1]["basis"] == "quarter"
    assert "year-earlier quarter 2021/22 Q2" in out.iloc[-1]["basis_evidence"]


def test_only_figures_known_when_the_report_was_published() -> None:
    """A reference printed in a later report is not used."""
    pre = _history("library-visits", [872_939, 924_365, 841_582])
    for r in pre:
        r["report_period"], r["_report_start"] = "2023/24 Q2", date(2023, 7, 1)
    rows = [*pre, _row("library-visits", "2022/23 Q2", 2022, 2, 616_000, "year to date")]
    out = _run(rows, "Visitor numbers are around two thirds of pre-pandemic levels.", ["visitor"])
    assert out.iloc[-1]["basis"] == "year to date"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("visitor numbers have only reached around two thirds of pre-pandemic levels", 2 / 3),
        ("Visitor numbers are just over half of pre-COVID levels", 0.5),
        ("Visitor numbers stand at 62% of pre-pandemic levels", 0.62),
        ("Visitor numbers are twice last year's", 2.0),
    ],
)
def test_share_phrasings(text: str, value: float) -> None:
    found = shares_about([(text, 1)], ["Number of visits to libraries", "Visitor numbers"])
    assert len(found) == 1 and found[0].value == pytest.approx(value)


def test_2022_library_visits_are_one_quarter_by_the_councils_words(store_root: object) -> None:
    """The bundled 2022/23 Q2 report: 571,743 visits with "visitor numbers have only reached
    around two thirds of pre-pandemic levels" is one quarter's count (the 2019/20 pack's
    quarters are 840-920k), so it is not judged Red as half of a 2 million year."""
    from kpi_lib.analysis.kpi import Kpi
    from kpi_lib.report.quarterly import build
    from kpi_lib.store import snapshot

    q = build("2022/23 Q2")
    row = q.rag.set_index("kpi_id").loc["library-visits"]
    assert row["basis"] == "quarter" and row["computed_rag"] != "Red"
    assert "2022-23_Q2_kpi_commentary.md:118" in row["basis_evidence"]
    assert "two thirds of pre-pandemic levels" in row["reason"]
    history = Kpi(snapshot.Store.load(), "library-visits").rag_history().set_index("period")
    assert history.loc["2022/23 Q2", "computed_rag"] != "Red"
