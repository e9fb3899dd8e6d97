"""The EPUB package: ebooklib's OPF and NCX, our metadata, and a reproducible zip.

ebooklib 0.20 assembles the manifest, spine, guide, OPF metadata and NCX. It is
given finished bytes for every content document and for the navigation document
(it cannot write landmarks with a cover, nor a page list of our markers), and its
entries are collected in memory instead of zipped: the zip is ours, so that two
builds of the same book are byte-identical (mimetype first and stored, fixed
timestamps, fixed order) and the OPF can get the `xml:lang` ebooklib cannot write.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ebooklib import epub
from lxml import etree

from .media import Resource
from .xhtml import XML_NS, TocEntry
from ..manuscript.book import Book

CONTENT_DIR = "EPUB"
OPF_PATH = f"{CONTENT_DIR}/content.opf"
MIMETYPE = b"application/epub+zip"
DISPLAY_OPTIONS_PATH = "META-INF/com.apple.ibooks.display-options.xml"
DISPLAY_OPTIONS = b"""<?xml version="1.0" encoding="utf-8"?>
<display_options>
  <platform name="*">
    <option name="specified-fonts">true</option>
  </platform>
</display_options>
"""
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)  # the earliest zip date


@dataclass
class Document:
    uid: str
    name: str
    title: str
    data: bytes
    properties: list[str] = field(default_factory=list)  # manifest properties ("mathml")


@dataclass
class PackageParts:
    documents: list[Document]  # in reading order: they make the spine
    nav: bytes
    toc: list[TocEntry]  # for the NCX
    guide: list[tuple[str, str, str]]  # (EPUB 2 guide type, href, title)
    cover: Resource
    resources: list[Resource]  # images, fonts, stylesheet
    stamp: dt.datetime  # dcterms:modified and the zip entries' dates
    page_count: int = 0  # entries in the page list
    has_images: bool = False
    pdf_name: str = ""
    extra_metadata: list[tuple[str, str]] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)  # index documents (EPUB Indexes 1.0)


class _Prebuilt(epub.EpubHtml):
    """A content document whose bytes are already made (ebooklib would re-render it)."""

    def get_content(self, default=None):
        return self.content


class _Entries:
    """Stands in for ebooklib's ZipFile: keeps the entries, in order, in memory."""

    def __init__(self):
        self.entries: dict[str, bytes] = {}

    def writestr(self, name, data, compress_type=None):
        self.entries[name] = data.encode("utf-8") if isinstance(data, str) else data


class _Writer(epub.EpubWriter):
    def _get_nav(self, item):
        return item.content

    def entries(self) -> dict[str, bytes]:
        self.out = _Entries()
        self._write_container()
        self._write_opf()
        self._write_items()
        return self.out.entries


def accessibility_metadata(book: Book, parts: PackageParts) -> list[tuple[str, str]]:
    """schema.org accessibility metadata, derived from what the book contains."""
    metadata = [("schema:accessMode", "textual")]
    if parts.has_images:
        metadata.append(("schema:accessMode", "visual"))
    metadata.append(("schema:accessModeSufficient", "textual"))
    if parts.has_images:
        metadata.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if parts.has_images:
        features.insert(0, "alternativeText")
    if parts.page_count:
        features += ["printPageNumbers", "pageBreakMarkers", "pageNavigation"]
    metadata += [("schema:accessibilityFeature", feature) for feature in features]
    metadata.append(("schema:accessibilityHazard", "none"))
    summary = ("This publication conforms to EPUB Accessibility 1.1, WCAG 2.1 Level AA. "
               "It has a table of contents, landmarks and a logical reading order; "
               "its text can be reflowed and its fonts changed.")
    if parts.has_images:
        summary += " Every image has a text alternative, and captions."
    if parts.page_count:
        summary += (f" Page-break markers and a page list give the page numbers of the "
                    f"PDF edition ({parts.pdf_name}).")
    metadata.append(("schema:accessibilitySummary", summary))
    metadata.append(("dcterms:conformsTo", CONFORMS_TO))
    metadata.append(("a11y:certifiedBy", book.metadata.publisher or "Octavo"))
    if parts.page_count:
        metadata.append(("pageBreakSource", f"{book.metadata.identifier} "
                                            f"(PDF edition: {parts.pdf_name})"))
    return metadata


