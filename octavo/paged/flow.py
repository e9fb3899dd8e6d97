"""A chapter's flow as measured in one layout, and its pages predicted for another
arrangement of its figures (for placement.py: deciding costs no layout).

`measure(document, chapter_id)` reads from WeasyPrint's boxes the blocks of the
chapter's `<section>` (its children: paragraphs, lists, headings, figures…), each as
the slices a page break may fall between (its lines; a figure is one slice), with
their heights, the notes their lines call and the space between them. `paginate(flow,
order, heights)` then breaks the blocks, in any order and with any figure heights, into
pages as WeasyPrint does, closely enough to choose: slices fill a page until the next
does not fit; a line's notes go to the foot of its page, or, when they do not fit there
(under the area's max-height too) or an earlier note of the page did not, to the next
page's foot, before that page's own (WeasyPrint's `footnote-policy: auto`); a line
before which no break may fall but after which one may is fitted by setting the page's
notes on the next page, the last first, and ends the page (that line's own notes go
to the next page too, after them: paged/footnotes.py); a paragraph keeps two
lines on each side of a break (orphans, widows); a heading stays with what follows it;
a block at the head of a page keeps its top margin. A layout then checks what was
chosen (render.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from weasyprint.formatting_structure import boxes

from ..manuscript.book import BLOCK_KEY

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
ORPHANS = WIDOWS = 2  # styles/base.css: p, li { orphans: 2; widows: 2 }


@dataclass
class Slice:
    height: float  # px
    gap: float  # px above it after the slice before it in the same block (same page)
    notes: list[float]  # heights of the notes it calls
    key: str | None  # the innermost block holding it
    page: int = 0  # where the measured layout put it: its page (from 1), and the space
    above: float = 0.0  # used on that page above it (px, from the top of the content)
    notes_above: float = 0.0  # and by the notes at its foot before its own
    bottom: float = 0.0  # where it ends on its page (px, from the top of the content)
    carried_above: float = 0.0  # px of notes called before it on its page, set on the next
    carried: float = 0.0  # px of its own notes set at the next page's foot


@dataclass
class Block:
    index: int  # its place among the section's children in the manuscript
    figure: str | None  # the figure's id, if it is one
    slices: list[Slice] = field(default_factory=list)
    margin_top: float = 0.0
    margin_bottom: float = 0.0
    heading: bool = False
    image: float = 0.0  # a figure's image height, px


@dataclass
class Flow:
    blocks: list[Block]  # in the manuscript's order
    capacity: float  # the page's content height, px
    first_offset: float  # where the first block starts on the first page, px
    notes_overhead: float  # the footnote area's margin, rule and padding, px
    gaps: dict = field(default_factory=dict)  # (block index, block index) -> px, measured
    notes_max: float = float("inf")  # the footnote area's max-height (its notes), px
    runs: dict = field(default_factory=dict)  # block index -> its slices' `_runs`
    measured_to: int | None = None  # blocks from this index on were measured apart (their
    #                                 pages are not the chapter's: halves.py); None: all

    def measured(self, slices: list) -> int:
        """How many of `slices` (items) from the start are where the layout put them, at
        most: up to the first block measured apart."""
        if self.measured_to is None:
            return len(slices)
        return next((at for at, item in enumerate(slices)
                     if item[0].index >= self.measured_to), len(slices))

    def gap(self, before: Block, after: Block) -> float:
        measured = self.gaps.get((before.index, after.index))
        return measured if measured is not None else max(before.margin_bottom, after.margin_top)


def _px(value) -> float:
    return float(getattr(value, "value", value) or 0) if not isinstance(value, str) else 0.0


def _section_boxes(page_box, chapter_id: str):
    for box in page_box.descendants():
        element = getattr(box, "element", None)
        if isinstance(box, boxes.BlockBox) and element is not None \
                and element.get("id") == chapter_id and element.tag == "section":
            return box
    return None


def _leaves(box, key: str | None = None):
    """(slice, innermost block key) of a block box on one page, in order: its lines,
    table rows and block images."""
    element = getattr(box, "element", None)
    key = (element.get(BLOCK_KEY) if element is not None else None) or key
    for child in box.children:
        if isinstance(child, (boxes.LineBox, boxes.TableRowBox, boxes.BlockReplacedBox)):
            child_element = getattr(child, "element", None)
            yield child, (child_element.get(BLOCK_KEY) if child_element is not None
                          and not isinstance(child, boxes.LineBox) else None) or key
        elif isinstance(child, boxes.ParentBox) and not isinstance(
                child, (boxes.FootnoteAreaBox, boxes.MarginBox)):
            yield from _leaves(child, key)


def _calls(line) -> list[str]:
    return [box.element.get("id") for box in line.descendants()
            if (box.element_tag or "").endswith("::footnote-call") and isinstance(
                box, boxes.InlineBox) and box.element is not None]


def measure(document, chapter_id: str, arranged: list[int]) -> Flow | None:
    """The chapter's flow in this layout (None if its section is not found).

    `arranged`: for each child of the section as laid out, its index in the
    manuscript's order (`placement.arrange`); the blocks are known by that index."""
    blocks: dict[int, Block] = {}
    order: list[Block] = []  # as laid out
    gaps: dict = {}
    capacity = first_offset = overhead = None
    previous: tuple[Block, float, int] | None = None  # the last slice's block, bottom, page
    sections: dict[int, dict] = {}  # id(section element) -> id(child) -> its place among
    #                                 the section's children (a layout started from an
    #                                 earlier one, relayout.py, shows that one's elements
    #                                 on the pages it took: two trees, the same children)
    at_foot: list[dict] = []  # each page's notes: id -> height (px)
    notes_max = float("inf")
    for page in document.pages:
        notes = {}
        for area in page._page_box.children:
            if isinstance(area, boxes.FootnoteAreaBox) and isinstance(
                    area.max_height, (int, float)):
                notes_max = min(notes_max, float(area.max_height))
            if isinstance(area, boxes.FootnoteAreaBox) and area.children:
                for note in area.children:
                    if note.element is not None:
                        notes[note.element.get("id")] = note.margin_height()
                if overhead is None:
                    overhead = area.margin_height() - sum(n.margin_height() for n in area.children)
        at_foot.append(notes)
    heights = {note: height for notes in at_foot for note, height in notes.items()}
    carried_over: set = set()  # notes called on the page before, set at this one's foot
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        top = page_box.position_y + page_box.margin_top + page_box.padding_top \
            + page_box.border_top_width
        capacity = capacity or page_box.height
        notes = at_foot[number]
        carried_in = sum(notes[note] for note in carried_over if note in notes)
        carried_over = set()
        page_notes = carried_in + ((overhead or 0.0) if carried_in else 0.0)
        page_carried = 0.0
        section = _section_boxes(page_box, chapter_id)
        if section is None:
            continue
        positions = sections.get(id(section.element))
        if positions is None:  # WeasyPrint's elements (ElementTree) know no parent
            positions = sections[id(section.element)] = {
                id(child): n for n, child in enumerate(section.element)}
        for child in section.children:
            element = child.element
            position = positions.get(id(element)) if element is not None else None
            if position is None or position >= len(arranged):
                continue
            index = arranged[position]
            block = blocks.get(index)
            if block is None:
                block = blocks[index] = Block(
                    index, element.get("id") if element.tag == "figure" else None, [],
                    _px(child.style["margin_top"]), _px(child.style["margin_bottom"]),
                    element.tag in HEADINGS)
                order.append(block)
            if block.figure is not None:
                height = child.border_height()
                image = next((b for b in child.descendants()
                              if isinstance(b, boxes.ReplacedBox)), None)
                block.image = image.height if image is not None else 0.0
                slice_top = child.position_y + child.margin_top
                same_page = previous is not None and previous[2] == number
                block.slices = [Slice(height, 0.0, [], element.get(BLOCK_KEY), number + 1,
                                      previous[1] - top if same_page else 0.0, page_notes,
                                      slice_top + height - top)]
                if previous is not None and previous[2] == number:
                    gaps[(previous[0].index, block.index)] = slice_top - previous[1]
                if first_offset is None:
                    first_offset = slice_top - top
                previous = (block, slice_top + height, number)
                continue
            for leaf, key in _leaves(child):
                slice_top = leaf.position_y
                height = leaf.margin_height()
                same_page = previous is not None and previous[2] == number
                gap = slice_top - previous[1] if same_page else 0.0
                if same_page and previous[0] is not block:
                    gaps[(previous[0].index, block.index)] = gap
                if first_offset is None:
                    first_offset = slice_top - top
                calls = _calls(leaf) if isinstance(leaf, boxes.LineBox) else []
                kept = sum(notes.get(call, 0.0) for call in calls)
                carried = sum(heights.get(call, 0.0) for call in calls if call not in notes)
                carried_over.update(call for call in calls if call not in notes)
                block.slices.append(Slice(height, gap if previous is not None
                                          and previous[0] is block else 0.0,
                                          [heights.get(call, 0.0) for call in calls], key,
                                          number + 1, previous[1] - top if same_page else 0.0,
                                          page_notes, slice_top + height - top,
                                          page_carried, carried))
                if kept:
                    page_notes += kept + ((overhead or 0.0) if not page_notes else 0.0)
                page_carried += carried
                previous = (block, slice_top + height, number)
    if not order:
        return None
    return Flow(sorted(order, key=lambda block: block.index), capacity or 1.0,
                first_offset or 0.0, overhead if overhead is not None else 0.0, gaps,
                notes_max)


