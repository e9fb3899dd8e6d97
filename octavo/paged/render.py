"""The paged layout of one part of the book: WeasyPrint lays it out (as many times as
placing its figures needs), with what happened while it was made (warnings, page fill).

`Styles` are the book's parsed stylesheets (Octavo's, design.css filled with the book's
[design] values, the book's own: stylesheets.py), made once per process; `render_part`
lays out one `Part` (paged/document.py). The parts of a book are laid out apart, in
worker processes (runner/fanout.py), and their pages put together afterwards
(paged/pagination.py: the page map the contents, the index and "on page N" read;
paged/assemble.py)."""

from __future__ import annotations

import copy
import functools
from html import escape
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import weasyprint
from lxml import html as lxml_html
from weasyprint.text.fonts import FontConfiguration

from ..manuscript.fetcher import MANUSCRIPT_URL, SafeFetcher
from ..options import STYLES
from ..manuscript.design import Design
from .document import Part
from . import relayout
from .ahead import Ahead, Handover
from .folios import take_folios
from .halves import cut, measured_apart
from .layout_map import page_fill
from .placement import RUNT, TRIGGER, Placement, children_of, decide, layout_penalty
from .stylesheets import design_stylesheets

# One layout serves both PDFs: bleed and crop marks (print.css) do not move a line.
# design.css is a template of values, filled from the book's [design] table; the book's
# own stylesheets come last (stylesheets.py). structure.css: a book's contents page,
# folios, openings, captions, references and index. scripts.css, blocks.css, math.css:
# every script's fonts; callouts, verse and the rest of the dialect; math (issue 14).
PAGED_CSS = ("base.css", "structure.css", "design.css", "print.css", "scripts.css",
             "blocks.css", "math.css")
ICC_PROFILES = Path("/usr/share/color/icc")  # Debian's profiles (libgs-common, colord)
# scripts.css names installed fonts with `local()` (Octavo Greek): WeasyPrint reads the
# file fontconfig finds through the stylesheets' fetcher. Only Octavo's own stylesheets
# use it; a manuscript's raw HTML never carries CSS.
SYSTEM_FONTS = Path("/usr/share/fonts")


class _CollectWarnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def captured_weasyprint_warnings():
    """Collect WeasyPrint's warnings (they become findings) instead of printing them."""
    handler = _CollectWarnings()
    logger = weasyprint.LOGGER
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


@dataclass
class Styles:
    """The paged stylesheets of a book's design, parsed once per process, and what
    parsing them said."""
    css: list
    color_profiles: dict
    fetcher: SafeFetcher  # what Octavo's stylesheets may read (styles/, the ICC profiles)
    folder: Path
    design: Design = field(default_factory=Design)
    warnings: list[str] = field(default_factory=list)
    problems: list = field(default_factory=list)  # (file, line, message) in the book's CSS
    fetchers: list = field(default_factory=list)  # every fetcher the stylesheets read through
    font_config: FontConfiguration | None = None  # their @font-face rules (scripts.css)

    @property
    def refused(self) -> list[str]:
        return [message for fetcher in self.fetchers for message in fetcher.refused]


def load_styles(stylesheets: tuple[str, ...] = PAGED_CSS, styles_dir: Path = STYLES,
                manuscript: Path | None = None, design: Design | None = None) -> Styles:
    """Octavo's stylesheets (design.css filled with `design`'s values), then the book's
    own (`design.stylesheets`, in the `manuscript` folder): stylesheets.py."""
    # The stylesheets may also read the system's ICC profiles (print.css's output intent).
    fetcher = SafeFetcher([styles_dir, ICC_PROFILES, SYSTEM_FONTS])
    color_profiles: dict = {}
    font_config = FontConfiguration()  # Octavo's stylesheets' @font-face rules
    design = design or Design()
    sheets = design_stylesheets(Path(manuscript or styles_dir), design, stylesheets,
                                Path(styles_dir), fetcher, color_profiles,
                                captured_weasyprint_warnings, font_config)
    for profile in color_profiles.values():
        _pin(profile)
    return Styles(sheets.css, color_profiles, fetcher, Path(styles_dir), design,
                  sheets.warnings, sheets.problems, sheets.fetchers, font_config)


def _pin(profile) -> None:
    """A colour profile embeds the same bytes in every part. WeasyPrint embeds
    `ColorProfile.content`, LittleCMS's serialisation of the profile, which changes once
    the profile's name has been read (by the first write of a process): a worker's
    second part would embed other bytes than its first. The first serialisation, kept."""
    pinned = profile.content
    profile.__class__ = type("PinnedColorProfile", (type(profile),),
                             {"content": property(lambda self: pinned)})


def _files(folder: Path, names=None) -> tuple:
    return tuple(sorted((path.name, path.stat().st_size, path.stat().st_mtime_ns)
                        for path in (Path(folder).iterdir() if names is None
                                     else (Path(folder) / name for name in names))
                        if path.is_file()))


