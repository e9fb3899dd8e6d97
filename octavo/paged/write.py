"""The screen PDF and the print-ready PDF, from one WeasyPrint write of the layout."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pikepdf
import pydyf
from lxml import etree

from ..errors import OctavoError
from ..manuscript.book import Book
from .finish import add_crop_marks, faster_page_references, set_page_labels, trim_to_page
from .images import downsample_images, screen_copies
from .render import Layout, captured_weasyprint_warnings

SCREEN_IMAGE_PPI = 200  # images in the screen PDF are downsampled to this; print keeps all


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


def screen_from_tagged(tagged: Path, target: Path, images: dict | None = None,
                       labels: list[str] | None = None) -> None:
    """Tagged PDF/UA-1 on the A5 trim, images downsampled, for reading on screen.

    `images`: the smaller copies `screen_images` made ahead, if it was called; `labels`:
    the pages' printed numbers (`Layout.pages`), for the viewer's page labels."""
    with pikepdf.open(tagged) as pdf:
        trim_to_page(pdf)
        set_page_labels(pdf, labels)
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
        set_page_labels(pdf, layout.pages.labels if layout.pages else None)
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
        screen_from_tagged(tagged, target, labels=layout.pages.labels if layout.pages else None)


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
