"""The EPUB 3 edition: `write_epub(book, target, page_starts)`. Read this first.

Stages (each in its own module of this folder):
  cover.py       the cover, generated from the metadata unless the manuscript has one
  media.py       reader copies of the images (≤ 4 MP; JPEG, or lossless PNG/GIF), subset
                 fonts, stylesheet
  content.py     front matter and chapter documents; footnotes → pop-up notes; links
  pages.py       page-break markers where the PDF's pages begin, and the page list
  xhtml.py       XHTML serialisation and the navigation document
  package.py     OPF (with accessibility metadata) and NCX by ebooklib; a reproducible zip
then a Kindle preflight over the finished files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import content
from .cover import HEIGHT, WIDTH, cover_alt, cover_inputs, generate_cover
from .media import (STYLES, Resource, book_images, book_stylesheets, jpeg_copy, style_images,
                    stylesheet, subset_fonts)
from .scriptfonts import MATHML_NS, script_fonts, texts, without_greek
from .package import Document, PackageParts, package_entries, write_zip
from .pages import PageMark, place_page_markers
from .xhtml import XML_NS, TocEntry, nav_document, xhtml_document
from ..errors import EXIT_INTERNAL, OctavoError
from ..manuscript.book import Book
from ..manuscript.load import resolve_inside
from ..manuscript.mathtex import math_for_epub
from ..manuscript.metadata import LANGUAGE_TAG
from ..manuscript.pages import PageStart
from ..structure.pagemap import PageMap

CSS_HREF = "styles/epub.css"
COVER_NAME = "cover.jpg"
LARGE_DOCUMENT = 260_000  # bytes; older Kindles split or refuse larger XHTML files
LARGE_BOOK = 50_000_000  # Send-to-Kindle takes up to 200 MB, readers prefer far less


@dataclass
class EpubInfo:
    """What the build report needs to know about the EPUB it wrote."""
    path: Path
    size: int  # bytes
    files: list[str]  # every entry of the zip, in order
    documents: list[str]  # the content documents, in reading order
    page_list: int  # entries in the page list
    pages: list[PageMark] = field(default_factory=list)
    images: int = 0
    warnings: list[str] = field(default_factory=list)


def _cover(book: Book, memo=None) -> tuple[Resource, str]:
    meta = book.metadata
    if meta.cover:
        path = resolve_inside(book.folder, meta.cover, meta.source, None)  # checked at load
        data, width, height = jpeg_copy(path, limit=WIDTH * HEIGHT, quality=90)
        return (Resource(COVER_NAME, data, "image/jpeg", width, height),
                f"Cover of {book.display.title}.")
    data = memo.remember(memo.key("epub-cover", cover_inputs(book)),  # (drawn and saved:
                         lambda: generate_cover(book)) if memo is not None \
        else generate_cover(book)  #                             0.05-0.2 s a build)
    return Resource(COVER_NAME, data, "image/jpeg", WIDTH, HEIGHT), cover_alt(book)


def _toc(documents: list[content.ContentDocument]) -> list[TocEntry]:
    """Title page, then each chapter document with its next level of headings."""
    toc = [TocEntry("Title page", doc.name) for doc in documents if doc.kind == "titlepage"]
    for doc in documents:
        if doc.kind in ("contents", "index"):
            toc.append(TocEntry(doc.title, doc.name))
        if doc.kind != "chapter":
            continue
        inner = doc.headings[1:] if doc.title_heading else doc.headings
        level = min((h.level for h in inner), default=0)
        if doc.title_heading:
            level = doc.title_heading.level + 1
        children = [TocEntry(h.text, f"{doc.name}#{h.id}") for h in inner
                    if h.level == level and h.id and h.text.strip()]  # (an empty heading
        # has nothing to show in the contents: a link there must hold text)
        toc.append(TocEntry(doc.title, doc.name, children))
    return toc


def _documents(book: Book, starts: list[PageStart] | None, parts: "EpubParts",
               pages: PageMap | None = None):
    """The content documents; with page markers where `starts` says the PDF's pages begin,
    labelled as `pages` numbers them (the PDF's folios)."""
    before, after = content.structure_documents(book, pages)
    documents = content.front_documents(book, parts.cover.name, parts.alt) + before \
        + content.chapter_documents(book) + after
    for doc in documents:
        math_for_epub(doc.root)  # MathML, with the TeX as its alttext
    content.mark_opening_paragraph(documents, book.structure is not None
                                   and book.structure.is_book)
    content.set_image_sources(documents, parts.sources)
    marks, problems = place_page_markers(documents, starts, pages) if starts is not None \
        else ([], [])
    content.add_end_mark(documents)
    content.rewrite_links(book, documents)
    for doc in documents:
        content.finish(doc)
    return documents, marks, problems


def preflight(entries: list[tuple[str, bytes]]) -> tuple[list[str], list[str]]:
    """Kindle's (and everyone's) preflight: (errors, warnings) over the finished files."""
    errors, warnings = [], []
    total = 0
    for name, data in entries:
        total += len(data)
        if not name.endswith(".xhtml"):
            continue
        if not data.startswith(b'<?xml version="1.0" encoding="utf-8"?>'):
            errors.append(f"{name}: no XML declaration with its encoding")
        root = etree.fromstring(data)
        if not root.get("lang") or root.get(f"{{{XML_NS}}}lang") != root.get("lang"):
            errors.append(f"{name}: the root has no matching lang and xml:lang")
        for element in root.iter():
            if not isinstance(element.tag, str):
                errors.append(f"{name}: a comment or processing instruction was left in")
                continue
            local = etree.QName(element).localname
            if local == "script":
                errors.append(f"{name}: a script element")
            if local == "img" and (not element.get("src") or element.get("alt") is None):
                errors.append(f"{name}: an img without src or alt")
            for attribute in ("lang", f"{{{XML_NS}}}lang"):
                value = element.get(attribute)
                if value is not None and not LANGUAGE_TAG.match(value):
                    errors.append(f"{name}: malformed language tag {value!r}")
        if len(data) > LARGE_DOCUMENT:
            warnings.append(f"{name} is {len(data) // 1000} kB: split the chapter")
    if total > LARGE_BOOK:
        warnings.append(f"the EPUB holds {total // 1_000_000} MB: reduce the images")
    return errors, warnings


@dataclass
class EpubParts:
    """What the EPUB needs that does not depend on the PDF's pages: made during the layout."""
    cover: Resource
    alt: str
    sources: dict[str, str]  # manuscript src -> href in the EPUB
    images: list[Resource]
    fonts: list[Resource]
    stylesheet: Resource
    book_styles: list[Resource] = field(default_factory=list)  # the book's EPUB CSS, its files
    css: tuple[str, ...] = (CSS_HREF,)  # what each document links: epub.css, then the book's
    style_images: list[Resource] = field(default_factory=list)  # what the stylesheet draws


PAGE_LABEL_CHARACTERS = "0123456789ivxlcdm"  # the page list's labels (roman: front matter)


def prepare_epub(book: Book, styles: Path = STYLES, memo=None) -> EpubParts:
    """The cover, the readers' copies of the images and the font subsets (the last two
    kept in `memo`, the runner's `Memo`, if given).

    The fonts are cut down to the text of the documents, the navigation and the page
    labels, so page markers placed later need no new glyph.
    """
    cover, alt = _cover(book, memo)
    sources, images = book_images(book, memo)
    hrefs, book_styles = book_stylesheets(book)
    parts = EpubParts(cover, alt, sources, images, [], stylesheet(styles), book_styles,
                      (CSS_HREF, *hrefs), style_images(styles))
    documents, _, _ = _documents(book, None, parts)
    built = [xhtml_document(doc.title, book.metadata.language, doc.root, parts.css,
                            doc.body_type) for doc in documents]
    outside, in_math = texts(built + [_nav(book, documents, [], parts.css)])
    outside += PAGE_LABEL_CHARACTERS
    extra, rules = script_fonts(outside, in_math, styles)  # other scripts, symbols, math
    parts.fonts = subset_fonts(without_greek(outside), memo) + extra
    if rules:
        parts.stylesheet = Resource(parts.stylesheet.name,
                                    b"\n".join([parts.stylesheet.data, *rules]),
                                    parts.stylesheet.media_type)
    return parts


def _landmarks(documents) -> list[tuple[str, str, str]]:
    first_text = next(doc.name for doc in documents if doc.kind == "chapter"
                      and doc.body_type == "bodymatter")
    marks = [("cover", "cover.xhtml", "Cover"), ("titlepage", "title.xhtml", "Title page")]
    marks += [("toc", doc.name, doc.title) for doc in documents if doc.kind == "contents"]
    marks.append(("bodymatter", first_text, "Start of the text"))
    marks += [("index", doc.name, doc.title) for doc in documents if doc.kind == "index"]
    return marks


def _nav(book: Book, documents, marks: list[PageMark], css: tuple[str, ...]) -> bytes:
    return nav_document(book.display.title, book.metadata.language, _toc(documents),
                        _landmarks(documents), [(mark.label, mark.href) for mark in marks],
                        css)


def write_epub(book: Book, target: Path, page_starts: list[PageStart],
               styles: Path = STYLES, parts: EpubParts | None = None,
               pages: PageMap | None = None) -> EpubInfo:
    """Write the EPUB 3 edition of `book` to `target`, with the PDF's page list.

    `styles` is the folder holding epub.css (styles/ unless a build chose a copy);
    `parts`, from `prepare_epub`, if they were made ahead (on the other core); `pages`,
    the PDF's page map: the page list's labels and the index's locators."""
    meta = book.metadata
    stamp = meta.timestamp(os.environ.get("SOURCE_DATE_EPOCH"))
    parts = parts or prepare_epub(book, styles)
    documents, marks, warnings = _documents(book, page_starts, parts, pages)

    built = [Document(f"doc-{doc.name.removesuffix('.xhtml')}", doc.name, doc.title,
                      xhtml_document(doc.title, meta.language, doc.root, parts.css,
                                     doc.body_type))
             for doc in documents]
    for document in built:
        if MATHML_NS.encode() in document.data:
            document.properties.append("mathml")
    first_text = next(href for kind, href, _ in _landmarks(documents) if kind == "bodymatter")
    package = PackageParts(
        documents=built, nav=_nav(book, documents, marks, parts.css), toc=_toc(documents),
        cover=parts.cover, stamp=stamp,
        guide=[("cover", "cover.xhtml", "Cover"), ("title-page", "title.xhtml", "Title page"),
               ("text", first_text, "Start of the text")],
        indexes=[doc.name for doc in documents if doc.kind == "index"],
        resources=[parts.stylesheet, *parts.style_images, *parts.book_styles, *parts.images,
                   *parts.fonts],
        page_count=len(marks),
        has_images=bool(parts.images), pdf_name=f"{meta.slug}.pdf")
    entries = package_entries(book, package)
    errors, preflight_warnings = preflight(entries)
    if errors:
        raise OctavoError("the EPUB fails the preflight: " + "; ".join(errors), target,
                          exit_code=EXIT_INTERNAL)
    size = write_zip(target, entries, stamp)
    return EpubInfo(Path(target), size, [name for name, _ in entries],
                    [doc.name for doc in documents], len(marks), marks, len(parts.images),
                    warnings + preflight_warnings)
