"""The rendering layer: figures as the council prints them, financial-year labels, blanks for
missing values, plain-English reasons, the page wrapper, its content hash, and the report
cache. Cheap tests (no kernel); the whole pages are checked in a browser by test_browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.publish import page_shell as page
from kpi_lib.report import present as pr


@pytest.mark.parametrize(
    ("value", "decimals", "unit", "shown"),
    [
        (153.289474, 1, "%", "153.3%"),
        (2655636.0, 1, "", "2,655,636.0"),
        (385000.0, 0, "£", "£385,000"),
        (-0.04, 1, "", "\u22120.04"),  # never rounded to 0 (nor to "-0.0")
        (-0.0, 1, "", "0.0"),
        (-113601.14, 1, "£", "\u2212£113,601.1"),
        (float("nan"), 1, "%", ""),
        (None, 2, "", ""),
        (pd.NA, 2, "", ""),
    ],
)
def test_numbers_as_printed(value: object, decimals: int, unit: str, shown: str) -> None:
    assert pr.number(value, decimals, unit) == shown


def test_printed_precision_comes_from_the_latest_value_text() -> None:
    rows = pd.DataFrame(
        {
            "kpi_id": ["a", "a", "b"],
            "report_period": ["2021/22 Q4", "2022/23 Q2", "2022/23 Q2"],
            "value_text": ["93.456", "96.90", "2,655,636"],
        }
    )
    assert pr.printed_decimals(rows) == {"a": 2, "b": 0}
    # a count printed "827.0" or "116.00" by a table's format: whole figures, no decimals
    rows = pd.DataFrame(
        {
            "kpi_id": ["count", "count", "count", "share", "share"],
            "report_period": ["2019/20 Q3", "2022/23 Q2", "2023/24 Q2", "2022/23 Q2", "2023/24 Q2"],
            "value_text": ["from July 2019", "790", "827.0", "60", "60.50"],
            "value": [None, 790.0, 827.0, 60.0, 60.5],
        }
    )
    assert pr.printed_decimals(rows) == {"count": 0, "share": 2}


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("2022Q4", "2022/23 Q3"),
        (pd.Period("2023Q1", freq="Q"), "2022/23 Q4"),
        ("2022/23 Q2", "2022/23 Q2"),
        ("2021/22", "2021/22"),
        (None, ""),
    ],
)
def test_quarters_use_financial_year_labels(label: object, shown: str) -> None:
    assert pr.quarter(label) == shown


def test_reasons_are_shown_as_the_trend_worded_them() -> None:
    said = "fell 5.1 points from 59.6 in 2021/22 Q4; fell after rising over the 3 figures"
    assert pr.reason(said) == said
    assert pr.reason("  rose 10 points\\nfrom 82.4 ") == "rose 10 points from 82.4"
    assert pr.reason(None) == ""


def test_table_has_no_index_blank_missing_and_unbroken_text() -> None:
    df = pd.DataFrame({"metric_name": ["a\\nb", None], "value": [1.23456, float("nan")]})
    t = pr.table(
        df,
        [pr.col("metric_name", "KPI"), pr.col("value", "Value (%)", lambda x: pr.number(x, 1))],
    )
    html = t._repr_html_()
    assert "<th" in html and ">0<" not in html  # no 0..n index column
    assert t.frame.to_dict("list") == {"KPI": ["a b", ""], "Value (%)": ["1.2", ""]}
    assert "nan" not in html.lower() and "None" not in html


def test_page_has_title_contents_and_no_default_alt() -> None:
    body = (
        "<h1>Council: Report 2022/23 Q2</h1><h2 id='a'>First</h2><p>x</p>"
        "<h2 id='b'>Second</h2><img src='data:image/png;base64,AA'>"
    )
    html = page.wrap(body)
    assert "<title>Council: Report 2022/23 Q2</title>" in html
    assert 'href="#a"' in html and 'href="#b"' in html
    assert page.DEFAULT_ALT not in html
    assert "@media print" in html and "http" not in html.split("<body>")[0]


def test_content_hash_ignores_volatile_parts_and_names_the_first_difference() -> None:
    a = page.wrap("<h1>T</h1><p>commit 0123456789abcdef0123456789abcdef01234567</p><td>56.7%</td>")
    b = page.wrap("<h1>T</h1><p>commit fedcba9876543210fedcba9876543210fedcba98</p><td>56.7%</td>")
    assert page.content_hash(a) == page.content_hash(b)
    c = b.replace("56.7%", "86.7%")
    assert page.content_hash(c) != page.content_hash(a)
    assert page.first_difference(c, a) == "line 3: published '86.7%', re-run '56.7%'"


def test_report_cache_hits_for_the_same_store_and_misses_when_it_changes(
    store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib.report import build_cache

    calls: list[int] = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"x": [len(calls)]})

    first = build_cache.cached("t", {"p": 1}, compute)
    again = build_cache.cached("t", {"p": 1}, compute)
    assert len(calls) == 1 and again.equals(first)
    build_cache.cached("t", {"p": 2}, compute)  # other parameters: a miss
    assert len(calls) == 2
    obs = store_root / "data" / "processed" / "observations.parquet"
    obs.write_bytes(obs.read_bytes() + b"\0")  # other store bytes: a miss
    build_cache.cached("t", {"p": 1}, compute)
    assert len(calls) == 3
    monkeypatch.setenv("KPI_CACHE", "off")
    build_cache.cached("t", {"p": 1}, compute)
    assert len(calls) == 4


def test_commentary_kinds_read_as_labels() -> None:
    assert pr.comment_kind("issues_causes") == "Issues and causes"
    assert pr.comment_kind("actions") == "Actions"
    assert pr.comment_kind("commentary") == "Commentary"


def test_a_figure_keeps_the_decimals_it_was_printed_with() -> None:
    """Council precision is per figure: 1.96% printed beside a later 2.1% stays 1.96%, while a
    count printed '827.0' stays 827 (zeros say nothing about precision)."""
    import pandas as pd

    from kpi_lib.report.present import value_col

    col = value_col("value", "Value", {"k": "%", "c": ""}, {"k": 1, "c": 0}, printed="value_text")
    cases = [
        ("k", 1.96, "1.96%", "1.96%"),
        ("k", 2.1, "2.1%", "2.1%"),
        ("k", 0.24, "0.24% (2018/19)", "0.24%"),
        ("c", 827.0, "827.0", "827"),
        ("c", 1500000.0, "over 1.5 million", "over 1,500,000"),
        ("k", 1.96, None, "2.0%"),  # nothing printed: the KPI's own decimals
    ]
    for k, v, text, shown in cases:
        assert col.cell(pd.Series({"kpi_id": k, "value": v, "value_text": text})) == shown


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("2020-12 to 2021-02", "Dec 2020–Feb 2021"),
        ("Dec 2018 - Feb19 average", "Dec 2018–Feb 2019"),
        ("2021-03", "Mar 2021"),
        ("March 2021", "Mar 2021"),
        ("2022-04 to 2022-06", "Apr 2022–Jun 2022"),
        ("2022/23 Q2", "2022/23 Q2"),
    ],
)
def test_months_and_month_ranges_read_as_a_reader_says_them(label: str, shown: str) -> None:
    """ "94.2% in 2020-12 to 2021-02 to 94.8% in …" reads as two periods: months are named."""
    from kpi_lib.report.present import quarter

    assert quarter(label) == shown


@pytest.mark.parametrize("width", range(1, 9))
def test_a_table_of_four_columns_or_more_is_cards_on_a_phone(width: int) -> None:
    """Every cell of a wide table carries its column's header (what a card shows before its
    value) and the table its roles; a narrower one stays a plain table; cards= decides."""
    from bs4 import BeautifulSoup

    heads = [f'Col "{i}" & <{i}>' for i in range(width)]
    df = pd.DataFrame([[f"v{r}{i}" for i in range(width)] for r in range(3)], columns=heads)
    cols = [pr.col(h, h) for h in heads]
    for cards, expected in ((None, width >= pr.CARD_MIN_COLUMNS), (True, True), (False, False)):
        soup = BeautifulSoup(pr.table(df, cols, cards=cards)._repr_html_(), "html.parser")
        table = soup.find("table")
        assert ("cards" in table["class"]) is expected
        assert ("cards" in soup.find("div")["class"]) is expected
        assert (table.get("role") == "table") is expected
        for tr in table.select("tbody tr"):
            cells = tr.find_all("td")
            assert [td.get("data-label") for td in cells] == (heads if expected else [None] * width)
            assert all((td.get("role") == "cell") is expected for td in cells)
        assert [th.get_text() for th in table.select("thead th")] == heads
