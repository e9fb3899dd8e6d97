"""The saddle-stitch booklet: sheet counts, sizes, page order read back from the sheets.

The page order is checked from what the sheets show, not from BookletInfo: poppler's
`pdftotext -bbox` reads every word with its position, each word goes to the left or right
half of its side, and the halves must read "Page k" in saddle-stitch order (an empty half
is a blank page). The expected order is computed here from the standard formula, not
imported from the module under test.

The synthetic manuscripts come from one 300-page WeasyPrint render, cached for the
session (about 2 s); the n-page documents are its first n pages. So the 300-page case
costs only its own imposition and text extraction and runs with the rest.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest

from octavo.booklet.impose import BookletInfo, impose_booklet
from octavo.booklet.instructions import print_instructions
from octavo.errors import UsageError

from synthetic import A5_PT, a5_pdf, without_trimbox

MM = 72 / 25.4
A4_LANDSCAPE = (297 * MM, 210 * MM)
LETTER_LANDSCAPE = (792.0, 612.0)
TOL = 0.01


# ---------------------------------------------------------------- reading the sheets back

def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} not found: install poppler-utils"
    return path


def halves_text(pdf: Path) -> list[tuple[str, str]]:
    """For each side of the booklet, the text on its (left, right) half."""
    xml = subprocess.run([_poppler("pdftotext"), "-bbox", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    root = ElementTree.fromstring(xml)
    sides = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        middle = float(page.get("width")) / 2
        halves: tuple[list, list] = ([], [])
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            x0, x1 = float(word.get("xMin")), float(word.get("xMax"))
            assert x1 <= middle or x0 >= middle, f"a word crosses the fold: {word.text}"
            halves[x0 >= middle].append((x0, word.text))
        sides.append(tuple(" ".join(text for _, text in sorted(half)) for half in halves))
    return sides


def expected_sides(n: int, back_cover: bool = True) -> list[tuple[str, str]]:
    """Saddle-stitch order written out independently: blanks just before the back cover."""
    big_n = 4 * math.ceil(n / 4)
    if back_cover and n >= 2:
        reading = list(range(1, n)) + [None] * (big_n - n) + [n]
    else:
        reading = list(range(1, n + 1)) + [None] * (big_n - n)

    def folio(position: int) -> str:  # 1-based position in the booklet
        page = reading[position - 1]
        return "" if page is None else f"Page {page}"

    sides = []
    for i in range(big_n // 4):
        sides.append((folio(big_n - 2 * i), folio(2 * i + 1)))      # front
        sides.append((folio(2 * i + 2), folio(big_n - 2 * i - 1)))  # back
    return sides


def sheet_sizes(pdf: Path) -> list[tuple[float, float]]:
    with pikepdf.open(pdf) as doc:
        sizes = []
        for page in doc.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert (x0, y0) == (0, 0)
            assert "/Rotate" not in page.obj and "/CropBox" not in page.obj
            sizes.append((x1 - x0, y1 - y0))
        return sizes


def _multiply(m, n):
    """PDF matrix product m × n (apply m, then n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _apply(m, x, y):
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def placements(pdf: Path) -> list[dict[str, dict]]:
    """For each side: XObject name -> its `cm` matrix and where its BBox lands on the sheet."""
    result = []
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            ctm, stack, placed = (1, 0, 0, 1, 0, 0), [], {}
            xobjects = page.obj.Resources.XObject
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "q":
                    stack.append(ctm)
                elif op == "Q":
                    ctm = stack.pop()
                elif op == "cm":
                    cm = tuple(float(v) for v in operands)
                    ctm = _multiply(cm, ctm)
                    last_cm = cm
                elif op == "Do":
                    name = str(operands[0])
                    form = xobjects[name]
                    matrix = tuple(float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0)))
                    full = _multiply(matrix, ctm)
                    bx0, by0, bx1, by1 = (float(v) for v in form.BBox)
                    corners = [_apply(full, x, y) for x in (bx0, bx1) for y in (by0, by1)]
                    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                    placed[name] = {"cm": last_cm, "bbox": (bx0, by0, bx1, by1),
                                    "rect": (min(xs), min(ys), max(xs), max(ys))}
            result.append(placed)
    return result


