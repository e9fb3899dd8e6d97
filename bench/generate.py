"""Synthetic manuscripts for the benchmark: ~10, ~100, ~300 or ~400 A5 pages.

    .venv/bin/python bench/generate.py OUT_DIR [--pages 300] [--seed 7]
        [--chapters 20] [--words-per-figure 2500] [--words-per-note 45]

A manuscript is an Octavo manuscript folder: metadata.toml, one Markdown file per
chapter (a `#` heading, `##` subheadings, footnotes) and `images/` with one generated,
photo-like JPEG per figure, a figure about every 8 pages (or every `words_per_figure`
words) in the `::: figure` syntax of manuscript/article.md, a note about every 1.4
pages (or every `words_per_note` words). The text is English-like (common words,
sentences of varied length, commas, the odd quotation) and never repeats a sentence,
so the text checks compare real sentences. Everything is a pure function of the
arguments.
"""

from __future__ import annotations

import argparse
import io
import random
import re
from pathlib import Path

WORDS_PER_PAGE = 265  # calibrated: text and notes of one A5 page of styles/base.css
PAGES_PER_FIGURE = 8
PAGES_PER_SUBHEADING = 3
NOTES_PER_PAGE = 0.7

# Common English words, weighted by repetition (frequent words listed more than once).
FUNCTION = ("the the the the of of of and and and to to a a in in is that it for as was "
            "with on by at this from which but not be are or have had an their its were "
            "has they one all there been more when who into would than so out also").split()
CONTENT = """time people year way day man world life hand part child eye woman place work
week case point government company number group problem fact city river harbour letter
voyage island winter summer market road bridge garden window evening morning history
story question answer memory family village country journey station engine lighthouse
merchant sailor teacher doctor painter writer reader printer library museum archive
treaty council border mountain valley forest coast weather season harvest festival
language music silence distance promise reason purpose custom habit method practice
small large old new long short early late quiet bright narrow broad heavy careful
patient sudden ordinary distant familiar modest generous stubborn grateful uncertain
remarkable particular curious gentle bitter ancient modern steady rough simple
wrote carried opened closed followed remembered noticed described returned arrived
considered explained gathered repaired painted measured borrowed travelled wondered
listened answered decided believed finished started watched discovered crossed
slowly quietly rarely often nearly perhaps clearly certainly gradually suddenly
again still already almost always never together instead otherwise meanwhile""".split()
NAMES = ("Mara Tobias Ilse Arvid Nadia Oskar Leona Pieter Rosa Emil Hanna Viktor Greta "
         "Anselm Clara Jonas").split()
PLACES = "Korsund Vell Marrow Estby Halden Ostra Brill Fennick Tarrow Lisk".split()


