"""The pipeline, stage by stage. Read `build()` first."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from .booklet.impose import BookletInfo, impose_booklet, refusal
from .booklet.instructions import print_instructions
from .errors import OctavoError
from .runner.cache import BuildCache
from .runner.parts import PartCache, layout_workers
from .checks import ERROR, CheckContext, Finding, read_shared
from .checks.text import expected_sentences
from .checks.registry import (BOOK_CHECKS, BOOKLET_CHECKS, FAST_CHECKS, LAYOUT_AND_EPUB_CHECKS,
                              PDF_CHECKS, PDF_TEXT_CHECKS, fast_checks, start_validators)
from .epub.writer import EpubInfo, prepare_epub, write_epub
from .manuscript.book import Book
from .manuscript.load import load_book
from .structure.apply import annotate
from .options import BuildOptions  # noqa: F401 - defined there, light to import
from .runner.memo import BuildMemo
from .runner.outputs import Outputs
from .runner.parallel import Job, Jobs
from .runner.progress import Progress, show_progress
from .pdfread.text import adopt_texts, claim_texts, remember
from .paged.assemble import Assembly
from .paged.pagination import BookLayout, lay_out_parts
from .paged.proof import write_proof_sheet
from .paged.write import (PRINT_VERSION, as_printed, pdf_identity, print_edition,
                          screen_edition, screen_images, screen_images_ahead)
from .report import for_release, write_report


@dataclass
class BuildResult:
    book: Book
    layout: BookLayout
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> final path
    booklet: BookletInfo | None = None
    epub: EpubInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)  # kinds kept from the last build (cache)
    laid_out: list[str] = field(default_factory=list)  # parts laid out (the others were kept)


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
                   "booklet-txt": "-booklet.txt", "epub": ".epub",
                   "proof": "-proof.png"}  # kind -> file name after the slug
BOOKLET_KINDS = ("booklet", "booklet-txt")  # the booklet and its instructions: made together


def build(options: BuildOptions) -> BuildResult:
    result = BuildResult(book=None, layout=None)
    clock = Stopwatch(result.timings, show_progress(options))      # shown after 1 s on a TTY
    cache = BuildCache(options)                                    # a hash of each output's inputs
    if cache.up_to_date():                                         # nothing changed: keep it all
        return clock.done(cache.reuse(result, annotate(load_book(options.manuscript))))
    with Outputs(options.out) as outputs, Jobs() as jobs, Assembly() as assembly, \
            layout_workers(options, cache) as workers:             # forked now, warming up
        kept = PartCache(options, cache.styles, outputs)           # parts and results kept
        book = result.book = load_book(options.manuscript, apart=Job, memo=kept.memo)
        annotate(book)                                             # numbers, references, index
        clock.lap("load")
        epub_parts = jobs.meanwhile(prepare_epub, book, cache.styles,  # its images, fonts
                                    kept.memo)
        linted = jobs.meanwhile(early_checks, options, cache, BOOK_CHECKS,  # the lint
                                CheckContext(book))
        copies = kept.memo or BuildMemo()                          # (--no-cache: this build's)
        placed = screen_images_ahead(book, copies)                 # screen copies, made as
        layout = result.layout = lay_out_parts(                    # each part's images are
            book, lambda parts: kept.lay_out(parts, book, workers,  # placed; a document per
                                             assembly, placed,    # chapter on every core
                                             lambda: expected(options, cache, book,
                                                              kept.memo)))
        workers.close()                                            # (kept ones taken in
                                                                   # meanwhile), then the
                                                                   # contents and index
        cache.laid_out(layout, layout.page_starts)
        result.laid_out = kept.made_parts
        clock.lap("layout")
        made = cache.outputs(outputs)
        screen, printed, booklet, text, epub, proof = made.targets(book.metadata.slug,
                                                                   OUTPUT_SUFFIXES)
        epub_inputs = epub_parts if epub else epub_parts.cancel()  # None: the EPUB kept
        epub_job = jobs.fork(epub_edition, options, cache, book, layout, made, epub_inputs,
                             kept.memo)                           # beside the PDFs
        images = jobs.fork(screen_images, layout, book, copies, when=screen)
        tagged = assembly.book(layout) if screen or printed or booklet else None  # the
        identity = pdf_identity(book)                              # parts as one book, in
        print_job = jobs.fork(print_edition, tagged, layout, identity, printed,  # memory;
                              when=printed)                        # crop marks, PDF/X-4
        booklet_job = jobs.fork(booklet_edition, options, book, layout, identity, tagged,
                                booklet, text, kept.memo)          # imposed
        pages_job = jobs.fork(read_pages_once, options, cache, tagged or made.current(
            "print-pdf"), proof, layout.page_keys(), kept.memo)   # proof sheet, text
        screen_job = jobs.fork(screen_edition, tagged, screen, images,  # trimmed, images
                               when=screen)                        # smaller
        print_job.result(), screen_job.result()                    # every PDF made:
        context = finished(options, cache, book, layout, made, kept.memo)
        pdf_job = jobs.fork(early_checks, options, cache, PDF_CHECKS, context)  # checked
        imposed = booklet_job.result()
        booklet_check = jobs.fork(early_checks, options, cache, BOOKLET_CHECKS,  # the booklet
                                  booklet_context(book, layout, made, imposed))   # checked
        text_job = jobs.fork(text_checks, options, cache, context, pages_job.result(),
                             kept.memo, bool(screen))              # the text read, checked
        assembly.close()                                           # (freed meanwhile)
        result.epub = cache.kept_infos(epub_job.result()[0], None)[0]
        clock.lap("outputs")
        later = [(PDF_TEXT_CHECKS, text_job.result), (PDF_CHECKS, pdf_job.result),
                 (BOOKLET_CHECKS, booklet_check.result)]          # checks run in children
        result.findings = for_release(run_checks(options, cache, result, made.paths,
                                                 linted.result() | epub_job.result()[1], later),
                                      options.release)
        result.booklet = cache.kept_infos(None, imposed[0])[1]
        if imposed[1]:  # the pages fit no sheet: no booklet (PRN-010 says why)
            result.booklet = None
            for kind in BOOKLET_KINDS:
                made.drop(kind)
        kept.keep()                                                # for the next build
        clock.lap("checks")
    result.outputs = made.finals()                                 # published
    cache.save(result)
    _report(options, result)
    return clock.done(result)


def expected(options: BuildOptions, cache: BuildCache, book: Book, memo) -> None:
    """The sentences the text checks look for in the PDFs and in the EPUB, and their
    counters (`checks.text.expected_sentences`), made in this process on a core the
    layout leaves idle: the EPUB's job, forked later, inherits them."""
    if options.checks:
        if cache.must_run(PDF_TEXT_CHECKS):
            expected_sentences(book, True, memo)
        if cache.must_run(LAYOUT_AND_EPUB_CHECKS):
            expected_sentences(book, False, memo)


