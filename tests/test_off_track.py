"""Which KPIs are off track, and why each is listed: the status the report prints, the
recomputed one where the printed target is missed, and the report's own list of indicators
"performing below the desired level". Generated over KPIs, polarities, glyphs and phrasings."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_lib.readers.status_lists import NAMED_BELOW, named_below
from kpi_lib.report.quarterly import off_track_note, off_track_rows

METRICS = [
    "Average number of working days to repair a LCC street lighting fault",
    "Percentage of adults with learning disabilities in employment",
    "Proportion of children excluded from school",
    "Number of working days per full time equivalent lost to sickness absence",
    "Number of e-downloads",
]


def _rows(names: list[str]) -> list[dict]:
    return [{"metric_name": n} for n in names]


@pytest.mark.parametrize(
    "intro",
    [
        "However, indicators performing below the desired level include:",
        "The following KPIs are below target:",
        "Indicators that require improvement are:",
        "Measures currently off track:",
        "Areas not meeting target include:",
    ],
)
@pytest.mark.parametrize("bullet", ["- ", "• ", "1. "])
def test_a_list_of_indicators_below_the_desired_level_names_them(intro: str, bullet: str) -> None:
    lines = [
        "Highlights of good performance includes:",
        f"{bullet}Number of e-downloads.",
        "",
        intro,
        "",
        "Lancashire will be the place to live –",
        "",
        f"{bullet}Average number of working days to repair a Lancashire County Council street "
        "lighting fault.",
        "Lancashire will be the place to work –",
        f"{bullet}Proportion of children excluded from school.",
        "",
        "Recommendation",
        f"{bullet}Number of working days per full time equivalent lost to sickness absence.",
    ]
    found = named_below(lines, _rows(METRICS))
    assert [(c.metrics[0], c.source_line) for c in found] == [(METRICS[0], 8), (METRICS[2], 10)]
    assert all(c.kind == NAMED_BELOW and c.label == intro for c in found)
    assert found[1].heading == "Lancashire will be the place to work"


def test_a_good_performance_list_names_nothing_below() -> None:
    lines = ["Highlights of good performance includes:", "- Number of e-downloads."]
    assert named_below(lines, _rows(METRICS)) == []


def _rag(**kw: object) -> dict:
    base = {
        "kpi_id": "k",
        "metric_name": "K",
        "value": 1.0,
        "target_text": "2",
        "polarity": "High",
        "reported_rag": "",
        "computed_rag": "",
        "reason": "",
        "reported_rag_from": "",
        "period": "2023/24 Q2",
    }
    return base | kw


NO_NAMES = pd.DataFrame(columns=["report_period", "kpi_id", "source_line"])


@pytest.mark.parametrize(
    ("row", "listed", "because"),
    [
        (_rag(reported_rag="Red", computed_rag="Red"), True, "printed Red"),
        (_rag(reported_rag="Amber", computed_rag="Green", reason="61.2 >= 60"), True,
         "printed Amber"),
        # the OCR '~' read as Green at a miss: listed by the recomputation, said so
        (_rag(reported_rag="Green", computed_rag="Amber", reported_rag_from="glyph '~' (OCR "
              "look-alike of ✓)", reason="70.4 below target 72.6 by 3.0%; Amber: ..."), True,
         "recomputed Amber: 70.4 below target 72.6 by 3.0% (Good is High)"),
        (_rag(polarity="Low", reported_rag="Green", computed_rag="Amber",
              reported_rag_from="glyph '✓'", reason="40.4 above target 40 by 1.0%; Amber"), True,
         "recomputed Amber: 40.4 above target 40 by 1.0% (Good is Low)"),
        # no status printed: the recomputation alone lists it
        (_rag(computed_rag="Red", reason="5 below target 9 by 44%"), True, "recomputed Red"),
        # a pro-rated total the council prints Green with its own glyph: not listed on that alone
        (_rag(reported_rag="Green", computed_rag="Red", reported_rag_from="glyph '✓'",
              reason="67,213 below target 100,000; annual target pro-rated to Q2 (2/4)"), False,
         ""),
        # on target: never listed
        (_rag(reported_rag="Green", computed_rag="Green", reason="93.45 >= 88.75"), False, ""),
        (_rag(reported_rag="", computed_rag="", reason="target set for 2020/21"), False, ""),
        # a status the table lost, given by the council's own words
        (_rag(reason="no value; the report's own commentary rates it Amber (block from line 9: "
              "“rates the KPIs as Amber”)"), True,
         "rated Amber in the report's commentary, block from line 9"),
        (_rag(reported_rag="Green", computed_rag="Green", reason="1 >= 1; the report's own "
              "commentary rates it Green (block from line 9: “rated Green”)"), False, ""),
    ],
)  # fmt: skip
def test_listed_because(row: dict, listed: bool, because: str) -> None:
    got = off_track_rows(pd.DataFrame([row]), NO_NAMES, "2023/24 Q2")
    assert (not got.empty) == listed
    if listed:
        assert got.iloc[0]["listed_because"].startswith(because)


def test_named_in_the_reports_own_list_is_listed_with_its_line() -> None:
    rag = pd.DataFrame([_rag(kpi_id="a"), _rag(kpi_id="b"), _rag(kpi_id="c")])
    named = pd.DataFrame(
        [
            {"report_period": "2019/20 Q3", "kpi_id": "a", "source_line": 434},
            {"report_period": "2019/20 Q3", "kpi_id": "b", "source_line": 434},
            {"report_period": "2019/20 Q3", "kpi_id": "c", "source_line": 440},
            {"report_period": "2022/23 Q2", "kpi_id": "c", "source_line": 12},  # another report
        ]
    )
    got = off_track_rows(rag, named, "2019/20 Q3").set_index("kpi_id")["listed_because"]
    assert (
        got["a"]
        == "named below the desired level in the report, line 434 (the name fits 2 indicators)"
    )
    assert got["c"] == "named below the desired level in the report, line 440"


def test_one_row_per_kpi_worst_first() -> None:
    rag = pd.DataFrame(
        [
            _rag(kpi_id="amber", reported_rag="Amber", computed_rag="Amber"),
            _rag(kpi_id="red", reported_rag="Green", computed_rag="Red", reason="1 below 2"),
            _rag(kpi_id="red", metric_name="K2", reported_rag="Red", computed_rag="Red"),
        ]
    )
    got = off_track_rows(rag, NO_NAMES, "2023/24 Q2")
    assert list(got["kpi_id"]) == ["red", "amber"]


def test_an_empty_list_says_only_what_is_true() -> None:
    unmarked = pd.DataFrame([_rag()])
    assert "marks no statuses" in off_track_note(unmarked)
    marked = pd.DataFrame([_rag(reported_rag="Green", computed_rag="Green")])
    assert off_track_note(marked).startswith("No KPI is printed Red or Amber, none is recomputed")


def test_2019_lists_the_indicators_its_prose_names(store_root: object) -> None:
    """2019/20 Q3 prints no statuses and its targets are 2020/21's; its executive summary names
    seven indicators below the desired level: each is listed, with its line."""
    from kpi_lib.report.quarterly import build

    q = build("2019/20 Q3")
    got = q.off_track.set_index("kpi_id")["listed_because"]
    for kpi in (
        "street-lighting-average-days-to-repair",
        "safeguarding-outcomes-fully-achieved",
        "school-exclusions",
        "learning-disability-employment",
        "rosebud-loans-value",
        "sickness-absence-days-per-fte",
    ):
        assert got[kpi].startswith("named below the desired level in the report, line "), kpi
    assert "library-e-downloads" not in got.index  # a highlight of good performance
    # its targets are shown labelled as the later year's they are
    later = q.off_track.set_index("kpi_id")["target_of_later_year"]
    assert later["school-exclusions"] == "2020/21"
    from kpi_lib.report.paper import _target_labelled

    row = q.off_track.set_index("kpi_id").loc["school-exclusions"]
    assert _target_labelled(row) == "0.09% (the 2020/21 target, not used)"


def test_2023_lists_what_is_below_target_and_not_what_is_on_it(store_root: object) -> None:
    from kpi_lib.report.quarterly import build

    q = build("2023/24 Q2")
    got = q.off_track.set_index("kpi_id")["listed_because"]
    assert got["long-term-support-community-packages"].startswith(
        "recomputed Amber: 70.4 below target 72.6"
    )
    assert got["ks2-reading-writing-maths"].startswith("printed Amber")
    assert "customer-access-calls-answered" not in got.index


def _blocks(text: str, n_kpis: int = 1) -> pd.DataFrame:
    return pd.DataFrame([{"text": text, "source_line": 30, "n_kpis": n_kpis}])


@pytest.mark.parametrize(
    ("text", "polarity", "said"),
    [
        ("This remains off the target of 67% set for 2020/21.", "High", True),
        ("Performance is still considerably under target and under the benchmark.", "High", True),
        ("It is now 6% below the planned target.", "High", True),
        ("The service is not meeting the target this quarter.", "Low", True),
        ("Absence is below the target of 11.25 days.", "Low", False),  # lower is better
        ("Performance is no longer below target.", "High", False),
        ("We anticipate a continued improvement towards meeting the target.", "High", False),
        ("Support is targeted at schools below the national average.", "High", False),
        ("The figure is above target.", "High", False),
    ],
)
def test_the_councils_words_saying_below_target(text: str, polarity: str, said: bool) -> None:
    from kpi_lib.analysis.rag_evidence import said_below_target

    found = said_below_target(_blocks(text), "Some indicator", polarity, {1.0}, {2.0})
    assert (found is not None) == said
    if said:
        assert found is not None and found.source_line == 30 and found.sentence == text


def test_a_shared_block_counts_only_where_it_names_the_kpi() -> None:
    from kpi_lib.analysis.rag_evidence import said_below_target

    text = "The performance of calls answered decreased in quarter 2 and is below target."
    calls = "% of calls presented to the Customer Access Service answered"
    assert said_below_target(_blocks(text, 2), calls, "High", set(), set()) is not None
    other = "Customer satisfaction with the service"
    assert said_below_target(_blocks(text, 2), other, "High", set(), set()) is None


def test_a_figure_of_another_kpi_set_against_the_target_is_about_that_kpi() -> None:
    from kpi_lib.analysis.rag_evidence import said_below_target

    text = "We are currently below the target (81.9% against 90%)."
    assert said_below_target(_blocks(text), "Providers", "High", {96.8}, {81.9}) is None
    assert said_below_target(_blocks(text), "Care homes", "High", {81.9}, {96.8}) is not None


def test_a_bullet_wrapped_onto_further_lines_is_one_item() -> None:
    lines = [
        "Indicators performing below the desired level include:",
        "- Average number of working days to repair a",
        "  street lighting fault",
        "- Proportion of children excluded from school.",
        "Recommendation",
    ]
    found = named_below(lines, _rows(METRICS))
    assert [(c.metrics[0], c.source_line) for c in found] == [(METRICS[0], 2), (METRICS[2], 4)]


def test_a_pdfs_list_is_placed_by_page_and_line() -> None:
    from dataclasses import dataclass

    from kpi_lib.readers.status_lists import named_below_printed

    @dataclass
    class Line:
        page: int
        line: int
        text: str

    printed = [
        Line(2, 14, "However, indicators performing below the desired level include:"),
        Line(2, 15, "• Proportion of children excluded from school."),
        Line(3, 1, "• Percentage of adults with learning disabilities in employment."),
    ]
    found = named_below_printed(printed, _rows(METRICS))
    assert [(c.metrics[0], c.source_page, c.source_line) for c in found] == [
        (METRICS[2], 2, 15),
        (METRICS[1], 3, 1),
    ]


def test_a_report_printing_no_polarity_is_read_with_the_catalogues(store_root) -> None:
    """Prose reports (2021/22 Q4) print no "Good is": the catalogue's polarity lets "below
    target for the year" list the KPI; a printed polarity is never replaced."""
    import pandas as pd

    from kpi_lib.report.quarterly import build, catalogued_polarity
    from kpi_lib.store.snapshot import Store

    data = Store.load()
    rag = pd.DataFrame(
        {
            "kpi_id": ["learning-disability-own-home", "learning-disability-own-home", "x-new"],
            "polarity": ["", "Low", ""],
        }
    )
    got = catalogued_polarity(rag, data)["polarity"].tolist()
    assert got == [data.entry("learning-disability-own-home").polarity, "Low", ""]
    q = build("2021/22 Q4", snapshot=data)
    listed = dict(zip(q.off_track["kpi_id"], q.off_track["listed_because"], strict=True))
    assert "below target for the year" in listed["learning-disability-own-home"]
    assert "long-term-services-supported-in-community" in listed


