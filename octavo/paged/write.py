"""The PDFs: each part's tagged WeasyPrint write, and the two editions made from the
book those parts are put together into (paged/assemble.py).

One tagged write per part serves both editions: the screen PDF is the book trimmed to
the page, its images downsampled; the print PDF is the same pages with crop marks and
the PDF/X-4 metadata."""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pydyf
from lxml import etree

from ..errors import OctavoError
from ..manuscript.book import Book
from .finish import add_crop_marks, default_compression, faster_page_references, trim_to_page
from .images import downsample_images, screen_copies
from .render import captured_weasyprint_warnings

SCREEN_IMAGE_PPI = 200  # images in the screen PDF are downsampled to this; print keeps all
TAGGED_VERSION = "1.7"  # the tagged book and its screen edition (PDF/UA-1)
PRINT_VERSION = "1.6"  # PDF/X-4


def pdf_identifier(book: Book, kind: str) -> bytes:
    """A stable /ID: the same book gives the same identifier on every build."""
    return hashlib.md5(f"{book.metadata.identifier}:{kind}".encode()).hexdigest().encode()


XMP_DOCUMENT_ID = "{http://ns.adobe.com/xap/1.0/mm/}DocumentID"


@dataclass(frozen=True)
class PdfIdentity:
    """What makes the PDFs the same on every build: their dates and identifiers."""
    stamp: str  # ISO date and time, from SOURCE_DATE_EPOCH or the metadata's date
    xmp_id: str  # the XMP DocumentID (WeasyPrint's is random)
    screen: bytes  # names the parts in the part cache (runner/parts.py)
    printed: bytes  # the print PDF's own /ID


def pdf_identity(book: Book) -> PdfIdentity:
    stamp = book.metadata.timestamp(os.environ.get("SOURCE_DATE_EPOCH"))
    return PdfIdentity(stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                       "xmp.did:" + pdf_identifier(book, "xmp").decode(),
                       pdf_identifier(book, "screen"), pdf_identifier(book, "print"))


def _fix_dates(metadata, identity: PdfIdentity) -> None:
    """Dates from the build's fixed time, and a stable XMP DocumentID (reproducible):
    WeasyPrint writes a random xmpMM:DocumentID; the XMP tree it generates is edited."""
    metadata.created = metadata.modified = identity.stamp
    generate = type(metadata).generate_rdf_metadata

    def generate_stable(*args, **kwargs):
        rdf = etree.fromstring(generate(metadata, *args, **kwargs))
        for element in rdf.iter(XMP_DOCUMENT_ID):
            element.text = identity.xmp_id
        return etree.tostring(rdf)

    metadata.generate_rdf_metadata = generate_stable


def write_part_pdf(document, identity: PdfIdentity, target: Path) -> list[str]:
    """The one WeasyPrint write of a part; returns WeasyPrint's warnings.

    Tagged (PDF/UA-1: structure tree, alt text, language), with the bleed and the
    print boxes, every image at full resolution, and no crop marks and no folios (the
    print edition adds the marks its pages asked for, the assembly the folios).

    Without a trailer /ID: the assembly copies the pages into a new PDF, and each
    edition is given its own; pydyf would serialise (and compress) every object a
    second time to hash it into one, a third of the write."""
    _fix_dates(document.metadata, identity)
    with captured_weasyprint_warnings() as messages, faster_page_references(), \
            default_compression():
        document.write_pdf(target, pdf_variant="pdf/ua-1", pdf_identifier=False,
                           custom_metadata=True)
    if not target.exists() or target.stat().st_size == 0:
        raise OctavoError("WeasyPrint wrote no PDF", target)
    return messages


def screen_from_tagged(tagged: Path, target: Path, images: dict | None = None) -> None:
    """`screen_edition` of the tagged PDF in file `tagged`."""
    with pikepdf.open(tagged) as pdf:
        screen_edition(pdf, target, images)


def screen_edition(pdf: pikepdf.Pdf, target: Path, images: dict | None = None) -> None:
    """Tagged PDF/UA-1 on the trim, images downsampled, for reading on screen (its page
    labels are the tagged book's: paged/assemble.py). `pdf`: the tagged book, changed
    here (the last edition made from it).

    `images`: the smaller copies `screen_images` made ahead, if it was called (or the
    job making them, whose result is read here)."""
    if hasattr(images, "result"):
        images = images.result()
    trim_to_page(pdf)
    downsample_images(pdf, SCREEN_IMAGE_PPI, images)
    pdf.save(target, deterministic_id=True, compress_streams=True, min_version=TAGGED_VERSION,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)


