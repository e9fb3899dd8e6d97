"""Citations through the whole book: every `span.citation` the dialect left is formatted
by the CSL engine in one pass (reading order, a footnote's citations where its call is),
each item linked to its entry (`#ref-KEY`); a notes style (Chicago notes) puts them in
footnotes of the chapter, as Octavo's other notes. The reference list goes into the
`::: refs` block if there is one, else into a "References" chapter at the end.

Errors the author can fix (an unknown key, a bibliography outside the folder, a bad
.bib or .csl) are OctavoErrors with file:line; an entry never cited is a note.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from lxml import html as lxml_html
from lxml.html import builder as E

from ..errors import OctavoError
from ..manuscript.book import BLOCK_KEY, Book, Chapter
from ..manuscript.cite_syntax import cluster_items
from ..manuscript.load import resolve_inside
from ..manuscript.metadata import key_line
from ..options import STYLES
from ..report import INFO, Finding
from .cite_engine import CitationEngine, Cluster, ref_id
from .cite_sources import CitationError, load_references
from .model import Structure
from .terms import csl_locale, terms_for

BUNDLED_CSL = STYLES / "csl"  # the styles Octavo ships, with their licences (README.md)
DEFAULT_CSL = BUNDLED_CSL / "chicago-author-date-17th-edition.csl"
BIBLIOGRAPHY_SUFFIXES = (".bib", ".bibtex", ".json")
UNUSED = "REF-001"  # docs/checks.md
SMALL_CAPS = re.compile(r'<span style="font-variant:\s*small-caps;?">')


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _is_citation(element) -> bool:
    return element.tag == "span" and "citation" in _classes(element)


def _in_reading_order(body):
    """(span, in a note) for every citation of a chapter, a note's where its call is."""
    notes = {item.get("id"): item for item in body.xpath("./div[@class='footnote']/ol/li[@id]")}
    inside_notes = {element for item in notes.values() for element in item.iter()}  # kept alive

    def walk(element):
        for child in element:
            if child in inside_notes:
                continue
            if _is_citation(child):
                yield child, False
            if child.tag == "sup" and child.find("a") is not None and \
                    "footnote-ref" in _classes(child.find("a")):
                target = (child.find("a").get("href") or "").lstrip("#")
                if target in notes:
                    yield from ((span, True) for span in notes.pop(target).iter("span")
                                if _is_citation(span))
            yield from walk(child)
    yield from walk(body)
    for item in notes.values():  # notes nobody calls
        yield from ((span, True) for span in item.iter("span") if _is_citation(span))


def _left_as_text(span) -> bool:
    """Without a bibliography, a bare `@name` (no brackets) is no citation: its text stays."""
    items = cluster_items(span)
    if not items or not all(item.author_in_text for item in items):
        return False
    text = span.text_content()
    previous = span.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text + (span.tail or "")
    else:
        span.getparent().text = (span.getparent().text or "") + text + (span.tail or "")
    span.getparent().remove(span)
    return True


def _manuscript_file(book: Book, key: str, suffixes: tuple[str, ...]) -> Path:
    """A file named by a metadata key, refused outside the manuscript folder."""
    meta = book.metadata
    name = getattr(meta, key)
    line = key_line(meta, key)
    try:
        path = resolve_inside(book.folder, name, meta.source, line)
    except OctavoError as error:
        raise OctavoError(f"`{key}` {name!r} must be a file inside the manuscript folder",
                          meta.source, line, hint="copy it into the manuscript folder") from error
    if path.suffix.lower() not in suffixes:
        raise OctavoError(f"`{key}` {name!r} must end in {' or '.join(suffixes)}", meta.source,
                          line, hint="BibTeX (.bib) or CSL-JSON (.json)" if key != "csl" else
                          "a CSL style file")
    if not path.is_file():
        raise OctavoError(f"`{key}` names {name!r}, which does not exist", meta.source, line,
                          hint=f"fix `{key}` in metadata.toml")
    return path


def _style(book: Book) -> Path:
    """The CSL style: `csl` in the manuscript folder, or a style Octavo ships named
    without a path (`csl = "chicago-notes-bibliography-17th-edition"`), or the default."""
    name = book.metadata.csl
    if not name:
        return DEFAULT_CSL
    bundled = BUNDLED_CSL / (name if name.endswith(".csl") else f"{name}.csl")
    if "/" not in name and "\\" not in name and not (book.folder / name).exists() \
            and bundled.is_file():
        return bundled
    return _manuscript_file(book, "csl", (".csl",))


