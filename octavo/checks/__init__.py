"""Build checks: small functions that each return a list of `Finding`s.

Every code is documented in docs/checks.md (what it means, how to fix it).
Codes are grouped by area: MS- manuscript, PDF-, EPUB-, IMG-, PRN- print and
booklet, TXT- text completeness, LAY- layout.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    code: str  # stable, e.g. "MS-004"
    severity: str  # error | warning | info
    message: str  # what is wrong, in words a person can act on
    where: str = ""  # manuscript file:line, or output file and page ("x.pdf p. 7")

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{place}{self.code} {self.severity}: {self.message}"


@dataclass
class CheckContext:
    """Everything a check may look at. Checks only read it."""
    book: object  # manuscript.Book
    layout: object | None = None  # pdf.Layout
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> path
    booklet: object | None = None  # booklet.BookletInfo
    epub: object | None = None  # epub.EpubInfo


Check = Callable[[CheckContext], list[Finding]]


def run_checks(context: CheckContext, checks: list[Check]) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(context))
    return findings


def counts(findings: list[Finding]) -> dict[str, int]:
    return {severity: sum(1 for f in findings if f.severity == severity)
            for severity in SEVERITIES}


def text_source(context: CheckContext, kind: str) -> Path:
    """The file to read `kind`'s text and glyphs from.

    The screen PDF stands in for the print PDF when both draw the same pages with the
    same fonts (they come from one tagged write; `pdf_walk.same_pages` compares them),
    so the text and glyphs of both are read once. Boxes, metadata and images are still
    read from each file."""
    from ..pdf_walk import same_pages
    path, screen = context.outputs[kind], context.outputs.get("pdf")
    if kind == "print-pdf" and screen is not None and screen.exists() and path.exists() \
            and same_pages(screen, path):
        return screen
    return path


def read_shared(context: CheckContext) -> None:
    """Read once, before the checks split between processes, what checks in several
    will read: whether the print PDF draws the screen PDF's pages (`text_source`)."""
    if "print-pdf" in context.outputs and context.outputs["print-pdf"].exists():
        text_source(context, "print-pdf")
