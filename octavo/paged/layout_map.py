"""What the layout did, read from WeasyPrint's page boxes.

- `page_starts`: where each page begins in the Book's text (for the EPUB page list);
- `page_fill`: how full each page's text block is (for holes left by figures);
"""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

from ..manuscript.book import BLOCK_KEY
from ..manuscript.pages import PageStart

WORD_JOINER = "\u2060"  # set by paged.document after a word a note call follows; not text
NOT_TEXT = {WORD_JOINER, "\u200b"}  # (and the zero-width spaces links.py puts in addresses)
# The classes of text only the PDFs have: not counted. A link's address (links.py), a
# cross-reference's "on page 41" (structure/generated.py).
PAGED_ONLY = {"link-url", "xref-page"}
FRONT_MATTER_IDS = ("cover", "colophon", "title", "back-cover", "contents", "index")


def _walk(box, keys):
    """Yield (box, innermost block key) in layout order, main flow only."""
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if "::" in (getattr(box, "element_tag", "") or ""):
        return  # ::marker, ::before, ::footnote-call: generated, not the author's text
    element = getattr(box, "element", None)
    key = element.get(BLOCK_KEY) if element is not None else None
    if key is None and element is not None and element.get("id") in FRONT_MATTER_IDS:
        key = element.get("id")
    keys = keys + [key] if key else keys
    yield box, keys[-1] if keys else None
    for child in getattr(box, "children", ()):
        yield from _walk(child, keys)


def walk_boxes(box):
    """(box, innermost block key) for a box and its descendants, main flow only."""
    yield from _walk(box, [])


def _figure_keys(box, inside=False, found=None) -> set[str]:
    """Keys of the blocks inside figures (the caption): they are not the text flow."""
    found = set() if found is None else found
    element = getattr(box, "element", None)
    inside = inside or (element is not None and element.tag == "figure")
    if inside and element is not None and element.get(BLOCK_KEY):
        found.add(element.get(BLOCK_KEY))
    for child in getattr(box, "children", ()):
        _figure_keys(child, inside, found)
    return found


def page_starts(document) -> list[PageStart]:
    """For each page, the block and the offset (in non-space characters) where it starts.

    A page is marked where its running text starts: a figure at the head of a page
    may have been moved there by the placement pass, away from its place in the text.
    A page holding nothing but figures is marked at its first figure.
    """
    consumed: dict[str, int] = {}
    starts = []
    for number, page in enumerate(document.pages, 1):
        first = first_figure = None
        in_figures = _figure_keys(page._page_box)
        for box, key in _walk(page._page_box, []):
            if key is None or not isinstance(box, boxes.TextBox) or (
                    box.element is not None
                    and PAGED_ONLY & set((box.element.get("class") or "").split())):
                continue
            if key in in_figures:
                first_figure = first_figure or PageStart(number, key, consumed.get(key, 0))
            elif first is None:
                first = PageStart(number, key, consumed.get(key, 0))
            text = box.text
            hyphen = box.style["hyphenate_character"]
            if hyphen and hyphen != "-" and text.endswith(hyphen):
                text = text[:-len(hyphen)]  # added by WeasyPrint at a line break
            consumed[key] = consumed.get(key, 0) + sum(
                1 for c in text if not c.isspace() and c not in NOT_TEXT)
        if first or first_figure:
            starts.append(first or first_figure)
    return starts


PX_TO_MM = 25.4 / 96


@dataclass(frozen=True)
class PageFill:
    page: int  # 1-based
    fill: float  # 0..1 of the text block's height used by the main flow
    hole_mm: float  # empty height left at the foot of the text block
    figures: tuple[str, ...]  # ids of figures that start on this page
    first_is_figure: bool  # the page's flow starts with a figure
    last_key: str | None  # the block holding the page's last line
    sizes: dict = None  # figure id -> (figure height mm, image height mm)

    @property
    def is_text(self) -> bool:
        return bool(self.last_key and self.last_key.startswith("ch"))


def _content_area(page_box):
    top = page_box.margin_top + page_box.padding_top + page_box.border_top_width
    bottom = page_box.margin_height() - page_box.margin_bottom
    return top + page_box.position_y, bottom + page_box.position_y


def page_fill(document) -> list[PageFill]:
    fills = []
    for number, page in enumerate(document.pages, 1):
        top, bottom = _content_area(page._page_box)
        lowest, sizes, first, last_key = top, {}, None, None
        figure_id = None
        for box, key in _walk(page._page_box, []):
            element = getattr(box, "element", None)
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                lowest = max(lowest, box.position_y + box.margin_height())
                first = first or "line"
            if element is not None and element.tag == "figure" and isinstance(box, boxes.BlockBox):
                first = first or "figure"
                figure_id = element.get("id")
                sizes.setdefault(figure_id, [box.margin_height() * PX_TO_MM, 0.0])
            if isinstance(box, boxes.ReplacedBox) and element is not None \
                    and element.tag == "img" and figure_id in sizes:
                sizes[figure_id][1] = box.height * PX_TO_MM
            if isinstance(box, boxes.LineBox):
                last_key = key
        fill = (lowest - top) / (bottom - top) if bottom > top else 1.0
        fills.append(PageFill(number, round(fill, 3), round((bottom - lowest) * PX_TO_MM, 1),
                              tuple(sizes), first == "figure", last_key,
                              {k: tuple(v) for k, v in sizes.items()}))
    return fills