class Writer:
    """English-like prose from a seeded random generator: deterministic, never repeating."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.seen: set[str] = set()

    def word(self) -> str:
        r = self.random.random()
        if r < 0.42:
            return self.random.choice(FUNCTION)
        if r < 0.97:
            return self.random.choice(CONTENT)
        return self.random.choice(NAMES + PLACES)

    def sentence(self) -> str:
        while True:
            count = self.random.randint(7, 26)
            words = [self.word() for _ in range(count)]
            for at in range(4, count - 3, 7):
                if self.random.random() < 0.5:
                    words[at] += ","
            if self.random.random() < 0.08:
                start = self.random.randint(1, count - 4)
                words[start] = "\u201c" + words[start]
                words[start + 2] += "\u201d"
            text = " ".join(words)
            text = text[0].upper() + text[1:] + self.random.choice(".......?!")
            if text not in self.seen:
                self.seen.add(text)
                return text

    def paragraph(self, words: int) -> str:
        sentences, total = [], 0
        while total < words:
            sentences.append(self.sentence())
            total += len(sentences[-1].split())
        return " ".join(sentences)

    def title(self, low: int = 2, high: int = 5) -> str:
        words = [self.random.choice(CONTENT) for _ in range(self.random.randint(low, high))]
        return " ".join(words).capitalize()


def photo(seed: int, size: tuple[int, int]) -> bytes:
    """A photo-like RGB JPEG (gradients, shapes and noise: compresses like a photograph)."""
    from PIL import Image, ImageDraw, ImageFilter
    rng = random.Random(seed)
    width, height = size
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size)
    radial = Image.radial_gradient("L").resize(size)
    noise = Image.effect_noise(size, 30 + seed % 20)
    image = Image.merge("RGB", (gradient, radial, noise)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 20, width // 5)
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    image = Image.blend(image, Image.merge("RGB", [Image.effect_noise(size, 60)] * 3), 0.15)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def chapter_count(pages: int) -> int:
    return max(2, min(12, round(pages / 25)))


def make_manuscript(folder: Path, pages: int, seed: int = 7, chapters: int | None = None,
                    words_per_figure: int | None = None,
                    words_per_note: int | None = None) -> Path:
    """Write a manuscript of about `pages` A5 pages into `folder` (created); returns it.

    `chapters`: how many (default: one per ~25 pages, 2 to 12); `words_per_figure`,
    `words_per_note`: a figure, a note about every so many words of text (default: a
    figure every 8 pages, 0.7 notes a page)."""
    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    writer = Writer(seed * 1000 + pages)
    chapters = chapters or chapter_count(pages)
    figure_pages = words_per_figure / WORDS_PER_PAGE if words_per_figure else PAGES_PER_FIGURE
    pages_per_chapter = pages / chapters
    figure = 0
    names = []
    page_cursor = 0.0
    for number in range(1, chapters + 1):
        lines = [f"# {writer.title(2, 4)}", ""]
        notes = []
        budget = pages_per_chapter
        chapter_pages = 0.0
        next_heading = PAGES_PER_SUBHEADING
        while chapter_pages < budget:
            if chapter_pages >= next_heading:
                lines += [f"## {writer.title()}", ""]
                next_heading += PAGES_PER_SUBHEADING
            words = writer.random.randint(60, 170)
            text = writer.paragraph(words)
            if words_per_note is None:  # at most one note a paragraph
                if writer.random.random() < NOTES_PER_PAGE * words / WORDS_PER_PAGE:
                    notes.append(writer.paragraph(writer.random.randint(12, 40)))
                    cut = text.find(". ", len(text) // 2)
                    marker = f"[^{len(notes)}]"
                    text = text[:cut + 1] + marker + text[cut + 1:] if cut > 0 \
                        else text + marker
            else:  # as many as the rate asks for, after a comma or a full stop
                calls = words / words_per_note
                count = int(calls) + (writer.random.random() < calls - int(calls))
                cuts = sorted({match.start() for match in re.finditer(r"[.,] ", text)})
                chosen = sorted(writer.random.sample(cuts, min(count, len(cuts))))
                markers = []
                for _ in chosen:
                    notes.append(writer.paragraph(writer.random.randint(12, 40)))
                    markers.append(f"[^{len(notes)}]")
                for at, marker in reversed(list(zip(chosen, markers))):
                    text = text[:at + 1] + marker + text[at + 1:]
            lines += [text, ""]
            advance = words / WORDS_PER_PAGE
            chapter_pages += advance
            page_cursor += advance
            if page_cursor >= figure_pages * (figure + 1) - figure_pages / 2 \
                    and chapter_pages < budget - 1:
                figure += 1
                landscape = figure % 4 != 0
                size = (1600, 1067) if landscape else (1100, 1400)
                name = f"images/fig-{figure:03d}.jpg"
                (folder / name).write_bytes(photo(seed * 100 + figure, size))
                lines += ["::: figure",
                          f"![{writer.sentence()}]({name})",
                          writer.sentence(),
                          f"Credit: {writer.random.choice(NAMES)} "
                          f"{writer.random.choice(PLACES)}, {writer.title(1, 2)} Archive",
                          ":::", ""]
        for index, note in enumerate(notes, 1):
            lines += [f"[^{index}]: {note}", ""]
        name = f"{number:02d}-chapter.md"
        (folder / name).write_text("\n".join(lines), encoding="utf-8")
        names.append(name)
    chapter_list = ", ".join(f'"{name}"' for name in names)
    (folder / "metadata.toml").write_text(f'''title = "A Synthetic Book of {pages} Pages"
language = "en"
date = "2026-11-01"
identifier = "urn:uuid:00000000-0000-5000-8000-{pages:012d}"
slug = "bench-{pages}"
authors = ["Bench Author"]
description = "A generated manuscript for the build benchmark."
subjects = ["Benchmarks"]
chapters = [{chapter_list}]
''', encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chapters", type=int)
    parser.add_argument("--words-per-figure", type=int)
    parser.add_argument("--words-per-note", type=int)
    args = parser.parse_args()
    print(make_manuscript(args.out, args.pages, args.seed, args.chapters,
                          args.words_per_figure, args.words_per_note))


if __name__ == "__main__":
    main()
