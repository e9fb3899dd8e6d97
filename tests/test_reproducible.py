"""Reproducible builds, and builds stopped partway.

- With SOURCE_DATE_EPOCH set, the real manuscript built in two checkout folders (paths of
  different lengths) gives byte-identical outputs; without it, the metadata date is used
  and two builds are identical too.
- A build killed partway (SIGKILL, Ctrl-C, or its time budget) leaves the previous
  outputs byte-identical and no temporary `.part` files.

The real manuscript is built once here (plus the session's `real_build`, shared with the
other test files); everything else uses the small `plain` fixture.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import FIXTURES, ROOT
from octavo.paged.write import pdf_identifier

OUTPUTS = ("pdf", "print-pdf", "booklet", "booklet-txt", "epub", "proof")
SUFFIXES = {"pdf": ".pdf", "print-pdf": "-print.pdf", "booklet": "-booklet.pdf",
            "booklet-txt": "-booklet.txt",
            "epub": ".epub", "proof": "-proof.png"}


def command(manuscript: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "--manuscript", str(manuscript),
            "--out", str(out), "--quiet", *extra]


def environment(source_date_epoch: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = source_date_epoch
    return env


def run_builds(*jobs: tuple[Path, Path, str | None]) -> None:
    """CLI builds (manuscript, out, SOURCE_DATE_EPOCH), side by side on the two cores."""
    running = [subprocess.Popen(command(manuscript, out), env=environment(epoch),
                                cwd=out.parent, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for manuscript, out, epoch in jobs]
    for process in running:
        stdout, stderr = process.communicate(timeout=300)
        # 4: built, but a check failed; the outputs are all there all the same
        assert process.returncode in (0, 4), stderr
        assert "Traceback" not in stderr


def outputs(out: Path, slug: str) -> dict[str, bytes]:
    return {kind: (out / f"{slug}{SUFFIXES[kind]}").read_bytes() for kind in OUTPUTS}


def checkout(base: Path, name: str, fixture: Path) -> Path:
    """A copy of a manuscript in its own checkout-like folder."""
    target = base / name / fixture.name
    shutil.copytree(fixture, target)
    return target


def pdf_date(path: Path) -> str:
    with pikepdf.open(path) as pdf:
        return str(pdf.docinfo["/CreationDate"])


def test_real_manuscript_is_identical_in_two_checkouts(real_build, tmp_path):
    """SOURCE_DATE_EPOCH set: `real_build` (this checkout) against a copy elsewhere."""
    epoch = os.environ["SOURCE_DATE_EPOCH"]  # set by the real_build fixture if unset
    copy = checkout(tmp_path, "a-much-longer-checkout-folder-name/and/deeper", ROOT / "manuscript")
    out = copy.parent / "dist"
    run_builds((copy, out, epoch))
    slug = real_build.book.metadata.slug
    here = {kind: real_build.outputs[kind].read_bytes() for kind in OUTPUTS}
    there = outputs(out, slug)
    assert [kind for kind in OUTPUTS if here[kind] != there[kind]] == []
    stamp = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    assert pdf_date(out / f"{slug}.pdf") == stamp.strftime("D:%Y%m%d%H%M%S+00'00")
    with zipfile.ZipFile(out / f"{slug}.epub") as epub:
        assert {info.date_time for info in epub.infolist()} == {stamp.timetuple()[:6]}
    with pikepdf.open(out / f"{slug}-print.pdf") as pdf:  # PDF/X-4: WeasyPrint's is random
        assert b"xmp.did:" + pdf_identifier(real_build.book, "xmp") in \
            pdf.Root.Metadata.read_bytes()


def test_without_source_date_epoch_the_metadata_date_is_used(tmp_path):
    fixture = FIXTURES / "plain"
    first = checkout(tmp_path, "one", fixture)
    second = checkout(tmp_path, "two-with-a-longer-name/x", fixture)
    run_builds((first, first.parent / "dist", None), (second, second.parent / "dist", None))
    a, b = outputs(first.parent / "dist", "plain"), outputs(second.parent / "dist", "plain")
    assert [kind for kind in OUTPUTS if a[kind] != b[kind]] == []
    assert pdf_date(first.parent / "dist" / "plain.pdf") == "D:20240301000000+00'00"
    with zipfile.ZipFile(first.parent / "dist" / "plain.epub") as epub:
        assert {info.date_time for info in epub.infolist()} == {(2024, 3, 1, 0, 0, 0)}


# ---------- stopped partway ----------

@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """The plain fixture built once: the outputs a stopped build must leave alone."""
    base = tmp_path_factory.mktemp("stopped")
    manuscript = checkout(base, "checkout", FIXTURES / "plain")
    out = base / "dist"
    run_builds((manuscript, out, "1700000000"))
    return manuscript, out


def snapshot(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}


def partial_files(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if path.name.endswith(".part")
                  or path.name.startswith(".octavo-cache.json."))


def start_and_wait_for_parts(manuscript: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A rebuild (`--no-cache`: nothing is reused), once it is writing its outputs."""
    process = subprocess.Popen(command(manuscript, out, "--no-cache", *extra),
                               env=environment("1700000000"), cwd=out.parent,
                               start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not any(name.endswith(".part") for name in os.listdir(out)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() - started < 120, "no output was ever being written"
        time.sleep(0.02)
    return process


def builders(out: Path) -> list[int]:
    """Processes still building into `out` (the command line's forked build process)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(out).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def settle(out: Path, seconds: float = 30) -> None:
    """Wait until no process builds into `out` any more and no temporary file is left."""
    deadline = time.monotonic() + seconds
    while (builders(out) or partial_files(out)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert builders(out) == [], "the build process outlived its command line"


def test_sigkill_partway_leaves_the_previous_outputs(previous):
    manuscript, out = previous
    before = snapshot(out)
    process = start_and_wait_for_parts(manuscript, out)
    process.kill()  # SIGKILL: the command line cannot clean up; its build process does
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    settle(out)
    assert partial_files(out) == []
    assert snapshot(out) == before


def test_ctrl_c_partway_leaves_the_previous_outputs(previous):
    manuscript, out = previous
    before = snapshot(out)
    process = start_and_wait_for_parts(manuscript, out)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == \
        "octavo: interrupted; the previous outputs are unchanged"
    assert "Traceback" not in stderr
    assert partial_files(out) == []  # cleaned before the command line returned
    settle(out, 5)
    assert snapshot(out) == before


def test_time_budget_overrun_leaves_the_previous_outputs(previous):
    manuscript, out = previous
    before = snapshot(out)
    process = subprocess.run(command(manuscript, out, "--no-cache", "--time-limit", "0.4"),
                             env=environment("1700000000"), cwd=out.parent,
                             capture_output=True, text=True, timeout=60)
    stderr = process.stderr
    assert process.returncode == 5, stderr
    assert stderr.strip().splitlines()[-1] == (
        "octavo: the build took longer than its time budget of 0.4 s and was stopped (hint: "
        "raise it with --time-limit SECONDS; the previous outputs are unchanged)")
    assert partial_files(out) == []
    assert snapshot(out) == before


def test_staging_left_by_a_killed_build_is_removed_by_the_next(tmp_path):
    """A build killed with its supervisor leaves its staging folder; the next build in
    the same folder removes it (its process is gone), not one whose process still runs."""
    from octavo.runner.outputs import STAGING_PREFIX, Outputs
    gone = subprocess.Popen(["true"])
    gone.wait()
    abandoned = tmp_path / f"{STAGING_PREFIX}{gone.pid}-x.part"
    abandoned.mkdir()
    (abandoned / "book.pdf").write_bytes(b"%PDF-")
    running = tmp_path / f"{STAGING_PREFIX}{os.getpid()}-y.part"
    running.mkdir()
    with Outputs(tmp_path) as outputs:
        outputs.path("book.pdf").write_bytes(b"%PDF-1.7")
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "book.pdf"]


def test_a_pdf_with_an_emoji_is_the_same_whenever_it_is_written(monkeypatch):
    """An emoji font is saved again without its images, and fontTools stamped the saved
    font with the time: two builds of tests/fixtures/dialect2 seconds apart differed in
    that font only (paged/fontdates.py). fontTools reads the time from SOURCE_DATE_EPOCH
    when it is set: two values stand for two moments."""
    import io

    import pikepdf
    import weasyprint

    import octavo.paged  # noqa: F401 - its mends of WeasyPrint

    document = weasyprint.HTML(string="<p lang='en'>Tea \U0001F375 and cake</p>").render()
    written = []
    for moment in ("1000000000", "2000000000"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", moment)
        written.append(document.write_pdf())
    with pikepdf.open(io.BytesIO(written[0])) as pdf:
        names = [str(font.get("/BaseFont")) for page in pdf.pages
                 for font in page.Resources.Font.values()]
    assert any("Emoji" in name for name in names), names  # the case that was saved again
    assert written[0] == written[1]