def joined(first: Flow, second: Flow, at: int) -> Flow:
    """One flow of a chapter measured in two halves (halves.py): `second`'s blocks are
    those from `at` on; the gap between the halves is the blocks' margins."""
    return Flow(first.blocks + [block for block in second.blocks if block.index >= at],
                first.capacity, first.first_offset,
                first.notes_overhead or second.notes_overhead, {**second.gaps, **first.gaps},
                min(first.notes_max, second.notes_max), measured_to=at)


@dataclass
class PageGuess:
    page: int  # 1-based, in the chapter
    fill: float
    hole: float  # px left between the last slice and the notes
    figures: tuple[str, ...]
    first_is_figure: bool
    last_key: str | None
    only_figures: bool = False  # no line of text on it


def _runs(slices: list[Slice]) -> list[tuple[int, int]]:
    """(position in its paragraph, the paragraph's lines) of each slice: consecutive
    slices of the same innermost block are one paragraph."""
    runs, start = [], 0
    for n in range(len(slices) + 1):
        if n == len(slices) or (n > start and slices[n].key != slices[start].key):
            runs += [(at, n - start) for at in range(n - start)]
            start = n
    return runs


@dataclass(frozen=True)
class State:
    """Where the pagination stands before a slice."""
    page: int  # its page, from 1
    start: int  # the index of that page's first slice
    y: float  # px used on the page (from the top of the content), notes aside
    kept: tuple = ()  # the heights of the notes at the page's foot (px), in order
    carried: tuple = ()  # and of those called on it to be set at the next page's foot


