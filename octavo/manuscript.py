"""Load and validate a manuscript folder into a `Book`: the one model every writer reads.

A chapter's body is an lxml tree of semantic HTML (`<section>`), made by the one
Markdown parser and sanitised against an allowlist. Writers copy it, never change it.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import nh3
from lxml import html as lxml_html

from .errors import OctavoError
from .images import ImageInfo, inspect_image
from .markdown_ext import make_markdown, smarten
from .metadata import METADATA_FILE, Metadata, key_line, load_metadata

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
URL_SCHEMES = {"http", "https", "mailto"}  # links; anything else loses its href
# The sanitiser lets `file:` and `data:` image sources through so that the image
# checks can refuse them with the manuscript line; links never keep them.
IMAGE_SCHEMES = {"file", "data"}
# Raw HTML removed together with its content, not only its tags.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                        "svg", "math", "textarea", "select", "applet", "frameset", "noembed"}
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
MAX_SPAN = 1000  # the HTML limit for colspan; larger values are clamped
# How deeply blocks may nest (lists in lists, quotes in quotes). Deeper trees
# exhaust the Markdown parser's and WeasyPrint's recursion, and no book needs them.
MAX_INDENT_LEVELS = 50  # in the Markdown source: 4 columns or one `>` a level
MAX_DEPTH = 40  # elements inside a chapter's <section>
FOOTNOTE_ID = re.compile(r"^fn(ref\d*)?:(.+)$")  # fn:x, fnref:x, fnref2:x (a second call)
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
    _ids: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def line_of(self, text: str) -> int | None:
        """The manuscript line where `text` (plain words, as extracted) starts."""
        return source_line(self.markdown, text)

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


@dataclass
class Book:
    folder: Path
    metadata: Metadata
    chapters: list[Chapter]
    figures: list[Figure] = field(default_factory=list)

    @property
    def placeholders(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.image.placeholder]

    def link_target(self, chapter: Chapter, href: str) -> str | None:
        """The id an internal link leads to (`#id`, `02-x.md`, `02-x.md#id`), or None.

        Ids are unique across the book, so the id alone names the place in a single
        document (the PDFs); the EPUB finds the file that holds it.
        """
        path, _, fragment = href.partition("#")
        fragment = unquote(fragment)
        target = chapter
        if path:
            name = unquote(path).rsplit("/", 1)[-1]
            target = next((c for c in self.chapters if c.source.name == name), None)
            if target is None:
                return None
            if not fragment:
                return target.id
        if fragment and fragment in target.ids():
            return fragment
        holders = [c for c in self.chapters if fragment and fragment in c.ids()]
        return fragment if not path and len(holders) == 1 else None


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


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OctavoError("the file is UTF-16, not UTF-8", path, 1, hint="save it as UTF-8")
    if b"\x00" in raw:  # UTF-16 without its byte-order mark, or not text at all
        raise OctavoError("the file contains NUL bytes: it is UTF-16 or not a text file",
                          path, raw[:raw.index(b"\x00")].count(b"\n") + 1,
                          hint="save it as UTF-8 text")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise OctavoError("the file is not valid UTF-8", path, line,
                          hint="save it as UTF-8") from None


# Classes the styles and writers give a meaning to. An author's raw HTML may not use
# them (a `class="cover"` paragraph would become a full-page cover), except where
# Python-Markdown itself puts them: footnotes, and the figure extension's parts.
MARKDOWN_CLASSES = {"div": {"footnote"}, "a": {"footnote-ref", "footnote-backref"},
                    "figure": {"plate"}, "span": {"caption", "credit"}}
RESERVED_CLASSES = {
    "back-cover", "back-identifier", "back-publisher", "byline", "caption", "chapter",
    "colophon", "colophon-title", "cover", "cover-byline", "cover-kicker", "cover-page",
    "cover-publisher", "cover-subtitle", "cover-title", "credit", "end-mark", "footnote",
    "footnotes", "footnote-ref", "footnote-backref", "kicker", "lead-in", "note-number",
    "opening", "opening-paragraph", "plate", "subtitle", "text", "title", "titlepage"}


def _author_class(tag: str, name: str) -> bool:
    if name in MARKDOWN_CLASSES.get(tag, ()):
        return True
    return name not in RESERVED_CLASSES and not name.startswith("snug-")


def _safe_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute it kept: links only to the allowed schemes,
    no class that Octavo's own layout uses."""
    if attribute == "class":
        kept = [name for name in value.split() if _author_class(tag, name)]
        return " ".join(kept) or None
    if attribute == "href":
        found = SCHEME.match(re.sub(r"[\x00-\x20\x7f]+", "", value))
        if found and found.group(1).lower() not in URL_SCHEMES:
            return None  # javascript:, vbscript:, data:, file: ... in any spelling
    elif attribute in ("colspan", "rowspan"):
        return str(min(int(value), MAX_SPAN)) if value.strip().isdigit() else None
    return value


