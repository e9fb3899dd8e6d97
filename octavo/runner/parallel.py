"""Both cores: work forked off the build, its result sent back pickled.

A WeasyPrint document cannot be pickled, but a forked child inherits it (and the
Book), so a child can read the layout the parent made: the EPUB's page list, the
screen PDF's image sizes, the layout checks. What a child returns (an EpubInfo, a
BookletInfo, check results, page texts) comes back through a pipe; an exception
raised in the child is raised again in the parent.

Decisions here never depend on timing: the same jobs run on every build and their
results are merged in a fixed order, so the outputs stay reproducible.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from typing import Any, Callable

from ..errors import OctavoError

FORK = hasattr(os, "fork") and os.environ.get("OCTAVO_NO_FORK") != "1"
# A background job has time to spare (its result is wanted later): when three processes
# want two cores, the one the build waits for first keeps a whole core.
BACKGROUND_NICENESS = 10


class ChildFailed(Exception):
    """An exception from a child that could not be pickled back as itself."""


class Job:
    """`function(*args)` running in a forked child (or inline where fork is missing)."""

    def __init__(self, function: Callable[..., Any], *args: Any, background: bool = False):
        self.pid = None
        self._value: tuple[bool, Any] | None = None
        if not FORK:
            self._value = _call(function, args)
            return
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send the result, never return
            os.close(read)
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # stopped: gone (the build's
                # handler raised inside the task, which then failed, and the worker lived)
                if background:  # yields the core to the build's critical path
                    os.nice(BACKGROUND_NICENESS)
                ok, value = _call(function, args)
                try:
                    payload = pickle.dumps((ok, value))
                    pickle.loads(payload)  # an exception must also unpickle in the parent
                except Exception as error:  # noqa: BLE001 - an unpicklable exception
                    payload = pickle.dumps((False, ChildFailed(f"{type(value).__name__}: "
                                                               f"{value} ({error})")))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(payload)
            except BaseException:  # noqa: BLE001 - nothing may escape a forked child
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self._read = pid, read

    @classmethod
    def finished(cls, value: Any) -> "Job":
        """A job with nothing to do: its result is `value`, at once, and no child."""
        job = cls.__new__(cls)
        job.pid, job._value = None, (True, value)
        return job

    def result(self) -> Any:
        """Wait for the child; its return value, or its exception raised here."""
        if self._value is None:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # read in a process forked after it: its parent
                status = None          # reaps it
            self.pid = None
            if not data:
                raise OctavoError(f"a build worker died (status {status}); "
                                  "the previous outputs are unchanged")
            self._value = pickle.loads(data)
        ok, value = self._value
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (the build failed or was interrupted, or its work is not needed)
        and reap it. Returns None, like a job that did nothing."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            try:
                os.close(self._read)
            except OSError:  # already closed by an interrupted result()
                pass
            self.pid = None


def _call(function, args) -> tuple[bool, Any]:
    try:
        return True, function(*args)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - raised again in the parent
        error.__traceback__ = None
        error.args = error.args or (traceback.format_exc(),)
        return False, error


class Jobs:
    """`with Jobs() as jobs: job = jobs.fork(f, x) ... job.result()`; stray children reaped."""

    def __init__(self):
        self.started: list[Job] = []

    def fork(self, function: Callable[..., Any], *args: Any, when: object = True,
             background: bool = False) -> Job:
        """`function(*args)` in a child; with a false `when`, nothing (its result: None).
        `background`: its result is wanted only later; it runs at a lower priority."""
        job = Job(function, *args, background=background) if when else Job.finished(None)
        self.started.append(job)
        return job

    def meanwhile(self, function: Callable[..., Any], *args: Any, when: object = True) -> Job:
        """`fork(..., background=True)`: work whose result is wanted only later."""
        return self.fork(function, *args, when=when, background=True)

    def __enter__(self) -> "Jobs":
        return self

    def __exit__(self, kind, error, trace) -> bool:
        for job in self.started:
            job.cancel()
        return False
