"""One WeasyPrint 70 footnote fault, mended when the paged stage is imported.

When a line runs past the page's bottom, WeasyPrint's `_linebox_layout` (layout/block.py)
first moves the page's last footnotes to the next page; if that frees room for the line,
it keeps the line and stops the page there, without looking at the footnote calls *in*
that line. Their notes are then neither on this page nor moved to the next: the call
is printed and its note is lost (a note-heavy book lost notes this way: TXT-001). Every
note called in a kept line is either on the page or moved on, so a note still waiting
after the line is kept is moved to the next page, after those moved for it: notes keep
their order, and a later note may not come before one that was moved. Takes and gives
what `_linebox_layout` does.
"""

from __future__ import annotations

from weasyprint.layout import block

_linebox_layout = block._linebox_layout


def _linebox_layout_keeping_notes(context, box, index, child, new_children, *args):
    result = _linebox_layout(context, box, index, child, new_children, *args)
    if context.footnotes and new_children:
        new_footnotes = result[4]
        for line in new_children:
            for descendant in line.descendants():
                if descendant.footnote is not None and \
                        descendant.footnote in context.footnotes:  # called, never laid out
                    context.footnotes.remove(descendant.footnote)
                    context.reported_footnotes.append(descendant.footnote)
                    new_footnotes.append(descendant.footnote)  # undone if box aborts
    return result


if getattr(block._linebox_layout, "__module__", "") != __name__:
    block._linebox_layout = _linebox_layout_keeping_notes  # what block_container_layout calls
