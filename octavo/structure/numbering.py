"""Divisions and numbers.

A division is a stretch of the book opened by a level-1 heading (a file's first heading
opens it from the file's start; a chapter file with none is one too): a chapter ("Chapter 3" over its title), an appendix (`{.appendix}`, or its file
listed in `appendices`: "Appendix A"), a part (`{.part}`: "Part II", on a page of its
own), front matter (`{.frontmatter}`, roman folios, before the body) or an unnumbered
chapter (`{.unnumbered}`, and the generated References).

Figures, tables, equations and listings are numbered per chapter ("Figure 2.3", "A.1" in
an appendix) with `numbering = "chapters"`, through the book ("Figure 7") with "book";
with "none" only a kind some label names is numbered, through the book, so an article
without labels is left exactly as written. Equations and listings are numbered when
labelled (`{#eq:…}`, `{#lst:…}`), tables when captioned or labelled, figures always.
"""

from __future__ import annotations

from lxml.html import builder as E

from ..errors import OctavoError
from ..manuscript.book import BLOCK_KEY, Book, Chapter
from ..manuscript.dialect import smarten
from .model import (APPENDIX, CHAPTER, FRONT, LABEL_CLASS, PART, TITLE_ATTRIBUTE,
                    UNNUMBERED, Division, Section, Structure, Target)
from .terms import Terms

KIND_CLASSES = (("part", PART), ("frontmatter", FRONT), ("appendix", APPENDIX),
                ("unnumbered", UNNUMBERED))
