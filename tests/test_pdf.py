"""The real manuscript's PDFs, opened and read back."""

from __future__ import annotations

import re
import zlib

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from octavo.pdfread.text import normalise, page_texts

A5 = (419.528, 595.276)  # points
BLEED = 3 * 72 / 25.4


@pytest.fixture(scope="module")
def screen(real_build):
    with pikepdf.open(real_build.outputs["pdf"]) as pdf:
        yield pdf


@pytest.fixture(scope="module")
def printed(real_build):
    with pikepdf.open(real_build.outputs["print-pdf"]) as pdf:
        yield pdf


def box(page, name):
    return [float(value) for value in page.obj[name]]


def test_weasyprint_logged_no_warnings(real_build):
    assert real_build.layout.warnings == []
    assert real_build.layout.refused == []


def test_screen_pages_are_a5(screen):
    assert len(screen.pages) > 10
    for page in screen.pages:
        x0, y0, x1, y1 = box(page, "/MediaBox")
        assert (x1 - x0, y1 - y0) == pytest.approx(A5, abs=0.01)
        assert "/BleedBox" not in page.obj


def test_print_boxes_have_3mm_bleed(printed, screen):
    assert len(printed.pages) == len(screen.pages)
    for page in printed.pages:
        trim = box(page, "/TrimBox")
        media = box(page, "/MediaBox")
        bleed = box(page, "/BleedBox")
        assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx(A5, abs=0.01)
        assert [m - t for m, t in zip(media, trim)] == pytest.approx(
            [-BLEED, -BLEED, BLEED, BLEED], abs=0.01)
        assert bleed == pytest.approx(media, abs=0.01)


def test_print_pdf_is_pdfx4_with_cmyk_output_intent(printed):
    intents = printed.Root.OutputIntents
    assert len(intents) == 1 and intents[0].S == "/GTS_PDFX"
    profile = intents[0].DestOutputProfile
    assert int(profile.N) == 4  # a CMYK profile
    assert b"pdfxid:GTS_PDFXVersion" in printed.Root.Metadata.read_bytes() or \
        b"PDF/X-4" in printed.Root.Metadata.read_bytes()


def test_each_edition_has_its_own_file_identifier(real_build, screen, printed):
    """The parts are written without a trailer /ID (paged/write.py: the assembly makes
    a new PDF); each edition is given its own, PDF/X-4's (the print PDF's) stable."""
    from octavo.paged.write import pdf_identity
    identifiers = []
    for pdf in (screen, printed):
        identifier = pdf.trailer.ID
        assert len(identifier) == 2 and all(len(bytes(part)) for part in identifier)
        identifiers.append(bytes(identifier[0]))
    assert identifiers[0] != identifiers[1]
    assert identifiers[1] == pdf_identity(real_build.book).printed


def test_screen_and_print_have_the_same_text_on_each_page(real_build, screen_pages):
    printed_pages = page_texts(real_build.outputs["print-pdf"])
    assert [normalise(t) for t in printed_pages] == [normalise(t) for t in screen_pages]


def _placed_images(pdf):
    from octavo.pdfread.walk import walk_pdf
    placed, _ = walk_pdf(pdf)
    return placed


def test_every_figure_image_is_in_the_pdfs(real_build, screen, printed):
    """Full resolution in print; in the screen PDF, the same pictures downsampled."""
    full = {(i.pixels, i.page) for i in _placed_images(printed)}
    small = _placed_images(screen)
    assert len(small) == len(full) == len(real_build.book.figures)
    for figure in real_build.book.figures:
        page = next(f.page for f in real_build.layout.fills if figure.id in f.figures)
        assert ((figure.image.width, figure.image.height), page) in full, figure.src
        shrunk = next(i for i in small if i.page == page)
        ratio = figure.image.width / figure.image.height
        assert shrunk.pixels[0] / shrunk.pixels[1] == pytest.approx(ratio, rel=0.01)
        assert 190 <= shrunk.ppi <= 225  # downsampled to 200 ppi for the screen
    assert real_build.outputs["pdf"].stat().st_size < 0.7 * real_build.outputs[
        "print-pdf"].stat().st_size


def test_every_caption_is_in_the_pdf_text(real_build, screen_text):
    for figure in real_build.book.figures:
        assert normalise(figure.caption) in screen_text
        if figure.credit:
            assert normalise(figure.credit) in screen_text


def test_outline_holds_the_headings(real_build, screen):
    with screen.open_outline() as outline:
        titles = [normalise(item.title) for item in outline.root]
    assert normalise(real_build.book.metadata.title.replace("'", "\u2019")) in titles
    for chapter in real_build.book.chapters:
        for heading in chapter.body.iter("h1", "h2"):
            assert any(normalise(heading.text_content()) in t for t in titles)


