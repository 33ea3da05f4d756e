"""Figures quoted in the commentary, checked against the tables above them."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.analysis.claims import check_claims, extract_claims, same_figure
from tests import report_2023

ROOT = Path(__file__).resolve().parents[1]
MD = ROOT / "data" / "raw" / "2022-23_Q2" / "2022-23_Q2_kpi_commentary.md"
GOLD = ROOT / "tests" / "fixtures" / "2022-23_Q2_kpis.csv"
PERIOD = "2022/23 Q2"


# --- building store-shaped frames from the report and the gold rows -----------------------------
def gold() -> pd.DataFrame:
    return pd.read_csv(GOLD, dtype=str, keep_default_na=False)


def observations(extra: list[dict] | None = None) -> pd.DataFrame:
    g = gold()
    obs = g.rename(columns={"good_is": "polarity", "as_of_text": "period"}).assign(
        kpi_id=g["metric_name"], report_period=PERIOD, is_current=True, unit=""
    )
    if extra:
        obs = pd.concat([obs, pd.DataFrame(extra)], ignore_index=True)
    return obs


def commentary(lines: list[str]) -> pd.DataFrame:
    """The text under each KPI table (up to the next table's header row), paired with the
    table's rows: what the store's commentary table holds, one row per KPI."""
    names = set(gold()["metric_name"])
    tables: list[dict] = []
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) < 5 or cells[3].strip() not in names:
            continue
        if tables and i - tables[-1]["last"] <= 1:
            tables[-1]["last"] = i
            tables[-1]["metrics"].append(cells[3].strip())
        else:
            tables.append({"first": i, "last": i, "metrics": [cells[3].strip()]})
    rows = []
    for k, t in enumerate(tables):
        end = tables[k + 1]["first"] - 1 if k + 1 < len(tables) else len(lines)
        text = "\n".join(lines[t["last"] + 1 : end])
        for metric in t["metrics"]:
            rows.append(
                {
                    "report_period": PERIOD,
                    "kpi_id": metric,
                    "kind": "commentary",
                    "text": text,
                    "source_file": MD.name,
                    "source_line": t["last"] + 2,
                }
            )
    return pd.DataFrame(rows)


def report_lines(*edits: tuple[str, str]) -> list[str]:
    text = MD.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text.splitlines()


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return check_claims(commentary(report_lines()), observations(), PERIOD)


def status_of(result: pd.DataFrame, quote: str) -> pd.Series:
    hits = result[result["claim_text"].str.contains(quote, regex=False)]
    if len(hits) > 1:  # "100%" is also in the range "94-100%"
        hits = hits[hits["claim_text"] == quote]
    assert len(hits) == 1, (quote, hits)
    return hits.iloc[0]


# --- extraction -----------------------------------------------------------------------------------
def test_change_claim_with_periods() -> None:
    (c,) = extract_claims("The rate increased from 89.73% in quarter 1 to 93.45% in quarter 2.")
    assert (c.kind, c.before, c.value, c.unit) == ("change", 89.73, 93.45, "%")
    assert (c.before_period, c.period, c.direction) == ("quarter 1", "quarter 2", "up")
    assert c.decimals == 2


@pytest.mark.parametrize(
    ("sentence", "direction"),
    [
        ("Although demand is up, waiting times went from 10 to 8 days.", ""),  # another clause
        ("Waits of up to 12 weeks went from 50% to 40%.", ""),  # a limit, not a rise
        ("It is up from 50% to 60%.", "up"),
        ("Performance has dropped since the last quarter (68.1% to 54.5%).", "down"),
    ],
)
def test_a_change_is_worded_by_its_own_clause(sentence: str, direction: str) -> None:
    (c,) = [c for c in extract_claims(sentence) if c.kind == "change"]
    assert c.direction == direction


def test_a_direction_word_elsewhere_in_the_sentence_contradicts_nothing() -> None:
    com = pd.DataFrame(
        [{"report_period": PERIOD, "kpi_id": "k", "source_file": "f", "source_line": 1,
          "text": "Although demand is up, the rate went from 10% to 8%."}]
    )  # fmt: skip
    obs = pd.DataFrame(
        [{"report_period": PERIOD, "kpi_id": "k", "metric_name": "Rate %", "period": PERIOD,
          "value": 8.0, "target_text": "", "polarity": "Low"}]
    )  # fmt: skip
    result = check_claims(com, obs, PERIOD)
    assert list(result["status"]) == ["matched"]


def test_value_with_a_rate_unit() -> None:
    claims = extract_claims(
        "It is still above the target range of 600-680 at 692.0 admissions per 100,000 population."
    )
    values = [c for c in claims if c.kind == "value"]
    assert [(c.value, c.unit, c.role) for c in values] == [(692.0, "rate", "current")]


def test_ratio_claim_and_its_arithmetic() -> None:
    (c,) = extract_claims("At the end of September, 344 of the 644 (53.4%) were in EET.")
    assert (c.kind, c.numerator, c.denominator, c.value, c.derived) == (
        "ratio",
        344,
        644,
        53.4,
        False,
    )
    (d,) = extract_claims("303 of the 604 care leavers aged 18-20 were in EET.")
    assert d.derived and d.value == pytest.approx(100 * 303 / 604)


def test_gap_below_target() -> None:
    (c,) = extract_claims("Performance is 2.8 below the target of 90.")
    assert (c.kind, c.value, c.target) == ("vs_target", 2.8, 90)


def test_numbers_that_are_not_claims_are_skipped() -> None:
    text = (
        "During 2020/21, there were 72 full closures of primary schools. Lancashire is ranked "
        "110 of 150 authorities. The programme restarted on 27th January 2022 and visits take "
        "14 days. Long term absence has reduced by 17.8% and there was a 4.4% increase (1,184)."
    )
    assert extract_claims(text) == []


@pytest.mark.parametrize(
    ("claimed", "cdec", "actual", "adec", "same"),
    [
        (85, 0, 85.4, 1, True),  # rounding
        (85, 0, 85.6, 1, True),  # truncation
        (85, 0, 86.0, 1, False),
        (96.75, 2, 96.8, 1, True),  # the claim is finer than the table
        (96.7, 1, 96.8, 1, False),
        (50.1656, 4, 50.1, 1, True),  # 303/604, truncated in the table
        (15.45, 2, 15.4, 1, True),
    ],
)
def test_same_figure(claimed: float, cdec: int, actual: float, adec: int, same: bool) -> None:
    assert same_figure(claimed, cdec, actual, adec) is same


# --- the real 2022/23 Q2 commentary ---------------------------------------------------------------
def test_figures_repeating_table_values_are_matched(real: pd.DataFrame) -> None:
    health = status_of(real, "35.6%")
    assert health["status"] == "matched"
    assert "NHS Health Checks undertaken" in health["compared_with"]
    assert status_of(real, "100%")["status"] == "matched"  # "above target at 100%" (NoWcards)
    cqc = status_of(real, "81.9% against 90%")
    assert cqc["status"] == "matched" and "Residential" in cqc["compared_with"]
    assert status_of(real, "from Q1 (677.91) to Q2 (686.13)")["status"] == "matched"
    assert status_of(real, "303 of the 604")["status"] == "matched"  # 50.17% vs 50.1
    assert status_of(real, "target of 637.6")["status"] == "matched"


def test_real_commentary_has_no_contradiction(real: pd.DataFrame) -> None:
    assert set(real["status"]) <= {"matched", "not checkable"}
    assert (real["reason"] != "").all()


def test_other_quantities_are_not_checkable_not_wrong(real: pd.DataFrame) -> None:
    assert status_of(real, "59.9%")["status"] == "not checkable"  # girls' attainment
    assert status_of(real, "£887k")["status"] == "not checkable"  # Rosebud year to date
    assert status_of(real, "60.4%")["status"] == "not checkable"  # Q1, not in the store


@pytest.mark.parametrize(
    ("old", "new", "quote"),
    [
        ("only 35.6% received one", "only 36.6% received one", "36.6%"),
        ("(81.9% against 90%)", "(83.9% against 90%)", "83.9% against 90%"),
        ("to Q2 (686.13)", "to Q2 (696.13)", "(696.13)"),
        ("to 5.4 per 10k in quarter 2", "to 5.6 per 10k in quarter 2", "5.6 per 10k"),
        ("moderately reduced from 1852", "moderately increased from 1852", "from 1852"),
        ("score of 19.3", "score of 19.8", "19.8"),
    ],
)
def test_an_altered_figure_is_contradicted(old: str, new: str, quote: str) -> None:
    result = check_claims(commentary(report_lines((old, new))), observations(), PERIOD)
    row = status_of(result, quote)
    assert row["status"] == "contradicted", row["reason"]
    assert (result["status"] == "contradicted").sum() == 1


def test_ratio_arithmetic_is_checked() -> None:
    line = "- Overall, 44 of the 344 (12.8%) care leavers had a pathway plan review."
    bad = "- Overall, 44 of the 344 (18.8%) care leavers had a pathway plan review."
    anchor = "- Young people who are care leavers have told us"
    for text, want in ((line, "matched"), (bad, "contradicted")):
        result = check_claims(
            commentary(report_lines((anchor, text + "\n" + anchor))), observations(), PERIOD
        )
        assert status_of(result, "44 of the 344")["status"] == want


def test_earlier_values_in_the_store_are_checked() -> None:
    safeguarding = gold()["metric_name"].str.startswith("Making Safeguarding Personal")
    name = gold().loc[safeguarding, "metric_name"].iloc[0]
    q1 = {
        "kpi_id": name,
        "metric_name": name,
        "period": "2022/23 Q1",
        "value": "68.1",
        "report_period": "2022/23 Q1",
        "is_current": True,
        "target_text": "66.2",
        "polarity": "High",
        "unit": "",
    }
    held = check_claims(commentary(report_lines()), observations([q1]), PERIOD)
    row = status_of(held, "(68.1% to 54.5%)")
    assert row["status"] == "matched" and "2022/23 Q1 value 68.1" in row["reason"]
    wrong = check_claims(
        commentary(report_lines(("(68.1% to 54.5%)", "(66.1% to 54.5%)"))),
        observations([q1]),
        PERIOD,
    )
    # an earlier report's figure for an earlier quarter, printed differently later: the later
    # report restates it (a revision), it does not contradict this report's tables
    row = status_of(wrong, "(66.1% to 54.5%)")
    assert row["status"] == "restated"
    assert "68.1 printed in 2022/23 Q1 for 2022/23 Q1" in row["reason"]


def test_kpi_claims_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_lib.cli import main
    from kpi_lib.store.ingest import ingest

    monkeypatch.setenv("KPI_PROCESSED", str(tmp_path))
    ingest([MD])
    assert main(["claims", "--period", "2022-23_Q2", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    result = pd.read_json(io.StringIO(out), orient="records")
    assert set(result["status"]) <= {"matched", "not checkable"}
    assert status_of(result, "35.6%")["status"] == "matched"
    assert "claims:" in err and "0 contradicted" in err


def test_a_target_named_as_another_schemes_is_not_ours() -> None:
    ours = ("have set a target of 637.6", "have set a target of 647.6")
    result = check_claims(commentary(report_lines(ours)), observations(), PERIOD)
    assert status_of(result, "target of 647.6")["status"] == "contradicted"
    other = ("have set a target of 637.6,", "have set a target of 637.6. The 2017/18 Better "
             "Care Fund target of 647.6 is also being achieved,")  # fmt: skip
    result = check_claims(commentary(report_lines(other)), observations(), PERIOD)
    assert status_of(result, "target of 647.6")["status"] == "not checkable"
    assert status_of(result, "target of 637.6")["status"] == "matched"


# --- the 2023/24 Q2 OCR text: commentary by the document's structure -----------------------------
def claims_2023(*edits: tuple[str, str]) -> pd.DataFrame:
    """`kpi claims` on 2023/24 Q2 built from the text and the gold rows."""
    obs, com = report_2023.frames(*edits)
    return check_claims(com, obs, report_2023.PERIOD)


@pytest.fixture(scope="module")
def real_2023() -> pd.DataFrame:
    return claims_2023()


def test_2023_no_false_contradiction(real_2023: pd.DataFrame) -> None:
    """ "an average of 6.4 Gatsby Benchmarks ... (in August 2023, after the end of the summer
    term)" names the KPI's measure, but for the end of the last academic year; the table's 6.1
    is this year's: another date, not a contradiction. Nothing else in the report is one."""
    assert not (real_2023["status"] == "contradicted").any()
    gatsby = real_2023[real_2023["claimed_value"] == 6.4].iloc[0]
    assert gatsby["status"] == "other date" and gatsby["compared_value"] == 6.1
    assert "August 2023" in gatsby["reason"]


