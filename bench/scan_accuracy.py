"""How much of a scanned report the PDF reader gets right (not a speed bench: the numbers for the
note). Renders the Word-exported 2023/24 Q2 report (tests/fixtures/writer/) to page images at a
chosen resolution, skews and JPEG-compresses them, OCRs each page with tesseract into a PDF with
a text layer (as ocrmypdf does), reads that PDF and compares with the hand-checked gold rows.

Needs tesseract on the PATH (Debian: apt-get install tesseract-ocr). Slow: tesseract takes
seconds a page.

    .venv/bin/python bench/scan_accuracy.py --dpi 200 --skew 0.4 --quality 70 --psm 3
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402
from PIL import Image  # noqa: E402

from kpi_lib.readers.pdf.reader import read_pdf  # noqa: E402
from tests.gold import FIXTURES, KPI_FIELDS, match_rate, read_gold  # noqa: E402

SOURCE = FIXTURES / "writer" / "2023-24_Q2_kpi_commentary_writer.pdf"
GOLD = FIXTURES / "2023-24_Q2_kpis.csv"


def scan(src: Path, out: Path, dpi: int, skew: float, quality: int, psm: str) -> Path:
    doc = pdfium.PdfDocument(str(src))
    merged = pdfium.PdfDocument.new()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(len(doc)):
            img = doc[i].render(scale=dpi / 72).to_pil().convert("RGB")
            if skew:
                img = img.rotate(skew, resample=Image.BICUBIC, fillcolor="white")
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality)
            page = Path(tmp) / f"p{i:03d}.jpg"
            Image.open(buf).save(page, "JPEG", quality=95, dpi=(dpi, dpi))
            base = Path(tmp) / f"p{i:03d}"
            subprocess.run(
                ["tesseract", str(page), str(base), "--psm", psm, "-l", "eng", "pdf"],
                check=True,
                capture_output=True,
            )
            merged.import_pages(pdfium.PdfDocument(str(base.with_suffix(".pdf"))))
        merged.save(str(out))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--skew", type=float, default=0.4, help="degrees")
    ap.add_argument("--quality", type=int, default=70, help="JPEG quality")
    ap.add_argument("--psm", default="3", help="tesseract page segmentation mode")
    ap.add_argument("--keep", type=Path, help="write the scanned PDF here")
    args = ap.parse_args()
    if shutil.which("tesseract") is None:
        print("scan_accuracy: needs tesseract (apt-get install tesseract-ocr)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "scan.pdf"
        scan(SOURCE, out, args.dpi, args.skew, args.quality, args.psm)
        ex = read_pdf(out)
    gold = read_gold(GOLD)
    df = ex.frame()
    rate = match_rate(df, gold, KPI_FIELDS)
    valued = int(df["value"].notna().sum())
    print(
        f"dpi {args.dpi}, skew {args.skew}, JPEG {args.quality}, psm {args.psm}: "
        f"{len(df)} rows read ({valued} with a value) of {len(gold)} gold; "
        f"{rate:.1%} of gold rows exact; {len(ex.issues)} warnings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
