"""The executive directors' accounts of a headline-only quarter: read as blocks under their
signed lines, each sentence that says in words that something is below or on target kept with
the KPIs it names and their last known figures; nothing inferred from tone."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_lib.analysis.directors import directors_view, named_kpis, sentences, stance
from kpi_lib.readers.directors import directors_comments, signed
from kpi_lib.store.catalog import Catalog, KpiEntry

ROLES = [
    "Mark Wynn, Interim Chief Executive",
    "Louise Taylor, Executive Director of Adult Services",
    "Jacqui Old, Executive Director of Education and Children's Services",
    "Phil Green, Executive Director of Growth, Environment, Transport and Health",
    "Anna Maria Smith, Director for Public Health.",
    "Sam O'Neill, Chief Executive",
]
NOT_SIGNED = [
    "The Director of Public Health chairs the board.",
    "Phil Green, Executive Director of Growth, said that " + "the figures improved " * 8,
    "Executive Director of Resources",  # a role without a name
    "Overview of performance",
]


@pytest.mark.parametrize("line", ROLES)
def test_a_signed_line_opens_a_directors_account(line: str) -> None:
    assert signed(line)


@pytest.mark.parametrize("line", NOT_SIGNED)
def test_prose_naming_a_director_is_not_a_signed_line(line: str) -> None:
    assert not signed(line)


def test_paragraphs_under_each_signed_line_are_blocks_and_a_page_break_is_joined() -> None:
    lines = [
        "Overview",
        "There are 41 rated KPIs.",
        "",
        ROLES[1],
        "",
        "First paragraph ends here.",
        "",
        "A paragraph broken by the page",
        "",
        "",
        "continues after it.",
        ROLES[2],
        "Only one.",
    ]
    blocks = directors_comments(lines)
    assert [(b.heading, b.text, b.source_line) for b in blocks] == [
        (ROLES[1], "First paragraph ends here.", 6),
        (ROLES[1], "A paragraph broken by the page continues after it.", 8),
        (ROLES[2], "Only one.", 13),
    ]
    assert blocks[0].label == "Executive Director of Adult Services"
    assert directors_comments(["No directors here.", "Just prose."]) == []


BELOW = [
    "Opiate treatment has again dipped below the national average.",
    "However, we have faced challenges, particularly with children missing from education.",
    "It has proved difficult to achieve a sustained increase in care leavers in EET.",
    "Our biggest risk is for people who are awaiting an initial assessment.",
    "Overall levels of residual waste remain high.",
    "Demand within the SEND system remains another area of challenge.",
    "Whilst alcohol treatment is improving, opiate treatment is below target.",
]
ON_TRACK = [
    "The levels of recycling are above target in Q2.",
    "Economic index is achieving target.",
    "Electronic loans are on track to meet new targets.",
    "Lancashire exceeded targets in the Gatsby benchmark.",
    "Although visits fell, the backlog of defects has now been cleared.",
]
NEITHER = [
    "We remain focused on delivering the best possible outcomes.",
    "There are no quantifiable risks for people in receipt of long-term services.",
    "Performance is above target in some areas and below target in others.",
    "The Government has recently announced their budget.",
]


@pytest.mark.parametrize("sentence", BELOW)
def test_below_is_read_only_from_words_that_say_so(sentence: str) -> None:
    assert stance(sentence)[0] == "below"


@pytest.mark.parametrize("sentence", ON_TRACK)
def test_on_track_is_read_only_from_words_that_say_so(sentence: str) -> None:
    assert stance(sentence)[0] == "on track"


@pytest.mark.parametrize("sentence", NEITHER)
def test_a_sentence_saying_both_or_neither_is_not_classified(sentence: str) -> None:
    assert stance(sentence) == ("", "")


def entry(kpi_id: str, title: str, mentions: list[str]) -> KpiEntry:
    return KpiEntry(
        kpi_id, title, [title], "Low", "count", "quarterly", "point", "S", mentions=mentions
    )


CAT = Catalog(
    [
        entry("cme", "Number of children not on roll", ["children missing from education"]),
        entry("opiates", "Opiate completions", ["opiate treatment"]),
        entry("alcohol", "Alcohol completions", ["alcohol treatment"]),
    ]
)


def test_a_sentence_names_a_kpi_by_its_title_or_mention_in_its_main_clause_only() -> None:
    assert named_kpis("Challenges with Children Missing from Education (CME).", CAT) == ["cme"]
    assert named_kpis("The number of children not on roll rose.", CAT) == ["cme"]
    s = "Whilst alcohol treatment is improving, opiate treatment is below the national average."
    assert named_kpis(s, CAT) == ["opiates"]  # the concessive clause is not the subject
    assert named_kpis("Opiate treatments are many.", CAT) == []  # whole words, never fuzzy
    assert named_kpis("Anything.", None) == []


def test_sentences_split_at_full_stops_before_a_capital() -> None:
    assert sentences("One is 7.5 today. Two follows! (Three) ends") == [
        "One is 7.5 today.",
        "Two follows!",
        "(Three) ends",
    ]


def test_the_headline_only_quarter_lists_what_its_directors_say_is_below(
    store_root: Path,
) -> None:
    from kpi_lib.store.snapshot import Store

    data = Store.load().as_of("2024/25 Q2")
    view = directors_view(data.commentary, data.observations, data.catalog, "2024/25 Q2")
    below = view[view["stance"] == "below"]
    cme = below[below["kpi_id"] == "children-missing-education"]
    assert len(cme) == 1 and "missing from education" in cme["sentence"].iloc[0]
    last = data.observations[
        (data.observations["kpi_id"] == "children-missing-education")
        & data.observations["is_current"]
    ]
    assert cme["last_value"].iloc[0] == last.sort_values("period_end")["value"].iloc[-1]
    assert set(below["kpi_id"]) >= {"substance-misuse-opiates-successful-completions"}
    # recycling "above target" sits in the concessive clause: not listed as on track or below
    assert "hwrc-reused-recycled-composted" not in set(view["kpi_id"])
    on = view[view["stance"] == "on track"]
    assert "gatsby-benchmarks-careers-hub" in set(on["kpi_id"])
    assert not set(on["kpi_id"]) & set(below["kpi_id"]) - {""}
    # every row points at its line, and that line holds the sentence's start
    raw = store_root / "data" / "raw" / "2024-25_Q2" / "2024-25_Q2_executive_summary.txt"
    lines = raw.read_text(encoding="utf-8").splitlines()
    for r in view.to_dict("records"):
        assert r["sentence"][:30] in " ".join(lines[r["source_line"] - 1].split())
