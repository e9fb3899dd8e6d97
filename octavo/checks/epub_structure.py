"""EPUB-004: the EPUB's XHTML follows HTML's content models, checked on every build.

epubcheck (`--validate`) reads the whole book against the HTML schema, but takes
seconds; this check reads each content document once (lxml, a few milliseconds)
and catches what a manuscript's raw HTML can still produce: a block inside a
paragraph or an inline element, a figure caption that is neither first nor last in
its figure, list and table parts out of place, text loose in a list or table, a
link inside a link, an id used twice. Each finding names the file and the line.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from lxml import etree

from . import ERROR, CheckContext, Finding

XHTML = "{http://www.w3.org/1999/xhtml}"
# Elements whose content must be phrasing content (HTML "phrasing content" parents).
PHRASING_ONLY = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "span", "em", "strong", "i",
                 "b", "u", "s", "small", "mark", "abbr", "cite", "q", "code", "kbd", "var",
                 "samp", "sub", "sup", "dfn", "bdi", "bdo", "label", "data", "time", "legend",
                 "summary", "button", "output"}
# Flow elements that are not phrasing: never inside the elements above.
FLOW_ONLY = {"address", "article", "aside", "blockquote", "details", "dialog", "div", "dl",
             "dd", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
             "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p",
             "pre", "section", "table", "ul"}
ONLY_CHILDREN = {  # parent -> the only elements it may hold (and no text)
    "ul": {"li", "script", "template"}, "ol": {"li", "script", "template"},
    "dl": {"dt", "dd", "div", "script", "template"},
    "table": {"caption", "colgroup", "thead", "tbody", "tfoot", "tr", "script", "template"},
    "thead": {"tr"}, "tbody": {"tr"}, "tfoot": {"tr"}, "tr": {"td", "th"},
    "colgroup": {"col"},
}
PARENTS = {  # element -> the parents it may have
    "li": {"ul", "ol", "menu"}, "dt": {"dl", "div"}, "dd": {"dl", "div"},
    "figcaption": {"figure"}, "caption": {"table"}, "tr": {"table", "thead", "tbody", "tfoot"},
    "td": {"tr"}, "th": {"tr"}, "thead": {"table"}, "tbody": {"table"}, "tfoot": {"table"},
}


def _local(element) -> str | None:
    if not isinstance(element.tag, str) or not element.tag.startswith(XHTML):
        return None
    return element.tag[len(XHTML):]


def _figure_problem(figure) -> str | None:
    """A figcaption must be the figure's first or last content (and one only)."""
    items = []  # ("caption" | "other") for each element and each piece of real text
    if (figure.text or "").strip():
        items.append("other")
    for child in figure:
        if isinstance(child.tag, str):
            items.append("caption" if _local(child) == "figcaption" else "other")
        if (child.tail or "").strip():
            items.append("other")
    captions = [i for i, kind in enumerate(items) if kind == "caption"]
    if len(captions) > 1:
        return "a figure has more than one <figcaption>"
    if captions and captions[0] not in (0, len(items) - 1):
        return "a <figcaption> is neither the first nor the last thing in its <figure>"
    return None


def structure_problems(data: bytes) -> list[tuple[int, str]]:
    """(line, problem) for every content-model problem in one XHTML document."""
    root = etree.fromstring(data)
    problems, ids = [], {}
    for element in root.iter():
        name = _local(element)
        if name is None:
            continue
        line = element.sourceline or 0
        parent = element.getparent()
        parent_name = _local(parent) if parent is not None else None
        if name in FLOW_ONLY:
            holder = next((_local(a) for a in element.iterancestors()
                           if _local(a) in PHRASING_ONLY), None)
            if holder:
                problems.append((line, f"<{name}> inside <{holder}>, which may hold only "
                                       "text and inline elements"))
        if parent_name in ONLY_CHILDREN and name not in ONLY_CHILDREN[parent_name]:
            problems.append((line, f"<{name}> directly inside <{parent_name}>"))
        if name in PARENTS and parent_name not in PARENTS[name]:
            problems.append((line, f"<{name}> outside a <{'> or <'.join(sorted(PARENTS[name]))}>"))
        if name in ONLY_CHILDREN and ((element.text or "").strip() or any(
                (child.tail or "").strip() for child in element)):
            problems.append((line, f"text directly inside <{name}>"))
        if name == "figure" and (problem := _figure_problem(element)):
            problems.append((line, problem))
        if name == "a" and any(_local(a) == "a" for a in element.iterancestors()):
            problems.append((line, "a link inside a link"))
        if name == "caption" and parent is not None and parent.index(element) != 0:
            problems.append((line, "a <caption> that is not the first thing in its <table>"))
        element_id = element.get("id")
        if element_id is not None:
            if element_id in ids:
                problems.append((line, f"the id {element_id!r} is used twice "
                                       f"(also on line {ids[element_id]})"))
            ids.setdefault(element_id, line)
    return problems


def epub_structure_is_valid(context: CheckContext) -> list[Finding]:
    path: Path | None = context.outputs.get("epub")
    if path is None or not path.exists():
        return []
    findings = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".xhtml"):
                continue
            problems = _problems(archive.read(name), context.memo)
            findings += [Finding("EPUB-004", ERROR, f"invalid XHTML: {problem}",
                                 f"{path.name}/{name}:{line}") for line, problem in problems]
    return findings


def _problems(data: bytes, memo=None) -> list:
    """`structure_problems` of one document, or its problems an earlier build found in
    the same bytes (`memo`: the runner's, or None)."""
    def found() -> list:
        try:
            return structure_problems(data)
        except etree.XMLSyntaxError as error:
            return [(error.lineno or 0, f"not well-formed XML ({error.msg})")]
    if memo is None:
        return found()
    kept = memo.remember(memo.key("epub-structure", hashlib.sha1(data).digest()),
                         lambda: json.dumps(found()).encode())
    return [tuple(problem) for problem in json.loads(kept)]


EPUB_STRUCTURE_CHECKS = [epub_structure_is_valid]
