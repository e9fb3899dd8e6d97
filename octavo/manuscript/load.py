"""Load and validate a manuscript folder into a `Book`: the one model every writer reads.

A chapter's body is an lxml tree of semantic HTML (`<section>`), made by the one
Markdown parser and sanitised against an allowlist. Writers copy it, never change it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import posixpath
import re
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote

from lxml import html as lxml_html

from ..errors import OctavoError
from ..report import INFO, WARNING, Finding
from . import structure
from .book import BLOCK_KEY, BLOCK_TAGS, Book, Chapter, Display, Figure, Part, source_line
from .blocks import finish_blocks
from .book_css import check_stylesheets
from .dialect import smarten
from . import discover
from .discover import humanise
from .mathtex import check_formulas
from .quotes import pair_quotes
from .scripts import clean_text
from .images import ImageInfo, inspect_image
from .metadata import METADATA_FILE, Metadata, key_line, load_metadata, metadata_from_header
from .sanitize import SCHEME, markdown_to_html
from .xref_syntax import is_label
from .yaml_header import Header, split_header

MAX_DEPTH = 40  # elements inside a chapter's <section>
FOOTNOTE_ID = re.compile(r"^fn(ref\d*)?:(.+)$")  # fn:x, fnref:x, fnref2:x (a second call)


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



PARALLEL_MARKDOWN = 200_000  # characters: a book this long is converted on two cores


def _chapters_as_html(sources: list[tuple[Path, str]], apart: Callable | None,
                      language: str = "en", memo=None) -> list[str]:
    """Each chapter's HTML; a long book's later chapters converted by `apart` (see
    `load_book`), if given; those converted before taken from `memo`, if given."""
    if memo is not None:
        found = [memo.get(_html_key(memo, path, text, language)) for path, text in sources]
        todo = [source for source, html in zip(sources, found) if html is None]
        made = iter(_chapters_as_html(todo, apart, language) if todo else [])
        htmls = []
        for (path, text), html in zip(sources, found):
            if html is None:
                html = next(made).encode()
                memo.put(_html_key(memo, path, text, language), html)
            htmls.append(html.decode())
        return htmls
    total = sum(len(text) for _, text in sources)
    if apart is None or total < PARALLEL_MARKDOWN or len(sources) < 2:
        return [markdown_to_html(text, path, language) for path, text in sources]
    # The split nearest the middle (the child's result is waited for: no half much longer).
    ends = list(itertools.accumulate(len(text) for _, text in sources))
    half = min(range(1, len(sources)), key=lambda split: abs(ends[split - 1] - total / 2))
    later = apart(lambda: [markdown_to_html(text, path, language)
                           for path, text in sources[half:]])
    try:
        first = [markdown_to_html(text, path, language) for path, text in sources[:half]]
        return first + later.result()
    finally:
        later.cancel()


def _html_key(memo, path: Path, text: str, language: str) -> str:
    return memo.key("markdown", path.name, text, language)


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


def resolve_inside(folder: Path, src: str, where: Path, line: int | None,
                   base: Path | None = None) -> Path:
    """A manuscript path (relative to `base`, the folder of the chapter that names it,
    or to the manuscript folder), refused if it leaves the manuscript folder.

    The path is resolved first, so a symlink that points out of the folder is refused too.
    """
    shown = src if len(src) <= 80 else src[:77] + "..."
    if SCHEME.match(src) or src.startswith(("/", "\\")) or "\x00" in src:
        raise OctavoError(f"image {shown!r} is not a file inside the manuscript", where, line,
                          hint="put the image in images/ and use a relative path")
    path = ((base or folder) / src).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise OctavoError(f"image {shown!r} is outside the manuscript folder", where, line,
                          hint="copy it into images/")
    return path


def _inside(folder: Path, name: str) -> bool:
    """Whether the relative path `name` stays in `folder` once symlinks are resolved."""
    if SCHEME.match(name) or name.startswith(("/", "\\")) or "\x00" in name:
        return False
    return (folder / name).resolve().is_relative_to(folder.resolve())


def _chapter_text(book: Book, name: str) -> tuple[Path, Header | None, str, list]:
    """A chapter's file, its YAML front matter (if any), its Markdown without it, and the
    characters cleaned out of it (`scripts.clean_text`: MS-014)."""
    source = book.folder / name
    if not _inside(book.folder, name):
        raise OctavoError(f"chapter file {name!r} is outside the manuscript folder",
                          book.metadata.source, key_line(book.metadata, "chapters"),
                          hint="list Markdown files inside the manuscript folder in `chapters`")
    if not source.is_file():
        raise OctavoError(f"chapter file {name!r} does not exist", book.metadata.source,
                          key_line(book.metadata, "chapters"),
                          hint="fix `chapters` in metadata.toml")
    text, removed = clean_text(read_text(source))  # NFC, no control characters (MS-014)
    header, text = split_header(text, source)
    if not text.strip():
        raise OctavoError("the chapter is empty", source, 1, hint="write some text or remove it")
    return source, header, text, removed


def _load_chapter(book: Book, index: int, source: Path, text: str, html: str) -> Chapter:
    chapter_id = f"ch{index + 1}"
    body = lxml_html.fragment_fromstring(html, create_parent="section")
    _check_depth(body, source, text)
    structure.normalise(body)
    pair_quotes(body, book.metadata.language)  # quotes of the book's language
    finish_blocks(body)  # callouts' roles, task boxes
    check_formulas(body, text, source)  # bad TeX: a one-line error with its line
    body.set("class", "chapter")
    body.set("id", chapter_id)
    _namespace_ids(body, chapter_id)
    for number, element in enumerate(body.iter(*BLOCK_TAGS)):
        element.set(BLOCK_KEY, f"{chapter_id}.{number}")
    heading = next(body.iter("h1", "h2"), None)
    title = heading.text_content().strip() if heading is not None else None
    name = source.resolve().relative_to(book.folder.resolve()).as_posix()
    return Chapter(chapter_id, source, text, body, title, name)


# Ids Octavo gives elements around and between the chapters (PDF and EPUB).
FRONT_MATTER_IDS = {"cover", "colophon", "title", "back-cover", "titlepage", "title-heading",
                    "contents", "contents-heading", "index", "index-heading"}
GENERATED_ID = re.compile(r"^(ch\d+(-\d+)?|page-\d+)$")


def _unique_ids(book: Book) -> set[str]:
    """Each id once in the whole book (the PDF is one document); returns the ids taken.

    Chapter and footnote ids keep theirs; a later duplicate, or an author's id that
    copies one Octavo generates (`cover`, `ch2`, `page-7`), gets a `_2` suffix, and
    the links of its chapter follow it.
    """
    taken, kept = set(FRONT_MATTER_IDS), set()
    renamed_in: dict[str, dict[str, str]] = {}  # chapter file name -> {id: its new id}
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
            if is_label(value):  # a cross-reference label names one thing only
                at = chapter.markdown.find(f"#{value}")
                raise OctavoError(f"the label {value!r} is given twice", chapter.source,
                                  chapter.markdown.count("\n", 0, at) + 1 if at >= 0 else None,
                                  hint="give each figure, table, equation, listing and "
                                       "heading its own label")
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
        renamed_in[chapter.source.name] = renamed
    for chapter in book.chapters:  # links from other chapters (`02-x.md#id`) follow too
        for link in chapter.body.iter("a"):
            path, _, fragment = link.get("href", "").partition("#")
            name = unquote(path).rsplit("/", 1)[-1]
            if path and fragment and unquote(fragment) in renamed_in.get(name, {}):
                link.set("href", f"{path}#{renamed_in[name][unquote(fragment)]}")
    return taken


def _image(book: Book, chapter: Chapter, img, memo=None
           ) -> tuple[str, Path, int | None, ImageInfo]:
    """Check one <img> of a chapter (a figure's or raw HTML's): (src, path, line, info);
    an image an earlier build opened is known by its bytes (`memo`)."""
    src = img.get("src", "")
    line = chapter.line_naming(src) or source_line(chapter.markdown, src or img.get("alt", ""))
    if not src.strip():
        raise OctavoError("an image has no usable file name", chapter.source, line,
                          hint="write `![alt text](images/file.jpg)`")
    path = resolve_inside(book.folder, src, chapter.source, line, chapter.source.parent)
    if not path.is_file():
        raise OctavoError(f"image file {src!r} does not exist", chapter.source, line,
                          hint="check the file name, or add the image to images/",
                          code="MS-001")
    if memo is None:
        info = inspect_image(path, str(chapter.source), line)
    else:
        kept = memo.remember(memo.key("image-info", path.read_bytes()), lambda: json.dumps(
            dataclasses.astuple(inspect_image(path, str(chapter.source), line))[1:]).encode())
        kind, width, height, placeholder = json.loads(kept)
        info = ImageInfo(path, kind, width, height, placeholder)
    src = path.relative_to(book.folder.resolve()).as_posix()  # as every writer finds it
    img.set("src", src)
    return src, path, line, info


def _link_line(chapter: Chapter, href: str, seen: dict[str, int]) -> int | None:
    """The line of the `seen[href]`-th link to `href` in the chapter's Markdown."""
    lines = [number for number, line in enumerate(chapter.markdown.splitlines(), 1)
             if href in line]
    seen[href] = seen.get(href, 0) + 1
    return lines[min(seen[href], len(lines)) - 1] if lines else None


