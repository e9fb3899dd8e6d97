"""Worker processes for the per-part layout: one per core, forked at the start of a build.

`Workers(count, limit, warm, *args)` forks `count` workers at once; each calls
`warm(*args, waiting=...)` (the stylesheets, the fonts, the hyphenation dictionary) while
the build process reads the manuscript, then says it is ready (those past `eager` warm
up with their first item instead); `map` forks more, up to
`limit`, if it has more items than workers. `workers.map(function, items, costs)` then
runs `function(*item)` for every item, the costliest first, each on the first worker
ready and free (`meanwhile`: what the caller does once they are busy, such as taking
in the parts already made: paged/assemble.py; `spread`: an item that keeps two cores
busy for a while holds the next ones back), and returns the results in the items'
order: which worker did what never changes a result, so the outputs stay
reproducible. A task may `report(value)` before it ends: `map`'s `early(index, value)`
gets it at once (a part's images are placed before its PDF is written:
runner/parts.py). A worker's exception is raised again here; a worker that dies is an
OctavoError (as in runner/parallel.py). Without fork, the items run here in order
(`waiting()` is then true: the first item's layout warms up what `warm` would).

Tasks and results travel pickled, through one pipe each way per worker; a function
is sent by name (it must be a module-level function).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
from typing import Any, Callable

from ..errors import OctavoError
from .parallel import FORK, _call

HEADER = struct.Struct("!Q")
READY = "ready"  # a worker's first message, once warm: it takes items from then on
_REPORT: list = []  # in a worker running a task: how `report` sends a value to `map`


def report(value: Any) -> None:
    """Send `value` to `map`'s `early` now, from the task running (ignored elsewhere)."""
    if _REPORT:
        _REPORT[-1](value)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> Any:
    header = _read(fd, HEADER.size)
    if header is None:
        raise EOFError
    data = _read(fd, HEADER.unpack(header)[0])
    if data is None:
        raise EOFError
    return pickle.loads(data)


def _read(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self, warm: Callable | None, args: tuple, lazy: bool = False):
        task_read, self.tasks = os.pipe()
        self.results, result_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: warm up, then run tasks until told to stop
            os.close(self.tasks)
            os.close(self.results)
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # stopped: gone (the build's
                # handler raised inside the task, which then failed, and the worker lived)
                if warm is not None:  # (no task comes before READY: nothing waits)
                    warm(*args, waiting=lambda: False)
                    _send(result_write, (READY, None))
                while True:
                    task = _receive(task_read)
                    if task is None:
                        break
                    function, task_args = task
                    _REPORT[:] = [lambda value: _send(result_write, (None, value))]
                    ok, value = _call(function, task_args)
                    _REPORT.clear()
                    try:
                        _send(result_write, (ok, value))
                    except Exception as error:  # noqa: BLE001 - an unpicklable result
                        _send(result_write, (False, OctavoError(
                            f"a layout worker could not send back {type(value).__name__}: "
                            f"{error}")))
            except BaseException:  # noqa: BLE001 - nothing may escape a forked child
                code = 1
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(result_write)
        self.busy: int | None = None  # the item it works on
        self.ready = warm is None  # warmed up: told by its first message
        self.spread = 1  # the cores its item keeps busy (see `map`)
        self.lazy = lazy  # warms up with its first item (see `Workers`)

    def stop(self, kill: bool = False) -> None:
        if self.pid is None:
            return
        try:
            if kill:
                os.kill(self.pid, signal.SIGTERM)
            else:
                _send(self.tasks, None)
        except (OSError, ProcessLookupError):
            pass
        for fd in (self.tasks, self.results):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = None


