"""Incremental builds: a content-hash cache of each output's inputs.

`dist/.octavo-cache.json` records, for every output, the hash of what it was made
from, and the file as it was left (size, mtime). A build then remakes only the
outputs whose inputs changed (or whose file was removed or touched):

    layout     = code + manuscript folder + paged styles (styles/ except epub.css)
                 (the book's layout; each part of it is kept on its own, by its own
                 inputs, in runner/parts.py: an edit to one chapter remakes the PDFs,
                 and lays out that chapter alone; the book's code and manuscript
                 include the bundled CSL styles, styles/csl/)
    pdf, print-pdf, proof, other paged outputs = layout + SOURCE_DATE_EPOCH
    booklet, booklet-txt (its instructions; made together)
               = layout + SOURCE_DATE_EPOCH + the imposition options
    epub       = code + manuscript + styles/epub.css (and the code-wrap mark it shares
                 with base.css) + SOURCE_DATE_EPOCH + the PDF's
                 page starts (the EPUB's page list follows the PDF's pages)

`code` is every source file of the `octavo` package, the Python version and the
installed distributions (a WeasyPrint upgrade rebuilds everything). So editing
epub.css remakes the EPUB alone; editing base.css re-lays the book out and remakes
the PDFs, and the EPUB only if a page now starts elsewhere; editing the text remakes
everything. Fonts installed on the system are not hashed: `--no-cache` after that.

Check findings are cached too, each check with the inputs it read during its last
run (recorded, not declared: see `RecordingContext`), so a check reruns only when
something it looked at changed. When nothing at all changed, `up_to_date()` says so
from file hashes alone, without importing WeasyPrint or reading the manuscript.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ..options import STYLES

CACHE_NAME = ".octavo-cache.json"
FORMAT = 4
TOGETHER = ("booklet", "booklet-txt")  # made by one job: both remade if either must be
EPUB_STYLES = ("epub.css", "wrap-mark.svg")  # the EPUB's files in styles/
EPUB_ONLY = ("epub.css",)  # everything else in styles/ is for the paged (PDF) outputs
REPORT_NAME = "report.json"
ALL_OUTPUTS = "out:*"


def _hash(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _ignored(name: str) -> bool:
    """Hidden files and editors' temporary files are not manuscript content."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