def _links(book: Book, chapter: Chapter) -> None:
    """Links to files: one to a chapter is written as that chapter's name (and works in
    every output); any other file is never read: the link is dropped, its text kept, and
    a warning (MS-011) says why. An absolute path is refused."""
    seen: dict[str, int] = {}
    root = book.folder.resolve()
    for link in list(chapter.body.iter("a")):
        href = link.get("href")
        if not href or href.startswith("#") or SCHEME.match(href):
            continue
        line = _link_line(chapter, href, seen)
        path = unquote(href.split("#")[0].split("?")[0])
        fragment = href.partition("#")[2]
        shown = href if len(href) <= 80 else href[:77] + "..."
        if path.startswith(("/", "\\")) or "\x00" in path:
            raise OctavoError(f"the link {shown!r} is an absolute path; a book can only link "
                              "to its own chapters", chapter.source, line,
                              hint="link to a chapter of this book, or to a #heading-id")
        if not path:
            continue
        try:
            target = (chapter.source.parent / path).resolve()  # (never opened)
        except (OSError, RuntimeError, ValueError):  # a loop of symlinks
            target = Path("/")
        inside = target.is_relative_to(root)
        name = target.relative_to(root).as_posix() if inside else None
        if name is not None and book.chapter_named(name) is None:
            name = _chapter_written_as_page(book, name)
        if name is not None and book.chapter_named(name) is not None:
            link.set("href", quote(name) + (f"#{fragment}" if fragment else ""))
            continue
        why = ("is not a chapter of this book" if inside
               else "leads outside the manuscript folder")
        book.notes.append(Finding(
            "MS-011", WARNING, f"the link {shown!r} {why}: its text is kept, the link dropped",
            chapter.where(line)))
        link.drop_tag()