def _engine(book: Book, bibliography: Path) -> CitationEngine:
    try:
        source = load_references(bibliography)
    except CitationError as error:
        raise OctavoError(error.message, bibliography, error.line,
                          hint="fix the entry; BibTeX needs `@type{key, field = {value}}`") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OctavoError(f"the bibliography cannot be read: {error}", bibliography,
                          hint="save it as UTF-8 text") from None
    style = _style(book)
    try:
        return CitationEngine(style, source.refs, locale=csl_locale(book.metadata.language),
                              source_path=bibliography.name, source_lines=source.lines)
    except CitationError as error:
        raise OctavoError(error.message, bibliography, error.line) from None
    except Exception as error:  # citeproc-py on a style it cannot read
        raise OctavoError(f"the CSL style cannot be used: {error}", style,
                          hint="check it with a CSL validator, or remove `csl` to use the "
                               "bundled Chicago author-date style") from None


def _fragment(html_text: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(SMALL_CAPS.sub('<span class="small-caps">', html_text),
                                         create_parent="span")


def _set_content(span, html_text: str) -> None:
    fragment = _fragment(html_text)
    for child in list(span):
        span.remove(child)
    span.text = fragment.text
    span.extend(list(fragment))
    for attribute in ("data-cluster", "data-cites", "data-problem"):
        span.attrib.pop(attribute, None)


def cite(book: Book, structure: Structure) -> None:
    """Format every citation of `book`, build its reference list (see the module)."""
    found = []  # (chapter, span, in a note)
    for chapter in book.chapters:
        found += [(chapter, span, in_note) for span, in_note in _in_reading_order(chapter.body)]
    if not book.metadata.bibliography:  # "the @property decorator" is text, not a citation
        found = [entry for entry in found if not _left_as_text(entry[1])]
    if not found and not book.metadata.bibliography:
        return
    clusters, seen = [], {}
    for chapter, span, in_note in found:
        raw = span.text_content()
        nth = seen.get((chapter.id, raw), 0)
        seen[(chapter.id, raw)] = nth + 1
        line = chapter.line_of_nth(raw, nth)
        if span.get("data-problem"):
            raise OctavoError(span.get("data-problem"), chapter.source, line,
                              hint="cite in one bracket, refer to figures in another")
        clusters.append(Cluster(cluster_items(span), raw, str(chapter.source), line, in_note))
    if not book.metadata.bibliography:
        first = clusters[0]
        raise OctavoError(f"{first.raw} cites, but the book has no bibliography", first.path,
                          first.line, hint="add `bibliography = \"refs.bib\"` to metadata.toml")
    bibliography = _manuscript_file(book, "bibliography", BIBLIOGRAPHY_SUFFIXES)
    engine = _engine(book, bibliography)
    try:
        result = engine.process(clusters)
    except Exception as error:  # an engine failure on a user's style: name the style
        raise OctavoError(f"the citations cannot be formatted: {error}",
                          book.metadata.csl or DEFAULT_CSL.name) from None
    for error in result.errors:
        key = error.message.split("'@", 1)[-1].rstrip("'")
        close = difflib.get_close_matches(key, list(engine.references), n=1)
        raise OctavoError(error.message, error.path, error.line,
                          hint=f"did you mean @{close[0]}?" if close
                          else f"add an entry `{key}` to {bibliography.name}")
    for message in result.notes:
        where, _, text = message.rpartition(": ")
        structure.notes.append(Finding(UNUSED, INFO, text, where or bibliography.name))
    notes_by_chapter: dict[str, list] = {}
    for (chapter, span, in_note), text, note in zip(found, result.citations, result.footnotes):
        _set_content(span, text)
        if note:
            notes_by_chapter.setdefault(chapter.id, []).append((span, note))
    for chapter in book.chapters:
        if chapter.id in notes_by_chapter:
            _notes_for(chapter, notes_by_chapter[chapter.id])
    _place_bibliography(book, engine, result.bibliography, bibliography)


# ---------- notes styles ----------

PUNCTUATION_AFTER = re.compile(r"^([.,;:!?]+)")


def _notes_for(chapter: Chapter, notes: list) -> None:
    """Each (citation span, note HTML) becomes a footnote of the chapter: the call where
    the citation was (after the punctuation that follows it, as pandoc sets it)."""
    body = chapter.body
    block = body.find("./div[@class='footnote']")
    if block is None:
        block = E.DIV(E.CLASS("footnote"), E.HR(), E.OL())
        body.append(block)
    note_list = block.find("ol")
    for number, (span, html_text) in enumerate(notes, 1):
        note_id, call_id = f"{chapter.id}-fn-cite{number}", f"{chapter.id}-fnref-cite{number}"
        call = E.SUP(E.A(E.CLASS("footnote-ref"), "0", href=f"#{note_id}"), id=call_id)
        paragraph = _fragment(html_text)
        paragraph.tag = "p"
        backlink = E.A(E.CLASS("footnote-backref"), "\u2191", href=f"#{call_id}",
                       title="Back to the text")
        if len(paragraph):  # a no-break space before the back link, as Python-Markdown
            paragraph[-1].tail = (paragraph[-1].tail or "") + "\u00a0"
        else:
            paragraph.text = (paragraph.text or "") + "\u00a0"
        paragraph.append(backlink)
        note_list.append(E.LI(paragraph, id=note_id))
        _place_call(span, call)
    _renumber_notes(body)


def _text_before(element, text: str) -> None:
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        element.getparent().text = (element.getparent().text or "") + text


def _place_call(span, call) -> None:
    """The note call takes the citation's place; an author named in the text stays."""
    tail = span.tail or ""
    punctuation = PUNCTUATION_AFTER.match(tail)
    if span.text_content().strip():  # "Smith¹ says": the name stays, the call follows it
        span.addnext(call)
        call.tail, span.tail = tail, None
    else:
        previous = span.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "").rstrip(" ")
        else:
            span.getparent().text = (span.getparent().text or "").rstrip(" ")
        span.addnext(call)
        call.tail = tail
        span.getparent().remove(span)  # its tail goes with it: the call has it now
    if punctuation:  # after the full stop, not before it
        mark = punctuation.group(1)
        call.tail = call.tail[len(mark):]
        _text_before(call, mark)


