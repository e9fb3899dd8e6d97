"""Starting a build, for the command line and the watcher.

Nothing changed since the last build: its summary is read back from the cache, without
importing WeasyPrint. Otherwise `build()` runs in a forked child, inside the time and
memory budgets (`runner.child`), and sends back a small picklable `BuildSummary`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .runner.cache import BuildCache, booklet_info, elapsed
from .runner.child import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, batch_garbage_collection, \
    run_limited


@dataclass(frozen=True)
class BuildSummary:
    """What the command line shows after a build: picklable, small."""
    slug: str
    pages: int | None  # None for --check-only
    figures: int
    placeholders: tuple[str, ...]
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> final path
    booklet: object | None = None  # booklet.BookletInfo
    findings: list = field(default_factory=list)  # checks.Finding
    timings: dict[str, float] = field(default_factory=dict)


def summarise(result) -> BuildSummary:
    """The summary of a `build.BuildResult`."""
    layout, booklet = result.layout, result.booklet
    pages = layout.page_count if layout is not None else (  # no layout: the PDFs were kept
        booklet.pages_in if booklet is not None else None)
    return BuildSummary(
        slug=result.book.metadata.slug, pages=pages, figures=len(result.book.figures),
        placeholders=tuple(figure.src for figure in result.book.placeholders),
        outputs=dict(result.outputs), booklet=result.booklet,
        findings=list(result.findings), timings=dict(result.timings))


def run_build(options, check_only: bool = False, time_limit: float = DEFAULT_TIME_LIMIT,
              memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> BuildSummary:
    """`build(options)` (or `check_only`) in a child process, within the budgets.

    The child imports the pipeline (WeasyPrint...) itself, unless this process already
    has (watch mode): memory the child inherits is shared with this process until the
    child writes to it, and each first write costs a page copy (about 0.3 s of system
    time over a 300-page build)."""
    def work():
        if not check_only:  # the layout stage first: its workers warm up meanwhile
            from .runner.parts import start_layout_workers, stop_early_workers
            batch_garbage_collection()  # (what the workers inherit stays shared)
            start_layout_workers(options)
        from .build import build, check_only as check
        batch_garbage_collection()  # the pipeline's modules are loaded now
        try:
            return summarise((check if check_only else build)(options))
        finally:
            if not check_only:
                stop_early_workers()
    return run_limited(work, options.out, time_limit, memory_limit)


def reuse_unchanged(options):
    """The command line's summary of the last build when nothing changed since, else None.

    Cheap: hashes the inputs and looks at the outputs' sizes and times; imports nothing
    heavy, so an unchanged rebuild answers in a small fraction of a second.
    """
    started = time.perf_counter()
    cache = BuildCache(options)
    if not cache.up_to_date():
        return None
    summary = cache.old["summary"]
    return BuildSummary(
        slug=summary["slug"], pages=summary["pages"], figures=summary["figures"],
        placeholders=tuple(summary["placeholders"]),
        outputs=cache.recorded(),
        booklet=None if options.quiet else booklet_info(cache.old.get("booklet")),  # for printing
        findings=cache._findings(cache.old.get("all_findings", [])),
        timings={"unchanged": elapsed(started)})