def finished(options: BuildOptions, cache: BuildCache, book: Book, layout: BookLayout,
             made, memo=None) -> CheckContext:
    """What the checks read once every PDF is made. Whether the print PDF draws the
    screen PDF's pages is found out here, once, before the checks split between
    processes (only if a check must run)."""
    context = CheckContext(book, layout, made.paths, memo=memo)
    if options.checks and cache.must_run(FAST_CHECKS):
        read_shared(context)
    return context


def booklet_edition(options: BuildOptions, book: Book, layout: BookLayout, identity,
                    source, target: Path | None, text: Path | None, memo=None
                    ) -> tuple[BookletInfo | None, bool]:
    """The booklet and its instructions (`text`), unless they are kept (`target` None),
    imposed from the tagged book in memory as the print edition draws it (its pages are
    the print PDF's, byte for byte, and the print PDF is saved meanwhile, or kept: from
    the same book, the same booklet). With ``--sheet auto``, pages that fit no sheet make
    no booklet (the second value is then True; the check says why); a sheet asked for by
    name that cannot take them stops the build (PRN-010)."""
    if not target:
        return None, False
    metadata = book.metadata
    with as_printed(source, layout, identity, target):
        try:
            info = impose_booklet(source, target, **options.imposition,
                                  title=metadata.short_title or metadata.title,
                                  slug=metadata.slug, version=PRINT_VERSION, memo=memo)
        except OctavoError as error:
            if error.code != "PRN-010" or options.sheet != "auto":
                raise
            return None, True
    text.write_text(print_instructions(info) + "\n", encoding="utf-8")
    return info, False


def booklet_context(book: Book, layout: BookLayout, made, imposed: tuple) -> CheckContext:
    """What the booklet's check reads: without the booklet if its pages fit no sheet."""
    outputs = made.paths
    if imposed[1]:
        outputs = {kind: path for kind, path in outputs.items() if kind not in BOOKLET_KINDS}
    return CheckContext(book, layout, outputs)


def read_pages_once(options: BuildOptions, cache: BuildCache, pdf, proof: Path | None,
                    keys: list[str], memo) -> tuple[Path | None, tuple | None]:
    """The proof sheet, unless it is kept (`proof` None), drawn in the pass that reads
    every page's text back for the text checks, if they must run (pdfium loads each page
    once; a page an earlier build saw, by `keys`, is not loaded: `memo` keeps its
    picture and text). `pdf`: the tagged book in memory, which the editions are saved
    from (then the file read is None), or the print PDF when the PDFs were kept (the
    same pages and images); `text_checks` takes the text as the screen PDF's."""
    read = options.checks and bool(cache.must_run(PDF_TEXT_CHECKS))
    source = None if isinstance(pdf, pikepdf.Pdf) else pdf
    if not proof and not read:
        return source, None
    _, texts = write_proof_sheet(pdf, proof, read_text=read, memo=memo, keys=keys)
    return source, texts


