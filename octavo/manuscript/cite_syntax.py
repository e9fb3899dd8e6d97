"""Citations in the Markdown dialect, as pandoc writes them: `[@key]`, `[@key, p. 33]`,
`[see @a, pp. 3-5; also @b]`, `[-@key]` (no author), `@key says` and `@key [p. 33] says`
(the author in the text), and `::: refs` (where the reference list goes).

Each cluster becomes `<span class="citation" data-cites="k1 k2" data-cluster="[json]">`
holding its source text; the structure stage (octavo/structure/citations.py) formats
every cluster of the book at once with the CSL engine. Cross-reference keys (`fig:`,
`tbl:`, `sec:`, `eq:`, `lst:`) are left to `xref_syntax`. Ported from the citations
prototype (/work/proto/cite, pandoc 2.17 as the oracle for the syntax).
"""

from __future__ import annotations

import functools
import html
import json
import re
import xml.etree.ElementTree as etree
from dataclasses import asdict, dataclass
from pathlib import Path

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from .xref_syntax import is_label

# A key starts with a letter, digit or _, then word characters and *internal*
# punctuation :.#$%&-+?<>~/ (a trailing full stop is not part of the key); `@{…}` takes
# anything but braces and spaces.
KEY = r"[\w](?:[\w]|[:.#$%&\-+?<>~/]+(?=[\w]))*"
KEY_RE = re.compile(r"(?P<minus>-)?@(?:\{(?P<bkey>[^{}\s]+)\}|(?P<key>" + KEY + "))")
# Narrative: @key not after a word character (a@b.com is no citation), optionally
# followed by " [locator, suffix]".
NARRATIVE_RE = (r"(?<![\w@\\\[])@(?:\{(?P<bkey>[^{}\s]+)\}|(?P<key>" + KEY + r"))"
                r"(?:[ \t]?\[(?P<suffix>[^\[\]\n]*)\])?")
BRACKET_RE = r"\[(?P<body>[^\[\]]*@[^\[\]]*)\](?![(\[:{])"

# Locator labels: the CSL locale's terms plus pandoc's abbreviations.
LOCATOR_TERMS = ("act appendix article-locator book canon chapter column elocation equation "
                 "figure folio issue line note opus page paragraph part rule scene section "
                 "sub-verbo supplement table timestamp title-locator verse version volume").split()
PANDOC_LABELS = {"p": "page", "pp": "page", "pg": "page", "pgs": "page", "bk": "book",
                 "bks": "book", "chap": "chapter", "chaps": "chapter", "ch": "chapter",
                 "col": "column", "cols": "column", "fig": "figure", "figs": "figure",
                 "fol": "folio", "fols": "folio", "no": "number", "nos": "number",
                 "l": "line", "ll": "line", "n": "note", "nn": "note", "op": "opus",
                 "opp": "opus", "para": "paragraph", "paras": "paragraph", "pt": "part",
                 "pts": "part", "sec": "section", "secs": "section", "s.v": "sub-verbo",
                 "s.vv": "sub-verbo", "v": "verse", "vv": "verse", "vol": "volume",
                 "vols": "volume", "§": "section", "§§": "section", "¶": "paragraph",
                 "¶¶": "paragraph"}


@dataclass
class CiteItem:
    key: str
    locator: str | None = None
    label: str | None = None  # the CSL locator label: page, chapter, …
    prefix: str = ""  # HTML (escaped, inline Markdown rendered)
    suffix: str = ""
    suppress_author: bool = False
    author_in_text: bool = False


@functools.lru_cache(maxsize=4)
def locator_labels(locale: str = "en-US") -> dict[str, str]:
    """Label text (lower case, no final '.') -> CSL locator name."""
    import citeproc  # its locale files; the engine itself is the structure stage's
    from lxml import etree as lxml_etree
    labels = dict(PANDOC_LABELS)
    path = Path(citeproc.LOCALES_PATH) / f"locales-{locale}.xml"
    if path.exists():
        namespace = {"cs": "http://purl.org/net/xbiblio/csl"}
        for term in lxml_etree.parse(str(path)).iterfind(".//cs:term", namespace):
            if term.get("name") in LOCATOR_TERMS:
                for text in [term.text] + [child.text for child in term]:
                    if text and text.strip():
                        labels[text.strip().lower().rstrip(".")] = term.get("name")
    for name in LOCATOR_TERMS:
        labels.setdefault(name, name)
    return labels


@functools.lru_cache(maxsize=1)
def _label_re() -> re.Pattern:
    names = sorted((re.escape(k) for k in locator_labels()), key=len, reverse=True)
    return re.compile(r"(?P<label>" + "|".join(names) + r")\.?(?:\s+|(?=\d))", re.I)


# A locator value: numbers, roman numerals, ranges and lists ("33", "33-35", "iv, 7",
# "3.2"); or {anything} in braces.
VALUE_RE = re.compile(r"\{(?P<braced>[^{}]*)\}|(?P<value>[\w.]*\d[\w.]*|[ivxlcdm]+\b)"
                      r"(?P<more>(?:\s*(?:-{1,3}|[–—,&])\s*(?:[\w.]*\d[\w.]*|[ivxlcdm]+\b))*)",
                      re.I)


