"""The README's drawing of a signature sheet, made by the imposer itself.

    .venv/bin/python tools/signature_drawing.py [docs/images/signature-sheet.png]

Makes a 16-page dummy A5 book (each page: its number, large, and grey bars for lines of
text), imposes it as one 4-sheet signature on A4 with the real `impose_booklet` (fold
marks, the collation mark, the signature label), rasterises the first sheet's front and
back with pypdfium2, and labels them: page numbers as the imposer placed them, the fold,
the marks, and how the sheet turns over. The other sheets of the signature are listed
under it, from the same imposition.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pikepdf
import pypdfium2
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octavo.booklet.impose import impose_booklet  # noqa: E402
from octavo.booklet.marks import COLLATION_MARGIN, COLLATION_WIDTH  # noqa: E402
from octavo.fonts import font_files  # noqa: E402

MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
SCALE = 0.62  # px per pt: an A4 side is 522 × 369 px
MARGIN, GAP = 24, 40
INK, GREY, ACCENT = (20, 20, 20), (90, 90, 90), (178, 34, 34)


def dummy_book(target: Path, pages: int = 16) -> Path:
    """Page k: "k" large, a text block of grey bars, a folio at the outer foot."""
    width, height = A5
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
        for number in range(1, pages + 1):
            page = pdf.add_blank_page(page_size=A5)
            page.obj.TrimBox = pikepdf.Array([0, 0, width, height])
            page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
            inner, outer = (20 * MM, 15 * MM) if number % 2 else (15 * MM, 20 * MM)
            x0 = inner if number % 2 else outer  # recto: inner margin on the left
            bars = []
            for line in range(30):
                y = height - 24 * MM - line * 5.2 * MM
                if 86 * MM < height - y < 128 * MM:
                    continue  # room for the number
                length = width - inner - outer - (18 * MM if line % 7 == 6 else 0)
                bars.append(f"{x0:.2f} {y:.2f} {length:.2f} 1.6 re")
            label = str(number).encode()
            size = 96
            text_x = width / 2 - size * 0.28 * len(label)
            folio_x = width - outer - 6 if number % 2 else outer
            page.obj.Contents = pdf.make_stream(
                b"q 0.75 g " + " ".join(bars).encode() + b" f Q "
                b"BT /F1 %d Tf %.2f %.2f Td (%s) Tj ET " % (size, text_x, height / 2 - 34, label)
                + b"BT /F1 9 Tf %.2f %.2f Td (%s) Tj ET" % (folio_x, 12 * MM, label))
        pdf.docinfo.Title = "Octavo"
        pdf.save(target, deterministic_id=True)
    return target


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (regular or bold), as fontconfig finds it."""
    files = [path for path in font_files("DejaVu Sans") if "Oblique" not in path.name
             and ("Bold" in path.name) == bold and "Condensed" not in path.name]
    return ImageFont.truetype(str(files[0]), size) if files else ImageFont.load_default()


def _side(booklet: Path, index: int) -> Image.Image:
    document = pypdfium2.PdfDocument(str(booklet))
    try:
        return document[index].render(scale=SCALE * 2).to_pil().convert("RGB").resize(
            (round(297 * MM * SCALE), round(210 * MM * SCALE)), Image.LANCZOS)
    finally:
        document.close()


def _dashed(draw: ImageDraw.ImageDraw, x: int, top: int, bottom: int) -> None:
    for y in range(top, bottom, 10):
        draw.line([(x, y), (x, min(y + 5, bottom))], fill=ACCENT, width=2)


def drawing(target: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="octavo-drawing-") as folder:
        source = dummy_book(Path(folder) / "dummy.pdf")
        booklet = Path(folder) / "booklet.pdf"
        info = impose_booklet(source, booklet, binding="signatures", signature_sheets=4,
                              marks="fold", title="Octavo")
        front, back = _side(booklet, 0), _side(booklet, 1)
    assert info.signatures == (4,)
    width, height = front.size
    title, small = _font(18, bold=True), _font(15)
    caption_h = 56
    canvas = Image.new("RGB", (2 * width + GAP + 2 * MARGIN, height + caption_h + 220),
                       "white")
    draw = ImageDraw.Draw(canvas)
    middle = width // 2
    for column, (image, side, pages) in enumerate(((front, "front", info.order[0]),
                                                   (back, "back", info.order[1]))):
        left = MARGIN + column * (width + GAP)
        top = MARGIN + caption_h
        draw.text((left, MARGIN), f"Sheet 1 of the signature, {side} (PDF page {column + 1}):",
                  fill=INK, font=title)
        draw.text((left, MARGIN + 26), f"page {pages[0]} on the left, page {pages[1]} on the "
                  "right", fill=GREY, font=small)
        canvas.paste(image, (left, top))
        draw.rectangle([left - 1, top - 1, left + width, top + height], outline=GREY)
        _dashed(draw, left + middle, top - 6, top + height + 6)
        draw.text((left + middle + 6, top + height + 6), "fold", fill=ACCENT, font=small)
    # The marks on the front: the collation mark at the head of the fold, the label at its foot.
    left, top = MARGIN, MARGIN + caption_h
    mark_y = top + round((COLLATION_MARGIN + 4 * MM) * SCALE)
    draw.line([(left + middle + round(COLLATION_WIDTH * SCALE), mark_y),
               (left + middle + 70, mark_y + 34)], fill=ACCENT, width=2)
    draw.text((left + middle + 74, mark_y + 26), "collation mark", fill=ACCENT, font=small)
    label_y = top + height - round((COLLATION_MARGIN + 12 * MM) * SCALE)
    draw.line([(left + middle + 6, label_y), (left + middle + 70, label_y - 40)],
              fill=ACCENT, width=2)
    draw.text((left + middle + 74, label_y - 52), f"label \"{info.label} · 1/1\"",
              fill=ACCENT, font=small)
    # How the sheet turns over, and the rest of the signature.
    below = top + height + 34
    draw.text((MARGIN, below), "Duplex, flip on the short edge: page 2 prints behind page 1. "
              "Fold the four sheets together, sheet 1 outside:", fill=INK, font=small)
    draw.text((MARGIN, below + 22), "the leaves read 1 to 16. Signatures are then stacked "
              "in order, their collation marks stepping down the spine.", fill=INK, font=small)
    rest = []
    for sheet in range(1, 4):
        (a, b), (c, d) = info.order[2 * sheet], info.order[2 * sheet + 1]
        rest.append(f"sheet {sheet + 1}: {a} | {b} and {c} | {d}")
    draw.text((MARGIN, below + 50), "The other sheets (front and back): " + "; ".join(rest),
              fill=GREY, font=small)
    draw.text((MARGIN, below + 72), "Drawn by tools/signature_drawing.py with the real "
              "imposer (impose_booklet, 4 sheets a signature, fold marks).", fill=GREY,
              font=small)
    canvas = canvas.crop((0, 0, canvas.width, below + 98))
    target.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(target, optimize=True)
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parent.parent / "docs" / "images" / "signature-sheet.png"
    print(drawing(out))
