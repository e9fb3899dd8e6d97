"""The hostile corpus (tests/hostile/): one test per manuscript, asserting the exact error
(class, exit code, one line with file:line and hint) or the safe output.

Each entry is built from a temporary copy with the secret planted beside it (see
hostile_support.py); whatever happens, the secret must appear in no output file (EPUB
members and decoded PDF streams included) and in no message. Most entries fail while the
manuscript is read; the ones that build are four-page documents. A few run through the
command line, for its exit codes and one-line messages, and under tight budgets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pikepdf
import pytest
from lxml import etree

from hostile_support import (HOSTILE, MARKER, copy_entry, listening_socket, secret_leaks,
                             was_contacted)
from octavo.build import BuildOptions, build
from octavo.errors import EXIT_CHECKS, EXIT_LIMIT, EXIT_MANUSCRIPT, LimitError, OctavoError
from octavo.manuscript.load import load_book
from octavo.manuscript.sanitize import MAX_SPAN
from octavo.pdfread.text import normalise, page_texts

ROOT = Path(__file__).resolve().parent.parent
ACTIVE_PDF = re.compile(r"/(JavaScript|JS|Launch|EmbeddedFiles?|SubmitForm|ImportData|RichMedia)\b")
IMAGE_HINT = "(hint: put the image in images/ and use a relative path)"
OUTSIDE_HINT = "(hint: copy it into images/)"
ENTITY = ("SVG plate.svg declares entities, which are not allowed "
          "(hint: remove the <!DOCTYPE ...> and entity references)")
CSS_HINT = "(hint: put the file in the manuscript folder and refer to it relatively)"
NOT_AN_IMAGE = ("plate.png is not a JPEG, PNG, GIF or WebP image "
                "(hint: export it again in one of these formats)")


@dataclass
class Refused:
    """The build stops while reading the manuscript with exactly this error.

    `message` is the error's one line; `{M}` stands for the manuscript copy and `{T}`
    for the folder holding it (and the secret). A message starting with `re:` is a regex.
    """
    message: str
    error: type = OctavoError
    exit_code: int = EXIT_MANUSCRIPT


@dataclass
class Builds:
    """The build succeeds; `check(result, manuscript)` looks at the safe output."""
    check: Callable


@dataclass
class Command:
    """Run through `python build.py` with `args`: exit code and the last stderr line."""
    exit_code: int
    last_line: str
    args: tuple[str, ...] = ()
    check: Callable | None = None
    seconds: float | None = None  # the whole command, start-up included, takes less


# ---------- what the safe outputs must show ----------

def epub_xhtml(result) -> dict[str, etree._Element]:
    with zipfile.ZipFile(result.outputs["epub"]) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist()
                if name.endswith(".xhtml")}


def pdf_text(result) -> str:
    return normalise(" ".join(page_texts(result.outputs["pdf"], body_only=False)))


def epub_text(result) -> str:
    return normalise(" ".join("".join(root.itertext()) for name, root
                              in sorted(epub_xhtml(result).items()) if "nav" not in name))


def pdf_uris(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", [])
                if "/A" in annot and "/URI" in annot.A]


def assert_inert(result) -> None:
    """Every build of a hostile input: no active content in any output."""
    assert set(result.outputs) >= {"pdf", "print-pdf", "booklet", "epub"}
    assert result.layout.refused == []  # nothing hostile even reached WeasyPrint's fetcher
    for name, root in epub_xhtml(result).items():
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            assert local not in ("script", "iframe", "object", "embed", "form", "input",
                                 "base", "style", "svg", "video", "audio", "source"), name
            assert local != "link" or element.get("href") == "styles/epub.css", name
            for attribute, value in element.attrib.items():
                local = etree.QName(attribute).localname
                assert not local.startswith("on") and local not in ("style", "srcset"), \
                    (name, attribute)
                assert not re.match(r"\s*(javascript|vbscript|data|file):", value, re.I), value
    for kind in ("pdf", "print-pdf", "booklet"):
        with pikepdf.open(result.outputs[kind]) as pdf:
            text = " ".join(repr(obj) for obj in pdf.objects)
        assert not ACTIVE_PDF.search(text), (kind, ACTIVE_PDF.search(text))
        assert all(uri.startswith(("https:", "http:", "mailto:")) for uri in
                   pdf_uris(result.outputs[kind])), kind


def check_script(result, manuscript):
    assert "text around a script" in pdf_text(result)
    assert "text around a script" in epub_text(result)
    for body in (pdf_text(result), epub_text(result)):
        assert "owned" not in body and "noscript text" not in body


def check_link_outside(result, manuscript):
    """The link is dropped with a warning naming its line; its text stays; the file it
    names is never read (the secret check below covers every output)."""
    assert [(f.code, f.where, f.message) for f in result.findings if f.code == "MS-011"] == [
        ("MS-011", "text.md:3", "the link '../secret.txt' leads outside the manuscript "
                                "folder: its text is kept, the link dropped")]
    assert "See the notes for details." in pdf_text(result)
    assert "See the notes for details." in epub_text(result)
    assert all("secret" not in (a.get("href") or "") for root in epub_xhtml(result).values()
               for a in root.iter("{*}a"))


def check_onerror(result, manuscript):
    images = [img for root in epub_xhtml(result).values()
              for img in root.iter("{*}img") if "plate" in img.get("src", "")]
    assert len(images) == 1 and set(images[0].attrib) == {"src", "alt"}
    assert "A paragraph with handlers." in epub_text(result)
    assert "Markdown attributes." in pdf_text(result)


def check_javascript_links(result, manuscript):
    hrefs = [link.get("href") for root in epub_xhtml(result).values()
             for link in root.iter("{*}a") if link.get("href", "").startswith(("http", "java"))]
    assert hrefs == ["https://example.org/"]
    assert pdf_uris(result.outputs["pdf"]) == ["https://example.org/"]
    for words in ("markdown link", "reference link", "raw, entity, tab, vbscript, data"):
        assert words in pdf_text(result) and words in epub_text(result)


def check_embedded_objects(result, manuscript):
    text = pdf_text(result)
    assert "The last paragraph." in text
    for fallback in ("iframe fallback", "object fallback", "svg text"):
        assert fallback not in text and fallback not in epub_text(result)


def check_style_attributes(result, manuscript):
    assert not [el for ch in result.book.chapters for el in ch.body.iter() if el.get("style")]
    for words in ("A paragraph styled to cover the page.", "A positioned block.",
                  "The last paragraph."):
        assert words in pdf_text(result) and words in epub_text(result)
    assert result.layout.page_count == 4


def check_metadata_injection(result, manuscript):
    title = "</title><script>alert(1)</script><img src=x onerror=alert(2)>"
    assert title in pdf_text(result)  # shown as the words it is
    assert title in epub_text(result)
    with pikepdf.open(result.outputs["pdf"]) as pdf:
        assert str(pdf.docinfo["/Title"]) == title


def check_unclosed_html(result, manuscript):
    for words in ("Raw HTML never closed at all", "A cell that never ends",
                  "A Markdown paragraph after the unclosed tags.", "The last paragraph."):
        assert words in pdf_text(result) and words in epub_text(result)


def check_duplicate_ids(result, manuscript):
    body = result.book.chapters[0].body
    ids = [el.get("id") for el in body.iter() if el.get("id")]
    assert ids == ["ch1", "cover_2", "notes_1", "notes_2", "notes", "notes_3", "ch1_2",
                   "page-2_2"]
    links = [a.get("href") for a in body.iter("a")]
    assert links == ["#notes", "#cover_2"]  # the chapter's own heading, not the cover page
    for name, root in epub_xhtml(result).items():
        found = [el.get("id") for el in root.iter() if el.get("id")]
        assert len(found) == len(set(found)), name


def check_huge_colspan(result, manuscript):
    cells = list(result.book.chapters[0].body.iter("td"))
    assert [c.get("colspan") for c in cells] == [str(MAX_SPAN), None]
    assert [c.get("rowspan") for c in cells] == [None, str(MAX_SPAN)]
    assert "The last paragraph." in pdf_text(result)


def check_secret_everywhere(result, manuscript):
    images = [img for ch in result.book.chapters for img in ch.body.iter("img")]
    assert [img.attrib for img in images] == [{"src": "images/plate.png", "alt": "A plate"}]
    assert pdf_uris(result.outputs["pdf"]) == []
    assert "The last paragraph." in pdf_text(result)


def check_missing_metadata(result, manuscript):
    """A folder without metadata.toml builds, with notes saying what was inferred."""
    meta = result.book.metadata
    assert (meta.title, meta.language, meta.source) == ("Missing metadata", "en", None)
    assert meta.identifier.startswith("urn:uuid:")
    notes = {f.code: f for f in result.findings if f.code.startswith("AUTO-")}
    assert sorted(notes) == ["AUTO-001", "AUTO-002", "AUTO-003", "AUTO-005"]
    assert {f.severity for f in notes.values()} == {"info"}
    assert "The text." in pdf_text(result)


def check_generated_paragraph(manuscript):
    text = (manuscript / "text.md").read_text(encoding="utf-8")
    assert len(text.encode()) == 200_000 and text.count("\n") == 1


def check_generated_table(manuscript):
    text = (manuscript / "text.md").read_text(encoding="utf-8")
    assert sum(1 for line in text.splitlines() if line.startswith("| ")) == 5001


# ---------- the corpus and what each entry gets ----------

EXPECTED = {
    # File and network access
    "file-url-image": Refused("{M}/text.md:4: image 'file://{T}/secret.png' is not a file "
                              f"inside the manuscript {IMAGE_HINT}"),
    "absolute-path-image": Refused("{M}/text.md:4: image '{T}/secret.png' is not a file "
                                   f"inside the manuscript {IMAGE_HINT}"),
    "raw-img-file-url": Refused("{M}/text.md:3: image 'file://{T}/secret.png' is not a file "
                                f"inside the manuscript {IMAGE_HINT}"),
    "dotdot-image": Refused("{M}/text.md:4: image 'images/../../secret.png' is outside the "
                            f"manuscript folder {OUTSIDE_HINT}"),
    "symlink-escape": Refused("{M}/text.md:4: image 'images/plate.png' is outside the "
                              f"manuscript folder {OUTSIDE_HINT}"),
    "http-image": Command(EXIT_MANUSCRIPT, "octavo: {M}/text.md:4: image "
                          "'http://127.0.0.1:{PORT}/plate.png' is not a file inside the "
                          f"manuscript {IMAGE_HINT}", seconds=30),
    "https-closed-port": Refused("{M}/text.md:3: image 'https://127.0.0.1:9/plate.png' is not "
                                 f"a file inside the manuscript {IMAGE_HINT}"),
    "chapter-outside": Refused("{M}/metadata.toml:6: chapter file '../secret.md' is outside "
                               "the manuscript folder (hint: list Markdown files inside the "
                               "manuscript folder in `chapters`)"),
    "chapter-absolute": Refused("{M}/metadata.toml:6: chapter file '{T}/secret.md' is outside "
                                "the manuscript folder (hint: list Markdown files inside the "
                                "manuscript folder in `chapters`)"),
    "cover-outside": Refused("{M}/metadata.toml:7: image '../secret.jpg' is outside the "
                             f"manuscript folder {OUTSIDE_HINT}"),
    "link-outside": Builds(check_link_outside),
    "metadata-symlink": Refused("{M}/metadata.toml: metadata.toml links to a file outside the "
                                "manuscript folder (hint: put the metadata file itself there)"),
    "css-file-url": Refused("{M}/book.css:2: the stylesheet reaches outside the manuscript "
                            "folder: 'file:///etc/passwd' " + CSS_HINT),
    "css-import-outside": Refused("{M}/book.css:1: the stylesheet reaches outside the "
                                  "manuscript folder: '../secret.css' " + CSS_HINT),
    "data-url-image": Refused("{M}/text.md:3: image 'data:image/png;base64,iVBORw0KGgoAAAANSU"
                              "hEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR...' is not a file inside "
                              f"the manuscript {IMAGE_HINT}"),
    # Active content
    "script": Builds(check_script),
    "onerror": Builds(check_onerror),
    "javascript-links": Builds(check_javascript_links),
    "embedded-objects": Builds(check_embedded_objects),
    "style-attributes": Builds(check_style_attributes),
    "metadata-injection": Builds(check_metadata_injection),
    # Hostile and broken images
    "svg-external-entity": Refused("{M}/text.md:4: " + ENTITY),
    "svg-billion-laughs": Refused("{M}/text.md:4: " + ENTITY),
    "svg-recursive-entity": Refused("{M}/text.md:4: " + ENTITY),
    "svg-xlink-secret": Refused("{M}/text.md:4: SVG plate.svg refers to an outside resource "
                                "'../../secret.png' (hint: embed the resource or remove the "
                                "reference)"),
    "svg-script": Refused("{M}/text.md:4: SVG plate.svg contains <script> (hint: remove "
                          "scripts and foreign objects)"),
    "svg-css-import": Refused("{M}/text.md:4: SVG plate.svg imports a stylesheet (hint: put "
                              "the styles in the SVG itself)"),
    "png-bomb": Refused("{M}/text.md:4: image bomb.png is too large to open safely (over 60 "
                        "megapixels) (hint: scale it down before adding it)"),
    "truncated-jpeg": Refused(r"re:{M}/text\.md:4: image plate\.jpg is corrupt or truncated "
                              r"\(image file is truncated \(\d+ bytes not processed\)\) "
                              r"\(hint: export the image again\)"),
    "text-named-png": Refused("{M}/text.md:4: " + NOT_AN_IMAGE),
    "postscript-named-png": Refused("{M}/text.md:4: " + NOT_AN_IMAGE),
    # Encoding and empty input
    "invalid-utf8": Command(EXIT_MANUSCRIPT, "octavo: {M}/text.md:3: the file is not valid "
                            "UTF-8 (hint: save it as UTF-8)"),
    "utf16-bom": Refused("{M}/text.md:1: the file is UTF-16, not UTF-8 (hint: save it as "
                         "UTF-8)"),
    "utf16-no-bom": Refused("{M}/text.md:1: the file contains NUL bytes: it is UTF-16 or not "
                            "a text file (hint: save it as UTF-8 text)"),
    "empty-chapter": Refused("{M}/text.md:1: the chapter is empty (hint: write some text or "
                             "remove it)"),
    "no-markdown": Refused("{M}: the manuscript has no Markdown file (hint: add a .md file or "
                           "list `chapters` in metadata.toml)"),
    "missing-title": Refused("{M}/metadata.toml: the metadata has no 'title' (hint: add a "
                             "line `title = \"...\"`)"),
    "missing-metadata": Builds(check_missing_metadata),
    # Oversized and malformed structure
    "huge-paragraph": Command(EXIT_LIMIT, "octavo: the build took longer than its time budget "
                              "of 2 s and was stopped (hint: raise it with --time-limit "
                              "SECONDS; the previous outputs are unchanged)",
                              ("--time-limit", "2"), check_generated_paragraph, seconds=30),
    "table-5000-rows": Command(EXIT_LIMIT, "octavo: the build went over its memory budget of "
                               "160 MB and was stopped (hint: raise it with --memory-limit MB; "
                               "the previous outputs are unchanged)", ("--memory-limit", "160"),
                               check_generated_table),
    "nested-lists-markdown": Refused("{M}/text.md:54: the text is nested 51 levels deep (lists "
                                     "or quotes inside each other); the limit is 50 (hint: "
                                     "flatten the list or the quotation)"),
    "nested-lists-html": Refused("{M}/text.md:3: the text is nested 254 elements deep (lists, "
                                 "quotations or raw HTML inside each other); the limit is 40 "
                                 "(hint: flatten the lists, quotations or raw HTML)"),
    "unclosed-html": Builds(check_unclosed_html),
    "duplicate-ids": Builds(check_duplicate_ids),
    "undefined-footnote": Command(EXIT_CHECKS, "octavo: the checks failed; see {OUT}/report.json",
                                  check=lambda manuscript: None),
    "huge-colspan": Builds(check_huge_colspan),
    # No leaks: every way to the secret that does not stop the build
    "secret-everywhere": Builds(check_secret_everywhere),
}
FOOTNOTE_LINE = "text.md:3: MS-004 error: footnote reference [^missing] has no footnote text"


def test_the_corpus_is_complete():
    entries = sorted(path.name for path in HOSTILE.iterdir() if path.is_dir())
    assert entries == sorted(EXPECTED)
    assert len(entries) >= 30
    for entry in entries:  # every entry is a manuscript folder (two lack a part on purpose)
        files = {p.name for p in (HOSTILE / entry).iterdir()}
        assert "metadata.toml" in files or entry == "missing-metadata"
        assert "text.md" in files or entry in ("no-markdown", "chapter-outside",
                                               "chapter-absolute")


def _fill(text: str, manuscript: Path, port: int, out: Path | None = None) -> str:
    return (text.replace("{M}", str(manuscript)).replace("{T}", str(manuscript.parent))
            .replace("{PORT}", str(port)).replace("{OUT}", str(out)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_input(name, tmp_path):
    expected = EXPECTED[name]
    server = listening_socket()
    port = server.getsockname()[1]
    manuscript = copy_entry(name, tmp_path, port)
    out = tmp_path / "out"
    messages: list[str] = []
    try:
        if isinstance(expected, Refused):
            with pytest.raises(expected.error) as caught:
                build(BuildOptions(manuscript=manuscript, out=out, quiet=True))
            error = caught.value
            assert type(error) is expected.error and error.exit_code == expected.exit_code
            line = error.one_line()
            messages.append(line)
            if expected.message.startswith("re:"):
                pattern = expected.message[3:].replace("{M}", re.escape(str(manuscript)))
                assert re.fullmatch(pattern, line), line
            else:
                assert line == _fill(expected.message, manuscript, port)
            assert not out.exists() or not any(out.iterdir())  # nothing written, no .part
        elif isinstance(expected, Builds):
            result = build(BuildOptions(manuscript=manuscript, out=out, quiet=True))
            assert_inert(result)
            expected.check(result, manuscript)
            messages += [finding.line() for finding in result.findings]
        else:
            started = time.monotonic()
            run = subprocess.run(
                [sys.executable, str(ROOT / "build.py"), "--manuscript", str(manuscript),
                 "--out", str(out), "--quiet", *expected.args],
                capture_output=True, text=True, cwd=tmp_path, timeout=120)
            seconds = time.monotonic() - started
            messages += [run.stdout, run.stderr]
            assert run.returncode == expected.exit_code, run.stderr
            assert "Traceback" not in run.stderr
            lines = run.stderr.strip().splitlines()
            assert lines[-1] == _fill(expected.last_line, manuscript, port, out)
            if expected.exit_code != EXIT_CHECKS:
                assert run.stdout == ""
                if expected.exit_code == EXIT_MANUSCRIPT:
                    assert len(lines) == 1
                assert not out.exists() or not any(out.iterdir())  # nothing, not even .part
            else:
                assert any(line.strip().endswith(FOOTNOTE_LINE) for line in lines)
            if expected.seconds:
                assert seconds < expected.seconds
            if expected.check:
                expected.check(manuscript)
        assert not was_contacted(server), "something connected to the loopback port"
    finally:
        server.close()
    assert secret_leaks(out, *messages) == []
    assert not list(tmp_path.rglob(".*.part"))


# ---------- the command line and the child process around these builds ----------

def test_internal_error_says_so_and_where_its_log_is(monkeypatch, tmp_path, capsys):
    from octavo import cli
    from octavo.runner.child import BuildCrashed

    def crash(*args, **kwargs):
        raise BuildCrashed("ZeroDivisionError: division by zero", "Traceback: the child's")
    monkeypatch.setattr(cli, "run_build", crash)
    monkeypatch.setattr("octavo.launch.reuse_unchanged", lambda options: None, raising=False)
    assert cli.main(["--manuscript", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    line = capsys.readouterr().err.strip()
    found = re.fullmatch(r"octavo: internal error \(BuildCrashed: ZeroDivisionError: division "
                         r"by zero\); this is a bug in Octavo, not in the manuscript; log at "
                         r"(\S+\.log)", line)
    assert found, line
    log = Path(found.group(1))
    assert log.read_text(encoding="utf-8") == "Traceback: the child's"
    log.unlink()


@pytest.mark.parametrize("args", [("--time-limit", "0"), ("--memory-limit", "-5"),
                                  ("--time-limit", "soon")])
def test_bad_budgets_are_usage_errors(args, capsys):
    from octavo import cli
    assert cli.main(list(args)) == 2
    assert "is not a positive number" in capsys.readouterr().err


def test_the_child_reports_errors_and_crashes(tmp_path):
    from octavo.errors import UsageError
    from octavo.runner.child import BuildCrashed, run_limited

    def usage():
        raise UsageError("bad sheet", "x.toml", 3, hint="use a4")
    with pytest.raises(UsageError) as caught:
        run_limited(usage, tmp_path)
    assert caught.value.one_line() == "x.toml:3: bad sheet (hint: use a4)"
    with pytest.raises(BuildCrashed) as crashed:
        run_limited(lambda: 1 / 0, tmp_path)
    assert "ZeroDivisionError" in str(crashed.value) and "Traceback" in crashed.value.details
    assert run_limited(lambda: {"pages": 4}, tmp_path) == {"pages": 4}
    with pytest.raises(LimitError):
        run_limited(lambda: time.sleep(30), tmp_path, time_limit=0.5)


def test_the_secret_would_be_found(tmp_path):
    """The leak scan is not blind: the planted secret is found in a file, a zip, a PDF."""
    from hostile_support import plant_secret
    plant_secret(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with zipfile.ZipFile(out / "book.epub", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("EPUB/ch1.xhtml", f"<p>{MARKER}</p>" * 50)
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.Root.Leak = pdf.make_stream(MARKER.encode() * 20)  # compressed on save
        pdf.save(out / "book.pdf", compress_streams=True)
    assert MARKER.encode() not in (out / "book.pdf").read_bytes()
    assert sorted(Path(p).name for p in secret_leaks(out)) == ["book.epub", "book.pdf"]
    assert secret_leaks(tmp_path / "nothing", f"a message with {MARKER}") == ["text 0"]


def test_the_fetcher_refuses_without_connecting(tmp_path):
    """WeasyPrint's only way to a resource: the manuscript and styles folders, data: images."""
    from octavo.manuscript.fetcher import MANUSCRIPT_URL, RefusedResource, SafeFetcher
    from hostile_support import plant_secret
    plant_secret(tmp_path)
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    (book / "images" / "plate.png").write_bytes((tmp_path / "secret.png").read_bytes())
    (book / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    fetcher = SafeFetcher([book], aliases={MANUSCRIPT_URL: book})
    server = listening_socket()
    port = server.getsockname()[1]
    try:
        for url in (f"http://127.0.0.1:{port}/x.png", f"https://127.0.0.1:{port}/x.png",
                    f"ftp://127.0.0.1:{port}/x.png", (tmp_path / "secret.png").as_uri(),
                    (book / "images" / ".." / ".." / "secret.png").as_uri(),
                    (book / "images" / "link.png").as_uri(),
                    MANUSCRIPT_URL + "../secret.png", MANUSCRIPT_URL + "images/link.png",
                    MANUSCRIPT_URL + "%2e%2e/secret.png", "file://host/etc/passwd",
                    "data:text/html,<script>alert(1)</script>", "images/plate.png"):
            started = time.monotonic()
            with pytest.raises(RefusedResource):
                fetcher.fetch(url)
            assert time.monotonic() - started < 1, url
        assert not was_contacted(server)
    finally:
        server.close()
    assert fetcher.fetch(MANUSCRIPT_URL + "images/plate.png").read().startswith(b"\x89PNG")
    assert fetcher.fetch((book / "images" / "plate.png").as_uri()).read().startswith(b"\x89PNG")
    assert fetcher.fetch("data:image/png;base64,iVBORw0KGgo=").read() == b"\x89PNG\r\n\x1a\n"
