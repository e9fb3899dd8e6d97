"""Table captions as pandoc writes them: a paragraph `Table: The caption {#tbl:id}` (or
`: The caption`) just before or after a table becomes the table's `<caption>`, and the
label its id.

A minimal tree processor for the structure work; the dialect's own table captions
(issue 13) replace it at the merge if they keep the id on the `<table>`.
"""

from __future__ import annotations

import re

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

CAPTION_START = re.compile(r"^\s*(?:Table)?:\s+")
TRAILING_ID = re.compile(r"\s*\{#(?P<id>[^\s{}]+)\}\s*$")


def _caption_paragraph(element) -> bool:
    return element is not None and element.tag == "p" and bool(
        CAPTION_START.match(element.text or ""))


class TableCaptionProcessor(Treeprocessor):
    def run(self, root):
        for parent in root.iter():
            children = list(parent)
            for index, table in enumerate(children):
                if table.tag != "table" or table.find("caption") is not None:
                    continue
                before = children[index - 1] if index else None
                after = children[index + 1] if index + 1 < len(children) else None
                paragraph = before if _caption_paragraph(before) else (
                    after if _caption_paragraph(after) else None)
                if paragraph is None:
                    continue
                self._make_caption(parent, table, paragraph)

    @staticmethod
    def _make_caption(parent, table, paragraph) -> None:
        caption = paragraph.makeelement("caption", {})
        caption.text = CAPTION_START.sub("", paragraph.text or "", count=1)
        caption.extend(list(paragraph))
        last = caption[-1] if len(caption) else None
        text = (last.tail if last is not None else caption.text) or ""
        found = TRAILING_ID.search(text)
        if found:
            text = text[:found.start()]
            if last is not None:
                last.tail = text
            else:
                caption.text = text
        label = paragraph.get("id") or (found["id"] if found else None)  # attr_list took it?
        if label and not table.get("id"):
            table.set("id", label)
        table.insert(0, caption)
        parent.remove(paragraph)


class TableCaptionExtension(Extension):
    def extendMarkdown(self, md):
        # After attr_list (8), which may already have moved a final {#tbl:id} onto the
        # paragraph; before the table of contents (5).
        md.treeprocessors.register(TableCaptionProcessor(md), "octavo-table-caption", 7)
