"""The e-book cover, drawn from the metadata when the manuscript brings none.

It follows the PDF cover (styles/base.css `.cover`): deep teal ground, a small-caps
kicker from the first subject, a white rule, the title in Charis SIL set flush left,
then subtitle, authors and publisher. The words come from `front_matter.cover`, so
the PDF cover, the EPUB cover and its alt text always say the same thing.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont, features

from ..manuscript import front_matter
from .media import find_font
from ..manuscript.book import Book

WIDTH, HEIGHT = 1600, 2560  # the size Kindle and Kobo recommend
PX_PER_MM = WIDTH / 148  # the PDF cover is A5: keep its proportions
GROUND = (0x1F, 0x4E, 0x5F)  # --accent
WHITE = (0xFF, 0xFF, 0xFF)
SOFT = (0xD9, 0xE4, 0xE6)  # --accent-soft
LEFT, RIGHT, TOP, BOTTOM = 17 * PX_PER_MM, 19 * PX_PER_MM, 38 * PX_PER_MM, 24 * PX_PER_MM
TITLE_SIZES = range(150, 70, -6)  # the largest that fits wins
RAQM = features.check("raqm")


def _font(style: str, size: float) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(find_font(style)), round(size), layout_engine=engine)


def _wrap(text: str, font, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _spaced_small_caps(draw, x: float, baseline: float, text: str, size: float,
                       fill, tracking: float) -> None:
    """Letter-spaced small capitals (real ones through OpenType `smcp` when available)."""
    font = _font("Regular", size)
    small = None if RAQM else _font("Regular", size * 0.78)
    for char in text:
        if RAQM:
            draw.text((x, baseline), char, font=font, fill=fill, anchor="ls",
                      features=["smcp"])
            x += font.getlength(char, features=["smcp"]) + tracking * size
        else:
            face = small if char.islower() else font
            draw.text((x, baseline), char.upper(), font=face, fill=fill, anchor="ls")
            x += face.getlength(char.upper()) + tracking * size


def _parts(book: Book) -> dict[str, str]:
    cover = front_matter.cover(book)
    return {p.get("class").removeprefix("cover-"): p.text_content().strip()
            for p in cover.iter("p")}


def cover_alt(book: Book) -> str:
    """The cover's alt text: what is written on it."""
    parts = _parts(book)
    words = [parts.get(key) for key in ("title", "subtitle", "byline", "kicker", "publisher")]
    return "Cover: " + ". ".join(word.rstrip(".") for word in words if word) + "."


def _title_layout(title: str, room: float):
    width = WIDTH - LEFT - RIGHT
    for size in TITLE_SIZES:
        font = _font("Regular", size)
        lines = _wrap(title, font, width)
        widest = max(font.getlength(line) for line in lines)
        if widest <= width and len(lines) * size * 1.2 <= room:
            return font, size, lines
    return font, size, lines  # the smallest size: a very long title may run long


def cover_inputs(book: Book) -> tuple:
    """What `generate_cover` draws from: the words and the font file (a memo's key)."""
    return sorted(_parts(book).items()), str(find_font("Regular")), RAQM


def generate_cover(book: Book) -> bytes:
    """A 1600 × 2560 JPEG cover made from the metadata."""
    parts = _parts(book)
    image = Image.new("RGB", (WIDTH, HEIGHT), GROUND)
    draw = ImageDraw.Draw(image)
    y = TOP
    if parts.get("kicker"):
        _spaced_small_caps(draw, LEFT, y + 44, parts["kicker"], 50, SOFT, 0.12)
        y += 44 + 10 * PX_PER_MM
    draw.rectangle([LEFT, y, WIDTH - RIGHT, y + 6], fill=WHITE)  # the 1.2 pt rule
    y += 6 + 6 * PX_PER_MM
    room = HEIGHT - BOTTOM - y - 600  # keep space for subtitle, byline and publisher
    font, size, lines = _title_layout(parts["title"], room)
    for line in lines:
        y += size * 1.2
        draw.text((LEFT, y - size * 0.28), line, font=font, fill=WHITE, anchor="ls")
    if parts.get("subtitle"):
        sub = _font("Regular", size * 0.55)  # as .cover-subtitle in base.css
        y += 6 * PX_PER_MM
        for line in _wrap(parts["subtitle"], sub, WIDTH - LEFT - RIGHT):
            y += size * 0.55 * 1.3
            draw.text((LEFT, y), line, font=sub, fill=WHITE, anchor="ls")
    for key in ("byline", "publisher"):
        if parts.get(key):
            y += 10 * PX_PER_MM + 50
            _spaced_small_caps(draw, LEFT, y, parts[key], 54, WHITE if key == "byline"
                               else SOFT, 0.1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, optimize=True, subsampling=0)
    return out.getvalue()