def screen_images(layout, book: Book, memo=None) -> dict:
    """The screen PDF's smaller image copies, from the images' placed sizes (`layout`:
    a pagination.BookLayout), made while the book is put together."""
    return screen_copies(layout.image_sizes, book, SCREEN_IMAGE_PPI, memo)


def screen_images_ahead(book: Book, memo):
    """`placed(sizes)` for the layout (runner/parts.py), or None with no memo: a part's
    screen copies made here as soon as a worker has placed its images, into `memo`,
    where `screen_images` finds them (this process only waits for the last parts, and
    the article's one chapter writes its PDF meanwhile). An image placed larger in
    another part costs one copy more, never another copy: the copies are a pure
    function of the file, the size and the resolution."""
    if memo is None:
        return None

    def placed(sizes: dict) -> None:
        try:
            screen_copies(sizes, book, SCREEN_IMAGE_PPI, memo)
        except Exception:  # noqa: BLE001 - `screen_images` makes it again, and says why
            pass
    return placed


def xmp_packet(fields: dict, identity: PdfIdentity, variant: str, version: int,
               conformance: str | None) -> bytes:
    """WeasyPrint's XMP metadata for the PDF variant, with our stable ids and dates."""
    from weasyprint.pdf.metadata import DocumentMetadata
    metadata = DocumentMetadata(**fields)
    _fix_dates(metadata, identity)
    scratch = pydyf.PDF()
    metadata.include_in_pdf(scratch, variant, version, conformance, compress=False)
    return b"".join(scratch.objects[-1].stream)


def print_from_tagged(tagged: Path, layout, identity: PdfIdentity, target: Path) -> None:
    """`print_edition` of the tagged PDF in file `tagged`."""
    with pikepdf.open(tagged) as pdf:
        print_edition(pdf, layout, identity, target)


def print_edition(pdf: pikepdf.Pdf, layout, identity: PdfIdentity, target: Path) -> None:
    """PDF/X-4 with a CMYK output intent, 3 mm bleed and crop marks, full-resolution images.

    The same pages as the screen PDF, byte for byte: crop marks are drawn around them
    and the metadata says PDF/X-4 (WeasyPrint's own XMP for it, with our stable ids).
    `pdf`: the tagged book, left as it was.
    """
    with as_printed(pdf, layout, identity, target):
        pdf.save(target, deterministic_id=True, force_version=PRINT_VERSION,
                 compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)


@contextmanager
def as_printed(pdf: pikepdf.Pdf, layout, identity: PdfIdentity, target: Path):
    """The tagged book `pdf` as the print edition draws and describes it (crop marks,
    PDF/X-4), until the block ends: the booklet is imposed from these pages."""
    if "/OutputIntents" not in pdf.Root:
        raise OctavoError("the print PDF has no output intent (print.css names the "
                          "CMYK profile)", target)
    contents = [page.obj.get("/Contents") for page in pdf.pages]  # (marks are added in
    # new arrays: these stay as they were)
    metadata, trailer_id = pdf.Root.get("/Metadata"), pdf.trailer.get("/ID")
    info = pdf.trailer.get("/Info")
    trapped = info.get("/Trapped") if info is not None else None
    try:
        add_crop_marks(pdf, layout.crop_marks)
        packet = xmp_packet(layout.metadata, identity, "x", 4, "PDF/X-4")
        pdf.Root.Metadata = pikepdf.Stream(pdf, packet, Type=pikepdf.Name.Metadata,
                                           Subtype=pikepdf.Name.XML)
        pdf.docinfo[pikepdf.Name.Trapped] = pikepdf.Name("/False")
        identifier = pikepdf.String(identity.printed)
        pdf.trailer.ID = pikepdf.Array([identifier, identifier])  # its own, not the screen's
        yield pdf
    finally:
        for page, content in zip(pdf.pages, contents):
            if content is not None:
                page.obj.Contents = content
            elif "/Contents" in page.obj:
                del page.obj.Contents
        _restore(pdf.Root, "/Metadata", metadata)
        _restore(pdf.trailer, "/ID", trailer_id)
        if info is None:
            _restore(pdf.trailer, "/Info", None)
        else:
            _restore(pdf.docinfo, "/Trapped", trapped)


def _restore(dictionary, key: str, value) -> None:
    if value is None:
        if key in dictionary:
            del dictionary[key]
    else:
        dictionary[key] = value
