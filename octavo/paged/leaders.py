"""Dot leaders set as one run of text, when the paged stage is imported.

WeasyPrint 70 fills a `leader(". ")` (the contents page: styles/structure.css) with one
text box per dot, each placed back from the line's end so that the dots of every line
stand in the same columns. Each box is then drawn on its own: Pango sets up a layout
and shapes ". " again for every dot, and the PDF moves to each one. A contents page of
160 entries held 4,000 such boxes, and took longer to lay out and write than a chapter
of 20 pages, alone on one core at the end of the book's layout (the chapters' page
numbers must be known first).

The dots of a leader are now one text box from the leftmost dot's place: the same text
repeated, as wide as the dots were, so the line, the columns and what follows are where
they were, and Pango draws each dot where one was (its advances are whole 1/1024 px: the
run is exactly as wide as the dots). Only then: a leader whose repeats Pango shapes
across their joins (a kerned pair such as "AV") draws narrower than its dots, and one
with letter- or word-spacing has half a space at each end of a run where each box had
one: they keep their dots, as does a line with an ellipsis, which is drawn box by box.
The benchmark book's contents page: 0.73 -> 0.48 s. Takes and gives what WeasyPrint's
`handle_leader` does.
"""

from __future__ import annotations

from weasyprint.layout import inline, leader
from weasyprint.text.line_break import create_layout, line_size

_handle_leader = inline.handle_leader


def handle_leader(context, line, containing_block) -> None:
    _handle_leader(context, line, containing_block)
    index, box = leader.leader_index(line)
    if index is None or len(box.children) < 2 or line.text_overflow != "clip" \
            or line.style["block_ellipsis"] != "none":  # (an ellipsis is drawn per box)
        return
    dots = box.children  # from the line's end back, each a copy of one text box
    first = min(dots, key=lambda dot: dot.position_x)
    if first.style["letter_spacing"] != "normal" or first.style["word_spacing"] \
            or first.justification_spacing:  # (Pango spaces a run's ends as a box's)
        return
    text = first.text * len(dots)
    width = sum(dot.width for dot in dots)
    layout = create_layout(text, first.style, context, None, first.justification_spacing)
    drawn, _ = line_size(layout.get_first_line()[0], first.style)
    layout.deactivate()  # (as WeasyPrint keeps a laid-out line's; drawing reactivates it)
    if drawn != width:  # shaped across the joins (kerning, letter-spacing): as they were
        return
    run = first.copy_with_text(text)
    run.width, run.pango_layout = width, layout
    box.children = (run,)


if getattr(inline.handle_leader, "__module__", "") != __name__:
    inline.handle_leader = handle_leader  # what iter_line_boxes calls
