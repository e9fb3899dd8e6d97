"""The proof sheet: every page of the PDF as a thumbnail on one image, in spreads.

Page 1 (the cover) stands alone on the right, as in a printed copy; then each row
shows spreads (left and right pages side by side), so holes, runts and figure
placement can be taken in at a glance.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pikepdf
import pypdfium2
from PIL import Image, ImageDraw

from ..pdfread.text import page_text

THUMB_WIDTH = 150  # pixels per page
SPREADS_PER_ROW = 4
GAP = 12
BACKGROUND = (120, 120, 120)
PNG_BAND_ROWS = 256  # rows compressed at a time


def write_proof_sheet(pdf: Path | pikepdf.Pdf, target: Path | None, read_text: bool = False,
                      memo=None, keys: list[str] | None = None) -> tuple[int, tuple | None]:
    """Render `pdf` into a contact sheet PNG at `target` (None: no sheet); returns the
    page count and, with `read_text`, every page's text (`pdfread.text.read_pages`'s
    answer), read in the same pass. Pages are cut at the trim (a print PDF's bleed and
    marks left out), so the working PDF and the print PDF, which share its images, give
    the same sheet.

    `memo` (the runner's) and `keys` (one per page, naming what the page shows:
    `pagination.BookLayout.page_keys`): a page seen by an earlier build under the same
    key is not read again; its thumbnail and text are the ones kept."""
    count = len(pdf.pages) if isinstance(pdf, pikepdf.Pdf) else None
    names = [memo.key("page", key) for key in keys] if memo is not None and keys else None
    kept = [memo.get(name) for name in names] if names else None
    document, at = _pdfium(pdf, None if kept is None else
                           [index for index, found in enumerate(kept) if found is None])
    bodies: list[str] = []
    wholes: list[str] = []
    thumbnails: list = []  # each page's: an image, or as the memo keeps it
    try:
        count = len(document) if count is None else count
        for index in range(count):
            name = names[index] if names else None
            if kept is not None and kept[index] is not None:
                body, whole = _texts(kept[index])
                image = kept[index]
            else:
                page = document[at(index)]
                try:
                    body, whole = page_text(page)  # first: drawing changes the page's boxes
                    image = _thumbnail(page) if target is not None or name else None
                finally:
                    page.close()
                if name and image is not None:
                    image = _pack(body, whole, image)  # (held packed: a page is 95 kB drawn)
                    memo.put(name, image)
            bodies.append(body)
            wholes.append(whole)
            thumbnails.append(image)
    finally:
        if document is not None:
            document.close()
    if target is not None and count:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_sheet(target, thumbnails, keys if names else None, memo)
    return count, (tuple(bodies), tuple(wholes)) if read_text else None


def _write_sheet(target: Path, thumbnails: list, keys: list[str] | None, memo) -> None:
    """The sheet as PNG: rows unfiltered, zlib level 1. On these sheets (flat grey, white
    pages, small text) that is smaller than Pillow's adaptive filters at level 1, in about
    half the time (optimize=True took 3 s to save 2 %). Drawn and compressed a band of
    rows at a time (raw deflate, flushed; the checksums combined), so the whole sheet is
    never held; a band an earlier build drew, showing the same pages (by `keys`) in the
    same places, is taken from `memo`, its pages not even unpacked."""
    count = len(thumbnails)
    cell = _size(thumbnails[0])  # a thumbnail's size: the first page's
    columns, rows = _grid(count)
    width, height = GAP + columns * (2 * cell[0] + GAP), GAP + rows * (cell[1] + GAP)
    places = [(_slot(index + 1, cell), _size(thumbnail))  # slot 0: blank, beside the cover
              for index, thumbnail in enumerate(thumbnails)]
    folds = [_slot(2 * spread + 1, cell) for spread in range((count + 2) // 2)]
    stride, data, adler = width * 3, [b"\x78\x01"], 1  # zlib's header: deflate, level 1
    unpacked: dict = {}
    for top in range(0, height, PNG_BAND_ROWS):
        bottom = min(height, top + PNG_BAND_ROWS)
        shown = [index for index, ((_, y), (_, h)) in enumerate(places) if y < bottom and
                 y + h > top]
        name = memo.key("png-band", width, height, top, cell, count, shown,
                        [keys[index] for index in shown]) if keys else None  # (count: the
        #                                                  folds drawn)
        found = memo.get(name) if name else None
        if found is None:
            band = Image.new("RGB", (width, bottom - top), BACKGROUND)
            unpacked = {index: unpacked.get(index) or _image(thumbnails[index])
                        for index in shown}  # (a page across two bands: unpacked once)
            for index in shown:
                (x, y), _ = places[index]
                band.paste(unpacked[index], (x, y - top))
            draw = ImageDraw.Draw(band)
            for x, y in folds:  # the fold of each spread
                if y < bottom and y + cell[1] > top:
                    draw.line([(x, y - top), (x, y - top + cell[1] - 1)], fill=(90, 90, 90))
            pixels = band.tobytes()
            lines = b"".join(b"\0" + pixels[start:start + stride]
                             for start in range(0, len(pixels), stride))
            found = struct.pack(">II", zlib.adler32(lines), len(lines)) + _deflate(lines)
            if name:
                memo.put(name, found)
        band_adler, length = struct.unpack(">II", found[:8])
        adler = adler32_combine(adler, band_adler, length)
        data.append(found[8:])
    data.append(b"\x03\x00" + struct.pack(">I", adler))  # an empty last block; the checksum

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    target.write_bytes(b"\x89PNG\r\n\x1a\n"
                       + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                       + chunk(b"IDAT", b"".join(data)) + chunk(b"IEND", b""))


ADLER_BASE = 65521


def adler32_combine(first: int, second: int, length: int) -> int:
    """The Adler-32 of two byte strings one after the other, from each one's and the
    second's length (zlib's adler32_combine, which Python's zlib does not offer)."""
    remainder = length % ADLER_BASE
    low = first & 0xFFFF
    high = (remainder * low) % ADLER_BASE
    low = (low + (second & 0xFFFF) + ADLER_BASE - 1) % ADLER_BASE
    high = (high + (first >> 16) + (second >> 16) + ADLER_BASE - remainder) % ADLER_BASE
    return low | (high << 16)


