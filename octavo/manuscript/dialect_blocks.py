"""Block constructs of Octavo's dialect that Python-Markdown and pymdown-extensions lack:
figures (`::: figure`, and pandoc's image alone in a paragraph) and table captions
(pandoc's `Table: caption`, before or after the table). Each is a Python-Markdown
processor registered by `make_markdown` in dialect.py.

A figure is always `<figure class="plate">` holding `<img>` and a `<figcaption>` with
`<span class="caption">` (and `<span class="credit">`); malformed input is kept as a
`data-problem` attribute for the loader to report with its line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.treeprocessors import Treeprocessor
from lxml import html as lxml_html

# `::: figure` or `::: figure {#fig:id .class}`. (Pandoc fenced divs of other kinds,
# `::: note`, are another processor's: this one claims only `figure`.)
ATTRIBUTES = r"\{(?P<attrs>[^}]*)\}"
FENCE_OPEN = re.compile(rf"^:::[ \t]*figure[ \t]*(?:{ATTRIBUTES})?[ \t]*$")
FENCE_CLOSE = ":::"
IMAGE_LINE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src><[^>\n]*>|[^)\s]+)(?:\s+"[^"]*")?\)'
                        rf"[ \t]*(?:{ATTRIBUTES})?[ \t]*$")
CREDIT_LINE = re.compile(r"^Credit:\s*(?P<credit>.+)$", re.IGNORECASE)
TABLE_CAPTION = re.compile(r"^Table:[ \t]+(?P<caption>\S.*)$")
CAPTION_ID = re.compile(r"[ \t]*\{[ \t]*#(?P<id>[^\s}]+)[ \t]*\}[ \t]*$")
PLAIN_ALT = "data-alt-from-caption"  # private to the dialect: the treeprocessor removes it


def _attributes(text: str | None) -> dict[str, str]:
    """`#id .class key=value` (attr_list's syntax) as a dict; classes joined."""
    found: dict[str, str] = {}
    for key, value in get_attrs_and_remainder(text or "")[0]:
        if key == ".":
            found["class"] = (found.get("class", "") + " " + value).strip()
        elif value is not None:
            found[key] = value
    return found


def _figure(parent, attributes: dict[str, str]):
    classes = " ".join(["plate", *attributes.get("class", "").split()])
    figure = etree.SubElement(parent, "figure", {"class": classes})
    if attributes.get("id"):
        figure.set("id", attributes["id"])  # kept as given: `fig:harbour` is a label
    return figure


def _caption(figure, caption: str, credit: str | None = None) -> None:
    if not caption and not credit:
        return
    figcaption = etree.SubElement(figure, "figcaption")
    if caption:
        span = etree.SubElement(figcaption, "span", {"class": "caption"})
        span.text = caption
        span.tail = " " if credit else None
    if credit:
        etree.SubElement(figcaption, "span", {"class": "credit"}).text = credit


def _src(found) -> str:
    return found["src"].removeprefix("<").removesuffix(">")


class FigureBlockProcessor(BlockProcessor):
    """`::: figure` ... `:::` becomes <figure><img><figcaption>.

        ::: figure {#fig:harbour}
        ![What a reader who cannot see the image needs to know.](images/plate.jpg)
        The caption, with *inline* Markdown.
        Credit: Artist, Collection
        :::
    """

    def test(self, parent, block):
        return bool(FENCE_OPEN.match(block.split("\n", 1)[0]))

    def run(self, parent, blocks):
        first, *lines = blocks.pop(0).split("\n")
        attributes = _attributes(FENCE_OPEN.match(first)["attrs"])
        closing = self._closing_block(lines, blocks)
        problem = None
        if closing is None:
            problem = "the figure is not closed: end it with a line `:::`"
        else:
            for _ in range(closing):  # a blank line inside the fence split it: rejoin
                lines += [""] + blocks.pop(0).split("\n")
            end = next(i for i, line in enumerate(lines) if line.strip() == FENCE_CLOSE)
            rest = "\n".join(lines[end + 1:]).strip("\n")
            if rest:
                blocks.insert(0, rest)  # text right after the fence is the next block
            lines = lines[:end]
        lines = [line.strip() for line in lines if line.strip()]

        figure = _figure(parent, attributes)
        image = IMAGE_LINE.match(lines[0]) if lines else None
        if image:
            extra = _attributes(image["attrs"])
            etree.SubElement(figure, "img", {"src": _src(image),
                                             "alt": extra.get("alt", image["alt"]).strip()})
            lines = lines[1:]
        else:
            problem = problem or "the figure has no image line `![alt](file)`"
        if problem:
            figure.set("data-problem", problem)
        credit = None
        if lines and (found := CREDIT_LINE.match(lines[-1])):
            credit = found["credit"].strip()
            lines = lines[:-1]
        _caption(figure, " ".join(lines), credit)

    @staticmethod
    def _closing_block(lines: list[str], blocks: list[str]) -> int | None:
        """How many more blocks up to the closing `:::`; None if the figure is not closed."""
        if any(line.strip() == FENCE_CLOSE for line in lines):
            return 0
        for count, block in enumerate(blocks, 1):
            block_lines = block.split("\n")
            if FENCE_OPEN.match(block_lines[0].strip()):
                return None  # the next figure begins first
            if any(line.strip() == FENCE_CLOSE for line in block_lines):
                return count
        return None


class ImageFigureProcessor(BlockProcessor):
    """Pandoc's implicit figure: a paragraph that is one image becomes a figure whose
    caption is the image's bracketed text (with inline Markdown). `{alt="..."}` after
    the image gives a separate description; `{#fig:id}` an id for the figure."""

    def test(self, parent, block):
        found = "\n" not in block.strip() and IMAGE_LINE.match(block.strip())
        return bool(found and found["alt"].strip())  # pandoc: no caption, no figure

    def run(self, parent, blocks):
        image = IMAGE_LINE.match(blocks.pop(0).strip())
        attributes = _attributes(image["attrs"])
        figure = _figure(parent, {k: v for k, v in attributes.items() if k in ("id", "class")})
        img = etree.SubElement(figure, "img", {"src": _src(image)})
        if attributes.get("alt", "").strip():
            img.set("alt", attributes["alt"].strip())
        else:
            img.set(PLAIN_ALT, "")  # the caption's text, once its Markdown is rendered
        _caption(figure, image["alt"].strip())


class TableCaptionSplitter(BlockProcessor):
    """`Table: caption` written on the line next to a table, without a blank line:
    split it off, so the table is a table and the caption a paragraph beside it."""

    def test(self, parent, block):
        lines = block.split("\n")
        if len(lines) < 3:
            return False
        first, last = TABLE_CAPTION.match(lines[0]), TABLE_CAPTION.match(lines[-1])
        table = lines[1:] if first else lines[:-1] if last else []
        return len(table) >= 2 and all("|" in line for line in table)

    def run(self, parent, blocks):
        lines = blocks.pop(0).split("\n")
        if TABLE_CAPTION.match(lines[0]):
            blocks[0:0] = [lines[0], "\n".join(lines[1:])]
        else:
            blocks[0:0] = ["\n".join(lines[:-1]), lines[-1]]


class DialectTreeprocessor(Treeprocessor):
    """After inline Markdown: a `Table:` paragraph becomes its table's <caption>; an
    implicit figure's alt text becomes its caption's plain text."""

    def run(self, root):
        for parent in list(root.iter()):
            children = list(parent)
            for index, child in enumerate(children):
                if child.tag == "p" and TABLE_CAPTION.match(child.text or ""):
                    before = children[index - 1] if index else None
                    after = children[index + 1] if index + 1 < len(children) else None
                    table = next((t for t in (before, after) if t is not None
                                  and t.tag == "table" and t.find("caption") is None), None)
                    if table is not None:
                        self._caption_table(parent, child, table)
        for img in root.iter("img"):
            if PLAIN_ALT in img.attrib:
                del img.attrib[PLAIN_ALT]
                figure = next((f for f in root.iter("figure") if img in list(f)), None)
                caption = figure.find("figcaption") if figure is not None else None
                img.set("alt", _plain(self.md, caption))

    @staticmethod
    def _caption_table(parent, paragraph, table) -> None:
        caption = etree.Element("caption")
        caption.text = TABLE_CAPTION.match(paragraph.text)["caption"]
        caption.extend(list(paragraph))
        last = caption[-1] if len(caption) else None
        tail = (last.tail if last is not None else caption.text) or ""
        found = CAPTION_ID.search(tail)
        if found:  # `Table: Prices {#tbl:prices}`: the table's id, kept as given
            table.set("id", found["id"])
            tail = tail[:found.start()]
            if last is not None:
                last.tail = tail
            else:
                caption.text = tail
        table.insert(0, caption)
        parent.remove(paragraph)


def _plain(md, element) -> str:
    """The text of an element after inline Markdown, with stashed raw HTML (smarty's
    quotes, for one) put back as text."""
    if element is None:
        return ""
    text = "".join(element.itertext())
    stash = md.htmlStash
    for index, value in enumerate(stash.rawHtmlBlocks):
        placeholder = stash.get_placeholder(index)
        if placeholder in text:
            text = text.replace(placeholder, lxml_html.fragment_fromstring(
                str(value), create_parent="div").text_content())
    return " ".join(text.split())


class DialectExtension(Extension):
    def extendMarkdown(self, md):
        # Before paragraphs (10) and after fenced code; a figure is a block. The table
        # caption splitter runs before the table processor (75).
        md.parser.blockprocessors.register(FigureBlockProcessor(md.parser), "octavo-figure", 105)
        md.parser.blockprocessors.register(ImageFigureProcessor(md.parser),
                                           "octavo-image-figure", 11)
        md.parser.blockprocessors.register(TableCaptionSplitter(md.parser),
                                           "octavo-table-caption", 76)
        # After inline Markdown (20), before attr_list (8) and smarty's own pass (6).
        md.treeprocessors.register(DialectTreeprocessor(md), "octavo-dialect", 15)
