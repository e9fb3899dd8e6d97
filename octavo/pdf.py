"""The screen PDF and the print-ready PDF, from one WeasyPrint layout."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import weasyprint
from lxml import html as lxml_html

from .errors import OctavoError
from .fetcher import SafeFetcher
from .manuscript import Book
from .pages import PageStart
from .paged_html import paged_document
from .manuscript import BLOCK_KEY

STYLES = Path(__file__).resolve().parent.parent / "styles"
# One layout serves both PDFs: bleed and crop marks (print.css) do not move a line.
PAGED_CSS = ("base.css", "print.css")


@dataclass
class Layout:
    """A rendered WeasyPrint document and what happened while making it."""
    document: weasyprint.Document
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

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


def render(book: Book, stylesheets: tuple[str, ...], styles_dir: Path = STYLES) -> Layout:
    """Lay out the book's pages once."""
    fetcher = SafeFetcher([book.folder, styles_dir])
    html = lxml_html.tostring(paged_document(book), encoding="unicode", doctype="<!DOCTYPE html>")
    with captured_weasyprint_warnings() as messages:
        css = [weasyprint.CSS(filename=str(styles_dir / name), url_fetcher=fetcher)
               for name in stylesheets]
        document = weasyprint.HTML(string=html, base_url=book.folder.resolve().as_uri() + "/",
                                   url_fetcher=fetcher).render(stylesheets=css)
    return Layout(document, messages, fetcher.refused)


def pdf_identifier(book: Book, kind: str) -> bytes:
    """A stable /ID: the same book gives the same identifier on every build."""
    import hashlib
    return hashlib.md5(f"{book.metadata.identifier}:{kind}".encode()).hexdigest().encode()


def write_screen_pdf(layout: Layout, book: Book, target: Path) -> None:
    with captured_weasyprint_warnings() as messages:
        layout.document.write_pdf(
            target, pdf_variant="pdf/ua-1", pdf_identifier=pdf_identifier(book, "screen"),
            custom_metadata=True, optimize_images=False)
    layout.warnings.extend(messages)
    if not target.exists():
        raise OctavoError("WeasyPrint wrote no PDF", target)


def _walk(box, keys):
    """Yield (text box, innermost block key) in layout order, main flow only."""
    from weasyprint.formatting_structure import boxes
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if "::" in (getattr(box, "element_tag", "") or ""):
        return  # ::marker, ::before, ::footnote-call: generated, not the author's text
    element = getattr(box, "element", None)
    key = element.get(BLOCK_KEY) if element is not None else None
    if key is None and element is not None and element.get("id") in FRONT_MATTER_IDS:
        key = element.get("id")
    keys = keys + [key] if key else keys
    if isinstance(box, boxes.TextBox):
        yield box, keys[-1] if keys else None
    for child in getattr(box, "children", ()):
        yield from _walk(child, keys)


FRONT_MATTER_IDS = ("cover", "colophon", "title", "back-cover")


def page_starts(layout: Layout) -> list[PageStart]:
    """For each page, the block and the offset (in non-space characters) where it starts."""
    consumed: dict[str, int] = {}
    starts = []
    for number, page in enumerate(layout.document.pages, 1):
        first = None
        for text_box, key in _walk(page._page_box, []):
            if key is None:
                continue
            if first is None:
                first = PageStart(number, key, consumed.get(key, 0))
            text = text_box.text
            hyphen = text_box.style["hyphenate_character"]
            if hyphen and hyphen != "-" and text.endswith(hyphen):
                text = text[:-len(hyphen)]  # added by WeasyPrint at a line break
            consumed[key] = consumed.get(key, 0) + sum(1 for c in text if not c.isspace())
        if first is not None:
            starts.append(first)
    return starts

