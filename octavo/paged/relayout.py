"""A part laid out again from the page where its HTML first changed.

Placing a chapter's figures lays it out again with a figure moved or made smaller
(render.py). The pages before the first block that changed come out as they were:
WeasyPrint makes a page from the state the page before it left (where to resume, the
counters, the notes moved on) and from the blocks it holds, and looks past them only
along a chain of blocks kept together (`break-after: avoid`) and one block more. So a later layout takes the earlier one's pages up to there and makes only
the pages from there on, through WeasyPrint's own re-pagination (`make_all_pages` remakes
a page only when its start changed): the same pages, drawn to the same bytes
(tests/test_relayout.py compares the PDFs with whole layouts).

`recording()` keeps, while a part is laid out, what a later layout needs to start
from: each page as made (before its margin boxes), the state each page starts from,
whether anything (a note, a box broken across pages, a bookmarked box) goes on over its
end, and which children are kept together.
`starting(made, html)` makes a WeasyPrint HTML lay out from the last page of `made`
that ends before the first child of the chapter's <section> that differs (with a
margin of MARGIN children, and of any chain of children kept together, such as headings
with `break-after: avoid`, that leads to it); `None` when nothing can be taken (another
frame, a change before the first page's end, cross-references to page numbers or
forward `target-*()`, running elements, a layout that needed WeasyPrint's second pass).

Takes WeasyPrint documents and HTML; gives WeasyPrint documents. Patches WeasyPrint's
`make_all_pages` (as it is named in weasyprint.layout) when the paged stage is imported;
outside `recording()` and `starting()` it only calls through.
"""

from __future__ import annotations

import copy
import logging
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree import ElementTree

import weasyprint
from weasyprint import layout as weasy_layout
from weasyprint.formatting_structure import boxes
from weasyprint.layout import page as weasy_page

MARGIN = 2  # children of the section before the first change (and before the chain of
#             children kept together that leads to it, `Made.bound`) that are laid out
#             again: a page whose break was moved back along a chain looked at the chain
#             and the block after it; one more, to spare
_make_all_pages = weasy_layout.make_all_pages


@dataclass
class Made:
    """What one layout of a part leaves for a later one to start from."""
    frame: tuple  # the document outside the chapter's section
    children: list  # each child of the section, serialised
    pages: list = field(default_factory=list)  # (page box, its children, its root's)
    starts: list = field(default_factory=list)  # page_maker entries: where each page
    #                                              starts, and the end
    clean: list = field(default_factory=list)  # nothing carried over the page's end
    last: list = field(default_factory=list)  # the last section child on each page
    marks: list = field(default_factory=list)  # each page's bookmarked elements (ids)
    bound: list = field(default_factory=list)  # no page break allowed between child i
    #                                            and i + 1 (break-after/before: avoid)
    said: list = field(default_factory=list)  # what WeasyPrint logged making each page
    page_sizes: dict = field(default_factory=dict)
    loops: int = 0
    reusable: bool = True
    section: object = None  # while recording: the section and its children's places
    index: dict = field(default_factory=dict)


@dataclass
class _Now:
    made: Made | None = None  # being recorded
    seed: tuple | None = None  # (Made, pages to take)


_NOW = _Now()


_SIGNATURES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # an HTML's, once


def _signature(html, chapter: str) -> tuple[tuple, list] | None:
    """The document outside the chapter's <section> and each child of the section,
    serialised (None without the section): made once for a weasyprint.HTML, which both
    `starting` and `recording` ask about."""
    kept = _SIGNATURES.get(html)
    if kept is None or kept[0] != chapter:
        kept = _SIGNATURES[html] = (chapter, _serialised(html.etree_element, chapter))
    return kept[1]


def _serialised(root, chapter: str) -> tuple[tuple, list] | None:
    frame, children = [], None
    stack = [root]
    while stack:
        element = stack.pop()
        frame.append((element.tag, tuple(sorted(element.attrib.items())), element.text,
                      element.tail))
        if element.get("id") == chapter and element.tag == "section":
            children = [ElementTree.tostring(child, encoding="unicode") for child in element]
            continue
        stack.extend(reversed(list(element)))
    return (tuple(frame), children) if children is not None else None


