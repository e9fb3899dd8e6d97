"""WeasyPrint's C libraries are found from one `ldconfig -p` listing (octavo/libraries.py):
the same answers ctypes gives, without a subprocess for each name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import weasyprint.text.ffi

from octavo import libraries


def _names_weasyprint_tries() -> list[str]:
    source = Path(weasyprint.text.ffi.__file__).read_text(encoding="utf-8")
    calls = re.findall(r"_dlopen\(\s*ffi,(.*?)\)", source, re.S)
    names = [name for call in calls for name in re.findall(r"'([^']+)'", call)]
    assert len(names) > 20 and "pango-1.0" in names
    return names


def test_every_name_is_answered_as_ctypes_answers(monkeypatch):
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    names = _names_weasyprint_tries() + ["c", "m", "z", "no-such-library-at-all"]
    found = [libraries.find_library(name) for name in names]
    assert found == [libraries._find_library(name) for name in names]
    assert "libpango-1.0.so.0" in found and None in found


def test_the_listing_is_read_once(monkeypatch):
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(libraries, "_listing", None)
    runs = []
    run = subprocess.run

    def counted(*args, **kwargs):
        runs.append(args[0])
        return run(*args, **kwargs)
    monkeypatch.setattr(subprocess, "run", counted)
    for name in _names_weasyprint_tries():
        libraries.find_library(name)
    assert runs == [["/sbin/ldconfig", "-p"]]