def _renumber_notes(body) -> None:
    """Notes numbered in the order their calls come, the list in that order."""
    note_list = body.find("./div[@class='footnote']/ol")
    items = {item.get("id"): item for item in note_list}
    calls = [a for a in body.iter("a") if "footnote-ref" in _classes(a)
             and not any(p is note_list for p in a.iterancestors())]
    ordered = []
    for number, link in enumerate(calls, 1):
        link.text = str(number)
        target = (link.get("href") or "").lstrip("#")
        if target in items and items[target] not in ordered:
            ordered.append(items[target])
    ordered += [item for item in note_list if item not in ordered]
    for item in ordered:
        note_list.append(item)  # moves it to the end, in order


# ---------- the reference list ----------

def _entries(bibliography: list[tuple[str, str]], key_prefix: str):
    listing = E.DIV(E.CLASS("references csl-bib-body"), id="refs", role="doc-bibliography")
    for number, (key, html_text) in enumerate(bibliography):
        entry = _fragment(html_text)
        entry.tag = "div"
        entry.set("id", ref_id(key))
        entry.set("class", "csl-entry")
        entry.set(BLOCK_KEY, f"{key_prefix}.r{number}")
        listing.append(entry)
    return listing


def _place_bibliography(book: Book, engine, bibliography, source: Path) -> None:
    for chapter in book.chapters:
        for holder in chapter.body.iter("div"):
            if holder.get("id") == "refs":
                listing = _entries(bibliography, chapter.id)
                holder.getparent().replace(holder, listing)
                listing.tail = holder.tail
                chapter._ids = None
                return
    if not bibliography:
        return
    chapter_id = f"ch{len(book.chapters) + 1}"
    taken = {i for chapter in book.chapters for i in chapter.ids()}
    heading_id = next(f"references{'' if n == 1 else f'_{n}'}" for n in range(1, 1000)
                      if f"references{'' if n == 1 else f'_{n}'}" not in taken)
    title = terms_for(book.metadata.language).word("references")
    heading = E.H1(E.CLASS("unnumbered"), title, id=heading_id)
    heading.set(BLOCK_KEY, f"{chapter_id}.0")
    body = E.SECTION(E.CLASS("chapter"), heading, _entries(bibliography, chapter_id),
                     id=chapter_id)
    book.chapters.append(Chapter(chapter_id, source, "", body, title))
