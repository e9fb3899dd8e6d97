"""The EPUB's fonts beyond Charis SIL: a subset of each font of the design's stack that
the book's text needs, and STIX Two Math for its MathML.

Readers' support for `unicode-range` varies (/work/proto/fonts/REPORT.md), so each
character is given to one font here, as Pango would choose it for the PDFs (the first
family of `fonts.FONT_STACK` that has it; Greek to Noto Serif, never to Charis SIL's
few Greek letters), and each font is cut down to its characters: a reader's per-character
fallback along `html { font-family }` (styles/epub.css) then finds each character in
the one font meant for it. Emoji are left to the reader's own emoji font.

Each embedded family has its @font-face rules in styles/epub-fonts/<file>.css; the
stylesheet the EPUB ships is epub.css followed by the rules of the families it holds.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..fonts import BODY_FAMILY, FALLBACK_FAMILY, FONT_STACK, GREEK_BLOCKS
from ..options import STYLES
from .media import Resource

MATH_FAMILY = "STIX Two Math"
FRAGMENTS = "epub-fonts"  # folder of styles/ holding each family's @font-face rules
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SCENE_BREAK = "\u2042"  # ⁂: epub.css draws it for <hr>
# Glyphs a MathML renderer draws that are not in the text: radicals, fences, big operators
# (their larger sizes come with them: the subset keeps the MATH table's variants).
MATH_GLYPHS = "\u221a\u221b\u221c()[]{}|\u2016\u27e8\u27e9\u2308\u2309\u230a\u230b" \
              "\u222b\u2211\u220f\u2212+=/\u2192\u2190\u0302\u0303\u0304\u02c6\u02dc\u00af"
# Emoji are left to the reader's colour emoji font, never embedded from Symbola.
EMOJI = re.compile("[\u200d\u20e3\ufe0f\U0001f000-\U0001faff\U000e0020-\U000e007f]")
STYLE_KEYS = {"regular": "Regular", "book": "Regular", "bold": "Bold", "italic": "Italic",
              "oblique": "Italic", "bold italic": "BoldItalic", "bold oblique": "BoldItalic"}
FONT_URL = re.compile(rb'url\(\s*["\']?\.\./(fonts/[^"\')]+)')


@dataclass(frozen=True)
class Face:
    path: Path
    index: int  # in a collection (.ttc)
    style: str  # Regular, Bold, Italic, BoldItalic


def _slug(family: str) -> str:
    return family.replace(" ", "")


@functools.lru_cache(maxsize=32)
def faces(family: str) -> tuple[Face, ...]:
    """The installed styles of a family (fontconfig), Regular first."""
    try:
        listing = subprocess.run(["fc-list", f":family={family}", "file", "index", "style"],
                                 capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    found: dict[str, Face] = {}
    for line in sorted(listing.splitlines()):
        path, _, rest = line.partition(":")
        fields = dict(part.split("=", 1) for part in rest.split(":") if "=" in part)
        style = STYLE_KEYS.get(fields.get("style", "Regular").split(",")[0].strip().lower())
        if style and style not in found and path.strip().endswith((".ttf", ".otf", ".ttc")):
            found[style] = Face(Path(path.strip()), int(fields.get("index", 0) or 0), style)
    if family == MATH_FAMILY and not found:
        import ziamath
        bundled = Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"
        found["Regular"] = Face(bundled, 0, "Regular")  # ziamath's own copy (OFL)
    order = ("Regular", "Bold", "Italic", "BoldItalic")
    return tuple(found[key] for key in order if key in found)


@functools.lru_cache(maxsize=32)
def _cmap(family: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont
    listed = faces(family)
    if not listed:
        return frozenset()
    font = TTFont(listed[0].path, fontNumber=listed[0].index, lazy=True)
    return frozenset(font.getBestCmap())


def _is_greek(code: int) -> bool:
    return any(low <= code <= high for low, high in GREEK_BLOCKS)


def assign(characters: set[str]) -> dict[str, set[str]]:
    """{family: its characters}, for the families of the stack after Charis SIL (whose
    subset `media.subset_fonts` makes from the rest of the text)."""
    families: dict[str, set[str]] = {}
    stack = [family for family in FONT_STACK[1:]]
    for char in characters:
        code = ord(char)
        if char.isspace() or code < 0x80 or EMOJI.match(char):
            continue
        if _is_greek(code) and code in _cmap(FALLBACK_FAMILY):
            families.setdefault(FALLBACK_FAMILY, set()).add(char)
            continue
        for family in stack:
            if code in _cmap(family):
                if family != BODY_FAMILY:
                    families.setdefault(family, set()).add(char)
                break
    return families


def texts(documents: list[bytes]) -> tuple[str, str]:
    """(text outside MathML, text inside it) of the EPUB's XHTML documents, with the
    alt texts and labels a reader may show."""
    outside, inside = [], []
    for data in documents:
        root = etree.fromstring(data)
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            in_math = element.tag.startswith(f"{{{MATHML_NS}}}")
            (inside if in_math else outside).append(element.text or "")
            parent = element.getparent()
            parent_math = parent is not None and parent.tag.startswith(f"{{{MATHML_NS}}}")
            (inside if parent_math else outside).append(element.tail or "")
            for key, value in element.attrib.items():
                if key in ("alt", "aria-label", "title"):
                    outside.append(value)
            if etree.QName(element).localname == "hr":
                outside.append(SCENE_BREAK)
    return "".join(outside), "".join(inside)


def face_file(family: str, face: Face) -> str:
    """The file name a face gets in the EPUB (styles/epub-fonts/*.css use these)."""
    return f"fonts/{_slug(family)}-{face.style}{'.otf' if _is_cff(face) else '.ttf'}"


@functools.lru_cache(maxsize=64)
def _is_cff(face: Face) -> bool:
    from fontTools.ttLib import TTFont
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    return "CFF " in font or "CFF2" in font


def _subset(face: Face, characters: str, keep_math: bool = False) -> tuple[bytes, str]:
    """(font bytes, media type) of `face` cut down to `characters`."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset"…
    options = subset.Options()
    options.name_IDs = ["*"]  # the copyright, licence and names stay
    options.name_languages = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables = [table for table in list(options.drop_tables) + ["DSIG"]
                           if not (keep_math and table == "MATH")]
    font = TTFont(face.path, fontNumber=face.index, recalcTimestamp=False, lazy=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    is_cff = "CFF " in font or "CFF2" in font
    return out.getvalue(), "font/otf" if is_cff else "font/ttf"


def script_fonts(outside: str, inside_math: str,
                 styles: Path = STYLES) -> tuple[list[Resource], list[bytes]]:
    """The fonts the text needs besides Charis SIL, and their @font-face rules."""
    resources, rules = [], []
    wanted = assign(set(outside))
    if inside_math.strip():
        wanted[MATH_FAMILY] = set(inside_math) | set(MATH_GLYPHS)
    for family in [*FONT_STACK[1:], MATH_FAMILY]:
        characters = "".join(sorted(wanted.get(family, ())))
        if not characters or family == BODY_FAMILY:
            continue
        fragment = Path(styles) / FRAGMENTS / f"{_slug(family)}.css"
        listed = faces(family)
        if not listed or not fragment.is_file():
            continue  # not installed, or no rules for it: the reader's own fonts serve
        made = []
        for face in listed:
            data, media_type = _subset(face, characters, keep_math=family == MATH_FAMILY)
            made.append(Resource(face_file(family, face), data, media_type))
        named = {url.decode() for url in FONT_URL.findall(fragment.read_bytes())}
        if not named <= {resource.name for resource in made}:
            continue  # the rules name a style this system lacks: leave the family out
        resources += [resource for resource in made if resource.name in named]
        rules.append(fragment.read_bytes())
    return resources, rules


def without_greek(text: str) -> str:
    """The characters Charis SIL is cut to (each once, in order): Greek goes to Noto
    Serif (see `assign`)."""
    return "".join(sorted(char for char in set(text) if not _is_greek(ord(char))))
