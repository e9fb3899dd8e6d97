"""The screen PDF and the print-ready PDF, from one WeasyPrint layout."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pydyf
import weasyprint
from lxml import etree
from lxml import html as lxml_html

from .errors import OctavoError
from .fetcher import MANUSCRIPT_URL, SafeFetcher
from .manuscript import Book
from . import layout_map
from .layout_map import page_fill
from .paged_html import paged_document
from .pdf_finish import add_crop_marks, faster_page_references, trim_to_page
from .pdf_images import downsample_images, screen_copies
from .placement import Placement, layout_penalty

STYLES = Path(__file__).resolve().parent.parent / "styles"
# One layout serves both PDFs: bleed and crop marks (print.css) do not move a line.
PAGED_CSS = ("base.css", "print.css")
SCREEN_IMAGE_PPI = 200  # images in the screen PDF are downsampled to this; print keeps all
ICC_PROFILES = Path("/usr/share/color/icc")  # Debian's profiles (libgs-common, colord)


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
    style_fetcher = SafeFetcher([styles_dir, ICC_PROFILES])
    color_profiles: dict = {}
    with captured_weasyprint_warnings() as messages:
        css = [weasyprint.CSS(filename=str(styles_dir / name), url_fetcher=style_fetcher,
                              color_profiles=color_profiles) for name in stylesheets]
    placement, best, seen, renders, limit = Placement(), None, set(), 0, MAX_RENDERS
    for _ in range(MAX_DECISIONS):
        html = lxml_html.tostring(paged_document(book, placement), encoding="unicode",
                                  doctype="<!DOCTYPE html>")
        if html not in seen:
            seen.add(html)
            renders += 1
            with captured_weasyprint_warnings() as render_messages:
                document = weasyprint.HTML(
                    string=html, base_url=MANUSCRIPT_URL,  # the same in every checkout
                    url_fetcher=fetcher).render(stylesheets=css, color_profiles=color_profiles)
            layout = Layout(document, messages + render_messages,
                            fetcher.refused + style_fetcher.refused)
            layout.fills = page_fill(document)
            layout.placement = placement.copy()
            limit = min(limit, max_renders(layout.page_count))
            if best is None or layout_penalty(layout.fills) < layout_penalty(best.fills):
                best = layout
        if renders >= limit or not placement.improve(layout.fills):
            break
    best.renders = renders
    _take_crop_marks(best)
    return best


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


def pdf_identifier(book: Book, kind: str) -> bytes:
    """A stable /ID: the same book gives the same identifier on every build."""
    return hashlib.md5(f"{book.metadata.identifier}:{kind}".encode()).hexdigest().encode()


XMP_DOCUMENT_ID = "{http://ns.adobe.com/xap/1.0/mm/}DocumentID"


def _fix_dates(layout: Layout, book: Book) -> None:
    """Dates from the build's fixed time, and a stable XMP DocumentID (reproducible).

    WeasyPrint writes a random xmpMM:DocumentID for PDF/X-4; we derive it from the
    book's identifier instead, by editing the XMP tree it generates.
    """
    stamp = book.metadata.timestamp(os.environ.get("SOURCE_DATE_EPOCH"))
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    metadata = layout.document.metadata
    metadata.created = iso
    metadata.modified = iso
    generate = type(metadata).generate_rdf_metadata
    stable_id = "xmp.did:" + pdf_identifier(book, "xmp").decode()

    def generate_stable(*args, **kwargs):
        rdf = etree.fromstring(generate(metadata, *args, **kwargs))
        for element in rdf.iter(XMP_DOCUMENT_ID):
            element.text = stable_id
        return etree.tostring(rdf)

    metadata.generate_rdf_metadata = generate_stable


def _write(layout: Layout, target: Path, **options) -> None:
    with captured_weasyprint_warnings() as messages:
        layout.document.write_pdf(target, **options)
    layout.warnings.extend(messages)
    if not target.exists() or target.stat().st_size == 0:
        raise OctavoError("WeasyPrint wrote no PDF", target)


def write_tagged_pdf(layout: Layout, book: Book, target: Path) -> Path:
    """The one WeasyPrint write both PDFs are made from.

    Tagged (PDF/UA-1: structure tree, alt text, language), with the bleed and the
    print boxes, every image at full resolution, and no crop marks: the print edition
    adds those it asked for (`Layout.crop_marks`), the screen edition trims to the page.
    Not compressed (0.8 s saved on 300 pages): qpdf compresses each edition as it saves
    it, on its own core.
    """
    _fix_dates(layout, book)
    with faster_page_references():
        _write(layout, target, pdf_variant="pdf/ua-1",
               pdf_identifier=pdf_identifier(book, "screen"), custom_metadata=True,
               uncompressed_pdf=True)  # a working file: each edition compresses as it saves
    return target


def screen_from_tagged(tagged: Path, target: Path, images: dict | None = None) -> None:
    """Tagged PDF/UA-1 on the A5 trim, images downsampled, for reading on screen.

    `images`: the smaller copies `screen_images` made ahead, if it was called."""
    with pikepdf.open(tagged) as pdf:
        trim_to_page(pdf)
        downsample_images(pdf, SCREEN_IMAGE_PPI, images)
        pdf.save(target, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def screen_images(layout: Layout, book: Book) -> dict:
    """The screen PDF's smaller image copies, made from the layout (before the write ends)."""
    return screen_copies(layout.document, book, SCREEN_IMAGE_PPI)


def print_from_tagged(tagged: Path, layout: Layout, book: Book, target: Path) -> None:
    """PDF/X-4 with a CMYK output intent, 3 mm bleed and crop marks, full-resolution images.

    The same pages as the screen PDF, byte for byte: crop marks are drawn around them
    and the metadata says PDF/X-4 (WeasyPrint's own XMP for it, with our stable ids).
    """
    with pikepdf.open(tagged) as pdf:
        if "/OutputIntents" not in pdf.Root:
            raise OctavoError("the print PDF has no output intent (print.css names the "
                              "CMYK profile)", target)
        add_crop_marks(pdf, layout.crop_marks)
        scratch = pydyf.PDF()
        layout.document.metadata.include_in_pdf(scratch, "x", 4, "PDF/X-4", compress=False)
        packet = b"".join(scratch.objects[-1].stream)
        pdf.Root.Metadata = pikepdf.Stream(pdf, packet, Type=pikepdf.Name.Metadata,
                                           Subtype=pikepdf.Name.XML)
        pdf.docinfo[pikepdf.Name.Trapped] = pikepdf.Name("/False")
        identifier = pikepdf.String(pdf_identifier(book, "print"))
        pdf.trailer.ID = pikepdf.Array([identifier, identifier])  # its own, not the screen's
        pdf.save(target, deterministic_id=True, force_version="1.6", compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def write_screen_pdf(layout: Layout, book: Book, target: Path) -> None:
    """The screen PDF alone (the build makes both PDFs from one tagged write)."""
    with _scratch(target) as tagged:
        write_tagged_pdf(layout, book, tagged)
        screen_from_tagged(tagged, target)


def write_print_pdf(layout: Layout, book: Book, target: Path) -> None:
    """The print-ready PDF alone (the build makes both PDFs from one tagged write)."""
    with _scratch(target) as tagged:
        write_tagged_pdf(layout, book, tagged)
        print_from_tagged(tagged, layout, book, target)


@contextmanager
def _scratch(beside: Path):
    handle, name = tempfile.mkstemp(prefix=".octavo-tagged-", suffix=".pdf", dir=beside.parent)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
