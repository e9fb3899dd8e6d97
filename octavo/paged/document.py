"""The Book as HTML for paged media (the screen and print PDFs): one document per part.

Only tree transforms on copies of the Book's chapters: footnotes move to their
call sites (for `float: footnote`), the opening paragraph gets its lead-in, and
the end mark closes the text. A book (structure.is_book) gets its front matter apart
(title page, contents, chapters marked as front matter), its index after the text, and
"on page N" after cross-references: the page numbers come from a page map (the parts'
pages, once laid out: paged/pagination.py; a placeholder before). `paged_document` makes
the whole book as one document; `paged_parts` cuts it into the parts WeasyPrint lays
out one by one (the cover, the colophon, the title page, the contents, each chapter,
the index, the back cover: see `Part`).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from lxml import html as lxml_html
from lxml.html import builder as E

from ..manuscript import front_matter
from .layout_map import WORD_JOINER
from .links import mark_external_links
from ..manuscript.book import Book
from ..manuscript.mathtex import math_for_paged
from ..structure.generated import add_xref_pages, contents_page, index_page
from ..structure.pagemap import PageMap
from .placement import Placement

LEAD_IN_WORDS = 3


def _inline_footnotes(body) -> None:
    """<sup><a href=#fn>1</a></sup> + the note list → <span class=footnote> at the call."""
    notes = {li.get("id"): li for li in body.xpath("./div[@class='footnote'][ol]/ol/li[@id]")}
    for call in body.xpath(".//sup[a[contains(@class, 'footnote-ref')]]"):
        note_id = call.find("a").get("href", "").lstrip("#")
        item = notes.get(note_id)
        if item is None:
            continue
        for backref in item.xpath(".//a[contains(@class, 'footnote-backref')]"):
            backref.drop_tree()
        span = E.SPAN(E.CLASS("footnote"), id=note_id)
        paragraphs = item.findall("p") or [item]
        for number, paragraph in enumerate(paragraphs):
            if number:
                span.append(E.BR())
            if paragraph.text:
                if len(span):
                    span[-1].tail = (span[-1].tail or "") + paragraph.text
                else:
                    span.text = (span.text or "") + paragraph.text
            for child in list(paragraph):
                span.append(child)
        if span.text:
            span.text = span.text.lstrip()
        last = span[-1] if len(span) else None
        if last is not None and last.tail:
            last.tail = last.tail.rstrip()
        elif span.text:
            span.text = span.text.rstrip()
        span.tail = call.tail
        call.getparent().replace(call, span)
        _join_to_previous_word(span)
    for block in body.xpath("./div[@class='footnote'][ol]"):  # Python-Markdown's list
        block.drop_tree()


def _join_to_previous_word(element) -> None:
    """Keep a note's call on the line of the word it follows (WeasyPrint may break there),
    also across a space the author left before it (`word ^[note]`): a call never starts
    a line, and a bookmark of a heading shows its call after the joiner (the outline
    check takes it out there)."""
    previous = element.getprevious()
    before = previous.tail if previous is not None else element.getparent().text
    if previous is None and not before:
        return
    if previous is not None:
        previous.tail = (before or "") + WORD_JOINER
    else:
        element.getparent().text = before + WORD_JOINER


def _internal_links(book: Book, chapter, body) -> None:
    """Links between chapters point into the one paged document; broken ones lose their href."""
    for link in body.iter("a"):
        href = link.get("href")
        if not href or urlsplit(href).scheme:
            continue
        target = book.link_target(chapter, href)
        if target is None:
            link.attrib.pop("href")  # reported as MS-004 by the manuscript checks
        else:
            link.set("href", f"#{target}")


def _split_at_divisions(body) -> list:
    """A chapter file holding several chapters (a level-1 heading in its middle, class
    `opens`): a section each, so each opens a page of its own with no running head."""
    sections = [body]
    for number, heading in enumerate(body.xpath("./h1[contains(concat(' ', @class, ' '), "
                                                " ' opens ')]"), 2):
        section = E.SECTION(E.CLASS(body.get("class", "chapter")), id=f"{body.get('id')}-{number}")
        following = [heading, *heading.itersiblings()]
        for element in following:
            section.append(element)  # moves it, with its tail
        sections.append(section)
    return sections


def _opening_paragraphs(article, every_chapter: bool) -> list:
    """The paragraph that opens the text; in a book, the one that opens each chapter (the
    first paragraph after a chapter's heading, none after a part's)."""
    if not every_chapter:  # (not a paragraph of an epigraph, a callout, verse…)
        first = next((p for p in article.iter("p") if front_matter.in_running_text(p)), None)
        return [first] if first is not None else []
    found = []
    for heading in article.iter("h1"):
        if "part" in (heading.get("class") or "").split():
            continue
        following = next((e for e in heading.itersiblings() if e.tag in ("p", "h1", "h2")), None)
        if following is not None and following.tag == "p":
            found.append(following)
    return found


