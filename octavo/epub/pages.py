"""Page-break markers: where each page of the PDF edition begins, inside the EPUB.

`pdf.page_starts` names, for every PDF page, the block (its `data-o` key, or one of
the front and back matter ids) and how many non-space characters of that block's
own text lie on earlier pages. The same count is made here over the same tree, so
the marker lands on the character where the PDF page begins; it is then moved back
to the start of the word (a page that begins inside a word hyphenated across the
page turn gets its marker before that word).

Conventions, where the EPUB differs from the PDF:
- "cover", "colophon", "title": the start of the cover page, colophon and title page.
- "contents": the contents page, if the EPUB has one (`contents_in_epub`); if not, the
  marker closes the title page document. "index": the index, its later pages placed by
  their offset (the EPUB's index has the PDF's text: the same entries and page labels).
- "back-cover": the EPUB has no back cover page (its text is the description in the
  package metadata), so that marker closes the last chapter document, after the
  text and its notes: "p. 20" then means "after the end".
- a page whose first text is a figure caption begins at the figure's image (a
  figure never breaks, and the PDF's text boxes do not include images).
- a block's "own" text excludes nested blocks with their own key (they are counted
  under their key, as in the PDF) and note-call numbers (which the PDF turns into
  generated footnote calls, not text).
- a page without text (a blank verso) has no start and so no marker.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import builder as E

from .content import EPUB_TYPE, ContentDocument
from ..manuscript.book import BLOCK_KEY
from ..manuscript.pages import PageStart

FRONT_KEYS = {"cover": "cover", "colophon": "colophon", "title": "titlepage",
              "contents": "contents"}
CONTENTS_KEY, INDEX_KEY = "contents", "index"  # the structure's pages (see below)
BACK_KEY = "back-cover"
# Parents whose content model has no room for a <span> child.
NO_PHRASING = {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "colgroup"}


@dataclass(frozen=True)
class PageMark:
    page: int
    document: str  # file name of the content document holding the marker
    id: str
    label: str = ""  # the printed page number (roman in a book's front matter)

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", str(self.page))

    @property
    def href(self) -> str:
        return f"{self.document}#{self.id}"


def page_marker(page: int, label: str | None = None):
    label = label or str(page)
    span = E.SPAN(id=f"page-{page}", role="doc-pagebreak", title=label)
    span.set(EPUB_TYPE, "pagebreak")
    span.set("aria-label", label)
    return span


def is_marker(element) -> bool:
    return element.get(EPUB_TYPE) == "pagebreak"


def _is_note_call(element) -> bool:
    classes = element.get("class", "").split()
    if element.tag == "a" and "footnote-ref" in classes:
        return True
    return element.tag == "sup" and any(
        "footnote-ref" in child.get("class", "").split() for child in element.iter("a"))


def own_text_nodes(block) -> list[tuple]:
    """(element, "text" | "tail") for each text node counted under this block's key."""
    nodes = []

    def walk(element):
        if element.text:
            nodes.append((element, "text"))
        for child in element:
            if isinstance(child.tag, str) and not (
                    child.get(BLOCK_KEY) or _is_note_call(child) or is_marker(child)):
                walk(child)
            if child.tail:
                nodes.append((child, "tail"))

    walk(block)
    return nodes


def own_text(block) -> str:
    return "".join(getattr(node, attr) for node, attr in own_text_nodes(block))


def _insert_first(container, span) -> None:
    span.tail = container.text
    container.text = None
    container.insert(0, span)


def _place_at_block_start(block, span) -> None:
    target = next(block.iterancestors("figure"), block) if block.tag != "figure" else block
    parent = target.getparent()
    if parent is not None and parent.tag not in NO_PHRASING:
        target.addprevious(span)
    else:
        _insert_first(target, span)


def _find(nodes, offset) -> tuple[int, int] | None:
    """(node index, character index) of the non-space character number `offset`."""
    count = 0
    for index, (node, attr) in enumerate(nodes):
        for position, char in enumerate(getattr(node, attr)):
            if char.isspace():
                continue
            if count == offset:
                return index, position
            count += 1
    return None


def _word_start(nodes, index, position) -> tuple[int, int]:
    while True:
        text = getattr(*nodes[index])
        while position > 0 and not text[position - 1].isspace():
            position -= 1
        if position > 0 or index == 0:
            return index, position
        previous = getattr(*nodes[index - 1])
        if not previous or previous[-1].isspace():
            return index, position
        index, position = index - 1, len(previous)


def place_in_block(block, offset: int, span) -> None:
    if offset <= 0:
        _place_at_block_start(block, span)
        return
    nodes = own_text_nodes(block)
    found = _find(nodes, offset)
    if found is None:  # past the end: the block ended on the previous page
        block.append(span)
        return
    index, position = _word_start(nodes, *found)
    node, attr = nodes[index]
    text = getattr(node, attr)
    if attr == "text" and position == 0 and node is not block:
        node.addprevious(span)  # before the inline element that starts the word
    elif attr == "text":
        node.text, span.tail = text[:position], text[position:]
        node.insert(0, span)
    else:
        node.tail, span.tail = text[:position], text[position:]
        parent = node.getparent()
        parent.insert(parent.index(node) + 1, span)


def place_page_markers(documents: list[ContentDocument], starts: list[PageStart],
                       pages=None) -> tuple[list[PageMark], list[str]]:
    """Insert a marker for every page start; return the marks and any problems.

    `pages` (structure.pagemap.PageMap) labels the pages as the PDF prints them."""
    blocks = {}
    for doc in documents:
        for element in doc.root.iter():
            if isinstance(element.tag, str) and element.get(BLOCK_KEY):
                blocks[element.get(BLOCK_KEY)] = (doc, element)
    by_kind = {doc.kind: doc for doc in documents}
    chapters = [doc for doc in documents if doc.kind == "chapter"]
    taken = {element_id for doc in documents for element_id in doc.ids()}
    marks, problems = [], []
    for start in sorted(starts, key=lambda s: s.page):
        label = pages.label_of_page(start.page) if pages is not None else str(start.page)
        span = page_marker(start.page, label)
        while span.get("id") in taken:  # a heading may be called "Page 3" (id page-3)
            span.set("id", span.get("id") + "-break")
        taken.add(span.get("id"))
        if start.key in FRONT_KEYS and FRONT_KEYS[start.key] in by_kind:
            doc = by_kind[FRONT_KEYS[start.key]]
            _insert_first(doc.root, span)
        elif start.key == CONTENTS_KEY and "contents" not in by_kind and "titlepage" in by_kind:
            doc = by_kind["titlepage"]  # no contents page in the EPUB: after the title page
            doc.root.append(span)
        elif start.key == INDEX_KEY and "index" in by_kind:
            doc = by_kind["index"]  # the index: the same text as the PDF's, counted alike
            place_in_block(doc.root, start.offset, span)
        elif start.key == BACK_KEY and chapters:
            doc = chapters[-1]
            doc.root.append(span)
        elif start.key in blocks:
            doc, block = blocks[start.key]
            place_in_block(block, start.offset, span)
        else:
            problems.append(f"page {start.page}: no block {start.key!r} in the EPUB, "
                            "so the page has no marker")
            continue
        marks.append(PageMark(start.page, doc.name, span.get("id"), label))
    return marks, problems
