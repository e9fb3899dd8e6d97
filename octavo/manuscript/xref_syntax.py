"""Cross-references in the Markdown dialect, as pandoc-crossref writes them.

Labels: `{#fig:id}` on a figure, `{#tbl:id}` on a table caption, `{#sec:id}` on a
heading, `{#eq:id}` after a display equation, `{#lst:id}` on a fenced code block.
References: `@fig:id`, `[@fig:id]` (the same), `[@fig:a; @fig:b]` (several) and
`[-@fig:id]` (the number alone). Each becomes `<span class="xref" data-refs="fig:a
fig:b" data-form="name|number">` holding its source text; the structure stage
(octavo/structure/xrefs.py) resolves it once everything is numbered.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

LABEL_PREFIXES = ("fig", "tbl", "sec", "eq", "lst")
LABEL = r"(?:fig|tbl|sec|eq|lst):[\w](?:[\w]|[:.#$%&\-+?<>~/]+(?=[\w]))*"
LABEL_RE = re.compile(LABEL, re.IGNORECASE)
NARRATIVE_XREF = r"(?<![\w@\\\[])@(?P<label>" + LABEL + ")"
BRACKET_XREF = (r"\[(?P<body>\s*-?@" + LABEL + r"\s*(?:;\s*-?@" + LABEL + r"\s*)*)\]"
                r"(?![(\[:{])")


def is_label(key: str) -> bool:
    """Is `key` a cross-reference label (fig:, tbl:, sec:, eq:, lst:) and not a citation?"""
    prefix, colon, rest = key.partition(":")
    return bool(colon and rest) and prefix.lower() in LABEL_PREFIXES


def normal_label(label: str) -> str:
    """`Fig:harbour` and `fig:harbour` name the same label (pandoc-crossref capitalises)."""
    prefix, _, rest = label.partition(":")
    return f"{prefix.lower()}:{rest}"


def xref_element(labels: list[str], form: str, raw: str) -> etree.Element:
    element = etree.Element("span", {"class": "xref", "data-refs": " ".join(labels),
                                     "data-form": form})
    element.text = AtomicString(raw)
    return element


class NarrativeXrefProcessor(InlineProcessor):
    """@fig:harbour -> "Figure 2.3"."""

    def handleMatch(self, m, data):
        return xref_element([normal_label(m["label"])], "name", m.group(0)), m.start(0), m.end(0)


class BracketXrefProcessor(InlineProcessor):
    """[@fig:a; @fig:b] -> "Figures 2.3 and 2.4"; [-@fig:a] -> "2.3"."""

    def handleMatch(self, m, data):
        parts = [part.strip() for part in m["body"].split(";")]
        labels = [normal_label(part.lstrip("-").lstrip("@")) for part in parts]
        form = "number" if all(part.startswith("-") for part in parts) else "name"
        return xref_element(labels, form, m.group(0)), m.start(0), m.end(0)


class XrefExtension(Extension):
    def extendMarkdown(self, md):
        # Before the citation patterns (173, 172), which leave labels alone anyway.
        md.inlinePatterns.register(BracketXrefProcessor(BRACKET_XREF, md), "octavo-xref", 174.8)
        md.inlinePatterns.register(NarrativeXrefProcessor(NARRATIVE_XREF, md),
                                   "octavo-xref-narrative", 174.5)
