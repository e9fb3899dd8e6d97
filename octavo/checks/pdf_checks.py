"""PDF- and IMG- checks on the screen and print PDFs, read back with pikepdf."""

from __future__ import annotations

import re
import sys
from array import array
from urllib.parse import urlsplit
from pathlib import Path

import pikepdf

from ..fonts import BODY_FAMILY, FALLBACK_FAMILY, MONO_FAMILIES, pdf_font_names
from ..manuscript.mathtex import text_without_math
from ..pdfread.opened import opened
from ..pdfread.text import normalise
from ..structure.generated import heading_title
from ..structure.model import TITLE_ATTRIBUTE
from . import ERROR, INFO, WARNING, CheckContext, Finding, text_source
from ..pdfread.walk import walk_pdf

TOLERANCE_PT = 0.01
PRINT_PPI = 300
SCREEN_MAX_PPI = 225  # more than this on screen only makes the download bigger
PDF_KINDS = ("pdf", "print-pdf")
NOTE_CALL = re.compile("\u2060\\d+")
GLYPH_SIZE_PT = 24  # an image no larger is a glyph on a line (WeasyPrint draws colour
# emoji as images); the resolution checks look at pictures only


_WALKED: dict[tuple, tuple] = {}  # (path, mtime, text) -> walk_pdf's answer
WALKED_KEPT = 4


def _walked(context: CheckContext, kind: str, path: Path, text: bool):
    """`walk_pdf` of `path` (`kind`'s file, or the one standing in for it), once per file
    version; pages an earlier build walked are taken from the memo, if the context has
    one (`CheckContext.memo`)."""
    key = (str(path), path.stat().st_mtime, text)
    if key not in _WALKED:
        layout, memo = context.layout, context.memo
        keys = layout.page_keys() if memo is not None and hasattr(layout, "page_keys") else None
        with opened(path) as pdf:
            found = walk_pdf(pdf, text=text, kept=(memo, keys, kind) if keys else None)
        while len(_WALKED) >= WALKED_KEPT:
            del _WALKED[next(iter(_WALKED))]
        _WALKED[key] = found
    return _WALKED[key]


def _text_runs(context: CheckContext, kind: str):
    path = text_source(context, kind)
    return _walked(context, "pdf" if path == context.outputs.get("pdf") else kind, path,
                   True)[1]


def _pdfs(context: CheckContext):
    for kind in PDF_KINDS:
        path = context.outputs.get(kind)
        if path and path.exists():
            yield kind, path


def fonts_are_embedded(context: CheckContext) -> list[Finding]:
    findings = []
    families = context.book.metadata.design.families  # body, headings, code
    # Charis SIL draws Octavo's own marks (the end mark) whatever the body font.
    allowed = tuple(f.replace(" ", "").lower() for f in (*families, *MONO_FAMILIES,
                                                         FALLBACK_FAMILY, BODY_FAMILY)
                    ) + pdf_font_names()  # code: two mono fonts; and every script's fonts
    for kind, path in _pdfs(context):
        runs = _text_runs(context, kind)
        seen = {}
        for run in runs:
            seen.setdefault(run.font, run.page)
        for font, page in seen.items():
            name = font.base_font
            if not font.embedded:
                findings.append(Finding("PDF-001", ERROR, f"font {name} is not embedded",
                                        f"{path.name} p. {page}"))
            family = name.split("+", 1)[-1]
            if not family.replace("-", "").lower().startswith(allowed):
                findings.append(Finding("PDF-003", WARNING, f"text is drawn in {family}, a "
                                        f"fallback font, not one the design names "
                                        f"({', '.join(families)}) nor one of its script "
                                        "fonts (styles/scripts.css)", f"{path.name} p. {page}"))
    return findings


