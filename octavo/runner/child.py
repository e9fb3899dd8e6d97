"""Running a build in a child process, inside a time budget and a memory budget.

The child is forked, so it inherits the parent's imports (no second start-up). It runs
in its own process group, so that the validators it starts die with it; it gets a
memory limit (`setrlimit`); and it is told when its parent dies, so that it never
runs on alone. It sends back a small picklable result (`launch.BuildSummary`), never
WeasyPrint objects.

The parent waits for at most the time budget. On an overrun, a crash or Ctrl-C it
kills the child's process group and removes the temporary `.*.part` files the child
left in the output folder; the outputs themselves are only ever replaced by renaming
finished files (runner.outputs), so the previous ones stay byte-identical.

The memory budget is RLIMIT_DATA, not RLIMIT_AS: both bound what Python, lxml, Pillow
and WeasyPrint can allocate (RLIMIT_DATA counts heap and private writable mappings,
Linux ≥ 4.7), but RLIMIT_AS also counts address space that is only reserved, and
Chromium (run by Ace with --validate) reserves tens of GB: under a 4 GB RLIMIT_AS it
dies at start-up with SIGTRAP. Running out shows in many ways: a MemoryError, a
SystemError or OSError from a C library, a Rust abort, a worker that dies. A failure
while the child (or one of its workers) was seen using more than MEMORY_NEARLY_FULL of
the budget is reported as an overrun (LimitError), any other as a bug (BuildCrashed).
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import select
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from ..errors import EXIT_INTERNAL, LimitError, OctavoError

DEFAULT_TIME_LIMIT = 600.0  # seconds, wall clock, for the whole build and its checks
DEFAULT_MEMORY_LIMIT = 4096  # MB
MEMORY_RLIMIT = resource.RLIMIT_DATA
# Temporary files written beside their targets, then renamed: runner.outputs and report.py
# (".octavo-staging-*.part" folders), runner.cache (".octavo-cache.json.*").
PARTIAL_FILES = (".*.part", ".octavo-cache.json.*")
PR_SET_PDEATHSIG = 1  # prctl(2): a signal for the child when its parent dies
SAMPLE_INTERVAL = 0.1  # seconds between two looks at the child's memory
MEMORY_NEARLY_FULL = 0.6  # a crash with this share of the budget in use is an overrun
CHILD_FAILED = 70  # the child's exit status when it could not even report
GC_ALLOCATIONS = 10_000  # objects allocated between two sweeps of the cycle collector
WORKER_DIED = "a build worker died"  # runner.parallel's error when a forked worker dies


class BuildCrashed(Exception):
    """A bug in Octavo (not in the manuscript) inside the child; `details` is its traceback."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class _Stopped(BaseException):
    """Raised in the child by SIGTERM (its parent died): unwind, discarding the outputs."""


def run_limited(work: Callable[[], object], out: Path, time_limit: float = DEFAULT_TIME_LIMIT,
                memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
    """`work()` in a forked child; its (picklable) return value, or its error, re-raised.

    Raises LimitError when the child goes over `time_limit` seconds or `memory_limit` MB,
    BuildCrashed when it fails with a bug, KeyboardInterrupt when interrupted.
    """
    out = Path(out)
    before = _partial_files(out)
    reader, writer = os.pipe()
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        _child(work, writer, parent, memory_limit)
    os.close(writer)
    try:
        os.setpgid(pid, pid)  # the child does it too; whichever comes first
    except OSError:
        pass
    try:
        data, status, peak = _wait(pid, reader, time.monotonic() + time_limit)
    except _Overrun:
        _kill(pid)
        _clean(out, before)
        raise LimitError(f"the build took longer than its time budget of {time_limit:g} s "
                         "and was stopped", hint="raise it with --time-limit SECONDS; the "
                         "previous outputs are unchanged") from None
    except BaseException:  # Ctrl-C
        _kill(pid)
        _clean(out, before)
        raise
    finally:
        os.close(reader)
    try:
        return _outcome(data, status, memory_limit, peak)
    except BaseException:
        _clean(out, before)
        raise


class _Overrun(Exception):
    pass


def _wait(pid: int, reader: int, deadline: float) -> tuple[bytes, int, int]:
    """Read the child's report until it closes the pipe; then its exit status.

    Also returns the most memory the child was seen to use (sampled every 0.1 s).
    """
    chunks, peak = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Overrun()
        peak = max(peak, _family_memory(pid))
        ready, _, _ = select.select([reader], [], [], min(remaining, SAMPLE_INTERVAL))
        if ready:
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    while True:  # the report is in: the child is exiting
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return b"".join(chunks), status, peak
        if time.monotonic() > deadline:
            raise _Overrun()
        time.sleep(0.01)


def _outcome(data: bytes, status: int, memory_limit: int | None, peak: int):
    message = pickle.loads(data) if data else None
    kind = message[0] if message else None
    if kind == "ok":
        return message[1]
    if kind == "interrupted":
        raise KeyboardInterrupt
    error = _unpickled_error(message) if kind == "error" else None
    died = os.WTERMSIG(status) if kind is None and os.WIFSIGNALED(status) else None
    broke = kind in ("crash", None) or (error is not None and (
        error.exit_code == EXIT_INTERNAL or error.message.startswith(WORKER_DIED)))
    full = bool(memory_limit) and peak > MEMORY_NEARLY_FULL * memory_limit * 1024 * 1024
    if kind == "memory" or died == signal.SIGKILL or (broke and full):
        # A MemoryError; the kernel's out-of-memory killer (nobody else sends SIGKILL); or
        # a crash, an abort (Rust's "memory allocation failed") or a dead worker with the
        # budget nearly used up: out of memory, reported in a library's own way.
        budget = f"its memory budget of {memory_limit} MB" if memory_limit \
            else "the memory available"
        raise LimitError(f"the build went over {budget} and was stopped",
                         hint="raise it with --memory-limit MB; the previous outputs "
                              "are unchanged")
    if error is not None:
        raise error
    if kind == "crash":
        _, name, text, details = message
        raise BuildCrashed(f"{name}: {text}", details)
    if died:
        name = signal.Signals(died).name
        raise BuildCrashed(f"the build process died from {name}",
                           f"the child process was killed by {name} before it could report")
    raise BuildCrashed(f"the build process ended without a result "
                       f"(exit status {os.waitstatus_to_exitcode(status)})")


def _unpickled_error(message: tuple) -> OctavoError:
    _, pickled, line, exit_code = message
    try:
        return pickle.loads(pickled)
    except Exception:  # noqa: BLE001 - an error type that does not unpickle
        return OctavoError(line, exit_code=exit_code)


def _kill(pid: int) -> None:
    """Kill the child and everything it started (its process group), and reap it."""
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _partial_files(out: Path) -> set[Path]:
    if not out.is_dir():
        return set()
    return {path for pattern in PARTIAL_FILES for path in out.glob(pattern)}


def _clean(out: Path, before: set[Path]) -> None:
    """Remove the temporary files the child made and could not remove itself."""
    for path in _partial_files(out) - before:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)  # runner.outputs' staging folder
        else:
            path.unlink(missing_ok=True)


