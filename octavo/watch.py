"""`python build.py --watch`: rebuild on every save in the manuscript or styles folder.

Each rebuild runs like a normal build (in a child process with the time and memory
budgets of runner/child.py) and uses the cache, so a save remakes only what it affects.
After each one: what changed, how long it took, which outputs were remade and the
checks' one-line summary. A broken save (bad Markdown, a missing image, a crash)
prints its one-line error, and the watcher waits for the next save: it never dies
of a build. Ctrl-C stops it.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from .errors import EXIT_OK, OctavoError
from .launch import reuse_unchanged, run_build
from .options import STYLES
from .report import summary
from .runner.cache import BuildCache
from .runner.child import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from .runner.memo import read_ahead


def _say(text: str) -> None:
    print(text, flush=True)


def _stamps(outputs: dict) -> dict:
    stamps = {}
    for kind, path in outputs.items():
        try:
            stat = Path(path).stat()
            stamps[kind] = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            stamps[kind] = None
    return stamps


def rebuild(options, time_limit: float, memory_limit: int | None, before: dict) -> dict:
    """One build; prints its outcome on one line (or a few). Returns the outputs' stamps."""
    started = time.perf_counter()
    try:
        result = reuse_unchanged(options) or run_build(options, time_limit=time_limit,
                                                        memory_limit=memory_limit)
    except OctavoError as error:
        _say(f"✗ {error.one_line()}")
        return before
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - a watcher must outlive any one build
        shown = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        _say(f"✗ internal error ({shown}); this is a bug in Octavo, not in the manuscript")
        return before
    seconds = time.perf_counter() - started
    after = _stamps(result.outputs)
    remade = [kind for kind, stamp in after.items() if before.get(kind) != stamp]
    what = ("remade " + ", ".join(remade)) if remade else "nothing to remake"
    lines = summary(result.findings).splitlines()  # "Checks: …", then the worst first
    _say(f"✓ built in {seconds:.1f} s: {what}; {lines[0]}")
    for line in lines[1:4]:
        _say(line)
    return after


def _describe(changes, roots: list[Path]) -> str:
    names = []
    for _, path in sorted(changes, key=lambda change: change[1]):
        path = Path(path)
        for root in roots:
            if path.is_relative_to(root):
                path = path.relative_to(root.parent)
                break
        names.append(str(path))
    shown = ", ".join(dict.fromkeys(names))
    return shown if len(shown) < 200 else shown[:197] + "…"


def _warm_up(options) -> None:
    """Parse the stylesheets, find the fonts and read the hyphenation dictionary here,
    once, and make a Markdown parser (its patterns compiled, its modules imported):
    each rebuild's child, and the layout workers it forks, inherit them (a stylesheet
    saved later is parsed again: `paged.render.shared_styles`)."""
    from .manuscript.dialect import make_markdown, smarten
    from .manuscript.metadata import load_metadata
    from .paged.render import warm_up
    try:
        metadata = load_metadata(Path(options.manuscript))
        warm_up(Path(options.styles or STYLES), metadata.language, Path(options.manuscript),
                metadata.design)  # the book's design: the styles its workers lay out with
        make_markdown(metadata.language).convert("A *warm* \"start\" [^1].\n\n[^1]: A note.")
        smarten("\"warm\"", metadata.language)
    except Exception:  # noqa: BLE001 - a broken manuscript is reported by the first build
        pass


def _read_ahead(options) -> None:
    """While the author writes: the intermediate results the last build kept, read into
    memory for the next rebuild (runner/memo.py)."""
    from .runner.parts import FOLDER  # (the pipeline is imported: `watch`)
    if getattr(options, "cache", True):
        read_ahead(Path(options.out) / FOLDER)


def watch(options, time_limit: float = DEFAULT_TIME_LIMIT,
          memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
          stop: threading.Event | None = None) -> int:
    """Build, then rebuild after every save until Ctrl-C (or until `stop` is set)."""
    from watchfiles import DefaultFilter
    from watchfiles import watch as changes_in

    from . import build  # noqa: F401 - imported once here: each rebuild's child inherits it
    _warm_up(options)
    roots = [Path(options.manuscript).resolve(), Path(options.styles or STYLES).resolve()]
    out = Path(options.out).resolve()

    class Sources(DefaultFilter):  # editors' temporary files and the outputs are not saves
        def __call__(self, change, path: str) -> bool:
            return super().__call__(change, path) and not Path(path).is_relative_to(out)

    _say(f"Watching {', '.join(str(root) for root in roots)} (Ctrl-C to stop)")
    try:
        recorded = BuildCache(options).recorded()  # the last build's outputs
        stamps = rebuild(options, time_limit, memory_limit, _stamps(recorded))
        _read_ahead(options)
        for changes in changes_in(*roots, watch_filter=Sources(), stop_event=stop,
                                  raise_interrupt=True):
            _say(f"changed: {_describe(changes, roots)}")
            stamps = rebuild(options, time_limit, memory_limit, stamps)
            _read_ahead(options)
    except KeyboardInterrupt:  # the way to stop watching: not a failure
        _say("stopped watching")
    return EXIT_OK
