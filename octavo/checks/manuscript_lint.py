"""MS- checks: problems in the manuscript itself, reported with file:line."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import unicodedata

from ..fonts import InstalledCoverage, family_coverage, install_hint
from ..manuscript.mathtex import MATH_CLASS
from ..manuscript.scripts import hyphenation_language, is_default_ignorable
from . import ERROR, INFO, WARNING, CheckContext, Finding

CODE_TAGS = ("code", "pre", "kbd", "samp")


def _is_code(element) -> bool:
    """Code, or math (its text is TeX, typeset as a drawing)."""
    return element.tag in CODE_TAGS or MATH_CLASS in (element.get("class") or "").split()
STRAIGHT = re.compile(r"[\"']|--")
UNDEFINED_NOTE = re.compile(r"\[\^[^\]]+\]")


def _where(chapter, text: str) -> str:
    return chapter.where(chapter.line_of(text))


def _text_nodes(body):
    """(text, block element) for every text node outside code."""
    for element in body.iter():
        if not isinstance(element.tag, str) or _is_code(element):
            continue
        if any(_is_code(a) for a in element.iterancestors()):
            continue
        block = next((a for a in [element, *element.iterancestors()] if a.get("data-o")), element)
        for text in (element.text, element.tail if element.getparent() is not None else None):
            if text and text.strip():
                yield text, block


def figures_have_alt_and_caption(context: CheckContext) -> list[Finding]:
    findings = []
    for figure in context.book.figures:
        if not figure.alt.strip():
            findings.append(Finding("MS-002", ERROR, f"figure {figure.number} ({figure.src}) "
                                    "has no alt text for readers who cannot see it",
                                    figure.where))
        elif figure.alt.strip().lower() == figure.caption.strip().lower():
            findings.append(Finding("MS-002", WARNING, f"figure {figure.number}'s alt text "
                                    "repeats its caption; describe what the image shows "
                                    "(`{alt=\"...\"}` after the image, or the image line of "
                                    "a `::: figure`)",
                                    figure.where))
        if not figure.caption.strip():
            findings.append(Finding("MS-003", ERROR, f"figure {figure.number} ({figure.src}) "
                                    "has no caption", figure.where))
    return findings


def links_and_notes_resolve(context: CheckContext) -> list[Finding]:
    findings = []
    book = context.book
    for chapter in book.chapters:
        for link in chapter.body.iter("a"):
            href = link.get("href", "")
            if not href or urlsplit(href).scheme or "footnote-backref" in link.get("class", ""):
                continue
            if book.link_target(chapter, href) is None:
                findings.append(Finding("MS-004", ERROR, f"link to {href!r} goes nowhere: "
                                        "no chapter, heading or note has that name",
                                        _where(chapter, link.text_content())))
        for text, block in _text_nodes(chapter.body):
            for found in UNDEFINED_NOTE.finditer(text):
                findings.append(Finding("MS-004", ERROR, f"footnote reference {found.group()} "
                                        "has no footnote text", _where(chapter, text)))
    return findings


def heading_levels_do_not_jump(context: CheckContext) -> list[Finding]:
    findings = []
    for chapter in context.book.chapters:
        previous = 1  # the title is the level-1 heading
        for heading in chapter.body.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            level = int(heading.tag[1])
            if level > previous + 1:
                findings.append(Finding("MS-005", WARNING, f"heading level jumps from "
                                        f"h{previous} to h{level}: "
                                        f"\u201c{heading.text_content().strip()}\u201d",
                                        _where(chapter, heading.text_content())))
            previous = level
    return findings


def quotes_and_dashes_are_typographic(context: CheckContext) -> list[Finding]:
    findings = []
    for chapter in context.book.chapters:
        for text, block in _text_nodes(chapter.body):
            for found in STRAIGHT.finditer(text):
                snippet = text[max(0, found.start() - 20):found.end() + 20].strip()
                findings.append(Finding("MS-006", WARNING, f"straight {found.group()!r} left "
                                        f"after smartening in \u201c{snippet}\u201d",
                                        _where(chapter, block.text_content())))
    return findings


def _needs_no_glyph(char: str) -> bool:
    """Characters Pango shapes without drawing: format controls (joiners, bidi marks, the
    soft hyphen), variation selectors, emoji tags: Unicode's default ignorables."""
    return char.isspace() or unicodedata.category(char) == "Cf" or is_default_ignorable(char)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _set_in(element, design) -> tuple[str, str]:
    """(role, family) of the font the design sets `element`'s text in."""
    for node in (element, *element.iterancestors()):
        if node.tag in CODE_TAGS:
            return "code", design.code_font
        if node.tag in HEADINGS:
            return "heading", design.heading_font or design.font
    return "body", design.font


def _all_text_nodes(body):
    """(text, element it is set in) for every text node, code included."""
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        if "footnote-backref" not in (element.get("class") or ""):  # the EPUB's ↑, in its font
            yield element.text, element
        if element.getparent() is not None:
            yield element.tail, element.getparent()


