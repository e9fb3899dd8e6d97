"""The pipeline, stage by stage. Read `build()` first."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .booklet import BookletInfo, impose_booklet
from .checks import ERROR, CheckContext, Finding
from .checks.registry import fast_checks, start_validators
from .epub import EpubInfo, write_epub
from .manuscript import Book, load_book
from .options import BuildOptions  # noqa: F401 - defined there, light to import
from .outputs import Outputs
from .proof import write_proof_sheet
from .pdf import PAGED_CSS, Layout, page_starts, render, write_print_pdf, write_screen_pdf
from .report import write_report


@dataclass
class BuildResult:
    book: Book
    layout: Layout
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> final path
    booklet: BookletInfo | None = None
    epub: EpubInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Stopwatch:
    def __init__(self, timings: dict[str, float]):
        self.timings, self.start = timings, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now


def build(options: BuildOptions) -> BuildResult:
    result = BuildResult(book=None, layout=None)
    clock = Stopwatch(result.timings)
    book = result.book = load_book(options.manuscript)             # manuscript → Book
    clock.lap("load")
    layout = result.layout = render(book, PAGED_CSS)               # one layout, every PDF
    clock.lap("layout")
    slug = book.metadata.slug
    with Outputs(options.out) as outputs:                          # all or nothing
        screen = outputs.path(f"{slug}.pdf")
        write_screen_pdf(layout, book, screen)
        printed = outputs.path(f"{slug}-print.pdf")
        write_print_pdf(layout, book, printed)
        clock.lap("pdf")
        booklet = outputs.path(f"{slug}-booklet.pdf")
        result.booklet = impose_booklet(printed, booklet, sheet=options.sheet,
                                        creep_mm=options.creep_mm, marks=options.marks)
        clock.lap("booklet")
        epub = outputs.path(f"{slug}.epub")
        result.epub = write_epub(book, epub, page_starts(layout))  # page list = PDF pages
        clock.lap("epub")
        proof = outputs.path(f"{slug}-proof.png")
        write_proof_sheet(screen, proof)                           # every page at a glance
        clock.lap("proof")
        names = {"pdf": screen, "print-pdf": printed, "booklet": booklet, "epub": epub,
                 "proof": proof}
        result.outputs = {kind: outputs.final(path) for kind, path in names.items()}
    context = CheckContext(book, layout, result.outputs, result.booklet, result.epub)
    validators = start_validators(context) if options.validate else None  # epubcheck, Ace
    result.findings = fast_checks(context)                         # meanwhile, in-process
    if validators:
        result.findings += validators.result()
    clock.lap("checks")
    _report(options, result)
    return result


OUTPUT_NAMES = {"pdf": "{}.pdf", "print-pdf": "{}-print.pdf", "booklet": "{}-booklet.pdf",
                "epub": "{}.epub"}


def check_only(options: BuildOptions) -> BuildResult:
    """Re-check the outputs already in `options.out`, without rebuilding them."""
    result = BuildResult(book=load_book(options.manuscript), layout=None)
    slug = result.book.metadata.slug
    result.outputs = {kind: options.out / name.format(slug) for kind, name in OUTPUT_NAMES.items()
                      if (options.out / name.format(slug)).exists()}
    context = CheckContext(result.book, None, result.outputs, None)
    validators = start_validators(context) if options.validate else None
    result.findings = fast_checks(context) + (validators.result() if validators else [])
    result.findings += [Finding("MS-010", ERROR, f"no {kind} output to check; build first",
                                str(options.out / name.format(slug)))
                        for kind, name in OUTPUT_NAMES.items() if kind not in result.outputs]
    _report(options, result)
    return result


def _report(options: BuildOptions, result: BuildResult) -> None:
    write_report(options.out / "report.json", result.findings, {
        "outputs": {kind: str(path) for kind, path in result.outputs.items()},
        "pages": result.layout.page_count if result.layout else None,
        "placeholders": [f.src for f in result.book.placeholders],
        "timings": result.timings})
