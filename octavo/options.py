"""What a build is asked to do. Light to import: the command line reads it (and the
cache answers "nothing changed") before WeasyPrint is even imported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STYLES = Path(__file__).resolve().parent.parent / "styles"  # Octavo's own design


@dataclass
class BuildOptions:
    manuscript: Path = Path("manuscript")
    out: Path = Path("dist")
    validate: bool = False  # also run the external validators (epubcheck, Ace)
    release: bool = False  # warnings fail the build too
    quiet: bool = False
    sheet: str = "a4"  # booklet paper: a4 or letter
    creep_mm: float = 0.0
    marks: str | None = None  # booklet marks: fold, crop or none
    styles: Path | None = None  # the styles folder (default: Octavo's styles/)
    cache: bool = True  # reuse outputs whose inputs did not change (runner/cache.py)
    checks: bool = True  # run the fast checks (off only for benchmarks and previews)

    @property
    def imposition(self) -> dict:
        """The booklet's options, as `impose_booklet` takes them."""
        return {"sheet": self.sheet, "creep_mm": self.creep_mm, "marks": self.marks}
