"""Cross-references resolved: each `span.xref` the dialect left names labels; once
everything is numbered it becomes links with the targets' names ("Figure 2.3",
"Figures 2.3 and 2.4", "Chapter 3", a section's title in quotes; `[-@fig:x]` the
number alone). The span keeps the targets' ids (`data-targets`) so that the paged
stage can add "on page 41" from its page map (`xref_pages`), unless it is a bare number. An unknown label is an
error naming the closest one."""

from __future__ import annotations

import difflib

from lxml.html import builder as E

from ..errors import OctavoError
from ..manuscript.book import Book
from .model import Structure, Target
from .terms import Terms

XREF_CLASS = "xref"
TARGETS = "data-targets"  # on a resolved xref: the ids it names, for "on page N"


def xref_spans(root):
    return [span for span in root.iter("span")
            if XREF_CLASS in (span.get("class") or "").split() and span.get("data-refs")]


def resolve(book: Book, structure: Structure, terms: Terms) -> None:
    for chapter in book.chapters:
        seen: dict[str, int] = {}
        for span in xref_spans(chapter.body):
            raw = span.text_content()
            nth = seen.get(raw, 0)
            seen[raw] = nth + 1
            labels = span.get("data-refs").split()
            for label in labels:
                if label not in structure.targets:
                    close = difflib.get_close_matches(label, list(structure.targets), n=1)
                    raise OctavoError(f"{raw} refers to {label!r}, which no figure, table, "
                                      "equation, listing or heading has", chapter.source,
                                      chapter.line_of_nth(raw, nth),
                                      hint=f"did you mean @{close[0]}?" if close else
                                      "label it, e.g. `::: figure {#fig:name}` or "
                                      "`## Heading {#sec:name}`")
            targets = [structure.targets[label] for label in labels]
            _render(span, targets, span.get("data-form") == "number", terms)


def _link(target: Target, text: str):
    return E.A(text, href=f"#{target.id}")


def _render(span, targets: list[Target], number_only: bool, terms: Terms) -> None:
    for child in list(span):
        span.remove(child)
    span.text = None
    for attribute in ("data-refs", "data-form"):
        span.attrib.pop(attribute)
    if not number_only:  # a bare number gets no "on page N"
        span.set(TARGETS, " ".join(target.id for target in targets))
    if number_only:
        pieces = [[_link(t, t.number or t.noun)] for t in targets]
    else:
        groups: list[list[Target]] = []
        for target in targets:
            if groups and target.number and groups[-1][0].number and \
                    target.term == groups[-1][0].term:
                groups[-1].append(target)
            else:
                groups.append([target])
        pieces = []
        for group in groups:
            if len(group) == 1:
                pieces.append([_link(group[0], group[0].name)])
            else:
                links = [_link(t, t.number) for t in group]
                pieces.append([terms.noun(group[0].term, len(group)) + "\u00a0"] +
                              _joined(links, terms))
    _append(span, _joined(pieces, terms))


def _joined(items: list, terms: Terms) -> list:
    """Items (each a node or a list of nodes and strings) with ", " and " and " between."""
    out = []
    for separator, item in zip(terms.join(items), items):
        if separator:
            out.append(separator)
        out.extend(item if isinstance(item, list) else [item])
    return out


def _append(span, nodes: list) -> None:
    for node in nodes:
        if isinstance(node, str):
            if len(span):
                span[-1].tail = (span[-1].tail or "") + node
            else:
                span.text = (span.text or "") + node
        else:
            span.append(node)
