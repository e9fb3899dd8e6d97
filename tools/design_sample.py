#!/usr/bin/env python3
"""Draw docs/design.png: the `octavo new` sample chapter at three trims and in two fonts.

Each of the six books is made by `octavo new`, given its [design] table, and built by
Octavo (the checks skipped: this is a picture); the chapter's second page is drawn
from each screen PDF at one scale, so the trims keep their real proportions.

    .venv/bin/python tools/design_sample.py [--out docs/design.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRIMS = ("a5", "6x9in", "a4")
FONTS = ("Charis SIL", "Noto Sans")
PAGE = 3  # the chapter's second page (0-based), with its figure, note, code and table
PX_PER_MM = 2.4


def build_sample(folder: Path, trim: str, font: str) -> Path:
    from octavo.build import BuildOptions, build
    from octavo.new import new_book, title_of as new_title
    new_book(folder)
    metadata = folder / "metadata.toml"
    text = metadata.read_text(encoding="utf-8")
    text = text.replace(f'title = "{new_title(folder)}"', 'title = "A Designed Book"')
    metadata.write_text(text[:text.index("[design]")] + f'[design]\ntrim = "{trim}"\n'
                        f'font = "{font}"\nstylesheets = ["book.css"]\n', encoding="utf-8")
    result = build(BuildOptions(manuscript=folder, out=folder.parent / f"{folder.name}-dist",
                                quiet=True, checks=False, cache=False))
    return result.outputs["pdf"]


def draw_page(pdf: Path):
    import pypdfium2
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[PAGE]
        return page.render(scale=PX_PER_MM * 25.4 / 72).to_pil().convert("RGB")
    finally:
        document.close()


def label_font(size: int):
    from PIL import ImageFont
    from octavo.fonts import font_files
    files = font_files("Charis SIL")
    return ImageFont.truetype(str(files[0]), size) if files else ImageFont.load_default()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "design.png")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    from PIL import Image, ImageDraw
    pages = {}
    with tempfile.TemporaryDirectory(prefix="octavo-design-") as work:
        for font in FONTS:
            for trim in TRIMS:
                name = f"{trim}-{font.replace(' ', '-').lower()}"
                pages[trim, font] = draw_page(build_sample(Path(work) / name, trim, font))
    gap, label = 36, 58
    widths = [max(pages[trim, font].width for font in FONTS) for trim in TRIMS]
    heights = [max(pages[trim, font].height for trim in TRIMS) for font in FONTS]
    sheet = Image.new("RGB", (sum(widths) + gap * (len(TRIMS) + 1),
                              sum(heights) + (gap + label) * len(FONTS) + gap), (236, 236, 232))
    draw = ImageDraw.Draw(sheet)
    small = label_font(26)
    y = gap
    for row, font in enumerate(FONTS):
        x = gap
        for column, trim in enumerate(TRIMS):
            page = pages[trim, font]
            draw.text((x, y + 8), f"{trim}  ·  {font}", fill=(40, 40, 40), font=small)
            top = y + label + heights[row] - page.height  # the pages stand on one line
            sheet.paste(page, (x, top))
            draw.rectangle([x - 1, top - 1, x + page.width, top + page.height],
                           outline=(150, 150, 150))
            x += widths[column] + gap
        y += label + heights[row] + gap
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"{args.out}: {sheet.width} × {sheet.height} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
