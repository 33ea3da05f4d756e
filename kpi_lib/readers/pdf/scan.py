"""The scan of a PDF: check the file, then run the passes (kpi_lib.readers.pdf.passes, then the
word tables of kpi_lib.readers.pdf.words) over every page, page ranges spread over processes for
long documents. `scan_range` is what each worker process runs, so results never depend on the
worker count."""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pypdfium2 as pdfium

from kpi_lib.errors import InputError
from kpi_lib.readers.pdf.model import PageScan, ScanFailure
from kpi_lib.readers.pdf.passes import grid_pass, pdfium_pass, plumber_pass
from kpi_lib.readers.pdf.settings import DEFAULT, PdfSettings
from kpi_lib.readers.pdf.words import add_word_tables
from kpi_lib.readers.source import read_source


# --- opening ---------------------------------------------------------------------------------
def source_bytes(source: bytes | str | Path) -> tuple[bytes, str]:
    """The PDF's bytes and the name to give in messages: read once (readers.source) when a
    path is given."""
    if isinstance(source, bytes):
        return source, "the PDF"
    return read_source(Path(source)), str(source)


def check_pdf(data: bytes, name: str) -> None:
    """Fail early, in one line, on bytes no PDF library should be handed."""
    if b"%PDF-" not in data[:1024]:
        raise InputError(name, "not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise InputError(name, "truncated or damaged PDF (no end-of-file marker)")


def page_count(data: bytes, name: str) -> int:
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise InputError(name, "encrypted PDF: it needs a password to open") from None
        raise InputError(name, f"damaged PDF, cannot be opened ({exc})") from None
    try:
        return len(doc)
    finally:
        doc.close()


# --- scanning --------------------------------------------------------------------------------
def _workers(settings: PdfSettings, workers: int | None, pages: int) -> int:
    wanted = workers if workers is not None else settings.workers
    if wanted is None:
        wanted = min(os.cpu_count() or 1, settings.max_workers)
    if pages < settings.parallel_min_pages:
        return 1
    return max(1, min(wanted, pages))


def _context() -> multiprocessing.context.BaseContext:
    # fork on Linux: workers inherit the loaded modules instead of re-importing pandas/pdfplumber
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def scan_pages(
    source: bytes | str | Path,
    settings: PdfSettings = DEFAULT,
    workers: int | None = None,
    name: str | None = None,
) -> list[PageScan]:
    """Scan every page; with several workers, page ranges go to separate processes."""
    data, shown = source_bytes(source)
    name = name or shown
    check_pdf(data, name)
    n = page_count(data, name)
    count = _workers(settings, workers, n)
    numbers = list(range(1, n + 1))
    if count <= 1:
        parts = [scan_range(data, numbers, settings)]
    else:
        size = max(1, min(settings.chunk_pages, -(-n // count)))
        chunks = [numbers[i : i + size] for i in range(0, n, size)]
        gc.freeze()  # forked workers then copy fewer memory pages (no GC writes to old objects)
        try:
            with ProcessPoolExecutor(max_workers=count, mp_context=_context()) as pool:
                parts = list(
                    pool.map(scan_range, [data] * len(chunks), chunks, [settings] * len(chunks))
                )
        except (BrokenProcessPool, OSError):
            # no processes to be had (limits, a killed worker): same result, one process
            parts = [scan_range(data, numbers, settings)]
        finally:
            gc.unfreeze()
    scans: list[PageScan] = []
    for part in parts:
        if isinstance(part, ScanFailure):
            raise InputError(name, part.problem, page=part.page)
        scans.extend(part)
    return sorted(scans, key=lambda s: s.number)


# --- one worker's pages ---------------------------------------------------------------------
def _what(page: int | None) -> str:
    return "the page" if page is not None else "the PDF"


def scan_range(
    source: bytes | str, pages: list[int], settings: PdfSettings, password: str | None = None
) -> list[PageScan] | ScanFailure:
    """Scan the given 1-based pages of a PDF's bytes (or a file, for tests and tools); errors
    come back as a ScanFailure, never raised."""
    current: int | None = None
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        doc = pdfium.PdfDocument(data, password=password)
        grid: set[int] = set()  # ruled pages whose tables pdf.grid read
        try:
            scans = []
            for number in pages:
                current = number
                page = doc[number - 1]
                textpage = page.get_textpage()
                try:
                    scan = pdfium_pass(page, textpage, number, settings)
                    if scan.ruled and grid_pass(page, textpage, scan, settings):
                        add_word_tables(scan, settings)
                        grid.add(number)  # read: pdfplumber need not parse it
                    elif not scan.ruled:
                        add_word_tables(scan, settings, page)
                    scans.append(scan)
                finally:
                    textpage.close()
                    page.close()
        finally:
            doc.close()
        ruled = [s for s in scans if s.ruled and s.number not in grid]
        current = None
        if ruled:
            import pdfplumber  # its import costs as much as reading a short PDF: only here

            pages_wanted = [s.number for s in ruled]
            with pdfplumber.open(io.BytesIO(data), pages=pages_wanted, password=password) as pdf:
                for scan, page in zip(ruled, pdf.pages, strict=True):
                    current = scan.number
                    plumber_pass(page, scan, settings)
                    add_word_tables(scan, settings)
                    page.close()
        return scans
    except pdfium.PdfiumError as exc:
        return ScanFailure(f"cannot read {_what(current)} ({exc})", current)
    except Exception as exc:
        if isinstance(exc, _parse_errors()):
            problem = f"cannot parse {_what(current)} ({exc or type(exc).__name__})"
            return ScanFailure(problem, current)
        if isinstance(exc, (ValueError, KeyError, TypeError, IndexError, AssertionError, OSError)):
            # pdfminer raises bare built-in errors on damaged content streams
            problem = f"cannot parse {_what(current)} ({type(exc).__name__}: {exc})"
            return ScanFailure(problem, current)
        raise


def _parse_errors() -> tuple[type[Exception], ...]:
    """pdfminer's and pdfplumber's parse errors (PDFSyntaxError is a PSException), of the
    modules loaded: one that is not imported raised nothing, and importing it to catch
    nothing would cost a text PDF pdfplumber's whole import."""
    names = {
        "pdfminer.psexceptions": "PSException",
        "pdfplumber.utils.exceptions": "PdfminerException",
    }
    return tuple(getattr(sys.modules[m], name) for m, name in names.items() if m in sys.modules)
