"""One WeasyPrint 70 fault, mended when the paged stage is imported.

A font with colour glyphs (an emoji font: PNG, SVG or COLR images) is saved again once
its images are taken out, and fontTools stamps a font it saves with the time (the head
table's `modified`): two builds of a book with an emoji, a few seconds apart, gave
PDFs that differed in that font and nowhere else (the fixture tests/fixtures/dialect2,
found comparing builds). A font WeasyPrint saves now keeps the date it came with.
Takes and gives what fontTools' `TTFont` does.
"""

from __future__ import annotations

from fontTools.ttLib import TTFont
from weasyprint.pdf import fonts


class DatedTTFont(TTFont):
    def __init__(self, *args, recalcTimestamp: bool = False, **kwargs):
        super().__init__(*args, recalcTimestamp=recalcTimestamp, **kwargs)


if getattr(fonts.TTFont, "__module__", "") != __name__:
    fonts.TTFont = DatedTTFont  # what weasyprint/pdf/fonts.py opens and saves fonts with
