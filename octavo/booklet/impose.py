"""Saddle-stitch booklet: A5 pages imposed two-up on A4 (or US Letter) landscape sheets.

Each source page becomes one form XObject (pikepdf ``Page.as_form_xobject``), clipped to
its trim (TrimBox, else CropBox, else MediaBox, as the PDF spec defaults them), copied once
into the new PDF and drawn once on its sheet side with a ``cm`` placement matrix. No page
is rasterised or copied twice, so 300 pages impose in a fraction of a second.

Reading order → sheet order
---------------------------
The n source pages are padded to N = 4·ceil(n/4). Blank pages go just before the back
cover (the last source page stays last), never in the middle of the text; with
``back_cover=False`` (or a one-page source, which has no back cover) they go at the end.
Sheet i (0-based, sheet 0 outermost) carries, as (left, right) halves:

    front = [N - 2i, 2i + 1]        back = [2i + 2, N - 2i - 1]

For N = 8 (two sheets)::

    sheet 0  front (PDF page 1)          back (PDF page 2)
    +------------+------------+          +------------+------------+
    |     8      |     1      |          |     2      |     7      |
    | back cover | front cover|          |            |            |
    +------------+------------+          +------------+------------+
    sheet 1  front (PDF page 3)          back (PDF page 4)
    +------------+------------+          +------------+------------+
    |     6      |     3      |          |     4      |     5      |
    +------------+------------+          +------------+------------+

Why the back is NOT rotated (duplex, "flip on short edge")
-----------------------------------------------------------
Physical model: lay the printed landscape sheet in front of you, front up, and turn it over
the way the printer's duplex unit does for that setting.

* Flip on the SHORT edge = turn it about the vertical axis, like turning a book page.
  Left and right swap, top stays on top. The right half of the front (page 1) now lies
  behind the LEFT half of the back, where page 2 is printed; page N (front left) lies behind
  page N-1 (back right). Both sides are upright. So with this setting the back side goes
  into the PDF upright, unrotated, exactly as listed above: page 2 is the reverse of page 1,
  page N-1 the reverse of page N, and after folding every leaf reads on.

        front, face up                      turned over like a book page
        +-----------+-----------+           +-----------+-----------+
        |  N        |  1        |   ---->   |  2        |  N-1      |
        |  (top ^)  |  (top ^)  |           |  (top ^)  |  (top ^)  |
        +-----------+-----------+           +-----------+-----------+
        1 is behind 2 and N behind N-1; both sides upright: no rotation in the PDF.

* Flip on the LONG edge = turn it about the horizontal axis (top and bottom swap, left stays
  left). An unrotated back would then come out upside down, with page 2 behind page N. This
  module does not produce that variant: tell the printer "flip on short edge" (the usual
  setting for landscape booklets on office printers; some drivers call it "short-edge
  binding" or "tumble" for landscape). A quick check: print sheet 1 only and hold it to
  the light: page 2 must be directly behind page 1, the same way up.

Folding: keep the sheets in printed order. Face-down output trays stack them so that the
first sheet (with the covers) ends up outermost when the whole stack is folded in half with
the first front side outside; fold, crease, and staple on the fold.

Placement
---------
Each sheet half is a slot of (sheet width / 2) × sheet height. Pages are scaled by one
factor for the whole book, never enlarged: 1.0 for A5 on A4, 396 / 419.53 ≈ 0.944 for A5
on half-letter. A page sits against the fold (the spine), centred vertically; a page
narrower than its slot (A5 is 148 mm, half A4 148.5 mm) leaves the difference at the
fore-edge, so the designed inner margins are kept exactly. Each page is also clipped to
its half, so nothing can cross the fold.

Creep: ``creep_mm`` shifts the pages of sheet i away from the spine by
creep_mm · i / (sheets - 1): 0 on the outermost sheet, creep_mm on the innermost. (A
negative value pushes the inner pages toward the spine instead, the "push-in" shingling
many print shops use to offset inner leaves that stick out at the fore-edge.)

Marks: ``"fold"`` draws short ticks at the centre of the top and bottom edges of each side;
``"crop"`` draws crop marks at each page's trim corners, never on a page: on half-letter
they stand in the space above and below the pages; on A4 the pages fill the height, so the
marks shrink to short ticks in from the paper edge on the vertical trim lines (the 0.5 mm
fore-edge strip, and the spine gap that creep opens). A trim line along the paper edge
gets no mark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf

from ..errors import OctavoError, UsageError
from ..pdfread.walk import box as pdf_box
from ..pdfread.walk import transformed_box

MM = 72 / 25.4
SHEETS: dict[str, tuple[float, float]] = {
    "a4": (297 * MM, 210 * MM),  # 841.89 × 595.28 pt, landscape
    "letter": (792.0, 612.0),  # 11 × 8.5 in, landscape
}
SHEET_NAMES = {"a4": "A4 (297 × 210 mm)", "letter": "US Letter (11 × 8.5 in)"}
MARKS = (None, "fold", "crop")
MAX_CREEP_MM = 10.0
MARK_WIDTH = 0.25  # pt
FOLD_MARK_LENGTH = 12.0  # pt, ≈ 4 mm
CROP_MARK_LENGTH = 12.0
CROP_MARK_OFFSET = 3.0  # gap between the trim corner and the start of its mark
EDGE_TICK_LENGTH = 6.0  # a crop mark drawn in from the paper edge where there is no room


@dataclass(frozen=True)
class BookletInfo:
    """What the imposition did. Page numbers are the source's, 1-based; None is a blank."""

    pages_in: int
    pages_padded: int  # N, a multiple of 4
    blanks: int
    blank_positions: tuple[int, ...]  # 1-based positions of the blanks in reading order
    sheets: int
    sides: int  # PDF pages of the booklet: 2 per sheet
    sheet: str  # "a4" or "letter"
    sheet_size: tuple[float, float]  # pt, landscape
    scale: float  # applied to every page
    creep_mm: float
    marks: str | None
    order: tuple[tuple[int | None, int | None], ...]  # (left, right) of each side, in PDF order
    reading: tuple[int | None, ...]  # padded reading order: source page at each position


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
    """(left, right) of each sheet side in PDF order: sheet 0 front, sheet 0 back, sheet 1 …"""
    n = len(order)
    assert n % 4 == 0
    sides = []
    for i in range(n // 4):
        # 1-based positions: front = [N-2i, 2i+1], back = [2i+2, N-2i-1]
        sides.append((order[n - 2 * i - 1], order[2 * i]))
        sides.append((order[2 * i + 1], order[n - 2 * i - 2]))
    return tuple(sides)


def _num(value: float, places: int = 4) -> str:
    """A compact, deterministic number for content streams."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _validate(sheet: str, creep_mm: float, marks: str | None) -> str:
    key = str(sheet).lower()
    if key not in SHEETS:
        raise UsageError(f"unknown booklet sheet {sheet!r}", hint="use 'a4' or 'letter'")
    if marks not in MARKS:
        raise UsageError(f"unknown booklet marks {marks!r}", hint="use 'fold', 'crop' or none")
    if not (isinstance(creep_mm, (int, float)) and math.isfinite(creep_mm)
            and abs(creep_mm) <= MAX_CREEP_MM):
        raise UsageError(f"booklet creep {creep_mm!r} mm is out of range",
                         hint=f"use a value between -{MAX_CREEP_MM:g} and {MAX_CREEP_MM:g} mm "
                              "(0.1–1 mm is typical)")
    return key


def impose_booklet(source: Path, target: Path, *, sheet: str = "a4", creep_mm: float = 0.0,
                   marks: str | None = None, back_cover: bool = True) -> BookletInfo:
    """Impose `source` (A5 pages) as a saddle-stitched booklet and write it to `target`."""
    key = _validate(sheet, creep_mm, marks)
    sheet_w, sheet_h = SHEETS[key]
    slot_w = sheet_w / 2
    try:
        src = pikepdf.open(source)
    except FileNotFoundError as exc:
        raise OctavoError("no PDF to impose", source) from exc
    except pikepdf.PdfError as exc:
        raise OctavoError(f"cannot read the PDF to impose: {exc}", source) from exc
    with src, pikepdf.new() as out:
        count = len(src.pages)
        if count == 0:
            raise OctavoError("the PDF to impose has no pages", source)

        # One form XObject per source page, clipped to its trim; its rectangle as displayed.
        forms, rects = [], []
        for page in src.pages:
            trim = pdf_box(page.trimbox)  # TrimBox → CropBox → MediaBox
            form = page.as_form_xobject(handle_transformations=True)
            form.BBox = pikepdf.Array(trim)
            matrix = [float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0))]
            forms.append(form)
            rects.append(transformed_box(trim, matrix))
        forms = [out.copy_foreign(form) for form in forms]

        widest = max(r[2] - r[0] for r in rects)
        tallest = max(r[3] - r[1] for r in rects)
        fit = min(slot_w / widest, sheet_h / tallest)
        # Never enlarge; a page that overflows by rounding only (A5's 595.275591 pt from
        # WeasyPrint against A4's 595.2755906) is placed at 100 %, not at 0.9999999992.
        # Rounded down to 6 decimals, so that the scale written in the content streams is the
        # one every position was computed with.
        scale = 1.0 if fit > 1 - 1e-5 else math.floor(fit * 1e6) / 1e6

        order = reading_order(count, back_cover)
        sides = side_order(order)
        sheets = len(sides) // 2
        creep_pt = creep_mm * MM

        for index, (left, right) in enumerate(sides):
            sheet_no = index // 2
            shift = creep_pt * sheet_no / (sheets - 1) if sheets > 1 else 0.0
            ops: list[str] = []
            xobjects = {}
            placed = []  # trim rectangles on the sheet, for crop marks
            for number, is_left in ((left, True), (right, False)):
                if number is None:
                    continue
                x0, y0, x1, y1 = rects[number - 1]
                w, h = (x1 - x0) * scale, (y1 - y0) * scale
                px = slot_w - w - shift if is_left else slot_w + shift
                py = (sheet_h - h) / 2
                clip_x = 0.0 if is_left else slot_w
                name = f"/P{number}"
                xobjects[name] = forms[number - 1]
                ops.append(
                    f"q {_num(clip_x)} 0 {_num(slot_w)} {_num(sheet_h)} re W n "
                    f"{_num(scale, 6)} 0 0 {_num(scale, 6)} {_num(px - scale * x0)} "
                    f"{_num(py - scale * y0)} cm {name} Do Q")
                placed.append((px, py, px + w, py + h))
            if marks == "fold":
                ops.append(_fold_marks(sheet_w, sheet_h))
            elif marks == "crop" and placed:
                ops.append(_crop_marks(sheet_w, sheet_h, placed,
                                       CROP_MARK_OFFSET if key == "letter" else 0.0))
            side = out.add_blank_page(page_size=(sheet_w, sheet_h))
            side.obj.MediaBox = pikepdf.Array([0, 0, _decimal(sheet_w), _decimal(sheet_h)])
            side.obj.Contents = out.make_stream("\n".join(op for op in ops if op).encode("ascii"))
            side.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(xobjects))

        _copy_metadata(src, out)
        out.save(target, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 min_version=src.pdf_version)

    blank_positions = tuple(i for i, page in enumerate(order, 1) if page is None)
    return BookletInfo(
        pages_in=count, pages_padded=len(order), blanks=len(blank_positions),
        blank_positions=blank_positions, sheets=sheets, sides=len(sides), sheet=key,
        sheet_size=(sheet_w, sheet_h), scale=scale, creep_mm=float(creep_mm), marks=marks,
        order=sides, reading=order)


def _decimal(value: float) -> Decimal:
    return Decimal(_num(value))


def _fold_marks(sheet_w: float, sheet_h: float) -> str:
    x = _num(sheet_w / 2)
    return (f"q 0 G {_num(MARK_WIDTH)} w [] 0 d "
            f"{x} {_num(sheet_h)} m {x} {_num(sheet_h - FOLD_MARK_LENGTH)} l S "
            f"{x} 0 m {x} {_num(FOLD_MARK_LENGTH)} l S Q")


def _crop_marks(sheet_w: float, sheet_h: float, placed, offset: float) -> str:
    """Crop marks at every trim corner: only on the sheet, never on a page.

    A mark continues a trim edge beyond its corner, `offset` away from it. The parts that
    would fall on any page (grown by the line width, so that no half stroke along a trim
    edge shows) or off the sheet are cut away. Where nothing is left because the page
    reaches the paper edge (A5 on A4 fills the height), a short tick runs in from the paper
    edge along the trim line instead, unless that line is a paper edge or the fold itself.
    """
    grow = MARK_WIDTH
    blocked = [(x0 - grow, y0 - grow, x1 + grow, y1 + grow) for x0, y0, x1, y1 in placed]

    def free(axis, at, lo, hi, skip=None):
        """Pieces of the segment (on x=at if axis is "v", else y=at) off every page."""
        pieces = [(max(lo, 0.0), min(hi, sheet_h if axis == "v" else sheet_w))]
        for index, (bx0, by0, bx1, by1) in enumerate(blocked):
            across = (bx0, bx1) if axis == "v" else (by0, by1)
            along = (by0, by1) if axis == "v" else (bx0, bx1)
            if index == skip or not across[0] < at < across[1]:
                continue
            pieces = [part for a, b in pieces
                      for part in ((a, min(b, along[0])), (max(a, along[1]), b))]
        return [(a, b) for a, b in pieces if b - a >= 1.0]  # under 1 pt is no mark

    lines: list[tuple] = []
    reach = offset + CROP_MARK_LENGTH
    for index, (x0, y0, x1, y1) in enumerate(placed):
        for x, sx in ((x0, -1), (x1, 1)):
            for y, sy in ((y0, -1), (y1, 1)):
                for axis, at, start, sign, limit in (("v", x, y, sy, sheet_h),
                                                     ("h", y, x, sx, sheet_w)):
                    if not 0.5 < at < (sheet_w if axis == "v" else sheet_h) - 0.5:
                        continue  # the trim line is the paper edge itself
                    lo, hi = sorted((start + sign * offset, start + sign * reach))
                    pieces = free(axis, at, lo, hi)
                    edge = limit if sign > 0 else 0.0
                    if not pieces and (start - edge) * sign >= -(offset + 1.0):  # no room
                        lo, hi = sorted((edge, edge - sign * EDGE_TICK_LENGTH))
                        pieces = free(axis, at, lo, hi, skip=index)
                    lines.extend((axis, round(at, 4), round(a, 4), round(b, 4))
                                 for a, b in pieces)
    if not lines:
        return ""
    strokes = []
    for axis, at, a, b in sorted(set(lines)):
        if axis == "v":
            strokes.append(f"{_num(at)} {_num(a)} m {_num(at)} {_num(b)} l")
        else:
            strokes.append(f"{_num(a)} {_num(at)} m {_num(b)} {_num(at)} l")
    return f"q 0 G {_num(MARK_WIDTH)} w [] 0 d " + " ".join(strokes) + " S Q"


def _copy_metadata(src: pikepdf.Pdf, out: pikepdf.Pdf) -> None:
    """Copy the source's document information (no new dates) and language."""
    info = {}
    for key, value in src.docinfo.items():
        if isinstance(value, pikepdf.String):
            info[key] = pikepdf.String(str(value))
    if info:
        out.docinfo = out.make_indirect(pikepdf.Dictionary(info))
    lang = src.Root.get("/Lang")
    if isinstance(lang, pikepdf.String):
        out.Root.Lang = pikepdf.String(str(lang))


def print_instructions(info: BookletInfo) -> str:
    """How to print, fold and staple the booklet: the build prints it, the README quotes it."""
    paper = SHEET_NAMES[info.sheet]
    sheets = f"{info.sheets} sheet{'s' if info.sheets != 1 else ''}"
    lines = [
        f"Printing the booklet ({info.pages_padded} pages on {sheets} of {paper} paper):",
        f"  1. Paper: {paper}, landscape; {sheets}, printed on both sides.",
        "  2. Duplex (two-sided): flip on the SHORT edge.",
        "  3. Scale: 100 % / \"Actual size\" (turn off \"Fit to page\" and \"Shrink oversized "
        "pages\"); do not use the printer's own booklet mode: the file is already imposed.",
        "  4. Check: on the first sheet, page 2 is printed directly behind page 1, the same "
        "way up.",
        "  5. Keep the sheets in order, the sheet with the covers outside; fold the stack in "
        "half along the centre line, crease it, and staple twice on the fold.",
    ]
    if info.blanks:
        lines.append(f"  ({info.blanks} blank page{'s' if info.blanks != 1 else ''} added "
                     "before the back cover to fill the last sheet.)"
                     if info.blank_positions[-1] < info.pages_padded else
                     f"  ({info.blanks} blank page{'s' if info.blanks != 1 else ''} added "
                     "at the end to fill the last sheet.)")
    return "\n".join(lines)
