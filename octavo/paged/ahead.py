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
    handover, say)` run there once `hand(handover)` is called, its result returned by `hand`
    (`say(value)` reaches the worker's `heard(value)` before that). `stop()` otherwise."""

    def __init__(self, html: str, lay_out: Callable[[str], tuple], go_on: Callable):
        self.html, self.pid = html, None
        if not FORK:
            return
        to_helper, from_worker = os.pipe()[::-1]
        from_helper, to_worker = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: lay out, wait for the handover, go on; never return
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.close(to_helper)
                os.close(from_helper)
                document, messages = lay_out(html)
                with os.fdopen(from_worker, "rb") as pipe:
                    data = pipe.read()
                if data:
                    with os.fdopen(to_worker, "wb") as out:
                        def say(value):
                            pickle.dump(("say", value), out)
                            out.flush()
                        result = go_on(html, document, messages, pickle.loads(data), say)
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
                pipe.write(pickle.dumps(handover))
            with os.fdopen(self._from, "rb") as pipe:
                while True:
                    try:
                        kind, value = pickle.load(pipe)
                    except EOFError:
                        return None
                    if kind == "done":
                        return value
                    heard(value)
        finally:
            self._reap()

    def stop(self) -> None:
        """The guess was wrong (or the worker failed): the helper is not needed."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for end in (self._to, self._from):
            try:
                os.close(end)
            except OSError:
                pass
        self._reap()

    def _reap(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = None