def shared_styles(stylesheets: tuple[str, ...], styles_dir: Path,
                  manuscript: Path | None = None, design: Design | None = None) -> Styles:
    """`load_styles`, once per process while the styles folder's files (and the book's
    stylesheets) are unchanged (a layout worker lays out many parts; the watcher parses
    them once for its rebuilds)."""
    design = design or Design()
    book_files = _files(manuscript, [sheet.file for sheet in design.stylesheets]) \
        if manuscript is not None else ()
    return _parsed_styles(stylesheets, Path(styles_dir), _files(styles_dir),
                          Path(manuscript) if manuscript is not None else None, design,
                          book_files)


@functools.lru_cache(maxsize=4)
def _parsed_styles(stylesheets: tuple[str, ...], styles_dir: Path, files: tuple,
                   manuscript: Path | None, design: Design, book_files: tuple) -> Styles:
    return load_styles(stylesheets, styles_dir, manuscript, design)


WARM_UP = "<!DOCTYPE html><html lang='{}'><body><p>{}</p><p><em>{}</em></p></body></html>"


def warm_up(styles_dir: Path, language: str, manuscript: Path | None = None,
            design: Design | None = None, waiting=None) -> None:
    """What every first layout in a process costs, paid before any part is ready: the
    stylesheets parsed, the fonts found, the hyphenation dictionary of `language` read
    (a worker does this while the build reads the manuscript). The fonts and the
    dictionary are found by a small layout, unless `waiting()` says a part is ready (a
    build without fork lays its parts out at once): its own layout finds them then, and
    the small one would only delay it. The small one's folio makes the subset of the
    font page numbers are set in (paged/folios.py)."""
    styles = shared_styles(PAGED_CSS, Path(styles_dir), manuscript, design)
    if waiting is not None and waiting():
        return
    words = " ".join(["Typesetting warms the hyphenation dictionary up"] * 12)
    with captured_weasyprint_warnings():
        document = weasyprint.HTML(string=WARM_UP.format(escape(language), words, words)
                                   ).render(stylesheets=styles.css,
                                            color_profiles=styles.color_profiles,
                                            font_config=styles.font_config)
        take_folios(document)  # its page's folio: the font subset it is drawn in, made
        #                        once per process (0.04-0.08 s)


@dataclass
class Layout:
    """One part laid out: a WeasyPrint document and what happened while making it."""
    document: weasyprint.Document
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fills: list = field(default_factory=list)  # layout_map.PageFill per page
    placement: Placement = field(default_factory=Placement)  # figures moved or made snug
    renders: int = 1  # layouts made to place the figures
    css_problems: list = field(default_factory=list)  # (file, line, message) in the book's CSS
    first_placement: dict | None = None  # decided from the first layout: {"deferred", "snug"}

    @property
    def page_count(self) -> int:
        return len(self.document.pages)


MAX_RENDERS = 3  # layouts of one part while placing its figures (see placement.decide)


