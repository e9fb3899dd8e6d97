"""The fonts the design uses, found through fontconfig, and what they cover."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

BODY_FAMILY = "Charis SIL"  # styles/base.css and styles/epub.css name the same family
FALLBACK_FAMILY = "Noto Serif"
# Code (styles/base.css): DejaVu Sans Mono (fonts-dejavu-core), and Noto Sans Mono
# (fonts-noto-mono) for the Cyrillic letters DejaVu lacks. Both cover Latin and Greek.
MONO_FAMILIES = ("DejaVu Sans Mono", "Noto Sans Mono")


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
