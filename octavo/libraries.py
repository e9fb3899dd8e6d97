"""The C libraries WeasyPrint loads, found from one listing (imported with `octavo`).

WeasyPrint loads GObject, Pango, HarfBuzz, fontconfig and the rest with cffi, trying
each library's names for every platform in turn ('libpango-1.0-0', 'pango-1.0-0',
'pango-1.0', ...). cffi asks `ctypes.util.find_library` for each name, and on Linux
that runs `ldconfig -p`, and for a name it does not list `gcc` and `ld` too, each in a
subprocess: 22 names, 0.15 s at every start of every build, before any work can begin.

Here `ldconfig -p` is run once a process and a name is answered from its listing as
ctypes would (the same pattern: the first `lib<name>.*` of this machine's ABI). A name
it does not list is not a library the dynamic linker would load by its soname, so the
answer is None without the compilers, unless LD_LIBRARY_PATH names other folders
(then ctypes looks as it always does). Takes and gives what `find_library` does.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import struct
import subprocess
import sys

_find_library = ctypes.util.find_library
_listing: bytes | None = None
ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
       "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}  # (ctypes.util's table)


def _abi() -> str:
    """This machine's ABI as `ldconfig -p` names it (as ctypes.util works it out)."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    return ABI.get(machine, "libc6")


def _ldconfig() -> bytes:
    global _listing
    if _listing is None:
        try:
            _listing = subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout
        except OSError:
            _listing = b""
    return _listing


def find_library(name: str) -> str | None:
    listing = _ldconfig()
    if not listing or os.environ.get("LD_LIBRARY_PATH"):
        return _find_library(name)
    pattern = os.fsencode(r"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name), _abi()))
    found = re.search(pattern, listing)
    return os.fsdecode(found.group(1)) if found else None


if sys.platform.startswith("linux") and \
        getattr(ctypes.util.find_library, "__module__", "") != __name__:
    ctypes.util.find_library = find_library
