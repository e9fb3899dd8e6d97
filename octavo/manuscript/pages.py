"""Where each page of the PDF begins, as a place in the Book's text.

A `PageStart` names a block of the Book by its `data-o` key and a character
offset into that block's text (as `text_content()` gives it). The EPUB writer
puts its page-break markers there, so the EPUB's page list matches the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageStart:
    page: int  # the printed page number (1-based, as in the PDF)
    key: str  # the block's data-o key, e.g. "ch1.17"
    offset: int  # characters of the block's text that fall on earlier pages
