"""What an imposition did (`BookletInfo`), apart from impose.py: a build's summary
carries it to the command line's process, which then unpickles it without importing
pikepdf."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BookletInfo:
    """What the imposition did. Page numbers are the source's, 1-based; None is a blank."""

    pages_in: int
    pages_padded: int  # N, a multiple of 4
    blanks: int
    blank_positions: tuple[int, ...]  # 1-based positions of the blanks in reading order
    sheets: int
    sides: int  # PDF pages of the booklet: 2 per sheet
    sheet: str  # a key of sheets.SHEETS: "a4", "letter", "tabloid" …
    sheet_size: tuple[float, float]  # pt, landscape
    scale: float  # applied to every page
    creep_mm: float  # the innermost sheet's shift (of the largest signature); + outward
    marks: str | None
    order: tuple[tuple[int | None, int | None], ...]  # (left, right) of each side, in PDF order
    reading: tuple[int | None, ...]  # padded reading order: source page at each position
    binding: str = "saddle"  # or "signatures"
    signatures: tuple[int, ...] = ()  # sheets of each signature (saddle: one, of them all)
    trim: tuple[float, float] = (0.0, 0.0)  # pt: the largest page, as placed at 100 %
    creep_auto: bool = False  # creep from the paper thickness (``--creep`` alone)
    paper_thickness_mm: float = 0.1
    label: str = ""  # the title in the signature labels ("" when saddle-stitched)
