"""Placing figures in the paged layout, as a layout editor would.

WeasyPrint has no page floats: a figure too tall for the rest of a page moves to
the next page and leaves a hole. After each layout we look at the pages and:

1. set a pushed figure *snug* (a smaller image, in 5 mm steps) when that makes it
   fit the hole, keeping it beside its paragraph;
2. otherwise *defer* it past the next paragraph, which then fills the hole (a
   figure never moves past a heading, and figures keep their order);
3. when the text would end on a runt page, set the figure before it snug.

The Book is never changed: the decisions apply to the paged document's copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .layout_map import PageFill

HOLE = 0.9  # a text page filled less than this before a pushed figure has a hole
RUNT = 0.2  # a last text page filled less than this is a runt
SNUG_STEPS_MM = tuple(range(95, 40, -5))  # image heights styles/base.css knows (.snug-95 …)
MIN_SNUG_RATIO = 0.7  # never shrink an image below 70 % of its natural height
MAX_DEFER = 5
FLOW_BLOCKS = ("p", "ul", "ol", "blockquote", "table", "dl", "pre")


@dataclass
class Placement:
    deferred: dict[str, int] = field(default_factory=dict)  # figure id -> blocks later
    snug: dict[str, int] = field(default_factory=dict)  # figure id -> image height, mm on A5
    scale: float = 1.0  # the trim's height over A5's: a step's height on the page is step × it

    def _snug_to_fit(self, figure_id: str, room_mm: float, size) -> bool:
        figure_mm, image_mm = size
        wanted = room_mm - (figure_mm - image_mm) - 1.5
        step = next((mm for mm in SNUG_STEPS_MM if mm * self.scale <= wanted), None)
        if step is None or step * self.scale < image_mm * MIN_SNUG_RATIO \
                or step * self.scale >= image_mm:
            return False
        self.snug[figure_id] = step
        return True

    def copy(self) -> "Placement":
        return Placement(dict(self.deferred), dict(self.snug), self.scale)

    def improve(self, fills: list[PageFill]) -> bool:
        """Fix the earliest problem of each chapter; False when there is nothing to fix.

        Only the earliest is fixed: everything after it moves once it is. Chapters
        start on a fresh page, so each chapter's first problem can be fixed at once.
        """
        fixed: set[str] = set()
        for before, page in zip(fills, fills[1:]):
            chapter = (before.last_key or "").split(".")[0]
            if chapter in fixed or not (page.first_is_figure and before.is_text
                                        and before.fill < HOLE):
                continue
            figure_id = page.figures[0]
            if figure_id not in self.snug and self._snug_to_fit(
                    figure_id, before.hole_mm, page.sizes[figure_id]):
                fixed.add(chapter)
            elif self.deferred.get(figure_id, 0) < MAX_DEFER:
                self.deferred[figure_id] = self.deferred.get(figure_id, 0) + 1
                fixed.add(chapter)
        last_pages: dict[str, PageFill] = {}
        for fill in fills:
            if fill.is_text:
                last_pages[fill.last_key.split(".")[0]] = fill
        for chapter, runt in last_pages.items():
            if chapter in fixed or not 0 < runt.fill < RUNT or runt.page < 2:
                continue
            overflow_mm = runt.hole_mm / (1 - runt.fill) * runt.fill + 2
            previous = fills[runt.page - 2]
            for figure_id in previous.figures:
                figure_mm, image_mm = previous.sizes[figure_id]
                if figure_id not in self.snug and self._snug_to_fit(
                        figure_id, figure_mm - overflow_mm, (figure_mm, image_mm)):
                    fixed.add(chapter)
                    break
        return bool(fixed)

    def apply(self, body) -> None:
        """Move and size the figures of one chapter body (an lxml tree copy)."""
        for figure in body.iter("figure"):
            if figure.get("id") in self.snug:
                css_class = f"snug-{self.snug[figure.get('id')]}"
                figure.set("class", f"{figure.get('class', '')} {css_class}".strip())
        children = list(body)
        blocks = [c for c in children if c.tag != "figure"]
        anchors = []  # (figure, index of the block it follows)
        last = -1
        for child in children:
            if child.tag == "figure":
                anchor = last + self.deferred.get(child.get("id"), 0)
                while anchor > last and any(b.tag not in FLOW_BLOCKS
                                            for b in blocks[last + 1:anchor + 1]):
                    anchor -= 1
                anchor = min(anchor, len(blocks) - 1)
                # Never between a lead-in ending in a colon and the list it introduces.
                while 0 <= anchor < len(blocks) - 1 and \
                        blocks[anchor].text_content().rstrip().endswith(":") and \
                        blocks[anchor + 1].tag in FLOW_BLOCKS:
                    anchor += 1
                anchors.append((child, max(anchor, anchors[-1][1] if anchors else -1)))
            else:
                last += 1
        for figure, _ in anchors:
            body.remove(figure)
        for figure, anchor in reversed(anchors):
            if anchor < 0:
                body.insert(0, figure)
            else:
                blocks[anchor].addnext(figure)


def layout_penalty(fills: list[PageFill]) -> float:
    """How far a layout is from a well-made one: holes before figures, a runt ending, length.

    A chapter's last page may be short: only a page followed by more of its chapter can
    have a hole."""
    text_pages = [f for f in fills if f.is_text]
    holes = sum(max(0.0, HOLE - f.fill) for f, after in zip(text_pages, text_pages[1:])
                if f.last_key.split(".")[0] == after.last_key.split(".")[0])
    runt = 1.0 if len(text_pages) >= 2 and text_pages[-1].fill < RUNT else 0.0
    return holes + runt + 0.05 * len(fills)
