"""The proof sheet: every page of the PDF as a thumbnail on one image, in spreads.

Page 1 (the cover) stands alone on the right, as in a printed copy; then each row
shows spreads (left and right pages side by side), so holes, runts and figure
placement can be taken in at a glance.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from ..pdfread.text import read_pages

THUMB_WIDTH = 150  # pixels per page
SPREADS_PER_ROW = 4
GAP = 12
BACKGROUND = (120, 120, 120)
PNG_BAND_ROWS = 256  # rows compressed at a time


def write_proof_sheet(pdf: Path, target: Path, read_text: bool = False) -> int:
    """Render `pdf` into a contact sheet PNG at `target`; returns the page count. Pages are
    cut at the trim (a print PDF's bleed and marks left out), so the working PDF and the
    print PDF, which share its images, give the same sheet. `read_text`: read the pages'
    text in the same pass (`pdfread.text.read_pages`, remembered for the text checks)."""
    sheet: Image.Image | None = None
    cell = (0, 0)  # a thumbnail's size: the first page's

    def thumbnail(page, index: int, count: int) -> None:  # pasted as soon as it is drawn
        nonlocal sheet, cell
        left, bottom, right, top = page.get_trimbox()
        page.set_cropbox(left, bottom, right, top)  # drawn as trimmed
        image = page.render(scale=THUMB_WIDTH / (right - left), rev_byteorder=True).to_pil()
        if sheet is None:
            cell = image.size
            columns, rows = _grid(count)
            sheet = Image.new("RGB", (GAP + columns * (2 * cell[0] + GAP),
                                      GAP + rows * (cell[1] + GAP)), BACKGROUND)
        sheet.paste(image, _slot(index + 1, cell))  # slot 0: blank, beside the cover

    if read_text:
        count = len(read_pages(pdf, thumbnail)[0])
    else:
        document = pypdfium2.PdfDocument(str(pdf))
        try:
            count = len(document)
            for index, page in enumerate(document):
                thumbnail(page, index, count)
                page.close()
        finally:
            document.close()
    if sheet is None:
        return 0
    draw = ImageDraw.Draw(sheet)
    for spread in range((count + 2) // 2):  # the fold of each spread
        x, y = _slot(2 * spread + 1, cell)
        draw.line([(x, y), (x, y + cell[1] - 1)], fill=(90, 90, 90))
    target.parent.mkdir(parents=True, exist_ok=True)
    _save_png(sheet, target)
    return count


def _grid(count: int) -> tuple[int, int]:
    """(spreads across, rows) for `count` pages after one blank slot."""
    spreads = (count + 2) // 2
    return SPREADS_PER_ROW, -(-spreads // SPREADS_PER_ROW)


def _slot(slot: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The top left corner of slot `slot` (0: the blank beside the cover; 1: page 1...)."""
    spread, side = divmod(slot, 2)
    row, column = divmod(spread, SPREADS_PER_ROW)
    return GAP + column * (2 * cell[0] + GAP) + side * cell[0], GAP + row * (cell[1] + GAP)


def _save_png(image: Image.Image, target: Path) -> None:
    """An RGB image as PNG: rows unfiltered, zlib level 1. On these sheets (flat grey, white
    pages, small text) that is smaller than Pillow's adaptive filters at level 1, in about
    half the time (0.2 s for 300 pages; optimize=True took 3 s to save 2 %). Compressed a
    band of rows at a time, so no second copy of the sheet is ever held."""
    width, height = image.size
    stride, compressor, data = width * 3, zlib.compressobj(1), []
    for top in range(0, height, PNG_BAND_ROWS):
        band = image.crop((0, top, width, min(height, top + PNG_BAND_ROWS))).tobytes()
        data.append(compressor.compress(b"".join(
            b"\0" + band[start:start + stride] for start in range(0, len(band), stride))))
    data.append(compressor.flush())

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    target.write_bytes(b"\x89PNG\r\n\x1a\n"
                       + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                       + chunk(b"IDAT", b"".join(data)) + chunk(b"IEND", b""))
