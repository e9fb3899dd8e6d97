"""Pandoc's bracketed spans: `[text]{#id .class key="value"}` → `<span>`.

Attributes other than `id`, `class`, `lang`, `dir` and `title` become `data-` attributes,
as pandoc's HTML writer makes them: `[Harbour]{.index entry="Harbours; walls"}` gives
`<span class="index" data-entry="Harbours; walls">Harbour</span>`. The index entries
(`.index` with `entry`, `see` and `seealso`) are read by octavo/structure/index.py.

A minimal processor for the structure work; the dialect's own bracketed spans (issue
14) replace it at the merge if they keep these rules (data- attributes, inline Markdown
inside the brackets).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

SPAN_RE = r"\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]\{(?P<attrs>[^{}\n]*)\}"
ATTRIBUTE = re.compile(r'#(?P<id>[^\s}#.]+)|\.(?P<class>[^\s}#.]+)'
                       r'|(?P<key>[A-Za-z][\w-]*)=(?:"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>\S+))'
                       r'|(?P<space>\s+)')
PLAIN_ATTRIBUTES = {"lang", "dir", "title"}


def parse_attributes(text: str) -> dict[str, str] | None:
    """`#id .a .b key="v"` -> {"id": "id", "class": "a b", "data-key": "v"}; None if malformed."""
    attributes: dict[str, str] = {}
    classes = []
    position = 0
    while position < len(text):
        found = ATTRIBUTE.match(text, position)
        if not found:
            return None
        position = found.end()
        if found["id"]:
            attributes["id"] = found["id"]
        elif found["class"]:
            classes.append(found["class"])
        elif found["key"]:
            value = next(v for v in (found["dq"], found["sq"], found["bare"]) if v is not None)
            key = found["key"].lower()
            attributes[key if key in PLAIN_ATTRIBUTES else f"data-{key}"] = value
    if classes:
        attributes["class"] = " ".join(classes)
    return attributes


class BracketedSpanProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        attributes = parse_attributes(m["attrs"].strip())
        if attributes is None:
            return None, None, None
        element = etree.Element("span", attributes)
        element.text = m["text"]  # inline Markdown inside is parsed by the later patterns
        return element, m.start(0), m.end(0)


class SpanExtension(Extension):
    def extendMarkdown(self, md):
        # After citations and cross-references (174-172), before reference links (170).
        md.inlinePatterns.register(BracketedSpanProcessor(SPAN_RE, md), "octavo-span", 171)
