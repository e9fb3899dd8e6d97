"""Placing figures in the paged layout, as a layout editor would.

WeasyPrint has no page floats: a figure too tall for the rest of a page moves to
the next page and leaves a hole. From one layout of a chapter, `decide` measures every
block and figure (flow.py) and places each figure, in order, where the pages it
predicts are best:

1. set a pushed figure *snug* (a smaller image, in 5 mm steps) when that makes it
   fit the hole, keeping it beside its paragraph;
2. otherwise *defer* it past the next paragraphs, which then fill the hole, or, when
   a heading follows it, bring it before the paragraphs before it (a figure never moves
   past a heading, and figures keep their order);
3. when the text would end on a runt page, set a figure before it snug.

A layout then checks the decisions, and `decide` looks again at that layout (a guess
may have been off by a line); render.py stops when nothing is left to improve. A short
chapter needs two or three layouts. The Book is never changed: the decisions apply to
the paged document's copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .flow import Flow, PageGuess, items, measure, measured_state, paginate
from .layout_map import PageFill

HOLE = 0.9  # a text page filled less than this before a pushed figure has a hole
MIN_FILL = 0.7  # less than this is a hole LAY-001 reports (checks/layout_checks.py)
TRIGGER = 0.72  # a chapter is laid out again to place its figures if a page before one
#                is less full than this (render.py: a chapter with smaller holes keeps
#                its first layout; one laid out again has its figures placed to HOLE)
RUNT = 0.2  # a last text page filled less than this is a runt
REPORTED = 0.5  # what a reported hole costs on top of its depth
RUNT_COST = 0.5
SNUG_STEPS_MM = tuple(range(95, 40, -5))  # image heights styles/base.css knows (.snug-95 …)
MIN_SNUG_RATIO = 0.7  # never shrink an image below 70 % of its natural height
MAX_DEFER = 5  # blocks a figure may move after its place in the text
MAX_ADVANCE = 2  # or before it (when it cannot move after: a heading follows)
FLOW_BLOCKS = ("p", "ul", "ol", "blockquote", "table", "dl", "pre")
MM = 96 / 25.4  # CSS pixels per millimetre


@dataclass(frozen=True)
class Child:
    """A child of a chapter's <section>, as the placement sees it."""
    tag: str
    figure: str | None  # a figure's id
    colon: bool = False  # its text ends with a colon: it introduces what follows it


def children_of(section) -> list[Child]:
    return [Child(child.tag, child.get("id") if child.tag == "figure" else None,
                  child.text_content().rstrip().endswith(":")) for child in section]


