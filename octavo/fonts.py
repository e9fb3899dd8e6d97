"""The fonts the design uses, found through fontconfig, and what they cover."""

from __future__ import annotations

import difflib
import functools
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

BODY_FAMILY = "Charis SIL"  # the default body font (a book's [design] `font` may change it)
CODE_FAMILY = "DejaVu Sans Mono"  # the default code font ([design] `code_font`)
FALLBACK_FAMILY = "Noto Serif"
# Code (styles/base.css): DejaVu Sans Mono (fonts-dejavu-core), and Noto Sans Mono
# (fonts-noto-mono) for the Cyrillic letters DejaVu lacks. Both cover Latin and Greek.
MONO_FAMILIES = ("DejaVu Sans Mono", "Noto Sans Mono")

# Debian packages of common families: a missing family is reported with the package that
# installs it (`apt-cache search --names-only '^fonts-'` lists more).
DEBIAN_PACKAGES = {
    "Charis SIL": "fonts-sil-charis", "Gentium Plus": "fonts-sil-gentiumplus",
    "Gentium Book Plus": "fonts-sil-gentiumplus", "Andika": "fonts-sil-andika",
    "EB Garamond": "fonts-ebgaramond", "Linux Libertine O": "fonts-linuxlibertine",
    "Linux Biolinum O": "fonts-linuxlibertine", "Vollkorn": "fonts-vollkorn",
    "Junicode": "fonts-junicode", "TeX Gyre Pagella": "fonts-texgyre",
    "TeX Gyre Termes": "fonts-texgyre", "TeX Gyre Schola": "fonts-texgyre",
    "TeX Gyre Heros": "fonts-texgyre", "STIX Two Text": "fonts-stix", "STIX": "fonts-stix",
    "Noto Serif": "fonts-noto-core", "Noto Sans": "fonts-noto-core",
    "Noto Sans Mono": "fonts-noto-mono", "Noto Serif Display": "fonts-noto-extra",
    "Noto Sans CJK SC": "fonts-noto-cjk", "Noto Serif CJK SC": "fonts-noto-cjk",
    "DejaVu Serif": "fonts-dejavu-core", "DejaVu Sans": "fonts-dejavu-core",
    "DejaVu Sans Mono": "fonts-dejavu-core", "Liberation Serif": "fonts-liberation2",
    "Liberation Sans": "fonts-liberation2", "Liberation Mono": "fonts-liberation2",
    "Inter": "fonts-inter", "Lato": "fonts-lato", "Open Sans": "fonts-open-sans",
    "Roboto": "fonts-roboto", "Roboto Slab": "fonts-roboto-slab", "Cantarell": "fonts-cantarell",
    "JetBrains Mono": "fonts-jetbrains-mono", "Inconsolata": "fonts-inconsolata",
    "Fira Code": "fonts-firacode", "Hack": "fonts-hack", "Courier Prime": "fonts-courier-prime",
}


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


@functools.lru_cache(maxsize=1)
def installed_families() -> tuple[str, ...]:
    """Every family name fontconfig knows (each of a font's names)."""
    try:
        listing = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                                 timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    names = {name.strip() for line in listing.splitlines() for name in line.split(",")}
    return tuple(sorted(name for name in names if name))


def install_hint(family: str) -> str:
    """How to get a family that is not installed: its Debian package, or a near name."""
    package = DEBIAN_PACKAGES.get(family) or next(
        (p for name, p in DEBIAN_PACKAGES.items() if name.casefold() == family.casefold()), None)
    if package:
        return f"install it: apt-get install {package}"
    near = difflib.get_close_matches(family, installed_families(), n=1, cutoff=0.6)
    if near:
        return f"did you mean {near[0]!r}? (`fc-list : family` lists the installed families)"
    return ("install its font files (e.g. in ~/.local/share/fonts), or choose an installed "
            "family: `fc-list : family` lists them")


# ---------- every script: the font stack (issue 14) ----------
# styles/scripts.css names the same families in the same order (a test compares them).
# After Charis SIL: one font per script, symbol fonts, broad catch-alls last (DejaVu Sans
# has Arabic too, so the script fonts must come first). "Noto Color Emoji" is never
# named: Pango sends emoji to it by itself (fontconfig's und-zsye rule); named, it also
# takes digits, © and spaces (/work/proto/fonts/REPORT.md, section 2).
GREEK_FAMILY = "Octavo Greek"  # Noto Serif's Greek, claimed ahead of Charis's few letters
FONT_STACK = (GREEK_FAMILY, BODY_FAMILY, FALLBACK_FAMILY, "Noto Naskh Arabic",
              "Noto Serif Hebrew", "Noto Serif Devanagari", "Noto Sans Math",
              "Noto Sans Symbols2", "Noto Sans Symbols", "Noto Music", "Noto Serif CJK SC",
              "DejaVu Sans", "Symbola")
