"""Pandoc's inline syntax that Python-Markdown lacks, as Python-Markdown extensions
(`dialect.make_markdown` adds them):

- `InlineNotes`: `^[a note written in the sentence]` becomes an ordinary footnote: a
  preprocessor turns it into `[^octavo-inline-1]` and appends the definition, so the
  footnotes extension numbers and places it with the others.
- `BracketedSpans`: `[text]{.smallcaps}`, `[text]{.class #id lang=fr}` become a
  `<span>` with those attributes; other `key=value` pairs become `data-key` attributes
  (kept by the sanitiser: `[term]{.index see="x"}` keeps what it says).
- `BackslashBreaks`: a backslash at the end of a line is a hard line break.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.inlinepatterns import InlineProcessor, SubstituteTagInlineProcessor
from markdown.preprocessors import Preprocessor

INLINE_NOTE_LABEL = "octavo-inline-{}"
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
SPAN_ATTRIBUTES = {"id", "lang", "dir", "title"}  # kept as they are; others become data-
DATA_NAME = re.compile(r"[^a-z0-9-]")


# ---------- ^[inline notes] ----------

def _skip_code(text: str, index: int) -> int:
    """Past the code span that starts at `index` (a run of backticks), or just past the
    backticks if it never closes."""
    run = len(text[index:]) - len(text[index:].lstrip("`"))
    end = text.find("`" * run, index + run)
    while end >= 0 and text[end + run:end + run + 1] == "`":  # a longer run is no match
        end = text.find("`" * run, end + run + 1)
    return index + run if end < 0 else end + run


def _note_end(text: str, start: int) -> int | None:
    """The index of the `]` that closes the note whose text starts at `start`."""
    depth, index = 1, start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "`":
            index = _skip_code(text, index)
            continue
        if char == "\n" and text[index + 1:index + 2] == "\n":
            return None  # a note is one paragraph's worth of text
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


class InlineNotePreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "^[" not in text:
            return lines
        out, notes, index, fenced = [], [], 0, None
        line_start = True
        while index < len(text):
            if line_start:
                line_start = False
                fence = FENCE.match(text[index:text.find("\n", index) % (len(text) + 1)])
                if fence and (fenced is None or fence.group(1)[0] == fenced[0]
                              and len(fence.group(1)) >= len(fenced)):
                    fenced = None if fenced else fence.group(1)
            char = text[index]
            if char == "\n":
                line_start = True
            elif fenced:
                pass
            elif char == "\\":
                out.append(text[index:index + 2])
                index += 2
                continue
            elif char == "`":
                end = _skip_code(text, index)
                out.append(text[index:end])
                index = end
                continue
            elif text.startswith("^[", index):
                end = _note_end(text, index + 2)
                if end is not None:
                    note = " ".join(text[index + 2:end].split())
                    label = INLINE_NOTE_LABEL.format(len(notes) + 1)
                    notes.append(f"[^{label}]: {note}")
                    out.append(f"[^{label}]")
                    index = end + 1
                    continue
            out.append(char)
            index += 1
        if not notes:
            return lines
        return ("".join(out) + "\n\n" + "\n\n".join(notes) + "\n").split("\n")


class InlineNotes(Extension):
    def extendMarkdown(self, md):
        # After fenced code (25) and raw HTML blocks (20) are put aside.
        md.preprocessors.register(InlineNotePreprocessor(md), "octavo-inline-notes", 15)


# ---------- [bracketed]{.spans} ----------

class BracketedSpanProcessor(InlineProcessor):
    """`[text]{attributes}`: the text is inline Markdown, brackets may nest."""

    def handleMatch(self, m, data):
        start = m.start(0)
        depth, index = 0, start
        while index < len(data):
            char = data[index]
            if char == "\\":
                index += 2
                continue
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        else:
            return None, None, None
        if data[index + 1:index + 2] != "{":
            return None, None, None
        close = data.find("}", index + 2)
        if close < 0 or "\n" in data[index + 2:close]:
            return None, None, None
        attributes, rest = get_attrs_and_remainder(data[index + 2:close + 1])
        if rest.strip("}").strip():
            return None, None, None
        span = etree.Element("span")
        span.text = data[start + 1:index]
        classes = []
        for key, value in attributes:
            if key == ".":
                classes.append(value)
            elif key in SPAN_ATTRIBUTES:
                span.set(key, value or "")
            elif value is not None:
                name = DATA_NAME.sub("-", key.lower()).strip("-")
                if name:
                    span.set(f"data-{name}", value)
        if classes:
            span.set("class", " ".join(classes))
        return span, start, close + 1


class BracketedSpans(Extension):
    def extendMarkdown(self, md):
        # Before references (170) and links (160): `[text]{…}` is neither.
        md.inlinePatterns.register(BracketedSpanProcessor(r"\[", md), "octavo-span", 171)


# ---------- backslash line breaks ----------

class BackslashBreaks(Extension):
    def extendMarkdown(self, md):
        # Before escapes (180), which would keep the backslash.
        md.inlinePatterns.register(SubstituteTagInlineProcessor(r"\\\n", "br"),
                                   "octavo-backslash-break", 181)
