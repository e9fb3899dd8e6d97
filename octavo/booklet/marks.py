"""Marks drawn on the booklet's sheets, as content-stream operators (no pages).

Fold and crop marks (``--marks``) for any booklet; for signatures, the bookbinder's
marks: a collation mark on the spine fold of each signature (a black step, stepped down
signature by signature, so a misordered stack shows at a glance) and the signature's
number with the book's short title, tiny, in the fold margin of its first page.

Collation marks: on the front of each signature's outermost sheet, centred on the fold,
COLLATION_WIDTH wide, so that once folded the mark shows on the spine. Their band runs
the height of the page (not of the sheet: a page smaller than its half is trimmed to
its own height), COLLATION_MARGIN in from head and foot; each mark is one step high and
starts where the one before ended, so the stacked signatures show a staircase. With too
many signatures for steps of MIN_STEP, the staircase starts again at the head.

Signature labels: "Short title · 3/26" in 5 pt Helvetica (a standard font: nothing to
embed, and the text reads back), running up the fold margin of the signature's first
page from COLLATION_MARGIN above its foot, between the collation mark and the text
block; the fold and the binding hide it.
"""

from __future__ import annotations

import unicodedata

from .sheets import MM

MARK_WIDTH = 0.25  # pt
FOLD_MARK_LENGTH = 12.0  # pt, ≈ 4 mm
CROP_MARK_LENGTH = 12.0
CROP_MARK_OFFSET = 3.0  # gap between the trim corner and the start of its mark
EDGE_TICK_LENGTH = 6.0  # a crop mark drawn in from the paper edge where there is no room
COLLATION_WIDTH = 4 * MM  # across the fold: wider than the spine of an 8-sheet signature
COLLATION_MARGIN = 6 * MM  # from the page's head and foot
MAX_STEP = 8 * MM
MIN_STEP = 2.5 * MM
LABEL_SIZE = 5.0  # pt
LABEL_GAP = 0.5 * MM  # between the collation mark and the label's ascenders
LABEL_ASCENT = 0.72  # Helvetica's cap height, in ems: the label's reach toward the fold
LABEL_FONT = "/OctavoLabel"
MAX_LABEL_TITLE = 40  # characters


def num(value: float, places: int = 4) -> str:
    """A compact, deterministic number for content streams."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fold_marks(sheet_w: float, sheet_h: float) -> str:
    x = num(sheet_w / 2)
    return (f"q 0 G {num(MARK_WIDTH)} w [] 0 d "
            f"{x} {num(sheet_h)} m {x} {num(sheet_h - FOLD_MARK_LENGTH)} l S "
            f"{x} 0 m {x} {num(FOLD_MARK_LENGTH)} l S Q")


def crop_marks(sheet_w: float, sheet_h: float, placed, offset: float) -> str:
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
            strokes.append(f"{num(at)} {num(a)} m {num(at)} {num(b)} l")
        else:
            strokes.append(f"{num(a)} {num(at)} m {num(b)} {num(at)} l")
    return f"q 0 G {num(MARK_WIDTH)} w [] 0 d " + " ".join(strokes) + " S Q"


def collation_steps(count: int, band: float) -> tuple[float, int]:
    """(step height, signatures per staircase) for `count` signatures in a band."""
    if band / count >= MIN_STEP:
        return min(band / count, MAX_STEP), count
    per_run = max(1, int(band // MIN_STEP))
    return band / per_run, per_run


def collation_mark(sheet_w: float, page_bottom: float, page_top: float, index: int,
                   count: int) -> tuple[str, tuple[float, float, float, float]]:
    """Operators for signature `index`'s (0-based) mark, and its rectangle."""
    step, per_run = collation_steps(count, page_top - page_bottom - 2 * COLLATION_MARGIN)
    top = page_top - COLLATION_MARGIN - (index % per_run) * step
    x0 = sheet_w / 2 - COLLATION_WIDTH / 2
    rect = (x0, top - step, x0 + COLLATION_WIDTH, top)
    return (f"q 0 g {num(x0)} {num(top - step)} {num(COLLATION_WIDTH)} {num(step)} re f Q",
            rect)


def label_title(short_title: str | None, fallback: str) -> str:
    """The title as the label's font can show it (Windows-1252), or `fallback` (the
    slug's words) when that would drop letters."""
    text = " ".join(unicodedata.normalize("NFKC", short_title or "").split())
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        text = ""
    text = text or " ".join(fallback.replace("-", " ").split()).title()
    if len(text) > MAX_LABEL_TITLE:
        text = text[:MAX_LABEL_TITLE - 1].rstrip() + "\u2026"
    return text


def label_text(title: str, index: int, count: int) -> str:
    return f"{title} \u00b7 {index + 1}/{count}"


def signature_label(sheet_w: float, page_bottom: float, text: str) -> str:
    """Operators for the label: rotated to run up the fold margin of the right half."""
    x = sheet_w / 2 + COLLATION_WIDTH / 2 + LABEL_GAP + LABEL_ASCENT * LABEL_SIZE
    y = page_bottom + COLLATION_MARGIN
    return (f"BT {LABEL_FONT} {num(LABEL_SIZE)} Tf 0 1 -1 0 {num(x)} {num(y)} Tm "
            f"<{text.encode('cp1252').hex()}> Tj ET")
