"""Incremental builds (octavo/runner/cache.py) and watch mode (octavo/watch.py), on a copy of the
`plain` fixture and of styles/. Behaviour only: which outputs are remade, which are
left untouched (same bytes, same mtime). Speed is measured in bench/, not here."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from octavo.build import BuildOptions, build
from octavo.runner.cache import CACHE_NAME
from octavo.pdfread.text import normalise, page_texts

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KINDS = ["pdf", "print-pdf", "booklet", "booklet-txt", "epub", "proof"]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A copied manuscript and styles folder, and options that build them into tmp/dist."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")
    shutil.copytree(FIXTURES / "plain", tmp_path / "plain")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return BuildOptions(manuscript=tmp_path / "plain", out=tmp_path / "dist", quiet=True,
                        styles=tmp_path / "styles")


def snapshot(outputs: dict) -> dict:
    return {kind: (Path(path).read_bytes(), Path(path).stat().st_mtime_ns)
            for kind, path in outputs.items()}


def remade(before: dict, after: dict) -> set[str]:
    return {kind for kind in after if before.get(kind, (None, None))[1] != after[kind][1]}


def test_nothing_changed_reuses_every_output_untouched(book):
    first = build(book)
    assert sorted(first.outputs) == sorted(KINDS) and first.reused == []
    assert (book.out / CACHE_NAME).is_file()
    before = snapshot(first.outputs)
    second = build(book)
    assert sorted(second.reused) == sorted(KINDS)
    assert snapshot(second.outputs) == before  # byte-identical, and not even rewritten
    assert second.findings == first.findings
    assert second.booklet == first.booklet


def test_a_removed_proof_is_remade_alone_and_the_same(book):
    """With the PDFs kept, the proof is drawn from the kept print PDF instead of the working
    PDF: the same pages and images, so the same bytes."""
    first = build(book)
    before = snapshot(first.outputs)
    Path(first.outputs["proof"]).unlink()
    result = build(book)
    after = snapshot(result.outputs)
    assert remade(before, after) == {"proof"}
    assert after["proof"][0] == before["proof"][0]


def test_editing_the_text_remakes_everything(book):
    before = snapshot(build(book).outputs)
    text = book.manuscript / "text.md"
    text.write_text(text.read_text(encoding="utf-8").replace(
        "The last paragraph ends the text.",
        "The last paragraph now mentions a quince orchard and ends the text."), encoding="utf-8")
    result = build(book)
    assert result.reused == []
    assert remade(before, snapshot(result.outputs)) == set(KINDS)
    assert "quince orchard" in normalise(" ".join(page_texts(result.outputs["pdf"])))


def test_editing_the_epub_stylesheet_remakes_only_the_epub(book):
    before = snapshot(build(book).outputs)
    with open(book.styles / "epub.css", "a", encoding="utf-8") as css:
        css.write("\n.octavo-test-rule { font-style: italic; }\n")
    result = build(book)
    after = snapshot(result.outputs)
    assert remade(before, after) == {"epub"}
    assert sorted(result.reused) == ["booklet", "booklet-txt", "pdf", "print-pdf", "proof"]
    with zipfile.ZipFile(result.outputs["epub"]) as epub:
        css = next(name for name in epub.namelist() if name.endswith("epub.css"))
        assert b".octavo-test-rule" in epub.read(css)


def test_editing_the_print_styles_keeps_the_epub_when_no_page_moves(book):
    before = snapshot(build(book).outputs)
    with open(book.styles / "base.css", "a", encoding="utf-8") as css:
        css.write("\n.octavo-unused-class { color: #123456; }\n")  # matches nothing
    result = build(book)
    after = snapshot(result.outputs)
    assert {"pdf", "print-pdf"} <= remade(before, after)  # their inputs changed
    assert "epub" not in remade(before, after)  # same page starts: same EPUB
    assert result.reused == ["epub"]
    assert after["pdf"][0] == before["pdf"][0]  # an unused rule: the same PDF, made again


def test_a_removed_output_is_made_again_alone(book):
    first = build(book)
    before = snapshot(first.outputs)
    first.outputs["booklet"].unlink()
    result = build(book)
    # The booklet and its instructions are made together: both remade, the same bytes.
    assert remade(before, snapshot(result.outputs)) == {"booklet", "booklet-txt"}
    assert snapshot(result.outputs)["booklet"][0] == before["booklet"][0]
    assert snapshot(result.outputs)["booklet-txt"][0] == before["booklet-txt"][0]


def test_no_cache_remakes_everything_byte_identical(book):
    before = snapshot(build(book).outputs)
    book.cache = False
    result = build(book)
    after = snapshot(result.outputs)
    assert remade(before, after) == set(KINDS)
    assert {kind: data for kind, (data, _) in after.items()} == \
        {kind: data for kind, (data, _) in before.items()}  # reproducible, with two processes


def test_editing_one_chapter_lays_out_that_chapter_alone_and_equals_a_clean_build(
        tmp_path, monkeypatch):
    """A chapter grows by a page: only it is laid out again (the later chapters keep their
    layout and are renumbered), and every output is byte for byte a clean build's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")
    manuscript = tmp_path / "book"
    shutil.copytree(FIXTURES / "book", manuscript)
    options = BuildOptions(manuscript=manuscript, out=tmp_path / "dist", quiet=True)
    first = build(options)
    assert sorted(first.laid_out) == sorted(part.name for part in first.layout.parts)
    harbour = manuscript / "02-harbour.md"
    text = harbour.read_text(encoding="utf-8")
    added = ("\n\nThe harbour master kept a ledger of every boat that came in, its cargo "
             "and its crew, and the keepers read it on their days ashore. " * 4) * 6
    harbour.write_text(text.replace("\n## The market", added + "\n\n## The market", 1),
                       encoding="utf-8")
    edited = build(options)
    assert edited.laid_out == ["ch2", "contents"]  # (the contents: ch3's new page number)
    assert edited.layout.page_count > first.layout.page_count  # later pages renumbered
    clean = build(BuildOptions(manuscript=manuscript, out=tmp_path / "clean", quiet=True,
                               cache=False))
    assert sorted(clean.laid_out) == sorted(part.name for part in clean.layout.parts)
    assert sorted(edited.outputs) == sorted(clean.outputs) == sorted(KINDS)
    different = [kind for kind in KINDS if Path(edited.outputs[kind]).read_bytes()
                 != Path(clean.outputs[kind]).read_bytes()]
    assert different == []
    assert edited.findings == clean.findings  # the checks, read partly from kept pages
    winter = next(index for index, part in enumerate(edited.layout.parts) if part.name == "ch3")
    last_text = edited.layout.pages_of(winter)[-1]
    whole = page_texts(edited.outputs["pdf"], body_only=False)[last_text - 1]
    assert whole.split()[-1] == edited.layout.pages.labels[last_text - 1]  # the book's folio


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1500000000"}
    env.pop("CI", None)
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_command_line_says_nothing_changed_and_keeps_the_files(tmp_path):
    shutil.copytree(FIXTURES / "plain", tmp_path / "plain")
    args = ("--manuscript", str(tmp_path / "plain"), "--out", str(tmp_path / "dist"))
    first = _cli(*args)
    assert first.returncode == 0, first.stderr
    outputs = sorted(p for p in (tmp_path / "dist").iterdir() if not p.name.startswith("."))
    stamps = {p: p.stat().st_mtime_ns for p in outputs}
    second = _cli(*args)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in outputs} == stamps
    assert "nothing changed" not in _cli(*args, "--no-cache").stdout


