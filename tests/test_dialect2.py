"""The second half of the dialect (issue 14), read back from real outputs: the
dialect2 fixture (every construct) and dialect2-de (German quotes) are each built once;
the tests open the PDFs (pikepdf, pdfium's per-character fonts) and the EPUB."""

from __future__ import annotations

import ctypes
import os
import re
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from conftest import FIXTURES, build_fixture
from octavo.checks import ERROR, CheckContext, run_checks
from octavo.checks.manuscript_lint import MANUSCRIPT_CHECKS
from octavo.errors import OctavoError
from octavo.fonts import FONT_STACK, GREEK_BLOCKS, GREEK_FACES, font_file_named
from octavo.manuscript.design import Design
from octavo.manuscript.load import load_book
from octavo.paged.stylesheets import design_values
from octavo.pdfread.text import normalise, page_texts
from octavo.pdfread.walk import walk_pdf

NS = {"x": "http://www.w3.org/1999/xhtml", "m": "http://www.w3.org/1998/Math/MathML",
      "opf": "http://www.idpf.org/2007/opf"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1500000000")
    return build_fixture("dialect2", tmp_path_factory.mktemp("dialect2"))


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    return build_fixture("dialect2-de", tmp_path_factory.mktemp("dialect2-de"))


@pytest.fixture(scope="module")
def pages(built):
    return page_texts(built.outputs["pdf"])


@pytest.fixture(scope="module")
def epub(built):
    with zipfile.ZipFile(built.outputs["epub"]) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xhtml(epub, name):
    return etree.fromstring(epub[f"EPUB/{name}"])


def page_with(pages, text) -> int:
    return next(number for number, page in enumerate(pages) if text in page)


def characters_and_fonts(pdf: Path, page: int) -> list[tuple[str, str]]:
    """(character, its font's name without the subset tag), as pdfium reads them."""
    document = pypdfium2.PdfDocument(str(pdf))
    text_page = document[page].get_textpage()
    buffer, flags, found = ctypes.create_string_buffer(256), ctypes.c_int(), []
    for index in range(text_page.count_chars()):
        pdfium_c.FPDFText_GetFontInfo(text_page, index, buffer, 256, ctypes.byref(flags))
        found.append((chr(pdfium_c.FPDFText_GetUnicode(text_page, index)),
                      buffer.value.decode("latin-1").split("+")[-1]))
    document.close()
    return found


def fonts_of(characters, wanted: str) -> set[str]:
    return {font for char, font in characters if char in wanted and not char.isspace()}


# ---------- the build ----------

def test_every_construct_builds_without_an_error_or_warning(built):
    assert [f for f in built.findings if f.severity == ERROR] == []
    assert {f.code for f in built.findings} <= {"MS-015"}  # az has no hyphenation: a note
    assert built.layout.warnings == [] and built.layout.refused == []


def test_azerbaijani_without_hyphenation_is_said_once(built):
    notes = [f for f in built.findings if f.code == "MS-015"]
    assert len(notes) == 1 and "'az'" in notes[0].message
    assert notes[0].where == "04-scripts.md:22"


# ---------- math ----------

def test_math_is_drawn_as_vectors_with_the_tex_as_alt_text(built, pages):
    page = page_with(pages, "Einstein")
    text = pages[page]
    assert not re.search(r"\\(frac|int|sum|sqrt|begin)|mc\^2|\$", text)  # no TeX as text
    assert "Equation 3.1 is the one" in normalise(text)  # @eq:gauss, numbered by structure
    assert "(3.1)" in text
    with pikepdf.open(built.outputs["pdf"]) as pdf:
        placed, _ = walk_pdf(pdf, text=False)
        assert [image for image in placed if image.page == page + 1] == []  # all paths
        alts, stack = [], [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure" and "/Alt" in node:
                    alts.append(str(node.Alt))
                kids = node.get("/K")
                stack.extend(kids if isinstance(kids, pikepdf.Array) else
                             [kids] if isinstance(kids, pikepdf.Dictionary) else [])
    assert {"E = mc^2", r"\frac{a}{b}", r"\varphi = \frac{1 + \sqrt{5}}{2}"} <= set(alts)


def test_epub_has_mathml_with_alttext_and_the_math_font(epub):
    chapter = xhtml(epub, "ch3.xhtml")
    maths = chapter.xpath("//m:math", namespaces=NS)
    assert len(maths) >= 9
    assert all(math.get("alttext") for math in maths)
    assert {math.get("display") for math in maths} == {"inline", "block"}
    assert chapter.xpath("//x:div[@class='math-display'][@id='eq:gauss']"
                         "/x:span[@class='equation-number']", namespaces=NS)[0].text == "(3.1)"
    opf = etree.fromstring(epub["EPUB/content.opf"])
    properties = {item.get("href"): item.get("properties") for item in
                  opf.iterfind(".//opf:item", NS)}
    assert properties["ch3.xhtml"] == "mathml" and properties["ch1.xhtml"] is None
    font = TTFont(__import__("io").BytesIO(epub["EPUB/fonts/STIXTwoMath-Regular.ttf"]))
    assert "MATH" in font and ord("\u222b") in font.getBestCmap()  # ∫, and its variants
    assert b'font-family: "STIX Two Math"' in epub["EPUB/styles/epub.css"]


def test_bad_tex_is_a_one_line_error_with_file_and_line(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "metadata.toml").write_text(
        'title = "T"\nlanguage = "en"\nidentifier = "urn:x:1"\nslug = "t"\n'
        'chapters = ["a.md"]\n', encoding="utf-8")
    (folder / "a.md").write_text("Good $x^2$ here.\n\nBad $\\frac{a}$ there.\n",
                                 encoding="utf-8")
    with pytest.raises(OctavoError) as caught:
        load_book(folder)
    assert caught.value.one_line().startswith(f"{folder / 'a.md'}:3: math $\\frac{{a}}$: "
                                              "\\frac needs two arguments")
    assert "\n" not in caught.value.one_line()
    # ziamath draws `\\(` inline in a box 20,000 em high: the text after it left the page
    (folder / "a.md").write_text("Text.\n\n- [x] $\\\\($ **lost words** here\n")
    with pytest.raises(OctavoError) as caught:
        load_book(folder)
    assert caught.value.one_line().startswith(f"{folder / 'a.md'}:3: math $\\\\($: cannot "
                                              "be typeset (its box has no sensible size)")


# ---------- writing systems ----------

def test_each_script_is_drawn_in_its_font_and_greek_in_one(built, pages):
    characters = characters_and_fonts(built.outputs["pdf"], page_with(pages, "Greek is set"))
    greek = "Ελληνικάκαλημέραἐνἀρχῇἦνὁλόγος"
    assert fonts_of(characters, greek) == {"Octavo-Greek"}  # never Charis within a word
    assert fonts_of(characters, "مرحبابالعالم") == {"Noto-Naskh-Arabic"}
    assert fonts_of(characters, "בראשית") == {"Noto-Serif-Hebrew"}
    assert fonts_of(characters, "कषतरयशस") <= {"Noto-Serif-Devanagari"}
    assert fonts_of(characters, "中的书法很美") == {"Noto-Serif-CJK-SC"}
    assert fonts_of(characters, "日本語の章") == {"Noto-Serif-CJK-JP"}  # lang=ja
    assert fonts_of(characters, "♠♥★") == {"Noto-Sans-Symbols2"}
    assert fonts_of(characters, "∀∈ℝ∪∇") == {"Noto-Sans-Math"}
    assert fonts_of(characters, "Москва") == {"Charis-SIL"}


def test_emoji_are_colour_images_and_no_character_prints_as_a_box(built):
    with pikepdf.open(built.outputs["pdf"]) as pdf:
        fonts = {str(font.get("/BaseFont", "")) for page in pdf.pages
                 for font in page.obj.Resources.get("/Font", {}).values()}
        emoji_page = next(page for page in pdf.pages
                          if any(x.get("/Subtype") == "/Image" and "/SMask" in x
                                 for x in page.obj.Resources.get("/XObject", {}).values()))
        assert emoji_page is not None  # WeasyPrint drew the colour bitmaps as images
    assert any("NotoColorEmoji" in name.replace("-", "") for name in fonts)
    assert not [f for f in built.findings if f.code in ("MS-007", "PDF-002", "PDF-003")]


def test_epub_embeds_a_subset_of_each_font_it_uses(epub):
    fonts = {name.removeprefix("EPUB/fonts/") for name in epub if name.startswith("EPUB/fonts/")}
    for family in ("NotoSerif", "NotoNaskhArabic", "NotoSerifHebrew", "NotoSerifDevanagari",
                   "NotoSerifCJKSC", "NotoSansSymbols2", "NotoSansMath", "STIXTwoMath"):
        assert any(name.startswith(family + "-") for name in fonts), family
    charis = TTFont(__import__("io").BytesIO(epub["EPUB/fonts/CharisSIL-Regular.ttf"]))
    greek = TTFont(__import__("io").BytesIO(epub["EPUB/fonts/NotoSerif-Regular.ttf"]))
    assert not any(0x0370 <= c <= 0x03FF or 0x1F00 <= c <= 0x1FFF
                   for c in charis.getBestCmap())  # Greek only in Noto Serif
    assert {ord(c) for c in "Ελληνικάκαλημέραἐνἀρχῇ"} <= set(greek.getBestCmap())
    assert len(epub["EPUB/fonts/NotoSerifCJKSC-Regular.otf"]) < 60_000  # a subset
    css = epub["EPUB/styles/epub.css"].decode()
    assert 'font-family: "Octavo Noto Serif"' in css  # a name no installed font has
    for name in fonts:  # emoji are left to the reader's colour emoji font
        cmap = TTFont(__import__("io").BytesIO(epub[f"EPUB/fonts/{name}"]), lazy=True,
                      fontNumber=0).getBestCmap() or {}
        assert not any(0x1F000 <= code <= 0x1FAFF for code in cmap), name
    stix = TTFont(__import__("io").BytesIO(epub["EPUB/fonts/STIXTwoMath-Regular.ttf"]))
    assert 0x221A in stix.getBestCmap()  # the radical \sqrt draws, though not in the text
    for name in fonts:
        assert f'url("../fonts/{name}")' in css
    opf = epub["EPUB/content.opf"].decode()
    assert all(f'href="fonts/{name}"' in opf for name in fonts)


def test_greek_face_ranges_are_exactly_noto_serifs_greek():
    """scripts.css claims for Octavo Greek only the Greek Noto Serif draws (a letter it
    lacked would print as a box) and all of it (tools/greek_faces.py prints them)."""
    css = (ROOT / "styles" / "scripts.css").read_text(encoding="utf-8")
    faces = re.findall(r'src: local\("([^"]+)"\);\s*unicode-range: ([^;]+);', css)
    assert [name for name, _ in faces] == [name for _, _, name in GREEK_FACES]
    for name, ranges in faces:
        claimed = set()
        for part in ranges.split(","):
            low, _, high = part.strip().removeprefix("U+").partition("-")
            claimed.update(range(int(low, 16), int(high or low, 16) + 1))
        cmap = TTFont(font_file_named(name), lazy=True).getBestCmap()
        greek = {c for low, high in GREEK_BLOCKS for c in range(low, high + 1) if c in cmap}
        assert claimed == greek, name
    values = design_values(Design())  # design.css's --body-font, for the default design
    stack = values["greek"] + values["font"] + ", " + values["scripts"]
    assert [name.strip().strip('"') for name in stack.split(",")][:-1] == list(FONT_STACK)
    assert design_values(Design(font="Noto Serif"))["greek"] == ""  # it has all of Greek


# ---------- quotes, by language ----------

def test_german_quotes_nest_and_keep_the_apostrophe(german):
    text = normalise(" ".join(page_texts(german.outputs["pdf"])))
    assert "\u201egeht\u2019s dir heute wirklich gut?\u201c" in text
    assert "\u201eein \u201ainneres\u2018 Zitat steht in halben Anf\u00fchrungszeichen\u201c" in text
    assert "Hinweis" in text  # a callout's own title, in German
    assert [f for f in german.findings if f.severity == ERROR] == []


@pytest.mark.parametrize("language, expected", [
    ("en", "He said \u201cshe said \u2018no\u2019 to me\u201d, didn\u2019t he."),
    ("fr", "He said \u00ab\u202fshe said \u00ab\u202fno\u202f\u00bb to me\u202f\u00bb, "
           "didn\u2019t he."),
    ("ru", "He said \u00abshe said \u201eno\u201c to me\u00bb, didn\u2019t he."),
    ("az", "He said \u201cshe said \u2018no\u2019 to me\u201d, didn\u2019t he."),
    ("de", "He said \u201eshe said \u201ano\u2018 to me\u201c, didn\u2019t he."),
])
def test_quotes_follow_the_language(tmp_path, language, expected):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "metadata.toml").write_text(
        f'title = "T"\nlanguage = "{language}"\nidentifier = "urn:x:1"\nslug = "t"\n'
        'chapters = ["a.md"]\n', encoding="utf-8")
    (folder / "a.md").write_text("He said \"she said 'no' to me\", didn't he.\n",
                                 encoding="utf-8")
    book = load_book(folder)
    assert book.chapters[0].body.text_content().strip() == expected
    assert not [f for f in run_checks(CheckContext(book), MANUSCRIPT_CHECKS)
                if f.code == "MS-006"]


# ---------- blocks ----------

def test_callouts_have_roles_titles_and_stay_with_their_first_lines(built, epub, pages):
    chapter = xhtml(epub, "ch1.xhtml")
    callouts = chapter.xpath("//x:div[contains(@class, 'admonition')]", namespaces=NS)
    roles = [(div.get("class"), div.get("role")) for div in callouts]
    assert ("admonition note", "note") in roles and ("admonition tip", "doc-tip") in roles
    assert ("admonition warning", "doc-notice") in roles
    assert ("admonition important", "doc-notice") in roles
    assert len(callouts) == 8  # 4 with !!!, 4 as ::: divs (one inside another)
    assert chapter.xpath("//x:div[@id='careful']/x:p[@class='admonition-title']",
                         namespaces=NS)[0].text == "Warning"
    for title, first_words in [("Hot surface", "The plate stays hot"),
                               ("Before you begin", "Read the whole chapter"),
                               ("Important", "The inner callout is nested")]:
        page = page_with(pages, first_words)
        assert title.upper() in pages[page].upper()  # small capitals read back as capitals


def test_definition_task_and_line_blocks(built, epub, pages):
    chapter = xhtml(epub, "ch1.xhtml")
    assert [dt.text for dt in chapter.xpath("//x:dl/x:dt", namespaces=NS)] == ["Apple", "Orange"]
    assert len(chapter.xpath("//x:dl/x:dd", namespaces=NS)) == 3
    boxes = chapter.xpath("//x:span[contains(@class, 'task-box')]", namespaces=NS)
    assert [(box.text, box.get("aria-label")) for box in boxes] == [
        ("\u2610", "not done"), ("\u2611", "done"), ("\u2610", "not done")]
    verse = chapter.xpath("//x:p[@class='line-block']", namespaces=NS)[0]
    assert len(verse.findall("x:br", NS)) == 4
    text = "\n".join(pages)
    assert "\u2610 Write the first draft" in text and "\u2611 Choose the typeface" in text
    assert re.search(r"anatomical\s*\r?\n\s*Into space", text)  # one line each
    assert re.search(r"Octavo Press\s*\r?\n12 Harbour Street\s*\r?\nPort Elspeth", text)


def test_epigraph_and_quotation_attributions(epub, pages):
    chapter = xhtml(epub, "ch1.xhtml")
    epigraph = chapter.xpath("//x:div[@class='epigraph']", namespaces=NS)[0]
    assert epigraph.get("role") == "doc-epigraph"
    attributions = chapter.xpath("//x:p[@class='attribution']", namespaces=NS)
    assert ["".join(p.itertext()) for p in attributions] == [
        "\u2014 Leo Tolstoy, Anna Karenina", "\u2014 Ernest Hemingway",
        "\u2014 Edsger W. Dijkstra"]
    assert all(p.getparent().tag in ("{%s}blockquote" % NS["x"], "{%s}div" % NS["x"])
               for p in attributions)


def test_scene_breaks_are_asterisms_and_minor_headings_differ(built, pages, epub):
    text = "\n".join(pages)
    assert text.count("\u2042") == 3  # ***, * * * and --- each an asterism, no black bar
    with pikepdf.open(built.outputs["pdf"]) as pdf:
        page = pdf.pages[page_with(pages, "The third scene")]
        assert b" re\nf" not in page.obj.Contents.read_bytes() \
            if isinstance(page.obj.Contents, pikepdf.Stream) else True
    characters = characters_and_fonts(built.outputs["pdf"], page_with(pages, "fourth-level"))
    document = pypdfium2.PdfDocument(str(built.outputs["pdf"]))
    text_page = document[page_with(pages, "fourth-level")].get_textpage()
    whole = text_page.get_text_range()
    sizes = {}
    for label in ("A fourth-level heading", "A FIFTH-LEVEL HEADING", "A SIXTH-LEVEL HEADING"):
        at = whole.upper().find(label.upper())
        sizes[label] = (round(pdfium_c.FPDFText_GetFontSize(text_page, at + 2), 1),
                        characters[at + 2][1])
    document.close()
    body = sizes["A FIFTH-LEVEL HEADING"][0]  # pdfium's size unit: 10.5 pt reads 14
    assert sizes["A fourth-level heading"] == (body, "Charis-SIL-Bold")
    assert sizes["A FIFTH-LEVEL HEADING"][1].startswith("Charis-SIL")  # small capitals
    assert sizes["A SIXTH-LEVEL HEADING"][0] == pytest.approx(body * 7.5 / 10.5, abs=0.1)
    assert b"hr::before" in epub["EPUB/styles/epub.css"]


# ---------- inline ----------

def test_inline_extras_spans_notes_and_abbreviations(built, epub, pages):
    chapter = xhtml(epub, "ch2.xhtml")
    for tag in ("sub", "sup", "mark", "del", "ins", "abbr"):
        assert chapter.xpath(f"//x:{tag}", namespaces=NS), tag
    assert chapter.xpath("//x:span[@class='smallcaps']", namespaces=NS)[0].text == \
        "bracketed span in small capitals"
    index = chapter.xpath("//x:span[@class='index']", namespaces=NS)[0]
    assert index.text == "a term for the index"  # its `entry` made the index's entry:
    entry = xhtml(epub, "index.xhtml").xpath("//x:li[@class='index-entry']", namespaces=NS)[0]
    assert "".join(entry.itertext()).startswith("index term")
    assert entry.xpath(".//x:a/@href", namespaces=NS) == [f"ch2.xhtml#{index.get('id')}"]
    titles = {a.text: a.get("title") for a in chapter.xpath("//x:abbr", namespaces=NS)}
    assert titles == {"WHO": "World Health Organization", "UN": "United Nations",
                      "IMF": "International Monetary Fund"}
    notes = chapter.xpath("//x:aside[@role='doc-footnote']", namespaces=NS)
    assert any("written inside the sentence" in "".join(n.itertext()) for n in notes)
    text = "\n".join(pages)
    assert "H2O" in text and "10 m2" in text
    assert "This note was written inside the sentence itself" in text
    assert "^[" not in text and "]{." not in text


def test_control_characters_are_removed_with_a_warning_and_text_is_nfc(tmp_path):
    """ESC and BEL pasted from a terminal crashed the build (lxml refuses them): they are
    removed at load, each reported with its line (MS-014); a decomposed accent is
    composed (NFC), so the word is one run of one font."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "metadata.toml").write_text(
        'title = "T"\nlanguage = "en"\nidentifier = "urn:x:1"\nslug = "t"\n'
        'chapters = ["a.md"]\n', encoding="utf-8")
    (folder / "a.md").write_text("The \x1b[31mred\x1b[0m text rings a bell \x07 here.\n\n"
                                 "The word \u03ba\u03b1\u03bb\u03b7\u03bc\u03b5\u0301\u03c1\u03b1 "
                                 "is decomposed.\n", encoding="utf-8")
    book = load_book(folder)
    text = book.chapters[0].body.text_content()
    assert "\x1b" not in text and "\x07" not in text and "[31mred" in text
    assert "\u03ba\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1" in text  # έ, one character
    warnings = [f for f in run_checks(CheckContext(book), MANUSCRIPT_CHECKS)
                if f.code == "MS-014"]
    assert [(f.where, "ESCAPE" in f.message or "BELL" in f.message) for f in warnings] == \
        [("a.md:1", True)] * 3
