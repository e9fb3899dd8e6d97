"""TXT- checks: every sentence of the manuscript is in every output, once, in order."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import ahocorasick
from lxml import etree

from ..pdfread.text import normalise, running_text_and_notes
from . import ERROR, WARNING, CheckContext, Finding, text_source

DASH_BREAK = re.compile(r"([\u2014\u2013-])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?\u201d])\s+(?=[\u201c(A-Z0-9])")
MIN_WORDS = 4  # shorter fragments ("1921.") are not distinctive enough to count


def _blocks(book):
    """(chapter, text) of each paragraph, list item, caption and footnote, in order."""
    for chapter in book.chapters:
        for element in chapter.body.iter("p", "li", "figcaption", "h1", "h2", "h3", "td", "th"):
            if element.tag == "li" and element.find("p") is not None:
                continue  # its paragraphs are blocks of their own
            if element.tag == "p" and element.getparent().tag == "figcaption":
                continue
            yield chapter, element, comparable(_own_text(element))


def comparable(text: str) -> str:
    """normalise(), and no space after a dash: a line may break after one."""
    return DASH_BREAK.sub(r"\1", normalise(text))


# A cross-reference's text differs between outputs ("Figure 2.3 on page 41" in the PDFs,
# "Figure 2.3" in the EPUB): the sentences around it are compared apart.
XREF_BREAK = "\ue000"  # private use: no text has it, and normalise() keeps it


def _own_text(element) -> str:
    """The text of a block without nested lists and without footnote backlinks; a
    cross-reference as a break between pieces compared apart."""
    parts = []

    def walk(node):
        if node is not element and node.tag in ("ul", "ol"):
            return
        if "footnote-backref" in node.get("class", ""):
            return
        if node.tag == "span" and "xref" in node.get("class", "").split():
            parts.append(XREF_BREAK)
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)


TEXT, CAPTION, NOTE, HEADING = "text", "caption", "note", "heading"


def sentences(book) -> list[tuple[str, str, str]]:
    """(sentence, where, kind) for every distinctive sentence of the manuscript.

    `kind` is text, caption or note: the layout places captions and notes out of
    text order (a figure moves to fit a page, a note sits at the foot of its page).
    """
    blocks = list(_blocks(book))
    lines = {}  # chapter -> the line of each of its blocks, found in reading order
    for chapter in book.chapters:
        texts = [text for owner, _, text in blocks if owner is chapter]
        lines[chapter.id] = iter(chapter.lines_of(texts))
    found = []
    for chapter, element, text in blocks:
        ancestors = list(element.iterancestors())
        kind = (NOTE if any("footnote" in a.get("class", "") for a in ancestors)
                else CAPTION if element.tag == "figcaption" or any(
                    a.tag == "figure" for a in ancestors)
                else HEADING if element.tag in ("h1", "h2", "h3") else TEXT)
        where = f"{chapter.source.name}:{next(lines[chapter.id]) or 1}"
        for piece in text.split(XREF_BREAK):
            for sentence in SENTENCE_END.split(piece.strip()):
                if len(sentence.split()) >= MIN_WORDS:
                    found.append((sentence, where, kind))
    return found


class SentenceCounter:
    """Counts every expected sentence in a text in one pass (Aho-Corasick), as
    `text.count(sentence)` would, sentence by sentence, in one scan per sentence."""

    def __init__(self, expected):
        self.automaton = ahocorasick.Automaton()
        for sentence, _, _ in expected:
            self.automaton.add_word(sentence, sentence)
        if len(self.automaton):
            self.automaton.make_automaton()

    def count(self, text: str) -> Counter:
        if not len(self.automaton) or not text:
            return Counter()
        found, next_free = Counter(), {}
        for end, sentence in self.automaton.iter(text):
            start = end - len(sentence) + 1
            if start >= next_free.get(sentence, 0):  # non-overlapping, as str.count
                found[sentence] += 1
                next_free[sentence] = end + 1
        return found


def check_text(expected, text: str, output: str, notes: str | None = None,
               counter: SentenceCounter | None = None) -> list[Finding]:
    """Count each sentence in `text`; note sentences in `notes` when the output sets
    its notes apart (a PDF's notes sit at the foot of the page, inside the text)."""
    findings = []
    counter = counter or SentenceCounter(expected)
    in_text = counter.count(text)
    in_notes = counter.count(notes) if notes is not None else in_text
    wanted = Counter(sentence for sentence, _, _ in expected)
    done = set()
    for sentence, where, kind in expected:
        if sentence in done:
            continue
        done.add(sentence)
        have = (in_notes if kind == NOTE else in_text)[sentence]
        if have < wanted[sentence]:
            findings.append(Finding("TXT-001", ERROR, f"missing from {output}: "
                                    f"\u201c{sentence[:80]}\u201d", where))
        elif have > wanted[sentence] and kind != HEADING:  # a contents page repeats it
            findings.append(Finding("TXT-002", ERROR, f"{have} times in {output}, "
                                    f"{wanted[sentence]} in the manuscript: "
                                    f"\u201c{sentence[:80]}\u201d", where))
    position = 0
    for sentence, where, kind in expected:
        if kind != TEXT:
            continue  # notes and figures are placed by the layout, not in text order
        found = text.find(sentence, position)
        if found < 0:
            if sentence in text:
                findings.append(Finding("TXT-003", WARNING, f"out of order in {output}: "
                                        f"\u201c{sentence[:80]}\u201d", where))
            continue
        position = found + len(sentence)
    return findings


XHTML_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "div", "section",
                "aside", "td", "th", "dt", "dd", "blockquote", "header", "footer", "nav",
                "figure", "ol", "ul", "table", "tr", "body"}