def _area(flow: Flow, kept) -> float:
    """The footnote area's height (px): its notes, and its margin, rule and padding."""
    return sum(kept) + (flow.notes_overhead if kept else 0.0)


def _fits(flow: Flow, y: float, kept: list[float]) -> bool:
    """Do these notes fit at the foot of a page used down to `y` (and in the area's
    max-height)?"""
    return y + _area(flow, kept) <= flow.capacity + 0.01 and sum(kept) <= flow.notes_max + 0.01


def _carried_in(flow: Flow, carried: list[float]) -> tuple[list[float], list[float]]:
    """A new page's notes from those set over from the page before (set first; those
    the area cannot hold go on again)."""
    kept: list[float] = []
    for at, height in enumerate(carried):
        if not _fits(flow, 0.0, kept + [height]):
            return kept, list(carried[at:])
        kept.append(height)
    return kept, []


Item = tuple  # (block, n, slice, gap above it after the slice before, break allowed before)


def items(flow: Flow, order: list[Block], heights: dict[str, float]) -> list[Item]:
    """The slices of the blocks in `order`, figures `heights` tall (px) where given."""
    found: list[Item] = []
    before: Block | None = None
    for block in order:
        runs = flow.runs.get(block.index)
        if runs is None:  # the same for every arrangement: found once per flow
            runs = flow.runs[block.index] = _runs(block.slices)
        for n, piece in enumerate(block.slices):
            if block.figure is not None and block.figure in heights:
                piece = Slice(heights[block.figure], 0.0, [], piece.key, piece.page,
                              piece.above, piece.notes_above, piece.bottom,
                              piece.carried_above)
            if n == 0:
                gap = flow.gap(before, block) if before is not None else 0.0
                breakable = before is not None and not before.heading
            else:  # inside a paragraph: two lines on each side (a list: per item)
                gap = piece.gap
                at, length = runs[n]
                breakable = block.figure is None and not block.heading and (
                    at == 0 or (at >= ORPHANS and length - at >= WIDOWS))
            found.append((block, n, piece, gap, breakable))
        before = block
    return found


def measured_state(flow: Flow, slices: list[Item], index: int) -> State:
    """The state before slice `index` as the measured layout left it, after the slices
    before it (when those are where that layout put them)."""
    if index == 0:
        return State(1, 0, flow.first_offset)
    before = slices[index - 1][2]
    start = index - 1
    while start > 0 and slices[start - 1][2].page == before.page:
        start -= 1
    first = slices[start][2]
    carried_in = first.notes_above - (flow.notes_overhead if first.notes_above else 0.0)
    kept = [carried_in] if carried_in > 0.01 else []
    for item in slices[start:index]:  # a slice's notes set on the next page: its last
        own, carried = list(item[2].notes), item[2].carried
        while own and carried > 0.01:
            carried -= own.pop()
        kept += own
    carried = before.carried_above + before.carried
    return State(before.page, start, before.bottom, tuple(kept),
                 (carried,) if carried > 0.01 else ())


