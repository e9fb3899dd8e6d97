"""Shared fixtures: each real manuscript is built once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from octavo.build import BuildOptions, build
from octavo.checks.text import epub_reading_text
from octavo.pdfread.text import normalise, page_texts

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """The real manuscript, built once into a temporary dist/."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1500000000")
    out = tmp_path_factory.mktemp("dist")
    return build(BuildOptions(manuscript=ROOT / "manuscript", out=out, quiet=True))


@pytest.fixture(scope="session")
def screen_pages(real_build):
    """The screen PDF's text, page by page (running heads and folios removed)."""
    return page_texts(real_build.outputs["pdf"])


@pytest.fixture(scope="session")
def screen_text(screen_pages):
    return normalise(" ".join(screen_pages))


def epub_text(epub: Path) -> str:
    """The EPUB's text in spine order, as the text check reads it."""
    return epub_reading_text(epub)


def build_fixture(name: str, out: Path):
    return build(BuildOptions(manuscript=FIXTURES / name, out=out, quiet=True))


def copy_fixture(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(FIXTURES / name, target)
    return target


@pytest.fixture(autouse=True)
def weasyprint_warnings_fail_the_test():
    """A WeasyPrint warning that escapes the build's own capture fails the test.

    The build collects WeasyPrint's warnings (they become PDF-009 findings) and stops
    them from propagating; anything that reaches the root logger escaped.
    """
    import logging

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.messages = []

        def emit(self, record):
            if record.name.startswith("weasyprint"):
                self.messages.append(record.getMessage())

    handler = Collect()
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
    assert handler.messages == [], f"WeasyPrint warned: {handler.messages[:3]}"