def check_booklet(pdf: Path, info: BookletInfo, n: int, sheet=A4_LANDSCAPE,
                  back_cover: bool = True) -> None:
    sheets = math.ceil(n / 4)
    assert info.pages_in == n
    assert info.sheets == sheets and info.sides == 2 * sheets
    sizes = sheet_sizes(pdf)
    assert len(sizes) == 2 * sheets
    for width, height in sizes:
        assert width == pytest.approx(sheet[0], abs=TOL)
        assert height == pytest.approx(sheet[1], abs=TOL)
    expected = expected_sides(n, back_cover)
    assert halves_text(pdf) == expected
    # The XObjects drawn agree with the text read back (P<k> is source page k).
    drawn = [tuple(sorted(side, key=lambda name: side[name]["rect"][0]))
             for side in placements(pdf)]
    assert [tuple(f"Page {name[2:]}" for name in side) for side in drawn] == \
        [tuple(text for text in side if text) for side in expected]


# ---------------------------------------------------------------- order, counts, sizes

@pytest.mark.parametrize("n", list(range(1, 14)))
def test_sheet_count_size_and_saddle_stitch_order(n, tmp_path):
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(a5_pdf(n), target)
    check_booklet(target, info, n)
    big_n = 4 * math.ceil(n / 4)
    assert info.pages_padded == big_n and info.blanks == big_n - n
    if n >= 2:  # the back cover stays last; blanks sit just before it, after the text
        assert info.reading[-1] == n
        assert info.blank_positions == tuple(range(n, big_n))
    else:
        assert info.blank_positions == (2, 3, 4)


