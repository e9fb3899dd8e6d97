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