@dataclass
class Placement:
    deferred: dict[str, int] = field(default_factory=dict)  # figure id -> blocks later
    snug: dict[str, int] = field(default_factory=dict)  # figure id -> image height, mm on A5
    natural: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> (figure,
    # image) heights, px, as first laid out (before any was set snug)
    scale: float = 1.0  # the trim's height over A5's: a step's height on the page is step × it

    def moves(self) -> bool:
        """Does it change anything?"""
        return bool(self.deferred or self.snug)

    def copy(self) -> "Placement":
        return Placement(dict(self.deferred), dict(self.snug), dict(self.natural), self.scale)

    def step_px(self, step: int) -> float:
        """The image height a snug step sets, px (base.css: the A5 height times the trim's
        scale)."""
        return step * MM * self.scale

    def decisions(self) -> tuple:
        return tuple(sorted(self.deferred.items())), tuple(sorted(self.snug.items()))

    def apply(self, section) -> None:
        """Move and size the figures of one chapter's <section> (an lxml tree copy)."""
        children = list(section)
        for child in children:
            if child.tag == "figure" and child.get("id") in self.snug:
                css_class = f"snug-{self.snug[child.get('id')]}"
                child.set("class", f"{child.get('class', '')} {css_class}".strip())
        order = arrange(children_of(section), self.deferred)
        for child in children:
            section.remove(child)
        section.extend(children[index] for index in order)


def arrange(children: list[Child], deferred: dict[str, int]) -> list[int]:
    """The children's indices in the order the deferred figures give them."""
    blocks = [index for index, child in enumerate(children) if child.tag != "figure"]
    anchors = []  # (figure's index, index in `blocks` of the block it follows; -1: none)
    last = -1
    for index, child in enumerate(children):
        if child.tag != "figure":
            last += 1
            continue
        anchor = last + deferred.get(child.figure, 0)
        while anchor > last and any(children[b].tag not in FLOW_BLOCKS
                                    for b in blocks[last + 1:anchor + 1]):
            anchor -= 1
        while anchor < last and any(children[b].tag not in FLOW_BLOCKS  # brought forward
                                    for b in blocks[anchor + 1:last + 1]):
            anchor += 1
        anchor = min(anchor, len(blocks) - 1)
        # Never between a lead-in ending in a colon and the list it introduces.
        while 0 <= anchor < len(blocks) - 1 and children[blocks[anchor]].colon and \
                children[blocks[anchor + 1]].tag in FLOW_BLOCKS:
            anchor += 1
        anchors.append((index, max(anchor, anchors[-1][1] if anchors else -1)))
    order = [figure for figure, anchor in anchors if anchor < 0]
    for position, block in enumerate(blocks):
        order.append(block)
        order += [figure for figure, anchor in anchors if anchor == position]
    return order


def _hole(fill: float) -> float:
    return max(0.0, HOLE - fill) + (REPORTED if fill < MIN_FILL else 0.0)


def _penalty(pages: list) -> float:
    """How far a layout is from a well-made one: holes, a runt ending, length."""
    text_pages = [page for page in pages if (page.last_key or "").startswith("ch")]
    holes = sum(_hole(page.fill) for page in text_pages[:-1])
    runt = RUNT_COST if len(text_pages) >= 2 and text_pages[-1].fill < RUNT else 0.0
    return holes + runt + 0.05 * len(pages)


def layout_penalty(fills: list[PageFill]) -> float:
    return _penalty(fills)


def _heights(flow: Flow, placement: Placement) -> dict[str, float]:
    """Each figure's height (px) with its image at the size `placement` gives it."""
    heights = {}
    for block in flow.blocks:
        if block.figure is None or block.figure not in placement.natural:
            continue
        figure, image = placement.natural[block.figure]
        if block.figure in placement.snug:
            image_now = min(image, placement.step_px(placement.snug[block.figure]))
            heights[block.figure] = figure - image + image_now
        else:
            heights[block.figure] = figure
    return heights


class _Guesses:
    """Pages guessed for placements of one chapter, each from where it first differs
    from the layout measured (`flow`): up to there, the pages are the measured ones."""

    def __init__(self, flow: Flow, children: list[Child], measured: Placement):
        self.flow, self.children = flow, children
        self.measured = self.items(measured)

    def items(self, placement: Placement) -> list:
        by_index = {block.index: block for block in self.flow.blocks}
        order = [by_index[i] for i in arrange(self.children, placement.deferred)
                 if i in by_index]
        return items(self.flow, order, _heights(self.flow, placement))

    def pages(self, placement: Placement, until: str | None = None) -> list[PageGuess]:
        """The pages from the first one `placement` changes (the earlier ones: as
        measured); with `until`, only up to the one that figure starts on."""
        slices = self.items(placement)
        begin = min(_common(self.measured, slices), self.flow.measured(slices))
        if begin >= len(slices):
            return []
        return paginate(self.flow, slices, begin, measured_state(self.flow, slices, begin),
                        until)[0]


def _common(first: list, second: list) -> int:
    """How many slices two arrangements share from the start (same block, same size)."""
    for at, (one, two) in enumerate(zip(first, second)):
        if one[0].index != two[0].index or one[1] != two[1] or one[2].height != two[2].height:
            return at
    return min(len(first), len(second))


def _candidates(figure: str, placement: Placement) -> list[Placement]:
    """Other places and sizes for `figure`: deferred further or less, or set snug."""
    found = []
    for defer in range(-MAX_ADVANCE, MAX_DEFER + 1):
        if defer != placement.deferred.get(figure, 0):
            moved = placement.copy()
            moved.deferred[figure] = defer
            if not defer:
                del moved.deferred[figure]
            found.append(moved)
    _, image = placement.natural.get(figure, (0.0, 0.0))
    for step in SNUG_STEPS_MM:
        height = placement.step_px(step)
        if image * MIN_SNUG_RATIO <= height < image and step != placement.snug.get(figure):
            snug = placement.copy()
            snug.snug[figure] = step
            found.append(snug)
    if figure in placement.snug:
        natural = placement.copy()
        del natural.snug[figure]
        found.append(natural)
    return found


DEFER_COST = 0.02  # a figure moved one block away from its place in the text
SNUG_COST = 0.2  # times the share of its height an image loses
PLATE_COST = 0.15  # a page of figures with no text (the text is better beside them)


def _cost(placement: Placement) -> float:
    """What the moves and the smaller images cost (the fewer and smaller, the better)."""
    shrunk = sum(1 - placement.step_px(placement.snug[figure]) / placement.natural[figure][1]
                 for figure in placement.snug if figure in placement.natural)
    moved = sum(abs(blocks) * (1 if blocks > 0 else 2) for blocks in placement.deferred.values())
    return DEFER_COST * moved + SNUG_COST * shrunk


def _holes_before(pages: list[PageGuess], figure: str) -> float:
    """The holes on the text pages before the one `figure` starts on, and the pages with
    no text on them up to it (`pages`: from the first page a placement changes)."""
    at = next((page.page for page in pages if figure in page.figures), None)
    return sum(_hole(page.fill) + (PLATE_COST if getattr(page, "only_figures", False) else 0.0)
               for page in pages if (page.last_key or "").startswith("ch")
               and (at is None or page.page < at or (page.page == at and getattr(page, "only_figures", False))))


def decide(placement: Placement, document, fills: list[PageFill], children: list[Child],
           chapter_id: str, flow: Flow | None = None) -> Placement | None:
    """The placement to lay out next, from the layout `document` made with `placement`
    (or from its `flow`, measured apart: halves.py); None when no figure would sit
    better.

    Figures are placed in order, each where the pages before it have the fewest holes
    for the least move (`_cost`); then, if the text ends on a runt page, a figure near
    the end is set snug if that pulls it back. Pages are guessed from where a placement
    first differs from the layout measured (flow.py), so a guess is off only after it."""
    if flow is None:
        flow = measure(document, chapter_id, arrange(children, placement.deferred))
    if flow is None:
        return None
    best = placement.copy()
    for block in flow.blocks:  # sizes as laid out, for figures not set snug yet
        if block.figure is not None and block.figure not in best.natural \
                and block.figure not in best.snug:
            best.natural[block.figure] = (block.slices[0].height, block.image)
    guesses = _Guesses(flow, children, best)

    def whole(chosen: Placement, until: str | None = None) -> list:  # measured pages,
        guessed = guesses.pages(chosen, until)  # then those guessed (up to `until`'s)
        return fills[:guessed[0].page - 1] + guessed if guessed else fills

    def runt(pages: list) -> bool:
        text = [page for page in pages if (page.last_key or "").startswith("ch")]
        return len(text) >= 2 and text[-1].fill < RUNT

    for child in children:
        figure = child.figure
        if figure is None or figure not in best.natural:
            continue
        score = _holes_before(whole(best, figure), figure) + _cost(best)
        for candidate in _candidates(figure, best):
            tried = _holes_before(whole(candidate, figure), figure) + _cost(candidate)
            if tried < score - 1e-6:
                best, score = candidate, tried
    pages = whole(best)
    if runt(pages):  # pull a runt back: a figure near the end set snug
        for figure in [figure for page in pages[-3:] for figure in page.figures]:
            found = next((candidate for candidate in _candidates(figure, best)
                          if candidate.deferred == best.deferred
                          and not runt(whole(candidate))
                          and len(whole(candidate)) <= len(pages)), None)
            if found is not None:
                best = found
                break
    return best if best.decisions() != placement.decisions() else None