def characters_have_glyphs(context: CheckContext) -> list[Finding]:
    """The fonts the design names must be installed; and a character no installed font
    draws prints as a box (PDF-002 finds the box in the PDF). The PDFs fall back from the
    design's font through the fonts of every script (styles/scripts.css) and then every
    font fontconfig knows, so a character is reported only if none has it. Each character
    is looked at once, not at each occurrence."""
    covered_anywhere = InstalledCoverage()  # the body font's charset, then all fonts'
    design = context.book.metadata.design
    findings, seen, missing = [], set(), set()
    fine: set[str] = set()  # characters known to be drawn
    for chapter in context.book.chapters:
        for text, element in _all_text_nodes(chapter.body):
            if not text or text.isspace():
                continue
            role, family = _set_in(element, design)
            covered = family_coverage(family)
            if not covered:
                if family not in missing:
                    missing.add(family)
                    findings.append(Finding("MS-007", ERROR, f"the {role} font {family} is not "
                                            f"installed ({install_hint(family)})"))
                continue
            if set(text) <= fine:
                continue  # (most text nodes: a set comparison, not a loop in Python)
            if any(_is_code(node) and node.tag not in CODE_TAGS
                   for node in (element, *element.iterancestors())):
                continue  # TeX: drawn as a formula, not as text
            for char in text:
                if ord(char) in covered or ord(char) in covered_anywhere \
                        or _needs_no_glyph(char):
                    fine.add(char)
                    continue
                if char in seen:
                    continue
                seen.add(char)
                block = next((a for a in [element, *element.iterancestors()]
                              if a.get("data-o")), element)
                findings.append(Finding("MS-007", ERROR, f"{char!r} (U+{ord(char):04X}) has no "
                                        f"glyph in {family}, the {role} font, nor in any "
                                        "installed font; it would print as a box",
                                        _where(chapter, block.text_content())))
    return findings


def inferred_metadata_is_noted(context: CheckContext) -> list[Finding]:
    """What the build inferred for a folder without metadata.toml (AUTO-): notes."""
    return list(context.book.metadata.notes)


def placeholders_are_reported(context: CheckContext) -> list[Finding]:
    return [Finding("MS-008", WARNING, f"figure {f.number} uses a placeholder (FPO) image, "
                    f"{f.src}: replace it with the real picture before release", f.where)
            for f in context.book.placeholders]


def metadata_is_complete(context: CheckContext) -> list[Finding]:
    meta = context.book.metadata
    where = meta.source.name if meta.source else "metadata.toml"
    return [Finding("MS-009", INFO, f"the metadata has no {key}; outputs will omit it", where)
            for key in ("description", "subjects", "date")
            if not getattr(meta, key)]


def structure_notes(context: CheckContext) -> list[Finding]:
    """What the structure stage noticed without stopping the build (an entry of the
    bibliography never cited: REF-001)."""
    structure = getattr(context.book, "structure", None)
    return list(structure.notes) if structure is not None else []


def loading_notes(context: CheckContext) -> list[Finding]:
    """What the loader noticed and worked around: links to files that are not chapters
    (MS-011), YAML front matter it did not use (MS-012)."""
    return list(getattr(context.book, "notes", []))


def control_characters_were_removed(context: CheckContext) -> list[Finding]:
    """Characters no document may hold (ESC, BEL… pasted from a terminal), removed at load."""
    findings = []
    for chapter in context.book.chapters:
        for removed in chapter.removed[:20]:
            findings.append(Finding("MS-014", WARNING, f"the control character {removed.name} "
                                    "was removed from the text", chapter.where(removed.line)))
        if len(chapter.removed) > 20:
            findings.append(Finding("MS-014", WARNING, f"{len(chapter.removed) - 20} more "
                                    "control characters were removed", chapter.source.name))
    return findings


# Languages written without hyphenation (no patterns needed): Chinese, Japanese, Korean,
# Thai, Lao, Khmer, Burmese, and the right-to-left scripts.
UNHYPHENATED = {"zh", "ja", "ko", "th", "lo", "km", "my", "ar", "he", "fa", "ur", "yi", "ps"}


def hyphenation_is_available(context: CheckContext) -> list[Finding]:
    """Where pyphen has no patterns for a language (Azerbaijani, Turkish…), WeasyPrint
    silently leaves its text unhyphenated: say so, once per language."""
    book = context.book
    languages = {book.metadata.language: book.metadata.source.name
                 if book.metadata.source else "metadata.toml"}
    for chapter in book.chapters:
        for element in chapter.body.iter():
            language = element.get("lang") if isinstance(element.tag, str) else None
            if language and language not in languages:
                languages[language] = _where(chapter, element.text_content())
    return [Finding("MS-015", INFO, f"no hyphenation patterns for {language!r}: its text is "
                    "not hyphenated (justified lines may space out)", where)
            for language, where in languages.items()
            if language.split("-")[0].lower() not in UNHYPHENATED
            and hyphenation_language(language) is None]


MANUSCRIPT_CHECKS = [
    loading_notes, figures_have_alt_and_caption, links_and_notes_resolve,
    heading_levels_do_not_jump, quotes_and_dashes_are_typographic, characters_have_glyphs,
    placeholders_are_reported, metadata_is_complete, inferred_metadata_is_noted,
    structure_notes, control_characters_were_removed, hyphenation_is_available,
]
