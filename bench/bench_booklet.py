"""Benchmark: impose a 412-page A5 book in signatures on A4 sheets (the budget: 0.5 s).

    .venv/bin/python bench/bench_booklet.py [--pages 412] [--runs 5] [--source book.pdf]
        [--binding auto|saddle|signatures] [--signature-sheets 4]

Makes a realistic A5 book with WeasyPrint (justified text in an embedded font, running
folios, an image every 25 pages; about 15 s, not timed), imposes it once to warm up, then
times `impose_booklet` over --runs runs, and the booklet check (which reads every side
back), and prints JSON with the medians, the minimum and whether the imposition kept
within --budget seconds. Not part of the test suite: timings belong here, not in a
timed test.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octavo.booklet.impose import impose_booklet  # noqa: E402
from octavo.booklet.instructions import print_instructions  # noqa: E402
from octavo.checks import CheckContext  # noqa: E402
from octavo.checks.booklet_checks import booklet_is_imposed_right  # noqa: E402

WORDS = ("the foreign policy of a state rests on its national interests and answers the "
         "challenges of its time while diplomacy builds bridges between neighbours trade "
         "routes energy corridors and international organisations shape the region").split()

CSS = """
@page { size: A5; margin: 16mm 19mm 26mm 15mm;
        @bottom-center { content: counter(page); font: 9pt "DejaVu Serif", serif; } }
html { font: 10.5pt/14pt "DejaVu Serif", serif; text-align: justify; hyphens: auto; }
section { break-after: page; }
section:last-child { break-after: auto; }
h2 { font-size: 13pt; margin: 0 0 6pt; }
p { margin: 0; text-indent: 1em; }
img { display: block; width: 100%; height: 45mm; object-fit: cover; margin: 0 0 6pt; }
"""


def _paragraph(seed: int, words: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words)).capitalize() + "."


def _image(seed: int) -> bytes:
    """A photo-like RGB image (gradients and noise: compresses as badly as a photo)."""
    from PIL import Image
    size = (1200, 700)
    bands = [Image.linear_gradient("L").resize(size), Image.effect_noise(size, 40 + seed),
             Image.radial_gradient("L").resize(size)]
    buffer = io.BytesIO()
    Image.merge("RGB", bands).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def make_book(pages: int, folder: Path) -> Path:
    """A `pages`-page A5 PDF: one section a page, a photo-like image every 25 pages."""
    import weasyprint
    images = {}
    sections = []
    for page in range(1, pages + 1):
        parts = [f"<h2>Section {page}</h2>"]
        if page % 25 == 3:
            name = f"image{len(images)}.jpg"
            images[name] = _image(len(images))
            (folder / name).write_bytes(images[name])
            parts.append(f'<img src="{name}" alt="">')
            parts += [f"<p>{_paragraph(page + k, 40)}</p>" for k in range(2)]
        else:
            parts += [f"<p>{_paragraph(page + k, 45)}</p>" for k in range(4)]
        sections.append(f"<section>{''.join(parts)}</section>")
    html = f'<!DOCTYPE html><html lang="en"><body>{"".join(sections)}</body></html>'
    target = folder / "book.pdf"
    weasyprint.HTML(string=html, base_url=folder.as_uri() + "/").write_pdf(
        target, stylesheets=[weasyprint.CSS(string=CSS)])
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=412)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", type=Path, help="impose this PDF instead of making one")
    parser.add_argument("--binding", default="auto", choices=("auto", "saddle", "signatures"))
    parser.add_argument("--signature-sheets", type=int, default=4)
    parser.add_argument("--budget", type=float, default=0.5, help="seconds (default: 0.5)")
    args = parser.parse_args()
    options = {"binding": args.binding, "signature_sheets": args.signature_sheets}
    with tempfile.TemporaryDirectory(prefix="octavo-bench-") as tmp:
        folder = Path(tmp)
        source = args.source or make_book(args.pages, folder)
        target, text = folder / "booklet.pdf", folder / "booklet.txt"
        info = impose_booklet(source, target, **options)  # warm-up
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            info = impose_booklet(source, target, **options)
            times.append(time.perf_counter() - start)
        text.write_text(print_instructions(info), encoding="utf-8")
        context = CheckContext(None, None, {"booklet": target, "print-pdf": source,
                                            "booklet-txt": text})
        checks, findings = [], []
        for _ in range(max(1, args.runs // 2)):
            start = time.perf_counter()
            findings = booklet_is_imposed_right(context)
            checks.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(json.dumps({
            "pages": info.pages_in,
            "binding": info.binding,
            "signatures": len(info.signatures),
            "signature_sheets": sorted(set(info.signatures), reverse=True),
            "sheets": info.sheets,
            "sides": info.sides,
            "source_bytes": source.stat().st_size,
            "booklet_bytes": target.stat().st_size,
            "runs": args.runs,
            "seconds_median": round(median, 4),
            "seconds_min": round(min(times), 4),
            "within_budget": median <= args.budget,
            "check_seconds_median": round(statistics.median(checks), 4),
            "check_findings": len(findings),
        }))


if __name__ == "__main__":
    main()