def _check_nesting(text: str, path: Path | None) -> None:
    """Refuse absurd nesting before the Markdown parser recurses into it."""
    for number, line in enumerate(text.splitlines(), 1):
        expanded = line.expandtabs(4)
        prefix = expanded[:len(expanded) - len(expanded.lstrip(" >"))]
        levels = prefix.count(">") + prefix.count(" ") // 4
        if levels > MAX_INDENT_LEVELS:
            raise OctavoError(f"the text is nested {levels} levels deep (lists or quotes "
                              f"inside each other); the limit is {MAX_INDENT_LEVELS}",
                              path, number, hint="flatten the list or the quotation")


def markdown_to_html(text: str, path: Path | None = None) -> str:
    """Markdown → sanitised HTML (a string: it may be made in another process)."""
    _check_nesting(text, path)
    try:
        html = make_markdown().convert(text)
    except RecursionError:
        raise OctavoError("the text is nested too deeply for the Markdown parser", path,
                          hint="flatten the lists, quotations or raw HTML") from None
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES | IMAGE_SCHEMES, link_rel=None,
                     strip_comments=True, clean_content_tags=DROPPED_WITH_CONTENT,
                     attribute_filter=_safe_attribute)


PARALLEL_MARKDOWN = 200_000  # characters: a book this long is converted on two cores


def _chapters_as_html(sources: list[tuple[Path, str]]) -> list[str]:
    """Each chapter's HTML; a long book's later chapters converted in a forked child."""
    total = sum(len(text) for _, text in sources)
    if total < PARALLEL_MARKDOWN or len(sources) < 2:
        return [markdown_to_html(text, path) for path, text in sources]
    from .parallel import Job
    # The split nearest the middle (the child's result is waited for: no half much longer).
    ends = list(itertools.accumulate(len(text) for _, text in sources))
    half = min(range(1, len(sources)), key=lambda split: abs(ends[split - 1] - total / 2))
    later = Job(lambda: [markdown_to_html(text, path) for path, text in sources[half:]])
    try:
        first = [markdown_to_html(text, path) for path, text in sources[:half]]
        return first + later.result()
    finally:
        later.cancel()


def _check_depth(body, chapter_source: Path, markdown: str) -> None:
    deepest, depth = None, 0
    for element in body.iter():
        if len(element) == 0:  # only leaves can be the deepest
            level = sum(1 for _ in element.iterancestors())
            if level > depth:
                deepest, depth = element, level
    if depth > MAX_DEPTH:
        text = next((text for element in (deepest, *deepest.iterancestors())
                     if (text := element.text_content().strip())), "")
        raise OctavoError(f"the text is nested {depth} elements deep (lists, quotations or "
                          f"raw HTML inside each other); the limit is {MAX_DEPTH}",
                          chapter_source, source_line(markdown, text),
                          hint="flatten the lists, quotations or raw HTML")


def _namespace_ids(body, chapter_id: str) -> None:
    """Give footnote ids a per-chapter prefix so chapters can share one document."""
    for element in body.iter():
        for attribute, prefix in (("id", ""), ("href", "#")):
            value = element.get(attribute, "")
            found = FOOTNOTE_ID.match(value.removeprefix(prefix))
            if found and (attribute == "id" or value.startswith("#")):
                kind = found.group(1) or "fn"
                element.set(attribute, f"{prefix}{chapter_id}-{kind}-{found.group(2)}")


def resolve_inside(folder: Path, src: str, where: Path, line: int | None) -> Path:
    """A manuscript path, refused if it leaves the manuscript folder.

    The path is resolved first, so a symlink that points out of the folder is refused too.
    """
    shown = src if len(src) <= 80 else src[:77] + "..."
    if SCHEME.match(src) or src.startswith(("/", "\\")) or "\x00" in src:
        raise OctavoError(f"image {shown!r} is not a file inside the manuscript", where, line,
                          hint="put the image in images/ and use a relative path")
    path = (folder / src).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise OctavoError(f"image {shown!r} is outside the manuscript folder", where, line,
                          hint="copy it into images/")
    return path


