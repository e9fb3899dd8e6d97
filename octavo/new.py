"""`octavo new DIR`: a new manuscript that builds at once, with 0 errors and 0 warnings.

Copies the sample in scaffold/ (a commented metadata.toml with a fresh `urn:uuid:`
identifier, one chapter showing the dialect's main constructs, a commented book.css)
and draws the chapter's picture, a lighthouse at dusk, with Pillow: a real image, not
a placeholder plate. Refuses a folder that exists and is not empty.
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from pathlib import Path
from string import Template

from .errors import OctavoError, UsageError

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"  # the sample manuscript
FILES = ("metadata.toml", "chapter-1.md", "book.css")
PICTURE = Path("images") / "lighthouse.png"
PICTURE_SIZE = (2400, 1600)  # 300 ppi and more across the text block of an A4 page


def title_of(folder: Path) -> str:
    """A first title from the folder's name: `my-first-book` → `My first book`."""
    words = " ".join(folder.resolve().name.replace("_", " ").replace("-", " ").split())
    return (words[:1].upper() + words[1:]) if words else "A new book"


def _draw_lighthouse(target: Path) -> None:
    """A lighthouse on rocks at dusk, its beam over the sea: flat shapes, so the PNG stays
    small, drawn the same on every run."""
    from PIL import Image, ImageDraw

    width, height = PICTURE_SIZE
    horizon = int(height * 0.62)
    image = Image.new("RGB", PICTURE_SIZE)
    draw = ImageDraw.Draw(image, "RGBA")
    top, low = (22, 38, 74), (236, 150, 92)  # night blue to the glow over the horizon
    bands = 18
    for band in range(bands):  # the sky in bands, as a print would be
        mix = band / (bands - 1)
        colour = tuple(round(a + (b - a) * mix ** 1.6) for a, b in zip(top, low))
        draw.rectangle([0, horizon * band // bands, width, horizon * (band + 1) // bands],
                       fill=colour)
    for x, y, r in ((300, 140, 5), (520, 260, 4), (880, 110, 6), (1500, 200, 4),
                    (1760, 90, 5), (2050, 300, 4), (2250, 160, 6), (1180, 330, 3)):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(250, 246, 220))
    sky = image.getpixel((250, 240))
    draw.ellipse([170, 160, 330, 320], fill=(250, 240, 200))  # a crescent moon
    draw.ellipse([215, 145, 375, 305], fill=sky)
    draw.rectangle([0, horizon, width, height], fill=(24, 62, 78))  # the sea
    for row in range(14):
        y = horizon + 20 + row * 42 + row * row * 2
        for start in range((row * 97) % 260, width, 420 + row * 13):
            draw.line([start, y, start + 120 + row * 8, y], fill=(120, 170, 180, 90), width=4)
    base_x, base_y = 720, int(height * 0.78)  # the foot of the tower, on the rocks
    draw.polygon([(0, height), (0, base_y - 40), (260, base_y - 90), (520, base_y - 30),
                  (840, base_y - 60), (1120, base_y + 40), (1300, height)], fill=(38, 34, 40))
    draw.polygon([(380, height), (560, base_y + 10), (900, base_y + 60), (1050, height)],
                 fill=(56, 50, 56))
    tower_top = int(height * 0.30)
    lantern = (base_x, tower_top - 95)
    for spread, alpha in ((0.13, 60), (0.07, 80)):  # the beam, towards the sea
        draw.polygon([lantern, (width, lantern[1] - int(width * spread)),
                      (width, lantern[1] + int(width * spread * 0.8))],
                     fill=(255, 236, 160, alpha))
    half_base, half_top = 95, 62
    draw.polygon([(base_x - half_base, base_y), (base_x + half_base, base_y),
                  (base_x + half_top, tower_top), (base_x - half_top, tower_top)],
                 fill=(242, 240, 232))
    for band in (0.25, 0.6):  # red bands
        y0 = base_y - (base_y - tower_top) * band
        y1 = y0 - 70
        w0 = half_base - (half_base - half_top) * band
        w1 = half_base - (half_base - half_top) * (band + 70 / (base_y - tower_top))
        draw.polygon([(base_x - w0, y0), (base_x + w0, y0), (base_x + w1, y1),
                      (base_x - w1, y1)], fill=(178, 44, 40))
    draw.rectangle([base_x - 90, tower_top - 14, base_x + 90, tower_top], fill=(40, 40, 44))
    draw.rectangle([base_x - 50, tower_top - 130, base_x + 50, tower_top - 14],
                   fill=(255, 226, 120))
    for x in (base_x - 17, base_x + 17):
        draw.line([x, tower_top - 130, x, tower_top - 14], fill=(60, 60, 64), width=6)
    draw.polygon([(base_x - 64, tower_top - 130), (base_x + 64, tower_top - 130),
                  (base_x, tower_top - 210)], fill=(168, 40, 38))
    draw.rectangle([base_x - 16, base_y - 150, base_x + 16, base_y - 90], fill=(70, 56, 48))
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, format="PNG", optimize=True)


def new_book(folder: Path) -> list[Path]:
    """Make the sample manuscript in `folder` (new or empty); returns the files made."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError("the folder is not empty", folder,
                         hint="give a new folder's name: `octavo new my-book`")
    values = {"title": title_of(folder).replace('"', "'"),
              "identifier": f"urn:uuid:{uuid.uuid4()}", "year": str(dt.date.today().year)}
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in FILES:
        text = (SCAFFOLD / name).read_text(encoding="utf-8")
        if name == "metadata.toml":
            text = Template(text).substitute(values)
        (folder / name).write_text(text, encoding="utf-8")
        made.append(folder / name)
    _draw_lighthouse(folder / PICTURE)
    made.append(folder / PICTURE)
    return made


def main(argv: list[str]) -> int:
    """`octavo new DIR`, as the command line calls it."""
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: octavo new DIR\n\nMake a new manuscript in DIR (a new or empty "
              "folder): metadata.toml, a sample chapter with a picture, and book.css.",
              file=sys.stderr if argv not in (["-h"], ["--help"]) else sys.stdout)
        return 0 if argv in (["-h"], ["--help"]) else UsageError.exit_code
    folder = Path(argv[0])
    try:
        made = new_book(folder)
    except OctavoError as error:
        print(f"octavo: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    print(f"Made a new book in {folder}/:")
    for path in made:
        print(f"  {path.relative_to(folder)}")
    print(f"Next: build it with\n  octavo --manuscript {folder}\n"
          f"(or `python build.py --manuscript {folder}` in Octavo's checkout), then open "
          "the PDF in dist/.")
    return 0
