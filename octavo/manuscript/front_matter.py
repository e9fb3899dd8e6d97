"""Pages made from the metadata: cover, colophon, opening and back cover.

Each function returns a fresh lxml element; the PDF and the EPUB writers place them.
"""

from __future__ import annotations

from lxml.html import builder as E

from .load import Book

END_MARK = "\u25ca"  # ◊, drawn by Charis SIL and by most e-reader fonts
FONT_CREDIT = "Set in Charis SIL."


def _subject_kicker(book: Book) -> str | None:
    subjects = book.metadata.subjects
    if not subjects:
        return None
    return " · ".join(part.strip() for part in subjects[0].split("--"))


def cover(book: Book):
    meta = book.metadata
    parts = [E.P(E.CLASS("cover-kicker"), kicker)] if (kicker := _subject_kicker(book)) else []
    parts.append(E.P(E.CLASS("cover-title"), book.display.title))
    if meta.subtitle:
        parts.append(E.P(E.CLASS("cover-subtitle"), book.display.subtitle))
    if meta.authors:
        parts.append(E.P(E.CLASS("cover-byline"), ", ".join(meta.authors)))
    if meta.publisher:
        parts.append(E.P(E.CLASS("cover-publisher"), book.display.publisher))
    return E.SECTION(E.CLASS("cover"), *parts, id="cover")


def colophon(book: Book):
    meta = book.metadata
    lines = [E.P(E.CLASS("colophon-title"), book.display.title)]
    if meta.subtitle:
        lines.append(E.P(book.display.subtitle))
    if meta.authors:
        lines.append(E.P("By " + ", ".join(meta.authors)))
    facts = [fact for fact in (meta.publisher, meta.date) if fact]
    if facts:
        lines.append(E.P(", ".join(facts)))
    lines.append(E.P(book.display.rights if meta.rights
                     else "No rights statement accompanies the source text."))
    lines.append(E.P(E.CLASS("colophon-identifier"), meta.identifier))
    if book.placeholders:
        lines.append(E.P(f"The {len(book.placeholders)} illustrations in this edition are "
                         "placeholders (FPO, for position only), to be replaced by the "
                         "pictures named in their captions."))
    lines.append(E.P(FONT_CREDIT))
    return E.SECTION(E.CLASS("colophon"), *lines, id="colophon")


def opening(book: Book):
    meta = book.metadata
    parts = [E.P(E.CLASS("kicker"), kicker)] if (kicker := _subject_kicker(book)) else []
    parts.append(E.H1(E.CLASS("title"), book.display.title))
    if meta.subtitle:
        parts.append(E.P(E.CLASS("subtitle"), book.display.subtitle))
    if meta.authors:
        parts.append(E.P(E.CLASS("byline"), "By " + ", ".join(meta.authors)))
    header = E.HEADER(E.CLASS("opening"), *parts, id="title")
    header.set("data-running-head", book.display.running_head)
    return header


def back_cover(book: Book):
    meta = book.metadata
    parts = []
    if meta.description:
        parts.append(E.P(E.CLASS("back-description"), book.display.description))
    if meta.publisher:
        parts.append(E.P(E.CLASS("back-publisher"), book.display.publisher))
    parts.append(E.P(E.CLASS("back-identifier"), meta.identifier))
    return E.SECTION(E.CLASS("back-cover"), *parts, id="back-cover")


def end_mark():
    """The mark that closes the text, as an element for the last paragraph."""
    mark = E.SPAN(E.CLASS("end-mark"), END_MARK, role="img")
    mark.set("aria-label", "End of text")
    return mark


OUTSIDE_TEXT = {"admonition", "epigraph", "footnote", "line-block", "attribution"}


def in_running_text(paragraph) -> bool:
    """Not in a figure, list, aside, quotation, definition, callout, epigraph or note,
    and not verse."""
    return not any(a.tag.rsplit("}", 1)[-1] in ("figure", "li", "aside", "blockquote", "dd")
                   or OUTSIDE_TEXT.intersection((a.get("class") or "").split())
                   or "footnote" in (a.get("class") or "")
                   for a in [paragraph, *paragraph.iterancestors()])


def last_text_paragraph(root):
    """The paragraph the end mark closes: the last one of the running text.

    Used by the PDF and the EPUB writers alike, so the mark stands in the same place.
    """
    paragraphs = [p for p in root.iter("{*}p") if in_running_text(p)]
    return paragraphs[-1] if paragraphs else None