def test_fonts_are_embedded_subsets_of_charis(screen):
    fonts = {}
    for page in screen.pages:
        for _, font in page.obj.Resources.get("/Font", {}).items():
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.FontDescriptor
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(descendant.BaseFont)] = embedded
    assert fonts and all(fonts.values()), fonts
    assert all("Charis" in name for name in fonts), fonts
    assert all(re.match(r"/[A-Z]{6}\+", name) for name in fonts), "fonts are subset"


def test_metadata_tags_and_language(real_build, screen):
    meta = real_build.book.metadata
    info = screen.docinfo
    assert str(info["/Title"]) == meta.title.replace("'", "\u2019")
    assert "Foreign relations" in str(info["/Keywords"])
    assert str(info["/Subject"]).startswith("An overview")
    assert str(screen.Root.Lang) == "en"
    assert "/StructTreeRoot" in screen.Root
    assert screen.Root.MarkInfo.Marked
    assert screen.Root.ViewerPreferences.DisplayDocTitle


def test_figures_are_tagged_with_alt_text(real_build, screen):
    alts = []

    def walk(node, depth=0):
        if depth > 60 or not isinstance(node, pikepdf.Dictionary):
            return
        if node.get("/S") == "/Figure" and "/Alt" in node:
            alts.append(str(node.Alt))
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                walk(kid, depth + 1)
        elif isinstance(kids, pikepdf.Dictionary):
            walk(kids, depth + 1)

    walk(screen.Root.StructTreeRoot)
    for figure in real_build.book.figures:
        assert figure.alt in alts


