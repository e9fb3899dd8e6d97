"""Reading text back out of a PDF, the way a reader's copy-and-paste sees it.

Used by the build checks (text completeness) and by the tests. The text block
excludes the running heads (top margin) and folios (bottom margin).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pypdfium2

MM = 72 / 25.4
TEXT_TOP_MM = 17  # must match the @page margins in styles/base.css
TEXT_BOTTOM_MM = 24
LIST_MARKER = "\u2013\u2002"  # the ::marker of list items in styles/base.css
HYPHEN_BREAK = re.compile("[\u2010\u00ad]\\s*")  # WeasyPrint's hyphenation mark + line end


def page_texts(pdf: Path, body_only: bool = True) -> list[str]:
    """The text of each page; `body_only` drops running heads and folios."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        texts = []
        for page in document:
            text_page = page.get_textpage()
            left, bottom, right, top = page.get_trimbox()
            if body_only:
                bottom, top = bottom + TEXT_BOTTOM_MM * MM, top - TEXT_TOP_MM * MM
            # Always bounded: pdfium's unbounded extraction drops hard hyphens at line ends.
            text = text_page.get_text_bounded(left, bottom, right, top)
            texts.append(text)
            text_page.close()
            page.close()
        return texts
    finally:
        document.close()


def normalise(text: str) -> str:
    """One comparable form: hyphenation undone, whitespace collapsed, NFC."""
    text = unicodedata.normalize("NFC", text).replace("\r", "")
    text = HYPHEN_BREAK.sub("", text)
    # pdfium marks a hard hyphen at a line end as \x02; list markers are "– " + en space.
    text = text.replace("\ufffe", "").replace("\x02", "-").replace(LIST_MARKER, " ")
    return " ".join(text.split())
