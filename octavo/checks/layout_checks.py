"""LAY- checks: holes, widows and orphans, figures parted from captions.

They read what each part's layout noted (paged/layout_map.py: page fill, the lines of
each paragraph on each page, figures and their captions), with the book's page
numbers (paged/pagination.py)."""

from __future__ import annotations

from ..paged.placement import MIN_FILL  # a page of running text less full has a hole
from . import ERROR, WARNING, CheckContext, Finding


def _page_name(context: CheckContext, page: int) -> str:
    path = context.outputs.get("pdf")
    return f"{path.name if path else 'PDF'} p. {page}"


def _section_ends(book) -> set[str]:
    """Keys of the last block of each chapter, and of a part's title (it has its page to
    itself): a page may end short after them."""
    ends = set()
    for chapter in book.chapters:
        keys = [el.get("data-o") for el in chapter.body.iter() if el.get("data-o")
                and not any("footnote" in a.get("class", "") for a in el.iterancestors())]
        if keys:
            ends.add(keys[-1])
        for heading in chapter.body.iter("h1", "h2", "h3"):
            if "part" in (heading.get("class") or "").split() and heading.get("data-o"):
                ends.add(heading.get("data-o"))
            previous = heading.getprevious()
            if previous is not None:
                inner = [el.get("data-o") for el in previous.iter() if el.get("data-o")]
                ends.update(inner[-1:])
    return ends


def pages_are_full(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    ends = _section_ends(context.book)
    findings = []
    text_pages = [fill for fill in layout.fills if fill.is_text]
    for fill in text_pages[:-1]:
        if fill.fill < MIN_FILL and fill.last_key not in ends:
            findings.append(Finding("LAY-001", WARNING, f"the page is only {fill.fill:.0%} full "
                                    "(a hole, usually a figure that did not fit)",
                                    _page_name(context, fill.page)))
    return findings


def no_widows_or_orphans(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    text = {"orphan": "an orphan: a paragraph's first line alone at the foot of the page",
            "widow": "a widow: a paragraph's last line alone at the head of the page"}
    return [Finding("LAY-002", WARNING, text[kind], _page_name(context, page))
            for kind, page in layout.widows]


def figures_keep_their_captions(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    return [Finding("LAY-003", ERROR, f"figure {figure} is split from its caption across "
                    "pages", _page_name(context, page)) for figure, page in layout.splits]


LAYOUT_CHECKS = [pages_are_full, no_widows_or_orphans, figures_keep_their_captions]