def render_part(part: Part, styles: Styles, manuscript: Path, apart=None,
                tell=None, guess=None, finish=None):
    """Lay out one part, then place its figures better and lay it out again if needed.

    See placement.py: the first layout tells how tall every block and figure is, and
    `decide` places all the part's figures from it; a layout then checks the decisions
    (and a little more is decided from it, when a guess was off). A layout that came out
    worse than the best is looked at too: it measured the arrangement it tried, which the
    guess could only predict (a page of notes predicts least well). A decision that
    leaves the document as it was, or makes one already laid out, costs no layout; the
    best layout made is kept. A part whose chapter is measured apart (`Part.apart`, the
    lone chapter of an article) is first laid out in two halves side by side, `apart`
    running the second (halves.py); its figures are placed from what they measure, and
    `tell("measured", None)` says when the core `apart` took is free again.

    `guess`: the placement the last build decided from the part's first layout
    ({"deferred", "snug"}), laid out ahead in a helper (ahead.py) while the first layout
    is made; if the first decision is that placement again, the helper goes on and
    gives `finish(layout, say)` of the best layout (a part.PartLayout, its PDF written),
    which this returns instead of the Layout (`tell` hears what `finish` tells).
    """
    fetcher = SafeFetcher([manuscript, styles.folder], aliases={MANUSCRIPT_URL: manuscript})
    tree = lxml_html.document_fromstring(part.html)
    section = tree.get_element_by_id(part.chapter) if part.chapter else None
    children = children_of(section) if section is not None else []
    # snug heights follow the trim
    loop = _Loop(Placement(scale=styles.design.scale[1]))

    made: list = []  # what each layout leaves for a later one to start from

    def lay_out(html: str):
        with captured_weasyprint_warnings() as messages:
            source = weasyprint.HTML(string=html, base_url=MANUSCRIPT_URL,  # the same in
                                     url_fetcher=fetcher)  #                  every checkout
            seed = relayout.starting(made, source, part.chapter)
            with relayout.recording(source, part.chapter) as kept, relayout.started(seed):
                document = source.render(stylesheets=styles.css,
                                         color_profiles=styles.color_profiles,
                                         font_config=styles.font_config)
        made.extend(kept)
        return document, messages

    def step(html: str, document, messages) -> str | None:
        """One layout looked at; the HTML of the next one to make, or None."""
        loop.seen.add(html)
        loop.renders += 1
        layout = Layout(document, styles.warnings + messages,
                        fetcher.refused + styles.refused, css_problems=styles.problems)
        layout.fills = page_fill(document)
        layout.placement = loop.placement.copy()
        if loop.best is None or layout_penalty(layout.fills) < layout_penalty(loop.best.fills):
            loop.best = layout
        if loop.renders >= MAX_RENDERS or part.chapter is None or \
                not _worth_placing(layout.fills):
            return None
        loop.placement = decide(loop.placement, document, layout.fills, children, part.chapter)
        if loop.first is None and loop.placement is not None:
            loop.first = {"deferred": dict(loop.placement.deferred),
                          "snug": dict(loop.placement.snug)}
        html = _placed(tree, part, loop.placement) if loop.placement is not None else None
        return None if html is None or html in loop.seen else html

    def go_on(guessed: str, document, messages, handover: Handover, say):  # in the helper
        loop.placement, loop.seen, loop.renders, loop.first = (
            handover.placement, handover.seen, handover.renders, handover.first)
        loop.best = _Theirs(handover.best_fills)
        fetcher.refused[:0] = handover.refused  # (the first layout's, before this one's)
        html = step(guessed, document, messages)
        while html is not None:
            html = step(html, *lay_out(html))
        if isinstance(loop.best, _Theirs):
            return loop.renders
        loop.best.renders, loop.best.first_placement = loop.renders, loop.first
        return finish(loop.best, say)

    html = part.html
    at = cut(section) if part.apart and section is not None else None
    if at is not None:  # measured in halves: decided from them, then laid out whole
        loop.renders += 1
        first, flow = measured_apart(lambda half: lay_out(half)[0], tree, part.chapter, at,
                                     len(children), apart)
        decided = decide(loop.placement, first, page_fill(first), children, part.chapter,
                         flow) if flow is not None else None
        if decided is not None:
            loop.placement, html = decided, _placed(tree, part, decided)
    if part.apart and tell is not None:
        tell("measured", None)
    ahead = _ahead(tree, part, styles, guess, lay_out, go_on) if finish is not None \
        and at is None and section is not None else None
    try:
        while html is not None:
            html = step(html, *lay_out(html))
            if ahead is not None:
                if html is not None and html == ahead.html:
                    done = ahead.hand(Handover(loop.placement, loop.seen, loop.renders,
                                               loop.best.fills, list(fetcher.refused),
                                               loop.first),
                                      lambda value: tell and tell(*value))
                    if isinstance(done, int):  # the first layout was the best
                        loop.renders, html = done, None
                    elif done is not None:
                        return done
                ahead.stop()
                ahead = None
    finally:
        if ahead is not None:
            ahead.stop()
    loop.best.renders, loop.best.first_placement = loop.renders, loop.first
    return loop.best


@dataclass
class _Loop:
    """`render_part`'s layouts so far: the placement decided, the HTML laid out, how
    many, the best."""
    placement: Placement
    seen: set = field(default_factory=set)
    renders: int = 0
    best: "Layout | _Theirs | None" = None
    first: dict | None = None  # the placement decided from the first layout


@dataclass
class _Theirs:
    """In the helper: the worker's best layout, known by its fills."""
    fills: list


def _ahead(tree, part: Part, styles: Styles, guess: dict | None, lay_out, go_on):
    """The part laid out ahead with the placement `guess` (ahead.py), or None when there
    is no guess, or it moves nothing."""
    if not guess or not (guess.get("deferred") or guess.get("snug")):
        return None
    placement = Placement(dict(guess.get("deferred", {})), dict(guess.get("snug", {})),
                          scale=styles.design.scale[1])
    html = _placed(tree, part, placement)
    if html == part.html:
        return None
    made = Ahead(html, lay_out, go_on)
    return made if made.pid is not None else None


def _worth_placing(fills) -> bool:
    """Is a page before a figure less full than TRIGGER (or the chapter's end a runt)? A
    layout costs more than deciding: a chapter with only small holes keeps its first."""
    text = [fill for fill in fills if fill.is_text]
    return any(fill.fill < TRIGGER and after.first_is_figure
               for fill, after in zip(fills, fills[1:]) if fill.is_text) or (
        len(text) >= 2 and text[-1].fill < RUNT)


def _placed(tree, part: Part, placement: Placement) -> str:
    """The part's HTML with its chapter's figures moved and sized as decided."""
    root = copy.deepcopy(tree)
    section = root.get_element_by_id(part.chapter)
    placement.apply(section)
    return lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")

