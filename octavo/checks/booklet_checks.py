"""PRN- checks: the imposed booklet read back against the print PDF."""

from __future__ import annotations

import math

import pikepdf
import pypdfium2

from ..pdf_text import normalise, page_texts
from . import ERROR, CheckContext, Finding, text_source

TOLERANCE_PT = 0.01


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
    pages = page_texts(text_source(context, "print-pdf"), body_only=False)
    wanted = expected_sides(len(pages))
    with pikepdf.open(path) as pdf:
        sizes = [tuple(float(v) for v in page.obj.MediaBox) for page in pdf.pages]
    if len(sizes) != len(wanted):
        findings.append(Finding("PRN-001", ERROR, f"{len(sizes)} sides for {len(pages)} pages:"
                                f" expected {len(wanted) // 2} sheets, two sides each",
                                path.name))
    for number, box in enumerate(sizes, 1):
        size = (box[2] - box[0], box[3] - box[1])
        if not any(all(abs(a - b) < 0.01 for a, b in zip(size, sheet))
                   for sheet in SHEETS_PT.values()):
            findings.append(Finding("PRN-001", ERROR, f"side {number} is {size[0]:.2f} × "
                                    f"{size[1]:.2f} pt, not exactly A4 or Letter landscape",
                                    f"{path.name} side {number}"))
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
