"""Benchmark: Octavo against pandoc 3 and a plain WeasyPrint render, where authors feel it.

    .venv/bin/python bench/run.py [--cases article book edit notes scaling watch]
                                  [--repeat 2] [--json FILE] [--keep DIR]

Cases (each build in a fresh subprocess, from a fresh wrapper process that reports its
wall time, CPU time and peak RSS):

  article   manuscript/ (20 pp): `build.py --no-cache` (every output, the default
            checks) against pandoc (EPUB + PDF with --pdf-engine=weasyprint).
            Target: ≤ 1.5× pandoc.
  book      a 20-chapter, ~400-page book with a figure every ~2,500 words
            (bench/generate.py): the clean build against pandoc (≤ 1.0×) and against
            one plain WeasyPrint render + write of the same paged HTML (≤ 0.9×); the
            pages under 70 % full before a pushed figure (LAY-001: 0); peak RSS
            (≤ 400 MB); the rebuild with nothing changed (≤ 0.3 s).
  edit      one sentence added to chapter 10 of that book: the rebuild (≤ 0.25× the
            book's first build into an empty folder), and its outputs against a clean
            build of the edited book (byte for byte).
  notes     a 6-chapter book (~146 pages) with a note every ~45 words: the clean build against a
            plain WeasyPrint render + write with `float: footnote` (≤ 1.3×); LAY-001
            findings (0: the footnote area counts as filled).
  scaling   the book's clean build on 1 core and on 2 (`taskset`), and a projection
            for 8 (Amdahl's law from the two).
  watch     `build.py --watch` on the book: the rebuild after chapter 10 is saved with
            one more sentence (≤ 3 s, as the watcher reports it).

This machine's speed drifts by half between minutes, and other work shares its cores:
the builds of a case run interleaved, `--repeat` rounds of them, and each ratio is the
median over the rounds of the ratio within a round. The load average before and after
is printed with the results. Needs `pip install -e '.[bench]'` (pandoc).
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PYTHON = sys.executable
TARGETS = {"article_vs_pandoc": 1.5, "book_vs_pandoc": 1.0, "book_vs_weasyprint": 0.9,
           "edit_vs_full": 0.25, "notes_vs_weasyprint": 1.3, "rss_mb": 400,
           "rebuild_s": 0.3, "watch_s": 3.0, "holes": 0, "notes_holes": 0}
BOOK = {"pages": 400, "chapters": 20, "words_per_figure": 2500}
NOTES = {"pages": 100, "chapters": 6, "words_per_note": 45}  # ~144 pages: notes take room
EDITED_CHAPTER = "10-chapter.md"
OUTPUT_NAMES = ("{slug}.pdf", "{slug}-print.pdf", "{slug}-booklet.pdf", "{slug}.epub",
                "{slug}-proof.png")
PANDOC_CSS = """@page { size: A5; margin: 16mm 19mm 26mm 15mm; }
html { font: 10.5pt/14pt "Charis SIL", serif; }
body { margin: 0; max-width: none; padding: 0; hyphens: auto; text-align: justify; }
img { max-width: 100%; max-height: 95mm; }
"""

# The plain WeasyPrint build: the same HTML and CSS, rendered and written once (Octavo's
# paged stylesheets, design.css filled with the book's values: `_paged_html`; their
# @font-face rules in one FontConfiguration, as the build has them).
PLAIN_WEASYPRINT = """
import sys, weasyprint
from weasyprint.text.fonts import FontConfiguration
html, base, target, *sheets = sys.argv[1:]
profiles, fonts = {}, FontConfiguration()
css = [weasyprint.CSS(filename=name, color_profiles=profiles, font_config=fonts)
       for name in sheets]
document = weasyprint.HTML(filename=html, base_url=base).render(
    stylesheets=css, color_profiles=profiles, font_config=fonts)
