"""The paper a booklet is printed on: which sheet suits a trim, two pages to a side.

Takes the trim of the pages (from the print PDF's TrimBox) and the sheet asked for
(``auto`` or a name); gives the `Sheet` and the scale the pages print at, or an
OctavoError that says why no booklet can be made.

``auto`` chooses the smallest sheet that holds two pages side by side at 100 %,
preferring the trim's own family: a trim in whole eighths of an inch (5.5 × 8.5 in,
6 × 9 in, US Letter) goes on US paper, any other (A5, B5, royal, demy …) on ISO paper.
So A5 goes on A4, 5.5 × 8.5 in on US Letter, 6 × 9 in on tabloid/ledger, A4 on A3. A
trim too large for every sheet gets no booklet. A sheet named on the command line is
used even if the pages must shrink to fit, down to MIN_SCALE (A5 on US Letter prints
at 94 %); below that it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

MM = 72 / 25.4
INCH = 72.0
MIN_SCALE = 0.85  # smaller type than this is no book anyone wants to read
FIT = 1 - 1e-5  # a page that overflows by rounding only (A5 on A4) fits


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str  # as the instructions say it
    size: tuple[float, float]  # pt, landscape
    family: str  # "iso" or "us"


SHEETS: dict[str, Sheet] = {sheet.key: sheet for sheet in (
    Sheet("a4", "A4 (297 × 210 mm)", (297 * MM, 210 * MM), "iso"),  # 841.89 × 595.28 pt
    Sheet("letter", "US Letter (11 × 8.5 in)", (792.0, 612.0), "us"),
    Sheet("a3", "A3 (420 × 297 mm)", (420 * MM, 297 * MM), "iso"),
    Sheet("tabloid", "tabloid/ledger (17 × 11 in)", (17 * INCH, 11 * INCH), "us"),
    Sheet("12x18in", "12 × 18 in", (18 * INCH, 12 * INCH), "us"),
)}
ALIASES = {"ledger": "tabloid", "us-letter": "letter", "11x17in": "tabloid",
           "18x12in": "12x18in"}
SHEET_CHOICES = ("auto", *SHEETS, *ALIASES)


def sheet_key(name: str) -> str:
    """The sheet's key for a name the user typed (``auto`` stays ``auto``)."""
    key = str(name).lower()
    key = ALIASES.get(key, key)
    if key != "auto" and key not in SHEETS:
        raise UsageError(f"unknown booklet sheet {name!r}",
                         hint="use auto, " + ", ".join(SHEETS) + " or ledger")
    return key


def fit(sheet: Sheet, trim: tuple[float, float]) -> float:
    """The scale at which two pages of `trim` (pt) fill at most one side of `sheet`."""
    width, height = sheet.size
    return min(width / 2 / trim[0], height / trim[1])


def family(trim: tuple[float, float]) -> str:
    """"us" for a trim in whole eighths of an inch, else "iso"."""
    return "us" if all(abs(side / 9 - round(side / 9)) < 0.01 for side in trim) else "iso"


def describe(trim: tuple[float, float]) -> str:
    """A trim as people name it: 148 × 210 mm, 6 × 9 in."""
    if family(trim) == "us":
        return f"{trim[0] / INCH:g} × {trim[1] / INCH:g} in"
    return f"{trim[0] / MM:.0f} × {trim[1] / MM:.0f} mm"


def choose_sheet(trim: tuple[float, float], requested: str = "auto") -> Sheet:
    """The sheet to print pages of `trim` (width, height in pt) on; an OctavoError (a
    UsageError: the command line or the design asks for what cannot be printed) when
    none will do."""
    key = sheet_key(requested)
    if key != "auto":
        sheet = SHEETS[key]
        if fit(sheet, trim) < MIN_SCALE:
            raise UsageError(
                f"the {describe(trim)} pages do not fit two to a side of {sheet.name}: "
                f"they would print at {round(fit(sheet, trim) * 100)} %", code="PRN-010",
                hint="use --sheet auto (the smallest sheet that holds them at 100 %), or "
                     "a larger sheet: " + ", ".join(other.key for other in SHEETS.values()
                                                    if fit(other, trim) >= FIT) or "none fits")
        return sheet
    fitting = [sheet for sheet in SHEETS.values() if fit(sheet, trim) >= FIT]
    if not fitting:
        largest = max(SHEETS.values(), key=lambda sheet: fit(sheet, trim))
        shrink = fit(largest, trim)
        raise UsageError(
            f"no booklet: the {describe(trim)} pages fit two to a side of no sheet an "
            "office or copy-shop printer takes (A4, A3, US Letter, tabloid, 12 × 18 in)",
            code="PRN-010",
            hint=(f"--sheet {largest.key} prints them at {round(shrink * 100)} %"
                  if shrink >= MIN_SCALE else
                  "the booklet needs a trim of at most 9 × 12 in, or 228 × 305 mm")
            + "; the other outputs are made as usual")
    own = family(trim)
    return min(fitting, key=lambda sheet: (sheet.family != own, sheet.size[0] * sheet.size[1]))
