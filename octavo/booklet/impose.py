"""The booklet: the print PDF's pages imposed two to a side of landscape sheets, in fold
order, as one saddle-stitched stack or in signatures (small folded sections).

Takes the print PDF and the imposition options; writes the booklet PDF and gives a
`BookletInfo` (what it did; `instructions.print_instructions` words it for people).
The sheet follows the trim (`sheets`: A5 on A4, 5.5 × 8.5 in on US Letter, 6 × 9 in on
tabloid …); the order and the binding come from `plan`; the marks from `marks`.

Each source page becomes one form XObject (pikepdf ``Page.as_form_xobject``), clipped to
its trim (TrimBox, else CropBox, else MediaBox, as the PDF spec defaults them), copied once
into the new PDF and drawn once on its sheet side with a ``cm`` placement matrix. No page
is rasterised or copied twice, so 300 pages impose in a fraction of a second.

Reading order → sheet order
---------------------------
The n source pages are padded to N = 4·ceil(n/4) (see `plan` for where the blanks go
and how signatures are cut). In a saddle-stitched booklet (and in each signature, its
own pages numbered from 1), sheet i (0-based, sheet 0 outermost) carries, as (left,
right) halves:

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
first sheet (with the covers) ends up outermost when the whole stack (or each signature's
group of sheets) is folded in half with the first front side outside.

Placement
---------
Each sheet half is a slot of (sheet width / 2) × sheet height. Pages are scaled by one
factor for the whole book, never enlarged: 1.0 for A5 on A4 (and whenever the sheet was
chosen automatically), 396 / 419.53 ≈ 0.944 for A5 on half-letter. A page sits against
the fold (the spine), centred vertically; a page narrower than its slot (A5 is 148 mm, half A4 148.5 mm) leaves the difference at the
fore-edge, so the designed inner margins are kept exactly. Each page is also clipped to
its half, so nothing can cross the fold.

Creep: ``creep_mm`` shifts the pages of sheet i away from the spine by
creep_mm · i / (sheets - 1): 0 on the outermost sheet, creep_mm on the innermost. (A
negative value pushes the inner pages toward the spine instead, the "push-in" shingling
many print shops use to offset inner leaves that stick out at the fore-edge.) In
signatures it applies within each signature, sheets - 1 being that of the largest one;
``creep_mm="auto"`` pushes each sheet in by one ``paper_thickness_mm`` more than the
sheet around it (`plan.creep_shifts`).

Marks: ``"fold"`` draws short ticks at the centre of the top and bottom edges of each side;
``"crop"`` draws crop marks at each page's trim corners, never on a page: on half-letter
they stand in the space above and below the pages; on A4 the pages fill the height, so the
marks shrink to short ticks in from the paper edge on the vertical trim lines (the 0.5 mm
fore-edge strip, and the spine gap that creep opens). A trim line along the paper edge
gets no mark. Signatures also get collation marks and signature labels (`marks`).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import zlib
from decimal import Decimal
from pathlib import Path

import pikepdf

from ..errors import OctavoError, UsageError
from ..pdfread.walk import box as pdf_box
from ..pdfread.walk import content_streams, joined_content, transformed_box
from . import marks as mk
from .marks import num as _num
from .info import BookletInfo  # noqa: F401 - what impose_booklet gives
from .plan import (BINDINGS, DEFAULT_MAX_SADDLE_PAGES, DEFAULT_SIGNATURE_SHEETS,  # noqa: F401
                   SIGNATURE_SHEETS, creep_shifts, make_plan, padded_count, reading_order,
                   side_order)
from .sheets import FIT, MM, SHEETS as PAPER, choose_sheet, sheet_key

SHEETS: dict[str, tuple[float, float]] = {key: sheet.size for key, sheet in PAPER.items()}
SHEET_NAMES = {key: sheet.name for key, sheet in PAPER.items()}
MARKS = (None, "fold", "crop")
MAX_CREEP_MM = 10.0
PAPER_THICKNESS_MM = (0.02, 1.0)  # 0.1 mm: 80 g/m² office paper


def _validate(sheet: str, creep_mm, marks: str | None, binding: str, max_saddle_pages,
              signature_sheets, paper_thickness_mm) -> str:
    key = sheet_key(sheet)
    if marks not in MARKS:
        raise UsageError(f"unknown booklet marks {marks!r}", hint="use 'fold', 'crop' or none")
    if not (creep_mm == "auto" or isinstance(creep_mm, (int, float)) and
            math.isfinite(creep_mm) and abs(creep_mm) <= MAX_CREEP_MM):
        raise UsageError(f"booklet creep {creep_mm!r} mm is out of range",
                         hint=f"use a value between -{MAX_CREEP_MM:g} and {MAX_CREEP_MM:g} mm "
                              "(0.1–1 mm is typical), or --creep alone to work it out from "
                              "--paper-thickness")
    if binding not in BINDINGS:
        raise UsageError(f"unknown binding {binding!r}", hint="use auto, saddle or signatures")
    if not isinstance(max_saddle_pages, int) or max_saddle_pages < 1:
        raise UsageError(f"--max-saddle-pages {max_saddle_pages!r} is not a page count",
                         hint="use a whole number of pages, e.g. 64")
    if signature_sheets not in SIGNATURE_SHEETS:
        raise UsageError(f"--signature-sheets {signature_sheets!r} is out of range",
                         hint=f"use {SIGNATURE_SHEETS[0]} to {SIGNATURE_SHEETS[-1]} sheets "
                              "(4 sheets = 16 pages is usual)")
    low, high = PAPER_THICKNESS_MM
    if not (isinstance(paper_thickness_mm, (int, float)) and
            low <= paper_thickness_mm <= high):
        raise UsageError(f"--paper-thickness {paper_thickness_mm!r} mm is out of range",
                         hint=f"use {low:g} to {high:g} mm (80 g/m² office paper: 0.1 mm)")
    return key


def impose_booklet(source: Path | pikepdf.Pdf, target: Path, *, sheet: str = "auto",
                   creep_mm: float | str = 0.0, marks: str | None = None,
                   back_cover: bool = True, binding: str = "auto",
                   max_saddle_pages: int = DEFAULT_MAX_SADDLE_PAGES,
                   signature_sheets: int = DEFAULT_SIGNATURE_SHEETS,
                   paper_thickness_mm: float = 0.1, title: str | None = None,
                   slug: str | None = None, version: str | None = None,
                   memo=None) -> BookletInfo:
    """Impose `source` (a PDF file, or one open: left open) as a booklet and write it to
    `target`, as PDF `version` at least (default: the source's). `memo`: the runner's
    (runner/memo.py), where each page's content is kept compressed (`_form`).

    `title`: the short title for the signature labels (default: the PDF's /Title); its
    letters must be Windows-1252's, else `slug`'s words (default: the file's name) stand in.
    Raises a UsageError coded PRN-010 when the pages fit no sheet (`sheets.choose_sheet`).
    """
    _validate(sheet, creep_mm, marks, binding, max_saddle_pages, signature_sheets,
              paper_thickness_mm)
    if isinstance(source, pikepdf.Pdf):
        src, opened, name = source, contextlib.nullcontext(), "booklet"
    else:
        try:
            src = opened = pikepdf.open(source)
        except FileNotFoundError as exc:
            raise OctavoError("no PDF to impose", source) from exc
        except pikepdf.PdfError as exc:
            raise OctavoError(f"cannot read the PDF to impose: {exc}", source) from exc
        name = Path(source).stem
    with opened, pikepdf.new() as out:
        count = len(src.pages)
        if count == 0:
            raise OctavoError("the PDF to impose has no pages",
                              None if isinstance(source, pikepdf.Pdf) else source)

        # One form XObject per source page, clipped to its trim; its rectangle as displayed.
        forms, rects = (list(column) for column in zip(*(_placed_rect(page, src, memo)
                                                          for page in src.pages)))

        widest = max(r[2] - r[0] for r in rects)
        tallest = max(r[3] - r[1] for r in rects)
        paper = choose_sheet((widest, tallest), sheet)  # before any page is copied
        key, (sheet_w, sheet_h) = paper.key, paper.size
        slot_w = sheet_w / 2
        forms = [out.copy_foreign(form) for form in forms]
        fit = min(slot_w / widest, sheet_h / tallest)
        # Never enlarge; a page that overflows by rounding only (A5's 595.275591 pt from
        # WeasyPrint against A4's 595.2755906) is placed at 100 %, not at 0.9999999992.
        # Rounded down to 6 decimals, so that the scale written in the content streams is the
        # one every position was computed with.
        scale = 1.0 if fit > FIT else math.floor(fit * 1e6) / 1e6

        plan = make_plan(count, back_cover, binding, max_saddle_pages, signature_sheets)
        sides = plan.sides
        sheets = plan.sheets
        shifts = creep_shifts(plan, creep_mm, paper_thickness_mm)
        bound = plan.binding == "signatures"
        label = mk.label_title(title if title is not None else _title(src),
                               slug or name) if bound else ""
        firsts = {2 * first: index for index, first in enumerate(plan.starts())} if bound else {}
        font = out.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding)) \
            if bound else None

        for index, (left, right) in enumerate(sides):
            shift = shifts[index // 2]
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
                ops.append(mk.fold_marks(sheet_w, sheet_h))
            elif marks == "crop" and placed:
                ops.append(mk.crop_marks(sheet_w, sheet_h, placed,
                                         mk.CROP_MARK_OFFSET if key == "letter" else 0.0))
            resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(xobjects))
            if index in firsts:  # the outside of a signature: its binder's marks
                signature = firsts[index]
                page_h = tallest * scale
                bottom = (sheet_h - page_h) / 2
                ops.append(mk.collation_mark(sheet_w, bottom, bottom + page_h, signature,
                                             len(plan.signatures))[0])
                ops.append(mk.signature_label(sheet_w, bottom, mk.label_text(
                    label, signature, len(plan.signatures))))
                resources.Font = pikepdf.Dictionary({mk.LABEL_FONT: font})
            side = out.add_blank_page(page_size=(sheet_w, sheet_h))
            side.obj.MediaBox = pikepdf.Array([0, 0, _decimal(sheet_w), _decimal(sheet_h)])
            side.obj.Contents = out.make_stream("\n".join(op for op in ops if op).encode("ascii"))
            side.obj.Resources = resources

        _copy_metadata(src, out)
        out.save(target, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 min_version=version or src.pdf_version)

    order = plan.reading
    blank_positions = tuple(i for i, page in enumerate(order, 1) if page is None)
    largest = max(plan.signatures)
    return BookletInfo(
        pages_in=count, pages_padded=len(order), blanks=len(blank_positions),
        blank_positions=blank_positions, sheets=sheets, sides=len(sides), sheet=key,
        sheet_size=(sheet_w, sheet_h), scale=scale,
        creep_mm=round(-paper_thickness_mm * (largest - 1), 4) if creep_mm == "auto"
        else float(creep_mm), marks=marks, order=sides, reading=order,
        binding=plan.binding, signatures=plan.signatures, trim=(widest, tallest),
        creep_auto=creep_mm == "auto", paper_thickness_mm=float(paper_thickness_mm),
        label=label)


def _title(pdf: pikepdf.Pdf) -> str | None:
    title = pdf.docinfo.get("/Title")
    return str(title) if isinstance(title, pikepdf.String) else None


def _decimal(value: float) -> Decimal:
    return Decimal(_num(value))


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


def trim_of(pdf: Path) -> tuple[float, float]:
    """The largest page of `pdf` as the imposer places it (TrimBox, width × height, pt)."""
    with pikepdf.open(pdf) as src:
        rects = [_displayed(page) for page in src.pages]
    return max(r[2] - r[0] for r in rects), max(r[3] - r[1] for r in rects)


def _placed_rect(page: pikepdf.Page, pdf: pikepdf.Pdf, memo=None):
    """The page (of `pdf`) as a form XObject clipped to its trim, and the trim as
    displayed."""
    trim = pdf_box(page.trimbox)  # TrimBox → CropBox → MediaBox
    form = _form(page, pdf, memo)
    form.BBox = pikepdf.Array(trim)
    matrix = [float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0))]
    return form, transformed_box(trim, matrix)


def _displayed(page: pikepdf.Page) -> tuple:
    """`_placed_rect`'s trim as displayed, without making the form."""
    trim = pdf_box(page.trimbox)
    if _inherited(page, "/Rotate") is None and "/UserUnit" not in page.obj:
        return transformed_box(trim, [1, 0, 0, 1, 0, 0])
    form = page.as_form_xobject(handle_transformations=True)
    return transformed_box(trim, [float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0))])


def _form(page: pikepdf.Page, pdf: pikepdf.Pdf, memo=None) -> pikepdf.Stream:
    """The page (of `pdf`) as a form XObject, as pikepdf's `as_form_xobject` makes it,
    its content joined and compressed here: pikepdf would join and compress every page
    again as the booklet is saved (0.2 s for 400 pages). With the runner's `memo`, the
    compressed content an earlier build kept under the bytes of the page's content
    streams is taken. (A rotated or scaled page: pikepdf's own.)"""
    if _inherited(page, "/Rotate") is not None or "/UserUnit" in page.obj:
        return page.as_form_xobject(handle_transformations=True)
    if memo is None:
        data = zlib.compress(joined_content(page))
    else:
        digest = hashlib.sha1()
        for stream in content_streams(page):
            digest.update(repr((stream.get("/Filter"), stream.get("/DecodeParms"))).encode())
            digest.update(hashlib.sha1(stream.read_raw_bytes()).digest())
        data = memo.remember(memo.key("booklet-form", digest.digest()),
                             lambda: zlib.compress(joined_content(page)))
    form = pikepdf.Stream(pdf, b"")
    form.write(data, filter=pikepdf.Name.FlateDecode)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    for key in ("/Resources", "/Group"):
        value = _inherited(page, key) if key == "/Resources" else page.obj.get(key)
        if value is not None:
            form[key] = value
    return form


def _inherited(page: pikepdf.Page, key: str):
    """The page's `key`, or the nearest ancestor's in the page tree (an inheritable
    attribute: /Resources, /Rotate...), or None."""
    node, depth = page.obj, 0
    while node is not None and depth < 32:
        if key in node:
            return node[key]
        node, depth = node.get("/Parent"), depth + 1
    return None


def refusal(pdf: Path) -> OctavoError | None:
    """Why `pdf`'s pages can have no booklet on any sheet (``--sheet auto``), or None."""
    try:
        choose_sheet(trim_of(pdf), "auto")
    except OctavoError as error:
        return error
    return None
