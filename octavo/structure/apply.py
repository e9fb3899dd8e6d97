"""`annotate(book)`: the structure stage, run once right after the manuscript is loaded.

In order: citations (they may add a References chapter), divisions and their numbers,
figure/table/equation/listing numbers, cross-references, index marks. What the writers
need afterwards is on `book.structure` (model.py); the chapters' trees carry the rest
(labels, captions, links). An article (one chapter, no contents page) is left as it was
written unless it cites or labels something."""

from __future__ import annotations

import re

from ..manuscript.book import Book
from ..report import INFO, Finding
from .citations import cite
from .index import collect
from .model import APPENDIX, CHAPTER, FRONT, PART, Structure
from .numbering import (find_divisions, mark_headings, number_divisions, number_objects,
                        section_targets, sections_of)
from .terms import terms_for
from .xrefs import resolve


# "1.1 Python", "2. Working with data", "12: Tests", "Chapter 3 …", "Part IV …"
OWN_NUMBER = re.compile(r"(?:\d{1,3}(?:\.\d+)*[.:)]?|(?:chapter|part|appendix)\s+[0-9ivxlcdm]+\b)"
                        r"\s", re.IGNORECASE)


def _numbered_by_hand(divisions) -> bool:
    """Do most of the book's chapter titles (at least two) start with a number of their
    own? Numbering them again would print "Chapter 2" over "1.1 Python"."""
    titles = [d.title for d in divisions if d.kind in (CHAPTER, APPENDIX)]
    own = sum(bool(OWN_NUMBER.match(title)) for title in titles)
    return own >= 2 and own * 2 > len(titles)


def annotate(book: Book) -> Book:
    """Number, resolve and collect the book's structure (see the module); returns `book`."""
    meta = book.metadata
    structure = Structure(layout="article", numbering="none", contents=False,
                          contents_depth=meta.contents_depth,
                          contents_in_epub=meta.contents_in_epub,
                          chapters_open=meta.chapters_open, xref_pages=meta.xref_pages,
                          index=False, language=meta.language)
    book.structure = structure
    authored = {chapter.id for chapter in book.chapters}
    cite(book, structure)  # may add a References chapter at the end
    found = find_divisions(book)
    own = [division for division, _ in found if division.chapter_id in authored]
    chapters = [d for d in own if d.kind != PART]
    structure.numbering = meta.numbering or (
        "chapters" if sum(d.kind in (CHAPTER, APPENDIX) for d in own) >= 2 else "none")
    if meta.numbering is None and structure.numbering != "none" and _numbered_by_hand(own):
        structure.numbering = "none"
        book.notes.append(Finding(
            "MS-016", INFO, "the chapter titles carry their own numbers (" + next(
                d.title for d in own if OWN_NUMBER.match(d.title)) + "): Octavo does not "
            "number the chapters again; set numbering = \"chapters\" to have it do so",
            "metadata.toml"))
    structure.contents = meta.contents if meta.contents is not None else len(chapters) >= 2
    if structure.contents or len(chapters) >= 2 or any(d.kind in (PART, FRONT) for d in own):
        structure.layout = "book"
    terms = terms_for(meta.language)
    number_divisions(found, structure, terms)
    mark_headings(found, structure)
    sections_of(book, found)
    structure.divisions = [division for division, _ in found]
    number_objects(book, found, structure, terms)
    section_targets(book, found, structure, terms)
    resolve(book, structure, terms)
    collect(book, structure)
    structure.index = meta.index if meta.index is not None else bool(structure.index_marks)
    front = {d.chapter_id for d in structure.divisions if d.kind == FRONT}
    structure.front_chapters = [c.id for c in book.chapters if c.id in front]
    if structure.is_book:
        structure.body_start = next((c.id for c in book.chapters if c.id not in front), None)
    for chapter in book.chapters:
        chapter._ids = None  # ids were added and moved: read afresh
    return book
