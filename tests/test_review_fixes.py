"""Review fixes in the report runner, audit, batch and analyst API: a user's mistake is refused
in one line before any kernel starts, audits name what changed, figures stay reproducible."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from common import ROOT

from kpi_lib.cli import main
from kpi_lib.errors import InputError, UsageError

matplotlib.use("Agg")

KPI = "care-home-admissions-65-plus"
TINY = ROOT / "tests" / "fixtures" / "notebooks" / "tiny.ipynb"
Q2 = "data/raw/2022-23_Q2/2022-23_Q2_kpi_commentary.md"


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI; it must fail with exactly one `kpi: error:` line and no output."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpi: error: "), captured.err
    return lines[0]


@pytest.fixture
def with_notebooks(store_root: Path) -> Path:
    shutil.copytree(ROOT / "notebooks", store_root / "notebooks")
    return store_root


# --- report / deep-dive parameters are checked before a kernel starts ------------------------
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "--horizon", "0"], "horizon must be 1 to 40"),
        (["report", "--period", "2022-23_Q2", "--horizon", "-2"], "horizon must be 1 to 40"),
        (["report", "--horizon", "100000"], "horizon must be 1 to 40"),
        (["report", "--tolerance", "2"], "amber tolerance must be in [0, 1)"),
        (["report", "--timeout", "0"], "timeout must be at least 1"),
        (["report", "--period", "2030/31 Q1"], "no KPI rows for 2030/31 Q1"),
        (["report", "--section", "No such section"], "no section 'No such section'"),
        (["deep-dive", KPI, "--horizon", "0"], "horizon must be 1 to 40"),
        (["deep-dive", KPI, "--timeout", "-5"], "timeout must be at least 1"),
        (["batch", "--workers", "0"], "workers must be at least 1"),
    ],
)
def test_bad_report_parameters_refused_before_any_output(
    with_notebooks: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert says in one_error(capsys, argv)
    assert not (with_notebooks / "outputs").exists(), "nothing may run or be written"


def test_section_names_match_case_insensitively(store_root: Path) -> None:
    from kpi_lib.publish.params import ReportParams
    from kpi_lib.publish.plan import QUARTERLY_NB, quarterly_plan

    _, plan = quarterly_plan(ReportParams("2022/23 Q2", sections=("caring FOR the vulnerable",)))
    assert plan[QUARTERLY_NB]["sections"] == ["caring FOR the vulnerable"]


def test_mistyped_kpi_id_suggests_the_id(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for typed in ("care home admissions 65 plus", "care-home-admisions-65-plus"):
        for command in ("deep-dive", "forecast"):
            line = one_error(capsys, [command, typed])
            assert f"unknown KPI id '{typed}'; did you mean {KPI}" in line


def test_report_refuses_a_store_out_of_date_with_raw(
    with_notebooks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = with_notebooks / Q2
    raw.write_bytes(raw.read_bytes() + b"\nA late correction.\n")
    (with_notebooks / "data" / "raw" / "2025-26_Q1").mkdir()
    (with_notebooks / "data" / "raw" / "2025-26_Q1" / "new.txt").write_text("new\n")
    for argv in (["report"], ["deep-dive", KPI]):
        line = one_error(capsys, argv)
        assert f"changed since ingest: {Q2}" in line
        assert "not ingested: data/raw/2025-26_Q1/new.txt" in line and "kpi ingest" in line
    assert not (with_notebooks / "outputs").exists()


def test_ingest_notebook_gets_the_stored_files_not_hidden_ones(store_root: Path) -> None:
    from kpi_lib.publish.params import ReportParams
    from kpi_lib.publish.plan import INGEST_NB, quarterly_plan

    (store_root / "data" / "raw" / "2022-23_Q2" / ".DS_Store").write_bytes(b"\0\1")
    _, plan = quarterly_plan(ReportParams("2022/23 Q2"))
    assert plan[INGEST_NB]["source_files"] == [Q2]


# --- runner ----------------------------------------------------------------------------------
def test_zero_timeout_is_refused_not_read_as_no_limit(tmp_path: Path) -> None:
    from kpi_lib.publish.execute import run_notebook

    with pytest.raises(UsageError, match="timeout"):
        run_notebook(TINY, tmp_path / "out", {"value": 1}, timeout=0)
    assert not (tmp_path / "out").exists()


# --- batch -----------------------------------------------------------------------------------
def test_batch_runs_one_job_per_period_however_written(store_root: Path) -> None:
    from kpi_lib.publish.batch import batch

    table = batch(periods=["2030-31_Q1", "2030/31 Q1", "2030/31-Q1"], progress=False)
    assert table["key"].tolist() == ["2030/31 Q1"]
    assert table["status"].tolist() == ["failed"]
    assert "no KPI rows for 2030/31 Q1" in table["detail"].iloc[0]


def test_batch_reports_an_unexpected_crash_as_a_failed_row(with_notebooks: Path) -> None:
    from kpi_lib.publish.batch import batch

    (with_notebooks / "outputs").write_text("not a folder\n")  # every run fails with OSError
    table = batch(periods=["2022/23 Q2", "2021/22 Q4"], progress=False)
    assert table["status"].tolist() == ["failed", "failed"]
    assert all("Error" in d for d in table["detail"])


# --- analyst API and quarterly tables --------------------------------------------------------
def test_forecast_is_none_only_without_quarterly_values(store_root: Path) -> None:
    import kpi_lib as kpi

    with pytest.raises(UsageError, match="horizon"):
        kpi.forecast_kpi(KPI, horizon=0)
    with pytest.raises(UsageError, match="unknown KPI id 'no-such-kpi'"):
        kpi.forecast_kpi("no-such-kpi")
    assert kpi.forecast_kpi("new-boost-erdf-support") is None  # a yearly-only KPI


def test_history_and_plot_of_an_unknown_kpi_raise(store_root: Path) -> None:
    import kpi_lib as kpi

    for call in (kpi.history, kpi.plot_kpi):
        with pytest.raises(UsageError, match="unknown KPI id 'no-such-kpi'"):
            call("no-such-kpi")


def test_off_track_table_keeps_its_header_when_nothing_is_off_track(
    store_root: Path, tmp_path: Path
) -> None:
    from kpi_lib.report.outputs import save_table
    from kpi_lib.report.quarterly import OFF_TRACK_COLUMNS, build

    q = build("2024/25 Q2")  # an executive summary: no KPI tables, nothing listed
    assert q.off_track.empty
    assert "No KPI can be shown off track" in q.off_track_note
    save_table(q.off_track, "off_track", tmp_path)
    back = pd.read_csv(tmp_path / "tables" / "off_track.csv")
    assert list(back.columns) == OFF_TRACK_COLUMNS


def _png(fig: matplotlib.figure.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return hashlib.sha256(buf.getvalue()).hexdigest()


def test_history_chart_with_shared_end_dates_is_reproducible(store_root: Path) -> None:
    import kpi_lib as kpi
    from kpi_lib.report.plots import kpi_history

    h = kpi.history(KPI)
    # four figures per end date (say a month and the quarter it ends), index labels repeated
    many = pd.concat([h, h.assign(value=h["value"] * 1.1), h.assign(value=h["value"] * 0.7)])
    many = pd.concat([many, h.assign(value=h["value"] * 1.3)])
    first = kpi_history(many)
    ys = pd.to_numeric(pd.Series(first.axes[0].lines[0].get_ydata()), errors="coerce")
    assert int(ys.notna().sum()) == len(many)  # drawn as printed (NaN only breaks the line)
    assert {_png(kpi_history(many)) for _ in range(3)} == {_png(first)}


# --- manifest and audit ----------------------------------------------------------------------
def test_manifest_that_is_a_folder_or_wrong_json_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_lib.publish.manifest import read_manifest

    assert "is a folder" in one_error(capsys, ["audit", str(tmp_path)])
    for bad in ({"notebooks": [], "results": {}}, {"kind": "x", "notebooks": 3, "inputs": []}):
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps({**bad, "results": {}}))
        with pytest.raises(InputError, match="not a kpi manifest"):
            read_manifest(path)
        assert "not a kpi manifest" in one_error(capsys, ["audit", str(path)])


def test_manifest_written_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi_lib.publish.manifest import git_state

    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without git
    assert git_state() == {"commit": "unknown", "dirty": False}


def test_diff_of_an_emptied_published_table_is_a_line(tmp_path: Path) -> None:
    from kpi_lib.publish.audit import diff_tables

    (tmp_path / "pub.csv").write_text("\n")
    (tmp_path / "new.csv").write_text("a,b\n1,2\n")
    lines = diff_tables("tables/t.csv", tmp_path / "pub.csv", tmp_path / "new.csv")
    assert len(lines) == 1 and "not a readable CSV" in lines[0]


@pytest.fixture
def published(kpi_root: Path) -> Path:
    """The tiny notebook run into outputs/tiny/ of a project with the bundled raw data."""
    from kpi_lib.publish.plan import execute_plan

    (kpi_root / "notebooks").mkdir()
    shutil.copy(TINY, kpi_root / "notebooks" / "tiny.ipynb")
    execute_plan("test", {"notebooks/tiny.ipynb": {"value": 3}}, kpi_root / "outputs" / "tiny")
    return kpi_root / "outputs" / "tiny" / "manifest.json"


def _edit_notebook(path: Path, find: str, replace: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert find in text
    path.write_text(text.replace(find, replace), encoding="utf-8")


def test_audit_refuses_an_edited_notebook_and_runs_nothing(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib.publish.audit import audit

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a re-run would land here
    before = set(tmp_path.iterdir())
    root = published.parents[2]
    nb = root / "notebooks" / "tiny.ipynb"
    _edit_notebook(nb, "time.sleep(sleep)", "open('RAN', 'w').write('edited code ran')")
    result = audit(published, keep=True)
    assert not result.ok and result.refused
    assert result.inputs_changed[0].startswith("notebooks/tiny.ipynb: sha256 was ")
    assert result.lines()[0].startswith("audit REFUSED:") and "nothing was run" in result.lines()[0]
    assert not (root / "RAN").exists() and set(tmp_path.iterdir()) == before
    assert result.kept == ""


def test_audit_keeps_the_rerun_when_asked(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib.publish.audit import audit

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a kept re-run lands here
    result = audit(published, keep=True)
    assert result.ok, result.lines()
    assert Path(result.kept).parent == tmp_path and (Path(result.kept) / "run").is_dir()
    assert f"re-run kept at {result.kept}" in result.lines()


def test_audit_failures_are_one_line_and_point_only_at_kept_files(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi_lib.publish.audit import audit
    from kpi_lib.publish.execute import NotebookError

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    nb = published.parents[2] / "notebooks" / "tiny.ipynb"

    elsewhere = tmp_path / "elsewhere" / "manifest.json"
    elsewhere.parent.mkdir()
    shutil.copy(published, elsewhere)
    with pytest.raises(UsageError, match="audit the manifest inside its output folder"):
        audit(elsewhere)

    # the project's own notebook, unchanged, failing on the manifest's parameters
    m = json.loads(published.read_text())
    m["notebooks"][0]["parameters"]["fail"] = True
    published.write_text(json.dumps(m))
    with pytest.raises(NotebookError, match="asked to fail") as err:
        audit(published)
    assert "kept at" not in str(err.value)  # the scratch copy is gone: never point at it
    assert not list(scratch.iterdir())

    nb.unlink()
    with pytest.raises(UsageError, match="notebooks/tiny.ipynb: the manifest's notebook is"):
        audit(published)
    assert not list(scratch.iterdir())


def test_history_chart_leaves_out_a_point_without_dates() -> None:
    """A period the parser could not date (no period_end) stays in the tables but cannot sit
    on a time axis: the chart draws the dated points instead of failing the whole report."""
    from kpi_lib.report.plots import kpi_history

    h = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2022-06-30", "2022-09-30", None]),
            "value": [1.0, 2.0, 3.0],
            "rag": ["Red", "Green", "Amber"],
            "target_value": [1.5, 1.5, 1.5],
        }
    )
    fig = kpi_history(h)
    assert len(fig.axes[0].lines[0].get_xdata()) == 2


def test_history_chart_never_joins_figures_on_different_bases() -> None:
    """Sickness: 13.86 days over 12 months then 3.05 days in one quarter is not a cliff. Each
    basis is its own line, named on the chart; one basis draws one unlabelled line."""
    from kpi_lib.report.plots import kpi_history

    h = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2021-12-31", "2022-03-31", "2022-06-30", "2022-09-30"]),
            "basis": ["rolling 12 months", "rolling 12 months", "quarter", "quarter"],
            "value": [13.5, 13.86, 3.2, 3.05],
            "rag": ["Red", "Red", "Amber", "Amber"],
        }
    )
    ax = kpi_history(h).axes[0]
    lines = [list(line.get_ydata()) for line in ax.lines]
    assert lines == [[13.5, 13.86], [3.2, 3.05]]
    assert {t.get_text() for t in ax.texts} == {"rolling 12 months", "one quarter"}
    single = kpi_history(h[h["basis"] == "quarter"]).axes[0]
    assert len(single.lines) == 1 and not single.texts


def test_history_chart_draws_a_target_only_beside_the_points_it_applies_to(
    store_root: Path,
) -> None:
    """The annual 11.25 days is not drawn beside one quarter's 3.25 days (kpi rag does not
    compare them), and the 9.83 days the 2019/20 pack prints as its "2020/21 Target" is not
    drawn beside the 2019/20 figures: it was set for a later year."""
    import matplotlib.dates as mdates
    from matplotlib.collections import LineCollection

    import kpi_lib as kpi

    h = kpi.kpi("sickness-absence-days-per-fte").history()
    by_period = h.set_index("period")["target_value"]
    assert pd.isna(by_period["2019/20 Q3"])
    assert pd.isna(by_period["2022/23 Q2"]) and pd.isna(by_period["2023/24 Q2"])
    ax = kpi.plot_kpi("sickness-absence-days-per-fte").axes[0]
    runs = [
        seg for c in ax.collections if isinstance(c, LineCollection) for seg in c.get_segments()
    ]
    assert {round(float(seg[0][1]), 2) for seg in runs} <= {11.25}
    ends = [float(seg[1][0]) for seg in runs if round(float(seg[0][1]), 2) == 9.83]
    assert not ends or mdates.num2date(max(ends)).date() < pd.Timestamp("2020-03-31").date()
    # nor does a forecast of single quarters take the annual target
    fc = kpi.forecast_kpi("sickness-absence-days-per-fte")
    assert fc.target is None and fc.p_meet_target is None
    assert any("not comparable with single-quarter figures" in n for n in fc.notes)


def test_off_track_forecasts_go_on_from_the_figure_shown(store_root: Path) -> None:
    """2023/24 Q2 prints the alcohol completions (42.4%) with no date: a forecast from the last
    dated figure (47.9% in 2022/23 Q1) would sit beside 42.4 as if it followed it."""
    from kpi_lib.periods import fiscal_to_period
    from kpi_lib.report.quarterly import build

    q = build("2023/24 Q2", 0.05, 4, None)
    off = q.off_track.set_index("kpi_id")
    alcohol = "substance-misuse-alcohol-successful-completions"
    assert pd.isna(off.loc[alcohol, "forecast_at_horizon"]) and alcohol not in q.forecasts
    assert len(q.forecasts) >= 4  # none against a TBC, baseline or annual target
    for kpi_id, fc in q.forecasts.items():
        assert fc.mean.index[0] - 1 == fiscal_to_period(
            str(q.rag.set_index("kpi_id").loc[kpi_id, "period"])
        )


def test_deep_dive_gives_no_forecast_that_stops_before_the_latest_figure(
    store_root: Path,
) -> None:
    """Library visits: the quarters' own counts end in 2019/20 Q3 and, by the commentary's
    "two thirds of pre-pandemic levels", 2022/23 Q2's 571,743 is one more quarter's count; a
    forecast of 2019/20 Q4 onwards would answer nothing asked now, so any forecast goes on
    from the latest figure (2022/23 Q2: the first forecast quarter is Oct-Dec 2022)."""
    from kpi_lib.report.deep_dive import build

    d = build("library-visits")
    if d.forecast is not None:
        assert str(d.forecast.mean.index[0]) == "2022Q4"
    else:
        assert d.forecast_note.startswith("No forecast")
    # a series that reaches the latest figure keeps its forecast
    assert build("care-home-admissions-65-plus").forecast is not None


def test_a_year_to_date_line_starts_again_each_april() -> None:
    from kpi_lib.report.plots import kpi_history

    h = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2021-09-30", "2021-12-31", "2022-03-31", "2022-06-30"]),
            "basis": "year to date",
            "value": [500.0, 900.0, 1500.0, 300.0],
            "rag": "",
        }
    )
    y = kpi_history(h).axes[0].lines[0].get_ydata()
    assert [v for v in y if v == v] == [500.0, 900.0, 1500.0, 300.0]
    nan_at = [i for i, v in enumerate(y) if v != v]
    assert nan_at == [3]  # between March 2022 (2021/22) and June 2022 (2022/23) only
