"""The Book's chapters and front matter as EPUB content documents (tree transforms).

Everything here works on copies of the Book's lxml trees, in plain (unnamespaced)
HTML, with `epub:type` written as a literal attribute; `xhtml` turns a finished
document into namespaced XHTML bytes. The steps, in the order `writer.py` runs them:

1. `front_documents` and `chapter_documents`: one document for the cover page, the
   colophon and the title page; one per chapter, split again at each `<h1>` (so a
   Markdown file holding a whole book still gives one file per chapter; an article
   with `##` subheads stays one file).
2. footnotes become `epub:type="noteref"` links and `<aside epub:type="footnote">`
   notes at the end of the document that cites them (pop-up notes on Apple Books and
   Kobo), each with a back link.
3. `mark_opening_paragraph`, `set_image_sources` (the reader copies).
4. (`pages.py` places the page-break markers, using the `data-o` keys.)
5. `add_end_mark`; `rewrite_links` points each internal link at the file that now
   holds its target; `finish` drops `data-o` and mirrors `lang` to `xml:lang`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lxml import html as lxml_html
from lxml.html import builder as E

from ..manuscript import front_matter
from ..errors import OctavoError
from ..manuscript.book import BLOCK_KEY, Book, Chapter
from ..manuscript.metadata import LANGUAGE_TAG
from ..structure.generated import contents_page, heading_label, index_page
from ..structure.pagemap import PageMap

EPUB_TYPE = "epub:type"  # a literal attribute until `xhtml` namespaces it
SPLIT_HEADING = "h1"
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BACKLINK_LABEL = "Back to the text"


@dataclass
class Heading:
    level: int
    id: str
    text: str


@dataclass
class ContentDocument:
    """One XHTML file of the EPUB, before serialisation."""
    name: str  # file name inside the EPUB's content folder, e.g. "ch1.xhtml"
    title: str  # its <title>, and its label in the table of contents
    kind: str  # "cover", "colophon", "titlepage", "contents", "chapter" or "index"
    root: lxml_html.HtmlElement  # the element placed in <body>
    body_type: str  # epub:type of <body>: "frontmatter", "bodymatter" or "backmatter"
    chapter: Chapter | None = None
    headings: list[Heading] = field(default_factory=list)
    title_heading: Heading | None = None  # the heading that opens the document, if any

    def ids(self) -> set[str]:
        return {element.get("id") for element in self.root.iter() if element.get("id")}


# ---------- front matter ----------

def front_documents(book: Book, cover_href: str, cover_alt: str) -> list[ContentDocument]:
    """Cover page, colophon and title page, in the PDF's order (pages 1, 2 and 3)."""
    cover_image = E.IMG(src=cover_href, alt=cover_alt, role="doc-cover")
    cover = E.SECTION(E.CLASS("cover-page"), cover_image, id="cover")
    cover.set(EPUB_TYPE, "cover")

    colophon = front_matter.colophon(book)
    colophon.set(EPUB_TYPE, "colophon")
    colophon.set("role", "doc-colophon")
    colophon.set("aria-label", "Colophon")

    opening = front_matter.opening(book)
    opening.attrib.pop("data-running-head", None)
    heading = opening.find("h1")
    heading.set("id", "title-heading")
    titlepage = E.SECTION(E.CLASS("titlepage"), opening, id="titlepage")
    titlepage.set(EPUB_TYPE, "titlepage")
    titlepage.set("aria-labelledby", "title-heading")
    title = book.display.title
    return [
        ContentDocument("cover.xhtml", "Cover", "cover", cover, "frontmatter"),
        ContentDocument("colophon.xhtml", "Colophon", "colophon", colophon, "frontmatter"),
        ContentDocument("title.xhtml", title, "titlepage", titlepage, "frontmatter"),
    ]


# ---------- chapters ----------

def _split_at_top_headings(body) -> list[list]:
    """The children of a chapter's <section>, cut before each <h1>."""
    parts: list[list] = [[]]
    for child in body:
        if child.tag == SPLIT_HEADING and any(_has_content(c) for c in parts[-1]):
            parts.append([])
        parts[-1].append(child)
    return parts


def _has_content(element) -> bool:
    return element.tag in ("img", "figure", "table", "hr") or bool(element.text_content().strip())