def tree_fingerprint(folder: Path, skip: tuple[str, ...] = ()) -> str:
    """One hash of every file under `folder`: names and contents (symlinks by target)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    if not folder.is_dir():
        return "missing"
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _ignored(d))
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if _ignored(name) or relative in skip:
                continue
            digest.update(relative.encode() + b"\0")
            if path.is_symlink():  # never follow one out of the folder (or into a FIFO)
                digest.update(b"link:" + os.readlink(path).encode() + b"\0")
            elif path.is_file():
                with open(path, "rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def files_fingerprint(folder: Path, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = Path(folder) / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Octavo's own source, the Python version and the installed distributions."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    spec = importlib.util.find_spec("weasyprint")  # finds, does not import
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        digest.update("\n".join(sorted(n for n in os.listdir(site)
                                       if n.endswith(".dist-info"))).encode())
    return digest.hexdigest()


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


class BuildCache:
    """What the last build into `options.out` made, and from what."""

    def __init__(self, options):
        self.options = options
        self.enabled = getattr(options, "cache", True)
        self.out = Path(options.out)
        self.file = self.out / CACHE_NAME
        self.styles = Path(getattr(options, "styles", None) or STYLES)
        self.old = self._load()
        code = code_fingerprint()
        # The bundled CSL styles format the citations of every output, the EPUB's too.
        self.book_key = _hash("book", code, tree_fingerprint(Path(options.manuscript)),
                              tree_fingerprint(STYLES / "csl"))
        paged = tree_fingerprint(self.styles, skip=EPUB_ONLY)
        self.design_key = _hash("design", code, paged)  # what every part's layout reads
        self.layout_key = _hash("layout", self.book_key, paged)
        self.epub_styles = files_fingerprint(self.styles, EPUB_STYLES)
        self.date = os.environ.get("SOURCE_DATE_EPOCH")
        self.booklet_options = sorted((getattr(options, "imposition", None) or {}).items())
        self.inputs_key = _hash(self.layout_key, self.epub_styles, self.date,
                                self.booklet_options, bool(getattr(options, "validate", False)))
        self.new: dict[str, Any] = {"format": FORMAT, "inputs": self.inputs_key,
                                    "outputs": {}, "checks": {}, "validators": None,
                                    "layout": None}
        self._starts: list | None = None
        self._pages: dict | None = None
        self._keys: dict[str, str] = {}

    # -- reading the record ------------------------------------------------------------

    def _load(self) -> dict:
        if not self.enabled:
            return {}
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("format") == FORMAT else {}

    def _intact(self, kind: str) -> bool:
        entry = self.old.get("outputs", {}).get(kind)
        return bool(entry) and _stamp(self.path(kind)) == entry["stamp"]

    def path(self, kind: str) -> Path:
        """Where the last build put `kind` (file names are recorded: the folder may move)."""
        return self.out / self.old["outputs"][kind]["file"]

    def recorded(self) -> dict[str, Path]:
        return {kind: self.path(kind) for kind in self.old.get("outputs", {})}

    def up_to_date(self) -> bool:
        """Nothing changed since the last build, and its outputs are as it left them."""
        old = self.old
        return self.enabled and bool(old.get("outputs")) and bool(old.get("summary")) \
            and old.get("inputs") == self.inputs_key \
            and all(self._intact(kind) for kind in old["outputs"]) \
            and (self.out / REPORT_NAME).is_file()

    def reuse(self, result, book):
        """Fill `result` from the record of the last build (nothing is rebuilt)."""
        result.book = book
        result.outputs = self.recorded()
        result.findings = self._findings(self.old.get("all_findings", []))
        result.epub, result.booklet = self.kept_infos(None, None)
        result.reused = list(result.outputs)
        return result

    # -- what to rebuild -----------------------------------------------------------------

    def key(self, kind: str) -> str:
        if kind == "epub":  # not memoised: the page starts arrive with the layout
            return _hash("epub", self.book_key, self.epub_styles, self.date,
                         self.page_starts_digest())
        if kind not in self._keys:
            if kind in TOGETHER:
                self._keys[kind] = _hash(kind, self.layout_key, self.date, self.booklet_options)
            else:
                self._keys[kind] = _hash(kind, self.layout_key, self.date)
        return self._keys[kind]

    def stale(self, kind: str) -> bool:
        """Must `kind` be made again? (Always, with --no-cache.)"""
        if kind in TOGETHER:
            return any(self._stale(other) for other in TOGETHER)
        return self._stale(kind)

    def _stale(self, kind: str) -> bool:
        entry = self.old.get("outputs", {}).get(kind)
        return not (self.enabled and entry and entry["key"] == self.key(kind)
                    and self._intact(kind))

    def workers(self, cores: int) -> int:
        """How many layout workers to start before the book is read: none when the layout
        cannot have changed, one when only the manuscript did (an edit usually changes
        one part; more are started if more parts changed), else one per core."""
        layout = self.old.get("layout") or {}
        if not self.enabled or not layout:
            return cores
        if layout.get("key") == self.layout_key:
            return 0
        return 1 if layout.get("design") == self.design_key else cores

    def laid_out(self, layout, starts) -> None:
        """Record the layout's page starts (PageStart tuples), page count and page map."""
        self._starts = [list(dataclasses.astuple(start)) for start in starts]
        self._pages = layout.pages.to_json() if layout.pages is not None else None
        self.new["layout"] = {"key": self.layout_key, "design": self.design_key,
                              "pages": layout.page_count, "page_starts": self._starts,
                              "page_map": self._pages}

    def page_starts_digest(self) -> str:
        return _hash(self._starts, self._pages)

    def outputs(self, outputs) -> "Made":
        self.made = Made(self, outputs)
        return self.made

    def kept_infos(self, epub, booklet):
        """What the EPUB writer and the imposer said: this build's, else the last one's."""
        return epub or _epub(self.old.get("epub")), booklet or booklet_info(self.old.get("booklet"))

    # -- checks ----------------------------------------------------------------------------

    def _kept_checks(self, checks: list[Callable]) -> dict:
        """The last build's entry of each check whose inputs did not change since."""
        old = self.old.get("checks", {}) if self.enabled else {}
        names = {check: f"{check.__module__}.{check.__qualname__}" for check in checks}
        return {check: old[names[check]] for check in checks if names[check] in old and all(
            self._dependency(dep) == value for dep, value in old[names[check]]["deps"].items())}

    def must_run(self, checks: list[Callable]) -> list[Callable]:
        """Those of `checks` whose findings cannot be reused from the last build."""
        kept = self._kept_checks(checks)
        return [check for check in checks if check not in kept]

    def run_early(self, checks: list[Callable], context, layout: Callable) -> dict:
        """Run now those of `checks` that must run (while other work goes on);
        `run_checks(..., early=)` takes their results instead of running them again."""
        return _run_recorded(self.must_run(checks), context, layout)

    def run_checks(self, checks: list[Callable], context, layout: Callable,
                   early: dict | None = None, later: list | None = None) -> list:
        """Run each check, or reuse its findings when nothing it read last time changed.

        `layout` is a function: the layout is made only if a check that reads it must run.
        `early`: results of checks already run by `run_early` (in another process);
        `later`: (checks, results) pairs: checks run by `run_early` after this process's
        own (in another process meanwhile, or here) and a function that returns their
        results. Findings keep the order
        of `checks` either way.
        """
        early, later = dict(early or {}), later or []
        names = {check: f"{check.__module__}.{check.__qualname__}" for check in checks}
        kept = self._kept_checks(checks)
        away = {check for group, _ in later for check in group}
        ran = _run_recorded([check for check in checks if check not in kept and check not in
                             away and (check.__qualname__, check.__module__) not in early],
                            context, layout)
        ran.update(early)
        for _, results in later:
            ran.update(results() or {})
        missing = [check for check in checks
                   if check not in kept and (check.__qualname__, check.__module__) not in ran]
        ran.update(_run_recorded(missing, context, layout))  # what no other process ran
        findings = []
        for check in checks:
            if check in kept:
                entry = kept[check]
            else:
                found, used = ran[check.__qualname__, check.__module__]
                entry = {"deps": {dep: self._dependency(dep) for dep in sorted(used)},
                         "findings": [dataclasses.asdict(f) for f in found]}
            self.new["checks"][names[check]] = entry
            findings.extend(self._findings(entry["findings"]))
        return findings

    def _dependency(self, name: str) -> str:
        if name == "code":
            return code_fingerprint()
        if name == "book":
            return self.book_key
        if name == "layout":
            return self.layout_key
        if name == "booklet":
            return self.key("booklet")
        if name == ALL_OUTPUTS:
            return _hash(sorted((kind, self.key(kind)) for kind in self._kinds()))
        return self.key(name.removeprefix("out:"))

    def _kinds(self) -> list[str]:
        return sorted(set(self.new["outputs"]) | set(self.old.get("outputs", {})))

    def cached_validators(self) -> list | None:
        entry = self.old.get("validators") if self.enabled else None
        if entry and entry.get("epub") == self.key("epub"):
            self.new["validators"] = entry
            return self._findings(entry["findings"])
        return None

    def validated(self, findings: list) -> None:
        self.new["validators"] = {"epub": self.key("epub"),
                                  "findings": [dataclasses.asdict(f) for f in findings]}

    @staticmethod
    def _findings(rows: list[dict]) -> list:
        from ..checks import Finding
        return [Finding(**row) for row in rows]

    # -- writing the record ----------------------------------------------------------------

    def save(self, result) -> None:
        """Record this build (after its outputs are in place)."""
        result.reused = list(getattr(self, "made", None) and self.made.kept or [])
        for kind, path in result.outputs.items():
            self.new["outputs"][kind] = {"key": self.key(kind), "file": Path(path).name,
                                         "stamp": _stamp(Path(path))}
        book, layout = result.book, self.new.get("layout") or {}
        self.new["summary"] = {
            "slug": book.metadata.slug, "figures": len(book.figures),
            "pages": result.layout.page_count if result.layout else layout.get("pages"),
            "placeholders": [figure.src for figure in book.placeholders]}
        self.new["booklet"] = None if "booklet" not in result.outputs else \
            dataclasses.asdict(result.booklet) if result.booklet else self.old.get("booklet")
        epub = getattr(result, "epub", None)
        self.new["epub"] = _epub_record(epub) if epub else self.old.get("epub")
        self.new["all_findings"] = [dataclasses.asdict(f) for f in result.findings]
        self.out.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f"{CACHE_NAME}.", dir=self.out)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(self.new, stream)
        os.chmod(temporary, 0o644)
        os.replace(temporary, self.file)