def test_body_measure_is_book_grade(screen_pages):
    """55–75 characters a line in full lines of running text."""
    lengths = []
    for text in screen_pages[3:-1]:
        lines = [line for line in text.replace("\r", "").split("\n") if line.strip()]
        lengths += [len(line) for line in lines[:-1] if len(line) > 45]
    lengths.sort()
    median = lengths[len(lengths) // 2]
    assert 55 <= median <= 75, median


def test_text_is_typographically_quoted(screen_text):
    assert "'" not in screen_text and '"' not in screen_text
    assert " - " not in screen_text and "--" not in screen_text
    assert "\u2014" in screen_text and "\u2019" in screen_text


def test_end_mark_glyph_is_drawn(real_build, screen, screen_pages):
    """The end mark closes the text, drawn from a real glyph of the font, not a box."""
    from octavo.checks.pdf_checks import _draws_notdef
    from octavo.fonts import BODY_FAMILY, covered_characters
    from octavo.manuscript.front_matter import END_MARK
    from octavo.pdfread.walk import walk_pdf
    assert ord(END_MARK) in covered_characters(BODY_FAMILY)
    pages = [number for number, text in enumerate(screen_pages, 1) if END_MARK in text]
    assert len(pages) == 1
    text_pages = [f.page for f in real_build.layout.fills if f.is_text]
    assert pages[0] == text_pages[-1]
    assert normalise(screen_pages[pages[0] - 1]).endswith(END_MARK)
    _, runs = walk_pdf(screen)
    on_page = [run for run in runs if run.page == pages[0]]
    assert on_page and not any(_draws_notdef(run) for run in on_page)
    assert all("Charis" in run.font.base_font for run in on_page)


def test_text_is_hyphenated_in_its_language(real_build, screen_pages):
    """lang is set, and WeasyPrint hyphenates justified lines (U+2010 at line ends)."""
    from octavo.paged.document import paged_document
    root = paged_document(real_build.book)
    assert root.get("lang") == "en"
    breaks = sum(text.count("\u2010\r\n") + text.count("\u2010\n") for text in screen_pages)
    assert breaks >= len(screen_pages) // 2


def test_print_pages_are_the_screen_pages_with_crop_marks(real_build, printed, tmp_path):
    """One tagged write: the print PDF draws the screen PDF's pages, plus crop marks."""
    from octavo.pdfread.walk import same_pages
    screen_path, print_path = real_build.outputs["pdf"], real_build.outputs["print-pdf"]
    assert same_pages(screen_path, print_path)
    for page in printed.pages:
        media, trim = box(page, "/MediaBox"), box(page, "/TrimBox")
        strokes = []
        for operands, operator in pikepdf.parse_content_stream(page.obj.Contents[-1]):
            if str(operator) in ("m", "l"):
                strokes.append((str(operator), [float(v) for v in operands]))
        lines = [(start[1], end[1]) for start, end in zip(strokes[::2], strokes[1::2])]
        assert len(lines) == 8
        for (x0, y0), (x1, y1) in lines:
            # every mark lies in the bleed, outside the trim, in line with a trim edge
            def on_edge(value, edges):
                return any(abs(value - edge) < 0.01 for edge in edges)
            assert x0 == x1 and on_edge(x0, trim[0::2]) or y0 == y1 and on_edge(y0, trim[1::2])
            for x, y in ((x0, y0), (x1, y1)):
                assert media[0] - 0.01 <= x <= media[2] + 0.01
                assert not (trim[0] + 0.01 < x < trim[2] - 0.01 and
                            trim[1] + 0.01 < y < trim[3] - 0.01)
    # Drawn differently, anywhere: the checks must read the print PDF on its own.
    def redrawn(pdf):
        stream = max(pdf.pages[5].obj.Contents, key=lambda s: len(s.read_bytes()))  # the text
        stream.write(stream.read_bytes().replace(b"TJ", b"TJ\n", 1))

    def covered(pdf):  # a white box over the page, after the crop marks
        pdf.pages[5].contents_add(pikepdf.Stream(pdf, b"1 g 0 0 600 800 re f"))

    def unmapped(pdf):  # text that copies as nonsense: another ToUnicode map
        for font in pdf.pages[5].obj.Resources.Font.values():
            if "/ToUnicode" in font:
                font.ToUnicode = pikepdf.Stream(pdf, b"/CIDInit /ProcSet findresource begin")

    for number, change in enumerate((redrawn, covered, unmapped)):
        changed = tmp_path / f"changed-{number}.pdf"
        with pikepdf.open(print_path) as pdf:
            change(pdf)
            pdf.save(changed)
        assert not same_pages(screen_path, changed), change.__name__


def test_quick_text_reading_agrees_with_the_full_walk(real_build, monkeypatch):
    """The checks read WeasyPrint's text with regular expressions where they can;
    the runs (font and glyph codes, page by page) must be those of pikepdf's parser."""
    from octavo.pdfread import walk as pdf_walk
    for kind in ("pdf", "print-pdf"):
        with pikepdf.open(real_build.outputs[kind]) as pdf:
            fonts = {}
            quick = [pdf_walk._plain_text_runs(page, page.obj.get("/Resources"), n, fonts)
                     for n, page in enumerate(pdf.pages, 1)]
            assert sum(runs is not None for runs in quick) >= 0.8 * len(pdf.pages)
            images, runs = pdf_walk.walk_pdf(pdf)
            with monkeypatch.context() as patch:
                patch.setattr(pdf_walk, "_plain_text_runs", lambda *args: None)
                assert pdf_walk.walk_pdf(pdf) == (images, runs)
            assert len(runs) > 100 and len(images) == len(real_build.book.figures)


@pytest.mark.parametrize("content", [
    b"BT /F1 12 Tf <41> Tj /F2 12 Tf[<42>] TJ ET",  # a delimiter right after Tf
    b"BT /F1 12 Tf <41> Tj%c\nET",  # a comment right after a show
    b"BT /F1 12 Tf <41> Tj\n%<42> Tj\nET",  # a show inside a comment
    b"BT /F1 12 Tf (A) Tj ET",  # a literal string
    b"BT /F1 12 Tf <41> Tj ET BT <42> Tj ET",  # a font carried over from a text object
    b"BT /F#31 12 Tf <41> Tj ET",  # an escaped name
])
def test_quick_text_reading_agrees_on_unusual_content(content, monkeypatch):
    from octavo.pdfread import walk as pdf_walk
    pdf = pikepdf.new()
    fonts = pikepdf.Dictionary({
        name: pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                 BaseFont=pikepdf.Name(base))
        for name, base in (("/F1", "/Helvetica"), ("/F2", "/Times-Roman"))})
    pdf.add_blank_page()
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Font=pdf.make_indirect(fonts))
    pdf.pages[0].obj.Contents = pdf.make_stream(content)
    quick = pdf_walk.walk_pdf(pdf)
    with monkeypatch.context() as patch:
        patch.setattr(pdf_walk, "_plain_text_runs", lambda *args: None)
        assert pdf_walk.walk_pdf(pdf) == quick


@given(st.binary(max_size=3000), st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_adler32_of_two_bands_combined_is_that_of_both(first, second):
    """The proof sheet's PNG is compressed a band at a time, each band's checksum kept
    with it; the stream's checksum is theirs combined."""
    from octavo.paged.proof import adler32_combine
    assert adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second)) \
        == zlib.adler32(first + second)