document.write_pdf(target, color_profiles=profiles)
print(len(document.pages))
"""


def measure(command: list[str], cwd: Path | None = None, env: dict | None = None,
            cores: str | None = None) -> dict:
    """Run `command` from a fresh wrapper process; its wall, CPU and peak RSS."""
    wrapper = [PYTHON, str(Path(__file__).resolve()), "--measure", "--", *command]
    if cores:
        wrapper = ["taskset", "-c", cores, *wrapper]
    done = subprocess.run(wrapper, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {command} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure_main(command: list[str]) -> None:
    """--measure mode: run the command once, report its resources as one JSON line."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "exit": done.returncode,
        "stdout_tail": done.stdout.decode(errors="replace")[-300:],
        "stderr_tail": done.stderr.decode(errors="replace")[-300:],
    }))


def _env() -> dict:
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"  # weasyprint CLI
    env.pop("CI", None)
    return env


def _octavo(manuscript: Path, out: Path, *flags: str) -> list[str]:
    return [PYTHON, str(ROOT / "build.py"), "--manuscript", str(manuscript), "--out", str(out),
            "--quiet", *flags]


def _paged_html(manuscript: Path, target: Path) -> None:
    """The book's paged HTML as the build lays it out (annotated: numbers, contents,
    index; the page numbers a placeholder), as one document; and beside it the filled
    design.css the plain render reads (`_plain_sheets`)."""
    from lxml import html as lxml_html

    from octavo.manuscript.load import load_book
    from octavo.paged.document import paged_document
    from octavo.paged.stylesheets import filled
    from octavo.structure.apply import annotate
    book = annotate(load_book(manuscript))
    target.write_text(lxml_html.tostring(paged_document(book), encoding="unicode",
                                         doctype="<!DOCTYPE html>"), encoding="utf-8")
    (target.parent / "design.css").write_text(filled(ROOT / "styles" / "design.css",
                                                     book.metadata.design), encoding="utf-8")


def _plain_sheets(html: Path) -> list[str]:
    """The paged stylesheets in the build's order, design.css filled (`_paged_html`)."""
    from octavo.paged.render import PAGED_CSS
    return [str(html.parent / name if name == "design.css" else ROOT / "styles" / name)
            for name in PAGED_CSS]


def _pandoc() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def _metadata(manuscript: Path) -> tuple[list[str], str, str]:
    import tomllib
    meta = tomllib.loads((manuscript / "metadata.toml").read_text(encoding="utf-8"))
    return list(meta["chapters"]), meta["title"], meta.get("slug", "")


class Case:
    """The builds of one case, measured round after round; ratios within each round."""

    def __init__(self, name: str, work: Path):
        self.name, self.work, self.env = name, work, _env()
        self.runs: dict[str, list[dict]] = {}

    def run(self, label: str, command: list[str], cwd: Path | None = None,
            cores: str | None = None) -> dict:
        measured = measure(command, cwd=cwd, env=self.env, cores=cores)
        self.runs.setdefault(label, []).append(measured)
        print(f"  {self.name:<8} {label:<22} {measured['wall_s']:8.2f} s  cpu "
              f"{measured['cpu_s']:7.2f} s  rss {measured['rss_mb']:6.0f} MB  exit "
              f"{measured['exit']}  load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        return measured

    def pandoc(self, manuscript: Path, round_: int) -> float:
        """pandoc's EPUB, then its PDF through WeasyPrint: the sum of the two."""
        chapters, title, _ = _metadata(manuscript)
        css = self.work / "pandoc-a5.css"
        css.write_text(PANDOC_CSS, encoding="utf-8")
        epub = self.run("pandoc-epub", [_pandoc(), *chapters, "-o",
                                        str(self.work / f"pandoc-{round_}.epub"),
                                        "--metadata", f"title={title}"], cwd=manuscript)
        pdf = self.run("pandoc-pdf", [_pandoc(), *chapters, "-o",
                                      str(self.work / f"pandoc-{round_}.pdf"),
                                      "--metadata", f"title={title}", "--pdf-engine=weasyprint",
                                      "-c", str(css), "--embed-resources", "--standalone"],
                       cwd=manuscript)
        return epub["wall_s"] + pdf["wall_s"]

    def plain(self, manuscript: Path, html: Path) -> float:
        return self.run("weasyprint", [PYTHON, "-c", PLAIN_WEASYPRINT, str(html),
                                       manuscript.resolve().as_uri() + "/",
                                       str(self.work / "plain.pdf"),
                                       *_plain_sheets(html)])["wall_s"]

    def summary(self) -> dict:
        return {label: {"wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 3),
                        "wall_s_min": min(r["wall_s"] for r in runs),
                        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 3),
                        "rss_mb_max": max(r["rss_mb"] for r in runs),
                        "exits": sorted({r["exit"] for r in runs})}
                for label, runs in self.runs.items()}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _codes(report: dict, code: str) -> int:
    return sum(1 for finding in report["findings"] if finding["code"] == code)


