"""Pages made from the annotated Book and a page map: the contents page, the index, and
the "on page 41" after cross-references. Each function returns fresh elements (or edits
a writer's copy); the paged writer places them with page numbers, the EPUB writer
(`epub=True`) with links only and EPUB's semantics (EPUB Indexes 1.0 for the index)."""

from __future__ import annotations

from lxml.html import builder as E

from ..manuscript.book import Book
from . import index as book_index
from .model import CONTENTS_ID, INDEX_ID, LABEL_CLASS, PART, TITLE_ATTRIBUTE, Structure
from .pagemap import PageMap
from .terms import terms_for
from .xrefs import TARGETS

EPUB_TYPE = "epub:type"  # a literal attribute until the EPUB writer namespaces it


def heading_title(heading) -> str:
    """A heading's title without the label the structure put over it ("Chapter 3")."""
    return heading.get(TITLE_ATTRIBUTE) or " ".join(heading.text_content().split())


def heading_label(heading) -> str:
    """A heading as a contents entry: "Chapter 3: The Arrival", or its title alone."""
    label = heading.find(f".//span[@class='{LABEL_CLASS}']")
    title = heading_title(heading)
    return f"{' '.join(label.text_content().split())}: {title}" if label is not None else title


def _typed(element, epub: bool, kind: str):
    if epub:
        element.set(EPUB_TYPE, kind)
    return element


# ---------- contents ----------

def contents_entries(book: Book):
    """(level, kind, label, title, id) for every line of the contents page: the label a
    chapter's or appendix's number, a part's "Part II"."""
    structure: Structure = book.structure
    entries = []
    for division in structure.divisions:
        if not division.title and not division.label:
            continue
        shown = division.label if division.kind == PART else division.number
        entries.append((1, division.kind, shown, division.title, division.id))
        for section in division.sections:
            if section.level <= structure.contents_depth:
                entries.append((section.level, "section", None, section.title, section.id))
    if structure.index and structure.index_marks:
        entries.append((1, "index", None, terms_for(structure.language).word("index"),
                        INDEX_ID))
    return entries


def contents_page(book: Book, pages: PageMap | None, epub: bool = False):
    """The contents page: a linked line per chapter (and section, per `contents_depth`),
    its page number after dot leaders (not in the EPUB)."""
    title = terms_for(book.structure.language).word("contents")
    heading = E.H1(title, id="contents-heading")
    items = []
    for level, kind, label, text, target in contents_entries(book):
        link = E.A(href=f"#{target}")
        if label:
            link.append(E.SPAN(E.CLASS("toc-label"), label))
            link[-1].tail = " "
        link.append(E.SPAN(E.CLASS("toc-title"), text))
        if pages is not None and not epub:
            link[-1].tail = " "
            link.append(E.SPAN(E.CLASS("toc-page"), pages.label(target) or ""))
        items.append(E.LI(E.CLASS(f"toc-entry toc-{kind} toc-level-{level}"), link))
    nav = E.NAV(E.CLASS("contents"), heading, E.OL(*items), id=CONTENTS_ID, role="doc-toc")
    nav.set("aria-labelledby", "contents-heading")
    return _typed(nav, epub, "toc")


# ---------- the index ----------

def _locators(entry, epub: bool) -> list:
    nodes = []
    for number, locator in enumerate(entry.locators):
        if number:
            nodes.append(", ")
        if isinstance(locator, tuple):
            first, last = (_typed(E.A(item.label, href=f"#{item.id}"), epub, "index-locator")
                           for item in locator)
            nodes.append(_typed(E.SPAN(first, last), epub, "index-locator-range")
                         if epub else first)
            if epub:
                first.tail = "\u2013"
            else:
                nodes += ["\u2013", last]
        else:
            nodes.append(_typed(E.A(locator.label, href=f"#{locator.id}"), epub,
                                "index-locator"))
    return nodes


