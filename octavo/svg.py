"""SVG images are XML: parse them without entities, DTDs or network access."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .errors import OctavoError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def check_svg(path: Path, where: str, line: int | None) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, dtd_validation=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as error:
        raise OctavoError(f"SVG {path.name} is not well-formed XML ({error})", where, line,
                          hint="export the SVG again") from None
    if tree.docinfo.internalDTD is not None or any(
            isinstance(node, etree._Entity) for node in tree.iter()):
        raise OctavoError(f"SVG {path.name} declares entities, which are not allowed",
                          where, line, hint="remove the <!DOCTYPE ...> and entity references")
    root = tree.getroot()
    if root.tag != f"{{{SVG_NS}}}svg":
        raise OctavoError(f"{path.name} is not an SVG image", where, line)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in (f"{{{SVG_NS}}}script", f"{{{SVG_NS}}}foreignObject"):
            raise OctavoError(f"SVG {path.name} contains <{etree.QName(element).localname}>",
                              where, line, hint="remove scripts and foreign objects")
        href = element.get(XLINK_HREF) or element.get("href") or ""
        if href and not href.startswith(("#", "data:image/")):
            raise OctavoError(f"SVG {path.name} refers to an outside resource {href!r}",
                              where, line, hint="embed the resource or remove the reference")