class Workers:
    """`with Workers(n, limit, warm, *args) as workers: workers.map(f, items, costs)`."""

    def __init__(self, count: int, limit: int, warm: Callable | None = None, *args: Any,
                 eager: int | None = None):
        self.limit, self.warm, self.args = max(1, limit), warm, args
        self.started: list[_Worker] = []
        self.queued = 0  # items of the running `map` no worker has taken yet
        if FORK:  # past the first `eager`, a worker warms up with its first item, which
            #       it is given only once no other is warming up or free: it takes no
            #       core from those that are (an article's cover and colophon wait for
            #       its chapter to be measured in halves on two cores anyway)
            self.started = [_Worker(warm, args) if eager is None or number < eager
                            else _Worker(None, (), lazy=True)
                            for number in range(min(count, self.limit))]

    def map(self, function: Callable, items: list[tuple], costs: list[float] | None = None,
            meanwhile: Callable[[], Any] | None = None,
            early: Callable[[int, Any], Any] | None = None,
            spread: list[int] | None = None) -> list:
        """`function(*item)` for each item, on the workers; the results in item order.
        `meanwhile()` is called here once the workers have their first items;
        `early(index, value)` whenever the task of `items[index]` calls `report(value)`.
        An item goes to the first worker warm and free, the costliest first; `spread[i]`:
        the cores item i keeps busy until it first reports (its task forks a helper:
        runner/parts.py), so that no other item is started on the core it needs."""
        if not items:
            if meanwhile is not None:
                meanwhile()
            return []
        if not FORK:  # no fork: here, in order
            if meanwhile is not None:
                meanwhile()
            if self.warm is not None:
                self.warm(*self.args, waiting=lambda: True)
                self.warm = None
            results = []
            for index, item in enumerate(items):
                _REPORT[:] = [lambda value, index=index: early and early(index, value)]
                try:
                    ok, value = _call(function, item)
                finally:
                    _REPORT.clear()
                if not ok:
                    raise value
                results.append(value)
            return results
        while len(self.started) < min(self.limit, len(items)):
            self.started.append(_Worker(self.warm, self.args))
        order = sorted(range(len(items)), key=lambda i: -(costs[i] if costs else 0))
        waiting, results, done = list(order), [None] * len(items), 0
        idle = [worker for worker in self.started if worker.ready]
        while done < len(items):
            idle += self._warmed()
            while idle and waiting and self._room(spread[waiting[0]] if spread else 1):
                worker = self._free(idle)
                if worker is None:
                    break
                worker.busy = waiting.pop(0)
                worker.spread = spread[worker.busy] if spread else 1
                _send(worker.tasks, (function, items[worker.busy]))
            self.queued = len(waiting)
            if meanwhile is not None and any(w.busy is not None for w in self.started):
                meanwhile, work = None, meanwhile
                work()
            ready, _, _ = select.select([w.results for w in self.started  # (a READY is
                                         if w.busy is not None or not w.ready], [], [])
            for worker in [w for w in self.started  # taken by `_warmed`, above)
                           if w.results in ready and w.busy is not None]:
                try:
                    ok, value = _receive(worker.results)
                except EOFError:
                    self.close(kill=True)
                    raise OctavoError("a build worker died while laying out the book; "
                                      "the previous outputs are unchanged") from None
                if ok is None:  # reported early: the worker goes on with its item
                    worker.spread = 1
                    if early is not None:
                        early(worker.busy, value)
                    continue
                if not ok:
                    self.close(kill=True)
                    raise value
                results[worker.busy] = value
                worker.busy = None
                done += 1
                idle.append(worker)
        return results

    def _free(self, idle: list[_Worker]) -> _Worker | None:
        """The worker to give the next item, taken from `idle`: one warm, else a lazy
        one once no other is warming up (None: wait)."""
        for worker in idle:
            if not worker.lazy:
                idle.remove(worker)
                return worker
        if idle and all(worker.ready for worker in self.started):
            return idle.pop(0)
        return None

    def _warmed(self) -> list[_Worker]:
        """The workers that said they are warm since last asked (without waiting)."""
        warming = [worker for worker in self.started if not worker.ready]
        said, _, _ = select.select([worker.results for worker in warming], [], [], 0) \
            if warming else ([], None, None)
        warmed = []
        for worker in [worker for worker in warming if worker.results in said]:
            try:
                kind, _ = _receive(worker.results)
            except EOFError:
                kind = None
            if kind != READY:
                self.close(kill=True)
                raise OctavoError("a build worker died while warming up; the previous "
                                  "outputs are unchanged")
            worker.ready = True
            warmed.append(worker)
        return warmed

    def _room(self, cores: int) -> bool:
        """Are `cores` free (or is nothing running, whatever it needs)?"""
        busy = sum(worker.spread for worker in self.started if worker.busy is not None)
        return busy == 0 or busy + cores <= len(self.started)

    def close(self, kill: bool = False) -> None:
        for worker in self.started:
            worker.stop(kill)
        self.started = []

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, kind, error, trace) -> bool:
        self.close(kill=kind is not None)
        return False
