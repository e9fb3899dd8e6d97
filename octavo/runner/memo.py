"""Intermediate results kept between builds, by the hash of what they are made from:
`Memo(folder, staging)`.

The EPUB's copies of the images and its font subsets, the screen PDF's smaller images,
the pages' text and proof thumbnails: each is a pure function of its inputs, so a build
that finds one made before (under the same key) uses it, and gives the bytes a clean
build gives. Entries live in `dist/.octavo-parts/` beside the parts (runner/parts.py);
a build writes new ones in its staging folder (`staging`: forked jobs write there too)
and `keep()` moves them in when it succeeded, then removes the entries this build
did not use (each use touches its file).

With `--no-cache` there is no memo at all: nothing is read, nothing kept (keeping
costs: the thumbnails, for one, are compressed to be kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

from .cache import code_fingerprint

SUFFIX = ".memo"
_READ_AHEAD: dict[Path, dict[str, bytes]] = {}  # folder -> its entries, read by `read_ahead`


def key(*parts: object) -> str:
    """A key for a result made by this code from `parts` (strings, bytes, numbers...)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + (part if isinstance(part, bytes) else
                               json.dumps(part, sort_keys=True, default=str).encode()))
    return digest.hexdigest()[:32]


class Memo:
    def __init__(self, folder: Path, staging: Path | None, read: bool = True):
        self.folder, self.staging, self.read = Path(folder), staging, read
        self.started = time.time()

    key = staticmethod(key)

    def get(self, name: str) -> bytes | None:
        if not self.read:
            return None
        ahead = _READ_AHEAD.get(self.folder, {})
        for place in (self.staging, self.folder):
            if place is None:
                continue
            path = place / f"{name}{SUFFIX}"
            data = ahead.get(name) if place == self.folder else None
            if data is None:
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
            try:
                os.utime(path)  # used by this build: kept by `keep()`
            except OSError:
                pass
            return data
        return None

    def put(self, name: str, data: bytes) -> None:
        if self.staging is None:
            return
        partial = self.staging / f".{name}.{os.getpid()}.tmp"
        partial.write_bytes(data)
        os.replace(partial, self.staging / f"{name}{SUFFIX}")

    def remember(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The bytes kept under `name`, or `make()`'s, kept."""
        found = self.get(name)
        if found is None:
            found = make()
            self.put(name, found)
        return found

    def keep(self) -> None:
        """Move this build's new entries into the folder; drop those it did not use."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.staging is not None and self.staging.is_dir():
            for path in self.staging.glob(f"*{SUFFIX}"):
                os.replace(path, self.folder / path.name)
        for path in self.folder.glob(f"*{SUFFIX}"):
            try:
                if path.stat().st_mtime < self.started - 1:
                    path.unlink()
            except OSError:
                pass


class BuildMemo:
    """A memo for one build without a cache (`--no-cache`): what the build makes ahead
    in this process (the screen copies, while the parts are laid out) is found by the
    processes it forks later; nothing is read before, nothing kept after."""

    key = staticmethod(key)

    def __init__(self):
        self.entries: dict[str, bytes] = {}

    def get(self, name: str) -> bytes | None:
        return self.entries.get(name)

    def put(self, name: str, data: bytes) -> None:
        self.entries[name] = data

    def remember(self, name: str, make: Callable[[], bytes]) -> bytes:
        if name not in self.entries:
            self.entries[name] = make()
        return self.entries[name]


READ_AHEAD_ENTRY = 1 << 20  # larger entries (the EPUB's copies of images) are read when
READ_AHEAD_TOTAL = 256 << 20  # asked for; and no more than this in all


def read_ahead(folder: Path) -> None:
    """Read the entries in `folder` into memory now (the watcher does, between builds:
    each rebuild's child inherits them and reads no file for them): the small ones, the
    pages' texts and walks, bands, sentences. An entry's bytes are a function of its
    name, so an entry read ahead is the one on disk while its file is there; `get`
    still touches the file, and reads it if it was not read ahead."""
    folder = Path(folder)
    entries, total = {}, 0
    try:
        paths = list(folder.glob(f"*{SUFFIX}"))
    except OSError:
        paths = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > READ_AHEAD_ENTRY or total + size > READ_AHEAD_TOTAL:
                continue
            entries[path.name[:-len(SUFFIX)]] = path.read_bytes()
            total += size
        except OSError:
            pass
    _READ_AHEAD.clear()
    _READ_AHEAD[folder] = entries
