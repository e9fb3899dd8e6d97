"""The crop marks Octavo draws around a print page, as PDF operators: `paged.finish`
draws them, and the readers recognise them (`walk.same_pages` leaves them out when it
compares the print PDF's pages with the screen PDF's)."""

from __future__ import annotations

MARK_WIDTH_PT = 0.75  # WeasyPrint's own marks: 1 CSS px
MARK_COLOUR = b"0 0 0 1 K"  # DeviceCMYK black, as PDF/X with a CMYK output intent allows


def crop_mark_operators(media: list[float], trim: list[float]) -> bytes:
    """WeasyPrint's crop marks: at each corner, two strokes in the outer half of the bleed,
    in line with the trim's edges (an artifact, so the tagged structure ignores them)."""
    mx0, my0, mx1, my1 = media
    tx0, ty0, tx1, ty1 = trim
    left, right = (tx0 - mx0) / 2, (mx1 - tx1) / 2
    bottom, top = (ty0 - my0) / 2, (my1 - ty1) / 2
    strokes = [(mx0, ty1, mx0 + left, ty1), (mx1 - right, ty1, mx1, ty1),
               (mx0, ty0, mx0 + left, ty0), (mx1 - right, ty0, mx1, ty0),
               (tx0, my1, tx0, my1 - top), (tx1, my1, tx1, my1 - top),
               (tx0, my0, tx0, my0 + bottom), (tx1, my0, tx1, my0 + bottom)]
    path = " ".join(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l" for x0, y0, x1, y1 in strokes)
    return (b"/Artifact BMC q %.2f w " % MARK_WIDTH_PT + MARK_COLOUR + b" "
            + path.encode("ascii") + b" S Q EMC\n")
