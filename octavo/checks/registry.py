"""Which checks run when: the fast in-process ones on every build, validators on request."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .validators import run_ace, run_epubcheck
from . import ERROR, WARNING, CheckContext, Finding, run_checks
from .booklet_checks import BOOKLET_CHECKS
from .epub_structure import EPUB_STRUCTURE_CHECKS
from .layout_checks import LAYOUT_CHECKS
from .manuscript_lint import MANUSCRIPT_CHECKS
from .pdf_checks import PDF_CHECKS  # noqa: F401 - build.py runs them apart
from .text import PDF_TEXT_CHECKS, TEXT_CHECKS, epub_text_is_complete  # noqa: F401

def epub_writer_warnings(context: CheckContext) -> list[Finding]:
    """What the EPUB writer could not do as asked (e.g. a page marker it could not place)."""
    if context.epub is None:
        return []
    name = context.outputs["epub"].name if "epub" in context.outputs else "EPUB"
    return [Finding("EPUB-003", WARNING, message, name) for message in context.epub.warnings]


FAST_CHECKS = (MANUSCRIPT_CHECKS + PDF_CHECKS + LAYOUT_CHECKS + BOOKLET_CHECKS + TEXT_CHECKS
               + EPUB_STRUCTURE_CHECKS + [epub_writer_warnings])
# Run early, on the second core: what reads only the Book (during the layout), and what
# reads only the Book, the layout and the EPUB (while the PDF is written).
BOOK_CHECKS = MANUSCRIPT_CHECKS
LAYOUT_AND_EPUB_CHECKS = (LAYOUT_CHECKS + EPUB_STRUCTURE_CHECKS
                          + [epub_text_is_complete, epub_writer_warnings])
EPUBCHECK_SEVERITY = {"FATAL": ERROR, "ERROR": ERROR, "WARNING": WARNING, "USAGE": WARNING}


def fast_checks(context: CheckContext) -> list[Finding]:
    return run_checks(context, FAST_CHECKS)


def _epubcheck_findings(epub: Path) -> list[Finding]:
    return [Finding("EPUB-001", EPUBCHECK_SEVERITY.get(m.severity, WARNING),
                    f"epubcheck {m.code}: {m.message}",
                    f"{epub.name}/{m.file}:{m.line}" if m.line else f"{epub.name}/{m.file or ''}")
            for m in run_epubcheck(epub)]


def _ace_findings(epub: Path) -> list[Finding]:
    with tempfile.TemporaryDirectory(prefix="octavo-ace-report-") as report_folder:
        messages = run_ace(epub, Path(report_folder))
    return [Finding("EPUB-002", ERROR if m.severity in ("critical", "serious") else WARNING,
                    f"Ace {m.code} ({m.severity}): {m.message}", f"{epub.name}/{m.file or ''}")
            for m in messages]


class PendingValidators:
    """epubcheck and Ace started in the background; `result()` waits for both."""

    def __init__(self, context: CheckContext):
        self.pool = ThreadPoolExecutor(max_workers=2)
        epub = context.outputs.get("epub")
        self.futures = [] if epub is None else [
            self.pool.submit(_epubcheck_findings, epub),
            self.pool.submit(_ace_findings, epub)]

    def result(self) -> list[Finding]:
        try:
            return [finding for future in self.futures for finding in future.result()]
        finally:
            self.pool.shutdown(wait=True)


def start_validators(context: CheckContext) -> PendingValidators:
    """Start the external validators; they run while the fast checks do."""
    return PendingValidators(context)
