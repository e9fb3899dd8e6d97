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
    sheet: str = "auto"  # booklet paper: auto (from the trim), a4, letter, a3, tabloid …
    creep_mm: float | str = 0.0  # or "auto": worked out from the paper's thickness
    marks: str | None = None  # booklet marks: fold, crop or none
    binding: str = "auto"  # booklet binding: saddle, signatures, or auto (by page count)
    max_saddle_pages: int = 64  # auto: saddle-stitched up to this many pages
    signature_sheets: int = 4  # sheets folded together into one signature (3–8)
    paper_thickness_mm: float = 0.1  # for --creep alone
    styles: Path | None = None  # the styles folder (default: Octavo's styles/)
    cache: bool = True  # reuse outputs whose inputs did not change (runner/cache.py)
    checks: bool = True  # run the fast checks (off only for benchmarks and previews)

    @property
    def imposition(self) -> dict:
        """The booklet's options, as `impose_booklet` takes them."""
        return {"sheet": self.sheet, "creep_mm": self.creep_mm, "marks": self.marks,
                "binding": self.binding, "max_saddle_pages": self.max_saddle_pages,
                "signature_sheets": self.signature_sheets,
                "paper_thickness_mm": self.paper_thickness_mm}
