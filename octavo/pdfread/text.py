"""Reading text back out of a PDF, the way a reader's copy-and-paste sees it.

Used by the build checks (text completeness) and by the tests. The text block
excludes the running heads (top margin) and folios (bottom margin).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Callable

import pypdfium2

MM = 72 / 25.4
TEXT_TOP_MM = 17  # must match the A5 @page margins in styles/base.css, which scale
TEXT_BOTTOM_MM = 24  # with the trim's height (A5: 210 mm)
A5_HEIGHT_MM = 210
LIST_MARKER = "\u2013\u2002"  # the ::marker of list items in styles/base.css
HYPHEN_BREAK = re.compile("[\u2010\u00ad]\\s*")  # WeasyPrint's hyphenation mark + line end
# A footnote at the foot of a page starts a line with its number, a full stop and an
# en space: `.footnote::footnote-marker` in styles/base.css.
NOTE_START = re.compile(r"(?:^|\r?\n)\d+\.\u2002")
# WeasyPrint draws a list item's outside ::marker after the page's flow, so a page's list
# markers ("1. ", "a. ", "iv. ", "– ") come at the end of its body text: inside a sentence
# or a code block that runs on to the next page.
TRAILING_MARKERS = re.compile(
    r"(?:(?:^|\r?\n)[ \t]*(?:(?:[0-9]+|[a-zA-Z]|[ivxlcdmIVXLCDM]+)[.)]|\u2013)[ \t\u2002]*)+\s*$")


def split_notes(page_text: str) -> tuple[str, str]:
    """(running text, footnotes) of one page's body text: the notes come last."""
    found = NOTE_START.search(page_text)
    if found is None:
        return page_text, ""
    return page_text[:found.start()], page_text[found.start():]


def running_text_and_notes(pdf: Path, markers: bool = True) -> tuple[str, str]:
    """The PDF's running text (notes taken out, so a sentence runs on across a page
    whose foot holds notes) and its notes, each as one string. `markers=False` leaves
    out the list markers that end a page's running text (TRAILING_MARKERS)."""
    parts = [split_notes(text) for text in page_texts(pdf)]
    if not markers:
        parts = [(TRAILING_MARKERS.sub("", body), notes) for body, notes in parts]
    return " ".join(body for body, _ in parts), " ".join(notes for _, notes in parts)


def page_texts(pdf: Path, body_only: bool = True) -> list[str]:
    """The text of each page; `body_only` drops running heads and folios."""
    return list(read_pages(pdf)[0 if body_only else 1])


_READ: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # (path, size, mtime) →
READ_KEPT = 4  # files whose text is remembered


def read_pages(pdf: Path, each_page: Callable | None = None
               ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(body texts, whole-page texts) of every page, read once per file version (the text
    and booklet checks share it). `each_page(page, index, count)` is also called on every
    pdfium page of that pass (the proof sheet draws it), so a file is loaded once for both."""
    stat = Path(pdf).stat()
    key = (str(pdf), stat.st_size, stat.st_mtime_ns)
    if key in _READ and each_page is None:
        return _READ[key]
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        bodies, wholes = [], []
        count = len(document)
        for index, page in enumerate(document):
            body, whole = page_text(page)
            bodies.append(body)
            wholes.append(whole)
            if each_page is not None:  # after the text: it may change the page's boxes
                each_page(page, index, count)
            page.close()
    finally:
        document.close()
    remember(pdf, (tuple(bodies), tuple(wholes)))
    return _READ[key]


def page_text(page) -> tuple[str, str]:
    """(body text, whole-page text) of a pdfium page, within its trim."""
    text_page = page.get_textpage()
    try:
        left, bottom, right, top = page.get_trimbox()
        scale = (top - bottom) / (A5_HEIGHT_MM * MM)  # the margins scale with the trim
        # Always bounded: pdfium's unbounded extraction drops hard hyphens at line ends.
        return (text_page.get_text_bounded(left, bottom + TEXT_BOTTOM_MM * MM * scale, right,
                                           top - TEXT_TOP_MM * MM * scale),
                text_page.get_text_bounded(left, bottom, right, top))
    finally:
        text_page.close()


def _reads_alike(pdf: Path, texts: tuple) -> bool:
    """Does pdfium (not only qpdf, which wrote and compared the files) open `pdf`, find
    as many pages as `texts` has, and read its middle page's text as `texts` says?"""
    try:
        document = pypdfium2.PdfDocument(str(pdf))
    except pypdfium2.PdfiumError:
        return False
    try:
        if len(document) != len(texts[0]) or not texts[0]:
            return False
        middle = len(document) // 2
        page = document[middle]
        try:
            body, whole = page_text(page)
        finally:
            page.close()
        return (body, whole) == (texts[0][middle], texts[1][middle])
    finally:
        document.close()


def adopt_texts(source: Path, target: Path, texts: tuple, kept: tuple | None = None) -> bool:
    """Take `texts` (`read_pages(source)`, read in another process) as `target`'s too when
    both draw the same pages on the same trim, neither repaired by qpdf: the same content
    and fonts, image data aside (`walk.same_pages`), as the screen PDF and the working
    PDF it is cut from; and when pdfium reads `target`'s middle page as in `texts`.
    Otherwise the checks read `target` itself. `kept`: as `walk.same_pages` takes it."""
    from .walk import same_pages
    return same_pages(source, target, kept) and claim_texts(target, texts)


def claim_texts(target: Path, texts: tuple) -> bool:
    """Take `texts`, read from the tagged book in memory that `target` was saved from
    (trimmed, its images smaller: the same pages), as `target`'s, when pdfium reads
    `target`'s middle page as in `texts`. Otherwise the checks read `target` itself."""
    if not _reads_alike(target, texts):
        return False
    remember(target, texts)
    return True


def remember(pdf: Path, texts: tuple) -> None:
    """`read_pages(pdf)`'s answer, read in another process."""
    stat = Path(pdf).stat()
    while len(_READ) >= READ_KEPT:
        del _READ[next(iter(_READ))]  # the oldest
    _READ[(str(pdf), stat.st_size, stat.st_mtime_ns)] = texts


def normalise(text: str) -> str:
    """One comparable form: hyphenation undone, whitespace collapsed, NFC."""
    text = unicodedata.normalize("NFC", text).replace("\r", "")
    text = HYPHEN_BREAK.sub("", text)
    # pdfium marks a hard hyphen at a line end as \x02; list markers are "– " + en space.
    text = text.replace("\ufffe", "").replace("\x02", "-").replace(LIST_MARKER, " ")
    return " ".join(text.split())