class Watcher:
    """`build.py --watch` in a subprocess; its output lines read in a thread."""

    def __init__(self, manuscript: Path, out: Path):
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1500000000", "PYTHONUNBUFFERED": "1"}
        env.pop("CI", None)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--watch", "--manuscript", str(manuscript),
             "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r} in {timeout} s; saw {self.seen}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def test_watch_rebuilds_on_save_and_survives_a_broken_save(tmp_path):
    shutil.copytree(FIXTURES / "plain", tmp_path / "plain")
    text = tmp_path / "plain" / "text.md"
    good = text.read_text(encoding="utf-8")
    watcher = Watcher(tmp_path / "plain", tmp_path / "dist")
    try:
        watcher.wait_for("Watching")
        assert "remade" in watcher.wait_for("✓ built", timeout=60)
        time.sleep(0.5)  # let the watcher settle on its folders
        text.write_text(good + "\nA new paragraph, saved while watching.\n", encoding="utf-8")
        assert "text.md" in watcher.wait_for("changed:")
        line = watcher.wait_for("✓ built", timeout=60)
        assert "remade" in line and "pdf" in line and " s:" in line  # what and how long
        text.write_text(good + "\n::: figure\n![A picture.](images/missing.png)\nA caption.\n:::\n",
                        encoding="utf-8")
        watcher.wait_for("changed:")
        error = watcher.wait_for("✗", timeout=60)
        assert "missing.png" in error and "\n" not in error  # one line, and it goes on
        text.write_text(good, encoding="utf-8")
        watcher.wait_for("changed:")
        watcher.wait_for("✓ built", timeout=60)
        assert watcher.process.poll() is None  # still watching
    finally:
        code = watcher.stop()
    assert code == 0
    rest = []
    while not watcher.lines.empty():
        rest.append(watcher.lines.get())
    assert "stopped watching" in rest + watcher.seen


def test_the_watcher_reads_small_memo_entries_ahead(tmp_path):
    """Between rebuilds the watcher reads the memo's small entries into memory (the
    children it forks find them there); a large one (an image copy) is read from its
    file when asked for. Either way `get` gives the entry's bytes and keeps it."""
    from octavo.runner import memo as memo_module
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / f"small{memo_module.SUFFIX}").write_bytes(b"small")
    (folder / f"large{memo_module.SUFFIX}").write_bytes(b"L" * (memo_module.READ_AHEAD_ENTRY + 1))
    memo_module.read_ahead(folder)
    try:
        assert set(memo_module._READ_AHEAD[folder]) == {"small"}
        (folder / f"small{memo_module.SUFFIX}").write_bytes(b"stale")  # (never: for the test)
        memo = memo_module.Memo(folder, None)
        assert memo.get("small") == b"small" and memo.get("large")[:1] == b"L"
        assert memo.get("missing") is None
    finally:
        memo_module._READ_AHEAD.clear()
