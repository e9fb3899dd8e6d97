"""Make placeholder plates ("FPO — for position only") for missing manuscript figures.

Usage: python tools/make_placeholders.py [MANUSCRIPT_DIR] [--force]

Reads the ``::: figure`` blocks of every *.md file in MANUSCRIPT_DIR (default:
manuscript/ next to tools/) and draws a plate for each referenced image that is
missing (--force: redraws existing plates too). Plates are 1800 px wide, about
400 ppi at the 114 mm A5 text width; 3:2, or 4:3 for miniatures and frescoes.

Each plate carries octavo.images.PLACEHOLDER_MARKER (JPEG comment / PNG text
chunk), which is how Octavo tells it from a real picture. To use the real picture,
save it under the same file name: nothing else needs to change. A file without the
marker is never overwritten, even with --force. Output is deterministic.
"""

import argparse
import colorsys
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from PIL.PngImagePlugin import PngInfo  # noqa: E402
from octavo.manuscript.images import PLACEHOLDER_MARKER, is_placeholder  # noqa: E402

WIDTH, DPI = 1800, 400
FONTS = ["/usr/share/fonts/truetype/charis/CharisSIL-{}.ttf",  # first found wins
         "/usr/share/fonts/truetype/noto/NotoSerif-{}.ttf"]
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+)")


def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    for pattern in FONTS:
        if Path(pattern.format(weight)).is_file():
            return ImageFont.truetype(pattern.format(weight), size)
    sys.exit("error: no serif font: install Charis SIL (fonts-sil-charis) or Noto Serif")


def figures(folder: Path):
    """Yield (image path, caption) for each ::: figure block, in reading order."""
    for md in sorted(folder.glob("*.md")):
        block = None
        for line in md.read_text(encoding="utf-8").splitlines():
            if line.strip() == "::: figure":
                block = []
            elif block is not None and line.strip() == ":::":
                link = next((m for m in map(IMAGE_LINK.search, block) if m), None)
                caption = " ".join(l.strip() for l in block if l.strip() and not
                                   IMAGE_LINK.search(l) and not l.startswith("Credit:"))
                if link:
                    yield (md.parent / link.group(1)).resolve(), re.sub(r"[*`]", "", caption)
                block = None
            elif block is not None:
                block.append(line)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap, then narrow the measure while the line count holds (even lines)."""
    def greedy(measure: float) -> list[str]:
        lines: list[str] = []
        for word in text.split():
            if lines and face.getlength(f"{lines[-1]} {word}") <= measure:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
        return lines
    best = greedy(width)
    while len(best) > 1 and len(fit := greedy(max(map(face.getlength, best)) - 1)) == len(best):
        best = fit
    return best


def plate(number: int, caption: str) -> Image.Image:
    tall = re.search(r"miniature|fresco", caption, re.IGNORECASE)
    width, height = WIDTH, WIDTH * 3 // 4 if tall else WIDTH * 2 // 3
    hue = (30 + (number * 7) % 24) / 360  # warm grey to sepia, a little different each
    shade = lambda sat, val: tuple(round(c * 255) for c in colorsys.hsv_to_rgb(hue, sat, val))
    paper, line, ink = shade(0.13, 0.87), shade(0.16, 0.74), shade(0.30, 0.33)
    image = Image.new("RGB", (width, height), paper)
    draw, m = ImageDraw.Draw(image), 48  # m: inset of the inner frame
    draw.rectangle((m, m, width - m, height - m), outline=line, width=4)
    draw.line((m, m, width - m, height - m), fill=line, width=3)  # the two diagonals
    draw.line((m, height - m, width - m, m), fill=line, width=3)
    subject = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", caption.strip())[0].rstrip(".")
    spaced = "   ".join(" ".join(word) for word in "FOR POSITION ONLY".split())
    note = f"Figure {number} · {width} × {height} px · placeholder"
    for size in range(86, 50, -4):  # shrink the subject until the stack fits in the frame
        body = font("Regular", size)
        rows = [(font("Bold", 250), "FPO", 250), (font("Bold", 40), spaced, 95), (body, "", 40),
                *[(body, text, round(size * 1.24)) for text in wrap(subject, body, width - 380)],
                (font("Regular", 36), note, 100)]
        if (total := sum(row[2] for row in rows)) <= height - 2 * m - 80:
            break
    y = (height - total) / 2
    for face, text, advance in rows:  # the stroke knocks the lines out around the letters
        draw.text((width / 2, y + advance / 2), text, font=face, anchor="mm", fill=ink,
                  stroke_width=8, stroke_fill=paper)
        y += advance
    return image


def save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".png":
        info = PngInfo()
        info.add_text("Comment", PLACEHOLDER_MARKER)
        image.save(path, "PNG", pnginfo=info, dpi=(DPI, DPI), optimize=True)
    else:
        image.save(path, "JPEG", comment=PLACEHOLDER_MARKER.encode(), dpi=(DPI, DPI),
                   quality=82, optimize=True, progressive=False, subsampling="4:2:0")
    with Image.open(path) as check:
        if not is_placeholder(check):
            sys.exit(f"error: {path} was written but its placeholder marker is missing")


def marked(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            return is_placeholder(image)
    except OSError:  # unreadable: treat it as a real picture and leave it alone
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manuscript", nargs="?", type=Path, default=ROOT / "manuscript")
    parser.add_argument("--force", action="store_true", help="redraw existing placeholders too")
    args = parser.parse_args()
    if not (folder := args.manuscript.resolve()).is_dir():
        sys.exit(f"error: {folder} is not a folder")
    for number, (path, caption) in enumerate(figures(folder), start=1):
        if not path.is_relative_to(folder) or path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            print(f"skip   {path}: not a .jpg/.png inside the manuscript folder")
            continue
        shown = path.relative_to(folder)
        if path.exists() and not (args.force and marked(path)):
            why = "placeholder (--force redraws it)" if marked(path) else "real picture, no marker"
            print(f"keep   {shown}: {why}")
            continue
        save(plate(number, caption), path)
        print(f"wrote  {shown}")


if __name__ == "__main__":
    main()
