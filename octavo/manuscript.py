"""Load and validate a manuscript folder into a `Book`: the one model every writer reads.

A chapter's body is an lxml tree of semantic HTML (`<section>`), made by the one
Markdown parser and sanitised against an allowlist. Writers copy it, never change it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from lxml import html as lxml_html

from .errors import OctavoError
from .images import ImageInfo, inspect_image
from .markdown_ext import make_markdown, smarten
from .metadata import Metadata, load_metadata

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "em", "strong", "i", "b", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr",
    "cite", "q", "code", "pre", "kbd", "var", "samp", "span", "a", "img", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "colgroup", "col", "hr", "br", "div", "section", "aside",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "title", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope", "align"},
    "td": {"colspan", "rowspan", "align"},
    "ol": {"start"},
    "figure": {"data-problem"},
}
URL_SCHEMES = {"http", "https", "mailto"}
FOOTNOTE_ID = re.compile(r"^fn(ref)?:(.+)$")
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
        return f"{self.chapter.source.name}:{self.line}"


@dataclass
class Chapter:
    id: str
    source: Path
    markdown: str
    body: lxml_html.HtmlElement  # <section class="chapter"> holding the chapter
    title: str | None

    def line_of(self, text: str) -> int | None:
        """The manuscript line where `text` (plain words, as extracted) starts."""
        return source_line(self.markdown, text)

    def copy_body(self) -> lxml_html.HtmlElement:
        return copy.deepcopy(self.body)


@dataclass
class Book:
    folder: Path
    metadata: Metadata
    chapters: list[Chapter]
    figures: list[Figure] = field(default_factory=list)

    @property
    def placeholders(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.image.placeholder]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _in_order(wanted: list[str], words: list[str]) -> bool:
    position = 0
    for word in wanted:
        try:
            position = words.index(word, position) + 1
        except ValueError:
            return False
    return True


def source_line(markdown_text: str, text: str) -> int | None:
    """Find the line of the Markdown source where a block's text begins.

    First the block's first six words together; failing that (markup such as
    `&quot;` or `*emphasis*` between them), the same words in order on one line.
    """
    wanted = _words(text)[:6]
    if not wanted:
        return None
    lines = [(number, _words(line)) for number, line in enumerate(markdown_text.splitlines(), 1)]
    for number, words in lines:
        for start in range(len(words) - len(wanted) + 1):
            if words[start:start + len(wanted)] == wanted:
                return number
    for number, words in lines:
        if _in_order(wanted, words):
            return number
    return None


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OctavoError("the file is UTF-16, not UTF-8", path, 1, hint="save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise OctavoError("the file is not valid UTF-8", path, line,
                          hint="save it as UTF-8") from None


def markdown_to_tree(text: str) -> lxml_html.HtmlElement:
    html = make_markdown().convert(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True)
    return lxml_html.fragment_fromstring(clean, create_parent="section")


def _namespace_ids(body, chapter_id: str) -> None:
    """Give footnote ids a per-chapter prefix so chapters can share one document."""
    for element in body.iter():
        for attribute, prefix in (("id", ""), ("href", "#")):
            value = element.get(attribute, "")
            found = FOOTNOTE_ID.match(value.removeprefix(prefix))
            if found and (attribute == "id" or value.startswith("#")):
                kind = "fnref" if found.group(1) else "fn"
                element.set(attribute, f"{prefix}{chapter_id}-{kind}-{found.group(2)}")


def resolve_inside(folder: Path, src: str, where: Path, line: int | None) -> Path:
    """A manuscript path, refused if it leaves the manuscript folder."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith(("/", "\\")):
        raise OctavoError(f"image {src!r} is not a file inside the manuscript", where, line,
                          hint="put the image in images/ and use a relative path")
    path = (folder / src).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise OctavoError(f"image {src!r} is outside the manuscript folder", where, line,
                          hint="copy it into images/")
    return path


def _load_chapter(book: Book, index: int, name: str) -> Chapter:
    source = book.folder / name
    if not source.is_file():
        raise OctavoError(f"chapter file {name!r} does not exist", book.metadata.source,
                          hint="fix `chapters` in metadata.toml")
    text = read_text(source)
    if not text.strip():
        raise OctavoError("the chapter is empty", source, 1, hint="write some text or remove it")
    chapter_id = f"ch{index + 1}"
    body = markdown_to_tree(text)
    body.set("class", "chapter")
    body.set("id", chapter_id)
    _namespace_ids(body, chapter_id)
    for number, element in enumerate(body.iter(*BLOCK_TAGS)):
        element.set(BLOCK_KEY, f"{chapter_id}.{number}")
    heading = next(body.iter("h1", "h2"), None)
    title = heading.text_content().strip() if heading is not None else None
    return Chapter(chapter_id, source, text, body, title)


def _collect_figures(book: Book, chapter: Chapter) -> None:
    for element in chapter.body.iter("figure"):
        number = len(book.figures) + 1
        img = element.find("img")
        src = img.get("src", "") if img is not None else ""
        caption_node = element.find(".//span[@class='caption']")
        credit_node = element.find(".//span[@class='credit']")
        line = source_line(chapter.markdown, src) if src else None
        if element.get("data-problem"):
            raise OctavoError(element.get("data-problem"), chapter.source, line)
        path = resolve_inside(book.folder, src, chapter.source, line)
        if not path.is_file():
            raise OctavoError(f"image file {src!r} does not exist", chapter.source, line,
                              hint="check the file name, or add the image to images/",
                              code="MS-001")
        info = inspect_image(path, str(chapter.source), line)
        element.set("id", element.get("id") or f"fig-{number}")
        img.set("alt", smarten(img.get("alt", "")))
        book.figures.append(Figure(
            number, element.get("id"), src, path, img.get("alt", ""),
            caption_node.text_content().strip() if caption_node is not None else "",
            credit_node.text_content().strip() if credit_node is not None else "",
            chapter, line, info))


def load_book(folder: Path) -> Book:
    """Read `folder` (metadata.toml, Markdown chapters, images/) into a Book."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OctavoError("the manuscript folder does not exist", folder,
                          hint="pass --manuscript DIR")
    metadata = load_metadata(folder)
    book = Book(folder, metadata, [])
    for index, name in enumerate(book.metadata.chapters):
        book.chapters.append(_load_chapter(book, index, name))
    for chapter in book.chapters:
        _collect_figures(book, chapter)
    return book