def _lead_in(paragraph) -> None:
    """Set the first words of the text in small capitals, as a magazine opening does."""
    text = paragraph.text or ""
    words = re.match(rf"^\s*((?:\S+\s+){{1,{LEAD_IN_WORDS}}})", text)
    if not words:
        return
    span = E.SPAN(E.CLASS("lead-in"), words.group(1).rstrip())
    span.tail = " " + text[words.end():]
    paragraph.text = None
    paragraph.insert(0, span)


_PREPARED: dict = {}  # (id(book), chapter id, placement) -> (book, structure, its tree)


def _prepared(book: Book, chapter, placement: Placement):
    """A chapter's tree as the paged document has it before the page numbers go in (its
    links, notes, math and figures set for print): the same on every pass of a build
    (paged/pagination.py lays the book out until its page numbers settle), so made
    once per book and placement (and structure: the structure stage numbers the
    chapters' headings), and copied."""
    key = (id(book), chapter.id, placement.decisions())
    if key not in _PREPARED or _PREPARED[key][0] is not book \
            or _PREPARED[key][1] is not book.structure:
        for old in [k for k, (known, structure, _) in _PREPARED.items()
                    if known is not book or structure is not book.structure]:
            del _PREPARED[old]
        body = chapter.copy_body()
        _internal_links(book, chapter, body)
        mark_external_links(body)
        _inline_footnotes(body)
        math_for_paged(body)
        placement.apply(body)
        _PREPARED[key] = (book, book.structure, body)
    return _PREPARED[key][2]


def paged_document(book: Book, placement: Placement | None = None,
                   pages: PageMap | None = None) -> lxml_html.HtmlElement:
    """The whole book as <html> for WeasyPrint, with the figures placed as decided and
    the page numbers of `pages` (a placeholder if None) in the contents, index and
    cross-references."""
    structure = book.structure
    pages = pages or PageMap.placeholder()
    meta = book.metadata
    head = E.HEAD(E.META(charset="utf-8"), E.TITLE(book.display.title))
    for name, value in (("author", ", ".join(meta.authors)),
                        ("description", book.display.description or ""),
                        ("keywords", ", ".join(s.replace("--", "\u2013") for s in meta.subjects)),
                        ("generator", "Octavo"),
                        ("dcterms.created", meta.date or "")):
        if value:
            head.append(E.META(name=name, content=value))

    article, front = E.ARTICLE(E.CLASS("text")), []
    for chapter in book.chapters:
        body = copy.deepcopy(_prepared(book, chapter, placement or Placement()))
        if structure is not None:
            add_xref_pages(body, structure, pages)
        sections = _split_at_divisions(body) if structure is not None and structure.is_book \
            else [body]
        if structure is not None and chapter.id in structure.front_chapters:
            front.extend(sections)
        else:
            article.extend(sections)
    for first in _opening_paragraphs(article, structure is not None and structure.is_book):
        first.set("class", (first.get("class", "") + " opening-paragraph").strip())
        _lead_in(first)
    last = front_matter.last_text_paragraph(article)
    if last is not None:
        last.append(front_matter.end_mark())
        last[-1].tail = None

    parts = [front_matter.cover(book), front_matter.colophon(book), front_matter.opening(book)]
    book_layout = structure is not None and structure.is_book
    if book_layout and structure.contents:
        parts.append(contents_page(book, pages))
    if front:
        parts.append(E.DIV(E.CLASS("front-matter"), *front))
    parts.append(article)
    if structure is not None and structure.index and structure.index_marks:
        parts.append(index_page(book, pages))
    parts.append(front_matter.back_cover(book))
    body = E.BODY(*parts)
    if book_layout:  # front matter apart, each chapter opening its own page
        body.set("class", f"book open-{structure.chapters_open}")
        first = next(section for section in article if section.get("id") == structure.body_start)
        first.set("class", f"{first.get('class', '')} body-start".strip())
    return E.HTML(head, body, lang=meta.language)


# A link to a place in another part: WeasyPrint keeps it as an external link to this
# address, and the assembly makes it a link to the named destination again
# (paged/assemble.py). The manuscript's own links cannot use the scheme (sanitize.py).
XREF_SCHEME = "octavo-xref:"
FRONT, BACK = ("cover", "colophon"), ("back-cover",)


GENERATED = ("contents", "index")  # parts made from the other parts' page numbers


