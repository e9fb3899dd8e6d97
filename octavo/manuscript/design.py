"""A book's own design: the `[design]` table of metadata.toml, read into a `Design`.

Takes the table as TOML gives it (the keys are already known: metadata.py holds the
list) and gives checked, typed values: the trim in millimetres, the bleed, the font
families (each installed: a missing one is reported with its Debian package), the
type size and leading, justification, hyphenation, and the book's own stylesheets.
The values reach the paged design through styles/design.css (see paged/stylesheets.py);
no CSS rule is written here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..fonts import BODY_FAMILY, CODE_FAMILY, installed_families, install_hint

# Named trims, width × height in millimetres.
TRIMS = {
    "a5": (148.0, 210.0), "a4": (210.0, 297.0), "b5": (176.0, 250.0),
    "royal": (156.0, 234.0), "demy": (138.0, 216.0),
    "5.5x8.5in": (139.7, 215.9), "6x9in": (152.4, 228.6), "us-letter": (215.9, 279.4),
}
TRIM_ALIASES = {"letter": "us-letter", "digest": "5.5x8.5in", "us-trade": "6x9in"}
A5 = TRIMS["a5"]  # the reference: base.css sizes are A5's, scaled to the trim
MM_PER = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in)\s*$", re.I)
LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$", re.I)
FAMILY = re.compile(r"^[\w][\w .'&+-]{0,63}$")  # safe to quote in CSS
TRIM_RANGE_MM = (50.0, 600.0)
BLEED_RANGE_MM = (0.0, 10.0)
BASE_SIZE_RANGE_PT = (6.0, 24.0)
A5_BASE_SIZE_PT, A5_LEADING = 10.5, 14 / 10.5  # base.css on A5: 10.5 pt on 14 pt


@dataclass(frozen=True)
class Stylesheet:
    """One of the book's stylesheets: a file inside the manuscript folder, and the
    editions it styles."""
    file: str
    pdf: bool = True
    epub: bool = False


@dataclass(frozen=True)
class Design:
    trim: str = "a5"
    width_mm: float = A5[0]
    height_mm: float = A5[1]
    bleed_mm: float = 3.0
    font: str = BODY_FAMILY
    code_font: str = CODE_FAMILY
    heading_font: str | None = None  # None: the body font
    base_size_pt: float | None = None  # None: grows with the trim (see `size_pt`)
    line_height_pt: float | None = None  # None: the base size × 4/3, as on A5
    justify: bool = True
    hyphenate: bool = True
    stylesheets: tuple[Stylesheet, ...] = ()

    @property
    def scale(self) -> tuple[float, float]:
        """The trim over A5, across and down: base.css's A5 margins are multiplied by it."""
        return self.width_mm / A5[0], self.height_mm / A5[1]

    @property
    def size_pt(self) -> float:
        """The body size: as set, else A5's 10.5 pt times the square root of the width
        ratio, to a quarter point (12.5 pt on A4), so the measure stays readable."""
        if self.base_size_pt is not None:
            return self.base_size_pt
        return round(A5_BASE_SIZE_PT * math.sqrt(self.scale[0]) * 4) / 4

    @property
    def leading_pt(self) -> float:
        return self.line_height_pt if self.line_height_pt is not None \
            else self.size_pt * A5_LEADING

    @property
    def families(self) -> tuple[str, ...]:
        """The families the design sets text in: body, headings, code."""
        return tuple(dict.fromkeys((self.font, self.heading_font or self.font, self.code_font)))

    @property
    def trim_pt(self) -> tuple[float, float]:
        return self.width_mm * 72 / 25.4, self.height_mm * 72 / 25.4

    @property
    def bleed_pt(self) -> float:
        return self.bleed_mm * 72 / 25.4


def parse_trim(value: str) -> tuple[str, float, float] | None:
    """(name, width mm, height mm) of a named trim or a `WxH` size in mm, cm or in."""
    name = TRIM_ALIASES.get(value.strip().lower(), value.strip().lower())
    if name in TRIMS:
        return (name, *TRIMS[name])
    found = SIZE.match(value)
    if not found:
        return None
    unit = MM_PER[found.group(3).lower()]
    return value.strip(), float(found.group(1)) * unit, float(found.group(2)) * unit


def parse_length_mm(value) -> float | None:
    found = LENGTH.match(value) if isinstance(value, str) else None
    return float(found.group(1)) * MM_PER[found.group(2).lower()] if found else None


