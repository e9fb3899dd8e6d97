"""The parts' pages numbered through the book: `paginate(parts) -> BookLayout`.

Each part starts on the side it asks for (`Part.opens`, else `Part.side`): a blank page
goes before it when the part before ends on that side ("any": none; such a part is laid
out on the side it falls on). A blank page shows nothing, not even a folio.
Pages are numbered from the cover (page 1); a part may restart the count
(`Part.numbering`). Everything the rest of the build reads about the layout (page
fill, page starts for the EPUB, the LAY- findings, crop marks, folios, bookmarks) is
here with the book's page numbers.

Matter made from the page numbers (a contents page, an index) slots in as parts laid
out after the others: paginate the chapters, make those parts' HTML from the numbers,
lay them out, and paginate all of them together. Front matter counted in lower roman
and a body counted from 1 keep the body's numbers independent of the front matter's
length: a part's folio style is its margin box's counter style (`counter(page,
lower-roman)` in CSS), and `Part.numbering` restarts the count.

`BookLayout.pages` is the page map (structure/pagemap.py) made from the parts: each
part's anchors offset by its first page, the labels roman before the body's first
part. `lay_out_parts(book, lay_out)` runs the passes; `lay_out_book(book)` lays every
part out in this process (the build does it on every core,
runner/fanout.py, and keeps unchanged parts, runner/parts.py).
"""

from __future__ import annotations

import functools
from typing import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..manuscript.book import Book
from ..manuscript.pages import PageStart
from ..options import STYLES
from ..structure.pagemap import PageMap, page_labels
from .layout_map import PageFill
from .part import PartLayout


@dataclass
class BookLayout:
    parts: list[PartLayout]
    first_pages: list[int] = field(default_factory=list)  # each part's first page (1-based)
    blanks: list[int] = field(default_factory=list)  # the blank pages put between parts
    page_count: int = 0
    numbers: list[int] = field(default_factory=list)  # each page's number, for its folio
    body_start: str | None = None  # a book's first body part (numbered from 1); None: article
    notes: list[str] = field(default_factory=list)  # warnings of the book's own layout

    document = None  # no one WeasyPrint document: see `parts` (a part's `live` layout)
    # (The properties below are made once, when first read: after `paginate`.)

    def pages_of(self, index: int) -> range:
        """The book's page numbers of part `index`."""
        return range(self.first_pages[index], self.first_pages[index] + self.parts[index].pages)

    def _each(self, attribute: str) -> list:
        """`attribute` of every part, page by page, with None on the blank pages."""
        pages: list = [None] * self.page_count
        for index, part in enumerate(self.parts):
            for page, value in zip(self.pages_of(index), getattr(part, attribute)):
                pages[page - 1] = value
        return pages

    @functools.cached_property
    def fills(self) -> list[PageFill]:
        return [fill.moved(number) if fill is not None else
                PageFill(number, 0.0, 0.0, (), False, None, {})
                for number, fill in enumerate(self._each("fills"), 1)]

    @functools.cached_property
    def page_starts(self) -> list[PageStart]:
        return [PageStart(start.page + first - 1, start.key, start.offset)
                for part, first in zip(self.parts, self.first_pages) for start in part.starts]

    @functools.cached_property
    def crop_marks(self) -> list[tuple]:
        pages = self._each("crop_marks")
        for page in self.blanks:  # a blank page is marked as the page after it is
            pages[page - 1] = pages[page] if page < len(pages) else ()
        return pages

    @functools.cached_property
    def folios(self) -> list[tuple[int, object, str]]:
        """(page index, folios.Folio, its text) of every page that shows a number."""
        from weasyprint.html import UA_COUNTER_STYLE
        shown = []
        for index, folio in enumerate(self._each("folios")):
            if folio is not None:
                numbers = {"page": self.numbers[index], "pages": self.page_count}
                shown.append((index, folio, folio.text(numbers, UA_COUNTER_STYLE)))
        return shown

    def page_keys(self) -> list[str]:
        """What each page shows, as a key: the part it comes from (its cache key), its
        page there, and its folio; a blank page, the size of the page after it. The same
        key, the same page: its text and its picture are kept between builds."""
        keys = [""] * self.page_count
        folios = {index: text for index, _, text in self.folios}
        for index, part in enumerate(self.parts):
            for local, page in enumerate(self.pages_of(index)):
                keys[page - 1] = f"{part.key}:{local}:{folios.get(page - 1, '')}"
        for page in self.blanks:
            keys[page - 1] = f"blank:{keys[page] if page < self.page_count else ''}"
        return keys

    @functools.cached_property
    def fonts(self) -> dict:
        return {key: font for part in self.parts for key, font in part.fonts.items()}

    def _findings(self, attribute: str) -> list[tuple]:
        return [(what, page + first - 1) for part, first in zip(self.parts, self.first_pages)
                for what, page in getattr(part, attribute)]

    @functools.cached_property
    def widows(self) -> list[tuple[str, int]]:
        return self._findings("widows")

    @functools.cached_property
    def splits(self) -> list[tuple[str, int]]:
        return self._findings("splits")

    @functools.cached_property
    def bookmarks(self) -> list[tuple]:
        return [(index + first - 1, *rest) for part, first in zip(self.parts, self.first_pages)
                for index, *rest in part.bookmarks]

    @functools.cached_property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys([w for part in self.parts for w in part.warnings]
                                  + self.notes))

    @functools.cached_property
    def css_problems(self) -> list[tuple]:
        return list(dict.fromkeys(p for part in self.parts for p in part.css_problems))

    @functools.cached_property
    def pages(self) -> PageMap:
        """Where each element fell (its first page in the book) and each page's printed
        label: what the contents, the index, "on page N" and the EPUB's page list read."""
        found: dict[str, int] = {}
        for part, first in zip(self.parts, self.first_pages):
            for anchor, page in part.anchors.items():
                found.setdefault(anchor, page + first - 1)
        start = None
        if self.body_start is not None:
            index = next(i for i, part in enumerate(self.parts) if part.name == self.body_start)
            start = self.first_pages[index]
        return PageMap(page_labels(self.page_count, start), found)

    def sides(self) -> dict[str, str]:
        """The side each part that opens on any side falls on."""
        return {part.name: "right" if first % 2 else "left"
                for part, first in zip(self.parts, self.first_pages) if part.opens == "any"}

    @functools.cached_property
    def refused(self) -> list[str]:
        return list(dict.fromkeys(r for part in self.parts for r in part.refused))

    @functools.cached_property
    def image_sizes(self) -> dict[str, tuple[float, float]]:
        sizes: dict[str, tuple[float, float]] = {}
        for part in self.parts:
            for src, (width, height) in part.images.items():
                known = sizes.get(src, (0.0, 0.0))
                sizes[src] = (max(width, known[0]), max(height, known[1]))
        return sizes

    @property
    def metadata(self) -> dict:
        return self.parts[0].metadata

    @property
    def renders(self) -> int:
        return max((part.renders for part in self.parts), default=0)


