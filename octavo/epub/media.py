"""Resources of the EPUB besides its documents: reader copies of the images, the
subset fonts and the e-reader stylesheet.

Images are re-encoded for reading, never changed in place: at most 4 megapixels,
sRGB; photographs (JPEG, WebP) as JPEG at quality 82, without their metadata (a plain
JPEG that is all that already is copied as it is); PNG and GIF stay lossless (as they
are, or as PNG); SVG is copied as it is, once the safe SVG check passed. Fonts are
Charis SIL, subset with HarfBuzz to the characters the book uses, in all four styles
the stylesheet names.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ..errors import OctavoError
from ..fonts import BODY_FAMILY, font_files
from ..options import STYLES
from ..manuscript.images import ALLOWED_FORMATS, SVG_SUFFIX, inspect_image
from ..manuscript.book import Book, source_line
from ..manuscript.book_css import stylesheet_files
from ..manuscript.fetcher import MIME_TYPES
from ..manuscript.load import resolve_inside

STYLESHEET = "epub.css"
STYLE_IMAGES = ("wrap-mark.svg",)  # images epub.css refers to (the code-wrap mark)
LOSSLESS = {"PNG": (".png", "image/png"), "GIF": (".gif", "image/gif")}  # kept lossless
MAX_PIXELS = 4_000_000  # Apple Books' limit for images in a book
JPEG_QUALITY = 82
FONT_STYLES = ("Regular", "Italic", "Bold", "BoldItalic")
FONT_FILE = "CharisSIL-{}.ttf"
# OpenType features kept besides fontTools' defaults (kerning, ligatures, marks...).
FONT_FEATURES = ("smcp", "c2sc", "onum", "lnum", "pnum", "tnum", "case", "sups", "subs")
# Printable ASCII and common punctuation, so a reader's own labels (page numbers,
# "Chapter 2") never fall back to another font mid-word.
ALWAYS_IN_FONTS = ("".join(chr(c) for c in range(0x20, 0x7F))
                   + "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2191\u25ca")


@dataclass(frozen=True)
class Resource:
    name: str  # path inside the EPUB's content folder, e.g. "images/plate.jpg"
    data: bytes
    media_type: str
    width: int = 0
    height: int = 0

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _to_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source,
                                                  ImageCms.createProfile("sRGB"),
                                                  outputMode=mode)
            # untagged is sRGB to every reader; LittleCMS's own sRGB profile carries the
            # time it was made, which made the copy differ from build to build
            converted.info.pop("icc_profile", None)
            return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: fall back to reading the numbers as sRGB
    return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def fit_pixels(width: int, height: int, limit: int = MAX_PIXELS) -> tuple[int, int]:
    """The largest size of the same proportions within `limit` pixels (never larger)."""
    if width * height <= limit:
        return width, height
    scale = math.sqrt(limit / (width * height))
    new_width, new_height = max(1, int(width * scale)), max(1, int(height * scale))
    while new_width * new_height > limit:
        new_width, new_height = new_width - 1, max(1, round((new_width - 1) * height / width))
    return new_width, new_height


# What a JPEG may carry and still go into the EPUB as it is (no EXIF, no profile, no
# comment: those are re-encoded away, as is anything larger than the limit).
PLAIN_JPEG_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive",
                   "progression", "adobe", "adobe_transform"}


def jpeg_copy(path: Path, limit: int = MAX_PIXELS, quality: int = JPEG_QUALITY):
    """A reader's copy of a raster image: (bytes, width, height). A plain JPEG within the
    limit (RGB or grey, nothing in its metadata but its JFIF header) is its own copy:
    re-encoding it would only cost time and lose detail."""
    with Image.open(path, formats=ALLOWED_FORMATS) as original:
        if original.format == "JPEG" and original.mode in ("RGB", "L") \
                and set(original.info) <= PLAIN_JPEG_INFO \
                and original.width * original.height <= limit:
            return path.read_bytes(), original.width, original.height
        original.seek(0)  # the first frame of an animation
        profile = original.info.get("icc_profile")
        image = _flatten(_to_srgb(ImageOps.exif_transpose(original), profile))
    size = fit_pixels(*image.size, limit)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=False,
               subsampling="4:2:0")
    return out.getvalue(), image.width, image.height


def book_images(book: Book, memo=None) -> tuple[dict[str, str], list[Resource]]:
    """Every image the chapters show, as a reader's copy (kept in `memo`, if given, by
    the image's bytes).

    Returns the href for each `src` as written in the manuscript, and the resources.
    """
    sources: dict[str, str] = {}
    by_path: dict[Path, str] = {}
    resources: list[Resource] = []
    taken: set[str] = set()
    known = {figure.path: figure.image for figure in book.figures}  # opened at load
    for chapter in book.chapters:
        for img in chapter.body.iter("img"):
            src = img.get("src", "")
            if src in sources:
                continue
            line = chapter.line_naming(src) or source_line(chapter.markdown, src)
            path = resolve_inside(book.folder, src, chapter.source, line)
            if path not in by_path:
                resource = _reader_copy(path, taken, str(chapter.source), line, memo,
                                        known.get(path))
                by_path[path] = resource.name
                resources.append(resource)
            sources[src] = by_path[path]
    return sources, resources


def _unique_name(stem: str, suffix: str, taken: set[str]) -> str:
    name, number = f"images/{stem}{suffix}", 1
    while name in taken:
        number += 1
        name = f"images/{stem}-{number}{suffix}"
    taken.add(name)
    return name


def _reader_copy(path: Path, taken: set[str], where: str, line: int | None,
                 memo=None, info=None) -> Resource:
    if not path.is_file():
        raise OctavoError(f"image file {path.name!r} does not exist", where, line,
                          hint="check the file name, or add the image to images/")
    info = info or inspect_image(path, where, line)
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in path.stem) or "image"
    if path.suffix.lower() == SVG_SUFFIX or info.format == "SVG":
        return Resource(_unique_name(stem, ".svg", taken), path.read_bytes(), "image/svg+xml")
    lossless = info.format in LOSSLESS

    def copy() -> tuple[bytes, int, int, str]:
        if lossless:
            return lossless_copy(path, info)
        return (*jpeg_copy(path), "JPEG")
    if memo is None:
        data, width, height, kind = copy()
    else:
        def make() -> bytes:
            data, width, height, kind = copy()
            return struct.pack(">II4s", width, height, kind.encode()) + data
        kept = memo.remember(memo.key("epub-image", MAX_PIXELS, JPEG_QUALITY, lossless,
                                      path.read_bytes()), make)
        width, height, kind = struct.unpack(">II4s", kept[:12])
        data, kind = kept[12:], kind.rstrip(b"\0").decode()
    suffix, media_type = LOSSLESS.get(kind, (".jpg", "image/jpeg"))
    return Resource(_unique_name(stem, suffix, taken), data, media_type, width, height)


def lossless_copy(path: Path, info) -> tuple[bytes, int, int, str]:
    """A reader's copy of a PNG or GIF, lossless: the file as it is when it fits the
    pixel limit and has no colour profile to convert; else a PNG, converted to sRGB and
    scaled down, its transparency kept. Returns (bytes, width, height, format)."""
    with Image.open(path, formats=tuple(LOSSLESS)) as original:
        profile = original.info.get("icc_profile")
        if info.width * info.height <= MAX_PIXELS and not profile:
            return path.read_bytes(), info.width, info.height, original.format
        original.seek(0)  # the first frame of an animation
        alpha = original.mode in ("RGBA", "LA", "PA") or "transparency" in original.info
        image = original.convert("RGBA" if alpha else "RGB")
    image = _to_srgb(image, profile)
    size = fit_pixels(*image.size)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue(), image.width, image.height, "PNG"


# ---------- fonts ----------

def find_font(style: str) -> Path:
    """The installed Charis SIL file of one style (Regular, Italic, Bold, BoldItalic)."""
    name = FONT_FILE.format(style)
    found = [path for path in font_files(BODY_FAMILY) if path.name == name]
    if not found:
        raise OctavoError(f"the font file {name} is not installed",
                          hint="install Charis SIL (Debian: apt-get install fonts-sil-charis)")
    return found[0]


def subset_fonts(text: str, memo=None) -> list[Resource]:
    """Charis SIL in four styles, each cut down to the characters in `text` (kept in
    `memo`, if given, by the characters and the font files)."""
    characters = "".join(sorted(set(text + ALWAYS_IN_FONTS) - {"\n", "\r", "\t"}))
    if memo is None:
        return _subset_fonts(characters)
    files = [(str(path), path.stat().st_size, path.stat().st_mtime_ns)
             for path in map(find_font, FONT_STYLES)]
    kept = memo.remember(memo.key("epub-fonts", characters, files), lambda: b"".join(
        struct.pack(">I", len(font.data)) + font.data for font in _subset_fonts(characters)))
    fonts, at = [], 0
    for style in FONT_STYLES:
        size = struct.unpack(">I", kept[at:at + 4])[0]
        fonts.append(Resource(f"fonts/{FONT_FILE.format(style)}", kept[at + 4:at + 4 + size],
                              "font/ttf"))
        at += 4 + size
    return fonts


def _subset_fonts(characters: str) -> list[Resource]:
    """HarfBuzz's subsetter (a hundred times faster than fontTools'): the glyphs of
    `characters` and those the kept OpenType features reach, every name record (the
    copyright and the licence travel with the font), no hinting."""
    import uharfbuzz as harfbuzz
    fonts = []
    for style in FONT_STYLES:
        face = harfbuzz.Face(harfbuzz.Blob(find_font(style).read_bytes()))
        wanted = harfbuzz.SubsetInput()
        for character in characters:
            wanted.unicode_set.add(ord(character))
        for feature in FONT_FEATURES:
            wanted.layout_feature_tag_set.add(int.from_bytes(feature.encode(), "big"))
        wanted.name_id_set.add_range(0, 255)  # the standard names (above: features')
        wanted.name_lang_id_set.add_range(0, 0xFFFF)
        for table in ("Silt", "Silf", "Glat", "Gloc", "Feat", "Sill", "DSIG"):
            wanted.drop_table_tag_set.add(int.from_bytes(table.encode(), "big"))
        wanted.flags = harfbuzz.SubsetFlags.NO_HINTING
        subset = harfbuzz.subset(face, wanted)
        if subset is None:
            raise OctavoError(f"the font file {FONT_FILE.format(style)} could not be subset",
                              hint="reinstall fonts-sil-charis")
        fonts.append(Resource(f"fonts/{FONT_FILE.format(style)}", bytes(subset.blob.data),
                              "font/ttf"))
    return fonts


BOOK_STYLES = "book"  # the book's own EPUB stylesheets and what they name, by their paths


def book_stylesheets(book) -> tuple[tuple[str, ...], list[Resource]]:
    """(hrefs, resources) of the book's stylesheets marked `epub = true`: each kept under
    book/ at its manuscript path, with the fonts and images it names, so that its relative
    url()s hold (all inside the manuscript: book_css checked them at load)."""
    hrefs, resources, taken = [], [], set()
    folder = Path(book.folder).resolve()
    for sheet in book.metadata.design.stylesheets:
        if not sheet.epub:
            continue
        hrefs.append(f"{BOOK_STYLES}/{sheet.file}")
        for path in stylesheet_files(folder, folder / sheet.file):
            name = f"{BOOK_STYLES}/{path.relative_to(folder).as_posix()}"
            if name not in taken:
                taken.add(name)
                resources.append(Resource(name, path.read_bytes(),
                                          MIME_TYPES[path.suffix.lower()]))
    return tuple(hrefs), resources


def stylesheet(styles: Path = STYLES) -> Resource:
    return Resource(f"styles/{STYLESHEET}", (Path(styles) / STYLESHEET).read_bytes(), "text/css")


def style_images(styles: Path = STYLES) -> list[Resource]:
    """The images the stylesheet draws (beside it, in styles/)."""
    return [Resource(f"styles/{name}", (Path(styles) / name).read_bytes(), "image/svg+xml")
            for name in STYLE_IMAGES]