def booklet_info(data: dict | None):
    if not data:
        return None
    from ..booklet.info import BookletInfo

    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    return BookletInfo(**{key: tuples(value) for key, value in data.items()})


def _epub_record(info) -> dict | None:
    try:
        return json.loads(json.dumps(dataclasses.asdict(info), default=str))
    except (TypeError, ValueError):
        return None


def _epub(data: dict | None):
    """The kept EPUB's EpubInfo, as far as the checks read it (its warnings, its path)."""
    if not data:
        return None
    from ..epub.writer import EpubInfo
    fields = {f.name for f in dataclasses.fields(EpubInfo)}
    info = {key: value for key, value in data.items() if key in fields and key != "pages"}
    info["path"] = Path(info.get("path", ""))
    try:
        return EpubInfo(**info)
    except TypeError:
        return None


def _run_recorded(checks: list[Callable], context, layout: Callable) -> dict:
    """{(name, module): (findings, inputs read)} for each check, run with a RecordingContext."""
    done = {}
    for check in checks:
        recording = RecordingContext(context, layout)
        found = check(recording)
        recording.used.add("code")  # a check that reads nothing still depends on its code
        done[check.__qualname__, check.__module__] = (found, recording.used)
    return done


class Made:
    """The outputs of one build: made afresh in `outputs`' temporary files, or kept."""

    def __init__(self, cache: BuildCache, outputs):
        self.cache, self.outputs = cache, outputs
        self.paths: dict[str, Path] = {}  # kind -> where its current content is
        self.kept: list[str] = []

    def target(self, kind: str, name: str) -> Path | None:
        """A temporary path to write `kind` to, or None when the last one is still good."""
        if self.cache.stale(kind):
            self.paths[kind] = self.outputs.path(name)
            return self.paths[kind]
        self.paths[kind] = self.cache.path(kind)
        self.kept.append(kind)
        return None

    def targets(self, slug: str, suffixes: dict[str, str]) -> list[Path | None]:
        """`target()` for each kind in `suffixes` (kind -> file name after the slug)."""
        return [self.target(kind, slug + suffix) for kind, suffix in suffixes.items()]

    def current(self, kind: str) -> Path:
        return self.paths[kind]

    def drop(self, kind: str) -> None:
        """`kind` is not made after all (and an older one is removed on publishing)."""
        path = self.paths.pop(kind, None)
        if path is not None and kind not in self.kept:
            self.outputs.withdraw(path)

    def finals(self) -> dict[str, Path]:
        return {kind: path if kind in self.kept else self.outputs.final(path)
                for kind, path in self.paths.items()}


