"""Pandoc's inline syntax that Python-Markdown lacks, as Python-Markdown extensions
(`dialect.make_markdown` adds them):

- `InlineNotes`: `^[a note written in the sentence]` becomes an ordinary footnote: a
  preprocessor turns it into `[^octavo-inline-1]` and appends the definition, so the
  footnotes extension numbers and places it with the others.
- `BracketedSpans`: `[text]{.smallcaps}`, `[text]{.class #id lang=fr}` become a
  `<span>` with those attributes; other `key=value` pairs become `data-key` attributes
  (kept by the sanitiser: `[term]{.index see="x"}` keeps what it says).
- `BackslashBreaks`: a backslash at the end of a line is a hard line break.
- `NotesOutOfLinks`: a note called inside a link's text (`[words^[note]](url)`) is
  called right after the link instead: a link inside a link is no HTML (the sanitiser's
  parser would tear the two apart and lose the note).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.inlinepatterns import InlineProcessor, SubstituteTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

INLINE_NOTE_LABEL = "octavo-inline-{}"
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A line that opens a block whose indented lines are its content, not code.
CONTAINER = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)]|:|!!!|\?\?\?)(?:\s|$)")
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


def _code_lines(lines: list[str]) -> set[int]:
    """The lines in fenced or indented code blocks (no notes there)."""
    code, fenced, previous_blank, container, in_indented = set(), None, True, False, False
    for number, line in enumerate(lines):
        fence = FENCE.match(line)
        if fenced is not None:
            code.add(number)
            if fence and fence.group(1)[0] == fenced[0] and len(fence.group(1)) >= len(fenced):
                fenced = None
            continue
        if fence:
            fenced = fence.group(1)
            code.add(number)
            continue
        blank = not line.strip()
        indented = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" ")) >= 4
        if not blank and not indented:
            container, in_indented = bool(CONTAINER.match(line)), False
        elif indented and not blank and (previous_blank or in_indented) and not container:
            in_indented = True
        elif not blank:
            in_indented = in_indented and indented
        if in_indented and not blank:
            code.add(number)
        previous_blank = blank
    return code


class InlineNotePreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if not any("^[" in line for line in lines):
            return lines
        code = _code_lines(lines)
        out_lines, notes = [], []
        text_lines = [(number, line) for number, line in enumerate(lines)]
        # Join the prose (non-code) lines of each paragraph, so a note may span lines.
        index = 0
        while index < len(text_lines):
            number, line = text_lines[index]
            if number in code or "^[" not in line:
                out_lines.append(line)
                index += 1
                continue
            end = index
            while end + 1 < len(text_lines) and text_lines[end + 1][1].strip() \
                    and text_lines[end + 1][0] not in code:
                end += 1
            paragraph = "\n".join(line for _, line in text_lines[index:end + 1])
            out_lines += self._convert(paragraph, notes).split("\n")
            index = end + 1
        if not notes:
            return lines
        return out_lines + [""] + [line for note in notes for line in (note, "")]

    @staticmethod
    def _convert(text: str, notes: list[str]) -> str:
        out, index = [], 0
        while index < len(text):
            char = text[index]
            if char == "\\":
                out.append(text[index:index + 2])
                index += 2
                continue
            if char == "`":
                end = _skip_code(text, index)
                out.append(text[index:end])
                index = end
                continue
            if text.startswith("^[", index):
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
        return "".join(out)


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


# ---------- notes called inside links ----------

class NotesOutOfLinksProcessor(Treeprocessor):
    def run(self, root):
        parents = {child: parent for parent in root.iter() for child in parent}
        for link in list(root.iter("a")):
            if "footnote-ref" in (link.get("class") or "") or link not in parents:
                continue
            calls = [sup for sup in link.iter("sup")
                     if any("footnote-ref" in (a.get("class") or "") for a in sup.iter("a"))]
            holder = parents[link]
            at = list(holder).index(link)
            for call in calls:
                inside = parents[call]
                position = list(inside).index(call)
                if call.tail:  # the text after the call stays in the link
                    if position:
                        previous = inside[position - 1]
                        previous.tail = (previous.tail or "") + call.tail
                    else:
                        inside.text = (inside.text or "") + call.tail
                inside.remove(call)
                call.tail, link.tail = link.tail, None
                at += 1
                holder.insert(at, call)
                link = call  # the next call follows this one
        return root


class NotesOutOfLinks(Extension):
    def extendMarkdown(self, md):
        # After the inline patterns (20) made links and note calls.
        md.treeprocessors.register(NotesOutOfLinksProcessor(md), "octavo-notes-out-of-links",
                                   19.5)
