"""Build checks: small functions that each return a list of `Finding`s.

Every code is documented in docs/checks.md (what it means, how to fix it).
Codes are grouped by area: MS- manuscript, AUTO- metadata inferred for a folder
without metadata.toml, DES- the book's own design, PDF-, EPUB-, IMG-, PRN- print and
booklet, TXT- text completeness, LAY- layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..report import ERROR, INFO, SEVERITIES, WARNING, Finding, counts  # noqa: F401

@dataclass
class CheckContext:
    """Everything a check may look at. Checks only read it."""
    book: object  # manuscript.Book
    layout: object | None = None  # pdf.Layout
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> path
    booklet: object | None = None  # booklet.BookletInfo
    epub: object | None = None  # epub.EpubInfo
    memo: object | None = None  # the runner's Memo: results an earlier build read (a check
    # gives the same findings with or without it)


Check = Callable[[CheckContext], list[Finding]]


def run_checks(context: CheckContext, checks: list[Check]) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(context))
    return findings


def text_source(context: CheckContext, kind: str) -> Path:
    """The file to read `kind`'s text and glyphs from.

    The screen PDF stands in for the print PDF when both draw the same pages with the
    same fonts (they come from one tagged write; `pdfread.walk.same_pages` compares them),
    so the text and glyphs of both are read once. Boxes, metadata and images are still
    read from each file."""
    path, screen = context.outputs[kind], context.outputs.get("pdf")
    if kind == "print-pdf" and screen is not None and screen.exists() and path.exists() \
            and _same(context, screen, path):
        return screen
    return path


_SAME: dict = {}  # (screen, print, their versions) -> same_pages' answer, in this process


def _same(context: CheckContext, screen: Path, printed: Path) -> bool:
    """`same_pages(screen, printed)`, once per file version, with the pages an earlier
    build compared taken from the context's memo (`CheckContext.memo`)."""
    from ..pdfread.walk import same_pages
    key = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns)
                for path in (screen, printed))
    if key not in _SAME:
        layout, memo = context.layout, context.memo
        keys = layout.page_keys() if memo is not None and hasattr(layout, "page_keys") else None
        _SAME[key] = same_pages(screen, printed, (memo, keys, "pdf/print-pdf") if keys else None)
    return _SAME[key]


def read_shared(context: CheckContext) -> None:
    """Read once, before the checks split between processes, what checks in several
    will read: whether the print PDF draws the screen PDF's pages (`text_source`)."""
    if "print-pdf" in context.outputs and context.outputs["print-pdf"].exists():
        text_source(context, "print-pdf")