def test_proof_sheet_bands_from_the_memo_are_the_bands_drawn(tmp_path):
    """A band kept from an earlier sheet (the same pages in the same places) gives the
    sheet drawn whole, byte for byte, without its pages being unpacked; a page changed
    draws its bands again."""
    from PIL import Image, ImageDraw

    from octavo.paged import proof
    from octavo.runner.memo import Memo
    pages = []
    for number in range(9):
        page = Image.new("RGB", (40, 300), (255, 255, 255))
        ImageDraw.Draw(page).text((5, 5 + number * 5), str(number), fill=(0, 0, 0))
        pages.append(page)
    keys = [f"page {number}" for number in range(9)]
    packed = [proof._pack("", "", page) for page in pages]
    (tmp_path / "staging").mkdir()
    memo = Memo(tmp_path / "memo", tmp_path / "staging")
    sheets = [tmp_path / f"{name}.png" for name in ("whole", "first", "kept", "changed")]
    proof._write_sheet(sheets[0], pages, None, None)
    proof._write_sheet(sheets[1], packed, keys, memo)
    unreadable = [data[:-8] + b"\0" * 8 for data in packed]  # pixels that cannot unpack
    proof._write_sheet(sheets[2], unreadable, keys, memo)
    assert sheets[0].read_bytes() == sheets[1].read_bytes() == sheets[2].read_bytes()
    pages[8] = Image.new("RGB", (40, 300), (0, 0, 0))
    proof._write_sheet(sheets[3], packed[:8] + [proof._pack("", "", pages[8])],
                       keys[:8] + ["page 8, changed"], memo)
    with Image.open(sheets[3]) as changed, Image.open(sheets[0]) as whole:
        assert changed.size == whole.size == (
            proof.GAP + 4 * (80 + proof.GAP), proof.GAP + 2 * (300 + proof.GAP))
        x, y = proof._slot(9, (40, 300))
        assert changed.getpixel((x + 20, y + 20)) == (0, 0, 0)
        assert whole.getpixel((x + 20, y + 20)) == (255, 255, 255)
        assert changed.crop((0, 0, whole.size[0], y)).tobytes() == \
            whole.crop((0, 0, whole.size[0], y)).tobytes()


def test_proof_sheet_band_kept_for_fewer_pages_is_not_taken(tmp_path):
    """Nine pages and ten make the same grid, but not the same folds: a band kept from
    the nine-page sheet is not the ten-page sheet's."""
    from PIL import Image

    from octavo.paged import proof
    from octavo.runner.memo import Memo
    pages = [Image.new("RGB", (40, 300), (255, 255, 255)) for _ in range(9)]
    pages.append(Image.new("RGB", (40, 30), (255, 255, 255)))
    keys = [f"page {number}" for number in range(10)]
    (tmp_path / "staging").mkdir()
    memo = Memo(tmp_path / "memo", tmp_path / "staging")
    proof._write_sheet(tmp_path / "nine.png", [proof._pack("", "", page) for page in pages[:9]],
                       keys[:9], memo)
    proof._write_sheet(tmp_path / "ten.png", [proof._pack("", "", page) for page in pages],
                       keys, memo)
    proof._write_sheet(tmp_path / "fresh.png", pages, None, None)
    assert (tmp_path / "ten.png").read_bytes() == (tmp_path / "fresh.png").read_bytes()


def test_proof_sheet_shows_every_page_in_spreads(real_build, screen):
    """The proof: the cover alone on the right, then each spread side by side, four
    spreads a row; each slot holds its page (a white page with dark type), the slot
    beside the cover stays background."""
    from PIL import Image, ImageStat

    from octavo.paged.proof import GAP, SPREADS_PER_ROW, THUMB_WIDTH
    with Image.open(real_build.outputs["proof"]) as image:
        image.verify()
    sheet = Image.open(real_build.outputs["proof"]).convert("RGB")
    pages = len(screen.pages)
    rows = -(-((pages + 2) // 2) // SPREADS_PER_ROW)
    width = (sheet.size[0] - GAP - SPREADS_PER_ROW * GAP) / (2 * SPREADS_PER_ROW)
    height = (sheet.size[1] - GAP - rows * GAP) / rows
    assert width == int(width) and height == int(height)  # a whole grid of equal cells
    width, height = int(width), int(height)
    assert abs(width - THUMB_WIDTH) <= 2 and abs(height / width - A5[1] / A5[0]) < 0.02

    def slot(number):  # 0: the blank beside the cover; n: page n
        spread, side = divmod(number, 2)
        row, column = divmod(spread, SPREADS_PER_ROW)
        x = GAP + column * (2 * width + GAP) + side * width
        y = GAP + row * (height + GAP)
        return sheet.crop((x + 2, y + 2, x + width - 2, y + height - 2))

    blank = ImageStat.Stat(slot(0))
    assert max(blank.stddev) < 1 and all(abs(m - 120) < 2 for m in blank.mean)
    cover = ImageStat.Stat(slot(1))
    assert max(cover.stddev) > 10  # the cover's picture and title
    for number in range(3, pages):  # the text pages (2 is the colophon's verso)
        page = slot(number).convert("L")
        assert ImageStat.Stat(page).mean[0] > 180, number  # white paper
        assert page.getextrema()[0] < 170 and ImageStat.Stat(page).stddev[0] > 8, number  # type