def _inside(folder: Path, name: str) -> bool:
    """Whether the relative path `name` stays in `folder` once symlinks are resolved."""
    if SCHEME.match(name) or name.startswith(("/", "\\")) or "\x00" in name:
        return False
    return (folder / name).resolve().is_relative_to(folder.resolve())


def _chapter_text(book: Book, name: str) -> tuple[Path, str]:
    source = book.folder / name
    if not _inside(book.folder, name):
        raise OctavoError(f"chapter file {name!r} is outside the manuscript folder",
                          book.metadata.source, key_line(book.metadata, "chapters"),
                          hint="list Markdown files inside the manuscript folder in `chapters`")
    if not source.is_file():
        raise OctavoError(f"chapter file {name!r} does not exist", book.metadata.source,
                          key_line(book.metadata, "chapters"),
                          hint="fix `chapters` in metadata.toml")
    text = read_text(source)
    if not text.strip():
        raise OctavoError("the chapter is empty", source, 1, hint="write some text or remove it")
    return source, text


def _load_chapter(index: int, source: Path, text: str, html: str) -> Chapter:
    chapter_id = f"ch{index + 1}"
    body = lxml_html.fragment_fromstring(html, create_parent="section")
    _check_depth(body, source, text)
    body.set("class", "chapter")
    body.set("id", chapter_id)
    _namespace_ids(body, chapter_id)
    for number, element in enumerate(body.iter(*BLOCK_TAGS)):
        element.set(BLOCK_KEY, f"{chapter_id}.{number}")
    heading = next(body.iter("h1", "h2"), None)
    title = heading.text_content().strip() if heading is not None else None
    return Chapter(chapter_id, source, text, body, title)


# Ids Octavo gives elements around and between the chapters (PDF and EPUB).
FRONT_MATTER_IDS = {"cover", "colophon", "title", "back-cover", "titlepage", "title-heading"}
GENERATED_ID = re.compile(r"^(ch\d+(-\d+)?|page-\d+)$")


def _unique_ids(book: Book) -> set[str]:
    """Each id once in the whole book (the PDF is one document); returns the ids taken.

    Chapter and footnote ids keep theirs; a later duplicate, or an author's id that
    copies one Octavo generates (`cover`, `ch2`, `page-7`), gets a `_2` suffix, and
    the links of its chapter follow it.
    """
    taken, kept = set(FRONT_MATTER_IDS), set()
    for chapter in book.chapters:
        for element in chapter.body.iter():
            value = element.get("id")
            if value and (element is chapter.body or value.startswith(f"{chapter.id}-fn")) \
                    and value not in taken:
                taken.add(value)
                kept.add(element)
    for chapter in book.chapters:
        renamed: dict[str, str] = {}
        for element in chapter.body.iter():
            value = element.get("id")
            if not value or element in kept:
                continue
            if value not in taken and not GENERATED_ID.match(value):
                taken.add(value)
                continue
            number = 2
            while f"{value}_{number}" in taken:
                number += 1
            element.set("id", f"{value}_{number}")
            taken.add(f"{value}_{number}")
            renamed.setdefault(value, f"{value}_{number}")
        own = {element.get("id") for element in chapter.body.iter() if element.get("id")}
        for link in chapter.body.iter("a"):
            target = link.get("href", "")[1:]
            if link.get("href", "").startswith("#") and target in renamed and target not in own:
                link.set("href", f"#{renamed[target]}")
    return taken


def _line_naming(chapter: Chapter, src: str) -> int | None:
    """The first line of the chapter's Markdown that names the file `src`, if one does."""
    at = chapter.markdown.find(src) if src.strip() else -1
    return chapter.markdown.count("\n", 0, at) + 1 if at >= 0 else None


