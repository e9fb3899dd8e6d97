"""Markdown → sanitised HTML: the one Markdown parser, then an allowlist (nh3) that keeps
semantic HTML and drops anything active (scripts, styles, embedded objects, `javascript:`
links) and any class that Octavo's own layout gives a meaning to."""

from __future__ import annotations

import re
from pathlib import Path

import nh3

from ..errors import OctavoError
from .dialect import make_markdown

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "em", "strong", "i", "b", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr",
    "cite", "q", "code", "pre", "kbd", "var", "samp", "span", "a", "img", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "colgroup", "col", "hr", "br", "div", "section", "aside",
    "input",  # only a task list's checkbox survives loading (blocks.finish_blocks)
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "title", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope", "align"},
    "td": {"colspan", "rowspan", "align"},
    "ol": {"start"},
    "figure": {"data-problem"},
    "input": {"type", "checked", "disabled"},
    # What the dialect's citations, cross-references and index spans carry to the
    # structure stage (which reads them defensively: raw HTML may forge them).
    "span": {"data-cites", "data-cluster", "data-problem", "data-refs", "data-form",
             "data-entry", "data-see", "data-seealso"},
}
# `data-*` attributes are kept (a bracketed span's `key=value`s), except those Octavo's
# own layout reads.
DATA_PREFIX = "data-"
RESERVED_DATA = {"data-o", "data-number", "data-running-head", "data-problem",
                 "data-alt-from-caption", "data-title"}
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


# Classes the styles and writers give a meaning to. An author's raw HTML may not use
# them (a `class="cover"` paragraph would become a full-page cover), except where
# Python-Markdown itself puts them: footnotes, and the figure extension's parts.
MARKDOWN_CLASSES = {"div": {"footnote"}, "a": {"footnote-ref", "footnote-backref"},
                    "figure": {"plate"}, "span": {"caption", "credit"}}
# Classes the structure stage gives its own elements (numbers, labels, generated pages).
STRUCTURE_CLASSES = {
    "division-label", "caption-label", "equation-number", "listing",
    "listing-caption", "xref-page", "contents", "toc-entry", "toc-label", "toc-title",
    "toc-page", "book-index", "index-group", "index-entry", "index-term", "index-locators",
    "part-page", "references", "csl-entry", "csl-bib-body", "citation-ref", "opens",
    "front-matter", "book", "article"}
RESERVED_CLASSES = {
    "back-cover", "back-identifier", "back-publisher", "byline", "caption", "chapter",
    "colophon", "colophon-title", "cover", "cover-byline", "cover-kicker", "cover-page",
    "cover-publisher", "cover-subtitle", "cover-title", "credit", "end-mark", "external",
    "footnote", "footnotes", "footnote-ref", "footnote-backref", "kicker", "lead-in",
    "link-url", "note-number",
    "opening", "opening-paragraph", "plate", "subtitle", "text", "title", "titlepage",
    *STRUCTURE_CLASSES,
    # made at load or per output from Markdown's own constructs (math, task lists)
    "math-display", "math-display-art", "math-inline", "math-error", "task-box"}


def _author_class(tag: str, name: str) -> bool:
    if name in MARKDOWN_CLASSES.get(tag, ()):
        return True
    return name not in RESERVED_CLASSES and not name.startswith("snug-")


def _safe_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute it kept: links only to the allowed schemes,
    no class that Octavo's own layout uses."""
    if attribute in RESERVED_DATA and not (attribute in ALLOWED_ATTRIBUTES.get(tag, ())):
        return None  # (a figure's and a citation's data-problem come from the dialect)
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


def markdown_to_html(text: str, path: Path | None = None, language: str = "en") -> str:
    """Markdown → sanitised HTML (a string: it may be made in another process)."""
    _check_nesting(text, path)
    try:
        html = make_markdown(language).convert(text)
    except RecursionError:
        raise OctavoError("the text is nested too deeply for the Markdown parser", path,
                          hint="flatten the lists, quotations or raw HTML") from None
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES | IMAGE_SCHEMES, link_rel=None,
                     strip_comments=True, clean_content_tags=DROPPED_WITH_CONTENT,
                     generic_attribute_prefixes={DATA_PREFIX},
                     attribute_filter=_safe_attribute)

