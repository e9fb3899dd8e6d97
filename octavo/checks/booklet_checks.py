"""PRN- checks: the imposed booklet read back against the print PDF."""

from __future__ import annotations

import math

import pikepdf
import pypdfium2

from ..pdfread.text import normalise, page_texts
from ..pdfread.walk import box as pdf_box
from ..pdfread.walk import content_digest, content_streams, multiply, transformed_box
from . import ERROR, CheckContext, Finding, text_source

TOLERANCE_PT = 0.01
# What a side may do besides placing pages: state, clipping, paths (fold and crop marks).
SIDE_OPERATORS = {"q", "Q", "cm", "re", "W", "W*", "n", "m", "l", "c", "v", "y", "h", "S",
                  "s", "f", "F", "f*", "B", "B*", "b", "b*", "w", "J", "j", "M", "d", "gs",
                  "G", "g", "RG", "rg", "K", "k", "CS", "cs", "SC", "sc", "SCN", "scn", "Do"}
PAINTING = {"n", "S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}  # they end a path


def _half_texts(path) -> list[tuple[str, str]]:
    """(left, right) text of each side of the booklet."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        halves = []
        for page in document:
            width, height = page.get_size()
            text = page.get_textpage()
            halves.append((text.get_text_bounded(0, 0, width / 2, height),
                           text.get_text_bounded(width / 2, 0, width, height)))
            text.close()
            page.close()
        return halves
    finally:
        document.close()


def _concatenated(page: pikepdf.Page) -> bytes:
    """A page's content streams as one, the way qpdf joins them into a form XObject:
    a newline between two streams unless the first ends with one."""
    data = b""
    for stream in content_streams(page):
        if data and not data.endswith(b"\n"):
            data += b"\n"
        data += stream.read_bytes()
    return data


def _meet(r, s):
    return max(r[0], s[0]), max(r[1], s[1]), min(r[2], s[2]), min(r[3], s[3])


def _placements(side: pikepdf.Page):
    """(form, its matrix onto the sheet, the clip around it) for each form the side
    draws; None when the side does anything else than place forms and draw paths, or is
    rotated, scaled or cropped (then the text is read)."""
    box = [float(v) for v in side.mediabox]
    if "/Rotate" in side.obj or "/UserUnit" in side.obj or (
            "/CropBox" in side.obj and [float(v) for v in side.obj.CropBox] != box):
        return None
    ctm, stack, placed, path = [1, 0, 0, 1, 0, 0], [], [], None
    clip = (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
    xobjects = side.obj.get("/Resources", {}).get("/XObject", {})
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
            path = None
        elif name == "Do":
            form = xobjects.get(str(operands[0]))
            if form is None or form.get("/Subtype") != "/Form":
                return None
            matrix = [float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0))]
            placed.append((form, multiply(matrix, ctm), clip))
    return placed


def _within(inner, outer) -> bool:
    return all(inner[i] >= outer[i] - TOLERANCE_PT for i in (0, 1)) and \
        all(inner[i] <= outer[i] + TOLERANCE_PT for i in (2, 3))


def _sides_by_structure(path: Path, source: Path) -> list[tuple[set, set]] | None:
    """Which pages of `source` each half of each side shows, read from the booklet's
    structure: a half shows a form XObject whose content and resources are those of a
    source page (decoded streams compared, fonts, ToUnicode maps and all; image data
    aside), whose bounding box holds that page's whole trim, and which lies, trim and
    all, on that half and inside the clip around it. None when anything is drawn
    otherwise, a form is no page of the source, or a file needed repairs: the text is
    read instead."""
    try:
        return _read_structure(path, source)
    except Exception:  # noqa: BLE001 - anything unexpected: read the text instead
        return None


def _read_structure(path: Path, source: Path) -> list[tuple[set, set]] | None:
    pages: dict[bytes, set[int]] = {}
    trims: dict[int, tuple] = {}
    with pikepdf.open(source) as pdf:
        if pdf.get_warnings():
            return None
        cache: dict = {}
        for number, page in enumerate(pdf.pages, 1):
            key = content_digest(_concatenated(page), page.obj.get("/Resources"), cache)
            pages.setdefault(key, set()).add(number)
            trims[number] = pdf_box(page.trimbox)
    sides = []
    with pikepdf.open(path) as booklet:
        if booklet.get_warnings():
            return None
        cache = {}
        for side in booklet.pages:
            placements = _placements(side)
            if placements is None:
                return None
            box = [float(v) for v in side.mediabox]
            middle = (box[0] + box[2]) / 2
            halves = ((box[0], box[1], middle, box[3]), (middle, box[1], box[2], box[3]))
            shown: tuple[set, set] = (set(), set())
            for form, matrix, clip in placements:
                found = pages.get(content_digest(form.read_bytes(), form.get("/Resources"),
                                                 cache))
                bbox = pdf_box(form.BBox)
                if not found or not all(_within(trims[number], bbox) for number in found):
                    return None  # no page of the source, or one its box would cut
                on_sheet = [transformed_box(trims[number], matrix) for number in found]
                half = next((half for half, area in enumerate(halves)
                             if all(_within(rect, _meet(clip, area)) for rect in on_sheet)),
                            None)
                if half is None or shown[half]:
                    return None  # across the fold, cut, off the sheet, or two on one half
                shown[half].update(found)
            sides.append(shown)
    return sides


def _structure_agrees(sides: list[tuple[set, set]] | None, wanted) -> bool:
    return sides is not None and len(sides) == len(wanted) and all(
        (page in shown) if page else not shown
        for halves, slots in zip(sides, wanted) for shown, page in zip(halves, slots))


def _words(text: str) -> list[str]:
    return sorted(normalise(text).split())


SHEETS_PT = {"A4": (297 * 72 / 25.4, 210 * 72 / 25.4), "US Letter": (792.0, 612.0)}


def expected_sides(pages: int) -> list[tuple[int | None, int | None]]:
    """Saddle-stitch order, worked out here independently of the imposer.

    Reading order: the pages, with blanks (None) just before the back cover to fill
    the last sheet. Sheet i (outermost first) shows (N-2i, 2i+1) on its front and
    (2i+2, N-2i-1) on its back, as (left, right), 1-based positions.
    """
    padded = 4 * math.ceil(pages / 4)
    blanks = [None] * (padded - pages)
    reading = list(range(1, pages)) + blanks + [pages] if pages > 1 else [1] + blanks
    at = lambda position: reading[position - 1]  # noqa: E731
    sides = []
    for i in range(padded // 4):
        sides.append((at(padded - 2 * i), at(2 * i + 1)))
        sides.append((at(2 * i + 2), at(padded - 2 * i - 1)))
    return sides


def booklet_is_imposed_right(context: CheckContext) -> list[Finding]:
    path, source = context.outputs.get("booklet"), context.outputs.get("print-pdf")
    if path is None or source is None or not path.exists():
        return []
    findings = []
    with pikepdf.open(source) as pdf:
        count = len(pdf.pages)
    wanted = expected_sides(count)
    with pikepdf.open(path) as pdf:
        sizes = [tuple(float(v) for v in page.obj.MediaBox) for page in pdf.pages]
    if len(sizes) != len(wanted):
        findings.append(Finding("PRN-001", ERROR, f"{len(sizes)} sides for {count} pages:"
                                f" expected {len(wanted) // 2} sheets, two sides each",
                                path.name))
    for number, box in enumerate(sizes, 1):
        size = (box[2] - box[0], box[3] - box[1])
        if not any(all(abs(a - b) < 0.01 for a, b in zip(size, sheet))
                   for sheet in SHEETS_PT.values()):
            findings.append(Finding("PRN-001", ERROR, f"side {number} is {size[0]:.2f} × "
                                    f"{size[1]:.2f} pt, not exactly A4 or Letter landscape",
                                    f"{path.name} side {number}"))
    if _structure_agrees(_sides_by_structure(path, source), wanted):
        return findings  # every half shows, byte for byte, the page it should
    pages = page_texts(text_source(context, "print-pdf"), body_only=False)
    for side, (halves, slots) in enumerate(zip(_half_texts(path), wanted), 1):
        for text, page in zip(halves, slots):
            if _words(text) == (_words(pages[page - 1]) if page else []):
                continue
            if page is None:
                findings.append(Finding("PRN-003", ERROR, f"side {side} has a page where a "
                                        "blank belongs (blanks go before the back cover)",
                                        f"{path.name} side {side}"))
            else:
                findings.append(Finding("PRN-002", ERROR, f"side {side} does not show page "
                                        f"{page} where saddle-stitch order puts it",
                                        f"{path.name} side {side}"))
    return findings


BOOKLET_CHECKS = [booklet_is_imposed_right]
