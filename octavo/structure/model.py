"""What the structure stage finds in a book, kept on `book.structure` for the writers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..report import Finding

# Kinds of division (a stretch of the book opened by a level-1 heading, or a chapter file
# without one).
FRONT, CHAPTER, APPENDIX, PART, UNNUMBERED = "front", "chapter", "appendix", "part", "unnumbered"
# Element classes and ids the structure stage gives (styles/structure.css and
# styles/epub.css style them; the sanitiser keeps authors off them).
LABEL_CLASS = "division-label"
TITLE_ATTRIBUTE = "data-title"  # on a division's heading: its title alone (bookmarks, heads)
CONTENTS_ID, INDEX_ID = "contents", "index"


@dataclass
class Section:
    level: int  # 2 or 3
    id: str
    title: str


@dataclass
class Division:
    kind: str
    number: str | None  # "3", "A", "II"; None when unnumbered
    label: str | None  # "Chapter 3", "Appendix A", "Part II"
    title: str  # plain text, as the reader sees it
    id: str  # the id of its heading (or of its chapter's section, without a heading)
    chapter_id: str  # the chapter (Markdown file) it is in
    sections: list[Section] = field(default_factory=list)
    opens_chapter: bool = True  # the division starts its chapter file


@dataclass
class Target:
    """Something a cross-reference may name."""
    label: str  # "fig:harbour"
    kind: str  # fig, tbl, eq, lst or sec
    number: str | None  # "2.3"; None for an unnumbered section
    noun: str  # "Figure", "Chapter"; unnumbered, the section's title in quotes
    id: str  # the element's id (the page map's key)
    term: str | None = None  # the noun's term ("figure"), for plurals: "Figures 2.3 and 2.4"

    @property
    def name(self) -> str:
        return f"{self.noun}\u00a0{self.number}" if self.number else self.noun


@dataclass
class IndexMark:
    id: str  # the marked span's id
    levels: tuple[str, ...]  # the entry, then its sub-entries
    see: str | None = None
    see_also: str | None = None


@dataclass
class Structure:
    layout: str  # "book" (front matter apart, roman folios) or "article" (as a feature)
    numbering: str  # chapters, book or none
    contents: bool
    contents_depth: int
    contents_in_epub: bool
    chapters_open: str
    xref_pages: bool
    index: bool
    divisions: list[Division] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    index_marks: list[IndexMark] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    front_chapters: list[str] = field(default_factory=list)  # chapter ids set as front matter
    body_start: str | None = None  # id of the first body chapter (arabic 1), book layout
    language: str = "en"

    @property
    def is_book(self) -> bool:
        return self.layout == "book"
