"""Downsampling the images of a written PDF (the screen edition keeps its download small).

The screen and print PDFs share one layout, so the print PDF keeps every pixel and
the screen PDF's images are resampled afterwards to what a screen can show.
"""

from __future__ import annotations

import io
import math
import pikepdf
from PIL import Image

from .pdf_walk import walk_pdf

JPEG_QUALITY = 82
SLACK = 1.1  # leave an image alone unless it is more than 10 % over the target


def downsample_images(pdf: pikepdf.Pdf, ppi: int) -> int:
    """Resample every image placed above `ppi` down to it; returns how many were."""
    resampled = 0
    placed, _ = walk_pdf(pdf, text=False)  # only where the images are
    largest: dict[str, tuple[float, float]] = {}
    for image in placed:
        width, height = largest.get(image.name, (0.0, 0.0))
        largest[image.name] = (max(width, image.size_pt[0]), max(height, image.size_pt[1]))
    done = set()
    for page in pdf.pages:
        xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
        for name, stream in xobjects.items():
            if name not in largest or stream.objgen in done:
                continue
            done.add(stream.objgen)
            if _resample(stream, largest[name], ppi):
                resampled += 1
    return resampled


def _resample(stream, size_pt: tuple[float, float], ppi: int) -> bool:
    if "/SMask" in stream or stream.get("/ImageMask"):
        return False  # keep transparency exactly as it is
    width, height = int(stream.Width), int(stream.Height)
    target_w = max(1, math.ceil(size_pt[0] / 72 * ppi))
    target_h = max(1, math.ceil(size_pt[1] / 72 * ppi))
    if width <= target_w * SLACK and height <= target_h * SLACK:
        return False
    image = pikepdf.PdfImage(stream).as_pil_image()
    ratio = min(target_w / width, target_h / height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    if image.format == "JPEG":  # libjpeg decodes at 1/2, 1/4 or 1/8 scale, still ≥ `size`
        image.draft(image.mode, size)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    smaller = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    data = io.BytesIO()
    smaller.save(data, "JPEG", quality=JPEG_QUALITY, optimize=True)
    stream.write(data.getvalue(), filter=pikepdf.Name.DCTDecode)
    stream.Width, stream.Height = smaller.width, smaller.height
    stream.ColorSpace = pikepdf.Name.DeviceRGB if smaller.mode == "RGB" else pikepdf.Name.DeviceGray
    stream.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode", "/Interpolate"):
        if key in stream:
            del stream[key]
    return True
