"""The fonts the design uses, found through fontconfig, and what they cover."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

BODY_FAMILY = "Charis SIL"  # styles/base.css and styles/epub.css name the same family
FALLBACK_FAMILY = "Noto Serif"


@functools.lru_cache(maxsize=8)
def font_files(family: str) -> tuple[Path, ...]:
    """The installed files of a family, regular first."""
    try:
        listing = subprocess.run(["fc-list", f":family={family}", "file", "style"],
                                 capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    files = []
    for line in sorted(listing.splitlines()):
        path = line.split(":")[0].strip()
        if path.endswith((".ttf", ".otf")):
            files.append(Path(path))
    files.sort(key=lambda p: (0 if "Regular" in p.name else 1, p.name))
    return tuple(files)


@functools.lru_cache(maxsize=16)
def covered_characters(family: str) -> frozenset[int]:
    """Code points every style of the family draws."""
    sets = [set(TTFont(path, lazy=True).getBestCmap()) for path in font_files(family)]
    return frozenset(set.intersection(*sets)) if sets else frozenset()


# ---------- every script: the font stack (issue 14) ----------
# styles/scripts.css names the same families in the same order (a test compares them).
# After Charis SIL: one font per script, symbol fonts, broad catch-alls last (DejaVu Sans
# has Arabic too, so the script fonts must come first). "Noto Color Emoji" is never
# named: Pango sends emoji to it by itself (fontconfig's und-zsye rule); named, it also
# takes digits, © and spaces (/work/proto/fonts/REPORT.md, section 2).
GREEK_FAMILY = "Octavo Greek"  # Noto Serif's Greek, claimed ahead of Charis's few letters
FONT_STACK = (GREEK_FAMILY, BODY_FAMILY, FALLBACK_FAMILY, "Noto Naskh Arabic",
              "Noto Serif Hebrew", "Noto Serif Devanagari", "Noto Sans Math",
              "Noto Sans Symbols2", "Noto Sans Symbols", "Noto Serif CJK SC", "DejaVu Sans",
              "Symbola")
EMOJI_FAMILY = "Noto Color Emoji"
# Families a PDF may draw text in without PDF-003 (each is chosen, not a fallback):
# the stack, the CJK faces the `:lang()` rules pick, the emoji font.
DESIGN_FAMILIES = FONT_STACK + ("Noto Serif CJK JP", "Noto Serif CJK KR", "Noto Serif CJK TC",
                                "Noto Serif CJK HK", EMOJI_FAMILY,
                                # code (issue 13 names them in the styles)
                                "DejaVu Sans Mono", "Noto Sans Mono")
GREEK_BLOCKS = ((0x0370, 0x03FF), (0x1F00, 0x1FFF))
GREEK_FACES = (("normal", "normal", "NotoSerif-Regular"), ("normal", "bold", "NotoSerif-Bold"),
               ("italic", "normal", "NotoSerif-Italic"),
               ("italic", "bold", "NotoSerif-BoldItalic"))


def pdf_font_names() -> tuple[str, ...]:
    """The design's families as a PDF's BaseFont names begin (no spaces, no hyphens)."""
    return tuple(family.replace(" ", "").replace("-", "").lower() for family in DESIGN_FAMILIES)


@functools.lru_cache(maxsize=16)
def font_file_named(postscript_name: str) -> Path | None:
    """The installed file of a font by its PostScript name (`local()` in CSS)."""
    try:
        listing = subprocess.run(["fc-list", f":postscriptname={postscript_name}", "file"],
                                 capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    files = sorted(line.split(":")[0].strip() for line in listing.splitlines() if line.strip())
    return Path(files[0]) if files else None


def unicode_ranges(path: Path, blocks) -> str:
    """A `unicode-range` value: the code points of `blocks` the font maps, as runs."""
    cmap = TTFont(path, lazy=True).getBestCmap()
    points = sorted(c for low, high in blocks for c in range(low, high + 1) if c in cmap)
    runs: list[list[int]] = []
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in runs)


@functools.lru_cache(maxsize=1)
def installed_coverage() -> frozenset[int]:
    """Every code point some installed font draws: where Pango, falling back through
    fontconfig, finds a glyph (one `fc-list` call: fontconfig caches the charsets)."""
    try:
        listing = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True,
                                 text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    covered: set[int] = set()
    for part in listing.split():
        low, _, high = part.partition("-")
        try:
            covered.update(range(int(low, 16), int(high or low, 16) + 1))
        except ValueError:
            continue
    return frozenset(covered)