def _outputs(out: Path, slug: str) -> dict[str, Path]:
    return {name.format(slug=slug): out / name.format(slug=slug) for name in OUTPUT_NAMES}


def _edit(manuscript: Path, sentence: str) -> None:
    """One more sentence at the end of the edited chapter's first paragraph."""
    chapter = manuscript / EDITED_CHAPTER
    text = chapter.read_text(encoding="utf-8")
    heading_end = text.index("\n\n") + 2
    paragraph_end = text.index("\n", heading_end)
    chapter.write_text(text[:paragraph_end] + " " + sentence + text[paragraph_end:],
                       encoding="utf-8")


def _against(case: "Case", manuscript: Path, repeat: int, peer) -> list[float]:
    """Each round: `peer(round)` (its wall time), then Octavo's clean build into
    `out<round>`; Octavo's time over the peer's, round by round."""
    ratios = []
    for round_ in range(repeat):
        other = peer(round_)
        octavo = case.run("octavo", _octavo(manuscript, case.work / f"out{round_}",
                                            "--no-cache"))["wall_s"]
        ratios.append(octavo / other)
    return ratios


def case_article(work: Path, repeat: int) -> dict:
    case, manuscript = Case("article", work / "article"), ROOT / "manuscript"
    case.work.mkdir(parents=True, exist_ok=True)
    ratios = _against(case, manuscript, repeat, lambda round_: case.pandoc(manuscript, round_))
    return {"builds": case.summary(), "octavo_vs_pandoc": _median(ratios),
            "each_round": [round(r, 3) for r in ratios]}


def _book(work: Path, spec: dict, name: str) -> Path:
    from generate import make_manuscript
    folder = work / name
    if not folder.exists():
        make_manuscript(folder, spec["pages"], chapters=spec["chapters"],
                        words_per_figure=spec.get("words_per_figure"),
                        words_per_note=spec.get("words_per_note"))
    return folder


def case_book(work: Path, repeat: int) -> dict:
    case = Case("book", work / "book-case")
    case.work.mkdir(parents=True, exist_ok=True)
    manuscript = _book(work, BOOK, "book")
    html = case.work / "book.html"
    _paged_html(manuscript, html)
    vs_pandoc, vs_plain, rebuilds = [], [], []
    for round_ in range(repeat):
        out = case.work / f"out{round_}"
        plain = case.plain(manuscript, html)
        octavo = case.run("octavo", _octavo(manuscript, out, "--no-cache"))["wall_s"]
        pandoc = case.pandoc(manuscript, round_)
        rebuilds.append(case.run("octavo-rebuild", _octavo(manuscript, out))["wall_s"])
        vs_plain.append(octavo / plain)
        vs_pandoc.append(octavo / pandoc)
    report = _report(case.work / "out0")
    summary = case.summary()
    return {"pages": report["pages"], "builds": summary,
            "octavo_vs_pandoc": _median(vs_pandoc), "octavo_vs_weasyprint": _median(vs_plain),
            "each_round": {"vs_pandoc": [round(r, 3) for r in vs_pandoc],
                           "vs_weasyprint": [round(r, 3) for r in vs_plain]},
            "holes_lay001": _codes(report, "LAY-001"),
            "rss_mb": summary["octavo"]["rss_mb_max"],
            "no_change_rebuild_s": _median(rebuilds), "timings": report["timings"]}


