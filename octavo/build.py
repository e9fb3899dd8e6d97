"""The pipeline, stage by stage. Read `build()` first."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .booklet import BookletInfo, impose_booklet
from .cache import BuildCache
from .checks import ERROR, CheckContext, Finding
from .checks.registry import (BOOK_CHECKS, FAST_CHECKS, LAYOUT_AND_EPUB_CHECKS, fast_checks,
                              start_validators)
from .epub import EpubInfo, prepare_epub, write_epub
from .manuscript import Book, load_book
from .options import BuildOptions  # noqa: F401 - defined there, light to import
from .outputs import Outputs
from .parallel import Jobs
from .progress import Progress, show_progress
from .proof import write_proof_sheet
from .pdf import (PAGED_CSS, Layout, page_starts, print_from_tagged, render, screen_from_tagged,
                  screen_images, write_tagged_pdf)
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
    reused: list[str] = field(default_factory=list)  # kinds kept from the last build (cache)


class Stopwatch:
    def __init__(self, timings: dict[str, float], progress: Progress | None = None):
        self.timings, self.start, self.progress = timings, time.perf_counter(), progress

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now
        if self.progress:
            self.progress.lap(stage, self.timings[stage])

    def done(self, result: "BuildResult") -> "BuildResult":
        if self.progress:
            self.progress.close()
        return result


OUTPUT_SUFFIXES = {"pdf": ".pdf", "print-pdf": "-print.pdf", "booklet": "-booklet.pdf",
                   "epub": ".epub", "proof": "-proof.png"}  # kind -> file name after the slug
PAGED_KINDS = ("pdf", "print-pdf")  # made from the layout (booklet and proof: from the PDFs)


def build(options: BuildOptions) -> BuildResult:
    result = BuildResult(book=None, layout=None)
    clock = Stopwatch(result.timings, show_progress(options))      # shown after 1 s on a TTY
    cache = BuildCache(options)                                    # a hash of each output's inputs
    if cache.up_to_date():                                         # nothing changed: keep it all
        return clock.done(cache.reuse(result, load_book(options.manuscript)))
    book = result.book = load_book(options.manuscript)             # manuscript → Book
    clock.lap("load")
    with Outputs(options.out) as outputs, Jobs() as jobs:          # all or nothing; two cores
        epub_parts = jobs.meanwhile(prepare_epub, book, cache.styles)  # the EPUB's images, fonts
        linted = jobs.meanwhile(early_checks, options, cache, BOOK_CHECKS, book)  # the text
        if cache.needs_layout(PAGED_KINDS):                        # only when a PDF is remade
            result.layout = render(book, PAGED_CSS, cache.styles)  # one layout, every PDF
            cache.laid_out(result.layout, page_starts(result.layout))  # page list for the EPUB
        clock.lap("layout")
        layout, made = result.layout, cache.outputs(outputs)
        screen, printed, booklet, epub, proof = made.targets(book.metadata.slug, OUTPUT_SUFFIXES)
        parts = epub_parts.result() if epub else epub_parts.cancel()  # None: the EPUB is kept
        epub_job = jobs.meanwhile(epub_edition, options, cache, book, layout, made, parts)
        images = jobs.meanwhile(screen_images, layout, book, when=screen)  # smaller copies
        tagged = outputs.scratch("tagged") if screen or printed else None
        if tagged:
            write_tagged_pdf(layout, book, tagged)                 # the one WeasyPrint write
        print_job = jobs.fork(print_edition, tagged, layout, book, made, options.imposition,
                              when=printed or booklet)             # marks, PDF/X; the booklet
        proof_job = jobs.meanwhile(write_proof_sheet, tagged or made.current("pdf"), proof,
                                   when=proof)                     # every page at a glance
        if screen:
            screen_from_tagged(tagged, screen, images.result())    # trimmed, images downsampled
        made_epub, early = epub_job.result()                       # and its checks' findings
        result.epub, result.booklet = cache.kept_infos(made_epub, print_job.result())
        clock.lap("outputs")
        result.findings = run_checks(options, cache, result, made.paths, linted.result() | early)
        proof_job.result()
        clock.lap("checks")
    result.outputs = made.finals()                                 # published
    cache.save(result)
    _report(options, result)
    return clock.done(result)


def print_edition(tagged: Path | None, layout: Layout | None, book: Book, made,
                  imposition: dict) -> BookletInfo | None:
    """The print PDF (crop marks, PDF/X-4) from the tagged write, unless it is kept; then
    the booklet, unless it is kept, imposed from the print PDF (new or kept)."""
    if "print-pdf" not in made.kept:
        print_from_tagged(tagged, layout, book, made.current("print-pdf"))
    if "booklet" in made.kept:
        return None
    return impose_booklet(made.current("print-pdf"), made.current("booklet"), **imposition)


def epub_edition(options: BuildOptions, cache: BuildCache, book: Book, layout: Layout | None,
                 made, parts) -> tuple[EpubInfo | None, dict]:
    """The EPUB, unless it is kept (`parts` None), with the PDF's page list; then the checks
    that read only the Book, the layout and the EPUB. Forked while the PDF is written."""
    epub = made.current("epub") if "epub" not in made.kept else None
    made_epub = write_epub(book, epub, cache.page_starts(), styles=cache.styles,
                           parts=parts) if epub else None
    if layout is None:  # the PDFs were kept: `run_checks` lays the book out if it must
        return made_epub, {}
    epub_info, _ = cache.kept_infos(made_epub, None)
    return made_epub, early_checks(options, cache, LAYOUT_AND_EPUB_CHECKS, book, layout,
                                   made.paths, epub_info)


def early_checks(options: BuildOptions, cache: BuildCache, checks: list, book: Book,
                 layout: Layout | None = None, outputs: dict | None = None,
                 epub: EpubInfo | None = None) -> dict:
    """Those of `checks` that must run, run now on the second core; `run_checks` takes
    their results. They read only what they are given (a check that reads the layout
    or an output it is not given is not in `checks`)."""
    if not options.checks:
        return {}
    context = CheckContext(book, layout, outputs or {}, None, epub)
    return cache.run_early(checks, context, lambda: layout)


def run_checks(options: BuildOptions, cache: BuildCache, result: BuildResult,
               outputs: dict[str, Path], early: dict | None = None) -> list[Finding]:
    """The fast checks, each reused while nothing it read last time changed; the validators.

    `outputs`: each output's file, staged (under its final name) or kept from before."""
    def layout():  # made late only if a check that reads it must run again
        if result.layout is None:
            result.layout = render(result.book, PAGED_CSS, cache.styles)
        return result.layout
    context = CheckContext(result.book, result.layout, outputs, result.booklet, result.epub)
    kept = cache.cached_validators() if options.validate else None
    validators = start_validators(context) if options.validate and kept is None else None
    findings = cache.run_checks(FAST_CHECKS, context, layout, early) if options.checks else []
    if validators:  # epubcheck and Ace ran meanwhile, in threads
        kept = validators.result()
        cache.validated(kept)
    return findings + (kept or [])


def check_only(options: BuildOptions) -> BuildResult:
    """Re-check the outputs already in `options.out`, without rebuilding them."""
    result = BuildResult(book=load_book(options.manuscript), layout=None)
    slug = result.book.metadata.slug
    expected = {kind: options.out / (slug + suffix) for kind, suffix in OUTPUT_SUFFIXES.items()
                if kind != "proof"}  # the proof sheet is for people, not checked
    result.outputs = {kind: path for kind, path in expected.items() if path.exists()}
    context = CheckContext(result.book, None, result.outputs, None)
    validators = start_validators(context) if options.validate else None
    result.findings = fast_checks(context) + (validators.result() if validators else [])
    result.findings += [Finding("MS-010", ERROR, f"no {kind} output to check; build first",
                                str(path)) for kind, path in expected.items()
                        if kind not in result.outputs]
    _report(options, result)
    return result


def _report(options: BuildOptions, result: BuildResult) -> None:
    write_report(options.out / "report.json", result.findings, {
        "outputs": {kind: str(path) for kind, path in result.outputs.items()},
        "pages": result.layout.page_count if result.layout else None,
        "placeholders": [f.src for f in result.book.placeholders],
        "timings": result.timings})