def xhtml_text(element) -> str:
    """Text of an (X)HTML tree: inline markup joined as written, blocks apart."""
    parts = []

    def walk(node):
        block = etree.QName(node).localname in XHTML_BLOCKS if isinstance(node.tag, str) else False
        if block:
            parts.append("\n")
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(element)
    return "".join(parts)


def epub_reading_text(epub: Path) -> str:
    """The EPUB's text, in spine order."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_name))
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        items = {item.get("id"): item.get("href") for item in opf.iter("{*}item")}
        parts = []
        for itemref in opf.iter("{*}itemref"):
            document = etree.fromstring(archive.read(base + items[itemref.get("idref")]))
            body = document.find("{*}body")
            parts.append(xhtml_text(body) if body is not None else "")
    return comparable(" ".join(parts))


_EXPECTED: dict[int, tuple] = {}  # id(book) -> (book, its sentences, their counter)


def expected_sentences(book) -> tuple[list, SentenceCounter]:
    """`sentences(book)` and a counter of them, made once per book in this process (the
    build makes them while it waits for the text to be read)."""
    if id(book) not in _EXPECTED or _EXPECTED[id(book)][0] is not book:
        _EXPECTED.clear()
        expected = sentences(book)
        _EXPECTED[id(book)] = (book, expected, SentenceCounter(expected))
    return _EXPECTED[id(book)][1:]


def text_is_complete(context: CheckContext) -> list[Finding]:
    """The screen and print PDFs (the EPUB: `epub_text_is_complete`)."""
    expected, counter = expected_sentences(context.book)
    findings = []
    for kind in ("pdf", "print-pdf"):
        if kind in context.outputs:
            text, notes = running_text_and_notes(text_source(context, kind))
            findings += check_text(expected, comparable(text), context.outputs[kind].name,
                                   comparable(notes), counter)
    return findings


def epub_text_is_complete(context: CheckContext) -> list[Finding]:
    if "epub" not in context.outputs:
        return []
    expected, counter = expected_sentences(context.book)
    return check_text(expected, epub_reading_text(context.outputs["epub"]),
                      context.outputs["epub"].name, counter=counter)


TEXT_CHECKS = [text_is_complete, epub_text_is_complete]
PDF_TEXT_CHECKS = [text_is_complete]