def _image(book: Book, chapter: Chapter, img) -> tuple[str, Path, int | None, ImageInfo]:
    """Check one <img> of a chapter (a figure's or raw HTML's): (src, path, line, info)."""
    src = img.get("src", "")
    line = _line_naming(chapter, src) or source_line(chapter.markdown, src or img.get("alt", ""))
    if not src.strip():
        raise OctavoError("an image has no usable file name", chapter.source, line,
                          hint="write `![alt text](images/file.jpg)`")
    path = resolve_inside(book.folder, src, chapter.source, line)
    if not path.is_file():
        raise OctavoError(f"image file {src!r} does not exist", chapter.source, line,
                          hint="check the file name, or add the image to images/",
                          code="MS-001")
    return src, path, line, inspect_image(path, str(chapter.source), line)


def _check_links(book: Book, chapter: Chapter) -> None:
    """A link to a file must stay in the manuscript folder (the EPUB holds no other)."""
    for link in chapter.body.iter("a"):
        href = link.get("href")
        if not href or href.startswith("#") or SCHEME.match(href):
            continue
        if not _inside(book.folder, unquote(href.split("#")[0].split("?")[0])):
            raise OctavoError(f"the link {href[:80]!r} leads outside the manuscript folder",
                              chapter.source,
                              source_line(chapter.markdown, href) or
                              chapter.line_of(link.text_content()),
                              hint="link to a chapter of this book, or to a #heading-id")


def _collect_figures(book: Book, chapter: Chapter, taken: set[str]) -> None:
    for element in chapter.body.iter("figure"):
        number = len(book.figures) + 1
        img = element.find("img")
        src = img.get("src", "") if img is not None else ""
        caption_node = (element.find(".//span[@class='caption']")
                        if element.find(".//span[@class='caption']") is not None
                        else element.find("figcaption"))  # raw HTML figures have no spans
        credit_node = element.find(".//span[@class='credit']")
        line = _line_naming(chapter, src) or source_line(chapter.markdown,
                                                          src or element.text_content())
        if element.get("data-problem"):
            raise OctavoError(element.get("data-problem"), chapter.source, line)
        if img is None:
            raise OctavoError("a figure has no image", chapter.source, line,
                              hint="give it one `![alt text](images/file.jpg)` line")
        src, path, line, info = _image(book, chapter, img)
        if not element.get("id"):
            figure_id, suffix = f"fig-{number}", 1
            while figure_id in taken:
                suffix += 1
                figure_id = f"fig-{number}_{suffix}"
            element.set("id", figure_id)
            taken.add(figure_id)
        img.set("alt", smarten(img.get("alt", "")))
        book.figures.append(Figure(
            number, element.get("id"), src, path, img.get("alt", ""),
            caption_node.text_content().strip() if caption_node is not None else "",
            credit_node.text_content().strip() if credit_node is not None else "",
            chapter, line, info))
    for img in chapter.body.iter("img"):  # images in raw HTML, outside figures
        if not any(parent.tag == "figure" for parent in img.iterancestors()):
            _image(book, chapter, img)


def _check_cover(book: Book) -> None:
    meta = book.metadata
    if not meta.cover:
        return
    line = key_line(meta, "cover")
    path = resolve_inside(book.folder, meta.cover, meta.source, line)
    if not path.is_file():
        raise OctavoError(f"the cover image {meta.cover!r} does not exist", meta.source, line,
                          hint="fix `cover` in metadata.toml, or remove it to generate one")
    if inspect_image(path, str(meta.source), line).format == "SVG":
        raise OctavoError(f"the cover image {meta.cover!r} must be a JPEG, PNG, GIF or WebP "
                          "image", meta.source, line, hint="export the cover as a JPEG")


def load_book(folder: Path) -> Book:
    """Read `folder` (metadata.toml, Markdown chapters, images/) into a Book."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OctavoError("the manuscript folder does not exist", folder,
                          hint="pass --manuscript DIR")
    if (folder / METADATA_FILE).exists() and not _inside(folder, METADATA_FILE):
        raise OctavoError(f"{METADATA_FILE} links to a file outside the manuscript folder",
                          folder / METADATA_FILE, hint="put the metadata file itself there")
    metadata = load_metadata(folder)
    book = Book(folder, metadata, [])
    sources = [_chapter_text(book, name) for name in book.metadata.chapters]
    for index, ((source, text), html) in enumerate(zip(sources, _chapters_as_html(sources))):
        book.chapters.append(_load_chapter(index, source, text, html))
    _check_cover(book)
    taken = _unique_ids(book)
    for chapter in book.chapters:
        _collect_figures(book, chapter, taken)
        _check_links(book, chapter)
        chapter._ids = None  # ids are final now: read afresh on first use
    return book