def _pdfium(pdf, wanted: list[int] | None):
    """pdfium's document for `pdf` (a file, or a book open in pikepdf) and where page
    `index` is in it (None when no page is wanted). From a book in memory, only the
    pages `wanted` (None: all) are copied into a PDF of their own (without their links,
    which draw nothing and would bring the pages they point to), so a page a build saw
    before is not copied."""
    if not isinstance(pdf, pikepdf.Pdf):
        return pypdfium2.PdfDocument(str(pdf)), lambda index: index
    if wanted == []:
        return None, None
    data = io.BytesIO()
    if wanted is None or len(wanted) == len(pdf.pages):  # (streams as they are: none
        pdf.save(data, compress_streams=False,  # decoded, nor compressed again)
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
        data.seek(0)
        return pypdfium2.PdfDocument(data), lambda index: index  # (read in place)
    where = {index: at for at, index in enumerate(wanted)}
    with pikepdf.new() as alone:
        for index in wanted:
            alone.pages.append(pdf.pages[index])
        for page in alone.pages:
            if "/Annots" in page.obj:
                del page.obj.Annots
        alone.save(data, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    data.seek(0)
    return pypdfium2.PdfDocument(data), where.__getitem__


def _thumbnail(page) -> Image.Image:
    left, bottom, right, top = page.get_trimbox()
    page.set_cropbox(left, bottom, right, top)  # drawn as trimmed
    return page.render(scale=THUMB_WIDTH / (right - left), rev_byteorder=True).to_pil()


def _pack(body: str, whole: str, image: Image.Image) -> bytes:
    """A page's text and thumbnail, for the memo."""
    texts = json.dumps([body, whole]).encode()
    return struct.pack(">III", len(texts), *image.size) + texts + zlib.compress(
        image.convert("RGB").tobytes(), 1)


def _texts(data: bytes) -> tuple[str, str]:
    """A page's text, as `_pack` keeps it."""
    length = struct.unpack(">I", data[:4])[0]
    body, whole = json.loads(data[12:12 + length])
    return body, whole


def _size(thumbnail) -> tuple[int, int]:
    """A thumbnail's size: an image's, or one `_pack` keeps."""
    if isinstance(thumbnail, bytes):
        return struct.unpack(">II", thumbnail[4:12])
    return thumbnail.size


def _image(thumbnail) -> Image.Image:
    """A thumbnail as an image (unpacked, if `_pack` keeps it)."""
    if not isinstance(thumbnail, bytes):
        return thumbnail
    length, width, height = struct.unpack(">III", thumbnail[:12])
    pixels = zlib.decompress(thumbnail[12 + length:])
    return Image.frombytes("RGB", (width, height), pixels)


def _grid(count: int) -> tuple[int, int]:
    """(spreads across, rows) for `count` pages after one blank slot."""
    spreads = (count + 2) // 2
    return SPREADS_PER_ROW, -(-spreads // SPREADS_PER_ROW)


def _slot(slot: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The top left corner of slot `slot` (0: the blank beside the cover; 1: page 1...)."""
    spread, side = divmod(slot, 2)
    row, column = divmod(spread, SPREADS_PER_ROW)
    return GAP + column * (2 * cell[0] + GAP) + side * cell[0], GAP + row * (cell[1] + GAP)


def _deflate(rows: bytes) -> bytes:
    """Rows as raw deflate blocks that end on a byte, the compressor's memory cleared."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(rows) + compressor.flush(zlib.Z_FULL_FLUSH)