class RecordingContext:
    """A CheckContext that notes what a check reads: the inputs its findings depend on."""

    def __init__(self, context, layout: Callable):
        self.used: set[str] = set()
        self._context, self._layout = context, layout
        self._outputs = _RecordingDict(context.outputs, self.used)

    def __getattr__(self, name):  # a field added to CheckContext later: depends on everything
        self.used.update(("book", "layout", ALL_OUTPUTS))
        return getattr(self._context, name)

    @property
    def book(self):
        self.used.add("book")
        return self._context.book

    @property
    def layout(self):
        self.used.add("layout")
        return self._layout()

    @property
    def outputs(self):
        return self._outputs

    @property
    def booklet(self):
        self.used.add("booklet")
        return self._context.booklet

    @property
    def epub(self):
        self.used.add("out:epub")
        return self._context.epub

    @property
    def memo(self):  # a shortcut to the same findings: nothing read
        return self._context.memo


class _RecordingDict(dict):
    def __init__(self, data: dict, used: set[str]):
        super().__init__(data)
        self._used = used

    def _all(self):
        self._used.add(ALL_OUTPUTS)

    def __getitem__(self, kind):
        self._used.add(f"out:{kind}")
        return super().__getitem__(kind)

    def get(self, kind, default=None):
        self._used.add(f"out:{kind}")
        return super().get(kind, default)

    def __contains__(self, kind):
        self._used.add(f"out:{kind}")
        return super().__contains__(kind)

    def __iter__(self):
        self._all()
        return super().__iter__()

    def keys(self):
        self._all()
        return super().keys()

    def values(self):
        self._all()
        return super().values()

    def items(self):
        self._all()
        return super().items()

    def __len__(self):
        self._all()
        return super().__len__()


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 3)
