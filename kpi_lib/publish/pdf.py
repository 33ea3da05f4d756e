"""The paper as a PDF, as councils circulate committee papers: the HTML page printed by headless
Chromium with its own print CSS (A4, the title at the top of every page, page numbers at the
foot, rows and charts never split; `publish.page_shell`).

Chromium is found on PATH (Debian's `chromium`, `make browser` installs it) or named by
$KPI_CHROMIUM; without one the run still succeeds and says in one line that no PDF was
written and why. Chromium stamps the print time into /CreationDate and /ModDate; both are set
to FIXED_DATE (same length, so the cross-reference offsets stay valid), which makes the same
page print to the same bytes and lets the manifest hash the PDF like any other result.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from kpi_lib.settings import settings

FIXED_DATE = b"D:20000101000000+00'00'"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 180  # seconds for one page; a long quarterly paper prints in a few
FLAGS = [
    "--headless",
    "--no-sandbox",  # root in containers; the page is our own file, fetched from nowhere
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",  # the page's own @page boxes give title and page numbers
]
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def find_chromium() -> str | None:
    """$KPI_CHROMIUM if set (empty: none), else the first Chromium on PATH."""
    named = settings().chromium
    if named is not None:
        return shutil.which(named) if named else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def reproducible(pdf: bytes) -> bytes:
    """The PDF with its print time replaced by FIXED_DATE (byte lengths kept)."""

    def fixed(m: re.Match[bytes]) -> bytes:
        old = m.group(0)
        new = b"/" + m.group(1) + b" (" + FIXED_DATE + b")"
        return new if len(new) == len(old) else old  # an unexpected form is left alone

    return _DATES.sub(fixed, pdf)


PDF_PREFIX = "kpi-pdf-"  # a printing run's private folder: kpi-pdf-<pid>-...


def print_temp_dir() -> str:
    """/tmp where there is one: Chromium puts its singleton socket under TMPDIR, and a
    socket's path must stay under 108 bytes whatever TMPDIR the caller set."""
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def print_page(html: Path, pdf: Path, chromium: str | None = None) -> str:
    """Print `html` to `pdf` (written whole or not at all). Returns "" when written, else the
    one-line reason it was not."""
    chromium = chromium or find_chromium()
    if not chromium:
        return (
            f"{pdf.name} not written: no Chromium found (install Debian's chromium, e.g. "
            "`make browser` as root, or name one in KPI_CHROMIUM)"
        )
    # Chromium's profile and temporary files (its singleton socket among them) go in a private
    # folder named after this process, in a temporary folder short enough for a socket's path:
    # removed when done, and by the next audit when a kill -9 left it (audit.clear_abandoned)
    work = Path(tempfile.mkdtemp(prefix=f"{PDF_PREFIX}{os.getpid()}-", dir=print_temp_dir()))
    try:
        out = work / "page.pdf"
        cmd = [
            chromium,
            *FLAGS,
            f"--user-data-dir={work / 'profile'}",  # private: runs in parallel never clash
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        env = {**os.environ, "TMPDIR": str(work)}
        try:
            res = subprocess.run(
                cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env
            )
        except subprocess.TimeoutExpired:
            return f"{pdf.name} not written: Chromium did not finish within {TIMEOUT} s"
        except OSError as exc:
            return f"{pdf.name} not written: Chromium could not start ({exc.strerror or exc})"
        if res.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            last = (res.stderr.strip().splitlines() or ["no output"])[-1][:200]
            return f"{pdf.name} not written: Chromium failed (exit {res.returncode}: {last})"
        tmp_pdf = pdf.with_name(f".{pdf.name}.{os.getpid()}.tmp")
        tmp_pdf.write_bytes(reproducible(out.read_bytes()))
        os.replace(tmp_pdf, pdf)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ""
