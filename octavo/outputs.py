"""Atomic outputs: every file is written beside its target and renamed into place.

Nothing is renamed until every writer has finished, so a build that fails at
any stage (or is interrupted) leaves the previous `dist/` files byte-identical.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path
from typing import Callable

# Called just before the renames; one may raise to abandon the build (limits.py checks
# that the command line that started the build is still there to report it).
BEFORE_COMMIT: list[Callable[[], None]] = []
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class Outputs:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.pending: dict[Path, Path] = {}  # final path -> temporary path
        self.scratches: list[Path] = []  # working files, never committed

    def path(self, name: str) -> Path:
        """A temporary path in the output folder for the output called `name`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / name
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.folder)
        os.close(handle)
        self.pending[final] = Path(temporary)
        return Path(temporary)

    def scratch(self, name: str) -> Path:
        """A working file in the output folder, removed when the build ends either way."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.folder)
        os.close(handle)
        self.scratches.append(Path(temporary))
        return self.scratches[-1]

    def final(self, temporary: Path) -> Path:
        return next(final for final, temp in self.pending.items() if temp == temporary)

    def commit(self) -> list[Path]:
        """Move every finished output into place: all of them, or (stopped before) none.

        Each rename is atomic; a stop signal arriving during the renames waits until
        they are all done, so an interrupted build never leaves half new outputs.
        """
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for hook in BEFORE_COMMIT:
                hook()
            written = []
            for final, temporary in self.pending.items():
                os.chmod(temporary, 0o644)
                os.replace(temporary, final)
                written.append(final)
            self.pending.clear()
            return written
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def discard(self) -> None:
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending.clear()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        for scratch in self.scratches:
            scratch.unlink(missing_ok=True)
        if kind is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()
        return False
