"""The pipeline, stage by stage. Read `build()` first."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .epub import write_epub
from .manuscript import Book, load_book
from .outputs import Outputs
from .pdf import PAGED_CSS, Layout, page_starts, render, write_print_pdf, write_screen_pdf


@dataclass
class BuildOptions:
    manuscript: Path = Path("manuscript")
    out: Path = Path("dist")
    validate: bool = False  # also run the external validators (epubcheck, Ace)
    release: bool = False  # warnings fail the build too
    quiet: bool = False


@dataclass
class BuildResult:
    book: Book
    layout: Layout
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> final path
    timings: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    def __init__(self, timings: dict[str, float]):
        self.timings, self.start = timings, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now


def build(options: BuildOptions) -> BuildResult:
    timings: dict[str, float] = {}
    clock = _Stopwatch(timings)
    book = load_book(options.manuscript)                    # manuscript → Book
    clock.lap("load")
    layout = render(book, PAGED_CSS)                        # one layout for every PDF
    clock.lap("layout")
    starts = page_starts(layout)                            # PDF pages → places in the text
    slug = book.metadata.slug
    result = BuildResult(book, layout, timings=timings)
    with Outputs(options.out) as outputs:                   # all-or-nothing writes
        screen = outputs.path(f"{slug}.pdf")
        write_screen_pdf(layout, book, screen)
        clock.lap("screen-pdf")
        printed = outputs.path(f"{slug}-print.pdf")
        write_print_pdf(layout, book, printed)
        clock.lap("print-pdf")
        epub = outputs.path(f"{slug}.epub")
        write_epub(book, epub, starts)
        clock.lap("epub")
        result.outputs = {"pdf": outputs.final(screen), "print-pdf": outputs.final(printed),
                          "epub": outputs.final(epub)}
    return result
