"""Unusable input ends in one line on stderr naming the file (and page), never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kpi_lib.cli import main
from tests.pdf_factory import (
    build_encrypted_pdf,
    build_prose_pdf,
    build_report,
    build_scanned_pdf,
    load_gold,
    truncate,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def small_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A readable 2-table report: the source of the truncated and damaged copies."""
    path = tmp_path_factory.mktemp("good") / "report.pdf"
    return build_report(path, gold=load_gold()[:6]).path


def _missing(d: Path, good: Path) -> Path:
    return d / "missing.pdf"


def _empty(d: Path, good: Path) -> Path:
    (d / "empty.pdf").write_bytes(b"")
    return d / "empty.pdf"


def _not_pdf(d: Path, good: Path) -> Path:
    (d / "report.pdf").write_text("<html><body>Service unavailable</body></html>\n")
    return d / "report.pdf"


def _truncated(d: Path, good: Path) -> Path:
    return truncate(good, d / "truncated.pdf")


def _encrypted(d: Path, good: Path) -> Path:
    return build_encrypted_pdf(d / "locked.pdf")


def _scanned(d: Path, good: Path) -> Path:
    return build_scanned_pdf(d / "scan.pdf")


def _scanned_pages(d: Path, good: Path) -> Path:
    return build_scanned_pdf(d / "scan3.pdf", pages=3)


def _text_without_tables(d: Path, good: Path) -> Path:
    (d / "notes.txt").write_text("Cabinet notes\n\nNo performance tables this quarter.\n")
    return d / "notes.txt"


def _pdf_without_kpi_tables(d: Path, good: Path) -> Path:
    return build_prose_pdf(d / "workforce.pdf")


def _fifo(d: Path, good: Path) -> Path:
    """A named pipe nobody writes to: opening it would block for ever."""
    os.mkfifo(d / "report.pdf")
    return d / "report.pdf"


def _device(d: Path, good: Path) -> Path:
    return Path("/dev/zero")  # endless: reading it whole would exhaust memory


def _folder(d: Path, good: Path) -> Path:
    (d / "report.pdf").mkdir()
    return d / "report.pdf"


def _symlink_to_fifo(d: Path, good: Path) -> Path:
    os.mkfifo(d / "pipe")
    (d / "report.txt").symlink_to(d / "pipe")
    return d / "report.txt"


def _csv_cell_too_big(d: Path, good: Path) -> Path:
    """A spreadsheet export with a quoted cell longer than the csv module reads."""
    (d / "report.csv").write_text('Indicator,Actual\n"' + "x" * 200_000 + '",5\n')
    return d / "report.csv"


CASES: dict[str, tuple[Callable[[Path, Path], Path], str, int | None]] = {
    # name: (make the file, words the problem must contain, page it must name)
    "missing": (_missing, "no such file", None),
    "empty": (_empty, "empty", None),
    "not a pdf": (_not_pdf, "not a pdf", None),
    "truncated": (_truncated, "truncated", None),
    "encrypted": (_encrypted, "password", None),
    "scanned": (_scanned, "no text layer", 1),
    "scanned, 3 pages": (_scanned_pages, "no text layer on any of its 3 pages", None),
    "text without tables": (_text_without_tables, "no kpi tables", None),
    "pdf without kpi tables": (_pdf_without_kpi_tables, "no kpi tables", None),
    # issue 19: special files are refused without being opened
    "fifo": (_fifo, "is a fifo (named pipe), not a file", None),
    "device": (_device, "is a character device, not a file", None),
    "folder": (_folder, "directory", None),
    "symlink to a fifo": (_symlink_to_fifo, "fifo", None),
    "csv cell too big": (_csv_cell_too_big, "line 2: not a readable csv row", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_one_line_error(
    case: str, tmp_path: Path, small_report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, words, page = CASES[case]
    path = make(tmp_path, small_report)
    rc = main(["extract", str(path)])
    out, err = capsys.readouterr()
    assert rc != 0
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = f"kpi: error: {path}: "
    assert lines[0].startswith(prefix), lines[0]
    problem = lines[0][len(prefix) :]
    assert words in problem.lower(), problem
    if page is not None:
        assert problem.startswith(f"page {page}: "), problem


def test_readable_report_is_not_an_error(small_report: Path, capsys) -> None:
    """The control: the file the bad copies were made from extracts cleanly."""
    assert main(["extract", str(small_report)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and len(out.splitlines()) == 1 + 6


@pytest.mark.parametrize("case", ["truncated", "encrypted"])
def test_real_command_prints_no_traceback(case: str, tmp_path: Path, small_report: Path) -> None:
    path = CASES[case][0](tmp_path, small_report)
    kpi = ROOT / ".venv" / "bin" / "kpi"
    cmd = [str(kpi)] if kpi.exists() else [sys.executable, "-m", "kpi_lib.cli"]
    proc = subprocess.run(
        [*cmd, "extract", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert re.fullmatch(rf"kpi: error: {re.escape(str(path))}: .+\n", proc.stderr), proc.stderr