EMOJI_FAMILY = "Noto Color Emoji"
# Families a PDF may draw text in without PDF-003 (each is chosen, not a fallback):
# the stack, the CJK faces the `:lang()` rules pick, the emoji font.
DESIGN_FAMILIES = FONT_STACK + ("Noto Serif CJK JP", "Noto Serif CJK KR", "Noto Serif CJK TC",
                                "Noto Serif CJK HK", EMOJI_FAMILY,
                                # code (issue 13 names them in the styles)
                                "DejaVu Sans Mono", "Noto Sans Mono")
SCRIPT_FONTS = FONT_STACK[2:]  # after the design's own font (styles/design.css)
GREEK_BLOCKS = ((0x0370, 0x03FF), (0x1F00, 0x1FFF))
GREEK_LETTERS = range(0x03B1, 0x03CA)  # α…ω: a font without all of them mixes typefaces
GREEK_FACES = (("normal", "normal", "NotoSerif-Regular"), ("normal", "bold", "NotoSerif-Bold"),
               ("italic", "normal", "NotoSerif-Italic"),
               ("italic", "bold", "NotoSerif-BoldItalic"))


@functools.lru_cache(maxsize=16)
def partial_greek(family: str) -> bool:
    """Whether the family has some Greek letters but not all (Charis SIL has the 23 that
    IPA and mathematics use): its Greek words would be set in two typefaces, so Octavo
    Greek (Noto Serif's) takes every Greek letter ahead of it."""
    covered = family_coverage(family)
    return not all(code in covered for code in GREEK_LETTERS)


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


def _charsets(*pattern: str, every: bool = False) -> frozenset[int]:
    """The code points some font `fc-list` finds for `pattern` draws (`every`: that every
    one of them draws). Fontconfig keeps the charsets in its cache: one quick call."""
    try:
        listing = subprocess.run(["fc-list", "--format", "%{charset}\n", *pattern],
                                 capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    fonts: list[set[int]] = []
    for line in listing.splitlines() if every else [listing]:
        covered: set[int] = set()
        for part in line.split():
            low, _, high = part.partition("-")
            try:
                covered.update(range(int(low, 16), int(high or low, 16) + 1))
            except ValueError:
                continue
        fonts.append(covered)
    return frozenset(set.intersection(*fonts)) if fonts else frozenset()


@functools.lru_cache(maxsize=1)
def installed_coverage() -> frozenset[int]:
    """Every code point some installed font draws: where Pango, falling back through
    fontconfig, finds a glyph."""
    return _charsets()


@functools.lru_cache(maxsize=16)
def family_coverage(family: str) -> frozenset[int]:
    """The code points every style of `family` draws, as fontconfig knows them (what
    `covered_characters` reads from the fonts' cmaps, in a hundredth of the time)."""
    return _charsets(f":family={family}", every=True)


class InstalledCoverage:
    """`code in InstalledCoverage()`: does some installed font draw `code`? Asked of the
    body font first (a small charset, read in a few milliseconds), of every installed
    font (`installed_coverage`, about 0.2 s to read) only for a code point it lacks: a
    book in the Latin script never pays for the rest. False when fontconfig answers
    nothing at all (then no character can be said to be missing)."""

    def __init__(self, first: str = BODY_FAMILY):
        self.first = first

    def __contains__(self, code: int) -> bool:
        return code in family_coverage(self.first) or code in installed_coverage()

    def __bool__(self) -> bool:
        return bool(family_coverage(self.first)) or bool(installed_coverage())


FONTCONFIG_CACHES = (Path("/var/cache/fontconfig"), Path.home() / ".cache" / "fontconfig")


def fonts_stamp() -> str:
    """What changes when fonts are installed or removed: fontconfig's cache files (their
    names, sizes and times; `fc-cache` rewrites them, as Debian's font packages do).
    Cheap: results kept between builds that depend on the installed fonts are keyed by it."""
    seen = []
    for folder in FONTCONFIG_CACHES:
        try:
            for entry in sorted(folder.iterdir()):
                stat = entry.stat()
                seen.append(f"{entry}:{stat.st_size}:{stat.st_mtime_ns}")
        except OSError:
            continue
    return "\n".join(seen)
