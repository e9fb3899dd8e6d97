"""Finishing the one tagged PDF into the two editions, and a faster WeasyPrint write.

The print edition's crop marks are drawn here, not by WeasyPrint: its marks are an
SVG drawn on every page (1.2 s for 300 pages, once per write), and the screen edition,
which is trimmed to the page, has no use for them.
"""

from __future__ import annotations

from contextlib import contextmanager

import pikepdf
import pydyf

MARK_WIDTH_PT = 0.75  # WeasyPrint's own marks: 1 CSS px
MARK_COLOUR = b"0 0 0 1 K"  # DeviceCMYK black, as PDF/X with a CMYK output intent allows


def trim_to_page(pdf: pikepdf.Pdf) -> None:
    """The page is the trim: no bleed, no print boxes, no print output intent."""
    if "/OutputIntents" in pdf.Root:
        del pdf.Root.OutputIntents
    for page in pdf.pages:
        if "/TrimBox" in page.obj:
            page.obj.MediaBox = page.obj.TrimBox
            del page.obj.TrimBox
            if "/BleedBox" in page.obj:
                del page.obj.BleedBox


def _box(page, name: str) -> list[float]:
    return [float(value) for value in page.obj[name]]


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


def add_crop_marks(pdf: pikepdf.Pdf, wanted: list[tuple[str, ...]]) -> int:
    """Crop marks on every page whose style asked for them; returns how many pages."""
    save_state = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
    marks: dict[tuple, pikepdf.Object] = {}  # one stream per page geometry, shared
    count = 0
    for page, page_marks in zip(pdf.pages, wanted):
        if "crop" not in page_marks or "/TrimBox" not in page.obj:
            continue
        media, trim = _box(page, "/MediaBox"), _box(page, "/TrimBox")
        key = tuple(round(value, 3) for value in media + trim)
        if key not in marks:
            marks[key] = pdf.make_indirect(pikepdf.Stream(
                pdf, b"Q\n" + crop_mark_operators(media, trim)))
        page.contents_add(save_state, prepend=True)  # the page's own state stays its own
        page.contents_add(marks[key])
        count += 1
    return count


@contextmanager
def faster_page_references():
    """pydyf rebuilds its tuple of page references each time it is asked, and WeasyPrint's
    tagging asks once per tagged element: quadratic, 1.6 s of a 300-page write. The same
    tuple, remembered while the page list is unchanged."""
    original = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(original, property):  # a pydyf that no longer has the problem
        yield
        return

    def remembered(pdf):
        kids = pdf.pages["Kids"]
        known = pdf.__dict__.get("_octavo_page_references")
        if known is None or known[0] != len(kids):
            known = pdf.__dict__["_octavo_page_references"] = (len(kids), original.fget(pdf))
        return known[1]

    pydyf.PDF.page_references = property(remembered)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original