def paginate(flow: Flow, slices: list[Item], begin: int = 0, state: State | None = None,
             until: str | None = None) -> tuple[list[PageGuess], list[State]]:
    """Break `slices` into pages from slice `begin` (in `state`; from the start of the
    chapter by default). Returns the pages from `state.page` on, and the state before
    each slice from `begin` (`states[i - begin]`); with `until` (a figure's id), only up
    to the page that figure starts on."""
    pages: list[PageGuess] = []
    states: list[State] = []
    capacity = flow.capacity + 0.01
    if state is None:
        state = State(1, 0, flow.first_offset)
    page, start, y = state.page, state.start, state.y
    kept, carried = list(state.kept), list(state.carried)
    index = begin
    while index < len(slices):
        block, n, piece, gap, breakable = slices[index]
        add = (gap if index > start else 0.0) + piece.height
        last = False  # the page ends after this slice
        if index > start and y + add + _area(flow, kept) > capacity:
            if n and not breakable and index + 1 < len(slices) and \
                    slices[index + 1][0] is block and slices[index + 1][4]:
                # WeasyPrint sets the page's notes on the next page, the last first, to
                # fit a line before which no break may fall and after which one may
                trial_kept, trial_carried = kept[:], carried[:]
                while trial_kept and y + add + _area(flow, trial_kept) > capacity:
                    trial_carried.insert(0, trial_kept.pop())
                if y + add + _area(flow, trial_kept) <= capacity:
                    kept, carried, last = trial_kept, trial_carried, True
            if not last:
                lowest = max(start + 1, begin)  # break before `index`, or the last slice
                cut = next((c for c in range(index, lowest - 1, -1) if slices[c][4]), index)
                if cut < index:  # as things stood before slice `cut`
                    bottom = _bottom(slices, start, cut, states, begin, state)
                    kept, carried = list(states[cut - begin].kept), \
                        list(states[cut - begin].carried)
                else:
                    bottom = y
                del states[cut - begin:]
                pages.append(_page(page, slices[start:cut], bottom, _area(flow, kept),
                                   flow.capacity))
                if until is not None and until in pages[-1].figures:
                    return pages, states
                page, start, index = page + 1, cut, cut
                first = slices[cut]
                y = first[0].margin_top if first[1] == 0 else 0.0
                kept, carried = _carried_in(flow, carried)
                continue
        states.append(State(page, start, y, tuple(kept), tuple(carried)))
        y += add
        index += 1
        if last:  # that line's own notes follow those set on the next page
            carried.extend(piece.notes)
            pages.append(_page(page, slices[start:index], y, _area(flow, kept),
                               flow.capacity))
            if until is not None and until in pages[-1].figures:
                return pages, states
            page, start = page + 1, index
            if index < len(slices):
                y = slices[index][0].margin_top if slices[index][1] == 0 else 0.0
            kept, carried = _carried_in(flow, carried)
            continue
        for height in piece.notes:  # a note that does not fit goes to the next page,
            if carried or not _fits(flow, y, kept + [height]):  # and so do those after it
                carried.append(height)
            else:
                kept.append(height)
    if start < len(slices):
        pages.append(_page(page, slices[start:], y, _area(flow, kept), flow.capacity))
    return pages, states


def _bottom(slices: list[Item], start: int, cut: int, states: list[State], begin: int,
            state: State) -> float:
    """Where the page's last slice before `cut` ends."""
    last = cut - 1
    before = states[last - begin] if last >= begin else None
    if before is None:
        return state.y
    block, n, piece, gap, _ = slices[last]
    return before.y + (gap if last > start else 0.0) + piece.height


def _page(number: int, on_page: list[Item], bottom: float, notes: float,
          capacity: float) -> PageGuess:
    figures = tuple(dict.fromkeys(b.figure for b, n, *_ in on_page
                                  if b.figure is not None and n == 0))
    hole = max(0.0, capacity - bottom - notes)
    return PageGuess(number, 1 - hole / capacity, hole, figures,
                     bool(on_page) and on_page[0][0].figure is not None,
                     on_page[-1][2].key if on_page else None,
                     bool(on_page) and all(b.figure is not None for b, *_ in on_page))
