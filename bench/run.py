"""Benchmark: Octavo against one plain WeasyPrint render and against pandoc 3.

    .venv/bin/python bench/run.py [--sizes 10 100 300] [--repeat 1] [--json FILE] [--keep DIR]

For each synthetic manuscript (bench/generate.py: ~10, ~100 and ~300 A5 pages) one run
measures, each build in a fresh subprocess:

  octavo-no-checks   `build.py --no-cache --no-checks`: every output, no checks
  octavo             `build.py --no-cache`: every output and the fast checks (the default)
  octavo-rebuild     `build.py` again with nothing changed (the content-hash cache)
  weasyprint         one plain WeasyPrint render + write_pdf of Octavo's paged HTML
                     (`paged_document(book)`) with styles/base.css + styles/print.css
  pandoc-epub        pandoc 3 (PyPI pypandoc_binary): Markdown → EPUB
  pandoc-pdf         pandoc 3: Markdown → PDF with --pdf-engine=weasyprint

With --repeat N each build runs N times, interleaved, and the table shows the fastest
run (other processes only ever slow a build down); every run is in the JSON. The
target ratio is the median over the rounds of each Octavo build over the plain render
run just before it: this machine's speed drifts by half between minutes.
Wall time, CPU time (children included) and peak RSS come from a fresh wrapper process
per build: `resource.getrusage(RUSAGE_CHILDREN)` after the build exits. Peak RSS is the
largest single process of the build's tree (ru_maxrss), as the kernel reports it.
Then the booklet imposition of the largest book's print PDF is timed in-process.

Prints a table and JSON (ratios against the plain WeasyPrint render included). Needs
`pip install -e '.[bench]'`. Not part of `make test`: timings belong here.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
TARGETS = {"ratio": 1.25, "booklet_s": 0.5, "rss_mb": 400, "rebuild_s": 0.3}
PANDOC_CSS = """@page { size: A5; margin: 16mm 19mm 26mm 15mm; }
html { font: 10.5pt/14pt "Charis SIL", serif; }
body { margin: 0; max-width: none; padding: 0; hyphens: auto; text-align: justify; }
img { max-width: 100%; max-height: 95mm; }
"""

# The plain WeasyPrint build: the same HTML and CSS, rendered and written once.
PLAIN_WEASYPRINT = """
import sys, weasyprint
html, base, styles, target = sys.argv[1:5]
profiles = {}
css = [weasyprint.CSS(filename=f"{styles}/{name}", color_profiles=profiles)
       for name in ("base.css", "print.css")]
document = weasyprint.HTML(filename=html, base_url=base).render(
    stylesheets=css, color_profiles=profiles)
document.write_pdf(target, color_profiles=profiles)
print(len(document.pages))
"""


def measure(command: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run `command` from a fresh wrapper process; its wall, CPU and peak RSS."""
    wrapper = [PYTHON, str(Path(__file__).resolve()), "--measure", "--", *command]
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
    from lxml import html as lxml_html

    from octavo.manuscript.load import load_book
    from octavo.paged.document import paged_document
    book = load_book(manuscript)
    target.write_text(lxml_html.tostring(paged_document(book), encoding="unicode",
                                         doctype="<!DOCTYPE html>"), encoding="utf-8")


def _pandoc() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def _chapters(manuscript: Path) -> tuple[list[str], str]:
    import tomllib
    meta = tomllib.loads((manuscript / "metadata.toml").read_text(encoding="utf-8"))
    return list(meta["chapters"]), meta["title"]


