"""The index: marks collected from the text, entries built from a page map.

`[term]{.index}` marks an entry; `[shown]{.index entry="Sorted, term; Sub"}` an entry
with sub-entries (`;` separates the levels, three at most); `see="Other"` sends the
reader elsewhere, `seealso="Other"` adds a pointer after the locators. Each mark gets an
id (`ix-N`): its page in the page map is the locator. Locators are sorted, a page is
given once, and three or more pages in a row are joined (12–14).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import OctavoError
from ..manuscript.book import Book
from .collation import collation_for
from .model import IndexMark, Structure
from .pagemap import PageMap

INDEX_CLASS = "index"
MAX_LEVELS = 3
RUN = 3  # pages in a row joined into a range


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _levels(text: str) -> tuple[str, ...]:
    return tuple(" ".join(level.split()) for level in text.split(";") if level.strip())


def collect(book: Book, structure: Structure) -> None:
    """Give every index mark an id and note it (`structure.index_marks`)."""
    taken = {i for chapter in book.chapters for i in chapter.ids()}
    number = 0
    for chapter in book.chapters:
        for span in chapter.body.iter("span"):
            if INDEX_CLASS not in _classes(span):
                continue
            shown = " ".join(span.text_content().split())
            levels = _levels(span.get("data-entry") or shown)
            line = chapter.line_of(shown)
            if not levels:
                raise OctavoError("an index mark has no text", chapter.source, line,
                                  hint='write [term]{.index} or [text]{.index entry="Term"}')
            if len(levels) > MAX_LEVELS:
                raise OctavoError(f"the index entry {span.get('data-entry')!r} has "
                                  f"{len(levels)} levels; {MAX_LEVELS} at most",
                                  chapter.source, line, hint="separate fewer levels by `;`")
            if not span.get("id"):
                number += 1
                while f"ix-{number}" in taken:
                    number += 1
                span.set("id", f"ix-{number}")
                taken.add(span.get("id"))
            structure.index_marks.append(IndexMark(
                span.get("id"), levels, " ".join(span.get("data-see", "").split()) or None,
                " ".join(span.get("data-seealso", "").split()) or None))
            for attribute in ("data-entry", "data-see", "data-seealso"):
                span.attrib.pop(attribute, None)
        chapter._ids = None


@dataclass
class Locator:
    page: int
    label: str
    id: str  # the mark's id: the link's target


@dataclass
class Entry:
    text: str
    path: tuple[str, ...]
    locators: list = field(default_factory=list)  # Locator, or (first, last) for a run
    see: list[str] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    children: list["Entry"] = field(default_factory=list)
    id: str = ""  # the entry's own id, for "see" links inside the index

    @property
    def key(self) -> tuple[str, ...]:
        """The entry's path as it is matched: "Lamp room" and "lamp room" are one entry."""
        return tuple(level.casefold() for level in self.path)


@dataclass
class Group:
    letter: str | None  # None: symbols and numbers
    entries: list[Entry]


def _runs(locators: list[Locator], labels: list[str]) -> list:
    """Sorted, a page once, RUN or more pages in a row as a (first, last) pair."""
    by_page: dict[int, Locator] = {}
    for locator in sorted(locators, key=lambda item: item.page):
        by_page.setdefault(locator.page, locator)
    pages = sorted(by_page)
    out, start = [], 0
    while start < len(pages):
        end = start
        while end + 1 < len(pages) and pages[end + 1] == pages[end] + 1 and \
                labels[pages[end + 1] - 1].isdigit() == labels[pages[start] - 1].isdigit():
            end += 1
        if end - start + 1 >= RUN:
            out.append((by_page[pages[start]], by_page[pages[end]]))
        else:
            out.extend(by_page[page] for page in pages[start:end + 1])
        start = end + 1
    return out


def build(structure: Structure, pages: PageMap) -> list[Group]:
    """The index as letter groups of sorted entries, locators from `pages`."""
    collation = collation_for(structure.language)
    roots: dict[tuple, Entry] = {}
    entries: dict[tuple, Entry] = {}
    raw: dict[tuple, list[Locator]] = {}
    for mark in structure.index_marks:
        levels = tuple(level.casefold() for level in mark.levels)  # "Lamp room" = "lamp room"
        for depth in range(1, len(levels) + 1):
            path = levels[:depth]
            if path not in entries:  # shown as first written
                entries[path] = Entry(mark.levels[depth - 1], mark.levels[:depth])
                if depth == 1:
                    roots[path] = entries[path]
                else:
                    entries[path[:-1]].children.append(entries[path])
        entry = entries[levels]
        for wanted, have in ((mark.see, entry.see), (mark.see_also, entry.see_also)):
            if wanted and wanted not in have:
                have.append(wanted)
        page = pages.page(mark.id)
        if page is not None and not mark.see:
            raw.setdefault(levels, []).append(
                Locator(page, pages.label_of_page(page), mark.id))
    for path, locators in raw.items():
        entries[path].locators = _runs(locators, pages.labels) if pages.labels else locators[:1]
    taken: set[str] = set()
    for path, entry in entries.items():
        slug = re.sub(r"[^\w]+", "-", " ".join(path)).strip("-") or "entry"
        entry.id = next(f"index-{slug}{'' if n == 1 else f'-{n}'}" for n in range(1, 10_000)
                        if f"index-{slug}{'' if n == 1 else f'-{n}'}" not in taken)
        taken.add(entry.id)

    def ordered(items: list[Entry]) -> list[Entry]:
        for item in items:
            item.children = ordered(item.children)
        return sorted(items, key=lambda item: collation.key(item.text))

    groups: dict = {}
    for entry in ordered(list(roots.values())):
        groups.setdefault(collation.letter(entry.text), []).append(entry)
    return [Group(letter, items) for letter, items in groups.items()]
