"""Serialising EPUB content documents and the navigation document as XHTML.

The transforms work on plain HTML trees with a literal `epub:type` attribute; here
they become namespaced XHTML with an XML declaration naming the encoding (Kindle
needs it), `lang` and `xml:lang` on the root, and one line per block for readability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: XHTML_NS, "epub": OPS_NS}
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
ATTRIBUTE_NAMES = {"epub:type": f"{{{OPS_NS}}}type", "xml:lang": f"{{{XML_NS}}}lang"}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
          "figure", "figcaption", "blockquote", "table", "thead", "tbody", "tfoot", "tr",
          "pre", "hr", "div", "section", "aside", "header", "nav", "img", "head", "body",
          "title", "link"}
CONTAINERS = {"section", "div", "aside", "header", "nav", "ul", "ol", "dl", "figure",
              "blockquote", "body", "html", "head", "table", "thead", "tbody", "tfoot", "tr"}


def _q(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def _convert(element, parent):
    attributes = {ATTRIBUTE_NAMES.get(k, k): v for k, v in element.attrib.items()}
    if element.tag.startswith("{"):  # already namespaced: MathML
        namespace = etree.QName(element).namespace
        new = etree.SubElement(parent, element.tag, attributes,
                               nsmap=None if etree.QName(parent).namespace == namespace
                               else {None: namespace})
    else:
        new = etree.SubElement(parent, _q(element.tag), attributes)
    new.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            _convert(child, new)
        elif child.tail:  # a comment or processing instruction: keep only its text
            if len(new):
                new[-1].tail = (new[-1].tail or "") + child.tail
            else:
                new.text = (new.text or "") + child.tail
    new.tail = element.tail
    return new


def _lay_out(element) -> None:
    """A newline between blocks inside containers: insignificant whitespace only."""
    if element.tag == _q("pre"):
        return
    local = etree.QName(element).localname
    children = list(element)
    if local in CONTAINERS and children and not (element.text or "").strip():
        if etree.QName(children[0]).localname in BLOCKS:
            element.text = "\n"
    for child in children:
        if (local in CONTAINERS and etree.QName(child).localname in BLOCKS
                and not (child.tail or "").strip()):
            child.tail = "\n"
        _lay_out(child)


def _root(title: str, language: str, css_href: str | tuple[str, ...] | None,
          body_type: str | None):
    html = etree.Element(_q("html"), nsmap=NSMAP)
    html.set("lang", language)
    html.set(f"{{{XML_NS}}}lang", language)
    head = etree.SubElement(html, _q("head"))
    etree.SubElement(head, _q("title")).text = title
    for href in ([css_href] if isinstance(css_href, str) else css_href or ()):
        etree.SubElement(head, _q("link"), rel="stylesheet", type="text/css", href=href)
    body = etree.SubElement(html, _q("body"))
    if body_type:
        body.set(f"{{{OPS_NS}}}type", body_type)
    return html, body


def _serialise(html) -> bytes:
    _lay_out(html)
    return DECLARATION + etree.tostring(html, encoding="utf-8") + b"\n"


def xhtml_document(title: str, language: str, content, css_href: str | tuple[str, ...] | None,
                   body_type: str | None = None) -> bytes:
    """A content document holding `content` (a plain HTML element) in its body."""
    html, body = _root(title, language, css_href, body_type)
    _convert(content, body)
    return _serialise(html)


@dataclass
class TocEntry:
    label: str
    href: str
    children: list[TocEntry] = field(default_factory=list)


def _ordered_list(parent, entries: list[TocEntry], epub_types: dict[str, str] | None = None):
    ol = etree.SubElement(parent, _q("ol"))
    for entry in entries:
        li = etree.SubElement(ol, _q("li"))
        link = etree.SubElement(li, _q("a"), href=entry.href)
        if epub_types and entry.href in epub_types:
            link.set(f"{{{OPS_NS}}}type", epub_types[entry.href])
        link.text = entry.label
        if entry.children:
            _ordered_list(li, entry.children)
    return ol


def nav_document(title: str, language: str, toc: list[TocEntry],
                 landmarks: list[tuple[str, str, str]], pages: list[tuple[str, str]],
                 css_href: str | tuple[str, ...] | None) -> bytes:
    """The EPUB 3 navigation document: contents, landmarks and the page list.

    `landmarks`: (epub:type, href, label); `pages`: (label, href) in page order.
    """
    html, body = _root(title, language, css_href, None)
    nav = etree.SubElement(body, _q("nav"), id="toc", role="doc-toc")
    nav.set(f"{{{OPS_NS}}}type", "toc")
    etree.SubElement(nav, _q("h1")).text = "Contents"
    _ordered_list(nav, toc)

    nav = etree.SubElement(body, _q("nav"), id="landmarks", hidden="hidden")
    nav.set(f"{{{OPS_NS}}}type", "landmarks")
    nav.set("aria-label", "Landmarks")
    etree.SubElement(nav, _q("h2")).text = "Landmarks"
    _ordered_list(nav, [TocEntry(label, href) for _, href, label in landmarks],
                  {href: kind for kind, href, _ in landmarks})

    if pages:
        nav = etree.SubElement(body, _q("nav"), id="page-list", role="doc-pagelist",
                               hidden="hidden")
        nav.set(f"{{{OPS_NS}}}type", "page-list")
        nav.set("aria-label", "Pages of the PDF edition")
        etree.SubElement(nav, _q("h2")).text = "Pages"
        _ordered_list(nav, [TocEntry(label, href) for label, href in pages])
    return _serialise(html)