def test_2023_figures_that_are_not_the_kpis_value_are_not_checkable(
    real_2023: pd.DataFrame,
) -> None:
    band = status_of(real_2023, "98.5% - 99.04%")  # the quartile-2 band
    assert band["status"] == "not checkable" and "band or range" in band["reason"]
    carers = status_of(real_2023, "87%")  # the carers service's other target
    assert carers["status"] == "not checkable" and "another measure" in carers["reason"]
    # CQC provider ratings sit under their own heading (a KPI without a table), not under the
    # carers table above them: not attached to the carers KPI, so not checked against it
    assert not real_2023["claim_text"].str.contains("89.14").any()


def test_2023_claims_repeating_table_values_are_matched(real_2023: pd.DataFrame) -> None:
    quotes = ("52.1%", "63.8%", "72.5%", "13.48%", "344 of the 644 (53.4%)", "5.3 per 10K", "7.50")
    for quote in quotes:  # 7.50: "a total average score of 7.50 out of 10"
        assert status_of(real_2023, quote)["status"] == "matched", quote
    assert (real_2023["reason"] != "").all()


def test_2023_the_corrected_slip_matches() -> None:
    result = claims_2023(("average of 6.4 Gatsby", "average of 6.1 Gatsby"))
    assert set(result["status"]) <= {"matched", "not checkable"}
    fixed = result[result["claimed_value"] == 6.1]
    assert list(fixed["status"]) == ["matched"]