NOUNS = {"fig": "figure", "tbl": "table", "eq": "equation", "lst": "listing",
         CHAPTER: "chapter", APPENDIX: "appendix", PART: "part"}


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def letter(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA."""
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split()) if element is not None else set()


def _heading_line(chapter: Chapter, heading) -> int | None:
    return chapter.line_of(heading.text_content())


# ---------- divisions ----------

def part_folder_headings(book: Book) -> None:
    """A part folder (`Book.parts`, from the manuscript's subfolders) opens with a part
    heading: its opening chapter's (`index.md`, `00_*.md`) first heading becomes one, or,
    in a book whose chapters were found in the folder (no `chapters` list), a heading
    with the part's title is put before its first chapter. A subfolder of a listed book
    with no opening file is only where some chapters are kept."""
    taken = {i for chapter in book.chapters for i in chapter.ids()}
    started = set()
    for chapter in book.chapters:
        part = getattr(chapter, "part", None)
        if part is None or id(part) in started or (
                part.opening is None and book.metadata.chapters_listed):
            continue
        started.add(id(part))
        heading = None
        if part.opening == chapter.id:  # the heading that titles the part, an h1 or lower
            heading = next((h for h in chapter.body if h.tag in ("h1", "h2", "h3")), None)
        if heading is not None:
            heading.tag = "h1"  # the part's title is the file's first heading, whatever its level
            heading.set("class", " ".join(sorted(_classes(heading) | {"part"})))
            continue
        number = 1
        while f"part-{number}" in taken:
            number += 1
        taken.add(f"part-{number}")
        heading = E.H1(E.CLASS("part"), part.title, id=f"part-{number}")
        heading.set(BLOCK_KEY, f"{chapter.id}.part")
        chapter.body.insert(0, heading)
        chapter._ids = None


def find_divisions(book: Book) -> list[tuple[Division, object]]:
    """(division, its heading or None) in reading order, kinds decided, not yet numbered."""
    part_folder_headings(book)
    appendix_files = set(book.metadata.appendices)
    found = []
    for chapter in book.chapters:
        children = list(chapter.body)
        heads = [child for child in children if child.tag == "h1"]
        if not heads:  # what comes before a file's first heading belongs to its chapter
            kind = APPENDIX if chapter.source.name in appendix_files else CHAPTER
            title = chapter.title or (book.display.title if len(book.chapters) == 1 else "")
            found.append((Division(kind, None, None, title, chapter.id, chapter.id), None))
        for heading in heads:
            classes = _classes(heading)
            kind = next((kind for name, kind in KIND_CLASSES if name in classes), None)
            if kind is None:
                kind = APPENDIX if chapter.source.name in appendix_files else CHAPTER
            if not heading.get("id"):
                heading.set("id", f"{chapter.id}-h{children.index(heading)}")
            opens = heading is heads[0]
            found.append((Division(kind, None, None, heading.text_content().strip(),
                                   heading.get("id"), chapter.id, opens_chapter=opens), heading))
    _check_front_matter(book, found)
    return found


def _check_front_matter(book: Book, found) -> None:
    chapters = {chapter.id: chapter for chapter in book.chapters}
    body_seen = False
    for division, heading in found:
        chapter = chapters[division.chapter_id]
        if division.kind != FRONT:
            body_seen = True
            continue
        if body_seen or not division.opens_chapter:
            raise OctavoError("front matter must open the book: a `{.frontmatter}` heading "
                              "comes after the text has begun", chapter.source,
                              _heading_line(chapter, heading),
                              hint="put the preface's file first in `chapters`, its heading "
                                   "first in the file")


def number_divisions(found, structure: Structure, terms: Terms) -> None:
    counters = {CHAPTER: 0, APPENDIX: 0, PART: 0}
    numbered = structure.numbering != "none"
    for division, _ in found:
        if division.kind not in counters or not numbered:
            continue
        counters[division.kind] += 1
        count = counters[division.kind]
        division.number = {CHAPTER: str, APPENDIX: letter, PART: roman}[division.kind](count)
        division.label = f"{terms.noun(NOUNS[division.kind])}\u00a0{division.number}"


def mark_headings(found, structure: Structure) -> None:
    """In a book: the title alone in `data-title` (running heads, bookmarks), the label
    in a span before it ("Chapter 3", set over it); a level-1 heading in the middle of a
    file opens a new page (class `opens`)."""
    if not structure.is_book:
        return
    for division, heading in found:
        if heading is None:
            continue
        heading.set(TITLE_ATTRIBUTE, " ".join(heading.text_content().split()))
        if division.label:
            label = E.SPAN(E.CLASS(LABEL_CLASS), division.label)
            label.tail = " " + (heading.text or "")
            heading.text = None
            heading.insert(0, label)
        if not division.opens_chapter:
            heading.set("class", " ".join(sorted(_classes(heading) | {"opens"})))
        elif division.kind == PART:  # the part's title page (no folio, no running head)
            section = heading.getparent()
            section.set("class", " ".join(sorted(_classes(section) | {"part-page"})))


def sections_of(book: Book, found) -> None:
    """Each division's level-2 and level-3 headings, for the contents page."""
    by_heading = {heading: division for division, heading in found if heading is not None}
    headless = {division.chapter_id: division for division, heading in found if heading is None}
    for chapter in book.chapters:
        current = headless.get(chapter.id)
        for child in chapter.body:
            if child.tag == "h1":
                current = by_heading.get(child, current)
            elif child.tag in ("h2", "h3") and current is not None and child.get("id"):
                current.sections.append(Section(int(child.tag[1]), child.get("id"),
                                                child.text_content().strip()))


# ---------- figures, tables, equations, listings ----------

def _objects(book: Book, found):
    """(kind, element, division) for everything that may be numbered, in reading order."""
    by_heading = {heading: division for division, heading in found if heading is not None}
    headless = {division.chapter_id: division for division, heading in found if heading is None}
    for chapter in book.chapters:
        current = headless.get(chapter.id)
        for child in chapter.body:
            if child.tag == "h1" and child in by_heading:
                current = by_heading[child]
            for element in child.iter():
                if not isinstance(element.tag, str):
                    continue
                label = element.get("id") or ""
                prefix = label.partition(":")[0] if ":" in label else ""
                if element.tag == "figure" and prefix in ("", "fig"):
                    yield "fig", element, current
                elif element.tag == "table" and (prefix == "tbl" or element.find("caption")
                                                 is not None):
                    yield "tbl", element, current
                elif prefix in ("eq", "lst"):
                    yield prefix, element, current


def number_objects(book: Book, found, structure: Structure, terms: Terms) -> None:
    objects = list(_objects(book, found))
    labelled = {kind for kind, element, _ in objects
                if (element.get("id") or "").startswith(f"{kind}:")}
    wanted = {"fig", "tbl", "eq", "lst"} if structure.numbering != "none" else labelled
    counters: dict = {}
    for kind, element, division in objects:
        if kind not in wanted or (kind in ("eq", "lst") and not
                                  (element.get("id") or "").startswith(f"{kind}:")):
            continue
        per_chapter = structure.numbering == "chapters" and structure.is_book \
            and division is not None and division.number is not None and division.kind != PART
        scope = (kind, division.id) if per_chapter else (kind, None)
        counters[scope] = counters.get(scope, 0) + 1
        number = f"{division.number}.{counters[scope]}" if per_chapter else str(counters[scope])
        noun = terms.noun(NOUNS[kind])
        label = element.get("id") or ""
        _caption(kind, element, f"{noun}\u00a0{number}")  # a listing's id moves to its group
        if label.startswith(f"{kind}:"):
            structure.targets[label] = Target(label, kind, number, noun, label, NOUNS[kind])


def _label_span(text: str):
    span = E.SPAN(E.CLASS("caption-label"), text)
    return span


def _prepend(container, span) -> None:
    span.tail = " " + (container.text or "").lstrip()
    container.text = None
    container.insert(0, span)


def _caption(kind: str, element, name: str) -> None:
    if kind == "fig":
        caption = element.find("figcaption")
        if caption is None:
            caption = E.FIGCAPTION()
            element.append(caption)
        _prepend(caption, _label_span(name + "."))
    elif kind == "tbl":
        caption = element.find("caption")
        if caption is None:
            caption = E.CAPTION()
            element.insert(0, caption)
        _prepend(caption, _label_span(name + "." if caption.text_content().strip() else name))
    elif kind == "eq":
        element.append(E.SPAN(E.CLASS("equation-number"), f"({name.rsplit(chr(0xa0), 1)[-1]})"))
    else:
        _wrap_listing(element, name)


def _wrap_listing(element, name: str) -> None:
    """A labelled code block: a figure-like group with its caption over the code. Its
    title is the fence's `title="…"` (pymdownx shows it as `span.filename`)."""
    title_element = element.find(".//span[@class='filename']")
    title = smarten(element.get("data-caption") or element.get("title") or (
        title_element.text_content().strip() if title_element is not None else ""))
    if title_element is not None:
        title_element.drop_tree()
    label = element.attrib.pop("id")
    element.attrib.pop("title", None)
    caption = E.P(E.CLASS("listing-caption"), _label_span(name + "." if title else name))
    caption[0].tail = (" " + title) if title else None
    group = E.DIV(E.CLASS("listing"), id=label, role="group")
    group.set("aria-label", f"{name}: {title}" if title else name)
    element.addprevious(group)
    group.tail, element.tail = element.tail, None
    group.extend([caption, element])


def section_targets(book: Book, found, structure: Structure, terms: Terms) -> None:
    """`{#sec:…}` headings: a division's label ("Chapter 3"), or a section's title."""
    divisions = {division.id: division for division, _ in found}
    for chapter in book.chapters:
        for heading in chapter.body.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            label = heading.get("id") or ""
            if not label.startswith("sec:"):
                continue
            division = divisions.get(label)
            title = heading.get(TITLE_ATTRIBUTE) or " ".join(heading.text_content().split())
            if division is not None and division.number is not None:
                structure.targets[label] = Target(label, "sec", division.number,
                                                  terms.noun(NOUNS[division.kind]), label,
                                                  NOUNS[division.kind])
            else:
                structure.targets[label] = Target(label, "sec", None, f"\u201c{title}\u201d",
                                                  label)
