"""SVG images are XML: parse them without entities, DTDs or network access."""

from __future__ import annotations

import re
from pathlib import Path

import tinycss2
from lxml import etree

from ..errors import OctavoError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Elements that run code or pull in other documents, in any namespace.
ACTIVE_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "handler",
                   "listener", "include"}
# An entity declaration, or a DOCTYPE with an internal subset (where they are declared).
ENTITY_DECLARATION = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


def check_svg(path: Path, where: str, line: int | None) -> None:
    try:
        head = path.read_bytes()
    except OSError as error:
        raise OctavoError(f"SVG {path.name} cannot be read ({error.strerror})", where, line) \
            from None
    if ENTITY_DECLARATION.search(head):  # refused before any parser sees it
        raise OctavoError(f"SVG {path.name} declares entities, which are not allowed",
                          where, line, hint="remove the <!DOCTYPE ...> and entity references")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, dtd_validation=False)
    try:
        tree = etree.fromstring(head, parser).getroottree()
    except etree.XMLSyntaxError as error:
        raise OctavoError(f"SVG {path.name} is not well-formed XML ({error})", where, line,
                          hint="export the SVG again") from None
    dtd = tree.docinfo.internalDTD
    if (dtd is not None and any(True for _ in dtd.iterentities())) or any(
            isinstance(node, etree._Entity) for node in tree.iter()):
        raise OctavoError(f"SVG {path.name} declares entities, which are not allowed",
                          where, line, hint="remove the <!DOCTYPE ...> and entity references")
    root = tree.getroot()
    if root.tag != f"{{{SVG_NS}}}svg":
        raise OctavoError(f"{path.name} is not an SVG image", where, line)
    for node in (*root.itersiblings(preceding=True), *root.itersiblings()):
        if isinstance(node, etree._ProcessingInstruction):  # <?xml-stylesheet href=...?>
            raise OctavoError(f"SVG {path.name} has a processing instruction "
                              f"<?{node.target} ...?>", where, line, hint="remove it")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in ACTIVE_ELEMENTS:
            raise OctavoError(f"SVG {path.name} contains <{local}>",
                              where, line, hint="remove scripts and foreign objects")
        if local in ("set", "animate") and element.get("attributeName", "").endswith("href"):
            raise OctavoError(f"SVG {path.name} animates a link", where, line,
                              hint="remove the <set> or <animate> element")
        for name, value in element.attrib.items():
            attribute = etree.QName(name).localname
            if attribute.lower().startswith("on"):
                raise OctavoError(f"SVG {path.name} has an event attribute {attribute}=",
                                  where, line, hint="remove scripts and event handlers")
            if attribute == "href":
                _check_reference(path, value, where, line)
            for target in _css_urls(tinycss2.parse_component_value_list(value)):
                _check_reference(path, target, where, line)
        if local == "style" and element.text:
            rules = tinycss2.parse_stylesheet(element.text)
            if any(rule.type == "at-rule" and rule.lower_at_keyword == "import" for rule in rules):
                raise OctavoError(f"SVG {path.name} imports a stylesheet", where, line,
                                  hint="put the styles in the SVG itself")
            for target in _css_urls(rules):
                _check_reference(path, target, where, line)


def _css_urls(nodes) -> list[str]:
    """Every URL in CSS, as tinycss2 reads it (escapes and any letter case included)."""
    found = []
    for node in nodes:
        if node.type == "url":
            found.append(node.value)
        elif node.type == "function" and node.lower_name in ("url", "src", "image", "image-set"):
            found += [arg.value for arg in node.arguments if arg.type == "string"]
        for children in ("prelude", "content", "arguments"):
            value = getattr(node, children, None)
            if isinstance(value, list):
                found += _css_urls(value)
    return found


def _check_reference(path: Path, href: str, where: str, line: int | None) -> None:
    """Only fragments (`#id`) and embedded images (`data:image/...`) may be referred to."""
    href = href.strip().strip("'\"").strip()
    if href and not href.startswith(("#", "data:image/")):
        shown = href if len(href) <= 80 else href[:77] + "..."
        raise OctavoError(f"SVG {path.name} refers to an outside resource {shown!r}",
                          where, line, hint="embed the resource or remove the reference")