class _Joined:
    """Runs in fonts of as many glyphs, as one run (two-byte codes each)."""

    def __init__(self, runs: list):
        self.font = runs[0].font
        self.codes = b"".join(run.codes[:len(run.codes) // 2 * 2] for run in runs)


def _draws_notdef(run) -> bool:
    """Glyph id 0, or one past the font's glyphs (Pango's unknown glyph), draws a box."""
    if run.font.glyphs is None:
        return False
    glyphs = array("H", run.codes[:len(run.codes) // 2 * 2])  # two-byte glyph ids
    if sys.byteorder == "little":
        glyphs.byteswap()  # PDF strings are big-endian
    return bool(glyphs) and (min(glyphs) == 0 or max(glyphs) >= run.font.glyphs)


def glyphs_are_drawn(context: CheckContext) -> list[Finding]:
    """A glyph id 0 (.notdef) is the box a reader sees for a missing character."""
    findings = []
    for kind, path in _pdfs(context):
        by_font: dict[int, list] = {}  # the runs in fonts of as many glyphs looked at at
        for run in _text_runs(context, kind):  # once first; one by one if one is bad
            if run.font.glyphs is not None:
                by_font.setdefault(run.font.glyphs, []).append(run)
        bad_pages = sorted({run.page for runs in by_font.values()
                            if _draws_notdef(_Joined(runs)) for run in runs
                            if _draws_notdef(run)})
        for page in bad_pages:
            findings.append(Finding("PDF-002", ERROR, "a character is drawn as .notdef "
                                    "(a missing-glyph box)", f"{path.name} p. {page}"))
    return findings


def structure_is_tagged(context: CheckContext) -> list[Finding]:
    path = context.outputs.get("pdf")
    if not path:
        return []
    findings = []
    with opened(path) as pdf:
        root = pdf.Root
        if "/StructTreeRoot" not in root or not root.get("/MarkInfo", {}).get("/Marked"):
            findings.append(Finding("PDF-004", ERROR, "the screen PDF is not tagged", path.name))
        if str(root.get("/Lang", "")) != context.book.metadata.language:
            findings.append(Finding("PDF-004", ERROR, "the PDF's /Lang is missing or "
                                    "differs from the metadata language", path.name))
        if not root.get("/ViewerPreferences", {}).get("/DisplayDocTitle"):
            findings.append(Finding("PDF-004", WARNING, "viewers will show the file name, "
                                    "not the title (DisplayDocTitle)", path.name))
    return findings


def outline_matches_headings(context: CheckContext) -> list[Finding]:
    book = context.book
    wanted = [normalise(book.display.title)]
    for chapter in book.chapters:
        # a formula is a drawing (no text in a bookmark); an empty heading gets none
        wanted += [normalise(heading.get(TITLE_ATTRIBUTE) and heading_title(heading)
                             or text_without_math(heading))
                   for heading in chapter.body.iter("h1", "h2")
                   if normalise(text_without_math(heading))]
    findings = []
    for kind, path in _pdfs(context):
        with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
            titles = []
            stack = list(outline.root)
            while stack:
                item = stack.pop(0)
                # (a note called in a heading: its number follows a word joiner)
                titles.append(normalise(NOTE_CALL.sub("", item.title)))
                stack[0:0] = list(item.children)
        for title in wanted:
            if title not in titles:
                findings.append(Finding("PDF-005", ERROR, f"no bookmark for the heading "
                                        f"\u201c{title[:60]}\u201d", path.name))
    return findings


def links_resolve(context: CheckContext) -> list[Finding]:
    findings = []
    for kind, path in _pdfs(context):
        with opened(path) as pdf:
            names = set()
            dests = pdf.Root.get("/Names", {}).get("/Dests")
            if dests is not None:
                entries = list(dests.get("/Names", []))
                names = {str(entries[i]) for i in range(0, len(entries), 2)}
            for number, page in enumerate(pdf.pages, 1):
                for annot in page.obj.get("/Annots", []):
                    if annot.get("/Subtype") != "/Link":
                        continue
                    target = annot.get("/Dest")
                    action = annot.get("/A")
                    uri = str(action.get("/URI", "")) if action is not None else ""
                    if uri and urlsplit(uri).scheme not in ("http", "https", "mailto"):
                        findings.append(Finding("PDF-006", ERROR, f"link to {uri[:80]!r} "
                                                "leads to a file, not a page of this PDF",
                                                f"{path.name} p. {number}"))
                    if target is None and action is not None and action.get("/S") == "/GoTo":
                        target = action.get("/D")
                    if isinstance(target, (pikepdf.String, pikepdf.Name)) and \
                            str(target).lstrip("/") not in names:
                        findings.append(Finding("PDF-006", ERROR, f"link to {str(target)!r} "
                                                "has no destination", f"{path.name} p. {number}"))
    return findings


def metadata_is_complete(context: CheckContext) -> list[Finding]:
    meta = context.book.metadata
    findings = []
    for kind, path in _pdfs(context):
        with opened(path) as pdf:
            info = pdf.docinfo
            wanted = {"/Title": True, "/Author": bool(meta.authors),
                      "/Subject": bool(meta.description), "/Keywords": bool(meta.subjects),
                      "/CreationDate": True}
            for key, needed in wanted.items():
                if needed and not str(info.get(key, "")).strip():
                    findings.append(Finding("PDF-007", ERROR, f"the PDF has no {key[1:]} "
                                            "in its metadata", path.name))
    return findings


PDFX_VERSION = b"PDF/X-4"


def print_pdf_is_pdfx4(context: CheckContext) -> list[Finding]:
    """What a print shop's preflight looks for first: the PDF/X-4 marks of the print PDF."""
    path = context.outputs.get("print-pdf")
    if path is None or not path.exists():
        return []
    problems = []
    with opened(path) as pdf:
        intents = pdf.Root.get("/OutputIntents", [])
        if not any(intent.get("/S") == "/GTS_PDFX" and "/DestOutputProfile" in intent
                   for intent in intents):
            problems.append("no PDF/X output intent with its ICC profile")
        metadata = pdf.Root.get("/Metadata")
        if metadata is None or PDFX_VERSION not in metadata.read_bytes():
            problems.append("its XMP metadata does not say PDF/X-4")
        if str(pdf.docinfo.get("/Trapped", "")) not in ("/True", "/False"):
            problems.append("/Trapped is not set to True or False")
        if pdf.pdf_version > "1.6":
            problems.append(f"it is PDF {pdf.pdf_version}; PDF/X-4 is PDF 1.6")
        if any("/TrimBox" not in page.obj for page in pdf.pages):
            problems.append("a page has no TrimBox")
    return [Finding("PDF-011", ERROR, f"the print PDF is not PDF/X-4: {problem}", path.name)
            for problem in problems]


def _box(page, name):
    return [float(v) for v in page.obj.get(name, page.obj.MediaBox)]


def page_boxes_are_right(context: CheckContext) -> list[Finding]:
    findings = []

    def off(a, b):
        return any(abs(x - y) > TOLERANCE_PT for x, y in zip(a, b))

    design = context.book.metadata.design
    trim_pt, bleed = design.trim_pt, design.bleed_pt
    for kind, path in _pdfs(context):
        with opened(path) as pdf:
            for number, page in enumerate(pdf.pages, 1):
                trim = _box(page, "/TrimBox")
                size = (trim[2] - trim[0], trim[3] - trim[1])
                if off(size, trim_pt):
                    findings.append(Finding("PDF-008", ERROR, f"the page is {size[0]:.2f} × "
                                            f"{size[1]:.2f} pt, not the trim {design.trim} "
                                            f"({trim_pt[0]:.2f} × {trim_pt[1]:.2f} pt)",
                                            f"{path.name} p. {number}"))
                if kind == "print-pdf":
                    wanted = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
                    for name in ("/MediaBox", "/BleedBox"):
                        if off(_box(page, name), wanted):
                            findings.append(Finding("PDF-008", ERROR, f"{name[1:]} is not the "
                                                    f"trim plus {design.bleed_mm:g} mm bleed",
                                                    f"{path.name} p. {number}"))
    return findings


def renderer_warnings(context: CheckContext) -> list[Finding]:
    layout = context.layout
    if layout is None:
        return []
    findings = [Finding("PDF-009", WARNING, f"WeasyPrint: {message}", "")
                for message in dict.fromkeys(layout.warnings)]
    findings += [Finding("PDF-010", ERROR, f"a resource was refused: {message}", "")
                 for message in dict.fromkeys(layout.refused)]
    return findings


def book_css_is_valid(context: CheckContext) -> list[Finding]:
    """What WeasyPrint ignored in the book's own stylesheets, with file:line."""
    layout = context.layout
    if layout is None:
        return []
    return [Finding("DES-001", ERROR, f"{message} in the book's stylesheet",
                    f"{name}:{line}" if line else name)
            for name, line, message in layout.css_problems]


def image_resolution(context: CheckContext) -> list[Finding]:
    findings = []
    figures = {f.id: f for f in context.book.figures}
    fills = context.layout.fills if context.layout is not None else []
    for kind, path in _pdfs(context):
        whole = text_source(context, kind) == path  # its text is walked anyway: one walk
        images, _ = _walked(context, kind, path, whole)
        for placed in images:
            if max(placed.size_pt) <= GLYPH_SIZE_PT:
                continue  # a glyph drawn as an image (a colour emoji), not a picture
            on_page = [figures[i] for i in (fills[placed.page - 1].figures
                                           if placed.page <= len(fills) else ()) if i in figures]
            figure = next((f for f in on_page if (f.image.width, f.image.height) == placed.pixels
                           or kind == "pdf"), None)
            name = f"figure {figure.number} ({figure.src})" if figure else placed.name
            where = f"{path.name} p. {placed.page}"
            if kind == "print-pdf" and placed.ppi < PRINT_PPI:
                findings.append(Finding("IMG-001", WARNING, f"{name} prints at "
                                        f"{placed.ppi:.0f} ppi, under {PRINT_PPI}: it will "
                                        "look soft", figure.where if figure else where))
            if kind == "pdf" and placed.ppi > SCREEN_MAX_PPI * 1.05:
                findings.append(Finding("IMG-002", INFO, f"{name} is embedded at "
                                        f"{placed.ppi:.0f} ppi in the screen PDF; "
                                        f"{SCREEN_MAX_PPI} is enough", where))
    return findings


PDF_CHECKS = [fonts_are_embedded, glyphs_are_drawn, structure_is_tagged,
              outline_matches_headings, links_resolve, metadata_is_complete,
              print_pdf_is_pdfx4, page_boxes_are_right, renderer_warnings, book_css_is_valid,
              image_resolution]
