"""A part's second layout, made ahead in a helper process while its first is made.

A chapter whose figures must be placed is laid out twice at least (render.py): the
first layout measures it, `placement.decide` places the figures from it, and a second
layout checks the placement. After an edit, the placement the last build chose for the
part is the likeliest outcome of that decision, so a forked helper lays the part out
with it (`Ahead`) while the worker makes the first layout. If the decision is that
placement, the layout the helper made is the second layout the worker would make (the
same HTML, the same styles: a layout does not depend on the process it is made in),
and the helper goes on from there as the worker would (`go_on`): the worker sends it
what its first layout left (`Handover`), the helper makes any further layout, and
either writes the part (its layout was the best) or says the worker's was. Otherwise
the helper is stopped. Either way the part is the one laid out alone, byte for byte.

Takes the guessed HTML and two functions (the layout, and the rest of the loop, run in
the helper); gives what the rest of the loop gave, or None when the guess was wrong.
"""

from __future__ import annotations

import os
import pickle
import signal
from dataclasses import dataclass
from typing import Any, Callable

FORK = hasattr(os, "fork") and os.environ.get("OCTAVO_NO_FORK") != "1"  # as runner/parallel.py


@dataclass
class Handover:
    """What the worker's first layout left for the helper to go on from."""
    placement: Any  # placement.Placement, as decided from the first layout
    seen: set  # the HTML laid out so far
    renders: int
    best_fills: list  # the best layout's page fills (layout_map.PageFill)
    refused: list  # what the fetcher refused so far
    first: dict | None  # the placement decided from the first layout (as a guess is kept)


class Ahead:
    """`lay_out(html)` started in a forked helper; `go_on(html, document, messages,
    handover, say)` run there once `hand(handover)` is called, its result returned by
    `hand` (`say(value)` reaches the worker's `heard(value)` before that). `stop()`
    otherwise. The helper dies with the worker (a worker stopped by the build does not
    run its `finally`)."""

    def __init__(self, html: str, lay_out: Callable[[str], tuple], go_on: Callable):
        self.html, self.pid = html, None
        if not FORK:
            return
        from_worker, to_helper = os.pipe()
        from_helper, to_worker = os.pipe()
        worker = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no process to spare: the worker lays the part out alone
            for end in (from_worker, to_helper, from_helper, to_worker):
                os.close(end)
            return
        if pid == 0:  # the helper: lay out, wait for the handover, go on; never return
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with(worker)
                os.close(to_helper)
                os.close(from_helper)
                document, messages = lay_out(html)
                with os.fdopen(from_worker, "rb") as pipe:
                    handover = pickle.load(pipe)  # (EOFError: stopped; the worker went on)
                with os.fdopen(to_worker, "wb") as out:
                    def say(value):
                        pickle.dump(("say", value), out)
                        out.flush()
                    result = go_on(html, document, messages, handover, say)
                    pickle.dump(("done", result), out)
            except BaseException:  # noqa: BLE001 - the worker lays the part out itself
                code = 1
            finally:
                os._exit(code)
        os.close(from_worker)
        os.close(to_worker)
        self.pid, self._to, self._from = pid, to_helper, from_helper

    def hand(self, handover: Handover, heard: Callable[[Any], None]):
        """Let the helper go on from `handover`; its result, or None if it failed (the
        worker then lays the part out itself)."""
        if self.pid is None:
            return None
        try:
            with os.fdopen(self._to, "wb") as pipe:
                self._to = None
                pipe.write(pickle.dumps(handover))
            with os.fdopen(self._from, "rb") as pipe:
                self._from = None
                while True:
                    kind, value = pickle.load(pipe)
                    if kind == "done":
                        return value
                    heard(value)
        except (OSError, EOFError, pickle.UnpicklingError):  # the helper failed, or died
            return None
        finally:
            self.stop()

    def stop(self) -> None:
        """The guess was wrong, the worker failed, or the helper is done: it goes."""
        for end in (self._to, self._from) if self.pid is not None else ():
            if end is not None:
                try:
                    os.close(end)
                except OSError:
                    pass
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = self._to = self._from = None


PR_SET_PDEATHSIG = 1  # prctl(2): a signal for the helper when the worker dies


def _die_with(worker: int) -> None:
    """SIGTERM for the helper when its worker dies (as runner/child.py asks for a build)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass
    if os.getppid() != worker:  # it died before prctl
        os._exit(1)