def _section(root, chapter: str):
    return next((element for element in root.iter()
                 if element.tag == "section" and element.get("id") == chapter), None)


@contextmanager
def recording(html, chapter: str | None):
    """Keep what the layout of `html` (a weasyprint.HTML) made for a later one; yields
    a list that holds the Made once the layout is done (empty: nothing to keep)."""
    kept: list[Made] = []
    signature = _signature(html, chapter) if chapter else None
    if signature is None:
        yield kept
        return
    made = Made(*signature)
    made.section = _section(html.etree_element, chapter)
    made.index = {id(child): index for index, child in enumerate(made.section)}
    before, _NOW.made = _NOW.made, made
    try:
        yield kept
    finally:
        _NOW.made = before
        made.section, made.index = None, {}
    if made.reusable and made.loops == 1 and made.pages:
        kept.append(made)


def _shown(page_box, made: Made) -> tuple[int, frozenset]:
    """The last child of the section (by index) the page shows (-1 for none), and the
    elements of its boxes that carry a bookmark."""
    last, marks = -1, set()
    for box in page_box.descendants():
        if getattr(box, "bookmark_label", None):
            marks.add(id(box.element))
        if getattr(box, "element", None) is made.section and isinstance(box, boxes.ParentBox):
            for child in box.children:
                index = made.index.get(id(getattr(child, "element", None)))
                if index is not None and index > last:
                    last = index
    return last, frozenset(marks)


def _bound(root_box, made: Made) -> list[bool]:
    """For each child of the section but the last: may no page break fall after it (a
    break-after or the next one's break-before says avoid, or either makes no box of
    its own)? From the styles of the laid out tree, before it was cut into pages."""
    count = len(made.index)
    after, before, boxed = [False] * count, [False] * count, [False] * count
    section = next((box for box in root_box.descendants() if isinstance(box, boxes.ParentBox)
                    and getattr(box, "element", None) is made.section), None)
    for child in section.children if section is not None else ():
        index = made.index.get(id(getattr(child, "element", None)))
        if index is not None:
            boxed[index] = True
            after[index] |= str(child.style["break_after"]).startswith("avoid")
            before[index] |= str(child.style["break_before"]).startswith("avoid")
    return [not boxed[i] or not boxed[i + 1] or after[i] or before[i + 1]
            for i in range(count - 1)]


def starting(made: list[Made], html, chapter: str | None) -> tuple[Made, int] | None:
    """The layout of `made` to start `html` from, and how many of its pages to take."""
    if not made or not chapter:
        return None
    signature = _signature(html, chapter)
    if signature is None:
        return None
    frame, children = signature
    best = None
    for earlier in made:
        if earlier.frame != frame:
            continue
        first = next((at for at, (a, b) in enumerate(zip(earlier.children, children))
                      if a != b), min(len(earlier.children), len(children)))
        if first == len(children) == len(earlier.children):
            continue  # the same document (render.py does not lay one out twice)
        first -= 1  # (the changed child's own break-before is not known yet)
        while first > 0 and first - 1 < len(earlier.bound) and earlier.bound[first - 1]:
            first -= 1  # a page that ends before a chain kept together looked along it
        pages = next((number for number, last in enumerate(earlier.last)
                      if last >= first - MARGIN), len(earlier.last))
        while pages > 0 and not earlier.clean[pages - 1]:
            pages -= 1
        if pages > 0 and (best is None or pages > best[1]):
            best = (earlier, pages)
    return best


@contextmanager
def started(seed: tuple[Made, int] | None):
    """Lay out (within the block) from `seed`'s pages; none: from the first page."""
    before, _NOW.seed = _NOW.seed, seed
    try:
        yield
    finally:
        _NOW.seed = before


def _copied_page(page, children, root_children):
    page = page.copy()
    root = children[0].copy()
    root.children = list(root_children)
    page.children = [root, *children[1:]]
    return page


