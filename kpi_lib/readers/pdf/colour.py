"""Cell colours of a scanned page, read from the rendered page image.

A scan has no fill objects to read: the RAG cell's colour is in the page image. The page is
rendered once at low resolution (pypdfium2) and each cell's middle is looked at: when enough
of its pixels are clearly coloured, their median colour is the cell's fill, as a drawn fill
would be; white, grey and black pixels (paper, text, a grey zebra row) are no colour.
"""

from __future__ import annotations

from kpi_lib.readers.pdf.model import TableScan
from kpi_lib.readers.pdf.settings import PdfSettings


def paint_from_render(page: object, tables: list[TableScan], s: PdfSettings) -> None:
    import numpy as np  # only scans need it: a text PDF is read without numpy

    scale = s.scan_render_scale
    image = page.render(scale=scale).to_numpy()  # type: ignore[attr-defined]
    rgb = image[:, :, :3].astype(np.float32) / 255.0
    if image.shape[2] >= 3:
        rgb = rgb[:, :, ::-1]  # pdfium renders BGR(A)
    high, low = rgb.max(axis=2), rgb.min(axis=2)
    coloured = (high - low > 0.25) & (high > 0.3)
    height, width = coloured.shape
    for table in tables:
        for row in table.rows[1:]:
            for cell in row:
                if cell.bbox is None:
                    continue
                x0, top, x1, bottom = cell.bbox
                dx, dy = (x1 - x0) * 0.2, (bottom - top) * 0.2
                c0, c1 = int((x0 + dx) * scale), int((x1 - dx) * scale) + 1
                r0, r1 = int((top + dy) * scale), int((bottom - dy) * scale) + 1
                c0, c1, r0, r1 = max(c0, 0), min(c1, width), max(r0, 0), min(r1, height)
                if c1 <= c0 or r1 <= r0:
                    continue
                mask = coloured[r0:r1, c0:c1]
                if mask.mean() < s.min_colour_share:
                    continue
                pixels = rgb[r0:r1, c0:c1][mask]
                med = np.median(pixels, axis=0)
                cell.fill = (float(med[0]), float(med[1]), float(med[2]))
