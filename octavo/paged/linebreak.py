"""One WeasyPrint 70 line-breaking fault, mended when the paged stage is imported.

WeasyPrint lays out a run of text that ends with a space before an inline element
(`the call operator <code>()</code>`) as one Pango line. When the run fits the line but
its trailing space does not, Pango reports the line too wide, and WeasyPrint's
`split_first_line` then keeps only the run's first word: the paragraph opens with a
line that holds "A" (the corpus book had one). A space at a line end collapses, so the
run does fit: it is laid out whole, and the element after it moves to the next line,
as it does at every other width. A first line of two words or more is not the fault:
it is looked at no further (a run is laid out again only when one word was kept).
Takes and gives what `split_first_line` does.
"""

from __future__ import annotations

from weasyprint.layout import inline
from weasyprint.text import line_break

_split_first_line = line_break.split_first_line


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    result = _split_first_line(text, style, context, max_width, justification_spacing,
                               is_line_start, minimum)
    if result[2] is None or max_width is None or not text.endswith(" ") \
            or style["white_space"] not in ("normal", "nowrap", "pre-line") \
            or " " in text[:result[1]].strip(" "):  # the fault keeps one word, no more
        return result
    run = _split_first_line(text.rstrip(" "), style, context, max_width,
                            justification_spacing, is_line_start, minimum)
    if run[2] is not None or run[3] > max_width:
        return result  # the run itself needs the break
    return _split_first_line(text, style, context, None, justification_spacing,
                             is_line_start, minimum)


if getattr(inline.split_first_line, "__module__", "") != __name__:
    inline.split_first_line = split_first_line  # what split_text_box calls