def parse_design(table: dict, fail: Callable[..., None], folder: Path) -> Design:
    """The `[design]` table, checked. `fail(key, message, hint)` raises an OctavoError at
    the key's line; every key of `table` is a known one (metadata.py checked them)."""
    values: dict = {}

    def text(key: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            fail(key, f"`{key}` must be a string", f'write `{key} = "..."`')
        return value.strip()

    if "trim" in table:
        trim = parse_trim(text("trim"))
        if trim is None:
            fail("trim", f"trim {table['trim']!r} is not a known size",
                 "use a5, a4, b5, royal, demy, 5.5x8.5in, 6x9in, us-letter, or WxH in mm, "
                 "cm or in (e.g. \"150x230mm\")")
        low, high = TRIM_RANGE_MM
        if not all(low <= side <= high for side in trim[1:]):
            fail("trim", f"trim {table['trim']!r} is {trim[1]:g} × {trim[2]:g} mm; each side "
                 f"must be {low:g} to {high:g} mm")
        values.update(trim=trim[0], width_mm=trim[1], height_mm=trim[2])
    if "bleed" in table:
        bleed = parse_length_mm(table["bleed"])
        if bleed is None or not BLEED_RANGE_MM[0] <= bleed <= BLEED_RANGE_MM[1]:
            fail("bleed", f"bleed {table['bleed']!r} is not a length from 0 to 10 mm",
                 'write e.g. `bleed = "3mm"` or `bleed = "0.125in"`')
        values["bleed_mm"] = bleed
    for key in ("font", "code_font", "heading_font"):
        if key in table:
            values[key] = _family(text(key), key, fail)
    if "base_size" in table:
        size = table["base_size"]
        points = float(size) if isinstance(size, (int, float)) and not isinstance(size, bool) \
            else (parse_length_mm(size) or 0) * 72 / 25.4 if isinstance(size, str) else 0
        low, high = BASE_SIZE_RANGE_PT
        if not low <= points <= high:
            fail("base_size", f"base_size {size!r} is not a type size from {low:g} to "
                 f"{high:g} pt", 'write e.g. `base_size = "10.5pt"`')
        values["base_size_pt"] = round(points, 3)
    if "line_height" in table:
        values["line_height_pt"] = _leading(table["line_height"], values, fail)
    for key in ("justify", "hyphenate"):
        if key in table:
            if not isinstance(table[key], bool):
                fail(key, f"`{key}` must be true or false")
            values[key] = table[key]
    if "stylesheets" in table:
        values["stylesheets"] = _stylesheets(table["stylesheets"], fail, folder)
    return Design(**values)


def _family(name: str, key: str, fail: Callable[..., None]) -> str:
    if not FAMILY.match(name):
        fail(key, f"{name!r} is not a font family name", "write the family as "
             "`fc-list : family` shows it, e.g. \"Charis SIL\"")
    if name not in installed_families():
        fail(key, f"the font family {name!r} is not installed", install_hint(name))
    return name


def _leading(value, values: dict, fail: Callable[..., None]) -> float:
    """`line_height`: a length (`"14pt"`), or a number times the base size (`1.35`)."""
    size = Design(**values).size_pt
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        points = size * float(value)
    else:
        points = (parse_length_mm(value) or 0) * 72 / 25.4 if isinstance(value, str) else 0
    if not size <= points <= size * 2.5:
        fail("line_height", f"line_height {value!r} is not from 1 to 2.5 times the type "
             f"size ({size:g} pt)", 'write e.g. `line_height = "14pt"` or `line_height = 1.35`')
    return round(points, 3)


def _stylesheets(value, fail: Callable[..., None], folder: Path) -> tuple[Stylesheet, ...]:
    """`["book.css"]`, or tables `{ file = "book.css", epub = true }` (`pdf = false` for an
    EPUB-only one). Each must be a .css file inside the manuscript folder."""
    if not isinstance(value, list):
        fail("stylesheets", "`stylesheets` must be a list", 'write `stylesheets = ["book.css"]`')
    sheets = []
    for entry in value:
        if isinstance(entry, str):
            sheet = Stylesheet(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("file"), str) and all(
                isinstance(entry.get(key, True), bool) for key in ("pdf", "epub")):
            sheet = Stylesheet(entry["file"], entry.get("pdf", True), entry.get("epub", False))
        else:
            fail("stylesheets", f"stylesheet entry {entry!r} is not a file name or a "
                 "`{ file = \"...\", epub = true }` table")
        name = sheet.file
        inside = not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]", name) and "\x00" not in name \
            and (folder / name).resolve().is_relative_to(folder.resolve())
        if not inside:
            fail("stylesheets", f"stylesheet {name!r} is not a file inside the manuscript "
                 "folder", "put the .css file in the manuscript folder and name it relatively")
        if not name.lower().endswith(".css") or not (folder / name).is_file():
            fail("stylesheets", f"stylesheet {name!r} is not a .css file of the manuscript",
                 "check the file name")
        sheets.append(sheet)
    return tuple(sheets)

