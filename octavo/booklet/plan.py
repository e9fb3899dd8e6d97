"""The booklet's plan: which page goes on which half of which sheet side. Pure arithmetic.

Takes the number of pages and the binding options; gives a `Plan`: the reading order
(padded with blanks to whole sheets), the binding chosen (one saddle-stitched stack, or
signatures), the sheets of each signature, and the (left, right) pages of every side.

Reading order
-------------
The n pages are padded to N = 4·ceil(n/4). Blank pages go just before the back cover
(the last page stays last), never in the middle of the text; with ``back_cover=False``
(or a one-page source, which has no back cover) they go at the end. Those are the only
blanks: whole sheets hold every signature, so no signature needs blanks of its own.

Binding
-------
``auto`` saddle-stitches up to ``max_saddle_pages`` pages (64 by default: 16 sheets,
what a hand fold and a long-reach stapler still manage) and prints anything longer in
signatures. A signature is a small booklet: ``signature_sheets`` sheets (4 = 16 pages by
default) folded together; the folded signatures are stacked and sewn or glued. The
N/4 sheets are split into k = ceil(sheets / signature_sheets) signatures whose sizes
differ by at most one sheet, the larger first, so no tiny section is left at the end:
412 pages = 103 sheets → 25 × 4 sheets + 1 × 3 sheets; 65 pages = 17 sheets → 4, 4, 3,
3, 3 (not 4, 4, 4, 4, 1).

Fold order
----------
Within a signature of P = 4s pages (its own positions 1..P, sheet i = 0 outermost):

    front = [P - 2i, 2i + 1]        back = [2i + 2, P - 2i - 1]

as (left, right) halves. The sheets of signature 1 come first in the PDF, then those of
signature 2, and so on, each signature from its outermost sheet in. A saddle-stitched
booklet is the one-signature case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .sheets import MM

BINDINGS = ("auto", "saddle", "signatures")
DEFAULT_MAX_SADDLE_PAGES = 64
DEFAULT_SIGNATURE_SHEETS = 4
SIGNATURE_SHEETS = range(3, 9)  # 3–8 sheets (12–32 pages) a signature


def padded_count(pages: int) -> int:
    return 4 * math.ceil(pages / 4)


def reading_order(pages: int, back_cover: bool = True) -> tuple[int | None, ...]:
    """Source pages in booklet reading order, padded with blanks (None) to a multiple of 4.

    Blanks go just before the back cover (the last page) when there is one, else at the end.
    """
    if pages < 1:
        raise ValueError("a booklet needs at least one page")
    blanks = (None,) * (padded_count(pages) - pages)
    body = tuple(range(1, pages + 1))
    if back_cover and pages >= 2:
        return body[:-1] + blanks + body[-1:]
    return body + blanks


def side_order(order: tuple[int | None, ...]) -> tuple[tuple[int | None, int | None], ...]:
    """(left, right) of each sheet side of one signature (or saddle-stitched booklet) in
    PDF order: sheet 0 front, sheet 0 back, sheet 1 front …"""
    n = len(order)
    assert n % 4 == 0
    sides = []
    for i in range(n // 4):
        # 1-based positions: front = [N-2i, 2i+1], back = [2i+2, N-2i-1]
        sides.append((order[n - 2 * i - 1], order[2 * i]))
        sides.append((order[2 * i + 1], order[n - 2 * i - 2]))
    return tuple(sides)


def choose_binding(pages: int, binding: str = "auto",
                   max_saddle_pages: int = DEFAULT_MAX_SADDLE_PAGES) -> str:
    """"saddle" or "signatures"."""
    if binding == "auto":
        return "saddle" if pages <= max_saddle_pages else "signatures"
    return binding


def split_sheets(sheets: int, per_signature: int) -> tuple[int, ...]:
    """Sheets of each signature: as few signatures as `per_signature` allows, their sizes
    differing by at most one sheet, the larger first."""
    count = max(1, math.ceil(sheets / per_signature))
    base, extra = divmod(sheets, count)
    return (base + 1,) * extra + (base,) * (count - extra)


@dataclass(frozen=True)
class Plan:
    binding: str  # "saddle" or "signatures"
    reading: tuple[int | None, ...]  # padded reading order: source page at each position
    signatures: tuple[int, ...]  # sheets of each signature (saddle: one, of every sheet)
    sides: tuple[tuple[int | None, int | None], ...]  # (left, right) of each side, PDF order

    @property
    def sheets(self) -> int:
        return sum(self.signatures)

    def starts(self) -> tuple[int, ...]:
        """The index (0-based) of each signature's outermost sheet."""
        firsts, at = [], 0
        for sheets in self.signatures:
            firsts.append(at)
            at += sheets
        return tuple(firsts)

    def where(self, sheet: int) -> tuple[int, int, int]:
        """(signature, sheet within it, sheets in it) of a sheet; 0-based."""
        for signature, (first, sheets) in enumerate(zip(self.starts(), self.signatures)):
            if first <= sheet < first + sheets:
                return signature, sheet - first, sheets
        raise IndexError(sheet)


def make_plan(pages: int, back_cover: bool = True, binding: str = "auto",
              max_saddle_pages: int = DEFAULT_MAX_SADDLE_PAGES,
              signature_sheets: int = DEFAULT_SIGNATURE_SHEETS) -> Plan:
    reading = reading_order(pages, back_cover)
    chosen = choose_binding(pages, binding, max_saddle_pages)
    total = len(reading) // 4
    signatures = (total,) if chosen == "saddle" else split_sheets(total, signature_sheets)
    sides, at = [], 0
    for sheets in signatures:
        sides.extend(side_order(reading[at:at + 4 * sheets]))
        at += 4 * sheets
    return Plan(chosen, reading, signatures, tuple(sides))


def creep_shifts(plan: Plan, creep: float | str, paper_thickness_mm: float) -> list[float]:
    """Each sheet's shift away from the spine, in pt (negative: toward it); `creep` and the
    paper thickness are in mm.

    A number is the shift of the innermost sheet of the largest signature (of the whole
    booklet when saddle-stitched), the outermost sheet staying put and the sheets between
    moving in equal steps; smaller signatures take the same step per sheet. "auto" pushes
    each sheet one paper thickness further toward the spine than the sheet around it,
    the usual rule for the leaves that a fold pushes out at the fore-edge.
    """
    largest = max(plan.signatures)
    shifts = []
    for sheets in plan.signatures:
        for i in range(sheets):
            if creep == "auto":
                shifts.append(-paper_thickness_mm * MM * i)
            else:  # the expression a saddle-stitched booklet always used (same bytes)
                creep_pt = creep * MM
                shifts.append(creep_pt * i / (largest - 1) if largest > 1 else 0.0)
    return shifts
