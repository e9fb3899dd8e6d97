"""A part's lines broken once for all its layouts (`remembered`: part.py).

Placing a chapter's figures lays it out again (render.py), and WeasyPrint then breaks
every line of its paragraphs anew: the same text, in the same width and style, asked of
Pango again (`split_first_line` was a third of a layout). Within one layout, too, a line
is asked for more than once (a paragraph tried on a page, then on the next). While
`remembered()` is in effect, each answer is kept by everything it is a function of: the
text, the width as it sees it (`_width`: a verso's lines ask in a width a few 1e-8 px
from a recto's), the justification, the two flags, the font configuration and every
computed value `split_first_line` and its Pango layout read (`KEYS`: WeasyPrint 70's
text/line_break.py and text/fonts.py). A line asked again gets a copy of the first
answer (WeasyPrint keeps the answer's layout in the box and reactivates it to draw),
holding the width it was asked in: the same boxes, the same bytes. Outside it, nothing
is kept. The lines of the margin boxes' and tables' preferred widths are kept too (the
same running head on every page). Takes and gives what `split_first_line` does (after
linebreak.py's mend, where WeasyPrint's layout calls that).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from weasyprint.layout import inline, preferred
from weasyprint.text import line_break

from . import linebreak

# Every computed value WeasyPrint 70's split_first_line reads, directly or through
# Layout.setup/set_text/set_tabs, get_font_description, font_features, line_size and
# first_line_metrics (text/line_break.py, text/fonts.py).
KEYS = ("direction", "font_family", "font_feature_settings", "font_kerning",
        "font_language_override", "font_size", "font_stretch", "font_style",
        "font_variant_alternates", "font_variant_caps", "font_variant_east_asian",
        "font_variant_ligatures", "font_variant_numeric", "font_variant_position",
        "font_variation_settings", "font_weight", "hyphenate_character",
        "hyphenate_limit_chars", "hyphenate_limit_zone", "hyphens", "lang",
        "letter_spacing", "overflow_wrap", "tab_size", "text_decoration_line",
        "white_space", "word_break", "word_spacing")

_memo: dict | None = None  # while `remembered()` is in effect: key -> (the first answer,
#                             the width it was asked in)
# A key holds the rest of its paragraph's text, so a paragraph's lines hold its length
# times their number: the memory a part's lines may hold is bounded, in characters (a
# book's chapter holds a few hundred thousand; a manuscript with a 300,000-character
# paragraph is laid out, its lines not all kept).
LONGEST = 20_000  # a longer rest of a paragraph is broken without being kept
BUDGET = 16_000_000  # characters of keys kept for one part's layouts
_left = 0


@contextmanager
def remembered():
    """Keep the lines broken inside it (nested: the outermost one keeps them)."""
    global _memo, _left
    if _memo is not None:
        yield
        return
    _memo, _left = {}, BUDGET
    try:
        yield
    finally:
        _memo = None


def kept() -> dict:
    """The lines kept so far (empty outside `remembered()`), to hand to `adopt` in the
    process this one was forked from (halves.py: a half laid out in another process)."""
    return dict(_memo) if _memo is not None else {}


def adopt(lines: dict) -> None:
    """Keep the lines another process broke (`kept()` there), if lines are kept here:
    that process was forked from this one, inside the same `remembered()`, so the font
    configuration a key names is the same object."""
    global _left
    if _memo is not None:
        for key, answer in lines.items():
            if key not in _memo and _left >= len(key[1]):
                _memo[key] = answer
                _left -= len(key[1])


def _width(max_width, style):
    """The width as `split_first_line` sees it. Pango breaks in whole 1/1024 px (it is
    given `int(max_width * 1024)`), a line's width is a whole number of them (without
    letter-spacing), and each other use of the width is a comparison with such a width,
    a difference from one compared with a zero hyphenation zone, or the two values of
    its first guess of how much text a line holds. Two widths that agree on all of
    these get the same answer: a line on a verso asks in a width a few 1e-8 px from the
    recto's, which is the same line. Otherwise, the width itself."""
    if max_width is None or not 0 < max_width < 2 ** 21 or not style["font_size"] \
            or style["letter_spacing"] != "normal" \
            or getattr(style["hyphenate_limit_zone"], "value", None) != 0:
        return max_width
    units = max_width * 1024
    if units == int(units):  # on Pango's grid: a line as wide as the room fits or not
        return max_width
    return ("units", int(units), int(max_width / style["font_size"] * 4),
            style["font_size"] * 4 > max_width)  # (line_break.split_first_line's ratio 4)


def _remembering(inner):
    """`inner` (a split_first_line), its answers kept while `remembered()` is in effect."""
    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        global _left

        def asked():
            return inner(text, style, context, max_width, justification_spacing,
                         is_line_start, minimum)
        if _memo is None or len(text) > LONGEST:
            return asked()
        try:
            key = (inner, text, _width(max_width, style), justification_spacing,
                   is_line_start, minimum, id(style.font_config),
                   tuple([style[name] for name in KEYS]))
            entry = _memo.get(key)
        except TypeError:  # a value that cannot be hashed: not kept
            return asked()
        if entry is None:
            found = asked()
            if _left >= len(text):
                _memo[key] = found, max_width
                _left -= len(text)
            return (copy.copy(found[0]),) + found[1:]  # (the one kept is never handed out)
        found, asked_in = entry
        layout = copy.copy(found[0])
        if layout.max_width == asked_in:  # (it holds the width it was asked in, unless
            layout.max_width = max_width  # linebreak.py's mend laid it out unbounded)
        return (layout,) + found[1:]
    split_first_line.__module__ = __name__
    return split_first_line


if getattr(inline.split_first_line, "__module__", "") != __name__:
    # what split_text_box calls (linebreak.py's mend), and what the preferred widths
    # of margin boxes, tables and inline blocks call (WeasyPrint's own)
    inline.split_first_line = _remembering(linebreak.split_first_line)
    preferred.split_first_line = _remembering(line_break.split_first_line)