def paginate(parts: list[PartLayout]) -> BookLayout:
    layout = BookLayout(list(parts))
    page, number = 1, 1
    for part in parts:
        if part.numbering == 1 and layout.body_start is None:  # a book's body: from 1
            layout.body_start = part.name
        opens = part.opens or part.side
        if opens != "any" and opens != ("right" if page % 2 else "left"):
            layout.blanks.append(page)
            layout.numbers.append(number)
            page, number = page + 1, number + 1
        layout.first_pages.append(page)
        number = part.numbering if part.numbering is not None else number
        layout.numbers.extend(range(number, number + part.pages))
        page, number = page + part.pages, number + part.pages
    layout.page_count = page - 1
    return layout


MAX_NUMBERING_PASSES = 3  # layouts to settle the page numbers the book prints


def lay_out_parts(book: Book, lay_out: Callable[[list], list[PartLayout]]) -> BookLayout:
    """The book's parts laid out by `lay_out` (a list of `document.Part` -> their
    `PartLayout`s, in order: here, or on every core with the part cache), and numbered.

    The chapters first, their "on page N" a placeholder. The contents page and the
    index are laid out last, from the page numbers the chapters then have (a guess of
    one page each holds their place meanwhile); then every part whose HTML the book's
    page numbers changed (a cross-reference's "on page N", a contents page longer than
    guessed, a chapter that falls on the other side) is laid out again, until none
    changes: at most MAX_NUMBERING_PASSES times. Each step is a function of the parts'
    layouts alone, so a build that keeps unchanged parts makes the same book."""
    from .document import GENERATED, paged_parts
    laid: dict[str, tuple] = {}  # part name -> (the Part laid out, its PartLayout)
    pages, sides, settled = None, None, False
    for passes in range(MAX_NUMBERING_PASSES + 2):
        parts = paged_parts(book, pages, sides)
        todo = [part for part in parts if part.name not in laid or laid[part.name][0] != part]
        if passes == 0:
            todo = [part for part in todo if part.name not in GENERATED]
        if passes and not todo:
            settled = True
            break
        if passes == MAX_NUMBERING_PASSES + 1:
            break
        for part, part_layout in zip(todo, lay_out(todo)):
            laid[part.name] = (part, part_layout)
        layout = paginate([laid[part.name][1] if part.name in laid else _guess(part)
                           for part in parts])
        pages, sides = layout.pages, layout.sides()
    layout = paginate([laid[part.name][1] for part in parts if part.name in laid])
    if not settled:
        layout.notes.append("the page numbers of the contents, index or cross-references "
                            f"did not settle in {MAX_NUMBERING_PASSES} more layouts")
    return layout


def _guess(part) -> PartLayout:
    """A part not laid out yet, as one page (its place in the book, meanwhile)."""
    return PartLayout(part.name, part.side, part.numbering, 1, [], [], [], [], [], [()],
                      [None], {}, {}, anchors={part.name: 1}, opens=part.opens)


def lay_out_book(book: Book, stylesheets: tuple[str, ...] | None = None,
           styles_dir: Path = STYLES) -> BookLayout:
    """Every part of `book` laid out here, one after the other; the parts' PDFs are
    written when the book is (`write.write_tagged_pdf`)."""
    from .part import lay_out_part
    from .render import PAGED_CSS, load_styles
    from .write import pdf_identity
    styles = load_styles(stylesheets or PAGED_CSS, styles_dir, book.folder,
                         book.metadata.design)
    identity = pdf_identity(book)
    return lay_out_parts(book, lambda parts: [lay_out_part(part, styles, book.folder, identity)
                                              for part in parts])
