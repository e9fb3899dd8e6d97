"""A progress display for the stages of a build that take longer than a second.

Shown with rich on an interactive terminal only: never with `--quiet`, when stdout is
not a TTY (a pipe, a log file, CI) or when the environment has CI set. A stage that
finishes within a second leaves no trace; a longer one shows a spinner with what is
being done and for how long, and then one line with its time.
"""

from __future__ import annotations

import os
import sys
import threading
import time

SHOW_AFTER = 1.0  # seconds: quicker stages are not worth a display
# What runs after each stage of build.build() (Stopwatch laps name the stage that ended).
NEXT = {None: "reading the manuscript", "load": "laying out the pages",
        "layout": "writing the PDFs, the booklet and the EPUB",
        "outputs": "checking every output", "checks": "writing the report"}
DONE = {"load": "manuscript read", "layout": "pages laid out",
        "outputs": "outputs written", "checks": "outputs checked"}


def wanted(quiet: bool, stream=None) -> bool:
    stream = stream or sys.stdout
    return not quiet and not os.environ.get("CI") and hasattr(stream, "isatty") \
        and stream.isatty()


class Progress:
    """Follows a build's stages; draws only while a stage has run for over a second."""

    def __init__(self, stream=None):
        from rich.console import Console
        self.console = Console(file=stream or sys.stdout)
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.status = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True, name="octavo-progress")
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopped.wait(0.1):
            with self.lock:
                running = time.perf_counter() - self.started
                if running < SHOW_AFTER:
                    continue
                text = f"{NEXT.get(self.stage, 'working')} … {running:.0f} s"
                if self.status is None:
                    self.status = self.console.status(text, spinner="dots")
                    self.status.start()
                else:
                    self.status.update(text)

    def lap(self, stage: str, seconds: float) -> None:
        with self.lock:
            self._clear()
            if seconds >= SHOW_AFTER:
                self.console.print(f"[green]✓[/] {DONE.get(stage, stage)} "
                                   f"[dim]({seconds:.1f} s)[/]", highlight=False)
            self.stage, self.started = stage, time.perf_counter()

    def _clear(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=1)
        with self.lock:
            self._clear()


def show_progress(options) -> Progress | None:
    """A Progress for this build, or None when it should stay quiet."""
    return Progress() if wanted(getattr(options, "quiet", False)) else None
