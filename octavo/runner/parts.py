"""The per-part layout, on every core, each part kept while its inputs are unchanged.

`PartCache(options, styles, outputs).lay_out(parts, book, workers)` gives each part's
layout (`paged.part.PartLayout`): each part (paged/document.py) whose inputs changed is
laid out and written by a worker (runner/fanout.py) into the build's staging folder (a
build that fails leaves nothing behind); each other part is read back from
`dist/.octavo-parts/`: its layout record (`<key>.json`) and its tagged PDF
(`<key>.pdf`). `keep()` moves the new parts there once the build succeeded. A part's key is the hash of everything its layout and its PDF are made
from: its HTML (the chapter's text, its figures, its links), the side it starts on,
the bytes of the images it shows, the paged stylesheets, Octavo's code and the
installed packages (`cache.code_fingerprint`), the PDF's dates and identifiers. The
same inputs give the same bytes, so a part kept is the part a clean build makes.

After a build, the parts it did not use are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from ..errors import OctavoError
from ..manuscript.book import Book
from ..manuscript.design import Design
from ..paged.document import Part
from ..paged.pagination import BookLayout
from ..paged.part import PartLayout, lay_out_part
from ..paged.render import PAGED_CSS, shared_styles
from ..paged.write import PdfIdentity, pdf_identity
from ..manuscript.metadata import load_metadata
from ..paged.render import warm_up
from .cache import EPUB_ONLY, BuildCache, code_fingerprint, tree_fingerprint
from .fanout import Workers, cores, report
from .memo import Memo
from .parallel import Job

FOLDER = ".octavo-parts"
GUESSES = "placements.guesses"  # each part's first placement, by name (paged/ahead.py)
FORMAT = 2


def _lay_out(part: Part, manuscript: Path, styles_dir: Path, design: Design,
             identity: PdfIdentity, target: Path, guess: dict | None = None) -> PartLayout:
    """A worker's task: one part, its PDF written to a temporary name, then to `target`.
    `guess`: the placement the last build decided first for a part of that name."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    laid = lay_out_part(part, shared_styles(PAGED_CSS, styles_dir, manuscript, design),
                        manuscript, identity, partial,
                        tell=lambda kind, value: report((kind, value)), apart=Job,
                        guess=guess)
    os.replace(partial, target)
    laid.pdf = str(target)
    return laid


_EARLY: list = []  # (options, Workers) started by `start_layout_workers`, not yet used


def start_layout_workers(options) -> None:
    """Fork the layout workers for a build of `options` now, before the rest of the
    pipeline is imported (launch.py): they warm up while the build process imports it
    and reads the manuscript. `layout_workers` then hands them to the build."""
    _EARLY.append((options, layout_workers(options, BuildCache(options))))


def stop_early_workers() -> None:
    """Those started early that no build took (it found nothing to remake, or failed)."""
    while _EARLY:
        _EARLY.pop()[1].close()


def layout_workers(options, cache) -> Workers:
    """The layout workers, forked at once (one per core at most; fewer when the last
    build's parts are likely kept, see `BuildCache.workers`), each warming up: the
    stylesheets parsed, the fonts found, the book's hyphenation dictionary read. Those
    `start_layout_workers` forked for these `options`, if any."""
    if _EARLY and _EARLY[-1][0] is options:
        return _EARLY.pop()[1]
    stop_early_workers()
    try:
        metadata = load_metadata(options.manuscript)
    except OctavoError:  # the build reports it, with the rest of what loading finds
        metadata = None
    return Workers(cache.workers(cores()), cores(), warm_up, cache.styles,
                   metadata.language if metadata else "en", Path(options.manuscript),
                   metadata.design if metadata else None,
                   eager=1 if metadata and len(metadata.chapters) == 1 else None)