def test_an_off_track_sentence_never_sets_a_figure_against_a_target_for_another_span() -> None:
    """3.25 days in a quarter 'against 11.25 (Annual)' reads as well inside a target the KPI
    is listed as missing: the sentence says the target is for another span, and why."""
    from kpi_lib.report.statements import _off_track_text

    row = {"kpi_id": "k", "metric_name": "Sickness", "value": 3.25, "target_stated": ""}
    row["target_text"] = "11.25 days (Annual)"
    row["target_not_comparable"] = "annual target vs quarterly value"
    assert _off_track_text(row, "printed Amber", {"k": ""}, {"k": 2}) == (
        "Sickness: 3.25 (printed Amber); its target is not for the same span as the figure "
        "(annual target vs quarterly value): 11.25 days (Annual)."
    )


def test_the_report_says_which_off_track_targets_are_for_another_span(store_root: object) -> None:
    from kpi_lib.report.quarterly import build

    apart = build("2023/24 Q2").off_track.set_index("kpi_id")["target_not_comparable"]
    assert apart["sickness-absence-days-per-fte"].startswith("annual target vs quarterly value")
    assert apart["ks2-reading-writing-maths"] == ""  # an annual level against its annual target
    apart = build("2022/23 Q2").off_track.set_index("kpi_id")["target_not_comparable"]
    assert apart["boost-jobs-created"] == "multi-year target vs quarterly value"


@pytest.mark.parametrize(
    ("value", "target", "stated", "says"),
    [
        (16.3, "", "", "Admissions: 16.3 (printed Red); no target is printed with the figure."),
        (
            None,
            "",
            "",
            "Admissions: no figure and no target are printed with its status (printed Red).",
        ),
        (None, "600", "", "Admissions: no figure is printed against 600 (printed Red)."),
        (
            692.0,
            "600-680",
            "stated in its commentary, line 294",
            "Admissions: 692.0 against 600-680, the target stated in its commentary, line 294 "
            "(printed Red).",
        ),
    ],
)
def test_an_off_track_sentence_says_which_of_figure_and_target_is_not_printed(
    value: float | None, target: str, stated: str, says: str
) -> None:
    """A status printed in a heading ("Boost ERDF Support (Red KPI)") comes with no figure and
    no target: the sentence says so rather than print an empty figure."""
    from kpi_lib.report.statements import _off_track_text

    row = {"kpi_id": "k", "metric_name": "Admissions", "value": value, "target_text": target}
    row["target_stated"] = stated
    assert _off_track_text(row, "printed Red", {"k": ""}, {"k": 1}) == says