# ---------- the child ----------

def _child(work: Callable[[], object], writer: int, parent: int,
           memory_limit: int | None) -> None:
    status = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, _stop)
        _die_with(parent)
        null = os.open(os.devnull, os.O_RDONLY)  # a background group must not read the tty
        os.dup2(null, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # but may write to it (`stty tostop`)
        if memory_limit:
            _limit_memory(memory_limit * 1024 * 1024)
        # Failed __del__ calls ("Exception ignored in ...") flood the terminal when memory
        # runs out; they say nothing the one-line error does not.
        sys.unraisablehook = lambda unraisable: None
        message = _run(work, memory_limit * 1024 * 1024 if memory_limit else None)
        data = memoryview(pickle.dumps(message))
        while data:
            data = data[os.write(writer, data):]
    except _Stopped:
        status = 128 + signal.SIGTERM
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        status = CHILD_FAILED
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(status)


def batch_garbage_collection() -> None:
    """A build is a batch job that keeps most of what it makes until it ends: the modules
    loaded so far are left out of the cycle collector's sweeps (`gc.freeze`, which also
    spares forked workers copying their pages), and it sweeps every GC_ALLOCATIONS new
    objects instead of every 700. The layout and the write take about a tenth less CPU
    time; the peak memory grows by about 25 MB on a 300-page book."""
    gc.freeze()
    gc.set_threshold(GC_ALLOCATIONS, 20, 100)


def _run(work: Callable[[], object], memory_limit: int | None) -> tuple:
    try:
        return ("ok", work())
    except OctavoError as error:
        try:
            pickled = pickle.dumps(error)
        except Exception:  # noqa: BLE001 - sent as its one line instead
            pickled = b""
        return ("error", pickled, error.one_line(), error.exit_code)
    except MemoryError:
        return ("memory",)
    except KeyboardInterrupt:
        return ("interrupted",)
    except _Stopped:
        raise
    except BaseException as error:  # noqa: BLE001 - a bug: the parent logs it
        if memory_limit and _memory_in_use() > MEMORY_NEARLY_FULL * memory_limit:
            # Out of memory inside a C library, which reports it in its own way
            # (SystemError, a cffi error...): the failed frames still hold the memory.
            return ("memory",)
        return ("crash", type(error).__name__, str(error), traceback.format_exc())


def _family_memory(pid: int) -> int:
    """The most memory (VmData) one process uses among `pid` and its descendants.

    The budget is a per-process limit, inherited by the workers the build forks.
    """
    most, seen, todo = 0, set(), [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        most = max(most, _memory_in_use(current))
        try:
            todo += [int(child) for child in
                     Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, ValueError):
            pass
    return most


def _memory_in_use(pid: int | str = "self") -> int:
    """Bytes counted against MEMORY_RLIMIT now (VmData), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _stop(signum, frame):
    raise _Stopped()


def _die_with(parent: int) -> None:
    """Ask Linux to send us SIGTERM when the parent dies (e.g. SIGKILLed)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl: stop now
        raise _Stopped()

    def parent_still_there() -> None:  # checked again just before the outputs are renamed
        if os.getppid() != parent:
            raise _Stopped()

    from . import outputs
    outputs.BEFORE_COMMIT.append(parent_still_there)


def _limit_memory(limit: int) -> None:
    soft, hard = resource.getrlimit(MEMORY_RLIMIT)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(MEMORY_RLIMIT, (limit, hard))