def _chapter_written_as_page(book: Book, name: str) -> str:
    """A link to a chapter written as a web page, as GitHub Pages and MkDocs sites link
    (`02_Hello` or `02_Hello.html` for `02_Hello.md`): that chapter's name, else `name`."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in ("html", "htm"):
        name = stem
    elif dot and "/" not in suffix:
        return name
    return name + ".md" if book.chapter_named(name + ".md") is not None else name


def _collect_figures(book: Book, chapter: Chapter, taken: set[str], memo=None) -> None:
    """Every figure and image of the chapter, checked in reading order."""
    for element in list(chapter.body.iter("figure", "img")):
        if element.tag == "img":  # an image outside figures (raw HTML, inline)
            if not any(parent.tag == "figure" for parent in element.iterancestors()):
                _image(book, chapter, element, memo)
            continue
        number = len(book.figures) + 1
        img = element.find("img")
        src = img.get("src", "") if img is not None else ""
        caption_node = (element.find(".//span[@class='caption']")
                        if element.find(".//span[@class='caption']") is not None
                        else element.find("figcaption"))  # raw HTML figures have no spans
        credit_node = element.find(".//span[@class='credit']")
        line = chapter.line_naming(src) or source_line(chapter.markdown,
                                                          src or element.text_content())
        if element.get("data-problem"):
            raise OctavoError(element.get("data-problem"), chapter.source, line)
        if img is None:
            raise OctavoError("a figure has no image", chapter.source, line,
                              hint="give it one `![alt text](images/file.jpg)` line")
        src, path, line, info = _image(book, chapter, img, memo)
        if not element.get("id"):
            figure_id, suffix = f"fig-{number}", 1
            while figure_id in taken:
                suffix += 1
                figure_id = f"fig-{number}_{suffix}"
            element.set("id", figure_id)
            taken.add(figure_id)
        img.set("alt", smarten(img.get("alt", ""), book.metadata.language))
        book.figures.append(Figure(
            number, element.get("id"), src, path, img.get("alt", ""),
            caption_node.text_content().strip() if caption_node is not None else "",
            credit_node.text_content().strip() if credit_node is not None else "",
            chapter, line, info))


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


PART_OPENING = re.compile(r"^(index|0+([_\-. ].*)?)\.md$", re.I)  # index.md, 00_Overview.md


def _parts(book: Book) -> None:
    """Each top-level subfolder holding chapters is a part (`Book.parts`, `Chapter.part`)."""
    folders: dict[str, list[Chapter]] = {}
    for chapter in book.chapters:
        relative = chapter.source.relative_to(book.folder).as_posix()
        if "/" in relative:
            folders.setdefault(relative.split("/")[0], []).append(chapter)
    for folder, chapters in folders.items():
        opening = next((c for c in chapters if c.source.parent == book.folder / folder
                        and PART_OPENING.match(c.source.name) and c.title), None)
        part = Part(opening.title if opening else humanise(folder), folder,
                    opening.id if opening else None)
        book.parts.append(part)
        for chapter in chapters:
            chapter.part = part
def _relative(folder: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def display_strings(meta: Metadata) -> Display:
    """The metadata's strings with curly quotes and dashes, as every output shows them."""
    def shown(text: str | None) -> str | None:
        return smarten(text, meta.language) if text else None
    return Display(title=shown(meta.title),
                   running_head=shown(meta.short_title or meta.title),
                   subtitle=shown(meta.subtitle), description=shown(meta.description),
                   rights=shown(meta.rights), publisher=shown(meta.publisher))


