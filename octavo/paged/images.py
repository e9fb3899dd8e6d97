"""Downsampling the images of a written PDF (the screen edition keeps its download small).

The screen and print PDFs share one layout, so the print PDF keeps every pixel and
the screen PDF's images are resampled afterwards to what a screen can show.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
from pathlib import Path

import pikepdf
from PIL import Image

from ..pdfread.walk import walk_pdf

JPEG_QUALITY = 82
SLACK = 1.1  # leave an image alone unless it is more than 10 % over the target


def downsample_images(pdf: pikepdf.Pdf, ppi: int, prepared: dict | None = None) -> int:
    """Resample every image placed above `ppi` down to it; returns how many were.

    `prepared` (from `screen_copies`, made while the PDF was written) holds the smaller
    copies of the images WeasyPrint embedded unchanged, by digest; the others are
    measured on the page and resampled here."""
    prepared = prepared or {}
    resampled, done, seen, others = 0, set(), set(), False
    for page in pdf.pages:  # (WeasyPrint shares one XObject dictionary between pages)
        for stream in page.obj.get("/Resources", {}).get("/XObject", {}).values():
            if stream.objgen in seen:
                continue
            seen.add(stream.objgen)
            if stream.get("/Subtype") != "/Image":
                continue
            key = hashlib.sha1(stream.read_raw_bytes()).hexdigest()
            if key not in prepared or "/SMask" in stream or stream.get("/ImageMask"):
                others = True
                continue
            done.add(stream.objgen)
            if prepared[key] is not None:
                _put(stream, *prepared[key])
                resampled += 1
    if not others:
        return resampled
    placed, _ = walk_pdf(pdf, text=False)  # where the other images are, and how large
    largest: dict[str, tuple[float, float]] = {}
    for image in placed:
        width, height = largest.get(image.name, (0.0, 0.0))
        largest[image.name] = (max(width, image.size_pt[0]), max(height, image.size_pt[1]))
    for page in pdf.pages:
        xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
        for name, stream in xobjects.items():
            if name not in largest or stream.objgen in done:
                continue
            done.add(stream.objgen)
            if "/SMask" in stream or stream.get("/ImageMask"):
                continue  # keep transparency exactly as it is
            lossless = stream.get("/Filter") != pikepdf.Name.DCTDecode  # PNG, GIF: stay so
            smaller = _smaller(lambda: pikepdf.PdfImage(stream).as_pil_image(),
                               (int(stream.Width), int(stream.Height)), largest[name], ppi,
                               lossless)
            if smaller is not None and not (lossless and
                                            len(smaller[0]) >= len(stream.read_raw_bytes())):
                _put(stream, *smaller)  # (line art may deflate better at full size: kept)
                resampled += 1
    return resampled


def screen_copies(sizes: dict[str, tuple[float, float]], book, ppi: int,
                  memo=None) -> dict[str, tuple | None]:
    """The screen PDF's copies of the book's JPEG figures, made ahead from the layout.

    `sizes`: each image's largest placed size (points), by its `src` (from the parts'
    layouts). For each image file: a copy resampled to `ppi` at that size (None: small
    enough already), keyed by the digest of the file, which is what WeasyPrint embeds
    for a JPEG it need not turn or convert."""
    paths = {figure.src: figure.path for figure in book.figures
             if figure.image.format != "SVG"}  # vectors: nothing to resample
    largest: dict[Path, tuple[float, float]] = {}
    for src, (width_pt, height_pt) in sizes.items():
        path = paths.get(src)
        if path is not None:
            width, height = largest.get(path, (0.0, 0.0))
            largest[path] = (max(width, width_pt), max(height, height_pt))
    by_digest: dict[str, tuple[bytes, tuple[float, float]]] = {}  # the same file twice: once
    for path, (width, height) in largest.items():
        data = path.read_bytes()
        key = hashlib.sha1(data).hexdigest()
        known = by_digest.get(key, (data, (0.0, 0.0)))[1]
        by_digest[key] = data, (max(width, known[0]), max(height, known[1]))
    copies = {}
    for key, (data, size_pt) in by_digest.items():
        if memo is None:
            found = _screen_copy(data, size_pt, ppi)
        else:
            kept = memo.remember(memo.key("screen-image", ppi, size_pt, key),
                                 lambda: pickle_copy(_screen_copy(data, size_pt, ppi)))
            found = unpickle_copy(kept)
        if found != "convert":
            copies[key] = found
    return copies


def _screen_copy(data: bytes, size_pt, ppi: int):
    with Image.open(io.BytesIO(data)) as image:
        if image.format != "JPEG" or image.mode not in ("RGB", "L") or "exif" in image.info:
            return "convert"  # WeasyPrint converts or turns it: measured on the page instead
        return _smaller(lambda: image, image.size, size_pt, ppi)


def pickle_copy(copy) -> bytes:
    """A screen copy (`_smaller`'s answer, None, or "convert") as bytes, and back."""
    if copy is None or copy == "convert":
        return b"N" if copy is None else b"C"
    data, width, height, mode = copy
    return b"J" + struct.pack(">II1s", width, height, mode[0].encode()) + data


def unpickle_copy(kept: bytes):
    if kept[:1] in (b"N", b"C"):
        return None if kept[:1] == b"N" else "convert"
    width, height, mode = struct.unpack(">II1s", kept[1:10])
    return kept[10:], width, height, {"R": "RGB", "L": "L"}[mode.decode()]


def _smaller(open_image, pixels: tuple[int, int], size_pt: tuple[float, float],
             ppi: int, lossless: bool = False) -> tuple[bytes, int, int, str] | None:
    """A JPEG of the image at `ppi` over `size_pt` points, or None if it is not larger;
    `lossless`: the pixels deflated instead (line art from a PNG or GIF)."""
    width, height = pixels
    target_w = max(1, math.ceil(size_pt[0] / 72 * ppi))
    target_h = max(1, math.ceil(size_pt[1] / 72 * ppi))
    if width <= target_w * SLACK and height <= target_h * SLACK:
        return None
    image = open_image()
    ratio = min(target_w / width, target_h / height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    if image.format == "JPEG":  # libjpeg decodes at 1/2, 1/4 or 1/8 scale, still ≥ `size`
        image.draft(image.mode, size)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    smaller = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    if lossless:
        return _png_stream(smaller), smaller.width, smaller.height, smaller.mode, \
            pikepdf.Name.FlateDecode
    data = io.BytesIO()
    smaller.save(data, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return data.getvalue(), smaller.width, smaller.height, smaller.mode


def _png_stream(image: Image.Image) -> bytes:
    """The image's pixels deflated with PNG's row filters, as PIL writes them in a PNG's
    IDAT chunks (the same bytes a PDF reads with /Predictor 15)."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    data, position, chunks = out.getvalue(), 8, []
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        if data[position + 4:position + 8] == b"IDAT":
            chunks.append(data[position + 8:position + 8 + length])
        position += 12 + length
    return b"".join(chunks)


def _put(stream, data: bytes, width: int, height: int, mode: str,
         encoding=pikepdf.Name.DCTDecode) -> None:
    stream.write(data, filter=encoding)
    stream.Width, stream.Height = width, height
    stream.ColorSpace = pikepdf.Name.DeviceRGB if mode == "RGB" else pikepdf.Name.DeviceGray
    stream.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode", "/Interpolate"):
        if key in stream:
            del stream[key]
    if encoding == pikepdf.Name.FlateDecode:  # rows filtered as in PNG (`_png_stream`)
        stream.DecodeParms = pikepdf.Dictionary(Predictor=15, Colors=3 if mode == "RGB" else 1,
                                                BitsPerComponent=8, Columns=width)
