"""Octavo's Markdown dialect: Python-Markdown plus registered processors.

Figures are written as a fenced block, so a caption can never fall inside a
sentence and the alt text, caption and credit stay separate:

    ::: figure
    ![What a reader who cannot see the image needs to know.](images/plate.jpg)
    The caption, with *inline* Markdown.
    Credit: Artist, Collection
    :::
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension

from .cite_syntax import CitationExtension
from .spans import SpanExtension
from .table_caption import TableCaptionExtension
from .xref_syntax import XrefExtension

FENCE_OPEN = re.compile(r"^:::[ \t]*figure[ \t]*(?:\{[ \t]*#(?P<id>[^\s{}]+)[ \t]*\}[ \t]*)?$")
FENCE_CLOSE = ":::"
IMAGE_LINE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"[^"]*")?\)\s*$')
CREDIT_LINE = re.compile(r"^Credit:\s*(?P<credit>.+)$", re.IGNORECASE)


class FigureBlockProcessor(BlockProcessor):
    """`::: figure` ... `:::` becomes <figure><img><figcaption>.

    Anything malformed is kept in the figure as `data-problem`, so the
    manuscript checks can report it with its line instead of losing it.
    """

    def test(self, parent, block):
        return bool(FENCE_OPEN.match(block.split("\n", 1)[0]))

    def run(self, parent, blocks):
        opening = FENCE_OPEN.match(blocks[0].split("\n", 1)[0])
        lines = blocks.pop(0).split("\n")[1:]
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

        figure = etree.SubElement(parent, "figure", {"class": "plate"})
        if opening["id"]:  # `::: figure {#fig:harbour}`, as pandoc-crossref labels it
            figure.set("id", opening["id"])
        image = IMAGE_LINE.match(lines[0]) if lines else None
        if image:
            etree.SubElement(figure, "img", {"src": image["src"], "alt": image["alt"].strip()})
            lines = lines[1:]
        else:
            problem = problem or "the figure has no image line `![alt](file)`"
        if problem:
            figure.set("data-problem", problem)
        credit = None
        if lines and (found := CREDIT_LINE.match(lines[-1])):
            credit = found["credit"].strip()
            lines = lines[:-1]
        caption = " ".join(lines)
        if caption or credit:
            figcaption = etree.SubElement(figure, "figcaption")
            if caption:
                span = etree.SubElement(figcaption, "span", {"class": "caption"})
                span.text = caption
                span.tail = " " if credit else None
            if credit:
                etree.SubElement(figcaption, "span", {"class": "credit"}).text = credit


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


class FigureExtension(Extension):
    def extendMarkdown(self, md):
        # Before paragraphs (10) and after fenced code; a figure is a block.
        md.parser.blockprocessors.register(FigureBlockProcessor(md.parser), "octavo-figure", 105)


def make_markdown() -> markdown.Markdown:
    """The one Markdown parser for every output."""
    return markdown.Markdown(
        extensions=[
            "footnotes", "attr_list", "tables", "smarty", "sane_lists",
            "toc", "pymdownx.tilde", FigureExtension(),
            # Book structure (octavo/structure/ reads what these leave in the tree):
            # citations `[@key, p. 33]`, `@key says` and `::: refs`; cross-references
            # `@fig:id`, `[@fig:a; @fig:b]`, `[-@fig:id]`; bracketed spans
            # `[term]{.index entry="…"}` for the index; `Table: caption {#tbl:id}`;
            # fenced code, which `{#lst:id}` labels as a listing. Labels on headings
            # (`{#sec:id}`), and `{.part}`, `{.appendix}`, `{.unnumbered}` and
            # `{.frontmatter}` headings, are attr_list's.
            XrefExtension(), CitationExtension(), SpanExtension(), TableCaptionExtension(),
            "pymdownx.superfences",
        ],
        extension_configs={
            "footnotes": {"BACKLINK_TEXT": "\u2191", "SUPERSCRIPT_TEXT": "{}",
                          "BACKLINK_TITLE": "Back to the text"},
            "smarty": {"smart_angled_quotes": False},
            "toc": {"permalink": False},
        },
        output_format="html",
    )


@functools.lru_cache(maxsize=256)
def smarten(text: str) -> str:
    """Curly quotes and dashes for a plain string (titles, alt text)."""
    md = markdown.Markdown(extensions=["smarty"], output_format="html")
    from lxml import html as lxml_html
    html = md.convert(text.replace("<", "&lt;"))
    return lxml_html.fragment_fromstring(html, create_parent="div").text_content().strip()