@dataclass(frozen=True)
class Part:
    """One WeasyPrint document of the book: a page of front or back matter, or a chapter.

    Parts are laid out apart (each on its own, in any order) and their pages put
    together in order (paged/pagination.py): a part's layout depends on nothing
    outside it but the page numbers it prints (a contents page, an index, "on page
    N"), given to `paged_parts`. Each is laid out starting on the side `side` names;
    `opens` is the side it must start on (the assembly puts a blank page before it if
    the part before ends on that side), or "any" (a chapter of a book whose chapters
    open on the next page: laid out on the side it falls on)."""
    name: str  # "cover", "colophon", "title", "contents", "ch1" ... "index", "back-cover"
    html: str  # its paged HTML, the figures where the manuscript puts them
    side: str  # "right" or "left": the side of its first page
    images: tuple[str, ...]  # manuscript files it shows (`src`, in the manuscript folder)
    chapter: str | None = None  # the chapter's id, whose figures the placement may move
    numbering: int | None = None  # the folio its first page has; None: count on
    opens: str | None = None  # "right", "left" or "any"; None: `side`
    apart: bool = False  # the book's lone chapter: measured in halves side by side (halves.py)


def _part(name: str, head, pieces: list, side: str, language: str, body_class: str | None,
          chapter: str | None = None, numbering: int | None = None,
          opens: str | None = None) -> Part:
    body = E.BODY(*pieces)
    if body_class:
        body.set("class", body_class)
    root = E.HTML(copy.deepcopy(head), body, lang=language)
    root.set("data-side", side)  # base.css: the first page's side (`break-before`)
    held = {element.get("id") for element in root.iter() if element.get("id")}
    for link in root.iter("a"):
        href = link.get("href", "")
        if href.startswith("#") and href[1:] not in held:  # in another part
            link.set("href", XREF_SCHEME + quote(href[1:], safe=""))
    images = tuple(dict.fromkeys(img.get("src") for img in root.iter("img")
                                 if img.get("src") and not img.get("src").startswith("data:")))
    html = lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return Part(name, html, side, images, chapter, numbering, opens)


def paged_parts(book: Book, pages: PageMap | None = None,
                sides: dict[str, str] | None = None) -> list[Part]:
    """The book as parts, in page order: the cover, the colophon; in an article, the
    opening with the first chapter (they share a page); in a book, the title page, the
    contents, the front matter, each chapter (a part title page alone); the index, the
    back cover (on a left-hand page). The same trees as `paged_document`, cut apart, with
    the page numbers of `pages` (a placeholder if None). `sides`: the side each part
    that opens on "any" side falls on (by name; "right" if not given)."""
    root = paged_document(book, None, pages)
    head, body = root.find("head"), root.find("body")
    language, body_class = root.get("lang"), body.get("class")
    structure, sides = book.structure, sides or {}
    children = list(body)
    cover, colophon, opening, back = children[0], children[1], children[2], children[-1]
    parts = [_part("cover", head, [cover], "right", language, body_class),
             _part("colophon", head, [colophon], "left", language, body_class)]
    in_book = bool(body_class)  # front matter apart: the title page is a page of its own
    if in_book:
        parts.append(_part("title", head, [opening], "right", language, body_class))
    any_side = in_book and structure.chapters_open == "any"
    chapter_at: list[int] = []  # the chapters' places in `parts`
    for element in children[3:-1]:
        kind = element.get("class", "").split()
        if element.tag == "nav":  # the contents page
            parts.append(_part("contents", head, [element], "right", language, body_class))
        elif "book-index" in kind:
            parts.append(_part("index", head, [element], "right", language, body_class))
        elif "front-matter" in kind:
            for section in list(element):
                parts.append(_part(section.get("id"), head, [E.DIV(E.CLASS("front-matter"),
                                                                   section)],
                                   "right", language, body_class, chapter=section.get("id")))
        else:  # the text: a part per chapter
            chapter_at += range(len(parts), len(parts) + len(element))
            for number, section in enumerate(list(element)):
                text = E.ARTICLE(E.CLASS("text"), section)
                text.set("data-running-head", book.display.running_head)
                pieces = [opening, text] if number == 0 and not in_book else [text]
                name = section.get("id")
                first = "body-start" in section.get("class", "").split()
                opens = "any" if any_side and not first else None
                side = sides.get(name, "right") if opens else "right"
                parts.append(_part(name, head, pieces, side, language, body_class,
                                   chapter=name, numbering=1 if first else None, opens=opens))
    parts.append(_part("back-cover", head, [back], "left", language, body_class))
    if len(chapter_at) == 1:  # an article: its one chapter would keep one core busy
        parts[chapter_at[0]] = dataclasses.replace(parts[chapter_at[0]], apart=True)
    return parts
