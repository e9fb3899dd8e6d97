"""Finishing the one tagged PDF into the two editions, and a faster WeasyPrint write.

The print edition's crop marks are drawn here, not by WeasyPrint: its marks are an
SVG drawn on every page (1.2 s for 300 pages, once per write), and the screen edition,
which is trimmed to the page, has no use for them.
"""

from __future__ import annotations

import zlib
from contextlib import contextmanager

import pikepdf
import pydyf

from ..pdfread.marks import crop_mark_operators



def set_page_labels(pdf: pikepdf.Pdf, labels: list[str] | None) -> None:
    """The page numbers a viewer shows, as the folios print them (a book's front matter in
    roman, its text from 1): a /PageLabels run wherever the numbering starts again. Pages
    numbered 1, 2, 3… from the first need none (an article: nothing is written)."""
    if not labels or labels == [str(n) for n in range(1, len(labels) + 1)]:
        return
    runs, previous = [], None
    for index, label in enumerate(labels):
        style = "/r" if label.isalpha() else "/D"
        number = index + 1 if style == "/r" else int(label)
        if previous is None or style != previous[0] or number != previous[1] + 1:
            runs += [index, pikepdf.Dictionary(S=pikepdf.Name(style), St=number)]
        previous = (style, number)
    pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(runs)))


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


class _DefaultLevelZlib:
    """zlib, with `compressobj` at zlib's own default level whatever level is asked."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=-1, *args, **kwargs):
        return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs)


@contextmanager
def default_compression():
    """pydyf compresses every stream at level 9: 15 % of a part's write, for 0.1 % of its
    size over zlib's default level (measured on a 20-page chapter with a figure)."""
    original = getattr(pydyf, "zlib", None)
    if original is not zlib:  # a pydyf that no longer compresses this way
        yield
        return
    pydyf.zlib = _DefaultLevelZlib()
    try:
        yield
    finally:
        pydyf.zlib = original


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
