"""One part of the book laid out and written: `lay_out_part(part, ...) -> PartLayout`.

What a worker process does for each part (runner/fanout.py): the layout with its
figures placed (render.py), what the rest of the build needs to know about it, read
from WeasyPrint's boxes (layout_map.py), its folios taken off (folios.py), and its
tagged PDF written (write.py). A `PartLayout` is plain data (JSON), so the part cache
keeps it beside the part's PDF and a later build that did not change the part uses
both as they are (runner/parts.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..manuscript.pages import PageStart
from . import folios as folio_module
from . import layout_map
from . import linememo
from .document import Part
from .layout_map import PageFill
from .render import Layout, Styles, render_part
from .write import PdfIdentity, write_part_pdf


@dataclass
class PartLayout:
    """What the build needs to know about one laid-out part (its own page numbers, from 1)."""
    name: str
    side: str  # the side of its first page: "right" or "left"
    numbering: int | None  # the folio of its first page; None: counting on
    pages: int
    fills: list[PageFill]
    starts: list[PageStart]  # where its pages begin in the Book's text
    widows: list  # ("widow" | "orphan", page)
    splits: list  # (figure id, page): a figure parted from its caption
    bookmarks: list  # (page index, level, label, x, y, state)
    crop_marks: list  # per page, the `marks` its style asks for
    folios: list  # per page, a folios.Folio or None
    fonts: dict  # the folios' fonts, by key
    images: dict  # src -> largest placed size, points
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    placement: dict = field(default_factory=dict)  # {"deferred": …, "snug": …}
    renders: int = 1
    metadata: dict = field(default_factory=dict)  # WeasyPrint's DocumentMetadata fields
    pdf: str | None = None  # its tagged PDF
    anchors: dict = field(default_factory=dict)  # element id -> its first page (from 1)
    css_problems: list = field(default_factory=list)  # (file, line, message), book CSS
    opens: str | None = None  # the side it must start on (Part.opens); None: `side`
    key: str | None = None  # what it is made from (runner/parts.py: its cache key)
    first_placement: dict | None = None  # as decided from its first layout (a guess for
    #                                      the next build's: paged/ahead.py)
    live: Layout | None = field(default=None, repr=False, compare=False)  # in-process only

    def to_json(self) -> dict:
        data = {key: value for key, value in self.__dict__.items() if key not in ("live", "key")}
        data["fills"] = [asdict(fill) for fill in self.fills]
        data["starts"] = [asdict(start) for start in self.starts]
        data["folios"] = [folio_module.to_json(folio) for folio in self.folios]
        data["fonts"] = {key: folio_module.to_json(font) for key, font in self.fonts.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "PartLayout":
        data = dict(data)
        data["fills"] = [PageFill(**{**fill, "figures": tuple(fill["figures"]),
                                     "sizes": {k: tuple(v) for k, v in fill["sizes"].items()}})
                         for fill in data["fills"]]
        data["starts"] = [PageStart(**start) for start in data["starts"]]
        data["folios"] = [folio_module.folio_from_json(folio) for folio in data["folios"]]
        data["fonts"] = {key: folio_module.font_from_json(font)
                         for key, font in data["fonts"].items()}
        for name in ("widows", "splits", "bookmarks"):
            data[name] = [tuple(row) for row in data[name]]
        data["crop_marks"] = [tuple(marks) for marks in data["crop_marks"]]
        data["css_problems"] = [tuple(row) for row in data.get("css_problems", [])]
        data["images"] = {src: tuple(size) for src, size in data["images"].items()}
        return cls(**data)


def _take_crop_marks(layout: Layout) -> list[tuple]:
    """The print edition draws the crop marks the pages' styles ask for; WeasyPrint won't."""
    wanted = []
    for page in layout.document.pages:
        marks = tuple(page._page_box.style["marks"] or ())
        unsupported = "`marks: cross` is not drawn; only crop marks are"
        if "cross" in marks and unsupported not in layout.warnings:
            layout.warnings.append(unsupported)
        wanted.append(marks)
        page._page_box.style["marks"] = ()
    return wanted


def _anchors(document) -> dict[str, int]:
    """Each element id of the part and the page it starts on (from 1)."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


def _metadata(document) -> dict:
    metadata = document.metadata
    return {"title": metadata.title, "authors": list(metadata.authors),
            "description": metadata.description, "keywords": list(metadata.keywords),
            "generator": metadata.generator, "lang": metadata.lang}


def lay_out_part(part: Part, styles: Styles, manuscript: Path, identity: PdfIdentity,
                 target: Path | None = None, tell=None, apart=None,
                 guess: dict | None = None) -> PartLayout:
    """Lay `part` out (placing its figures), and write its tagged PDF to `target`; with no
    `target`, the layout is kept in `live` to be written later (`write_live_part`).
    `tell("placed", sizes)` where its images are placed, before the PDF is written;
    `apart` runs half of a lone chapter's first layout (render.py), and
    `tell("measured", None)` says when that is done. `guess`: the placement the last
    build chose for the part, laid out ahead (render.py, ahead.py)."""
    def finish(layout: Layout, say) -> PartLayout:  # in the helper that laid it out ahead
        return _made(part, layout, identity, target, lambda *told: say(told))
    with linememo.remembered():  # its lines broken once for all its layouts
        made = render_part(part, styles, manuscript, apart, tell, guess,
                           finish if target is not None else None)
    if isinstance(made, PartLayout):
        return made
    return _made(part, made, identity, target, tell)


def _made(part: Part, layout: Layout, identity: PdfIdentity, target: Path | None,
          tell=None) -> PartLayout:
    """The part as laid out in `layout`, its PDF written to `target` (None: kept live)."""
    document = layout.document
    crop_marks = _take_crop_marks(layout)
    folios, fonts, problems = folio_module.take_folios(document)
    laid = PartLayout(
        part.name, part.side, part.numbering, layout.page_count, layout.fills,
        layout_map.page_starts(document), layout_map.widows_and_orphans(document),
        layout_map.split_figures(document), layout_map.bookmarks(document), crop_marks,
        folios, fonts, layout_map.image_sizes(document), layout.warnings + problems,
        layout.refused, {"deferred": layout.placement.deferred, "snug": layout.placement.snug},
        layout.renders, _metadata(document), anchors=_anchors(document),
        css_problems=list(layout.css_problems), opens=part.opens,
        first_placement=layout.first_placement)
    if tell is not None and laid.images:
        tell("placed", laid.images)
    if target is None:
        laid.live = layout
    else:
        write_live_part(laid, layout, identity, target)
    return laid


def write_live_part(laid: PartLayout, layout: Layout, identity: PdfIdentity,
                    target: Path) -> None:
    """The part's tagged PDF, from its layout; its warnings join the part's."""
    laid.warnings.extend(write_part_pdf(layout.document, identity, target))
    laid.pdf = str(target)