def load_book(folder: Path, apart: Callable | None = None, memo=None) -> Book:
    """Read `folder` (metadata.toml, Markdown chapters, images/) into a Book.

    `apart(function)`, if given, runs `function()` in another process and returns a
    handle with `result()` and `cancel()` (the runner's `Job`): a long book's Markdown is
    then converted on two cores. `memo` (the runner's `Memo`), if given, keeps each
    chapter's converted Markdown for the next build."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OctavoError("the manuscript folder does not exist", folder,
                          hint="pass --manuscript DIR")
    if (folder / METADATA_FILE).exists() and not _inside(folder, METADATA_FILE):
        raise OctavoError(f"{METADATA_FILE} links to a file outside the manuscript folder",
                          folder / METADATA_FILE, hint="put the metadata file itself there")
    notes: list[Finding] = []
    if (folder / METADATA_FILE).exists():
        metadata = load_metadata(folder)
    else:  # the YAML front matter of the first chapter, or what `discover` infers
        first = next(iter(discover.chapter_files(folder)[0]), None)
        first = folder / first if first else None
        header = split_header(clean_text(read_text(first))[0], first)[0] \
            if first and first.is_file() else None
        metadata = metadata_from_header(header, folder) if header else load_metadata(folder)
    book = Book(folder, metadata, [], display=display_strings(metadata), notes=notes)
    sources = [_chapter_text(book, name) for name in book.metadata.chapters]
    for number, (source, header, _, _) in enumerate(sources):
        if header is None or (number == 0 and header.path == metadata.source):
            continue
        why = (f"{METADATA_FILE} gives the metadata" if number == 0
               else "only the first chapter's front matter is the book's metadata")
        notes.append(Finding("MS-012", INFO, f"the YAML front matter is not used: {why}",
                             f"{_relative(folder, source)}:1"))
    texts = [(source, text) for source, _, text, _ in sources]
    language = metadata.language
    for index, ((source, text), html) in enumerate(
            zip(texts, _chapters_as_html(texts, apart, language, memo))):
        book.chapters.append(_load_chapter(book, index, source, text, html))
        book.chapters[-1].removed = sources[index][3]
    _check_cover(book)
    _parts(book)
    check_stylesheets(book.folder, metadata.design.stylesheets)
    taken = _unique_ids(book)
    for chapter in book.chapters:
        _collect_figures(book, chapter, taken, memo)
        _links(book, chapter)
        chapter._ids = None  # ids are final now: read afresh on first use
    return book
