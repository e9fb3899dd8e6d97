"""Octavo's Markdown dialect: Python-Markdown with pymdown-extensions (what MkDocs-Material
authors write), accepting pandoc's syntax where the two overlap. `make_markdown` is the
one place it is configured; docs/manuscript.md describes every construct.

Octavo's own processors live beside this module: `dialect_blocks` (figures, table
captions) and `dialect_lists` (nested lists at 2- or 4-space indents); for the second
half of the dialect, `blocks` (fenced divs, callouts, epigraphs, verse), `inline`
(inline notes, bracketed spans, backslash breaks), `mathtex` (math) and `quotes`
(quotes by language). What the parser gives is then sanitised (sanitize.py) and
normalised (structure.py; blocks.finish_blocks, quotes.pair_quotes, mathtex).
"""

from __future__ import annotations

import functools

import markdown
from markdown.extensions import Extension

from . import quotes
from .blocks import Attributions, FencedDivs, LineBlocks
from .cite_syntax import CitationExtension
from .dialect_blocks import DialectExtension
from .dialect_lists import ListIndentPreprocessor
from .inline import BackslashBreaks, BracketedSpans, InlineNotes, NotesOutOfLinks
from .mathtex import EquationLabels
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


def make_markdown(language: str = "en") -> markdown.Markdown:
    """The one Markdown parser for every output. `language`: the book's (quotes, the
    titles of callouts)."""
    return markdown.Markdown(
        extensions=[
            "footnotes", "attr_list", "tables", "smarty", "sane_lists", "toc",
            "pymdownx.superfences", "pymdownx.highlight", "pymdownx.tilde",
            ListIndentExtension(), DialectExtension(),
            # --- Real manuscripts (2): callouts, math, verse, inline extras (issue 14) ---
            "def_list", "abbr", "admonition", "pymdownx.caret", "pymdownx.mark",
            "pymdownx.tasklist", "pymdownx.arithmatex", EquationLabels(),
            FencedDivs(language=language), LineBlocks(), Attributions(), InlineNotes(),
            BracketedSpans(), BackslashBreaks(), NotesOutOfLinks(),
            # Book structure (octavo/structure/ reads what these leave in the tree):
            # citations `[@key, p. 33]`, `@key says` and `::: refs`; cross-references
            # `@fig:id`, `[@fig:a; @fig:b]`, `[-@fig:id]`; bracketed spans
            # `[term]{.index entry="…"}` for the index. Labels are given by the
            # constructs that carry them: `::: figure {#fig:id}`, `Table: … {#tbl:id}`
            # (dialect_blocks.py), fenced code `{#lst:id title="…"}` (superfences),
            # headings `{#sec:id}`, and `{.part}`, `{.appendix}`, `{.unnumbered}`,
            # `{.frontmatter}` on a heading (attr_list).
            XrefExtension(), CitationExtension(),  # (spans: BracketedSpans above)
        ],
        extension_configs={
            # Numbered in the order the text calls them (as pandoc does, and as the PDFs'
            # footnote counter does): ^[inline notes] are defined after the text.
            "footnotes": {"BACKLINK_TEXT": "\u2191", "SUPERSCRIPT_TEXT": "{}",
                          "BACKLINK_TITLE": "Back to the text", "USE_DEFINITION_ORDER": False},
            # Quotes are placeholders here, paired in the book's language at load
            # (quotes.pair_quotes: smarty cannot nest them, nor tell ’ from ‘).
            "smarty": {"smart_angled_quotes": False, "substitutions": quotes.SUBSTITUTIONS},
            "toc": {"permalink": False},
            "tables": {"use_align_attribute": True},  # kept by the sanitiser, made a class
            "pymdownx.highlight": HIGHLIGHT,
            # Bare TeX in span/div.arithmatex; mathtex typesets it for each output.
            "pymdownx.arithmatex": {"generic": True, "tex_inline_wrap": ["", ""],
                                    "tex_block_wrap": ["", ""], "inline_syntax": ["dollar"],
                                    "block_syntax": ["dollar"], "smart_dollar": True},
            "pymdownx.caret": {"superscript": True, "insert": True},
            "pymdownx.tilde": {"subscript": True, "delete": True},
        },
        output_format="html",
    )


@functools.lru_cache(maxsize=1)
def _smarty() -> markdown.Markdown:
    """The parser `smarten` uses (made once: a parser costs 2 ms to make; reset for
    each string)."""
    return markdown.Markdown(extensions=["smarty"], output_format="html", extension_configs={
        "smarty": {"substitutions": quotes.SUBSTITUTIONS}})


@functools.lru_cache(maxsize=256)
def smarten(text: str, language: str = "en") -> str:
    """Curly quotes and dashes for a plain string (titles, alt text)."""
    md = _smarty()
    md.reset()
    from lxml import html as lxml_html
    html = md.convert(text.replace("<", "&lt;"))
    plain = lxml_html.fragment_fromstring(html, create_parent="div").text_content().strip()
    return quotes.pair_in_string(plain, language)
