"""Reading an imposed booklet back, side by side, for the PRN- checks: which page of the
print PDF each half shows, what crosses the fold, and the marks on the fold.

Two ways, as docs/checks.md says. By structure (`sides_by_structure`): each half is
identified by the form XObject drawn there, byte for byte a print page, and the marks by
the paths and text the side draws itself. By pdfium (`sides_by_pdfium`), when anything on
a side is drawn otherwise: the text of each half, the text on the fold, the filled paths
across it and the text in the fold margin of the right half.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c

from ..pdfread.opened import opened
from ..pdfread.walk import box as pdf_box
from ..pdfread.walk import content_digest, joined_content, multiply, transformed_box

MM = 72 / 25.4
TOLERANCE_PT = 0.01
MAX_CUT_PT = 10 * MM + 1.5  # a page may lose this much width to creep (the imposer's bound)
MARK_MIN = 1 * MM  # a collation mark is at least this wide and high; fold and crop marks less
LABEL_REACH = 10 * MM  # the signature label runs within this of the fold
LABEL_STRIP = (2 * MM, 6 * MM)  # where pdfium reads it: beside the collation mark
FOLD_STRIP = 0.25  # pt each side of the fold: text there crosses it
# What a side may do besides placing pages: state, clipping, paths (marks) and simple text.
SIDE_OPERATORS = {"q", "Q", "cm", "re", "W", "W*", "n", "m", "l", "c", "v", "y", "h", "S",
                  "s", "f", "F", "f*", "B", "B*", "b", "b*", "w", "J", "j", "M", "d", "gs",
                  "G", "g", "RG", "rg", "K", "k", "CS", "cs", "SC", "sc", "SCN", "scn", "Do",
                  "BT", "ET", "Tf", "Tm", "Tj"}
PAINTING = {"n", "S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}  # they end a path
FILLING = {"f", "F", "f*", "B", "B*", "b", "b*"}


@dataclass
class Side:
    """What one side of the booklet shows, read back."""
    halves: tuple[set, set] = field(default_factory=lambda: (set(), set()))  # pages (structure)
    texts: tuple[str, str] = ("", "")  # text of each half (pdfium)
    crossing: list = field(default_factory=list)  # pages (or text) across the fold
    marks: list = field(default_factory=list)  # filled rectangles across the fold
    labels: list = field(default_factory=list)  # text in the fold margin of the right half


def _meet(r, s):
    return max(r[0], s[0]), max(r[1], s[1]), min(r[2], s[2]), min(r[3], s[3])


def _within(inner, outer) -> bool:
    return all(inner[i] >= outer[i] - TOLERANCE_PT for i in (0, 1)) and \
        all(inner[i] <= outer[i] + TOLERANCE_PT for i in (2, 3))


def _walk_side(side: pikepdf.Page):
    """(forms placed, filled rectangles, texts shown) of a side: each form with its matrix
    onto the sheet and the clip around it; each text with its origin on the sheet. None
    when the side does anything else, or is rotated, scaled or cropped."""
    box = [float(v) for v in side.mediabox]
    if "/Rotate" in side.obj or "/UserUnit" in side.obj or (
            "/CropBox" in side.obj and [float(v) for v in side.obj.CropBox] != box):
        return None
    ctm, stack, placed, fills, texts, path = [1, 0, 0, 1, 0, 0], [], [], [], [], None
    clip = (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
    matrix = None  # the text matrix, inside BT … ET
    resources = side.obj.get("/Resources", {})
    xobjects = resources.get("/XObject", {})
    for operands, operator in pikepdf.parse_content_stream(side):
        name = str(operator)
        if name not in SIDE_OPERATORS:
            return None
        if name == "q":
            stack.append((ctm, clip))
        elif name == "Q":
            if not stack:
                return None
            ctm, clip = stack.pop()
        elif name == "cm":
            ctm = multiply([float(v) for v in operands], ctm)
        elif name == "re":
            x, y, w, h = (float(v) for v in operands)
            path = transformed_box((x, y, x + w, y + h), ctm) if path is None else "other"
        elif name in ("m", "l", "c", "v", "y", "h"):
            path = "other"
        elif name in ("W", "W*"):
            if not isinstance(path, tuple):
                return None  # a clip that is not one rectangle: read the text instead
            clip = _meet(clip, path)
        elif name in PAINTING:
            if name in FILLING and isinstance(path, tuple):
                fills.append(_meet(path, clip))
            path = None
        elif name == "BT":
            matrix = [1, 0, 0, 1, 0, 0]
        elif name == "ET":
            matrix = None
        elif name == "Tm" and matrix is not None:
            matrix = [float(v) for v in operands]
        elif name == "Tj":
            if matrix is None or not isinstance(operands[0], pikepdf.String):
                return None
            x, y = multiply(matrix, ctm)[4:]
            texts.append((bytes(operands[0]).decode("cp1252", "replace"), x, y))
        elif name == "Do":
            form = xobjects.get(str(operands[0]))
            if form is None or form.get("/Subtype") != "/Form":
                return None
            form_matrix = [float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0))]
            placed.append((form, multiply(form_matrix, ctm), clip))
    return placed, fills, texts


def sides_by_structure(path: Path, source: Path) -> list[Side] | None:
    """Which pages of `source` each half of each side shows, read from the booklet's
    structure: a half shows a form XObject whose content and resources are those of a
    source page (decoded streams compared, fonts, ToUnicode maps and all; image data
    aside), whose bounding box holds that page's whole trim, and which lies, visible trim
    and all, on that half (a page whose visible part reaches across the fold is listed
    in `crossing`). None when anything is drawn otherwise, a form is no page of the
    source, a page is cut by more than creep can, or a file needed repairs: the text is
    read instead."""
    try:
        return _read_structure(path, source)
    except Exception:  # noqa: BLE001 - anything unexpected: read the text instead
        return None


def _read_structure(path: Path, source: Path) -> list[Side] | None:
    pages: dict[bytes, set[int]] = {}
    trims: dict[int, tuple] = {}
    with opened(source) as pdf:
        if pdf.get_warnings():
            return None
        cache: dict = {}
        for number, page in enumerate(pdf.pages, 1):
            key = content_digest(joined_content(page), page.obj.get("/Resources"), cache)
            pages.setdefault(key, set()).add(number)
            trims[number] = pdf_box(page.trimbox)
    sides = []
    with opened(path) as booklet:
        if booklet.get_warnings():
            return None
        cache = {}
        for side in booklet.pages:
            walked = _walk_side(side)
            if walked is None:
                return None
            placements, fills, texts = walked
            box = [float(v) for v in side.mediabox]
            middle = (box[0] + box[2]) / 2
            read = Side()
            for form, matrix, clip in placements:
                found = pages.get(content_digest(form.read_bytes(), form.get("/Resources"),
                                                 cache))
                bbox = pdf_box(form.BBox)
                if not found or not all(_within(trims[number], bbox) for number in found):
                    return None  # no page of the source, or one its box would cut
                half = None
                for number in found:
                    trim = transformed_box(trims[number], matrix)
                    seen = _meet(_meet(trim, clip), box)
                    if seen[2] - seen[0] <= 0 or seen[3] - seen[1] < trim[3] - trim[1] \
                            - TOLERANCE_PT or (trim[2] - trim[0]) - (seen[2] - seen[0]) \
                            > MAX_CUT_PT:
                        return None  # cut off, or off the sheet
                    on = int((seen[0] + seen[2]) / 2 >= middle)
                    if half not in (None, on):
                        return None
                    half = on
                    if seen[0] < middle - TOLERANCE_PT and seen[2] > middle + TOLERANCE_PT:
                        read.crossing.append(number)
                if read.halves[half]:
                    return None  # two on one half
                read.halves[half].update(found)
            read.marks = [rect for rect in fills if rect[0] < middle < rect[2]
                          and rect[2] - rect[0] >= MARK_MIN and rect[3] - rect[1] >= MARK_MIN]
            read.labels = [text for text, x, _ in texts if middle < x <= middle + LABEL_REACH]
            sides.append(read)
    return sides


def _filled(path_object) -> bool:
    """Is this path filled (a collation mark), not only stroked (fold and crop marks)?"""
    mode, stroke = ctypes.c_int(0), ctypes.c_int(0)
    return bool(pdfium_c.FPDFPath_GetDrawMode(path_object, mode, stroke)) and \
        mode.value != pdfium_c.FPDF_FILLMODE_NONE


def sides_by_pdfium(path: Path) -> list[Side]:
    """What pdfium sees on each side: the text of each half; text within FOLD_STRIP of the
    fold (it crosses it); filled paths across the fold (drawn on the side itself, not in
    a page); the text of the right half's fold margin."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        sides = []
        for page in document:
            width, height = page.get_size()
            middle = width / 2
            text = page.get_textpage()
            read = Side(texts=(text.get_text_bounded(0, 0, middle, height),
                               text.get_text_bounded(middle, 0, width, height)))
            across = text.get_text_bounded(middle - FOLD_STRIP, 0, middle + FOLD_STRIP, height)
            if across.strip():
                read.crossing.append(" ".join(across.split()))
            margin = text.get_text_bounded(middle + LABEL_STRIP[0], 0, middle + LABEL_STRIP[1],
                                           height)
            read.labels = [" ".join(margin.split())] if margin.strip() else []
            for mark in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=0):
                x0, y0, x1, y1 = mark.get_bounds()
                if x0 < middle < x1 and x1 - x0 >= MARK_MIN and y1 - y0 >= MARK_MIN \
                        and _filled(mark):
                    read.marks.append((x0, y0, x1, y1))
            text.close()
            page.close()
            sides.append(read)
        return sides
    finally:
        document.close()
