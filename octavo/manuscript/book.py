"""The Book: the one model every writer reads (metadata, chapters as semantic HTML
trees, figures), and how a place in a chapter's text is found back in its Markdown."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import html as lxml_html

from ..report import Finding
from .images import ImageInfo
from .metadata import Metadata

# Block elements get a stable `data-o` key ("ch1.17") so a PDF page start can be
# mapped back to the same place in the EPUB. Writers of HTML for readers drop it.
BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption",
              "blockquote", "td", "th", "dt", "dd", "pre")
BLOCK_KEY = "data-o"


@dataclass
class Figure:
    number: int
    id: str
    src: str  # as written in the manuscript, relative to the folder
    path: Path
    alt: str
    caption: str
    credit: str
    chapter: "Chapter"
    line: int | None
    image: ImageInfo

    @property
    def where(self) -> str:
        return f"{self.chapter.name}:{self.line}"


@dataclass(frozen=True)
class Part:
    """A part of the book: a top-level subfolder of the manuscript, whose chapters are
    the part's (`Chapter.part`). Titled by the heading of its `index.md` or `00_*.md`
    chapter, else by the folder's name (`02_Working_with_data` → "Working with data")."""
    title: str
    folder: str  # relative to the manuscript folder
    opening: str | None = None  # the id of the chapter whose heading titles the part


@dataclass
class Chapter:
    id: str
    source: Path
    markdown: str
    body: lxml_html.HtmlElement  # <section class="chapter"> holding the chapter
    title: str | None
    name: str = ""  # its path in the manuscript folder, `/`-separated ("02/x.md")
    _ids: frozenset[str] | None = field(default=None, repr=False, compare=False)
    part: Part | None = None  # None: a chapter of the book's top folder
    removed: list = field(default_factory=list)  # scripts.Removed: characters cleaned out

    def where(self, line: int | None) -> str:
        """`file:line` for a finding (the file alone when the line is unknown)."""
        name = self.name or self.source.name
        return f"{name}:{line}" if line else name

    def line_of(self, text: str) -> int | None:
        """The manuscript line where `text` (plain words, as extracted) starts."""
        return source_line(self.markdown, text)

    def line_naming(self, src: str) -> int | None:
        """The first line of the Markdown that names the file `src` as written, if one
        does (found at once: `line_of` maps every word of the chapter first)."""
        at = self.markdown.find(src) if src.strip() else -1
        return self.markdown.count("\n", 0, at) + 1 if at >= 0 else None

    def line_of_nth(self, raw: str, nth: int) -> int | None:
        """The line of the `nth` (from 0) occurrence of `raw` Markdown in the chapter (else
        `line_of(raw)`): a citation or reference written the same way twice."""
        start = -1
        for _ in range(nth + 1):
            start = self.markdown.find(raw, start + 1)
            if start < 0:
                return self.line_of(raw)
        return self.markdown.count("\n", 0, start) + 1

    def lines_of(self, texts: list[str]) -> list[int | None]:
        """`line_of` for each of `texts`, blocks in reading order: each is looked for from
        the line of the one before (so a repeated paragraph gets its own line), then
        anywhere."""
        lines = _lines_words(self.markdown)
        found, after = [], 0
        for text in texts:
            wanted = _words(text[:LINE_PREFIX])[:6] if text else []
            line = next((number for number, words in lines[after:]
                         if _starts_at(wanted, words)), None) if wanted else None
            line = line or self.line_of(text)
            found.append(line)
            after = line - 1 if line else after
        return found

    def ids(self) -> frozenset[str]:
        """Every id in the chapter (read once: the body does not change after loading)."""
        if self._ids is None:
            self._ids = frozenset(element.get("id") for element in self.body.iter()
                                  if element.get("id"))
        return self._ids

    def copy_body(self) -> lxml_html.HtmlElement:
        return copy.deepcopy(self.body)


@dataclass(frozen=True)
class Display:
    """The metadata's strings as readers see them (curly quotes, dashes), made once at load."""
    title: str
    running_head: str  # the short title, else the title
    subtitle: str | None = None
    description: str | None = None
    rights: str | None = None
    publisher: str | None = None


@dataclass
class Book:
    folder: Path
    metadata: Metadata
    chapters: list[Chapter]
    figures: list[Figure] = field(default_factory=list)
    display: Display | None = None  # set by `load_book`
    # The book's structure (numbers, labels, index marks, contents): set by the
    # structure stage (octavo/structure/apply.py `annotate`); None until it has run.
    structure: object | None = None
    parts: list[Part] = field(default_factory=list)  # in reading order (`Chapter.part`)
    notes: list[Finding] = field(default_factory=list)  # what loading found (MS-011, MS-012)

    @property
    def placeholders(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.image.placeholder]

    def link_target(self, chapter: Chapter, href: str) -> str | None:
        """The id an internal link leads to (`#id`, `02-x.md`, `02-x.md#id`), or None.

        The loader has written every link to a chapter as the chapter's `name` (its path
        in the folder). Ids are unique across the book, so the id alone names the place
        in a single document (the PDFs); the EPUB finds the file that holds it.
        """
        path, _, fragment = href.partition("#")
        fragment = unquote(fragment)
        target = chapter
        if path:
            target = self.chapter_named(unquote(path))
            if target is None:
                return None
            if not fragment:
                return target.id
        if fragment and fragment in target.ids():
            return fragment
        holders = [c for c in self.chapters if fragment and fragment in c.ids()]
        return fragment if not path and len(holders) == 1 else None


    def chapter_named(self, name: str) -> Chapter | None:
        """The chapter whose path in the folder is `name`."""
        return next((c for c in self.chapters if c.name == name), None)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


LINE_PREFIX = 400  # characters of a block enough to hold its first six words


def _starts_at(wanted: list[str], words: list[str]) -> bool:
    """Do the `wanted` words follow each other somewhere in `words`?"""
    first, count = wanted[0], len(wanted)
    return any(words[i:i + count] == wanted for i, word in enumerate(words) if word == first)


def _in_order(wanted: list[str], words: list[str]) -> bool:
    position = 0
    for word in wanted:
        try:
            position = words.index(word, position) + 1
        except ValueError:
            return False
    return True


@functools.lru_cache(maxsize=32)
def _lines_words(markdown_text: str) -> list[tuple[int, list[str]]]:
    """(line number, its words) for each line of a chapter's Markdown."""
    return [(number, _words(line)) for number, line in enumerate(markdown_text.splitlines(), 1)]


@functools.lru_cache(maxsize=32)
def _line_words(markdown_text: str):
    """Each line's words, and where each word occurs: the checks ask for thousands of lines."""
    lines = _lines_words(markdown_text)
    starts: dict[str, list[tuple[int, int]]] = {}
    for number, words in lines:
        for index, word in enumerate(words):
            starts.setdefault(word, []).append((number, index))
    return lines, starts


def source_line(markdown_text: str, text: str) -> int | None:
    """Find the line of the Markdown source where a block's text begins.

    First the block's first six words together; failing that (markup such as
    `&quot;` or `*emphasis*` between them), the same words in order on one line.
    """
    wanted = _words(text)[:6]
    if not wanted:
        return None
    lines, starts = _line_words(markdown_text)
    for number, start in starts.get(wanted[0], ()):  # in line order, as a scan finds them
        if lines[number - 1][1][start:start + len(wanted)] == wanted:
            return number
    for number, words in lines:
        if _in_order(wanted, words):
            return number
    return None