def case_edit(work: Path, repeat: int) -> dict:
    case = Case("edit", work / "edit-case")
    case.work.mkdir(parents=True, exist_ok=True)
    ratios, identical = [], []
    for round_ in range(repeat):
        manuscript = case.work / f"book{round_}"
        shutil.rmtree(manuscript, ignore_errors=True)
        shutil.copytree(_book(work, BOOK, "book"), manuscript)
        out, clean = case.work / f"out{round_}", case.work / f"clean{round_}"
        shutil.rmtree(out, ignore_errors=True)  # a first build: nothing to reuse, all kept
        full = case.run("octavo-full", _octavo(manuscript, out))["wall_s"]
        _edit(manuscript, f"The keeper wrote it down in the log of round {round_}.")
        edit = case.run("octavo-edit", _octavo(manuscript, out))["wall_s"]
        case.run("octavo-clean", _octavo(manuscript, clean, "--no-cache"))
        ratios.append(edit / full)
        _, _, slug = _metadata(manuscript)
        edited, cleaned = _outputs(out, slug), _outputs(clean, slug)
        identical.append(all(filecmp.cmp(edited[name], cleaned[name], shallow=False)
                             for name in edited))
    return {"builds": case.summary(), "edit_vs_full": _median(ratios),
            "each_round": [round(r, 3) for r in ratios], "byte_identical": all(identical),
            "timings": _report(case.work / "out0")["timings"]}


def case_notes(work: Path, repeat: int) -> dict:
    case = Case("notes", work / "notes-case")
    case.work.mkdir(parents=True, exist_ok=True)
    manuscript = _book(work, NOTES, "notes")
    html = case.work / "notes.html"
    _paged_html(manuscript, html)
    ratios = _against(case, manuscript, repeat, lambda _: case.plain(manuscript, html))
    report = _report(case.work / "out0")
    return {"pages": report["pages"], "notes": _notes(manuscript), "builds": case.summary(),
            "octavo_vs_weasyprint": _median(ratios), "each_round": [round(r, 3) for r in ratios],
            "holes_lay001": _codes(report, "LAY-001")}


def _notes(manuscript: Path) -> int:
    return sum(len(re.findall(r"^\[\^\d+\]:", path.read_text(encoding="utf-8"), re.M))
               for path in manuscript.glob("*.md"))


def case_scaling(work: Path, repeat: int) -> dict:
    case = Case("scaling", work / "scaling-case")
    case.work.mkdir(parents=True, exist_ok=True)
    manuscript = _book(work, BOOK, "book")
    one, two = [], []
    for round_ in range(repeat):
        one.append(case.run("octavo-1-core", _octavo(manuscript, case.work / f"one{round_}",
                                                     "--no-cache"), cores="0")["wall_s"])
        two.append(case.run("octavo-2-cores", _octavo(manuscript, case.work / f"two{round_}",
                                                      "--no-cache"), cores="0,1")["wall_s"])
    t1, t2 = statistics.median(one), statistics.median(two)
    # Amdahl: t(n) = s + p / n, with s + p = t1 and s + p / 2 = t2. (Noisy: a build
    # held to one core shares it with whatever else runs on the machine.)
    parallel = max(0.0, min(t1, 2 * (t1 - t2)))
    serial = t1 - parallel
    # By stage, from the 2-core build: the layout is the fan-out over the cores (ideal
    # at 8: a quarter of its time on 2), the rest is taken as it is.
    stages = _report(case.work / "two0")["timings"]
    rest = two[0] - stages.get("layout", 0.0)
    by_stage = rest + stages.get("layout", 0.0) * 2 / 8
    return {"builds": case.summary(), "one_core_s": round(t1, 2), "two_cores_s": round(t2, 2),
            "speedup_2": round(t1 / t2, 2), "serial_share": round(serial / t1, 3),
            "projected_8_cores_s": round(serial + parallel / 8, 2),
            "projected_speedup_8": round(t1 / (serial + parallel / 8), 2),
            "stages_2_cores": stages,
            "projected_8_cores_by_stage_s": round(by_stage, 2),
            "projected_speedup_8_by_stage": round(t1 / by_stage, 2)}


