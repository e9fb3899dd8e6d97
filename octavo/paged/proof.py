"""The proof sheet: every page of the PDF as a thumbnail on one image, in spreads.

Page 1 (the cover) stands alone on the right, as in a printed copy; then each row
shows spreads (left and right pages side by side), so holes, runts and figure
placement can be taken in at a glance.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from ..pdfread.text import page_text

THUMB_WIDTH = 150  # pixels per page
SPREADS_PER_ROW = 4
GAP = 12
BACKGROUND = (120, 120, 120)
PNG_BAND_ROWS = 256  # rows compressed at a time


def write_proof_sheet(pdf: Path, target: Path | None, read_text: bool = False, memo=None,
                      keys: list[str] | None = None) -> tuple[int, tuple | None]:
    """Render `pdf` into a contact sheet PNG at `target` (None: no sheet); returns the
    page count and, with `read_text`, every page's text (`pdfread.text.read_pages`'s
    answer), read in the same pass. Pages are cut at the trim (a print PDF's bleed and
    marks left out), so the working PDF and the print PDF, which share its images, give
    the same sheet.

    `memo` (the runner's) and `keys` (one per page, naming what the page shows:
    `pagination.BookLayout.page_keys`): a page seen by an earlier build under the same
    key is not read again; its thumbnail and text are the ones kept."""
    sheet: Image.Image | None = None
    cell = (0, 0)  # a thumbnail's size: the first page's
    bodies: list[str] = []
    wholes: list[str] = []

    def place(image: Image.Image, index: int, count: int) -> None:  # pasted when drawn
        nonlocal sheet, cell
        if sheet is None:
            cell = image.size
            columns, rows = _grid(count)
            sheet = Image.new("RGB", (GAP + columns * (2 * cell[0] + GAP),
                                      GAP + rows * (cell[1] + GAP)), BACKGROUND)
        sheet.paste(image, _slot(index + 1, cell))  # slot 0: blank, beside the cover

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        count = len(document)
        for index in range(count):
            name = memo.key("page", keys[index]) if memo is not None and keys else None
            kept = memo.get(name) if name else None
            if kept is not None:
                body, whole, image = _unpack(kept)
            else:
                page = document[index]
                try:
                    body, whole = page_text(page)  # first: drawing changes the page's boxes
                    image = _thumbnail(page) if target is not None or name else None
                finally:
                    page.close()
                if name and image is not None:
                    memo.put(name, _pack(body, whole, image))
            bodies.append(body)
            wholes.append(whole)
            if target is not None:
                place(image, index, count)
    finally:
        document.close()
    if sheet is not None:
        draw = ImageDraw.Draw(sheet)
        for spread in range((count + 2) // 2):  # the fold of each spread
            x, y = _slot(2 * spread + 1, cell)
            draw.line([(x, y), (x, y + cell[1] - 1)], fill=(90, 90, 90))
        target.parent.mkdir(parents=True, exist_ok=True)
        _save_png(sheet, target, memo)
    return count, (tuple(bodies), tuple(wholes)) if read_text else None


def _thumbnail(page) -> Image.Image:
    left, bottom, right, top = page.get_trimbox()
    page.set_cropbox(left, bottom, right, top)  # drawn as trimmed
    return page.render(scale=THUMB_WIDTH / (right - left), rev_byteorder=True).to_pil()


def _pack(body: str, whole: str, image: Image.Image) -> bytes:
    """A page's text and thumbnail, for the memo."""
    texts = json.dumps([body, whole]).encode()
    return struct.pack(">III", len(texts), *image.size) + texts + zlib.compress(
        image.convert("RGB").tobytes(), 1)


def _unpack(data: bytes) -> tuple[str, str, Image.Image]:
    length, width, height = struct.unpack(">III", data[:12])
    body, whole = json.loads(data[12:12 + length])
    pixels = zlib.decompress(data[12 + length:])
    return body, whole, Image.frombytes("RGB", (width, height), pixels)


def _grid(count: int) -> tuple[int, int]:
    """(spreads across, rows) for `count` pages after one blank slot."""
    spreads = (count + 2) // 2
    return SPREADS_PER_ROW, -(-spreads // SPREADS_PER_ROW)


def _slot(slot: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The top left corner of slot `slot` (0: the blank beside the cover; 1: page 1...)."""
    spread, side = divmod(slot, 2)
    row, column = divmod(spread, SPREADS_PER_ROW)
    return GAP + column * (2 * cell[0] + GAP) + side * cell[0], GAP + row * (cell[1] + GAP)


def _save_png(image: Image.Image, target: Path, memo=None) -> None:
    """An RGB image as PNG: rows unfiltered, zlib level 1. On these sheets (flat grey, white
    pages, small text) that is smaller than Pillow's adaptive filters at level 1, in about
    half the time (0.2 s for 300 pages; optimize=True took 3 s to save 2 %). Compressed a
    band of rows at a time, so no second copy of the sheet is ever held; each band is
    compressed on its own (raw deflate, flushed), so a band an earlier build compressed,
    kept in `memo` by its pixels, is not compressed again."""
    width, height = image.size
    stride, data, adler = width * 3, [b"\x78\x01"], 1  # zlib's header: deflate, level 1
    for top in range(0, height, PNG_BAND_ROWS):
        band = image.crop((0, top, width, min(height, top + PNG_BAND_ROWS))).tobytes()
        rows = b"".join(b"\0" + band[start:start + stride] for start in range(0, len(band), stride))
        adler = zlib.adler32(rows, adler)
        if memo is None:
            data.append(_deflate(rows))
        else:
            data.append(memo.remember(memo.key("png-band", hashlib.sha1(rows).digest()),
                                      lambda: _deflate(rows)))
    data.append(b"\x03\x00" + struct.pack(">I", adler))  # an empty last block; the checksum

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    target.write_bytes(b"\x89PNG\r\n\x1a\n"
                       + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                       + chunk(b"IDAT", b"".join(data)) + chunk(b"IEND", b""))


def _deflate(rows: bytes) -> bytes:
    """Rows as raw deflate blocks that end on a byte, the compressor's memory cleared."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(rows) + compressor.flush(zlib.Z_FULL_FLUSH)
