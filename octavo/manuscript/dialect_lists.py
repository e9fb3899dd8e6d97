"""Nested lists at any sensible indent: a Markdown preprocessor for the dialect.

Python-Markdown nests a list only under an indent of 4 spaces; GitHub, pandoc and
CommonMark nest under the parent item's content column (2 spaces under `- `, 3 under
`1. `). This preprocessor takes the Markdown lines and re-indents every list item to
4 spaces a level, deciding the level as CommonMark does, so both spellings give the
same tree:

    - a                 - a
      - b       ==        - b           (each becomes "- a" / "    - b")
        - c                   - c

A line belongs inside an item when it is indented at least to the item's content
column (or 2 spaces past its marker, for `1.` items indented by 2). Continuation
blocks after a blank line, indented code and fenced code inside items move with
their item. Lines outside lists are never changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown.preprocessors import Preprocessor

ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[*+-]|\d{1,9}\.)(?P<gap> +|$)(?P<rest>.*)$")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})")
TAB = 4  # Python-Markdown's indent for a nesting level


@dataclass
class _Item:
    content: int  # the column where the item's text starts in the source
    inside: int  # a line indented this far or more belongs to the item
    new_content: int  # the same column once re-indented (4 spaces a level)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, delta: int) -> str:
    if delta >= 0:
        return " " * delta + line
    return line[min(-delta, _indent(line)):]


def normalise_list_indents(lines: list[str]) -> list[str]:
    """The Markdown lines with list items re-indented to 4 spaces a level."""
    out: list[str] = []
    stack: list[_Item] = []
    fence: tuple[str, int] | None = None  # (the fence's characters, shift) inside a fence
    blank_before = True
    for line in lines:
        if fence is not None:
            out.append(_shift(line, fence[1]) if line.strip() else line)
            found = FENCE.match(line)
            if found and found["fence"][0] == fence[0][0] and len(found["fence"]) >= \
                    len(fence[0]) and not line[found.end():].strip():
                fence = None
            continue
        if not line.strip():
            out.append(line)
            blank_before = True
            continue
        indent = _indent(line)
        item = ITEM.match(line)
        if item and (stack or indent < TAB):
            while stack and indent < stack[-1].inside:
                stack.pop()
            gap = len(item["gap"]) if item["rest"] and len(item["gap"]) <= TAB else 1
            marker = item["marker"]
            new_indent = TAB * len(stack)
            out.append(" " * new_indent + marker + " " + item["rest"])
            content = indent + len(marker) + gap
            stack.append(_Item(content, min(content, indent + 2), new_indent + TAB))
            blank_before = False
            continue
        if blank_before:  # a new block: it stays in the items it is indented into
            while stack and indent < stack[-1].inside:
                stack.pop()
        owner = next((i for i in reversed(stack) if indent >= i.inside), None)
        delta = owner.new_content - owner.content if owner is not None else 0
        if owner is not None and indent < owner.content:
            delta = owner.new_content - indent  # between the marker and the text
        opening = FENCE.match(line)
        if opening:
            fence = (opening["fence"], delta)
        if blank_before or opening:
            out.append(_shift(line, delta))
        else:
            out.append(line)  # a paragraph's next line: its indent does not matter
        blank_before = False
    return out


class ListIndentPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return normalise_list_indents(lines)
