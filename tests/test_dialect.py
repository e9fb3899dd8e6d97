"""The dialect (Real manuscripts 1): tests/fixtures/dialect uses every construct (code,
figures, YAML front matter, lists, tables, links), built once; the tests read what the
screen PDF and the EPUB hold. Smaller manuscripts, loaded without a layout, cover the
front matter's rules, links and the list and table syntax."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from conftest import FIXTURES, epub_text
from octavo.build import BuildOptions, build
from octavo.checks.epub_structure import structure_problems
from octavo.errors import OctavoError
from octavo.manuscript.dialect import make_markdown
from octavo.manuscript.load import load_book
from octavo.manuscript.sanitize import markdown_to_html
from octavo.pdfread.text import normalise, page_texts

MM = 72 / 25.4
XHTML = "{http://www.w3.org/1999/xhtml}"
TOLERANCE = 0.6  # points


@pytest.fixture(scope="module")
def dialect(tmp_path_factory):
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1500000000")
    out = tmp_path_factory.mktemp("dialect")
    return build(BuildOptions(manuscript=FIXTURES / "dialect", out=out, quiet=True))


@pytest.fixture(scope="module")
def epub_files(dialect):
    with zipfile.ZipFile(dialect.outputs["epub"]) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def xhtml(epub_files):
    return {name: etree.fromstring(data) for name, data in epub_files.items()
            if name.endswith(".xhtml")}


@pytest.fixture(scope="module")
def pdf_text(dialect):
    return normalise(" ".join(page_texts(dialect.outputs["pdf"])))


def squeeze(text: str) -> str:
    return "".join(text.replace("\u200b", "").replace("\u2060", "").split())


def elements(xhtml, tag):
    return [element for root in xhtml.values() for element in root.iter(XHTML + tag)]


def text_block(number: int, width: float, height: float):
    """(left, bottom, right, top) of the text block of page `number` (recto: odd)."""
    inner, outer = 15 * MM, 19 * MM
    left, right = (inner, width - outer) if number % 2 else (outer, width - inner)
    return left, 24 * MM, right, height - 17 * MM


# ---------- the build ----------

def test_the_book_builds_without_errors_and_warns_about_its_dropped_links(dialect):
    errors = [f for f in dialect.findings if f.severity == "error"]
    assert errors == []
    links = sorted((f.where, f.message) for f in dialect.findings if f.code == "MS-011")
    assert links == [
        ("02-figures.md:31", "the link '../outside.md' leads outside the manuscript folder: "
                             "its text is kept, the link dropped"),
        ("02-figures.md:31", "the link 'notes.txt' is not a chapter of this book: its text is "
                             "kept, the link dropped")]
    assert not [f for f in dialect.findings if f.code in ("TXT-001", "TXT-002", "LAY-002",
                                                           "EPUB-004", "PDF-003", "MS-012")]


def test_epubcheck_accepts_the_epub(dialect):
    from octavo.checks.validators import run_epubcheck
    messages = run_epubcheck(dialect.outputs["epub"])
    assert [m for m in messages if m.severity in ("ERROR", "FATAL")] == [], messages[:3]


# ---------- YAML front matter ----------

def test_front_matter_is_the_metadata_and_is_never_printed(dialect, pdf_text, xhtml):
    meta = dialect.book.metadata
    assert meta.title == "The Dialect Fixture"
    assert meta.authors == ("Ada Example", "Grace Sample")  # pandoc's `author`, both forms
    assert (meta.language, meta.date) == ("en", "2024-05-17")  # `lang`, a YAML date
    assert meta.subjects == ("Testing", "Markdown") and meta.description.startswith("A test")
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        assert str(pdf.docinfo["/Author"]) == "Ada Example, Grace Sample"
        assert str(pdf.docinfo["/Title"]) == "The Dialect Fixture"
    everything = pdf_text + epub_text(dialect.outputs["epub"])
    for printed in ("lang:", "identifier:", "keywords:", "abstract:", "name: Grace"):
        assert printed not in everything
    chapter = xhtml["EPUB/ch1.xhtml"]
    assert chapter.find(f".//{XHTML}hr") is None  # the `---` fences are not rules
    assert [h.text for h in chapter.iter(XHTML + "h1")] == ["Code"]


# ---------- code ----------

def test_code_is_set_in_an_embedded_monospace_font(dialect):
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        fonts = {str(font.get("/BaseFont", "")).split("+")[-1]
                 for page in pdf.pages
                 for font in page.obj.Resources.get("/Font", {}).values()}
        embedded = [bool({"/FontFile2", "/FontFile3"} & set(
            font.DescendantFonts[0].FontDescriptor.keys())) for page in pdf.pages
            for font in page.obj.Resources.get("/Font", {}).values()
            if "Mono" in str(font.BaseFont)]
    assert {"DejaVu-Sans-Mono", "DejaVu-Sans-Mono-Bold", "DejaVu-Sans-Mono-Oblique"} <= fonts
    assert embedded and all(embedded)


def test_code_text_is_exact_in_pdf_and_epub(dialect, pdf_text):
    epub = squeeze(epub_text(dialect.outputs["epub"]))
    pdf = squeeze(pdf_text)
    for code in ('1def arrivals(ships, harbour="Baku"):', "3    count = 0  # every ship counts once",
                 "plain text in a tilde fence", "$ octavo --manuscript book --out dist",
                 'const ships = harbour.arrivals.filter((ship) => ship.flag === "AZ" && '
                 'ship.tonnage > 1000 && ship.arrivedBefore(new Date("2024-01-01T00:00:00Z")));',
                 "Ελληνικά: αβγδε ζηθικ λμνξο", "Кириллица: абвгд ежзий клмно",
                 "parse_manuscript_folder_and_every_chapter_in_it()", "--no-cache"):
        assert squeeze(code) in pdf, code
        assert squeeze(code) in epub, code
    assert "harbour.py" in pdf_text  # the block's title


def test_inline_code_is_never_hyphenated(dialect):
    raw = "".join(page_texts(dialect.outputs["pdf"]))
    for word in ("parse_manuscript_folder_and_every_chapter_in_it()", "--no-cache"):
        assert word in "".join(raw.split()), word  # a hyphenation would add U+2010


def _chars(page):
    """(character, (left, bottom, right, top)) for every non-space character."""
    text_page = page.get_textpage()
    try:
        found = []
        for index in range(text_page.count_chars()):
            char = text_page.get_text_range(index, 1)
            if char.strip() and char not in "\u200b\u2060\ufffe\x02":
                found.append((char, text_page.get_charbox(index, loose=True)))
        return found
    finally:
        text_page.close()


def test_every_character_and_image_lies_inside_the_text_block(dialect):
    document = pypdfium2.PdfDocument(str(dialect.outputs["pdf"]))
    try:
        images = 0
        for index in range(2, len(document) - 1):  # not the covers (full-bleed colour)
            page = document[index]
            width, height = page.get_size()
            left, bottom, right, top = text_block(index + 1, width, height)
            for char, (x0, _, x1, _) in _chars(page):
                assert left - TOLERANCE <= x0 and x1 <= right + TOLERANCE, (index + 1, char)
            for obj in page.get_objects(max_depth=4):
                if obj.type not in (2, 3, 5):  # paths, images and forms (SVG, marks)
                    continue
                x0, y0, x1, y1 = obj.get_bounds()
                assert left - TOLERANCE <= x0 and x1 <= right + TOLERANCE, (index + 1, obj)
                if obj.type == 3:
                    images += 1
                    assert bottom - TOLERANCE <= y0 and y1 <= top + TOLERANCE, index + 1
        assert images == 5  # the raster figures (the SVG is drawn as paths)
    finally:
        document.close()


def test_a_long_code_line_wraps_with_a_hanging_indent_and_a_mark(dialect):
    document = pypdfium2.PdfDocument(str(dialect.outputs["pdf"]))
    try:
        for index in range(len(document)):
            page = document[index]
            chars = _chars(page)
            text = "".join(char for char, _ in chars)
            if "constships" in text:
                break
        start = text.index("constships")
        run = chars[start:start + len(squeeze('const ships = harbour.arrivals.filter((ship) => '
                                              'ship.flag === "AZ" && ship.tonnage > 1000 && '
                                              'ship.arrivedBefore(new Date("2024-01-01T00:00:'
                                              '00Z")));'))]
        rows: dict[int, float] = {}
        for _, (x0, y0, _, y1) in run:
            row = round((y0 + y1) / 2)
            rows[row] = min(rows.get(row, x0), x0)
        starts = [rows[y] for y in sorted(rows, reverse=True)]
        assert len(starts) >= 2  # it wraps
        indent = 2.4 * 8.5  # styles/base.css: pre .line, 2.4em at 8.5 pt
        assert all(abs(x - starts[0] - indent) < 1.5 for x in starts[1:]), starts
        marks = [obj.get_bounds() for obj in page.get_objects(max_depth=4) if obj.type == 5
                 and obj.get_bounds()[2] <= starts[0] + indent + 1]
        assert marks, "the continuation mark is drawn in the gutter"
    finally:
        document.close()


def test_code_blocks_in_the_epub(xhtml, epub_files):
    blocks = elements(xhtml, "pre")
    assert len(blocks) == 6
    titled = next(pre for pre in blocks if "numbered" in pre.get("class", ""))
    lines = titled.findall(f"{XHTML}code/{XHTML}span")
    assert [line.get("class") for line in lines] == [  # long: over 48 characters
        "line", "line long hll", "line hll", "line", "line long", "line", "line"]
    assert lines[0].find(f"{XHTML}span[@class='linenos']").text == "1"
    assert {span.get("class") for span in titled.iter(XHTML + "span")} >= {"k", "c1", "sd"}
    assert titled.getparent().find(f"{XHTML}span[@class='filename']").text == "harbour.py"
    assert "EPUB/styles/wrap-mark.svg" in epub_files
    css = epub_files["EPUB/styles/epub.css"].decode()
    assert 'url("wrap-mark.svg")' in css and "hyphens: none" in css
    for pre in blocks:
        assert all(line.text is None or "\n" not in line.text[:-1]
                   for line in pre.iter(XHTML + "span") if line.get("class", "").startswith(
                       "line"))
    wrapped = next(pre for pre in blocks if "ships.filter" in "".join(pre.itertext()).replace(
        "arrivals.", "ships."))
    assert [line.get("class") for line in wrapped.iter(XHTML + "span")
            if "line" in line.get("class", "")] == ["line long"]


def test_a_long_listing_breaks_across_pages_without_a_lone_line(dialect):
    texts = page_texts(dialect.outputs["pdf"])
    first = next(i for i, text in enumerate(texts) if "The harbour log" in text)
    assert "Oguz" not in texts[first] and "Oguz" in texts[first + 1]
    assert texts[first + 1].count("1") >= 2  # more than one line carried over


# ---------- figures ----------

def test_figures_have_captions_alt_texts_and_ids(dialect, xhtml):
    assert [f.src for f in dialect.book.figures] == [
        "images/diagram.png", "images/chart.gif", "images/harbour.jpg", "images/compass.svg",
        "images/diagram.png", "part/img/plan.png"]
    chart = next(f for f in dialect.book.figures if f.src.endswith("chart.gif"))
    assert (chart.caption, chart.alt) == ("The chart of ten bars.",
                                          "Ten bars of growing height, drawn in black outline.")
    harbour = next(f for f in dialect.book.figures if f.src.endswith("harbour.jpg"))
    assert harbour.id == "fig:harbour" and harbour.credit == "Octavo test suite"
    plan = next(f for f in dialect.book.figures if f.src.endswith("plan.png"))
    assert plan.src == "part/img/plan.png" and plan.id == "fig:plan"
    for figure in elements(xhtml, "figure"):
        children = [etree.QName(child).localname for child in figure]
        assert children[-1] == "figcaption" and children[:-1] == ["img"], children
        assert figure.find(f"{XHTML}img").get("alt")
    assert len(elements(xhtml, "figure")) == 6


def test_the_raw_html_figure_is_normalised(xhtml):
    raw = next(figure for figure in elements(xhtml, "figure")
               if "raw HTML" in "".join(figure.itertext()))
    assert raw.find(f"{XHTML}br") is None
    assert raw.find(f"{XHTML}figcaption/{XHTML}span[@class='caption']").text == \
        "A figure from raw HTML."


def test_images_keep_their_kind_in_the_epub(epub_files):
    diagram = (FIXTURES / "dialect" / "images" / "diagram.png").read_bytes()
    assert epub_files["EPUB/images/diagram.png"] == diagram  # lossless: the same file
    assert epub_files["EPUB/images/chart.gif"] == \
        (FIXTURES / "dialect" / "images" / "chart.gif").read_bytes()
    assert epub_files["EPUB/images/compass.svg"].startswith(b"<svg")
    assert epub_files["EPUB/images/harbour.jpg"][:2] == b"\xff\xd8"
    assert not any(name.endswith(("diagram.jpg", "chart.jpg")) for name in epub_files)


def test_a_link_to_a_figure_id_works_in_pdf_and_epub(dialect, xhtml):
    links = [a.get("href") for a in elements(xhtml, "a") if a.get("href", "").endswith(
        "#fig:harbour")]
    assert links and all(href in ("#fig:harbour", "ch2.xhtml#fig:harbour") for href in links)
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        names = pdf.Root.Names.Dests.Names
        assert "fig:harbour" in {str(names[i]) for i in range(0, len(names), 2)}


# ---------- lists and tables ----------

def test_nested_lists_at_two_and_four_spaces(xhtml):
    lists = xhtml["EPUB/ch3.xhtml"]
    outer = lists.findall(f".//{XHTML}section/{XHTML}ul")[0]
    baku = outer.find(f"{XHTML}li/{XHTML}ul/{XHTML}li")
    assert baku.text.strip() == "Baku"
    assert [li.text for li in baku.findall(f"{XHTML}ul/{XHTML}li")] == \
        ["the old port", "the new port at Alat"]
    ordered = lists.findall(f".//{XHTML}section/{XHTML}ol")[0]
    assert [li.text.strip() for li in ordered.findall(f"{XHTML}li/{XHTML}ol/{XHTML}li")] == \
        ["Tankers", "Ferries"]
    assert ordered.find(f".//{XHTML}ol/{XHTML}li/{XHTML}ul/{XHTML}li").text == "to Turkmenbashi"


def test_tables_keep_alignment_and_captions(xhtml):
    tables = elements(xhtml, "table")
    first = tables[0]
    assert first[0].tag == XHTML + "caption"
    assert first[0].text == "Arrivals by harbour, with aligned columns."
    classes = [cell.get("class") for cell in first.iter(XHTML + "th")]
    assert classes == ["align-left", "align-right", "align-center"]
    assert all(cell.get("align") is None for table in tables for cell in table.iter())
    wide = tables[1]
    assert wide[0].text == "Nine columns, set smaller so that none is clipped."
    assert "wider" in wide.get("class").split()


def test_a_long_table_repeats_its_header_on_each_page(dialect):
    texts = page_texts(dialect.outputs["pdf"])
    pages = [text for text in texts if re.search(r"\b(6 Fortuna|32 Goygol|50 Zagatala)\b", text)]
    assert len(pages) >= 2
    assert all("Number" in text and "Harbour" in text for text in pages)


# ---------- links ----------

def test_external_links_show_their_address_in_the_pdfs_only(dialect, pdf_text, xhtml):
    assert "the Python website (www.python.org/downloads/release/python-3120/)" in pdf_text
    assert "the editors (editors@example.org)" in pdf_text
    epub = epub_text(dialect.outputs["epub"])
    assert "the Python website or write" in epub and "(www.python.org" not in epub
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        uris = {str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", [])
                if "/A" in annot and "/URI" in annot.A}
    assert "https://www.python.org/downloads/release/python-3120/" in uris
    bare = "https://example.org/a/rather/long/path/that/wraps/at/the/end/of/a/line/index.html"
    assert bare in uris and squeeze(bare) in squeeze(pdf_text)
    rows = [line for text in page_texts(dialect.outputs["pdf"]) for line in text.splitlines()
            if "example.org/a" in line or "index.html" in line]
    assert len(rows) == 2 and rows[0].rstrip().endswith("/")  # wrapped after a slash


def test_links_to_files_that_are_not_chapters_are_dropped(dialect, xhtml):
    paragraph = next(p for p in elements(xhtml, "p") if "plain file" in "".join(p.itertext()))
    assert "".join(paragraph.itertext()).startswith("The notes of this book live in a plain "
                                                    "file that is not a chapter")
    assert paragraph.find(f"{XHTML}a") is None
    for name, data in (("pdf", dialect.outputs["pdf"].read_bytes()),):
        assert b"NEVER-READ" not in data
    back = [a.get("href") for a in elements(xhtml, "a") if "".join(a.itertext()) in
            ("code chapter", "figures", "the third chapter")]
    assert back == ["ch3.xhtml", "ch1.xhtml", "ch2.xhtml#fig:harbour"]


# ---------- smaller manuscripts: no layout ----------

def _manuscript(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "book"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


TOML = 'title = "From TOML"\nlanguage = "en"\nidentifier = "urn:x:1"\n'


def test_metadata_toml_wins_over_front_matter_with_a_note(tmp_path):
    folder = _manuscript(tmp_path, {"metadata.toml": TOML, "a.md": "---\ntitle: From YAML\n"
                                    "lang: de\n---\n\n# A\n\nText of the chapter.\n"})
    book = load_book(folder)
    assert book.metadata.title == "From TOML" and book.metadata.language == "en"
    assert [(n.code, n.severity, n.where) for n in book.notes] == [("MS-012", "info", "a.md:1")]
    assert "From YAML" not in book.chapters[0].body.text_content()
    assert book.chapters[0].line_of("Text of the chapter.") == 8  # lines kept


@pytest.mark.parametrize("header, message", [
    ("title: T\nlang: english\nidentifier: x", "a.md:3: 'english' is not a language tag"),
    ("title: T\nlang: en", "a.md:1: the metadata has no 'identifier'"),
    ("title: T\nlang: en\nidentifier: x\ndate: 2024-13-40",
     "a.md:5: date '2024-13-40' is not a real YYYY, YYYY-MM or YYYY-MM-DD date"),
    ("title: [unclosed\nlang: en", "a.md:3: the YAML front matter is not valid YAML"),
    ("title: T\nlang: en\nidentifier: x\nauthor: {bad: 1}",
     "a.md:5: 'authors' must be a list of strings"),
])
def test_front_matter_is_validated_like_metadata_toml(tmp_path, header, message):
    folder = _manuscript(tmp_path, {"a.md": f"---\n{header}\n---\n\nText.\n"})
    with pytest.raises(OctavoError) as caught:
        load_book(folder)
    assert str(caught.value).split(" (hint")[0].replace(str(folder) + "/", "").startswith(
        message), str(caught.value)


def test_links_resolve_from_the_chapters_folder(tmp_path):
    folder = _manuscript(tmp_path, {
        "metadata.toml": TOML + 'chapters = ["one/a.md", "two/b.md"]\n',
        "one/a.md": "# A\n\n[Next](../two/b.md#b) and [Contents](../Contents.md).\n\n"
                    "[Again](../Contents.md)\n",
        "two/b.md": "# B {#b}\n\n[Back](../one/a.md) and [secret](../../secret.txt).\n",
        "Contents.md": "# Contents\n"})
    book = load_book(folder)
    assert [a.get("href") for a in book.chapters[0].body.iter("a")] == ["two/b.md#b"]
    assert [a.get("href") for a in book.chapters[1].body.iter("a")] == ["one/a.md"]
    assert [(n.where, n.message.split(":")[0]) for n in book.notes] == [
        ("one/a.md:3", "the link '../Contents.md' is not a chapter of this book"),
        ("one/a.md:5", "the link '../Contents.md' is not a chapter of this book"),
        ("two/b.md:3", "the link '../../secret.txt' leads outside the manuscript folder")]


def test_a_chapter_linked_as_a_web_page_is_that_chapter(tmp_path):
    """GitHub Pages and MkDocs sites link `02_Hello` or `02_Hello.html` for 02_Hello.md
    (the corpus book does, 4 times)."""
    folder = _manuscript(tmp_path, {
        "metadata.toml": TOML + 'chapters = ["one/a.md", "two/b.md"]\n',
        "one/a.md": "# A\n\n[Next](../two/b) and [again](../two/b.html#b).\n",
        "two/b.md": "# B {#b}\n\n[Back](../one/a) and [other](../one/c).\n"})
    book = load_book(folder)
    assert [a.get("href") for a in book.chapters[0].body.iter("a")] == ["two/b.md",
                                                                         "two/b.md#b"]
    assert [a.get("href") for a in book.chapters[1].body.iter("a")] == ["one/a.md"]
    assert [n.message.split(":")[0] for n in book.notes] == [
        "the link '../one/c' is not a chapter of this book"]


def test_an_absolute_link_is_refused(tmp_path):
    folder = _manuscript(tmp_path, {"metadata.toml": TOML,
                                    "a.md": "# A\n\nSee [this](/etc/passwd).\n"})
    with pytest.raises(OctavoError, match="a.md:3: the link '/etc/passwd' is an absolute path"):
        load_book(folder)


def test_list_nesting_is_the_same_at_two_three_and_four_spaces():
    def tree(text):
        return re.sub(r"\s+", "", make_markdown().convert(text))
    two = tree("- a\n  - b\n    - c\n- d\n")
    assert two == tree("- a\n    - b\n        - c\n- d\n") == \
        "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>"
    assert tree("1. a\n   1. b\n2. c\n") == tree("1. a\n    1. b\n2. c\n") == \
        "<ol><li>a<ol><li>b</li></ol></li><li>c</li></ol>"
    assert tree("- a\n\n      code in a\n") == tree("- a\n\n        code in a\n")
    assert "<li>" not in tree("```\n- not\n  - a list\n```\n")  # fenced code is left alone


def test_table_captions_before_and_after_and_without_a_blank_line():
    html = markdown_to_html("| a | b |\n|---|--:|\n| 1 | 2 |\nTable: After {#tbl:x}\n\n"
                            "Table: Before\n\n| c |\n|---|\n| 3 |\n")
    assert '<table id="tbl:x"><caption>After</caption>' in html
    assert "<table><caption>Before</caption>" in html and "Table:" not in html


# ---------- EPUB-004: content models ----------

def _doc(body: str) -> bytes:
    return (f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>'
            f"<body>{body}</body></html>").encode()


@pytest.mark.parametrize("body, problem", [
    ('<figure><img src="a" alt=""/><figcaption>c</figcaption><br/></figure>',
     "a <figcaption> is neither the first nor the last thing in its <figure>"),
    ("<p>text <figure><img src='a' alt=''/></figure></p>", "<figure> inside <p>"),
    ("<ul><p>x</p></ul>", "<p> directly inside <ul>"),
    ("<p><span><div>x</div></span></p>", "<div> inside <span>"),
    ("<table><tr><td>1</td></tr><caption>c</caption></table>",
     "a <caption> that is not the first thing in its <table>"),
    ('<p id="x">a</p><p id="x">b</p>', "the id 'x' is used twice"),
    ('<p><a href="#a">a <a href="#b">b</a></a></p>', "a link inside a link"),
])
def test_the_structure_check_finds_invalid_xhtml(body, problem):
    assert any(found.startswith(problem) for _, found in structure_problems(_doc(body))), \
        structure_problems(_doc(body))


def test_the_structure_check_accepts_valid_xhtml():
    assert structure_problems(_doc(
        '<figure><img src="a" alt="x"/><br/>text<figcaption>c</figcaption></figure>'
        "<p>a <a href='#x'><span>b</span></a></p><ul><li><p>x</p><ul><li>y</li></ul></li></ul>"
        "<table><caption>c</caption><thead><tr><th>h</th></tr></thead><tbody><tr><td>"
        "<p>d</p></td></tr></tbody></table>")) == []


def test_raw_html_blocks_inside_paragraphs_become_valid(tmp_path):
    folder = _manuscript(tmp_path, {"metadata.toml": TOML, "a.md": (
        "# A\n\nText <figure><img src='i.png' alt='An image'><figcaption>Cap</figcaption>"
        "<br></figure> after.\n\n<p>A <span><div>div in a span</div></span> here.</p>\n")})
    shutil.copy(FIXTURES / "dialect" / "part" / "img" / "plan.png", folder / "i.png")
    book = load_book(folder)
    body = book.chapters[0].body
    figure = next(body.iter("figure"))
    assert [child.tag for child in figure] == ["img", "figcaption"]
    for element in body.iter("div", "figure"):
        assert not any(a.tag in ("p", "span") for a in element.iterancestors())


def test_line_art_stays_lossless_in_the_screen_pdf(dialect):
    """The screen PDF downsamples images it embeds too large, but only the photograph
    becomes a JPEG: line art from PNG and GIF stays deflated (resampled or kept)."""
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        images = {image.objgen: str(image.get("/Filter")) for page in pdf.pages
                  for image in page.obj.Resources.get("/XObject", {}).values()
                  if image.get("/Subtype") == "/Image"}  # (pages share one dictionary)
        filters = sorted(images.values())
    assert filters.count("/DCTDecode") == 1 and filters.count("/FlateDecode") >= 3, filters


def test_only_lines_that_may_wrap_draw_the_mark(dialect):
    """WeasyPrint writes every background as an object of its own: the mark is drawn for
    lines long enough to wrap (`long`), not for all (5,200 lines made a corpus PDF of
    12.5 MB, 8.7 MB of them marks)."""
    long_lines = sum(1 for chapter in dialect.book.chapters for span in chapter.body.iter(
        "span") if "long" in (span.get("class") or "").split())
    with pikepdf.open(dialect.outputs["pdf"]) as pdf:
        forms = sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                    and obj.get("/Subtype") == "/Form")
    assert 0 < long_lines < 12 and forms <= long_lines + 2  # (+ the SVG figure)
