"""Octavo's Markdown dialect: Python-Markdown with pymdown-extensions (what MkDocs-Material
authors write), accepting pandoc's syntax where the two overlap. `make_markdown` is the
one place it is configured; docs/manuscript.md describes every construct.

Octavo's own processors live beside this module: `dialect_blocks` (figures, table
captions) and `dialect_lists` (nested lists at 2- or 4-space indents). What the parser
gives is then sanitised (sanitize.py) and normalised (structure.py).
"""

from __future__ import annotations

import functools

import markdown
from markdown.extensions import Extension

from .cite_syntax import CitationExtension
from .dialect_blocks import DialectExtension
from .dialect_lists import ListIndentPreprocessor
from .spans import SpanExtension
from .xref_syntax import XrefExtension

# Code: fenced (``` and ~~~) and indented, highlighted by Pygments with CSS classes
# (never inline styles: print and the EPUB each style them). Line numbers are text
# (`linenums="1"`), so every output and the text checks read the same characters.
HIGHLIGHT = {
    "use_pygments": True,
    "css_class": "highlight",
    "guess_lang": False,
    "pygments_lang_class": True,
    "linenums_style": "inline",
}


class ListIndentExtension(Extension):
    def extendMarkdown(self, md):
        # After whitespace is normalised (30), before fenced code is taken out (25).
        md.preprocessors.register(ListIndentPreprocessor(md), "octavo-list-indent", 27)


def make_markdown() -> markdown.Markdown:
    """The one Markdown parser for every output.

    The second half of the dialect (definition lists, admonitions, math, inline
    notes, sub/superscript, marks, spans: "Real manuscripts (2)") is added here too, as
    extensions in this list and their configs below.
    """
    return markdown.Markdown(
        extensions=[
            "footnotes", "attr_list", "tables", "smarty", "sane_lists", "toc",
            "pymdownx.superfences", "pymdownx.highlight", "pymdownx.tilde",
            ListIndentExtension(), DialectExtension(),
            # Book structure (octavo/structure/ reads what these leave in the tree):
            # citations `[@key, p. 33]`, `@key says` and `::: refs`; cross-references
            # `@fig:id`, `[@fig:a; @fig:b]`, `[-@fig:id]`; bracketed spans
            # `[term]{.index entry="…"}` for the index. Labels are given by the
            # constructs that carry them: `::: figure {#fig:id}`, `Table: … {#tbl:id}`
            # (dialect_blocks.py), fenced code `{#lst:id title="…"}` (superfences),
            # headings `{#sec:id}`, and `{.part}`, `{.appendix}`, `{.unnumbered}`,
            # `{.frontmatter}` on a heading (attr_list).
            XrefExtension(), CitationExtension(), SpanExtension(),
        ],
        extension_configs={
            "footnotes": {"BACKLINK_TEXT": "\u2191", "SUPERSCRIPT_TEXT": "{}",
                          "BACKLINK_TITLE": "Back to the text"},
            "smarty": {"smart_angled_quotes": False},
            "toc": {"permalink": False},
            "tables": {"use_align_attribute": True},  # kept by the sanitiser, made a class
            "pymdownx.highlight": HIGHLIGHT,
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