class PartCache:
    def __init__(self, options, styles: Path, outputs):
        self.enabled = getattr(options, "cache", True)
        self.folder = Path(options.out) / FOLDER
        self.styles = Path(styles)
        self.staging = outputs.scratch_folder("parts")
        self.memo = Memo(self.folder, self.staging) if self.enabled else None
        self.used: set[str] = set()
        self.made: list[str] = []  # the keys of the parts laid out by this build (not kept)
        self.made_parts: list[str] = []  # their names
        self.spared = False  # `lay_out`'s spare work done
        self.placements: dict[str, dict] = {}  # decided from each part's first layout, by
        #                                       name: the next build's guesses

    def _key(self, part: Part, book: Book, identity: PdfIdentity, styles: str) -> str:
        digest = hashlib.sha256()
        for piece in (FORMAT, code_fingerprint(), styles, part.name, part.side,
                      part.numbering, part.opens, part.apart, part.html, identity.stamp,
                      identity.xmp_id,
                      identity.screen.decode(), book.metadata.design):
            digest.update(str(piece).encode() + b"\0")
        for sheet in book.metadata.design.stylesheets:  # the book's own CSS
            path = book.folder / sheet.file
            digest.update(sheet.file.encode() + b"\0")
            if path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        for src in part.images:
            path = book.folder / src
            digest.update(src.encode() + b"\0")
            if path.is_file():
                with open(path, "rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
        return digest.hexdigest()[:32]

    def _kept(self, key: str) -> PartLayout | None:
        if not self.enabled:
            return None
        record, pdf = self.folder / f"{key}.json", self.folder / f"{key}.pdf"
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or not pdf.is_file():
                return None
            laid = PartLayout.from_json(data["layout"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        laid.pdf, laid.key = str(pdf), key
        return laid

    def _record(self, folder: Path, key: str, laid: PartLayout) -> None:
        data = {"format": FORMAT, "layout": {**laid.to_json(), "pdf": None}}
        (folder / f"{key}.json").write_text(json.dumps(data), encoding="utf-8")

    def lay_out(self, parts: list[Part], book: Book, workers, assembly=None, placed=None,
                spare=None) -> list[PartLayout]:
        """Each part's layout: kept, or made on `workers` (in the parts' order). It may
        be called again for parts made from the others' page numbers (a contents page,
        an index: `pagination.paginate` numbers them all together). The parts kept are
        taken into `assembly` (paged/assemble.py) while the workers lay out the others;
        `placed(sizes)` hears where a part's images are placed as soon as a worker knows
        (before it writes the part's PDF), once no part waits for a worker (before that,
        every core is busy laying out). A lone chapter measured in halves (render.py)
        has two cores until it is measured: no other part starts meanwhile. `spare()`:
        work for this process once the kept parts are taken, if a core is left idle
        (fewer parts to lay out than workers, none in halves); called once a build."""
        staging = self.staging
        identity = pdf_identity(book)
        styles = tree_fingerprint(self.styles, skip=EPUB_ONLY)
        keys = [self._key(part, book, identity, styles) for part in parts]
        self.used |= set(keys)
        laid: list[PartLayout | None] = [self._kept(key) for key in keys]
        missing = [index for index, found in enumerate(laid) if found is None]

        idle_cores = len(missing) < workers.limit and not any(parts[i].apart for i in missing)
        idle = spare is not None and idle_cores

        def take_kept() -> None:  # while the workers lay out the others
            for part in laid:
                if part is not None and assembly is not None:
                    assembly.take(part)
            if idle and not self.spared:
                self.spared = True
                spare()
        guesses = self._guesses() if missing and idle_cores else {}  # (laid out ahead
        #                                  on a core no other part takes: paged/ahead.py)
        made = workers.map(_lay_out, [(parts[i], book.folder, self.styles,
                                       book.metadata.design, identity,
                                       staging / f"{keys[i]}.pdf",
                                       guesses.get(parts[i].name)) for i in missing],
                           [len(parts[i].html) for i in missing],
                           meanwhile=take_kept if assembly is not None or idle else None,
                           early=lambda _, told: told[0] == "placed" and placed and
                           not workers.queued and placed(told[1]),
                           spread=[2 if parts[i].apart else 1 for i in missing])
        for index, part_layout in zip(missing, made):
            self._record(staging, keys[index], part_layout)
            part_layout.key = keys[index]
            laid[index] = part_layout
        self.made += [keys[i] for i in missing]
        self.made_parts += [parts[i].name for i in missing]
        self.placements.update((part.name, laid_out.first_placement)
                               for part, laid_out in zip(parts, laid)
                               if laid_out.first_placement)
        return laid

    def _guesses(self) -> dict:
        """The placement each part's figures were given from its first layout in the last
        build, by the part's name."""
        if not self.enabled:
            return {}
        try:
            return json.loads((self.folder / GUESSES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def keep(self) -> None:
        """Once the build has succeeded: its new parts and results into the cache, and
        those it did not use out of it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for key in self.made:
            for suffix in (".pdf", ".json"):
                os.replace(self.staging / f"{key}{suffix}", self.folder / f"{key}{suffix}")
        for path in self.folder.iterdir():
            if path.suffix in (".pdf", ".json") and path.stem not in self.used \
                    or path.name.startswith("."):
                path.unlink(missing_ok=True)
        if self.enabled:
            partial = self.folder / f".{GUESSES}.{os.getpid()}"
            partial.write_text(json.dumps(self.placements, sort_keys=True), encoding="utf-8")
            os.replace(partial, self.folder / GUESSES)
        if self.memo is not None:
            self.memo.keep()


def layout_record(layout: BookLayout) -> dict:
    """What the build cache keeps of the layout (the report reads the page count)."""
    return {"pages": layout.page_count, "parts": [part.name for part in layout.parts],
            "page_starts": [list(asdict(start).values()) for start in layout.page_starts]}
