"""A PDF output opened once per process for all the checks that read it: `opened(path)`.

Opening a 400-page book with pikepdf costs 15 ms (its cross-reference stream is read);
the PDF checks open each PDF six times, and each object they resolve is parsed again
each time. The checks only read: a file opened here stays open for the process, under
its size and modification time, so a file written again is opened again (and a
process forked later opens it again: it must not read through its parent's file offset).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pikepdf

KEPT = 4  # files held open at once; the oldest is closed first
_OPEN: dict[tuple, pikepdf.Pdf] = {}


@contextmanager
def opened(path: Path):
    """`pikepdf.open(path)` for reading, shared by the checks of this process (it is not
    closed when the block ends). Raises as `pikepdf.open` does."""
    if _OPEN and next(iter(_OPEN))[0] != os.getpid():  # forked: the parent's files read
        _OPEN.clear()  # through file offsets it shares; this process opens its own
    stat = os.stat(path)
    key = (os.getpid(), str(path), stat.st_size, stat.st_mtime_ns)
    pdf = _OPEN.get(key)
    if pdf is None:
        pdf = pikepdf.open(path)
        while len(_OPEN) >= KEPT:
            _OPEN.pop(next(iter(_OPEN))).close()
        _OPEN[key] = pdf
    yield pdf


def close_all() -> None:
    """Close every file held open (before the files are replaced, and in tests)."""
    while _OPEN:
        _OPEN.popitem()[1].close()
