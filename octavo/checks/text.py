"""TXT- checks: every sentence of the manuscript is in every output, once, in order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
from lxml import etree

from ..fonts import InstalledCoverage, fonts_stamp
from ..manuscript.mathtex import MATH_CLASS
from ..manuscript.scripts import DEFAULT_IGNORABLE, cut_unreliable
from ..paged.links import shown_url
from ..pdfread.text import normalise, running_text_and_notes
from . import ERROR, WARNING, CheckContext, Finding, text_source

DASH_BREAK = re.compile(r"([\u2014\u2013-])\s+")
# Where the text a reader sees is not the Book's text, a sentence is cut: a formula (a
# drawing in the PDFs, MathML in the EPUB), a <q> (the renderer adds its quotation
# marks), and what a PDF cannot give back exactly (colour emoji, right-to-left runs,
# Indic conjuncts: `scripts.cut_unreliable`).
GAP = "\x00"
# Format characters (Unicode Cf: zero-width space and joiners, bidi marks, the byte-order
# mark…) and variation selectors are not drawn, and a PDF does not give them back: they
# are not compared.
FORMAT_CHARACTERS = re.compile(
    "[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
    "\ufff9-\ufffb\U00013430-\U0001343f]|" + DEFAULT_IGNORABLE.pattern)
SENTENCE_END = re.compile(r"(?<=[.!?\u201d])\s+(?=[\u201c(A-Z0-9])")
MIN_WORDS = 4  # shorter fragments ("1921.") are not distinctive enough to count
INVISIBLE = "\u200b\u2060\u00ad"  # break hints the PDFs may hold


def _blocks_of(chapter, urls: bool):
    """(chapter, element, text) of each paragraph, list item, caption, footnote and code
    block of a chapter, in order; `urls`: with the addresses the PDFs print after
    external links."""
    for element in chapter.body.iter("p", "li", "figcaption", "h1", "h2", "h3", "td", "th",
                                     "pre", "caption", "dt", "dd"):
        if element.tag in ("li", "dd") and element.find("p") is not None:
            continue  # its paragraphs are blocks of their own
        if element.tag == "p" and element.getparent().tag == "figcaption":
            continue
        if element.tag == "th" and any(a.tag == "thead" for a in element.iterancestors()):
            continue  # a header row is repeated on every page the table runs over
        yield chapter, element, comparable(cut_unreliable(_own_text(element, urls), GAP))


def comparable(text: str) -> str:
    """normalise(), without the format characters no output draws, and no space after a
    dash (a line may break after one)."""
    return DASH_BREAK.sub(r"\1", normalise(FORMAT_CHARACTERS.sub("", text)))


def squeezed(text: str) -> str:
    """The form sentences are compared in: no whitespace at all, no invisible break
    hints. A line may then wrap anywhere (code, an address, a long word) without a
    false "missing": only the characters and their order count."""
    for hint in INVISIBLE:  # (str.replace: 6 times faster than translate on a book)
        text = text.replace(hint, "")
    return "".join(text.split())


# Blocks inside a block: each is a block of its own (or holds some).
NESTED_BLOCKS = {"ul", "ol", "dl", "dt", "dd", "p", "li", "table", "blockquote", "div",
                 "figure", "figcaption", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                 "aside"}
# A cross-reference's text differs between outputs ("Figure 2.3 on page 41" in the PDFs,
# "Figure 2.3" in the EPUB): the sentence's pieces around it are compared apart.
XREF_BREAK = "\ue000"  # private use: no text has it, and normalise() keeps it
BREAKS = re.compile(f"[{GAP}{XREF_BREAK}]")  # where a sentence is cut (GAP: issue 14)


def _own_text(element, urls: bool = False) -> str:
    """The text of a block without nested lists and blocks and without footnote
    backlinks; a `<br>` reads as a space; a cross-reference as a break (XREF_BREAK), a
    formula or a <q> as a GAP."""
    parts = []

    def walk(node):
        if node is not element and node.tag in NESTED_BLOCKS:
            return
        if "footnote-backref" in node.get("class", ""):
            return
        if node.tag == "span" and "xref" in node.get("class", "").split():
            parts.append(XREF_BREAK)
            return
        if MATH_CLASS in (node.get("class") or "").split():
            parts.append(GAP)
            return
        if node.tag in ("br", "q"):
            parts.append(" " if node.tag == "br" else GAP)
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if urls and child.tag == "a" and (shown := shown_url(child)):
                parts.append(f" ({shown})")
            if child.tail:
                parts.append(child.tail)
        if node.tag == "q":
            parts.append(GAP)

    walk(element)
    return "".join(parts)


TEXT, CAPTION, NOTE, HEADING = "text", "caption", "note", "heading"


def _boxed(text: str, covered) -> frozenset:
    """The characters of `text` no installed font draws (none when `covered` is empty:
    the fonts were not looked at). One prints as a box (MS-007 says so), and a PDF reads
    a box's neighbours back in no reliable order (its glyph has no width): a sentence
    that holds one is not looked for."""
    return frozenset(char for char in set(text) if covered and ord(char) not in covered
                     and not char.isspace())


@dataclass(frozen=True)
class Expected:
    """One distinctive sentence (or code block) that every output must hold."""
    key: str  # `squeezed`: what is looked for
    shown: str  # as the finding quotes it
    where: str  # manuscript file:line
    kind: str  # text, caption or note


@dataclass
class ExpectedText:
    """What every output must hold: the distinctive sentences, and the manuscript's own
    text (`squeezed`, notes apart) to count them in: a short sentence may also be part
    of a longer one (a line of code in a longer listing), and then is there twice."""
    items: list[Expected]
    text: str  # every block but the notes, in order
    notes: str
    # Each heading (`squeezed`) and how often: a contents page may repeat it once more,
    # and a sentence that reads as a heading's text with it.
    headings: Counter = field(default_factory=Counter)

    def __iter__(self):
        return iter(self.items)


def sentences(book, urls: bool = False, memo=None) -> ExpectedText:
    """Every distinctive sentence of the manuscript; a code block counts as one.

    `kind` is text, caption, note or heading: the layout places captions and notes out
    of text order (a figure moves to fit a page, a note sits at the foot of its page); a
    heading may also stand in a contents page. `memo` (the runner's), if given, keeps
    each chapter's by its Markdown and its annotated tree (numbers come from the book).
    """
    found, main, notes, headings = [], [], [], Counter()
    covered = InstalledCoverage()
    fonts = fonts_stamp() if memo is not None else None  # (read once, not per chapter)
    for chapter in book.chapters:
        if memo is None:
            part = _chapter_sentences(chapter, urls, covered)
        else:  # (`covered`: the installed fonts' characters; `fonts` stands for them)
            made = memo.key("sentences", chapter.id, chapter.name, chapter.source.name,
                            chapter.markdown, etree.tostring(chapter.body), urls,
                            fonts)
            part = json.loads(memo.remember(made, lambda: json.dumps(
                _chapter_sentences(chapter, urls, covered)).encode()))
        items, text, note_text, heads = part
        found += [Expected(*item) for item in items]
        main.append(text)
        notes.append(note_text)
        headings.update(dict(heads))
    return ExpectedText(found, "".join(main), "".join(notes), headings)


def _chapter_sentences(chapter, urls: bool, covered) -> tuple[list, str, str, list]:
    """One chapter's part of `sentences`: its items (as lists), its text and its notes'
    (`squeezed`), its headings (as (key, count) pairs): plain data, to be kept."""
    blocks = list(_blocks_of(chapter, urls))
    lines = iter(chapter.lines_of([text for _, element, text in blocks
                                   if element.tag != "pre"]))
    found, main, notes = [], [], []
    boxed = _boxed("".join(text for _, _, text in blocks), covered)
    for _, element, text in blocks:
        ancestors = list(element.iterancestors())
        kind = (NOTE if any("footnote" in a.get("class", "") for a in ancestors)
                else CAPTION if element.tag in ("figcaption", "caption") or any(
                    a.tag in ("figure", "caption") for a in ancestors)
                else HEADING if element.tag in ("h1", "h2", "h3") else TEXT)
        (notes if kind == NOTE else main).append(squeezed(text))
        line = chapter.line_of(text) if element.tag == "pre" else next(lines)
        where = chapter.where(line or 1)
        pieces = [piece.strip() for piece in BREAKS.split(text)] if element.tag == "pre" \
            else [sentence for piece in BREAKS.split(text)
                  for sentence in SENTENCE_END.split(piece.strip())]
        for sentence in pieces:
            if len(sentence.split()) >= MIN_WORDS and boxed.isdisjoint(sentence):
                found.append([squeezed(sentence), sentence, where, kind])
    headings = Counter(squeezed(comparable(element.get("data-title") or text))
                       for _, element, text in blocks if element.tag in ("h1", "h2", "h3"))
    return found, "".join(main), "".join(notes), sorted(headings.items())


class SentenceCounter:
    """Counts every expected sentence in a text in one pass (Aho-Corasick), as
    `text.count(sentence)` would, sentence by sentence, in one scan per sentence."""

    def __init__(self, expected: list[Expected]):
        self.automaton = ahocorasick.Automaton()
        for item in expected:
            self.automaton.add_word(item.key, item.key)
        if len(self.automaton):
            self.automaton.make_automaton()

    def wanted(self, expected: "ExpectedText") -> tuple[Counter, Counter]:
        """How often the manuscript's text and its notes hold each sentence (made once:
        `expected_sentences` makes them while the layout runs)."""
        found = getattr(self, "_wanted", None)
        if found is None or found[0] is not expected:
            found = self._wanted = (expected, self.count(expected.text),
                                    self.count(expected.notes))
        return found[1], found[2]

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


def check_text(expected: ExpectedText, text: str, output: str, notes: str | None = None,
               counter: SentenceCounter | None = None,
               unmarked: str | None = None) -> list[Finding]:
    """Count each sentence in `text` (`comparable` form), as often as the manuscript
    holds it; note sentences in `notes` when the output sets its notes apart (a PDF's
    notes sit at the foot of the page, inside the text). A sentence too few times in
    `text` may be whole in `unmarked`: the text without the list markers a PDF page
    ends with (they may fall inside a sentence that runs on to the next page)."""
    findings = []
    text = squeezed(text)
    counter = counter or SentenceCounter(expected.items)
    in_text = counter.count(text)
    if unmarked is not None:
        in_text |= counter.count(squeezed(unmarked))  # Counter |: the larger count
    want_text, want_notes = counter.wanted(expected)
    if notes is None:  # the notes are in the text: count them there
        in_notes, want_text = in_text, want_text + want_notes
        want_notes = want_text
    else:
        in_notes = counter.count(squeezed(notes))
    done = set()
    for item in expected.items:
        if item.key in done:
            continue
        done.add(item.key)
        have, want = (in_notes, want_notes) if item.kind == NOTE else (in_text, want_text)
        have, want = have[item.key], max(want[item.key], 1)
        if have < want:
            findings.append(Finding("TXT-001", ERROR, f"missing from {output}: "
                                    f"\u201c{item.shown[:80]}\u201d", item.where))
        elif have > want + expected.headings[item.key] and item.kind != HEADING:
            findings.append(Finding("TXT-002", ERROR, f"{have} times in {output}, "
                                    f"{want} in the manuscript: "
                                    f"\u201c{item.shown[:80]}\u201d", item.where))
    position = 0
    for item in expected.items:
        if item.kind != TEXT:
            continue  # notes and figures are placed by the layout, not in text order
        found = text.find(item.key, position)
        if found < 0:
            if item.key in text:
                findings.append(Finding("TXT-003", WARNING, f"out of order in {output}: "
                                        f"\u201c{item.shown[:80]}\u201d", item.where))
            continue
        position = found + len(item.key)
    return findings


XHTML_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "div", "section",
                "aside", "td", "th", "dt", "dd", "blockquote", "header", "footer", "nav",
                "figure", "ol", "ul", "table", "tr", "body"}


def xhtml_text(element) -> str:
    """Text of an (X)HTML tree: inline markup joined as written, blocks apart."""
    parts = []

    def walk(node):
        if isinstance(node.tag, str) and etree.QName(node).localname == "math":
            return  # MathML: the PDFs draw it, the sentences leave it out
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


def epub_reading_text(epub: Path, memo=None) -> str:
    """The EPUB's text, in spine order (each document's, with the runner's `memo`, as an
    earlier build read the same bytes)."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_name))
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        items = {item.get("id"): item.get("href") for item in opf.iter("{*}item")}
        parts = []
        for itemref in opf.iter("{*}itemref"):
            data = archive.read(base + items[itemref.get("idref")])
            parts.append(_document_text(data) if memo is None else memo.remember(
                memo.key("epub-text", hashlib.sha1(data).digest()),
                lambda: _document_text(data).encode()).decode())
    return comparable(" ".join(parts))


