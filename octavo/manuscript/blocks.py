"""Block constructs beyond Python-Markdown's own, as extensions for `make_markdown`, and
what they become once sanitised (`finish_blocks`, run at load on every chapter):

- `FencedDivs`: pandoc's fenced divs, `::: note` / `::: {.warning #id}` … `:::`, nested
  to any depth. A callout kind (note, tip, warning, important and their aliases, also
  Quarto's `.callout-*`) becomes the same `<div class="admonition KIND">` with a
  `<p class="admonition-title">` that `!!! note "Title"` (the `admonition` extension)
  makes; `::: epigraph` becomes `<div class="epigraph">`; any other class a plain div.
  (`::: figure` is left to `dialect.FigureBlockProcessor`.)
- `LineBlocks`: pandoc's `| verse` lines: one paragraph, a line break at each line,
  leading spaces kept.
- `Attributions`: the last line of a quotation or epigraph that starts with `---` or
  `—` is its attribution, `<p class="attribution">`.
- `finish_blocks`: callouts get an ARIA role (note, doc-tip, doc-notice), epigraphs
  doc-epigraph; a task list's checkbox becomes a ☐ or ☑ that every output draws.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from lxml.html import builder as E
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.treeprocessors import Treeprocessor

FENCE_OPEN = re.compile(r"^:{3,}[ \t]*(?P<name>[\w-]+)?[ \t]*(?:\{(?P<attributes>[^}\n]*)\})?"
                        r"[ \t]*:*[ \t]*$")
FENCE_CLOSE = re.compile(r"^:{3,}[ \t]*$")
LEFT_TO_OTHERS = {"figure"}  # fenced blocks with their own processor
# Callout kinds and the classes that name them (MkDocs' and pandoc/Quarto's spellings).
KINDS = {"note": "note", "info": "note", "abstract": "note", "summary": "note",
         "tip": "tip", "hint": "tip", "success": "tip", "example": "tip",
         "warning": "warning", "caution": "warning", "attention": "warning",
         "danger": "warning", "error": "warning", "failure": "warning", "bug": "warning",
         "important": "important", "question": "note", "quote": "note"}
ROLES = {"note": "note", "tip": "doc-tip", "warning": "doc-notice", "important": "doc-notice"}
TITLES = {  # the label a callout without a title gets, in the book's language
    "en": {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important"},
    "de": {"note": "Hinweis", "tip": "Tipp", "warning": "Warnung", "important": "Wichtig"},
    "fr": {"note": "Remarque", "tip": "Astuce", "warning": "Attention",
           "important": "Important"},
    "ru": {"note": "Примечание", "tip": "Совет", "warning": "Внимание",
           "important": "Важно"},
    "az": {"note": "Qeyd", "tip": "Məsləhət", "warning": "Xəbərdarlıq", "important": "Vacib"},
}
ATTRIBUTION = re.compile(r"^[ \t]*(?:---|\u2014)")
TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
LINE = re.compile(r"^\|(?: (?P<text>.*)|[ \t]*)$")
NBSP = "\u00a0"
TASK_BOXES = {True: "\u2611", False: "\u2610"}  # ☑ ☐


def callout_kind(classes: list[str]) -> str | None:
    for name in classes:
        kind = KINDS.get(name.removeprefix("callout-"))
        if kind:
            return kind
    return None


def callout_title(kind: str, language: str) -> str:
    titles = TITLES.get((language or "en").split("-")[0].lower(), TITLES["en"])
    return titles[kind]


# ---------- ::: fenced divs ----------

class FencedDivProcessor(BlockProcessor):
    def __init__(self, parser, language: str):
        super().__init__(parser)
        self.language = language

    def test(self, parent, block):
        found = FENCE_OPEN.match(block.split("\n", 1)[0])
        return bool(found) and (found["name"] or found["attributes"] is not None) \
            and found["name"] not in LEFT_TO_OTHERS

    def run(self, parent, blocks):
        first = blocks.pop(0).split("\n")
        opening = FENCE_OPEN.match(first[0])
        # The rest of the first block, then each following block: find the closing fence.
        segments = [first[1:]] + [block.split("\n") for block in blocks]
        depth, found = 1, None
        for number, segment in enumerate(segments):
            for index, line in enumerate(segment):
                if FENCE_CLOSE.match(line):
                    depth -= 1
                elif self.test(None, line) or (FENCE_OPEN.match(line) and
                                               FENCE_OPEN.match(line)["name"] in LEFT_TO_OTHERS):
                    depth += 1
                if depth == 0:
                    found = (number, index)
                    break
            if found:
                break
        if found is None:  # never closed: the div runs to the end of what holds it
            inner, after = segments, []
            del blocks[:]
        else:
            number, index = found
            inner = segments[:number] + [segments[number][:index]]
            after = segments[number][index + 1:]
            del blocks[:number]
        if "\n".join(after).strip():
            blocks.insert(0, "\n".join(after).strip("\n"))
        self._make(parent, opening, "\n\n".join("\n".join(segment) for segment in inner))

    def _make(self, parent, opening, text: str) -> None:
        attributes, _ = get_attrs_and_remainder((opening["attributes"] or "") + "}")
        classes = [opening["name"]] if opening["name"] else []
        classes += [value for key, value in attributes if key == "." and value]
        div = etree.SubElement(parent, "div")
        title = None
        for key, value in attributes:
            if key == "id" and value:
                div.set("id", value)
            elif key == "title" and value is not None:
                title = value
            elif key in ("lang", "dir") and value:
                div.set(key, value)
        kind = callout_kind(classes)
        if kind:
            classes = ["admonition", kind] + [name for name in classes
                                              if callout_kind([name]) is None]
            heading = etree.SubElement(div, "p", {"class": "admonition-title"})
            heading.text = title if title is not None else callout_title(kind, self.language)
        if classes:
            div.set("class", " ".join(dict.fromkeys(classes)))
        self.parser.parseChunk(div, text)


class FencedDivs(Extension):
    def __init__(self, language: str = "en", **kwargs):
        self.language = language
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # Beside the figure fence (105): a div is a block of blocks.
        md.parser.blockprocessors.register(FencedDivProcessor(md.parser, self.language),
                                           "octavo-fenced-div", 104)


# ---------- | line blocks ----------

class LineBlockProcessor(BlockProcessor):
    """Lines that each start with `|` (continuations with a space): verse, addresses."""

    def test(self, parent, block):
        lines = block.split("\n")
        if not LINE.match(lines[0]):
            return False
        if len(lines) > 1 and TABLE_SEPARATOR.match(lines[1]) and "-" in lines[1]:
            return False  # a table
        return all(LINE.match(line) or line[:1] in (" ", "\t") for line in lines)

    def run(self, parent, blocks):
        verse: list[str] = []
        for line in blocks.pop(0).split("\n"):
            found = LINE.match(line)
            if found:
                text = found["text"] or ""
                stripped = text.lstrip(" ")
                verse.append(NBSP * (len(text) - len(stripped)) + stripped)
            elif verse:  # a continuation of the line before
                verse[-1] += " " + line.strip()
        paragraph = etree.SubElement(parent, "p", {"class": "line-block"})
        paragraph.text = verse[0] if verse else ""
        for line in verse[1:]:
            etree.SubElement(paragraph, "br").tail = line


class LineBlocks(Extension):
    def extendMarkdown(self, md):
        # After tables (75), which also start with `|`; before paragraphs.
        md.parser.blockprocessors.register(LineBlockProcessor(md.parser), "octavo-line-block",
                                           74)


# ---------- attributions ----------

class AttributionProcessor(Treeprocessor):
    """Before the inline patterns run (the text is still Markdown): the last line of a
    blockquote or an epigraph, if it starts with `---` or `—`, becomes its own
    `<p class="attribution">`."""

    def run(self, root):
        for element in root.iter():
            if element.tag not in ("blockquote", "div"):
                continue
            if element.tag == "div" and "epigraph" not in (element.get("class") or "").split():
                continue
            last = element[-1] if len(element) else None
            if last is None or last.tag != "p" or len(last) or not last.text:
                continue
            lines = last.text.rstrip("\n").split("\n")
            if not ATTRIBUTION.match(lines[-1]):
                continue
            if len(lines) == 1:
                last.set("class", "attribution")
                continue
            last.text = "\n".join(lines[:-1])
            etree.SubElement(element, "p", {"class": "attribution"}).text = lines[-1].strip()


class Attributions(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(AttributionProcessor(md), "octavo-attribution", 25)


# ---------- once sanitised ----------

def finish_blocks(body) -> None:
    """Roles for callouts and epigraphs; task-list checkboxes drawn as ☐ ☑ (every other
    `<input>` the sanitiser let through is dropped)."""
    for div in body.iter("div"):
        classes = (div.get("class") or "").split()
        if "admonition" in classes:
            kind = callout_kind(classes) or "note"
            div.set("role", ROLES[kind])
        elif "epigraph" in classes:
            div.set("role", "doc-epigraph")
    for box in list(body.iter("input")):
        if (box.get("type") or "").lower() == "checkbox":
            checked = box.get("checked") is not None
            mark = E.SPAN(E.CLASS("task-box " + ("done" if checked else "open")),
                          TASK_BOXES[checked], role="img",
                          **{"aria-label": "done" if checked else "not done"})
            mark.tail = box.tail
            box.getparent().replace(box, mark)
        else:
            box.drop_tree()