def chapter_documents(book: Book) -> list[ContentDocument]:
    documents = []
    for chapter in book.chapters:
        body = chapter.copy_body()
        notes = _take_notes(body)
        parts = _split_at_top_headings(body)
        for number, children in enumerate(parts, 1):
            part_id = chapter.id if number == 1 else f"{chapter.id}-{number}"
            section = E.SECTION(E.CLASS("chapter"), id=part_id)
            section.set(EPUB_TYPE, "chapter")
            section.set("role", "doc-chapter")
            section.extend(children)
            headings = [Heading(int(h.tag[1]), h.get("id", ""), h.text_content().strip())
                        for h in section.iter(*HEADINGS)]
            opening = children[0] if children and children[0].tag in HEADINGS else None
            if opening is not None and opening.text_content().strip():
                title = heading_label(opening)  # "Chapter 3: The Arrival"
            elif len(book.chapters) == 1:
                title = book.display.title
            else:
                title = chapter.title or f"Chapter {chapter.id.removeprefix('ch')}"
            if opening is not None and opening.get("id"):
                section.set("aria-labelledby", opening.get("id"))
            else:
                section.set("aria-label", title)
            _notes_to_asides(section, notes, last=number == len(parts))
            front = book.structure is not None and chapter.id in book.structure.front_chapters
            documents.append(ContentDocument(
                f"{part_id}.xhtml", title, "chapter", section,
                "frontmatter" if front else "bodymatter", chapter,
                headings, Heading(int(opening.tag[1]), opening.get("id", ""), title)
                if opening is not None else None))
    return documents


# ---------- pages made from the structure ----------

def structure_documents(book: Book, pages: PageMap | None) -> tuple[list, list]:
    """(documents after the title page, documents after the text): the contents page if
    `contents_in_epub` (the nav is the EPUB's own contents), and the index (its locators
    links labelled with the print pages of `pages`, placeholders without it)."""
    structure = book.structure
    before, after = [], []
    if structure is None:
        return before, after
    if structure.contents and structure.contents_in_epub:
        nav = contents_page(book, None, epub=True)
        before.append(ContentDocument("contents.xhtml", nav.findtext("h1"), "contents", nav,
                                      "frontmatter"))
    if structure.index and structure.index_marks:
        root = index_page(book, pages or PageMap.placeholder(), epub=True)
        after.append(ContentDocument("index.xhtml", root.findtext("h1"), "index", root,
                                     "backmatter"))
    return before, after


# ---------- footnotes ----------

def _take_notes(body) -> dict[str, tuple[int, lxml_html.HtmlElement]]:
    """Remove Python-Markdown's note list; return (number, item) by note id, in order."""
    notes = {}
    for block in body.xpath("./div[@class='footnote'][ol]"):  # Python-Markdown's list
        for number, item in enumerate(block.xpath("./ol/li[@id]"), 1):
            notes[item.get("id")] = (number, item)
        block.drop_tree()
    return notes


def _notes_to_asides(section, notes: dict, last: bool) -> None:
    """Note calls become noterefs; the notes they call follow as asides.

    A note goes to the first part of the chapter that cites it (`notes` is shared by
    the parts and emptied as they take them); notes nobody cites go to the last part.
    """
    cited = []
    for call in section.xpath(".//sup[a[contains(concat(' ', @class, ' '), ' footnote-ref ')]]"):
        link = call.find("a")
        link.set(EPUB_TYPE, "noteref")
        link.set("role", "doc-noteref")
        if call.get("id"):
            link.set("id", call.attrib.pop("id"))
        note_id = link.get("href", "").removeprefix("#")
        if note_id in notes and note_id not in cited:
            cited.append(note_id)
    if last:
        cited += [note_id for note_id in notes if note_id not in cited]
    if cited:
        section.append(E.DIV(E.CLASS("footnotes"), *(_aside(*notes.pop(n)) for n in cited)))


def _aside(number: int, item) -> lxml_html.HtmlElement:
    aside = E.ASIDE(E.CLASS("footnote"), id=item.get("id"))
    aside.set(EPUB_TYPE, "footnote")
    aside.set("role", "doc-footnote")
    if item.find("p") is None:  # a note without paragraphs: wrap its content in one
        paragraph = E.P(item.text or "", *item)
        item.text = None
        item.append(paragraph)
    for child in item:
        aside.append(child)
    first = aside.find("p")
    label = E.SPAN(E.CLASS("note-number"), f"{number}.")
    label.tail = " " + (first.text or "").lstrip()
    first.text = None
    first.insert(0, label)
    for backlink in aside.xpath(".//a[contains(concat(' ', @class, ' '), ' footnote-backref ')]"):
        backlink.set("role", "doc-backlink")
        backlink.set("aria-label", BACKLINK_LABEL)
        backlink.attrib.pop("title", None)
    return aside


# ---------- finishing ----------

def add_end_mark(documents: list[ContentDocument]) -> None:
    """The end mark closes the last paragraph of the text, as in the PDF."""
    chapters = [doc for doc in documents if doc.kind == "chapter"]
    if not chapters:
        return
    last = front_matter.last_text_paragraph(chapters[-1].root)
    if last is not None:
        last.append(front_matter.end_mark())