def parse_locator(text: str) -> tuple[str | None, str | None, str]:
    """', p. 33, emphasis added' -> ('page', '33', ', emphasis added')."""
    rest = text.lstrip()
    if rest.startswith(","):
        rest = rest[1:].lstrip()
    label = None
    found = _label_re().match(rest)
    if found and VALUE_RE.match(rest[found.end():]):
        label = locator_labels()[found["label"].lower()]
        rest = rest[found.end():]
    value = VALUE_RE.match(rest)
    if not value or (label is None and not re.match(r"[\d{]|[ivxlcdm]+(?:$|[,;\-–])", rest)):
        return None, None, text.strip()
    if value["braced"] is not None:  # {pp. iv, vi-xi}: a label inside, the value verbatim
        locator = value["braced"].strip()
        found = _label_re().match(locator)
        if found and label is None:
            label, locator = locator_labels()[found["label"].lower()], locator[found.end():]
    else:
        locator = re.sub(r"-{2,3}", "-", value["value"] + (value["more"] or ""))
    suffix = rest[value.end():]
    return label or "page", locator.strip(), suffix.rstrip() if suffix.strip() else ""


@functools.lru_cache(maxsize=1024)
def inline_html(text: str) -> str:
    """A prefix or suffix (`*see*`) as inline HTML: emphasis, curly quotes."""
    if not text.strip():
        return text
    import markdown
    lead = " " if text[:1].isspace() else ""
    out = markdown.markdown(text.strip(), extensions=["smarty"])
    out = re.sub(r"^<p>|</p>$", "", out.strip())
    if "<" in out:
        return lead + out
    return lead + html.escape(html.unescape(out), quote=False)


def parse_bracketed(body: str) -> list[CiteItem] | None:
    """The inside of `[…]` as cited items, or None when it is not a citation."""
    items = []
    for part in body.split(";"):
        found = KEY_RE.search(part)
        if not found:
            return None
        start = found.start()
        if start and not part[start - 1].isspace() and part[start - 1] not in "([":
            return None  # 'a@b.com' inside brackets
        label, locator, suffix = parse_locator(part[found.end():])
        items.append(CiteItem(key=found["bkey"] or found["key"], locator=locator, label=label,
                              prefix=inline_html(part[:start].strip()),
                              suffix=inline_html(suffix), suppress_author=bool(found["minus"])))
    return items or None


def cluster_element(items: list[CiteItem], raw: str) -> etree.Element:
    element = etree.Element("span", {"class": "citation",
                                     "data-cites": " ".join(item.key for item in items),
                                     "data-cluster": json.dumps([asdict(i) for i in items],
                                                                ensure_ascii=False)})
    element.text = AtomicString(raw)  # never parsed again (smarty would curl its quotes)
    return element


def cluster_items(element) -> list[CiteItem]:
    """The items a citation span holds (raw HTML may forge one: anything odd is none)."""
    try:
        return [CiteItem(**{k: v for k, v in item.items() if k in CiteItem.__dataclass_fields__})
                for item in json.loads(element.get("data-cluster") or "[]")
                if isinstance(item, dict) and isinstance(item.get("key"), str)]
    except (ValueError, TypeError):
        return []


class BracketCitationProcessor(InlineProcessor):
    """[see @a, p. 3; -@b] -> a citation span."""

    def handleMatch(self, m, data):
        items = parse_bracketed(m["body"])
        if items is None:
            return None, None, None
        labels = [is_label(item.key) for item in items]
        if all(labels):
            return None, None, None  # a cross-reference (xref_syntax)
        element = cluster_element(items, m.group(0))
        if any(labels):
            element.set("data-problem", "a cluster mixes citations and cross-references")
        return element, m.start(0), m.end(0)


class NarrativeCitationProcessor(InlineProcessor):
    """@key says / @key [p. 33] says -> the author in the text, the rest cited."""

    def handleMatch(self, m, data):
        key = m["bkey"] or m["key"]
        if is_label(key):
            return None, None, None
        label, locator, suffix = (parse_locator(m["suffix"]) if m["suffix"] is not None
                                  else (None, None, ""))
        item = CiteItem(key=key, locator=locator, label=label, suffix=inline_html(suffix),
                        author_in_text=True)
        return cluster_element([item], m.group(0)), m.start(0), m.end(0)


REFS_FENCE = re.compile(r"^:::[ \t]*(?:refs|\{[ \t]*#refs[ \t]*\})[ \t]*$")


class RefsBlockProcessor(BlockProcessor):
    """`::: refs` (or `::: {#refs}`) … `:::`: where the reference list goes."""

    def test(self, parent, block):
        return bool(REFS_FENCE.match(block.split("\n", 1)[0].strip()))

    def run(self, parent, blocks):
        lines = blocks.pop(0).split("\n")[1:]
        if not any(line.strip() == ":::" for line in lines):
            while blocks and not blocks[0].startswith(":::"):
                blocks.pop(0)
            if blocks:
                blocks.pop(0)
        etree.SubElement(parent, "div", {"id": "refs", "class": "references"})


class CitationExtension(Extension):
    def extendMarkdown(self, md):
        # After escapes (180) and footnote calls (175), before links (170, 160).
        md.inlinePatterns.register(BracketCitationProcessor(BRACKET_RE, md), "octavo-cite", 173)
        md.inlinePatterns.register(NarrativeCitationProcessor(NARRATIVE_RE, md),
                                   "octavo-cite-narrative", 172)
        md.parser.blockprocessors.register(RefsBlockProcessor(md.parser), "octavo-refs", 106)
        if "@" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("@")  # \@ is a literal at sign
