"""As known at the time: a quarter's report uses only what the reports up to it published, each
figure as it stood then, so re-running it after later quarters are ingested changes nothing;
and its movers compare like with like."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from common import ROOT

from kpi_lib.analysis.restatements import restatements, with_restatements
from kpi_lib.analysis.trends import in_points
from kpi_lib.cli import main
from kpi_lib.periods import parse_period, parse_report_period
from kpi_lib.report import quarterly
from kpi_lib.store.ingest import ingest
from kpi_lib.store.snapshot import Store

# every bundled report's folder (data/raw/<period>/), oldest first
FOLDERS = sorted(
    (p.name for p in (ROOT / "data" / "raw").iterdir() if p.is_dir()),
    key=lambda name: parse_report_period(name).start,
)
PERIODS = [parse_report_period(f).label for f in FOLDERS]
PERIOD_COLUMNS = ("period", "previous_period", "latest_period", "year_ago_period")


def tables(q: quarterly.Quarterly) -> dict[str, bytes]:
    """Every table the report shows, as CSV bytes (revised_later alone may grow later)."""
    out = {
        name: getattr(q, name).to_csv(index=False).encode()
        for name in (
            "rows",
            "headline",
            "rag",
            "disagreements",
            "movers",
            "off_track",
            "claims",
            "commentary",
        )
    }
    for kpi_id, h in sorted(q.histories.items()):
        out[f"history {kpi_id}"] = h.to_csv(index=False).encode()
    out["units"] = repr(sorted(q.units.items())).encode()
    return out


def all_tables(q: quarterly.Quarterly) -> dict[str, pd.DataFrame]:
    named = {n: getattr(q, n) for n in ("rows", "rag", "movers", "claims", "commentary")}
    named.update({f"history {k}": h for k, h in q.histories.items()})
    return named


@pytest.fixture(scope="module")
def full_builds(_ingested_template: Path) -> dict[str, quarterly.Quarterly]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_ROOT", str(_ingested_template))
        mp.delenv("KPI_PROCESSED", raising=False)
        data = Store.load()
        return {p: quarterly.build(p, snapshot=data) for p in PERIODS}


@pytest.mark.parametrize("period", PERIODS)
def test_report_tables_name_no_later_period(
    full_builds: dict[str, quarterly.Quarterly], period: str
) -> None:
    """A period after the report starts after its quarter ends (an academic year in progress,
    like the school places offered for AY 2022/23 in 2022/23 Q2, is not after it)."""
    end = parse_report_period(period).end
    q = full_builds[period]
    for name, df in all_tables(q).items():
        for col in [c for c in PERIOD_COLUMNS if c in df.columns]:
            for label in df[col].dropna().astype(str):
                p = parse_period(label)
                assert not p.parsed or p.start is None or p.start <= end, (name, col, label)
        if "report_period" in df.columns:
            later = [r for r in df["report_period"] if parse_report_period(r).end > end]
            assert not later, (name, later)


def test_rerun_after_later_quarters_is_byte_identical(
    store_root: Path, full_builds: dict[str, quarterly.Quarterly]
) -> None:
    """Ingest the bundled reports one quarter at a time; each quarter's report built right
    after its own ingest equals the one built from the store holding every quarter."""
    raw, held = store_root / "data" / "raw", store_root / "held"
    held.mkdir()
    for folder in FOLDERS:
        shutil.move(raw / folder, held / folder)
    checked = 0
    for folder, period in zip(FOLDERS, PERIODS, strict=True):
        shutil.move(held / folder, raw / folder)
        ingest()
        then = quarterly.build(period, snapshot=Store.load())
        assert tables(then) == tables(full_builds[period]), period
        checked += 1
    assert checked == len(FOLDERS)


def test_as_of_keeps_each_figure_as_it_was_published(store_root: Path, capsys) -> None:
    """A later report revising a figure: the earlier report still uses (and shows) the figure
    it printed, lists the revision apart, and `kpi rag` for it judges the printed figure."""
    later = store_root / "data" / "raw" / "2022-23_Q4" / "revised.md"
    later.parent.mkdir()
    later.write_text(
        "# Corporate Performance Report\n\n**2022/23 Quarter 4**\n\n"
        "Target\tGood Is\tAs of Date\tMetric Name\tLatest Value\tRAG Status\tTrends\n"
        "95%\tHigh\t2022/23 Q2\t% of Young People in Employment Education or Training\t"
        "93.1\t✓\t\n",
        encoding="utf-8",
    )
    ingest()
    full = Store.load()
    cur = full.observations[full.observations["is_current"]]
    eet = cur[(cur["kpi_id"] == "young-people-eet") & (cur["period"] == "2022/23 Q2")]
    assert list(eet["value"]) == [93.1]  # the store's current figure is the revision
    then = full.as_of("2022/23 Q2")
    assert set(then.observations["report_period"]) <= set(
        PERIODS[: PERIODS.index("2022/23 Q2") + 1]
    )
    cur = then.observations[then.observations["is_current"]]
    eet = cur[(cur["kpi_id"] == "young-people-eet") & (cur["period"] == "2022/23 Q2")]
    assert list(eet["value"]) == [87.9]
    q = quarterly.build("2022/23 Q2", snapshot=full)
    rev = q.revised_later.set_index("kpi_id").loc["young-people-eet"]
    assert (rev["value"], rev["revised_value"], rev["revised_in"]) == (87.9, 93.1, "2022/23 Q4")
    assert main(["rag", "--period", "2022/23 Q2", "--format", "json"]) == 0
    out = pd.read_json(io.StringIO(capsys.readouterr().out))
    assert list(out.loc[out["kpi_id"] == "young-people-eet", "value"]) == [87.9]


@pytest.mark.parametrize("period", PERIODS)
def test_movers_compare_like_with_like(
    full_builds: dict[str, quarterly.Quarterly], store_root: Path, period: str
) -> None:
    """No mover between figures of different bases; none in per cent across zero or of a
    percentage. A previous figure may be one the commentary restates (a row of its own)."""
    then = Store.load().as_of(period)
    obs = with_restatements(then.observations, restatements(then.commentary, then.observations))
    cur = obs[obs["is_current"]].set_index(["kpi_id", "period"])
    units = obs.groupby("kpi_id")["unit"].last()
    for _, m in full_builds[period].movers.iterrows():
        before = cur.loc[(m["kpi_id"], m["previous_period"]), "basis"]
        after = cur.loc[(m["kpi_id"], m["latest_period"]), "basis"]
        assert before == after or {before, after} == {"annual", "year to date"}, m["kpi_id"]
        assert after == m["value_basis"]
        if in_points(m["previous"], m["latest"], units[m["kpi_id"]]):
            assert m["change_as"] == "points" and pd.isna(m["change_pct"]), m["kpi_id"]
        else:
            assert m["change_as"] == "per cent" and pd.notna(m["change_pct"]), m["kpi_id"]
