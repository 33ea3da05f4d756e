"""Commentary under KPI tables: labels and their variants, topic narrowing, agenda-pack
paragraphs, and the commentary table of the store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpi_lib import store
from kpi_lib.readers.commentary import classify, extract_comments, lead_phrase, match_metrics
from kpi_lib.store.catalog import load_catalog


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("**Issues:**", "issues"),
        ("### Issues:", "issues"),
        ("#### Issues/causes:", "issues_causes"),
        ("Issue:", "issues"),
        ("**Causes:**", "causes"),
        ("Ongoing Actions:", "actions"),
        ("Short Term Actions:", "actions"),
        ("#### Actions", "actions"),
        ("### **Actions:**", "actions"),
        ("Actions: we will recruit.", "actions"),
    ],
)
def test_label_variants(line: str, kind: str) -> None:
    from kpi_lib.readers.commentary import kind_of

    c = classify(line)
    assert c.kind == "label" and kind_of(c.label) == kind


@pytest.mark.parametrize(
    "line",
    [
        "- Issues remain with recruitment.",
        "Causes include the move of the Harris Library.",
        "Actions delivered include:",
        "Performance remains on target.",
    ],
)
def test_prose_that_starts_with_a_label_word_is_not_a_label(line: str) -> None:
    assert classify(line).kind == "text"


def test_label_sharing_a_line_with_a_topic() -> None:
    c = classify("**Key Stage 4****Issue:**")
    assert (c.kind, c.label, c.before) == ("label", "Issue", "Key Stage 4")
    c = classify("**Causes:****16/17 year olds**")
    assert (c.kind, c.label, c.sub) == ("label", "Causes", "16/17 year olds")


def test_blocks_follow_their_table_and_stop_at_the_next() -> None:
    lines = [
        "## Section A",
        "**Waiting times**",
        "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status",
        "5\tLow\t2023/24 Q1\tPeople waiting over 5 days\t12\t✗",
        "6\tLow\t2023/24 Q1\tPeople waiting over 28 days\t3\t✓",
        "",
        "**Issues:**",
        "",
        "- Demand rose by *20%*.",
        "- Staff <b>vacancies</b>.",
        "**Actions:**",
        "  - Recruit more staff.",
        "",
        "**Lamp faults**",
        "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status",
        "90\tHigh\t2023/24 Q1\tLamps repaired on time\t95\t✓",
        "Good performance.",
    ]
    rows = [
        {"metric_name": "People waiting over 5 days", "heading": "Waiting times", "source_line": 4},
        {
            "metric_name": "People waiting over 28 days",
            "heading": "Waiting times",
            "source_line": 5,
        },
        {"metric_name": "Lamps repaired on time", "heading": "Lamp faults", "source_line": 16},
    ]
    for r in rows:
        r["section"] = "Section A"
    got = [
        (c.kind, c.heading, c.text, c.source_line, c.metrics) for c in extract_comments(lines, rows)
    ]
    both = ["People waiting over 5 days", "People waiting over 28 days"]
    assert got == [
        ("issues", "Waiting times", "Demand rose by 20%.\nStaff vacancies.", 7, both),
        ("actions", "Waiting times", "Recruit more staff.", 11, both),
        ("commentary", "Lamp faults", "Good performance.", 17, ["Lamps repaired on time"]),
    ]


def test_a_plain_heading_without_a_table_is_not_the_table_above() -> None:
    """OCR text: a KPI printed without a table ("The percentage of adult social care
    providers rated good ...") heads its own Issues; they are not about the carers table."""
    lines = [
        "Carers receiving support",
        "",
        "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status",
        "77.6\tHigh\t\tProportion of carers receiving support\t91.5\t~",
        "",
        "Issues:",
        "",
        "- The carers service has 2 targets.",
        "",
        "The percentage of adult social care providers rated good by the regulator",
        "",
        "",
        "Issues:",
        "",
        "- We are currently slightly below the target (89.14% against 90.0%), which is the",
        " average overall rating for providers.",
    ]
    rows = [{"metric_name": "Proportion of carers receiving support", "source_line": 4,
             "heading": "Carers receiving support", "section": ""}]  # fmt: skip
    got = [(c.heading, c.metrics, c.text[:20]) for c in extract_comments(lines, rows)]
    carers = ["Proportion of carers receiving support"]
    assert got[0] == ("Carers receiving support", carers, "The carers service h")
    # the second block is about no metric of this table (the store then files it under none)
    assert all(not m for h, m, _ in got[1:]) and got[1][0].startswith("The percentage")
    # a plain heading naming the table's own metric keeps it
    named = [*lines[:9], "Carers receiving support", "", "Causes:", "", "- Leave."]
    got = [(c.heading, c.metrics) for c in extract_comments(named, rows)]
    assert got[-1] == ("Carers receiving support", carers)


def test_topic_words_narrow_a_block_to_the_metrics_it_names() -> None:
    metrics = [
        "% Expected Standard in Reading, Writing & Maths at Key Stage 2",
        "Pupils Average Attainment 8 Score at Key Stage 4",
        "SEND Pupils Average Attainment 8 Score at Key Stage 4",
    ]
    assert match_metrics("Key Stage 4", metrics) == metrics[1:]
    assert match_metrics("Key Stage 2 (years 3 to 6 in primary school)", metrics) == metrics[:1]
    assert match_metrics("Budget monitoring", metrics) == []
    assert lead_phrase("Safety carriageway defects. Whilst the overall numbers") == (
        "Safety carriageway defects"
    )
    sentence = (
        "Performance remains on target and above benchmarks for pupils being offered one of "
        "their top three preferences at primary and secondary level. To achieve this:"
    )
    assert lead_phrase(sentence) == ""  # a whole sentence is not a topic


def _comments(kpi_name: str, period: str):
    kpi_id = load_catalog().resolve(kpi_name)
    assert kpi_id, kpi_name
    df = store.load("commentary")
    return df[(df["kpi_id"] == kpi_id) & (df["report_period"] == period)]


def test_customer_access_service_issues_causes_actions(store_root: Path) -> None:
    rows = _comments("% of calls presented to the Customer Access Service answered", "2022/23 Q2")
    text = {r["kind"]: r["text"] for _, r in rows.iterrows()}
    assert set(text) == {"issues", "causes", "actions"}
    assert "calls answered decreased in quarter 2 and is below target" in text["issues"]
    assert "reduced staffing resource" in text["causes"]
    assert text["actions"].splitlines()[0].startswith("Performance improved in the second half")
    assert len(text["actions"].splitlines()) == 3  # three bullets, one per line
    assert not any(mark in t for t in text.values() for mark in ("**", "- ", "#"))
    assert set(rows["heading"]) == {"Customer access service"}
    assert set(rows["source_file"]) == {"data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"}


def test_sub_topics_reach_only_their_kpis(store_root: Path) -> None:
    ks4 = _comments("Pupils Average Attainment 8 Score at Key Stage 4", "2022/23 Q2")
    ks2 = _comments("% Expected Standard in Reading, Writing & Maths at Key Stage 2", "2022/23 Q2")
    assert {"Key Stage 4"} <= set(ks4["heading"]) and "Key Stage 4" not in set(ks2["heading"])
    older = _comments(
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 65+ during the year",
        "2022/23 Q2",
    )
    younger = _comments(
        "Permanent admissions to residential and nursing care homes per 100,000 population "
        "aged 18-64 during the year",
        "2022/23 Q2",
    )
    assert "Adults 65+" in set(older["heading"]) and "Adults 65+" not in set(younger["heading"])
    assert "Adults 18-64" in set(younger["heading"])
    assert {"causes", "actions"} <= set(older["kind"]) & set(younger["kind"])


def test_agenda_pack_paragraphs_are_commentary_on_the_table_above(store_root: Path) -> None:
    defects = _comments(
        "Safety carriageway defects repaired within 4 hours (emergency)", "2019/20 Q3"
    )
    assert set(defects["kind"]) == {"commentary"}
    assert defects["text"].str.startswith("Safety carriageway defects. Whilst").any()
    lighting = _comments(
        "Average number of working days to repair a LCC street lighting fault (including "
        "traffic management) target 5 days",
        "2019/20 Q3",
    )
    assert lighting["text"].str.startswith("Street lighting fault repair.").any()
    assert not lighting["text"].str.startswith("Safety carriageway defects.").any()
    every = store.load("commentary")
    pack = every[every["report_period"] == "2019/20 Q3"]
    assert not pack["text"].str.contains("Agenda Item|Document is Restricted").any()


def test_prose_reports_give_each_figure_its_section_text(store_root: Path) -> None:
    rows = _comments("Sickness Absence days per FTE", "2021/22 Q4")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["kind"] == "commentary" and row["heading"].startswith("Sickness absence")
    assert "13.86 days lost per Full Time Equivalent" in row["text"]
    assert "Mental Health (34.30%)" not in row["text"]  # cells of the layout table are skipped


# --- PDFs -------------------------------------------------------------------------------------
def _page_breaks(lines) -> list[tuple[str, str]]:
    """(last line of a page, first line of the next) for body text running over a page break."""
    content = [t for t in lines if t.kind != "furniture"]
    return [
        (a.text, b.text)
        for a, b in zip(content, content[1:], strict=False)
        if a.page != b.page and a.kind == b.kind == "body"
    ]


def test_pdf_report_commentary_is_stored_with_pages(store_root: Path) -> None:
    """Issues/Actions after each KPI table of a Word-style PDF reach the store: tied to the
    table's KPIs, placed by page and line, joined over page breaks, without page furniture."""
    import pdf_factory

    from kpi_lib.readers.pdf.reader import read_pdf_text
    from kpi_lib.store.ingest import ingest

    pdf = store_root / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_report.pdf"
    built = pdf_factory.build_report(pdf, pdf_factory.variant(commentary_bullets=3))
    # the layout must put commentary across page breaks for this test to mean anything:
    # a label ending one page, a sentence broken mid-way, a bullet list going on
    _, lines = read_pdf_text(pdf)
    breaks = _page_breaks(lines)
    assert any(a in ("Issues:", "Actions:") for a, _ in breaks), breaks
    assert any(not a.endswith((".", ":")) for a, _ in breaks), breaks
    assert any(b.startswith("\u2022") for _, b in breaks), breaks

    ingest()
    file = "data/raw/2022-23_Q2/2022-23_Q2_report.pdf"
    every = store.load("commentary")
    mine = every[every["source_file"] == file]
    blocks = mine.drop_duplicates(["source_page", "source_line", "kind"])
    got = [(r["heading"], r["label"], r["text"]) for _, r in blocks.iterrows()]
    assert got == built.commentary  # every block, in print order, text as written
    assert set(blocks["kind"]) == {"issues", "actions"}
    assert mine["source_page"].notna().all()
    assert len(set(blocks["source_page"])) > 5

    # page and line name the printed label that opens the block
    printed = {(t.page, t.line): t.text for t in lines}
    for _, r in blocks.iterrows():
        assert printed[(r["source_page"], r["source_line"])] == r["label"] + ":"

    # never the running header, the footer, or the text of the non-KPI table after a block
    furniture = {t.text for t in lines if t.kind == "furniture"}
    assert pdf_factory.RUNNING_HEADER in furniture
    for text in mine["text"]:
        assert pdf_factory.RUNNING_HEADER not in text
        assert not re.search(r"Page \d+ of \d+", text)
        assert "Turnover is within" not in text and "Adult Services" not in text
    assert not mine["heading"].str.contains("turnover").any()

    # each block is about the KPIs of the table it follows
    obs = store.load("observations")
    obs = obs[obs["source_file"] == file]
    want = obs.groupby("heading")["kpi_id"].agg(set)
    for (heading, kind), group in mine.groupby(["heading", "kind"]):
        assert set(group["kpi_id"]) == want[heading], (heading, kind)
    assert len(mine) == 2 * sum(len(ids) for ids in want)
    rep = store.load("reports").set_index("file").loc[file]
    assert rep["commentary_blocks"] == len(built.commentary)


def test_a_paragraph_opening_with_a_metrics_name_is_about_that_metric() -> None:
    """Agenda pack: paragraphs under a table of sickness, revenue and reserves, each opening
    with its own metric's words; the sickness deep dive must not open on revenue."""
    head = "Performance Indicator\tFrequency\tDirectorate\tGood is\tQ3"
    lines = [
        head,
        "Number of working days per FTE lost to sickness absence\tQuarterly\tCE\tLow\t12.28",
        "Revenue forecast outturn % variance to budget\tQuarterly\tCE\tLow\t1.68%",
        "Proportion of budget supported by reserves\tAnnual\tCE\t\t",
        "",
        "Revenue forecast outturn % variance to budget has moved since quarter 2 as a result.",
        "",
        "Sickness absence has increased authority wide for the period January 2019.",
        "",
        "The volume of absence briefings planned has been increased.",
    ]
    names = [line.split("\t")[0] for line in lines[1:4]]
    rows = [{"metric_name": n, "source_line": i + 2, "heading": "", "section": ""}
            for i, n in enumerate(names)]  # fmt: skip
    got = [(c.metrics, c.text.split()[0]) for c in extract_comments(lines, rows)]
    assert got == [([names[1]], "Revenue"), ([names[0]], "Sickness")]


FAMILIES = [
    (
        "Educational attainment",
        [
            "% Good Level of Development at Early Years Foundation Stage",
            "% Expected Standard in Reading, Writing & Maths at Key Stage 2",
            "Pupils Average Attainment 8 Score at Key Stage 4",
        ],
        [
            "Good level of development achieved at early years foundation stage",
            "Achieving expected standard in reading, writing and maths at key stage 2",
            "Average attainment 8 score at key stage 4",
        ],
    ),
    (
        "Highways",
        [
            "% of street lighting faults repaired within 5 days",
            "% of potholes repaired within 28 days",
            "Number of road casualties killed or seriously injured",
        ],
        [
            "Street lighting faults repaired within 5 days",
            "Potholes repaired within 28 days",
            "Road casualties killed or seriously injured",
        ],
    ),
]


@pytest.mark.parametrize(("heading", "metrics", "topics"), FAMILIES)
@pytest.mark.parametrize("actions", ["Actions:", "Actions in progress:", "Actions taken:"])
def test_sub_headings_give_each_kpi_of_a_table_its_own_blocks(
    heading: str, metrics: list[str], topics: list[str], actions: str
) -> None:
    """2023/24 Q2's attainment table: three KPIs, then a sub-heading per KPI in three printed
    forms (a line naming it above a note, a heading ending in an aside, the topic and its first
    label on one line). Each block reaches its own KPI only; text before any sub-heading is
    about all three."""
    lines = [
        heading,
        "",
        "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status",
        *(f"50\tHigh\t2023/24 Q2\t{m}\t40\t~" for m in metrics),
        "",
        "General issues:",
        "",
        "- Absence rates were higher than the national averages.",
        "",
        topics[0],
        "",
        "Note: No change to performance data this quarter.",
        "",
        actions,
        "",
        "- Training for practitioners.",
        "",
        f"{topics[1]} (year 6)",
        "",
        "Issue:",
        "",
        "Provisional data has been published.",
        "",
        actions,
        "",
        "- Courses for schools.",
        "",
        f"{topics[2]} (years 10 and 11) Issue:",
        "",
        "- The score reduced to 44.9.",
        "",
        "Causes:",
        "",
        "The grade boundaries were reset.",
    ]
    rows = [
        {"metric_name": m, "source_line": 4 + i, "heading": heading, "section": ""}
        for i, m in enumerate(metrics)
    ]
    got = [(c.kind, c.text.split("\n")[-1][:12], c.metrics) for c in extract_comments(lines, rows)]
    assert got[0] == ("commentary", "Absence rate", metrics), got
    first, second, third = ([m] for m in metrics)
    assert ("actions", "Training for", first) in got
    assert ("issues", "Provisional ", second) in got
    assert ("actions", "Courses for ", second) in got
    assert ("issues", "The score re", third) in got
    assert ("causes", "The grade bo", third) in got
    # nothing after the first sub-heading reaches all three
    assert all(m != metrics for _, _, m in got[1:])