def case_watch(work: Path, repeat: int) -> dict:
    manuscript = work / "watch-book"
    shutil.rmtree(manuscript, ignore_errors=True)
    shutil.copytree(_book(work, BOOK, "book"), manuscript)
    out = work / "watch-out"
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "build.py"), "--watch", "--manuscript", str(manuscript),
         "--out", str(out)], env={**_env(), "PYTHONUNBUFFERED": "1"}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seconds = []
    try:
        _wait_line(process, "✓ built", 600)
        for round_ in range(repeat):
            time.sleep(1.0)
            _edit(manuscript, f"A watcher's sentence, saved in round {round_}.")
            line = _wait_line(process, "✓ built", 120)
            seconds.append(float(re.search(r"built in ([\d.]+) s", line).group(1)))
            print(f"  watch    rebuild {seconds[-1]:.1f} s  load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return {"rebuild_s": seconds, "rebuild_s_median": _median(seconds)}


def _wait_line(process: subprocess.Popen, prefix: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the watcher stopped")
        if line.startswith(prefix) or line.startswith("✗"):
            if line.startswith("✗"):
                raise RuntimeError(line)
            return line
    raise RuntimeError(f"no {prefix!r} line in {timeout} s")


CASES = {"article": case_article, "book": case_book, "edit": case_edit, "notes": case_notes,
         "scaling": case_scaling, "watch": case_watch}


def targets(results: dict) -> dict:
    found = {}

    def target(name: str, value, limit, met=None):
        found[name] = {"value": value, "limit": limit,
                       "met": value <= limit if met is None else met}
    if "article" in results:
        target("article_vs_pandoc", results["article"]["octavo_vs_pandoc"],
               TARGETS["article_vs_pandoc"])
    if "book" in results:
        book = results["book"]
        target("book_vs_pandoc", book["octavo_vs_pandoc"], TARGETS["book_vs_pandoc"])
        target("book_vs_weasyprint", book["octavo_vs_weasyprint"], TARGETS["book_vs_weasyprint"])
        target("book_holes_lay001", book["holes_lay001"], TARGETS["holes"])
        target("peak_rss_mb", book["rss_mb"], TARGETS["rss_mb"])
        target("no_change_rebuild_s", book["no_change_rebuild_s"], TARGETS["rebuild_s"])
    if "edit" in results:
        edit = results["edit"]
        target("edit_vs_full", edit["edit_vs_full"], TARGETS["edit_vs_full"])
        target("edit_byte_identical", edit["byte_identical"], True, edit["byte_identical"])
    if "notes" in results:
        notes = results["notes"]
        target("notes_vs_weasyprint", notes["octavo_vs_weasyprint"], TARGETS["notes_vs_weasyprint"])
        target("notes_holes_lay001", notes["holes_lay001"], TARGETS["notes_holes"])
    if "watch" in results:
        target("watch_rebuild_s", results["watch"]["rebuild_s_median"], TARGETS["watch_s"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds per case")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    # Octavo as installed and run before: its modules byte-compiled, as WeasyPrint's and
    # every other package's are (an editable install compiles nothing, and where
    # PYTHONDONTWRITEBYTECODE is set no build would ever keep what it compiled).
    compileall.compile_dir(ROOT / "octavo", quiet=1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="octavo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    results = {}
    try:
        for name in args.cases:
            print(f"{name}:", file=sys.stderr)
            results[name] = CASES[name](work, args.repeat)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "machine": {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
                    "load_average_before": load_before,
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "minutes": round((time.monotonic() - started) / 60, 1),
                    "python": sys.version.split()[0]},
        "cases": results, "targets": targets(results)}
    text = json.dumps(result, indent=2)
    print(text)
    print("targets: " + ", ".join(
        f"{name} {t['value']} (≤ {t['limit']}: {'ok' if t['met'] else 'MISSED'})"
        for name, t in result["targets"].items()))
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure" and sys.argv[2] == "--":
        _measure_main(sys.argv[3:])
    else:
        main()