def _reference(kind: str, words: str, targets: list[str], known: dict, epub: bool):
    span = _typed(E.SPAN(E.CLASS("index-see"), E.EM(words)), epub, kind)
    for number, target in enumerate(targets):
        span[-1].tail = (span[-1].tail or "") + (" " if number == 0 else "; ")
        path = tuple(" ".join(level.split()) for level in target.split(";") if level.strip())
        shown, key = ", ".join(path), tuple(level.casefold() for level in path)
        term = E.A(shown, href=f"#{known[key]}") if key in known else E.SPAN(shown)
        span.append(_typed(term, epub, "index-term"))
    return span


def _entry(entry, known: dict, terms, epub: bool):
    item = _typed(E.LI(E.CLASS("index-entry"), id=entry.id), epub, "index-entry")
    nodes = [_typed(E.SPAN(E.CLASS("index-term"), entry.text), epub, "index-term")]
    if entry.locators:
        nodes += [", ", *_locators(entry, epub)]
    if entry.see:
        nodes += [", ",
                  _reference("index-xref-preferred", terms.word("see"), entry.see, known, epub)]
    if entry.see_also:
        nodes += ["; " if entry.locators or entry.see else " ",
                  _reference("index-xref-related", terms.word("see also"), entry.see_also,
                             known, epub)]
    for node in nodes:
        if isinstance(node, str):
            if len(item):
                item[-1].tail = (item[-1].tail or "") + node
            else:
                item.text = (item.text or "") + node
        else:
            item.append(node)
    if entry.children:
        item.append(_typed(E.UL(E.CLASS("index-entries"),
                                *(_entry(child, known, terms, epub) for child in entry.children)),
                           epub, "index-entry-list"))
    return item


def index_page(book: Book, pages: PageMap, epub: bool = False):
    """The index in letter groups; in the PDF set in two columns (styles), each locator
    a link to the marked spot, labelled with its printed page."""
    structure: Structure = book.structure
    terms = terms_for(structure.language)
    groups = book_index.build(structure, pages)
    known: dict = {}

    def remember(entry):
        known[entry.key] = entry.id
        for child in entry.children:
            remember(child)
    for group in groups:
        for entry in group.entries:
            remember(entry)
    heading = E.H1(terms.word("index"), id="index-heading")
    sections = []
    for number, group in enumerate(groups):
        label = group.letter or terms.word("symbols")
        group_heading = E.H2(E.CLASS("index-letter"), label, id=f"index-group-{number}")
        entries = _typed(E.UL(E.CLASS("index-entries"),
                              *(_entry(entry, known, terms, epub) for entry in group.entries)),
                         epub, "index-entry-list")
        section = _typed(E.SECTION(E.CLASS("index-group"), group_heading, entries), epub,
                         "index-group")
        section.set("aria-labelledby", f"index-group-{number}")
        sections.append(section)
    # The heading stands outside the index proper: so the EPUB's body needs no "index"
    # type (a body can take no matching ARIA role, which Ace asks for).
    columns = _typed(E.SECTION(E.CLASS("index-columns"), *sections, role="doc-index"), epub,
                     "index")
    columns.set("aria-labelledby", "index-heading")
    return E.SECTION(E.CLASS("book-index"), heading, columns, id=INDEX_ID)


# ---------- cross-references: "on page 41" ----------

def add_xref_pages(root, structure: Structure, pages: PageMap) -> None:
    """After each cross-reference in `root` (a writer's copy), "on page 41" (`xref_pages`);
    not after a bare number (`[-@fig:x]`)."""
    if not structure.xref_pages:
        return
    terms = terms_for(structure.language)
    for span in [span for span in root.iter("span") if span.get(TARGETS)]:
        labels = list(dict.fromkeys(label for target in span.get(TARGETS).split()
                                    if (label := pages.label(target))))
        if not labels:
            continue
        separators = terms.join(labels)
        text = " ".join(filter(None, [terms.word("on"), terms.noun("page", len(labels),
                                                                   capital=False)]))
        text += "\u00a0" + "".join(sep + label for sep, label in zip(separators, labels))
        page = E.SPAN(E.CLASS("xref-page"), " " + text)
        span.append(page)