def text_checks(options: BuildOptions, cache: BuildCache, context: CheckContext,
                pages: tuple, memo=None, screen_made: bool = False) -> dict:
    """The text checks, on the text `read_pages_once` read (`pages`): from the tagged book
    the screen PDF was saved from this build (`screen_made`), or from the print PDF kept,
    which is the screen PDF's text when both draw the same pages (`adopt_texts`); taken
    as the screen PDF's once pdfium reads its middle page alike. If not, the checks read
    the screen PDF itself."""
    read, texts = pages
    if not options.checks or texts is None:
        return {}
    screen = context.outputs.get("pdf")
    if read is None:
        if screen is not None and screen_made:
            claim_texts(screen, texts)
    else:
        remember(read, texts)
        if screen is not None and read != screen:
            adopt_texts(read, screen, texts, (memo, context.layout.page_keys(), "print-pdf/pdf")
                        if memo is not None else None)
    expected_sentences(context.book, True, memo)  # (made already, unless no core was idle)
    return early_checks(options, cache, PDF_TEXT_CHECKS, context)


def epub_edition(options: BuildOptions, cache: BuildCache, book: Book, layout: BookLayout,
                 made, parts, memo=None) -> tuple[EpubInfo | None, dict]:
    """The EPUB, unless it is kept (`parts` None), with the PDF's page list; then the checks
    that read only the Book, the layout and the EPUB. Forked while the PDF is made;
    `parts`: the job preparing its images and fonts, whose result is read here (tens of
    MB on a long book: the build process does not wait for them)."""
    parts = parts.result() if isinstance(parts, Job) else parts
    epub = made.current("epub") if "epub" not in made.kept else None
    made_epub = write_epub(book, epub, layout.page_starts, styles=cache.styles,
                           parts=parts, pages=layout.pages) if epub else None
    context = CheckContext(book, layout, made.paths, epub=cache.kept_infos(made_epub, None)[0],
                           memo=memo)
    if options.checks:
        expected_sentences(book, False, memo)  # (the EPUB's: no printed addresses)
    return made_epub, early_checks(options, cache, LAYOUT_AND_EPUB_CHECKS, context)


def early_checks(options: BuildOptions, cache: BuildCache, checks: list,
                 context: CheckContext) -> dict:
    """Those of `checks` that must run, run now (in a child beside other work, or here
    before the rest); `run_checks` takes their results. They read only what `context`
    holds (a check that reads the layout or an output it does not hold is not in
    `checks`)."""
    if not options.checks:
        return {}
    return cache.run_early(checks, context, lambda: context.layout)


def run_checks(options: BuildOptions, cache: BuildCache, result: BuildResult,
               outputs: dict[str, Path], early: dict | None = None,
               later: list | None = None) -> list[Finding]:
    """The fast checks, each reused while nothing it read last time changed; the validators.

    `outputs`: each output's file, staged (under its final name) or kept from before.
    `early`: results of checks already run elsewhere; `later`: (checks, results) pairs:
    checks run meanwhile elsewhere (or last, here) and a function that waits for their
    results. Each is called, checks or not: the jobs they wait for make outputs too."""
    def layout():
        return result.layout
    context = CheckContext(result.book, result.layout, outputs, result.booklet, result.epub)
    kept = cache.cached_validators() if options.validate else None
    validators = start_validators(context) if options.validate and kept is None else None
    later = later or []
    if options.checks:
        findings = cache.run_checks(FAST_CHECKS, context, layout, early, later)
    else:
        findings = []
        for _, results in later:
            results()  # the jobs make outputs too: wait for them
    if validators:  # epubcheck and Ace ran meanwhile, in threads
        kept = validators.result()
        cache.validated(kept)
    return findings + (kept or [])


def check_only(options: BuildOptions) -> BuildResult:
    """Re-check the outputs already in `options.out`, without rebuilding them."""
    result = BuildResult(book=annotate(load_book(options.manuscript)), layout=None)
    slug = result.book.metadata.slug
    expected = {kind: options.out / (slug + suffix) for kind, suffix in OUTPUT_SUFFIXES.items()
                if kind != "proof"}  # the proof sheet is for people, not checked
    printed = expected["print-pdf"]
    if options.sheet == "auto" and printed.exists() and refusal(printed):
        for kind in BOOKLET_KINDS:  # no booklet: the pages fit no sheet (PRN-010 says so)
            del expected[kind]
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
