"""One WeasyPrint 70 cost, cut when the paged stage is imported.

WeasyPrint makes all sixteen margin boxes of every page, and works out the used value
of each one's margins, paddings, borders, sizes and their limits from its style (the
style of each page is its own: computing it was most of the cost). A box with no
content is then set to nothing (no size, no margins, no padding, no borders) and only
its neighbours' room is worked out from it, from those zeros. Its values are not
worked out at all now: the same boxes and pages, 2-3 % less layout time (make_margin_boxes
was a sixth of a chapter's layout; a page has two boxes with content, a head and a
folio). Takes and gives what `resolve_percentages` does.
"""

from __future__ import annotations

from weasyprint.formatting_structure import boxes
from weasyprint.layout import page

_resolve_percentages = page.resolve_percentages


def resolve_percentages(box, containing_block, *args, **kwargs):
    if type(box) is boxes.MarginBox and not getattr(box, "is_generated", True):
        return  # make_margin_boxes sets it to nothing next
    return _resolve_percentages(box, containing_block, *args, **kwargs)


if getattr(page.resolve_percentages, "__module__", "") != __name__:
    page.resolve_percentages = resolve_percentages  # what make_margin_boxes calls
