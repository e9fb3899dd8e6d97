"""A lone chapter's first layout, in two halves laid out side by side.

The first layout of a chapter only measures it: how tall each block and figure is
(flow.py), for `placement.decide`. A book of one chapter (an article) has one chapter
to lay out and a core to spare, so its measuring layout is cut in two at a block
boundary near the middle of its text, and the second half is laid out in another
process while this one lays out the first (`apart`: runner/parallel.Job, or None to
lay both out here, one after the other: the same measures). The blocks measure the
same in a half as in the whole: their width, their lines and their heights do not
depend on the page they fall on; the block before the cut is kept in the second half,
hidden, so that sibling selectors (`p + p`'s indent) match as in the whole.

The first half's pages are measured as the whole's (the same text up to there); the
second half's page positions are not (it starts on a page of its own), so `decide`
guesses the pages from the cut on (`flow.joined`). The chapter is then laid out whole,
with its figures placed, and that layout is checked as any other (render.py); the lines
the other process broke come back with its measures, so that the whole layout does not
ask for them again (linememo.py).

Takes a part's tree and its chapter's id; gives the halves' HTML and the joined flow.
"""

from __future__ import annotations

import copy
from itertools import accumulate

from lxml import html as lxml_html

from . import linememo
from .flow import Flow, joined, measure
from .placement import FLOW_BLOCKS

MIN_BLOCKS = 8  # a chapter shorter than this is laid out whole
MIN_FIGURES = 2  # and one with fewer figures seldom needs placing: whole, once
FIGURE_WEIGHT = 700  # characters of text a figure weighs in layout time (measured on the
#                      article: 10.8k characters and 6 figures, 0.186 s; 16.2k and 3, 0.226 s)
ENDS = FLOW_BLOCKS + ("figure",)  # what a half may end with


def cut(section) -> int | None:
    """Where to cut a chapter's <section> (the first child of the second half), by the
    length of its text (a figure weighs FIGURE_WEIGHT); None: too short to cut."""
    children = list(section)
    figures = sum(1 for child in children if child.tag == "figure")
    if len(children) < MIN_BLOCKS or figures < MIN_FIGURES:
        return None
    weights = [FIGURE_WEIGHT if child.tag == "figure" else len(child.text_content())
               for child in children]
    running = list(accumulate(weights))  # the first half's weight, cut after each child
    total = running[-1]
    at = min(range(len(children) - 1), key=lambda n: abs(running[n] - total / 2)) + 1
    while at < len(children) and (children[at].tag == "figure"  # it stays with the text
                                  or children[at - 1].tag not in ENDS):  # before it; a
        at += 1  # heading, an asterism (break-after: avoid) stays with the text after it
    return at if 2 <= at <= len(children) - 2 else None


def halves(tree, chapter: str, at: int) -> tuple[str, str]:
    """The part's HTML with the chapter's children before `at`, and with those from
    `at` (the one before it kept, hidden)."""
    first, second = copy.deepcopy(tree), copy.deepcopy(tree)
    for index, child in enumerate(list(first.get_element_by_id(chapter))):
        if index >= at:
            child.getparent().remove(child)
    for index, child in enumerate(list(second.get_element_by_id(chapter))):
        if index < at - 1:
            child.getparent().remove(child)
        elif index == at - 1:
            child.set("hidden", "")  # (UA stylesheet: display: none)
    return tuple(lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
                 for root in (first, second))


def measured_half(lay_out, html: str, chapter: str, first: int, count: int) -> Flow | None:
    """The flow of a half whose children are the chapter's `first` … `first + count - 1`
    (`lay_out(html)`: a WeasyPrint document)."""
    return measure(lay_out(html), chapter, list(range(first, first + count)))


def _measured_half_apart(*args) -> tuple[Flow | None, dict]:
    """`measured_half` in another process, with the lines its layout broke (linememo.py),
    which the chapter's whole layout asks again."""
    return measured_half(*args), linememo.kept()


def measured_apart(lay_out, tree, chapter: str, at: int, count: int, apart=None
                   ) -> tuple[object, Flow | None]:
    """The first half's document and the chapter's joined flow (None if either half's
    section was not found). `count`: the chapter's children."""
    first_html, second_html = halves(tree, chapter, at)
    args = (lay_out, second_html, chapter, at - 1, count - at + 1)
    job = apart(_measured_half_apart, *args) if apart is not None else None
    try:
        document = lay_out(first_html)
        first = measure(document, chapter, list(range(at)))
        if job is not None:
            second, lines = job.result()
            linememo.adopt(lines)
        else:
            second = measured_half(*args)
    finally:
        if job is not None:
            job.cancel()  # (reaped already, unless this half failed)
    if first is None or second is None:
        return document, None
    return document, joined(first, second, at)
