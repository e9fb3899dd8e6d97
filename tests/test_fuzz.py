"""Any manuscript made of the dialect's constructs (tests/fuzz_manuscripts.py) ends in
one of two ways: a clean build, whose EPUB epubcheck accepts and whose PDFs open and
hold the text (the TXT checks), with no false check error; or a one-line error naming
the file and line. Never a traceback.

`make test` runs OCTAVO_FUZZ_EXAMPLES examples (default 200, the same ones every time):
each is loaded, checked, made into the paged HTML WeasyPrint reads and into an EPUB
(without its font subsets); every OCTAVO_FUZZ_FULL_EVERY-th (default 20) is built
completely in-process, PDFs and all, and its EPUB is kept for epubcheck, which runs on
all of them at the end (in parallel: epubcheck takes one EPUB per JVM). `make fuzz`
runs thousands, with a random seed (OCTAVO_FUZZ_RANDOM=1).

A failing example is saved under OCTAVO_FUZZ_KEEP (default /tmp/octavo-fuzz) so it can
become a fixture: tests/fixtures/fuzz-found/ holds every failure found so far, built
by `test_what_the_fuzz_found_builds_cleanly`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from lxml import html as lxml_html

from octavo.build import BuildOptions, build
from octavo.checks import ERROR, CheckContext, run_checks
from octavo.checks.manuscript_lint import MANUSCRIPT_CHECKS
from octavo.checks.text import epub_text_is_complete
from octavo.checks.validators import run_epubcheck
from octavo.epub.media import book_images, stylesheet
from octavo.epub.writer import EpubParts, _cover, write_epub
from octavo.errors import EXIT_INTERNAL, OctavoError
from octavo.fonts import installed_coverage
from octavo.manuscript.load import load_book
from octavo.manuscript.scripts import is_default_ignorable
from octavo.paged.document import paged_document

from fuzz_manuscripts import manuscript

EXAMPLES = int(os.environ.get("OCTAVO_FUZZ_EXAMPLES", "200"))
FULL_EVERY = int(os.environ.get("OCTAVO_FUZZ_FULL_EVERY", "20"))
RANDOM = bool(os.environ.get("OCTAVO_FUZZ_RANDOM"))
KEEP = Path(os.environ.get("OCTAVO_FUZZ_KEEP", tempfile.gettempdir())) / "octavo-fuzz"
STATS = {"examples": 0, "full": 0, "errors": 0}
MESSAGES: list[str] = []  # the one-line errors the examples ended in
BUILT_EPUBS: list[tuple[Path, Path]] = []  # (EPUB, its manuscript) for epubcheck


def write_manuscript(folder: Path, files: dict) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_bytes(data.encode("utf-8", "surrogatepass"))
    return folder


def _needs_no_glyph(char: str) -> bool:
    return (char.isspace() or unicodedata.category(char) in ("Cf", "Cc")
            or is_default_ignorable(char))


def uncovered(files: dict) -> set[str]:
    """Characters no installed font draws: their MS-007 and PDF-002 are true errors."""
    covered = installed_coverage()
    text = "".join(data for data in files.values() if isinstance(data, str))
    return {char for char in text if ord(char) not in covered and not _needs_no_glyph(char)}


def false_errors(findings, files: dict) -> list:
    """The error findings a correct build of `files` must not have."""
    boxes = uncovered(files)
    wrong = []
    for finding in findings:
        if finding.code.startswith("TXT-"):
            wrong.append(finding)  # the text is always there: any TXT finding is false
        elif finding.severity == ERROR:
            if finding.code in ("MS-007", "PDF-002") and boxes:
                continue  # a character no font has: a true error
            wrong.append(finding)
    return wrong


def keep(files: dict, why: str) -> Path:
    """Save a failing example where a developer can build it again."""
    KEEP.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="example-", dir=KEEP))
    write_manuscript(folder, files)
    (folder / "WHY.txt").write_text(why, encoding="utf-8")
    return folder


def one_line_error(error: OctavoError, files: dict) -> None:
    """The only acceptable failure: a user's error, on one line, with its file."""
    line = error.one_line()
    if error.exit_code == EXIT_INTERNAL or not error.path or "\n" in line:
        raise AssertionError(f"not a one-line user error: {line!r} "
                             f"(kept in {keep(files, line)})")
    if error.path.endswith(".md") and error.line is None and "empty" not in line:
        raise AssertionError(f"no line in {line!r} (kept in {keep(files, line)})")
    STATS["errors"] += 1
    MESSAGES.append(line)