def test_2023_a_slipped_table_value_is_caught() -> None:
    result = claims_2023(("vacancy rate of 13.48%", "vacancy rate of 13.84%"))
    hit = status_of(result, "13.84%")
    assert hit["status"] == "contradicted" and hit["compared_value"] == 13.48


def test_kpi_claims_on_the_bundled_2023_report(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store's own commentary and rows: no contradiction; the Gatsby figure is of another
    date; the previous academic year's KS2 and KS4 results are restated (56 -> 57,
    47.5 -> 47.6), each reason naming the figure and the report that printed it first."""
    from kpi_lib.cli import main

    assert main(["claims", "--period", "2023/24 Q2", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    result = pd.read_json(io.StringIO(out), orient="records")
    assert "0 contradicted" in err and "1 other date" in err
    assert list(result.loc[result["status"] == "other date", "claimed_value"]) == [6.4]
    restated = result[result["status"] == "restated"].set_index("claimed_value")["reason"]
    assert "restates 56 printed in 2022/23 Q2 for AY 2021/22" in restated[57.0]
    assert "restates 47.5 printed in 2022/23 Q2 for AY 2021/22" in restated[47.6]
    assert (result["status"] == "matched").sum() >= 20


@pytest.mark.parametrize("empty", [["2019/20 Q1"], ["2019/20 Q1", "2019/20 Q2"], ["2019/20 Q3"]])
@pytest.mark.parametrize(
    ("current", "earlier", "claim"),
    [
        (64.0, 65.0, "The Lancashire (64%) proportion reduced on the previous year (65%)."),
        (0.24, 0.19, "This equates to a rate of 0.24% and is an increase on 2017/18 (0.19%)."),
        (69.2, 69.5, "Data for 2018/19 suggests 69.2% achieved a good level of development."),
    ],
)
def test_an_annual_figure_beside_empty_quarter_columns_is_the_current_value(
    empty: list[str], current: float, earlier: float, claim: str
) -> None:
    """An annual KPI printed with "-" in its quarter columns: the year's outturn is the table's
    current figure, so the commentary quoting it is matched, not "another quantity"."""
    periods = ["AY 2017/18", "AY 2018/19", *empty]
    obs = pd.DataFrame(
        {
            "report_period": "2019/20 Q3",
            "kpi_id": "k",
            "metric_name": "% of pupils reaching the expected standard",
            "period": periods,
            "value": [earlier, current] + [None] * len(empty),
            "target_text": "67%",
            "polarity": "High",
            "unit": "%",
        }
    )
    com = pd.DataFrame(
        {
            "report_period": ["2019/20 Q3"],
            "kpi_id": ["k"],
            "source_file": ["r"],
            "source_line": [1],
            "text": [claim],
        }  # fmt: skip
    )
    out = check_claims(com, obs, "2019/20 Q3").set_index("claimed_value")
    assert out.loc[current, "status"] == "matched", out.loc[current, "reason"]
    assert "table value" in out.loc[current, "reason"]