def test_physical_model_duplex_short_edge_then_fold(tmp_path):
    """Simulate the paper: duplex flipped on the short edge, stacked, folded, read.

    Turning a landscape sheet over its short edge (like a book page) puts the front's right
    half behind the back's left half and keeps both upright. Fold the stack with the first
    front outside: the right halves of sheets 0..S-1 are the leaves of the first half, the
    left halves of sheets S-1..0 those of the second half (there the back's right half
    faces the reader first). Reading leaf by leaf, recto then verso, must give 1..n.
    """
    n = 10
    target = tmp_path / "booklet.pdf"
    impose_booklet(a5_pdf(n), target)
    sides = halves_text(target)
    sheets = [(sides[2 * i], sides[2 * i + 1]) for i in range(len(sides) // 2)]
    # A leaf is (recto, verso); short-edge flip: front right <-> back left, and
    # back right <-> front left.
    leaves = [(front[1], back[0]) for front, back in sheets]
    leaves += [(back[1], front[0]) for front, back in reversed(sheets)]
    reading = [text for leaf in leaves for text in leaf]
    assert [t for t in reading if t] == [f"Page {k}" for k in range(1, n + 1)]
    assert reading[-1] == f"Page {n}"  # the back cover is the outside of the last leaf
    # Upright on both sides: every folio sits at the same height on fronts and backs
    # (a back rotated by 180 degrees would put it near the foot).
    xml = subprocess.run([_poppler("pdftotext"), "-bbox", str(target), "-"], check=True,
                         capture_output=True).stdout
    heights = {round(float(w.get("yMin")), 2)
               for w in ElementTree.fromstring(xml).iter("{http://www.w3.org/1999/xhtml}word")}
    assert len(heights) == 1


def test_three_hundred_pages(tmp_path):
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(a5_pdf(300), target, binding="saddle")
    check_booklet(target, info, 300)
    assert info.sheets == 75 and info.blanks == 0
    assert info.order[0] == (300, 1) and info.order[1] == (2, 299)
    assert info.order[-2:] == ((152, 149), (150, 151))  # the centre spread is 150 | 151


@pytest.mark.parametrize("n", [5, 6, 7, 13])
def test_without_back_cover_blanks_go_at_the_end(n, tmp_path):
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(a5_pdf(n), target, back_cover=False)
    check_booklet(target, info, n, back_cover=False)
    assert info.reading[:n] == tuple(range(1, n + 1))


def test_a5_page_sits_against_the_fold_at_full_size(tmp_path):
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(a5_pdf(4), target)
    assert info.scale == 1.0
    front = placements(target)[0]
    middle = A4_LANDSCAPE[0] / 2
    left, right = front["/P4"]["rect"], front["/P1"]["rect"]
    assert left[2] == pytest.approx(middle, abs=TOL) and right[0] == pytest.approx(middle, abs=TOL)
    for rect in (left, right):
        assert rect[2] - rect[0] == pytest.approx(A5_PT[0], abs=TOL)
        assert (rect[1], rect[3]) == (pytest.approx(0, abs=TOL), pytest.approx(A5_PT[1], abs=TOL))


# ---------------------------------------------------------------- letter

@pytest.mark.parametrize("n", [3, 8, 13])
def test_letter_sheets_with_half_letter_pages(n, tmp_path):
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(a5_pdf(n), target, sheet="letter")
    check_booklet(target, info, n, sheet=LETTER_LANDSCAPE)
    scale = 396 / A5_PT[0]  # width-limited: 396 / 419.53
    assert info.scale == pytest.approx(scale, abs=1e-6)
    assert info.sheet_size == (792.0, 612.0)
    for side in placements(target):
        for name, placed in side.items():
            x0, y0, x1, y1 = placed["rect"]
            assert x1 - x0 == pytest.approx(396, abs=TOL)  # fills its half exactly
            assert y1 - y0 == pytest.approx(A5_PT[1] * scale, abs=TOL)
            assert y0 == pytest.approx(612 - y1, abs=TOL)  # centred vertically
            assert x0 == pytest.approx(0, abs=TOL) or x0 == pytest.approx(396, abs=TOL)


# ---------------------------------------------------------------- creep

@pytest.mark.parametrize("creep", [2.0, -1.0])
def test_creep_shifts_inner_pages_outward_linearly(creep, tmp_path):
    n = 13  # 4 sheets: shifts 0, 1/3, 2/3, 1 × creep
    flat, crept = tmp_path / "flat.pdf", tmp_path / "crept.pdf"
    impose_booklet(a5_pdf(n), flat)
    info = impose_booklet(a5_pdf(n), crept, creep_mm=creep)
    assert info.sheets == 4 and info.creep_mm == creep
    check_booklet(crept, info, n)
    middle = A4_LANDSCAPE[0] / 2
    for index, (before, after) in enumerate(zip(placements(flat), placements(crept))):
        shift = creep * MM * (index // 2) / 3
        assert before.keys() == after.keys()
        for name in before:
            e0, f0 = before[name]["cm"][4:]
            e1, f1 = after[name]["cm"][4:]
            outward = -1 if before[name]["rect"][2] <= middle + TOL else 1  # left page → left
            assert e1 - e0 == pytest.approx(outward * shift, abs=1e-3)
            assert f1 == pytest.approx(f0, abs=1e-3)
    # The innermost sheet opens a gap of 2 × creep at the spine (negative: an overlap,
    # which the clip at the fold cuts off).
    centre = placements(crept)[-1]
    left = min(centre.values(), key=lambda p: p["rect"][0])["rect"]
    right = max(centre.values(), key=lambda p: p["rect"][0])["rect"]
    assert right[0] - left[2] == pytest.approx(2 * creep * MM, abs=1e-3)


# ---------------------------------------------------------------- bleed and boxes

def test_bleed_source_is_placed_by_trimbox_and_clipped(tmp_path):
    n = 7
    plain, bled = tmp_path / "plain.pdf", tmp_path / "bled.pdf"
    info = impose_booklet(a5_pdf(n), plain)
    info_bled = impose_booklet(a5_pdf(n, bleed=True), bled)
    check_booklet(bled, info_bled, n)
    assert info_bled.scale == info.scale == 1.0
    for side_plain, side_bled in zip(placements(plain), placements(bled)):
        for name, placed in side_bled.items():
            assert placed["bbox"] == pytest.approx((0, 0, *A5_PT), abs=TOL)  # the TrimBox
            assert placed["rect"] == pytest.approx(side_plain[name]["rect"], abs=TOL)
    # Same pixels: the bleed and WeasyPrint's crop marks around it are clipped away.
    for side in (1, 2, 3, 4):
        assert _raster(plain, side) == _raster(bled, side)


def test_trim_off_the_origin_and_full_bleed_background(tmp_path):
    """A hand-made page: MediaBox at the origin, TrimBox inset by the bleed, black to the
    MediaBox edge. Only the trim may be black on the sheet."""
    bleed = 3 * MM
    w, h = A5_PT
    source = tmp_path / "bleed.pdf"
    with pikepdf.new() as pdf:
        for _ in range(4):
            page = pdf.add_blank_page(page_size=(w + 2 * bleed, h + 2 * bleed))
            page.obj.TrimBox = pikepdf.Array([bleed, bleed, bleed + w, bleed + h])
            page.obj.Contents = pdf.make_stream(
                f"0 g 0 0 {w + 2 * bleed} {h + 2 * bleed} re f".encode())
        pdf.save(source)
    target = tmp_path / "booklet.pdf"
    info = impose_booklet(source, target)
    assert info.scale == 1.0
    side = placements(target)[0]
    assert side["/P1"]["rect"] == pytest.approx((A4_LANDSCAPE[0] / 2, 0,
                                                 A4_LANDSCAPE[0] / 2 + w, h), abs=TOL)
    # 288 dpi: the 1.41 pt fore-edge strip (A5 is 0.5 mm narrower than half A4) is ~5 px.
    from PIL import Image
    png = _raster(target, 1, dpi=288, fmt="png")
    image = Image.open(png).convert("L")
    middle_row = image.height // 2
    assert image.getpixel((1, middle_row)) == 255  # fore-edge strip: bleed clipped off
    assert image.getpixel((image.width - 2, middle_row)) == 255
    assert image.getpixel((12, middle_row)) == 0  # the trimmed page itself
    assert image.getpixel((image.width // 2, middle_row)) == 0


def test_pdf_without_trimbox_uses_mediabox(tmp_path):
    n = 6
    with_trim, media_only = tmp_path / "with.pdf", tmp_path / "media.pdf"
    impose_booklet(a5_pdf(n), with_trim)
    source = without_trimbox(a5_pdf(n), tmp_path / "source.pdf")
    info = impose_booklet(source, media_only)
    check_booklet(media_only, info, n)
    for a, b in zip(placements(with_trim), placements(media_only)):
        assert a.keys() == b.keys()
        for name in a:
            assert a[name]["rect"] == pytest.approx(b[name]["rect"], abs=TOL)
    # A bleed PDF stripped of its TrimBox is bigger than A5: scaled down to fit its half.
    bigger = without_trimbox(a5_pdf(n, bleed=True), tmp_path / "bigger.pdf")
    info = impose_booklet(bigger, tmp_path / "bigger-booklet.pdf", sheet="a4")
    assert info.scale == pytest.approx(A4_LANDSCAPE[0] / 2 / (A5_PT[0] + 6 * MM), abs=1e-6)
    check_booklet(tmp_path / "bigger-booklet.pdf", info, n)


def test_rotated_pages_are_placed_upright(tmp_path):
    """Landscape MediaBox shown portrait with /Rotate 90: the displayed page is placed."""
    w, h = A5_PT
    source = tmp_path / "rotated.pdf"
    with pikepdf.new() as pdf:
        for _ in range(4):
            page = pdf.add_blank_page(page_size=(h, w))
            page.obj.Rotate = 90
        pdf.save(source)
    target = tmp_path / "booklet.pdf"
    impose_booklet(source, target)
    rect = placements(target)[0]["/P1"]["rect"]
    assert rect == pytest.approx((A4_LANDSCAPE[0] / 2, 0, A4_LANDSCAPE[0] / 2 + w, h), abs=TOL)


# ---------------------------------------------------------------- output

def test_output_is_deterministic(tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "other-name.pdf"
    impose_booklet(a5_pdf(9), first, marks="fold", creep_mm=0.5)
    impose_booklet(a5_pdf(9), second, marks="fold", creep_mm=0.5)
    assert first.read_bytes() == second.read_bytes()
    # Document information is the source's, with nothing added (no new dates).
    with pikepdf.open(first) as booklet, pikepdf.open(a5_pdf(9)) as source:
        assert {k: str(v) for k, v in booklet.docinfo.items()} == \
            {k: str(v) for k, v in source.docinfo.items()}


def test_each_page_is_copied_once(tmp_path):
    target = tmp_path / "booklet.pdf"
    impose_booklet(a5_pdf(13), target)
    with pikepdf.open(target) as pdf:
        forms = [obj for obj in pdf.objects
                 if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Form"]
        assert len(forms) == 13


def _operators(pdf: Path, side: int = 0) -> list[tuple[str, list]]:
    with pikepdf.open(pdf) as doc:
        return [(str(op), [float(v) if isinstance(v, (int, Decimal)) else v for v in operands])
                for operands, op in pikepdf.parse_content_stream(doc.pages[side])]


def test_marks(tmp_path):
    none, fold, crop_letter, crop_a4 = (tmp_path / f"{k}.pdf" for k in
                                        ("none", "fold", "crop-letter", "crop-a4"))
    impose_booklet(a5_pdf(8), none)
    impose_booklet(a5_pdf(8), fold, marks="fold")
    impose_booklet(a5_pdf(8), crop_letter, marks="crop", sheet="letter")
    impose_booklet(a5_pdf(8), crop_a4, marks="crop", creep_mm=3)
    assert {op for op, _ in _operators(none)} == {"q", "re", "W", "n", "cm", "Do", "Q"}
    # Fold: two strokes on the centre line, from the top and bottom edges.
    moves = [args for op, args in _operators(fold) if op in ("m", "l")]
    middle = A4_LANDSCAPE[0] / 2
    assert len(moves) == 4 and all(x == pytest.approx(middle, abs=TOL) for x, _ in moves)
    assert sorted(y for _, y in moves)[0] == 0
    assert sorted(y for _, y in moves)[-1] == pytest.approx(A4_LANDSCAPE[1], abs=TOL)
    # Crop (letter): every mark lies outside both pages' trims, some above and below them.
    scale = 396 / A5_PT[0]
    top = (612 + A5_PT[1] * scale) / 2
    points = [args for op, args in _operators(crop_letter) if op in ("m", "l")]
    assert len(points) >= 8
    assert all(y >= top - TOL or y <= 612 - top + TOL for _, y in points)
    # Crop (A4, innermost sheet with creep): marks only in the gap that creep opens.
    with pikepdf.open(crop_a4) as doc:
        last = len(doc.pages) - 1
    points = [args for op, args in _operators(crop_a4, last) if op in ("m", "l")]
    gap = (A4_LANDSCAPE[0] / 2 - 3 * MM, A4_LANDSCAPE[0] / 2 + 3 * MM)
    assert points and all(gap[0] - TOL <= x <= gap[1] + TOL and -TOL <= y <= 595.28
                          for x, y in points)
    assert {round(x, 2) for x, _ in points} == {round(gap[0], 2), round(gap[1], 2)}
    # Crop (A4, outer sheet): ticks in from the paper edge on the fore-edge trim lines,
    # A5 being 0.5 mm narrower than half A4.
    points = [args for op, args in _operators(crop_a4, 0) if op in ("m", "l")]
    fore_edge = A4_LANDSCAPE[0] / 2 - A5_PT[0]
    assert {round(x, 2) for x, _ in points} == {round(fore_edge, 2),
                                                 round(A4_LANDSCAPE[0] - fore_edge, 2)}


# ---------------------------------------------------------------- options and text

def test_print_instructions(tmp_path):
    info = impose_booklet(a5_pdf(10), tmp_path / "booklet.pdf")
    text = print_instructions(info)
    assert "A4" in text and "3 sheets" in text
    assert "SHORT edge" in text and "100 %" in text and "Actual size" in text
    assert "fold" in text and "staple" in text
    assert "2 blank pages added before the back cover" in text
    letter = impose_booklet(a5_pdf(4), tmp_path / "letter.pdf", sheet="letter")
    assert "US Letter" in print_instructions(letter) and "blank" not in print_instructions(letter)


@pytest.mark.parametrize("options", [{"sheet": "a2"}, {"marks": "bleed"},
                                     {"creep_mm": float("nan")}, {"creep_mm": 50},
                                     {"creep_mm": "some"}, {"binding": "spiral"},
                                     {"signature_sheets": 2}, {"signature_sheets": 9},
                                     {"max_saddle_pages": 0}, {"paper_thickness_mm": 0},
                                     {"paper_thickness_mm": 2.0}])
def test_bad_options_are_usage_errors(options, tmp_path):
    with pytest.raises(UsageError):
        impose_booklet(a5_pdf(4), tmp_path / "booklet.pdf", **options)


def test_missing_source_is_an_octavo_error(tmp_path):
    from octavo.errors import OctavoError
    with pytest.raises(OctavoError):
        impose_booklet(tmp_path / "nope.pdf", tmp_path / "booklet.pdf")


def _raster(pdf: Path, side: int, dpi: int = 36, fmt: str = "pgm") -> bytes | Path:
    """Side `side` (1-based) rasterised in grey by pdftoppm: the bytes, or the PNG's path."""
    out = pdf.with_name(f"{pdf.stem}-{side}-{dpi}")
    args = [_poppler("pdftoppm"), "-gray", "-r", str(dpi), "-f", str(side), "-l", str(side),
            "-singlefile"]
    if fmt == "png":
        args.append("-png")
    subprocess.run(args + [str(pdf), str(out)], check=True)
    path = out.with_name(out.name + (".png" if fmt == "png" else ".pgm"))
    return path if fmt == "png" else path.read_bytes()
