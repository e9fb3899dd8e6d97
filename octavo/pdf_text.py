"""Reading text back out of a PDF, the way a reader's copy-and-paste sees it.

Used by the build checks (text completeness) and by the tests. The text block
excludes the running heads (top margin) and folios (bottom margin).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import pypdfium2

MM = 72 / 25.4
TEXT_TOP_MM = 17  # must match the @page margins in styles/base.css
TEXT_BOTTOM_MM = 24
LIST_MARKER = "\u2013\u2002"  # the ::marker of list items in styles/base.css
HYPHEN_BREAK = re.compile("[\u2010\u00ad]\\s*")  # WeasyPrint's hyphenation mark + line end
# A footnote at the foot of a page starts a line with its number, a full stop and an
# en space: `.footnote::footnote-marker` in styles/base.css.
NOTE_START = re.compile(r"(?:^|\r?\n)\d+\.\u2002")


def split_notes(page_text: str) -> tuple[str, str]:
    """(running text, footnotes) of one page's body text: the notes come last."""
    found = NOTE_START.search(page_text)
    if found is None:
        return page_text, ""
    return page_text[:found.start()], page_text[found.start():]


def running_text_and_notes(pdf: Path) -> tuple[str, str]:
    """The PDF's running text (notes taken out, so a sentence runs on across a page
    whose foot holds notes) and its notes, each as one string."""
    parts = [split_notes(text) for text in page_texts(pdf)]
    return " ".join(body for body, _ in parts), " ".join(notes for _, notes in parts)


def page_texts(pdf: Path, body_only: bool = True) -> list[str]:
    """The text of each page; `body_only` drops running heads and folios."""
    stat = Path(pdf).stat()
    return list(_both_texts(str(pdf), stat.st_size, stat.st_mtime_ns)[0 if body_only else 1])


@functools.lru_cache(maxsize=4)
def _both_texts(pdf: str, size: int, mtime_ns: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(body texts, whole-page texts): one pdfium pass serves the text and booklet checks."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bodies, wholes = [], []
        for page in document:
            text_page = page.get_textpage()
            left, bottom, right, top = page.get_trimbox()
            # Always bounded: pdfium's unbounded extraction drops hard hyphens at line ends.
            wholes.append(text_page.get_text_bounded(left, bottom, right, top))
            bodies.append(text_page.get_text_bounded(left, bottom + TEXT_BOTTOM_MM * MM, right,
                                                     top - TEXT_TOP_MM * MM))
            text_page.close()
            page.close()
        return tuple(bodies), tuple(wholes)
    finally:
        document.close()


def normalise(text: str) -> str:
    """One comparable form: hyphenation undone, whitespace collapsed, NFC."""
    text = unicodedata.normalize("NFC", text).replace("\r", "")
    text = HYPHEN_BREAK.sub("", text)
    # pdfium marks a hard hyphen at a line end as \x02; list markers are "– " + en space.
    text = text.replace("\ufffe", "").replace("\x02", "-").replace(LIST_MARKER, " ")
    return " ".join(text.split())