def make_all_pages(context, root_box, html, pages):
    """WeasyPrint's `make_all_pages`, started from a seed's pages (`started`) and
    recorded (`recording`)."""
    made, seed = _NOW.made, _NOW.seed
    taken = 0
    if seed is not None and not pages and _may_start(context):
        earlier, taken = seed
        context.page_maker = [_entry(entry, changed=number == taken)
                              for number, entry in enumerate(earlier.starts[:taken + 1])]
        context.style_for.initial_page_sizes.update(earlier.page_sizes)
        pages = [_copied_page(*page) for page in earlier.pages[:taken]]
        for page in pages:  # the page's and its margin boxes' styles, as remake_page sets
            weasy_page.set_page_type_computed_styles(page.page_type, html, context.style_for)
        for said in earlier.said[:taken]:  # as a whole layout would log them
            for level, message in said:
                weasyprint.LOGGER.log(level, "%s", message)
    if made is None and not taken:
        yield from _make_all_pages(context, root_box, html, pages)
        return
    made = made if made is not None else Made((), [])  # (started, not kept)
    made.loops += 1
    made.pages, made.clean, made.last, made.said, made.marks = [], [], [], [], []
    if taken:
        earlier = seed[0]
        for kept, given in zip((made.pages, made.clean, made.last, made.said, made.marks),
                               (earlier.pages, earlier.clean, earlier.last, earlier.said,
                                earlier.marks)):
            kept[:] = given[:taken]
    heard = _Heard()
    weasyprint.LOGGER.addHandler(heard)
    try:
        for number, page in enumerate(_make_all_pages(context, root_box, html, pages)):
            if taken and number >= taken and number + 1 < len(context.page_maker):
                # each page after the first made is made too: given pages, WeasyPrint
                # makes only those whose start changed, and a page of notes carried past
                # the text's end starts where the text ended (it took one not given)
                context.page_maker[number + 1][-1]["content_changed"] = True
            if number >= taken:
                root, *rest = page.children
                made.pages.append((page, (root, *rest), list(root.children)))
                made.clean.append(not context.reported_footnotes
                                  and not context.broken_out_of_flow)
                last, marks = _shown(page, made)
                made.last.append(last)
                made.marks.append(marks)
                made.said.append(heard.records)
            heard.records = []
            yield page
    finally:
        weasyprint.LOGGER.removeHandler(heard)
    if taken:  # where the last page ends: nothing to make from it
        context.page_maker[-1][-1]["content_changed"] = False
    made.starts = [_entry(entry) for entry in context.page_maker]
    made.page_sizes = dict(context.style_for.initial_page_sizes)
    made.reusable = _may_start(context)
    made.bound = _bound(root_box, made) if made.section is not None else []
    for number in range(len(made.marks) - 1):  # a bookmarked box that goes on over a
        if made.marks[number] & made.marks[number + 1]:  # page's end is told once, as
            made.clean[number] = False  # one element: not a page to start after


class _Heard(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


def _may_start(context) -> bool:
    """Can a layout start after the first page? Not with page numbers looked up
    (counter(pages) in the text) or running elements, which WeasyPrint finds while it
    makes the pages; nor when a target-counter() or target-text() looks forward (an
    earlier page shows what a later one holds: WeasyPrint parsed it again once the
    target was built)."""
    collector = context.target_collector
    return not collector.counter_lookup_items and not any(
        item.parse_again_functions for item in collector.target_lookup_items.values()) \
        and not any(context.running_elements.values())


def _entry(entry, changed: bool = False):
    resume_at, next_page, right_page, page_state, remake_state = entry
    return (copy.deepcopy(resume_at), dict(next_page), right_page,
            copy.deepcopy(page_state),
            {"content_changed": changed, "pages_wanted": False,
             "anchors": list(remake_state.get("anchors", [])),
             "content_lookups": list(remake_state.get("content_lookups", []))})


if getattr(weasy_layout.make_all_pages, "__module__", "") != __name__:
    weasy_layout.make_all_pages = make_all_pages  # what layout_document calls