def bench_size(pages: int, work: Path, repeat: int) -> dict:
    from generate import make_manuscript
    manuscript = make_manuscript(work / f"m{pages}", pages)
    env = _env()
    results: dict[str, list[dict]] = {}

    def run(name: str, command: list[str], **kwargs) -> dict:
        measured = measure(command, env=env, **kwargs)
        results.setdefault(name, []).append(measured)
        print(f"  {pages:>4} {name:<17} {measured['wall_s']:8.2f} s  cpu {measured['cpu_s']:7.2f}"
              f" s  rss {measured['rss_mb']:6.0f} MB  exit {measured['exit']}", file=sys.stderr)
        return measured

    html = work / f"m{pages}.html"
    _paged_html(manuscript, html)
    chapters, title = _chapters(manuscript)
    css = work / "pandoc-a5.css"
    css.write_text(PANDOC_CSS, encoding="utf-8")
    pandoc = _pandoc()
    for round_ in range(repeat):
        out = work / f"out{pages}-{round_}"
        run("weasyprint", [PYTHON, "-c", PLAIN_WEASYPRINT, str(html),
                           manuscript.resolve().as_uri() + "/", str(ROOT / "styles"),
                           str(work / f"plain{pages}.pdf")])
        run("octavo", _octavo(manuscript, out / "full", "--no-cache"))  # right after: a pair
        run("octavo-no-checks", _octavo(manuscript, out / "nc", "--no-cache", "--no-checks"))
        run("octavo-rebuild", _octavo(manuscript, out / "full"))
        run("pandoc-epub", [pandoc, *chapters, "-o", str(work / f"pandoc{pages}.epub"),
                            "--metadata", f"title={title}"], cwd=manuscript)
        run("pandoc-pdf", [pandoc, *chapters, "-o", str(work / f"pandoc{pages}.pdf"),
                           "--metadata", f"title={title}", "--pdf-engine=weasyprint",
                           "-c", str(css), "--embed-resources", "--standalone"], cwd=manuscript)
    report = json.loads((work / f"out{pages}-0" / "full" / "report.json").read_text())
    # With --repeat, the fastest run of each build: other processes on the machine only ever
    # slow a build down, so the minimum is the least disturbed figure (all runs are in "runs").
    summary = {name: {"wall_s": min(r["wall_s"] for r in runs),
                      "cpu_s": min(r["cpu_s"] for r in runs),
                      "rss_mb": max(r["rss_mb"] for r in runs),
                      "wall_s_median": statistics.median(r["wall_s"] for r in runs),
                      "exit": runs[-1]["exit"]}
               for name, runs in results.items()}
    plain = summary["weasyprint"]["wall_s"]
    # This machine's speed drifts (the same plain render took 11.9 to 18.7 s in one run), so
    # each round's Octavo build is also compared with the plain render just before it.
    paired = [octavo["wall_s"] / weasyprint["wall_s"]
              for weasyprint, octavo in zip(results["weasyprint"], results["octavo"])]
    return {
        "pages_requested": pages,
        "pages": report.get("pages"),
        "figures": len(list((manuscript / "images").glob("*.jpg"))),
        "builds": summary,
        "runs": results,
        "octavo_timings": report.get("timings"),
        "ratios": {
            "octavo_vs_weasyprint": round(summary["octavo"]["wall_s"] / plain, 3),
            "octavo_vs_weasyprint_paired": round(statistics.median(paired), 3),
            "octavo_vs_weasyprint_each_round": [round(ratio, 3) for ratio in paired],
            "octavo_no_checks_vs_weasyprint": round(summary["octavo-no-checks"]["wall_s"] / plain,
                                                    3),
            "octavo_cpu_vs_weasyprint_cpu": round(summary["octavo"]["cpu_s"]
                                                  / summary["weasyprint"]["cpu_s"], 3),
            "pandoc_pdf_vs_weasyprint": round(summary["pandoc-pdf"]["wall_s"] / plain, 3),
        },
        "print_pdf": str(next((work / f"out{pages}-0" / "full").glob("*-print.pdf"))),
    }


def booklet_seconds(print_pdf: Path, runs: int = 9) -> dict:
    from octavo.booklet.impose import impose_booklet
    target = print_pdf.parent / "bench-booklet.pdf"
    info = impose_booklet(print_pdf, target)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        info = impose_booklet(print_pdf, target)
        times.append(time.perf_counter() - started)
    return {"pages": info.pages_in, "seconds_median": round(statistics.median(times), 4),
            "seconds_min": round(min(times), 4)}


def table(sizes: list[dict]) -> str:
    lines = [f"{'pages':>5}  {'build':<17} {'wall s':>8} {'cpu s':>8} {'rss MB':>7} "
             f"{'× weasyprint':>12}"]
    for size in sizes:
        plain = size["builds"]["weasyprint"]["wall_s"]
        for name, build in size["builds"].items():
            lines.append(f"{size['pages']:>5}  {name:<17} {build['wall_s']:8.2f} "
                         f"{build['cpu_s']:8.2f} {build['rss_mb']:7.0f} "
                         f"{build['wall_s'] / plain:12.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300])
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per build; the table shows the fastest (all are in the JSON)")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="octavo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    try:
        sizes = [bench_size(pages, work, args.repeat) for pages in args.sizes]
        largest = max(sizes, key=lambda s: s["pages_requested"])
        booklet = booklet_seconds(Path(largest["print_pdf"]))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    big = largest["builds"]
    result = {
        "machine": {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "python": sys.version.split()[0]},
        "sizes": sizes,
        "booklet_imposition": booklet,
        "targets": {
            "book_pages": largest["pages"],
            # The median, over the rounds, of Octavo's build over the plain render just before
            # it (the fastest of each, "octavo_vs_weasyprint", is in the size's ratios).
            "default_build_vs_weasyprint": {
                "value": largest["ratios"]["octavo_vs_weasyprint_paired"],
                "fastest_vs_fastest": largest["ratios"]["octavo_vs_weasyprint"],
                "limit": TARGETS["ratio"]},
            "booklet_s": {"value": booklet["seconds_median"], "limit": TARGETS["booklet_s"]},
            "peak_rss_mb": {"value": big["octavo"]["rss_mb"], "limit": TARGETS["rss_mb"]},
            "no_change_rebuild_s": {"value": big["octavo-rebuild"]["wall_s"],
                                    "limit": TARGETS["rebuild_s"]},
        },
    }
    for target in result["targets"].values():
        if isinstance(target, dict):
            target["met"] = target["value"] <= target["limit"]
    print(table(sizes))
    print(f"cores: {result['machine']['cores']}; booklet of {booklet['pages']} pages: "
          f"{booklet['seconds_median']} s; targets: " + ", ".join(
              f"{name} {t['value']} (≤ {t['limit']}: {'ok' if t['met'] else 'MISSED'})"
              for name, t in result["targets"].items() if isinstance(t, dict)))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure" and sys.argv[2] == "--":
        _measure_main(sys.argv[3:])
    else:
        main()
