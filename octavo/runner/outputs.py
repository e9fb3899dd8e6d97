"""Atomic outputs: every file is written in a staging folder beside its target
(`dist/.octavo-staging-*.part/`, under its final name, so the checks can read it
before it is published) and renamed into place.

Nothing is renamed until every writer has finished, so a build that fails at
any stage (or is interrupted) leaves the previous `dist/` files byte-identical.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable

# Called just before the renames; one may raise to abandon the build (runner.child checks
# that the command line that started the build is still there to report it).
BEFORE_COMMIT: list[Callable[[], None]] = []
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


STAGING_PREFIX = ".octavo-staging-"  # then the building process's id


def _remove_abandoned(folder: Path) -> None:
    """Staging folders left by builds that were killed with their supervisor (SIGKILL):
    their process is gone, so no one else will remove them."""
    for staging in folder.glob(f"{STAGING_PREFIX}*.part"):
        pid = staging.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or staging.is_symlink() or not staging.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(staging, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


class Outputs:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.pending: dict[Path, Path] = {}  # final path -> staged path
        self.withdrawn: list[Path] = []  # final paths to remove when the rest is published
        self.staging: Path | None = None  # made at the first output or working file

    def _stage(self) -> Path:
        if self.staging is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.folder)
            self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-",
                                                 suffix=".part", dir=self.folder))
        return self.staging

    def path(self, name: str) -> Path:
        """Where to write the output called `name` (staged under that same name)."""
        staged = self._stage() / name
        staged.touch()
        self.pending[self.folder / name] = staged
        return staged

    def scratch(self, name: str) -> Path:
        """A working file, removed with the staging folder when the build ends."""
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=self._stage())
        os.close(handle)
        return Path(temporary)

    def scratch_folder(self, name: str) -> Path:
        """A working folder, removed with the staging folder when the build ends."""
        folder = self._stage() / f".{name}"
        folder.mkdir(exist_ok=True)
        return folder

    def withdraw(self, staged: Path) -> None:
        """An output this build turned out not to make (the booklet of a page size no
        sheet takes): its staged file goes now; an older one of that name goes when the
        rest is published, so no output from another build stays behind."""
        final = self.final(staged)
        self.pending.pop(final, None)
        staged.unlink(missing_ok=True)
        self.withdrawn.append(final)

    def final(self, staged: Path) -> Path:
        """Where a staged output is published (its name does not change)."""
        return self.folder / staged.name

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
            for final in self.withdrawn:
                final.unlink(missing_ok=True)
            self.pending.clear()
            self._unstage()
            return written
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def discard(self) -> None:
        self.pending.clear()
        self.withdrawn.clear()
        self._unstage()

    def _unstage(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()
        return False
