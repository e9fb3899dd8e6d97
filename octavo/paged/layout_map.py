"""What the layout of a part did, read from WeasyPrint's page boxes (page numbers here
count the part's own pages, from 1).

- `page_starts`: where each page begins in the Book's text (for the EPUB page list);
- `page_fill`: how full each page's text block is (for holes left by figures);
- `widows_and_orphans`, `split_figures`: what the LAY- checks report;
- `bookmarks`, `image_sizes`: what the assembly and the screen PDF's images need.
"""

from __future__ import annotations

from collections import defaultdict
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


def _walk(box, keys=()):
    """Yield (box, innermost block key) in layout order, main flow only. (A loop, not a
    recursive generator: a box deep in a page was yielded through every level above it,
    0.3 s of a 400-page book's build.)"""
    stack = [(box, keys[-1] if keys else None)]
    while stack:
        box, key = stack.pop()
        if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        if "::" in (getattr(box, "element_tag", "") or ""):
            continue  # ::marker, ::before, ::footnote-call: generated, not the author's text
        element = getattr(box, "element", None)
        if element is not None:
            own = element.get(BLOCK_KEY)
            if own is None and element.get("id") in FRONT_MATTER_IDS:
                own = element.get("id")
            key = own or key
        yield box, key
        children = getattr(box, "children", ())
        if children:
            stack.extend((child, key) for child in reversed(children))


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
PX_TO_PT = 0.75


@dataclass(frozen=True)
class PageFill:
    page: int  # 1-based
    fill: float  # 0..1 of the text block's height used by the main flow and the notes
    hole_mm: float  # empty height left between the main flow and the notes (or the foot)
    figures: tuple[str, ...]  # ids of figures that start on this page
    first_is_figure: bool  # the page's flow starts with a figure
    last_key: str | None  # the block holding the page's last line
    sizes: dict = None  # figure id -> (figure height mm, image height mm)
    notes_mm: float = 0.0  # height of the footnote area (its rule and margin included)

    @property
    def is_text(self) -> bool:
        return bool(self.last_key and self.last_key.startswith("ch"))

    def moved(self, page: int) -> "PageFill":
        """The same fill, for page `page` of the book."""
        return PageFill(page, self.fill, self.hole_mm, self.figures, self.first_is_figure,
                        self.last_key, self.sizes, self.notes_mm)


def _content_area(page_box):
    top = page_box.margin_top + page_box.padding_top + page_box.border_top_width
    bottom = page_box.margin_height() - page_box.margin_bottom
    return top + page_box.position_y, bottom + page_box.position_y


def _notes_top(page_box, bottom: float) -> float:
    """Where the footnote area begins (its margin and rule included); `bottom` if none."""
    for child in page_box.children:
        if isinstance(child, boxes.FootnoteAreaBox) and child.children:
            return min(bottom, child.position_y)
    return bottom


def page_fill(document) -> list[PageFill]:
    """How full each page is: the footnote area counts as filled, so a page whose notes
    take half of it is not a page with a hole."""
    fills = []
    for number, page in enumerate(document.pages, 1):
        top, bottom = _content_area(page._page_box)
        notes = _notes_top(page._page_box, bottom)
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
        height = bottom - top
        empty = max(0.0, notes - lowest)
        fill = 1 - empty / height if height > 0 else 1.0
        fills.append(PageFill(number, round(fill, 3), round(empty * PX_TO_MM, 1),
                              tuple(sizes), first == "figure", last_key,
                              {k: tuple(v) for k, v in sizes.items()},
                              round((bottom - notes) * PX_TO_MM, 1)))
    return fills


def _lines_by_page(document) -> dict[str, dict[int, int]]:
    """block key -> {page: number of its lines on that page}."""
    lines: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for number, page in enumerate(document.pages, 1):
        for box, key in _walk(page._page_box, []):
            if isinstance(box, boxes.LineBox) and key:
                lines[key][number] += 1
    return lines


def _repeated_keys(document) -> set[str]:
    """Keys of the blocks in a table's header row: repeated on every page it spans."""
    root = next((getattr(box, "element", None) for page in document.pages
                 for box in page._page_box.children
                 if getattr(box, "element", None) is not None), None)
    if root is None:
        return set()
    return {element.get(BLOCK_KEY) for head in root.iter("thead")
            for element in head.iter() if element.get(BLOCK_KEY)}


def widows_and_orphans(document) -> list[tuple[str, int]]:
    """("orphan" | "widow", page) for each paragraph of the text that leaves one line
    alone at the foot of a page (an orphan) or at the head of the next (a widow); a
    table's header row, repeated on each page, is neither."""
    found = []
    repeated = _repeated_keys(document)
    for key, pages in _lines_by_page(document).items():
        if len(pages) < 2 or not key.startswith("ch") or key in repeated:
            continue
        ordered = sorted(pages)
        if pages[ordered[0]] == 1:
            found.append(("orphan", ordered[0]))
        if pages[ordered[-1]] == 1:
            found.append(("widow", ordered[-1]))
    return found


def split_figures(document) -> list[tuple[str, int]]:
    """(figure id, page) for each figure whose image and caption are on different pages."""
    found = []
    for number, page in enumerate(document.pages, 1):
        for box, _ in _walk(page._page_box, []):
            element = getattr(box, "element", None)
            if element is None or element.tag != "figure" or not isinstance(box, boxes.BlockBox):
                continue
            tags = {getattr(child, "element", None).tag for child, _ in _walk(box, [])
                    if getattr(child, "element", None) is not None}
            if ("img" in tags) != ("figcaption" in tags):
                found.append((element.get("id"), number))
    return found


def bookmarks(document) -> list[tuple[int, int, str, float, float, str]]:
    """(page index, level, label, x, y, state) of each bookmark, in PDF points from the
    foot of the page (as WeasyPrint writes them)."""
    found = []
    for index, page in enumerate(document.pages):
        for level, label, (x, y), state in page.bookmarks:
            found.append((index, level, label, round(x * PX_TO_PT, 4),
                          round((page.height - y) * PX_TO_PT, 4), state))
    return found


def image_sizes(document) -> dict[str, tuple[float, float]]:
    """Each image's largest placed size (points), by its `src`."""
    largest: dict[str, tuple[float, float]] = {}
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.ReplacedBox) and box.element is not None \
                    and box.element.get("src"):
                src = box.element.get("src")
                width, height = largest.get(src, (0.0, 0.0))
                largest[src] = (max(width, box.width * PX_TO_PT),
                                max(height, box.height * PX_TO_PT))
    return largest