def _document_text(data: bytes) -> str:
    body = etree.fromstring(data).find("{*}body")
    return xhtml_text(body) if body is not None else ""


_EXPECTED: dict[tuple, tuple] = {}  # (id(book), urls) -> (book, its sentences, counter)


def expected_sentences(book, urls: bool = True, memo=None) -> tuple[list, SentenceCounter]:
    """`sentences(book, urls)` and a counter of them, made once per book in this process
    (the build makes the PDFs' while it waits for the text to be read). `urls`: as the
    PDFs print them, with the addresses of external links. `memo`: see `sentences`."""
    key = (id(book), urls)
    if key not in _EXPECTED or _EXPECTED[key][0] is not book:
        for old in [k for k in _EXPECTED if _EXPECTED[k][0] is not book]:
            del _EXPECTED[old]
        expected = sentences(book, urls, memo)
        counter = SentenceCounter(expected.items)
        counter.wanted(expected)
        _EXPECTED[key] = (book, expected, counter)
    return _EXPECTED[key][1:]


def text_is_complete(context: CheckContext) -> list[Finding]:
    """The screen and print PDFs (the EPUB: `epub_text_is_complete`)."""
    expected, counter = expected_sentences(context.book, urls=True)
    findings, checked = [], {}  # the text's file -> (the output it was checked as, findings)
    for kind in ("pdf", "print-pdf"):
        if kind in context.outputs:
            source, name = text_source(context, kind), context.outputs[kind].name
            if source in checked:  # both PDFs draw the same pages: one count, two names
                first, found = checked[source]
                findings += [dataclasses.replace(f, message=f.message.replace(
                    f"from {first}:", f"from {name}:", 1).replace(
                    f"times in {first},", f"times in {name},", 1)) for f in found]
                continue
            text, notes = running_text_and_notes(source)
            unmarked = running_text_and_notes(source, markers=False)[0]
            found = check_text(expected, comparable(text), name, comparable(notes), counter,
                               comparable(unmarked) if unmarked != text else None)
            checked[source] = (name, found)
            findings += found
    return findings


def epub_text_is_complete(context: CheckContext) -> list[Finding]:
    if "epub" not in context.outputs:
        return []
    expected, counter = expected_sentences(context.book, urls=False)
    return check_text(expected, epub_reading_text(context.outputs["epub"], context.memo),
                      context.outputs["epub"].name, counter=counter)


TEXT_CHECKS = [text_is_complete, epub_text_is_complete]
PDF_TEXT_CHECKS = [text_is_complete]