def fast_path(folder: Path, files: dict) -> None:
    """Load and check; the paged HTML; the EPUB without its font subsets."""
    book = load_book(folder)
    findings = run_checks(CheckContext(book), MANUSCRIPT_CHECKS)
    html = lxml_html.tostring(paged_document(book), encoding="unicode",
                              doctype="<!DOCTYPE html>")
    lxml_html.document_fromstring(html)  # what WeasyPrint parses
    cover, alt = _cover(book)
    sources, images = book_images(book)
    epub = folder.parent / "fast.epub"
    write_epub(book, epub, None, parts=EpubParts(cover, alt, sources, images, [],
                                                 stylesheet()))
    findings += epub_text_is_complete(CheckContext(book, None, {"epub": epub}))
    wrong = false_errors(findings, files)
    assert not wrong, f"{wrong} (kept in {keep(files, str(wrong))})"


def full_path(folder: Path, files: dict) -> None:
    """The whole build, in-process: PDFs, EPUB, every fast check."""
    out = folder.parent / "dist"
    result = build(BuildOptions(manuscript=folder, out=out, quiet=True, cache=False))
    for kind in ("pdf", "print-pdf"):
        document = pypdfium2.PdfDocument(str(result.outputs[kind]))
        assert len(document) >= 4  # cover, colophon, text, back cover
        document.close()
    wrong = false_errors(result.findings, files)
    assert not wrong, f"{wrong} (kept in {keep(files, str(wrong))})"
    kept = keep(files, "built cleanly; kept for epubcheck")
    shutil.copy(result.outputs["epub"], kept / "book.epub")
    BUILT_EPUBS.append((kept / "book.epub", kept))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=list(HealthCheck))
@given(files=manuscript())
def test_any_manuscript_builds_or_fails_on_one_line(files):
    STATS["examples"] += 1
    full = STATS["examples"] % FULL_EVERY == 0
    with tempfile.TemporaryDirectory(prefix="octavo-fuzz-") as temporary:
        folder = write_manuscript(Path(temporary) / "manuscript", files)
        try:
            if full:
                STATS["full"] += 1
                full_path(folder, files)
            else:
                fast_path(folder, files)
        except OctavoError as error:
            one_line_error(error, files)


def test_fuzzed_epubs_pass_epubcheck():
    """epubcheck on every EPUB the full builds made: one JVM per EPUB, two at a time."""
    print(f"\nfuzz: {STATS}")
    for message in MESSAGES[:40]:
        print("  ", message[:160])
    if not BUILT_EPUBS:
        pytest.skip("no full build ran (OCTAVO_FUZZ_FULL_EVERY is larger than the examples)")
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda pair: run_epubcheck(pair[0]), BUILT_EPUBS))
    failed = {str(folder): [str(m) for m in messages]
              for (_, folder), messages in zip(BUILT_EPUBS, reports) if messages}
    print(f"\nfuzz: {STATS['examples']} examples, {STATS['full']} built completely, "
          f"{STATS['errors']} ended in a one-line error, {len(BUILT_EPUBS)} EPUBs checked")
    assert not failed, failed
    for _, folder in BUILT_EPUBS:
        shutil.rmtree(folder, ignore_errors=True)


def test_what_the_fuzz_found_builds_cleanly(tmp_path):
    """Each failure the fuzz test found, in one manuscript (tests/fixtures/fuzz-found):
    a zero-width space, a variation selector, <q>, bidi overrides (in text, a task and
    code), ^[…] inside indented code, code that wraps without a space, a nested
    definition list, a table header repeated on three pages, an empty heading, headings
    that hold a formula or are one, notes called in headings and inside a link's text
    (numbered in the order the text calls them), and a link to another chapter's
    heading whose id a duplicate renamed."""
    from conftest import build_fixture
    result = build_fixture("fuzz-found", tmp_path)
    assert result.findings == []
    assert run_epubcheck(result.outputs["epub"]) == []
    link = next(a for a in result.book.chapters[0].body.iter("a")
                if "02-links.md" in a.get("href", ""))
    assert link.get("href") == "02-links.md#shared_2"
    assert "shared_2" in result.book.chapters[1].ids()
    notes = [li for li in result.book.chapters[0].body.iter("li")
             if "octavo-inline" in (li.get("id") or "")]
    assert notes == []  # ^[…] in indented code stays code
    calls = [a.text for a in result.book.chapters[2].body.iter("a")
             if "footnote-ref" in (a.get("class") or "")]
    assert calls == ["1", "2", "3", "4"]  # in the order the text calls them
