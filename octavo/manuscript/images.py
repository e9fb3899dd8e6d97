"""Opening manuscript images safely, and telling placeholders from real pictures.

A placeholder plate ("FPO — for position only") carries the marker below in its
metadata (a JPEG comment or a PNG text chunk). Replacing the file with the real
picture removes the marker, so nothing else has to change.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile

from ..errors import OctavoError

PLACEHOLDER_MARKER = "octavo:placeholder FPO"
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
SVG_SUFFIX = ".svg"
MAX_PIXELS = 60_000_000  # a 60-megapixel image is plenty for print

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class ImageInfo:
    path: Path
    format: str  # JPEG, PNG, GIF, WEBP or SVG
    width: int  # pixels (0 for SVG)
    height: int
    placeholder: bool

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def is_placeholder(image: Image.Image) -> bool:
    texts = [image.info.get("comment", b""), *getattr(image, "text", {}).values()]
    for value in texts:
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if PLACEHOLDER_MARKER in str(value):
            return True
    return False


def inspect_image(path: Path, where: str | None = None, line: int | None = None) -> ImageInfo:
    """Open an image with the allowed decoders only and a pixel limit."""
    shown = where or str(path)
    if path.suffix.lower() == SVG_SUFFIX:
        from .svg import check_svg  # parsed without entity expansion
        check_svg(path, shown, line)
        return ImageInfo(path, "SVG", 0, 0, placeholder=False)
    # WeasyPrint sets LOAD_TRUNCATED_IMAGES when imported: a truncated file would load.
    load_truncated, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=ALLOWED_FORMATS) as image:
                width, height = image.size  # (a draft below makes the decoded image smaller)
                if image.format == "JPEG":  # every byte is still read, at an eighth the work
                    image.draft(image.mode, (width // 8 or 1, height // 8 or 1))
                image.load()  # decode fully: a truncated file fails here
                return ImageInfo(path, image.format, width, height, is_placeholder(image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise OctavoError(f"image {path.name} is too large to open safely "
                          f"(over {MAX_PIXELS // 1_000_000} megapixels)", shown, line,
                          hint="scale it down before adding it") from None
    except Image.UnidentifiedImageError:
        raise OctavoError(f"{path.name} is not a JPEG, PNG, GIF or WebP image",
                          shown, line, hint="export it again in one of these formats") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise OctavoError(f"image {path.name} is corrupt or truncated ({error})",
                          shown, line, hint="export the image again") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = load_truncated