def _ebook(book: Book, parts: PackageParts) -> epub.EpubBook:
    meta = book.metadata
    ebook = epub.EpubBook()
    ebook.set_identifier(meta.identifier)
    ebook.set_title(book.display.title)
    ebook.set_language(meta.language)
    for number, author in enumerate(meta.authors, 1):
        ebook.add_author(author, uid=f"creator{number}")
    for key in ("publisher", "rights", "description"):
        if getattr(book.display, key):
            ebook.add_metadata("DC", key, getattr(book.display, key))
    for subject in meta.subjects:
        ebook.add_metadata("DC", "subject", subject.replace(" -- ", " \u2013 "))
    if meta.date:
        ebook.add_metadata("DC", "date", meta.date)
    for prop, value in accessibility_metadata(book, parts) + parts.extra_metadata:
        ebook.add_metadata(None, "meta", value, {"property": prop})

    ebook.set_cover(parts.cover.name, parts.cover.data, create_page=False)
    for resource in parts.resources:
        uid = "r-" + re.sub(r"[^A-Za-z0-9_-]", "-", resource.name)  # a.jpg ≠ a.svg
        ebook.add_item(epub.EpubItem(uid=uid, file_name=resource.name,
                                     media_type=resource.media_type, content=resource.data))
    spine = []
    for doc in parts.documents:
        item = _Prebuilt(uid=doc.uid, file_name=doc.name, title=doc.title,
                         lang=meta.language)
        item.content = doc.data
        item.properties = list(doc.properties)
        ebook.add_item(item)
        spine.append(item)
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml")
    nav.content = parts.nav
    ebook.add_item(nav)
    ebook.add_item(epub.EpubNcx())
    ebook.spine = spine
    ebook.toc = _ncx_entries(parts.toc)
    ebook.guide = [{"type": kind, "href": href, "title": title}
                   for kind, href, title in parts.guide]
    return ebook


def _ncx_entries(entries: list[TocEntry]) -> list:
    counter = itertools.count(1)

    def convert(entry: TocEntry):
        uid = f"navpoint-{next(counter)}"
        if entry.children:
            return (epub.Section(entry.label, entry.href), [convert(c) for c in entry.children])
        return epub.Link(entry.href, entry.label, uid)

    return [convert(entry) for entry in entries]


def _finish_opf(data: bytes, language: str, indexes: list[str] = ()) -> bytes:
    """`xml:lang` on <package>; no re-declared reserved prefixes (OPF-007); each index
    document named in a `collection role="index"` (EPUB Indexes 1.0, which epubcheck
    then checks)."""
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
    root.set(f"{{{XML_NS}}}lang", language)
    root.attrib.pop("prefix", None)
    for name in indexes:
        collection = etree.SubElement(root, f"{{{root.nsmap[None]}}}collection", role="index")
        etree.SubElement(collection, f"{{{root.nsmap[None]}}}link", href=name)
    return (b'<?xml version="1.0" encoding="utf-8"?>\n'
            + etree.tostring(root, encoding="utf-8", pretty_print=True))


def package_entries(book: Book, parts: PackageParts) -> list[tuple[str, bytes]]:
    """Every file of the EPUB, in the order it is zipped."""
    entries = _Writer("", _ebook(book, parts), {"mtime": parts.stamp}).entries()
    entries[OPF_PATH] = _finish_opf(entries[OPF_PATH], book.metadata.language, parts.indexes)
    first = ["META-INF/container.xml", OPF_PATH]
    ordered = [("mimetype", MIMETYPE)]
    ordered += [(name, entries[name]) for name in first]
    ordered.append((DISPLAY_OPTIONS_PATH, DISPLAY_OPTIONS))
    ordered += [(name, data) for name, data in entries.items() if name not in first]
    return ordered


STORED = (".jpg", ".jpeg", ".png", ".gif", ".webp")  # deflate would gain ~1 %, for 0.4 s


def write_zip(target: Path, entries: list[tuple[str, bytes]], stamp: dt.datetime) -> int:
    """A deterministic zip: fixed dates, modes and order; mimetype first, stored; images
    stored (they are compressed already), the rest deflated."""
    when = max(stamp.astimezone(dt.timezone.utc), ZIP_EPOCH)
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = 3  # unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            if name == "mimetype" or name.lower().endswith(STORED):
                info.compress_type = zipfile.ZIP_STORED  # images: compressed already
                archive.writestr(info, data)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
    return Path(target).stat().st_size
