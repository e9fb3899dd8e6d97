"""The paged layout: the Book laid out by WeasyPrint (as many times as placing the
figures needs, and once more if the page numbers it prints changed), with what happened
while it was made (warnings, page fill) and its page map (where each element fell, how
each page is numbered)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import weasyprint
from lxml import html as lxml_html
from weasyprint.text.fonts import FontConfiguration

from ..manuscript.book import Book
from ..manuscript.fetcher import MANUSCRIPT_URL, SafeFetcher
from ..options import STYLES
from ..structure.pagemap import PageMap, page_labels
from . import layout_map
from .document import paged_document
from .layout_map import page_fill
from .placement import Placement, layout_penalty
from .stylesheets import paged_stylesheets

# One layout serves both PDFs: bleed and crop marks (print.css) do not move a line.
# design.css is a template of values, filled from the book's [design] table; the book's
# own stylesheets come last (stylesheets.py). structure.css: a book's contents page,
# folios, openings, captions, references and index. scripts.css, blocks.css, math.css:
# every script's fonts; callouts, verse and the rest of the dialect; math (issue 14).
PAGED_CSS = ("base.css", "structure.css", "design.css", "print.css", "scripts.css",
             "blocks.css", "math.css")
ICC_PROFILES = Path("/usr/share/color/icc")  # Debian's profiles (libgs-common, colord)
# scripts.css names installed fonts with `local()` (Octavo Greek): WeasyPrint reads the
# file fontconfig finds through the stylesheets' fetcher. Only Octavo's own stylesheets
# use it; a manuscript's raw HTML never carries CSS.
SYSTEM_FONTS = Path("/usr/share/fonts")


@dataclass
class Layout:
    """A rendered WeasyPrint document and what happened while making it."""
    document: weasyprint.Document
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fills: list = field(default_factory=list)  # layout_map.PageFill per page
    placement: Placement = field(default_factory=Placement)  # figures moved or made snug
    renders: int = 1  # layouts made to place the figures
    crop_marks: list = field(default_factory=list)  # per page, the `marks` its style asks for
    pages: PageMap | None = None  # where each element fell; the pages' printed labels
    source_hash: int = 0  # of the HTML it was laid out from
    css_problems: list = field(default_factory=list)  # (file, line, message) in the book's CSS

    @property
    def page_count(self) -> int:
        return len(self.document.pages)


class _CollectWarnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def captured_weasyprint_warnings():
    """Collect WeasyPrint's warnings (they become findings) instead of printing them."""
    handler = _CollectWarnings()
    logger = weasyprint.LOGGER
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


MAX_RENDERS = 10  # layouts tried while placing figures
MAX_DECISIONS = 40  # placement decisions, including those that change nothing
RENDER_BUDGET_PAGES = 400  # pages laid out in all while placing figures (see max_renders)


def max_renders(pages: int) -> int:
    """Layouts allowed for a book whose first layout has `pages` pages.

    A pure function of the book (never of the clock), so that builds stay reproducible:
    a short book gets up to MAX_RENDERS tries, a 200-page one two, a long one one layout.
    """
    return max(1, min(MAX_RENDERS, RENDER_BUDGET_PAGES // max(pages, 1)))


def render(book: Book, stylesheets: tuple[str, ...], styles_dir: Path = STYLES) -> Layout:
    """Lay out the book's pages, then place figures better and lay out again if needed.

    See placement.py for how figures are moved or set snug, pass by pass. A decision
    that leaves the document as it was costs no layout.
    """
    fetcher = SafeFetcher([book.folder, styles_dir], aliases={MANUSCRIPT_URL: book.folder})
    # The stylesheets may also read the system's ICC profiles (print.css's output intent).
    style_fetcher = SafeFetcher([styles_dir, ICC_PROFILES, SYSTEM_FONTS])
    color_profiles: dict = {}
    font_config = FontConfiguration()  # Octavo's stylesheets' @font-face rules
    sheets = paged_stylesheets(book, stylesheets, styles_dir, style_fetcher, color_profiles,
                               captured_weasyprint_warnings, font_config)
    css, messages = sheets.css, sheets.warnings

    def lay_out(html: str, placement: Placement) -> Layout:
        with captured_weasyprint_warnings() as render_messages:
            document = weasyprint.HTML(
                string=html, base_url=MANUSCRIPT_URL,  # the same in every checkout
                url_fetcher=fetcher).render(stylesheets=css, color_profiles=color_profiles,
                                            font_config=font_config)
        layout = Layout(document, messages + render_messages,
                        fetcher.refused + sheets.refused, css_problems=sheets.problems)
        layout.fills = page_fill(document)
        layout.placement = placement.copy()
        layout.pages = page_map(layout, book)
        layout.source_hash = hash(html)
        return layout

    placement = Placement(scale=book.metadata.design.scale[1])  # snug heights follow the trim
    best, seen, renders, limit = None, set(), 0, MAX_RENDERS
    pages = None  # the page numbers printed: a placeholder, then the last layout's
    for _ in range(MAX_DECISIONS):
        html = _html(book, placement, pages)
        if html not in seen:
            seen.add(html)
            renders += 1
            layout = lay_out(html, placement)
            pages = layout.pages
            limit = min(limit, max_renders(layout.page_count))
            if best is None or layout_penalty(layout.fills) < layout_penalty(best.fills):
                best = layout
        if renders >= limit or not placement.improve(layout.fills):
            break
    for passes in range(MAX_NUMBERING_PASSES + 1):  # does it print its own page numbers?
        html = _html(book, best.placement, best.pages)
        if hash(html) == best.source_hash:
            break
        if passes == MAX_NUMBERING_PASSES:
            best.warnings.append("the page numbers of the contents, index or cross-"
                                 f"references did not settle in {passes} more layouts")
            break
        renders += 1
        best = lay_out(html, best.placement)
    best.renders = renders
    _take_crop_marks(best)
    return best


MAX_NUMBERING_PASSES = 3  # layouts to settle the page numbers the book prints


def _html(book: Book, placement: Placement, pages: PageMap | None) -> str:
    return lxml_html.tostring(paged_document(book, placement, pages), encoding="unicode",
                              doctype="<!DOCTYPE html>")


def page_map(layout: Layout, book: Book) -> PageMap:
    """Where each element of the layout fell (its first page), and every page's printed
    label: the one interface the contents, the index, "on page N" and the EPUB's page
    list read page numbers from (per-chapter layout will make it from the chapters)."""
    pages: dict[str, int] = {}
    for number, page in enumerate(layout.document.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    structure = book.structure
    start = pages.get(structure.body_start) if structure is not None and structure.is_book \
        else None
    return PageMap(page_labels(len(layout.document.pages), start), pages)


def _take_crop_marks(layout: Layout) -> None:
    """The print edition draws the crop marks the pages' styles ask for; WeasyPrint won't."""
    layout.crop_marks = []
    for page in layout.document.pages:
        marks = tuple(page._page_box.style["marks"] or ())
        unsupported = "`marks: cross` is not drawn; only crop marks are"
        if "cross" in marks and unsupported not in layout.warnings:
            layout.warnings.append(unsupported)
        layout.crop_marks.append(marks)
        page._page_box.style["marks"] = ()


def page_starts(layout: Layout):
    return layout_map.page_starts(layout.document)

