"""LAY- checks: holes, widows and orphans, figures parted from captions."""

from __future__ import annotations

from collections import defaultdict

from weasyprint.formatting_structure import boxes

from ..paged.layout_map import walk_boxes
from . import ERROR, WARNING, CheckContext, Finding

MIN_FILL = 0.70  # a page of running text less full than this has a hole


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


def _lines_by_page(document) -> dict[str, dict[int, int]]:
    """block key -> {page: number of its lines on that page}."""
    lines: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for number, page in enumerate(document.pages, 1):
        for box, key in walk_boxes(page._page_box):
            if isinstance(box, boxes.LineBox) and key:
                lines[key][number] += 1
    return lines


def no_widows_or_orphans(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    lines = _lines_by_page(layout.document)
    repeated = {element.get("data-o") for chapter in context.book.chapters  # on every page
                for head in chapter.body.iter("thead") for element in head.iter()}
    findings = []
    for key, pages in lines.items():
        if len(pages) < 2 or not key.startswith("ch") or key in repeated:
            continue
        ordered = sorted(pages)
        if pages[ordered[0]] == 1:
            findings.append(Finding("LAY-002", WARNING, "an orphan: a paragraph's first line "
                                    "alone at the foot of the page",
                                    _page_name(context, ordered[0])))
        if pages[ordered[-1]] == 1:
            findings.append(Finding("LAY-002", WARNING, "a widow: a paragraph's last line "
                                    "alone at the head of the page",
                                    _page_name(context, ordered[-1])))
    return findings


def figures_keep_their_captions(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    findings = []
    for number, page in enumerate(layout.document.pages, 1):
        for box, key in walk_boxes(page._page_box):
            element = getattr(box, "element", None)
            if element is None or element.tag != "figure" or not isinstance(box, boxes.BlockBox):
                continue
            tags = {getattr(child, "element", None).tag for child, _ in walk_boxes(box)
                    if getattr(child, "element", None) is not None}
            if ("img" in tags) != ("figcaption" in tags):
                findings.append(Finding("LAY-003", ERROR, f"figure {element.get('id')} is split "
                                        "from its caption across pages",
                                        _page_name(context, number)))
    return findings


LAYOUT_CHECKS = [pages_are_full, no_widows_or_orphans, figures_keep_their_captions]