def mark_opening_paragraph(documents: list[ContentDocument], every_chapter: bool = False) -> None:
    """The first paragraph of the text opens in small capitals (CSS ::first-line); in a
    book (`every_chapter`), the first paragraph of every chapter, as in the PDFs."""
    for doc in documents:
        if doc.kind == "chapter":
            first = next((p for p in doc.root.iter("p") if p.getparent() is doc.root), None)
            if first is not None:
                first.set("class", (first.get("class", "") + " opening-paragraph").strip())
            if not every_chapter:
                return


def set_image_sources(documents: list[ContentDocument], sources: dict[str, str]) -> None:
    """`sources`: manuscript src as written -> href inside the EPUB."""
    for doc in documents:
        if doc.kind == "cover":
            continue
        for img in doc.root.iter("img"):
            img.set("src", sources[img.get("src", "")])
            img.attrib.pop("width", None)
            img.attrib.pop("height", None)


def rewrite_links(book: Book, documents: list[ContentDocument]) -> None:
    """Point every internal link at the file that now holds its target."""
    where: dict[tuple[str, str], str] = {}  # (chapter id, element id) -> file name
    anywhere: dict[str, list[str]] = {}  # element id -> file names
    first_file: dict[str, str] = {}  # chapter name (its path in the folder) -> its first file
    for doc in documents:
        chapter_id = doc.chapter.id if doc.chapter else doc.kind
        if doc.chapter is not None:
            first_file.setdefault(doc.chapter.name, doc.name)
        for element_id in doc.ids():
            where[(chapter_id, element_id)] = doc.name
            anywhere.setdefault(element_id, []).append(doc.name)
    by_source = {chapter.name: chapter for chapter in book.chapters}
    for doc in documents:
        if doc.kind in ("contents", "index"):  # made from the structure: ids are the book's
            for link in doc.root.iter("a"):
                target = (link.get("href") or "").partition("#")[2]
                if link.get("href", "").startswith("#") and anywhere.get(target):
                    link.set("href", _relative(doc, anywhere[target][0], target))
            continue
        if doc.chapter is None:
            continue
        for link in doc.root.iter("a"):
            href = link.get("href")
            if href is None or urlsplit(href).scheme:
                continue
            try:
                link.set("href", _resolve(href, doc, where, anywhere, first_file, by_source))
            except OctavoError:
                link.attrib.pop("href")  # reported as MS-004 by the manuscript checks


def _resolve(href, doc, where, anywhere, first_file, by_source) -> str:
    path, _, fragment = href.partition("#")
    fragment = unquote(fragment)
    chapter = doc.chapter
    if path:
        name = unquote(path)  # the loader wrote links to chapters as their names
        target = by_source.get(name)
        if target is None:
            raise _bad_link(doc, href, "it is not a chapter of this book",
                            "link to a chapter file listed in `chapters`, or to #an-id")
        if not fragment:
            return _relative(doc, first_file[name], "")
        chapter = target
    found = where.get((chapter.id, fragment))
    if found is None and not path:
        candidates = anywhere.get(fragment, [])
        found = candidates[0] if len(candidates) == 1 else None
    if found is None:
        raise _bad_link(doc, href, f"no element has the id {fragment!r}",
                        "check the heading or figure the link points to")
    return _relative(doc, found, fragment)


def _relative(doc: ContentDocument, name: str, fragment: str) -> str:
    if name == doc.name and fragment:
        return f"#{fragment}"
    return f"{name}#{fragment}" if fragment else name


def _bad_link(doc: ContentDocument, href: str, why: str, hint: str) -> OctavoError:
    chapter = doc.chapter
    lines = chapter.markdown.splitlines() if chapter else []
    line = next((number for number, text in enumerate(lines, 1) if f"({href}" in text), None)
    return OctavoError(f"the link {href!r} cannot be followed: {why}",
                       chapter.source if chapter else None, line, hint=hint)


def finish(doc: ContentDocument) -> None:
    """Drop the block keys; check and mirror language tags."""
    for element in doc.root.iter():
        if not isinstance(element.tag, str):
            continue
        element.attrib.pop(BLOCK_KEY, None)
        language = element.get("lang")
        if language is not None:
            if not LANGUAGE_TAG.match(language):
                raise OctavoError(f"{language!r} is not a language tag",
                                  doc.chapter.source if doc.chapter else None,
                                  doc.chapter.line_of(element.text_content())
                                  if doc.chapter else None,
                                  hint="use a BCP 47 tag such as `en` or `az-Latn`")
            element.set("xml:lang", language)
