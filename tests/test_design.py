"""From an empty folder to a designed book: `octavo new`, folders without metadata, and
the [design] table (trim, bleed, fonts, the book's own CSS), read back from real outputs."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from PIL import Image

from octavo import cli
from octavo.build import BuildOptions, build
from octavo.checks import CheckContext
from octavo.checks.manuscript_lint import characters_have_glyphs
from octavo.errors import EXIT_MANUSCRIPT, EXIT_USAGE, OctavoError
from octavo.manuscript.design import Design
from octavo.manuscript.discover import first_heading, humanise, natural_key
from octavo.manuscript.load import load_book
from octavo.manuscript.metadata import load_metadata
from octavo.new import new_book
from octavo.paged.stylesheets import design_values
from octavo.report import failed, for_release

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "practical-python" / "Notes"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/practical-python/Notes")
PT_PER_MM = 72 / 25.4
SAMPLE_HEADING = "A figure"  # an h2 of scaffold/chapter-1.md


def _build(manuscript: Path, out: Path, **options):
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1500000000")
    return build(BuildOptions(manuscript=manuscript, out=out, quiet=True, **options))


def _set_design(manuscript: Path, lines: str) -> None:
    """Replace the sample's [design] table (the last table of its metadata.toml)."""
    path = manuscript / "metadata.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("[design]")] + "[design]\n" + lines, encoding="utf-8")


# ---------- octavo new ----------

@pytest.fixture(scope="module")
def new_release(tmp_path_factory):
    """`octavo new`, then a --release build (epubcheck and Ace included)."""
    root = tmp_path_factory.mktemp("new")
    assert cli.main(["new", str(root / "my-first-book")]) == 0
    result = _build(root / "my-first-book", root / "dist", validate=True, release=True)
    return root / "my-first-book", result


def test_new_builds_clean_under_release(new_release):
    manuscript, result = new_release
    findings = for_release(result.findings, True)
    assert not failed(findings, True), [f.line() for f in findings]
    assert [f for f in findings if f.severity != "info"] == []
    assert {"pdf", "print-pdf", "booklet", "epub"} <= set(result.outputs)
    assert result.book.metadata.title == "My first book"
    assert result.book.metadata.identifier.startswith("urn:uuid:")
    assert len(result.book.figures) == 1 and result.book.placeholders == []


def test_new_makes_the_files_it_says(new_release, capsys, tmp_path):
    manuscript, _ = new_release
    assert sorted(p.relative_to(manuscript).as_posix() for p in manuscript.rglob("*")
                  if p.is_file()) == ["book.css", "chapter-1.md", "images/lighthouse.png",
                                      "metadata.toml"]
    picture = Image.open(manuscript / "images" / "lighthouse.png")
    assert picture.size == (2400, 1600)
    assert len(picture.getcolors(1 << 16) or range(1 << 16)) > 50  # a picture, not a plate
    text = (manuscript / "chapter-1.md").read_text(encoding="utf-8")
    for construct in ("::: figure {#fig:", "[^keeper]", "```python", "| Light", "Table: ",
                      "@fig:lighthouse", "@sec:figure", "](#sec:parts)"):
        assert construct in text
    assert "#" in (manuscript / "book.css").read_text(encoding="utf-8")
    # A second book gets its own identifier; a folder that is not empty is refused.
    assert cli.main(["new", str(tmp_path / "other")]) == 0
    assert "octavo --manuscript" in capsys.readouterr().out
    other = load_metadata(tmp_path / "other")
    assert other.identifier != load_metadata(manuscript).identifier
    assert cli.main(["new", str(tmp_path / "other")]) == EXIT_USAGE
    assert "the folder is not empty" in capsys.readouterr().err


# ---------- a folder without metadata.toml ----------

def _loose_folder(root: Path) -> Path:
    folder = root / "loose"
    (folder / "03_Second_part").mkdir(parents=True)
    (folder / "03_Second_part" / "10_later.md").write_text("# Ten\n\nText ten.\n")
    (folder / "03_Second_part" / "2_earlier.md").write_text("# Two\n\nText two.\n")
    (folder / "03_Second_part" / "00_Intro.md").write_text("## The Second Part\n\nIt opens.\n")
    (folder / "01_first_part").mkdir()
    (folder / "01_first_part" / "chapter.md").write_text("# Inside\n\nText inside.\n")
    (folder / "00_Preface.md").write_text("```\n# not a heading\n```\n\nThe Loose Book\n"
                                          "==============\n\nA preface.\n")
    (folder / "Contents.md").write_text("# Contents\n\n* [Preface](00_Preface.md)\n"
                                        "* [Inside](01_first_part/chapter.md)\n")
    return folder


@pytest.fixture(scope="module")
def loose_builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("loose")
    folder = _loose_folder(root)
    return folder, [_build(folder, root / f"dist{n}", cache=False) for n in (1, 2)]


def test_a_folder_without_metadata_builds_with_notes(loose_builds):
    folder, (result, _) = loose_builds
    book = result.book
    assert [c.source.relative_to(folder).as_posix() for c in book.chapters] == [
        "00_Preface.md", "01_first_part/chapter.md", "03_Second_part/00_Intro.md",
        "03_Second_part/2_earlier.md", "03_Second_part/10_later.md"]  # Contents.md left out
    assert [(p.title, p.folder) for p in book.parts] == [
        ("First part", "01_first_part"), ("The Second Part", "03_Second_part")]
    assert [c.part.folder if c.part else None for c in book.chapters] == [
        None, "01_first_part", "03_Second_part", "03_Second_part", "03_Second_part"]
    assert book.metadata.title == "Contents"  # the table of contents' heading
    notes = {f.code: f for f in result.findings if f.code.startswith("AUTO-")}
    assert sorted(notes) == ["AUTO-001", "AUTO-002", "AUTO-003", "AUTO-004", "AUTO-005"]
    assert all(f.severity == "info" for f in notes.values())
    assert notes["AUTO-001"].where == "Contents.md:1"
    assert "`language`" in notes["AUTO-002"].message
    assert book.metadata.identifier in notes["AUTO-003"].message
    assert not failed(result.findings, release=False)
    released = for_release(result.findings, release=True)  # an identifier to pin
    assert [f.code for f in released if f.severity == "warning"] == ["AUTO-003"]


def test_a_folder_without_metadata_builds_byte_identically(loose_builds):
    _, (first, second) = loose_builds
    for kind in ("pdf", "print-pdf", "booklet", "epub"):
        digests = {hashlib.sha256(result.outputs[kind].read_bytes()).hexdigest()
                   for result in (first, second)}
        assert len(digests) == 1, kind


def test_titles_and_order_are_found_in_the_text(tmp_path):
    assert sorted(["10.md", "2.md", "1b.md", "B.md", "a.md"], key=natural_key) == [
        "1b.md", "2.md", "10.md", "a.md", "B.md"]
    assert first_heading("---\ntitle: x\n---\n~~~\n# code\n~~~\n## *The* [Title](x.md) {#t}\n"
                         ) == ("The Title", 7)
    assert humanise("02_Working_with_data") == "Working with data"
    (tmp_path / "notes.md").write_text("No heading at all.\n")
    assert load_metadata(tmp_path).title == humanise(tmp_path.name)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_the_corpus_without_metadata_has_its_parts_in_order(tmp_path):
    copy = tmp_path / "Notes"
    shutil.copytree(CORPUS, copy)
    (copy / "metadata.toml").unlink()
    the_end = copy / "09_Packages" / "TheEnd.md"  # `[Home](../..)` leaves the folder: until
    the_end.write_text(the_end.read_text().replace("[Home](../..)", "Home"))  # it is a warning
    book = load_book(copy)
    assert book.metadata.title == "Practical Python Programming"  # Contents.md's heading
    assert [p.folder for p in book.parts] == sorted(p.name for p in copy.iterdir()
                                                   if p.is_dir())
    assert [p.title for p in book.parts][:3] == [
        "1. Introduction to Python", "2. Working With Data", "3. Program Organization"]
    names = [c.source.relative_to(copy).as_posix() for c in book.chapters]
    assert names[0] == "00_Setup.md" and names[-1] == "InstructorNotes.md"
    assert "Contents.md" not in names and len(names) == 53
    for part in book.parts:  # each part's chapters follow each other, its opening first
        own = [c for c in book.chapters if c.part == part]
        assert own[0].id == part.opening and own[0].source.name == "00_Overview.md"
        assert book.chapters.index(own[-1]) - book.chapters.index(own[0]) == len(own) - 1


# ---------- the [design] table ----------

def _sample(root: Path, name: str) -> Path:
    folder = root / name
    new_book(folder)
    return folder


@pytest.fixture(scope="module")
def six_by_nine(tmp_path_factory):
    """6x9in, a 0.125in bleed, Noto Sans, and a book.css that colours the h2 headings,
    with a bad value on its last line."""
    root = tmp_path_factory.mktemp("design")
    folder = _sample(root, "six")
    _set_design(folder, 'trim = "6x9in"\nbleed = "0.125in"\nfont = "Noto Sans"\n'
                        'stylesheets = ["book.css"]\n')
    with open(folder / "book.css", "a", encoding="utf-8") as css:
        css.write("h2 { color: #c00000; }\nh3 { margin-top: 5 }\n")
    return _build(folder, root / "dist")


def test_6x9in_pages_and_bleed(six_by_nine):
    bleed = 0.125 * 72
    with pikepdf.open(six_by_nine.outputs["pdf"]) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, 432, 648], abs=0.01)
    with pikepdf.open(six_by_nine.outputs["print-pdf"]) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.TrimBox] == pytest.approx([0, 0, 432, 648], abs=0.01)
            for box in (page.MediaBox, page.BleedBox):
                assert [float(v) for v in box] == pytest.approx(
                    [-bleed, -bleed, 432 + bleed, 648 + bleed], abs=0.01)
    assert not [f for f in six_by_nine.findings if f.code == "PDF-008"]


def test_design_font_is_the_one_embedded(six_by_nine):
    with pikepdf.open(six_by_nine.outputs["pdf"]) as pdf:
        fonts = {str(font.BaseFont).split("+")[-1].replace("-", "") for page in pdf.pages
                 for font in (page.Resources.get("/Font") or {}).values()}
    assert {"NotoSans", "NotoSansItalic", "DejaVuSansMono"} <= fonts, fonts  # code: default
    assert {name for name in fonts if not name.startswith(("NotoSans", "DejaVuSansMono"))} \
        == {"CharisSIL"}  # ◊
    assert not [f for f in six_by_nine.findings if f.code in ("PDF-003", "MS-007")]


def _heading_pixels(pdf: Path, text: str) -> list[tuple[int, int, int]]:
    """The pixels inside the words `text` on the first page that shows them (150 dpi)."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for page in document:
            found = page.get_textpage().search(text).get_next()
            if not found:
                continue
            start, count = found
            boxes = [page.get_textpage().get_charbox(start + i) for i in range(count)]
            scale = 150 / 72
            image = page.render(scale=scale).to_pil().convert("RGB")
            height = page.get_height()
            return [image.getpixel((int(x * scale), int((height - y) * scale)))
                    for left, bottom, right, top in boxes
                    for x in range(int(left), int(right) + 1)
                    for y in range(int(bottom), int(top) + 1)]
    finally:
        document.close()
    raise AssertionError(f"{text!r} is not in {pdf}")


def test_book_css_colours_the_headings(six_by_nine):
    pixels = _heading_pixels(six_by_nine.outputs["pdf"], SAMPLE_HEADING)
    red = [p for p in pixels if p[0] > 150 and p[1] < 90 and p[2] < 90]
    dark = [p for p in pixels if max(p) < 90]
    assert len(red) > 20 and len(red) > 3 * len(dark)


def test_book_css_bad_value_is_one_line_with_its_place(six_by_nine):
    problems = [f for f in six_by_nine.findings if f.code == "DES-001"]
    lines = (six_by_nine.book.folder / "book.css").read_text().splitlines()
    assert [(f.severity, f.where) for f in problems] == [("error", f"book.css:{len(lines)}")]
    assert "margin-top: 5" in problems[0].message


@pytest.fixture(scope="module")
def a4_book(tmp_path_factory):
    root = tmp_path_factory.mktemp("a4")
    folder = _sample(root, "a4")
    _set_design(folder, 'trim = "a4"\nstylesheets = [{ file = "book.css", epub = true }]\n')
    return _build(folder, root / "dist")


def test_a4_pages_scale_the_margins(a4_book):
    with pikepdf.open(a4_book.outputs["pdf"]) as pdf:
        width, height = (float(v) for v in pdf.pages[2].MediaBox[2:])
    assert (width, height) == pytest.approx((210 * PT_PER_MM, 297 * PT_PER_MM), abs=0.01)
    document = pypdfium2.PdfDocument(str(a4_book.outputs["pdf"]))
    try:  # the text block keeps A5's proportions: 15/19 mm margins become 21.3/27 mm
        page = document[2]
        text = page.get_textpage()
        lefts = [text.get_charbox(i)[0] for i in range(text.count_chars())
                 if not text.get_text_range(i, 1).isspace()]
        margin = min(lefts) / PT_PER_MM
    finally:
        document.close()
    assert margin == pytest.approx(15 * 210 / 148, abs=1.0) or \
        margin == pytest.approx(19 * 210 / 148, abs=1.0)
    assert a4_book.book.metadata.design.size_pt == 12.5  # 10.5 pt × √(210/148), to ¼ pt


def test_book_css_reaches_the_epub_when_asked(a4_book):
    import zipfile
    with zipfile.ZipFile(a4_book.outputs["epub"]) as epub:
        names = epub.namelist()
        chapter = next(n for n in names if n.endswith(".xhtml") and "chapter" in n.lower()
                       or n.endswith("ch1.xhtml"))
        document = epub.read(chapter).decode()
        css = next(n for n in names if n.endswith("book/book.css"))
        assert epub.read(css).startswith(b"/* book.css")
    assert 'href="book/book.css"' in document
    assert document.index("styles/epub.css") < document.index("book/book.css")


def test_unknown_keys_name_the_nearest(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    cases = {
        'page_size = "a4"': "unknown key `page_size`; did you mean `trim` in the [design] table?",
        '[design]\ntrm = "a4"': "unknown key `trm` in [design]; did you mean `trim`?",
        'font = "Charis SIL"': "`font` belongs in the [design] table",
        'css = ["a.css"]': "unknown key `css`; did you mean `stylesheets` in the [design] "
                           "table?",
        'tittle = "A"': "unknown key `tittle`; did you mean `title`?",
        '[design]\nlanguage = "fr"': "`language` belongs at the top, before any table, "
                                     "not in [design]",
        '[desing]\ntrim = "a4"': "unknown key `desing`; did you mean `design`?",
    }
    for added, message in cases.items():
        (tmp_path / "metadata.toml").write_text(
            f'title = "T"\nlanguage = "en"\nidentifier = "urn:x"\n{added}\n')
        with pytest.raises(OctavoError) as caught:
            load_metadata(tmp_path)
        assert caught.value.message == message
        assert caught.value.line == 4 or (added.startswith("[") and caught.value.line == 5)


def test_design_values_are_checked(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    cases = {
        'trim = "7x"': "trim '7x' is not a known size",
        'bleed = "2cm"': "bleed '2cm' is not a length from 0 to 10 mm",
        'font = "EB Garamondd"': "the font family 'EB Garamondd' is not installed",
        'base_size = "40pt"': "base_size '40pt' is not a type size from 6 to 24 pt",
        'justify = "yes"': "`justify` must be true or false",
        'stylesheets = ["../x.css"]': "stylesheet '../x.css' is not a file inside the "
                                      "manuscript folder",
    }
    for added, message in cases.items():
        (tmp_path / "metadata.toml").write_text(
            f'title = "T"\nlanguage = "en"\nidentifier = "urn:x"\n[design]\n{added}\n')
        with pytest.raises(OctavoError) as caught:
            load_metadata(tmp_path)
        assert (caught.value.message, caught.value.line) == (message, 5)
    (tmp_path / "metadata.toml").write_text(
        'title = "T"\nlanguage = "en"\nidentifier = "urn:x"\n[design]\nfont = "Inter"\n')
    if "Inter" not in __import__("octavo.fonts").fonts.installed_families():
        with pytest.raises(OctavoError) as caught:
            load_metadata(tmp_path)
        assert caught.value.hint == "install it: apt-get install fonts-inter"


def test_the_defaults_are_a5_and_fill_design_css_with_ones():
    values = design_values(Design())
    assert (values["trim_width"], values["trim_height"], values["bleed"]) == (
        "148mm", "210mm", "3mm")
    assert (values["scale_x"], values["scale_y"], values["type_scale"]) == ("1", "1", "1")
    assert (values["base_size"], values["line_height"]) == ("10.5pt", "14pt")
    assert values["font"] == '"Charis SIL"'


def test_book_css_cannot_reach_outside(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    (tmp_path / "metadata.toml").write_text('title = "T"\nlanguage = "en"\nidentifier = "x"\n'
                                            '[design]\nstylesheets = ["book.css"]\n')
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "x.woff2").write_bytes(b"wOF2")
    cases = {
        'h1 { background: url(file:///etc/passwd) }': (1, "file:///etc/passwd"),
        '\n@import "../x.css";': (2, "../x.css"),
        '@media print { p { background: url("/etc/hosts") } }': (1, "/etc/hosts"),
        '@font-face { src: url(fonts/x.woff2), url("https://example.org/f.woff2") }':
            (1, "https://example.org/f.woff2"),
    }
    for css, (line, url) in cases.items():
        (tmp_path / "book.css").write_text(css)
        with pytest.raises(OctavoError) as caught:
            load_book(tmp_path)
        assert (caught.value.line, caught.value.path) == (line, str(tmp_path / "book.css"))
        assert caught.value.message.endswith(repr(url))
    (tmp_path / "book.css").write_text('@font-face { font-family: X; src: url(fonts/x.woff2) }')
    load_book(tmp_path)  # inside the folder: fine


def test_the_command_line_refuses_an_outside_stylesheet(tmp_path, capsys):
    folder = tmp_path / "book"
    new_book(folder)
    (folder / "book.css").write_text('@import "../x.css";\n')
    (tmp_path / "x.css").write_text("p { color: red }\n")
    code = cli.main(["--manuscript", str(folder), "--out", str(tmp_path / "dist")])
    assert code == EXIT_MANUSCRIPT
    assert capsys.readouterr().err.strip() == (
        f"octavo: {folder}/book.css:1: the stylesheet reaches outside the manuscript folder: "
        "'../x.css' (hint: put the file in the manuscript folder and refer to it relatively)")


def test_a_character_missing_from_the_design_font_is_named(tmp_path):
    """The snowman is not in the design's font but in the script fonts after it (issue 14:
    MS-007 only for what no installed font draws); the private-use sign is in none."""
    (tmp_path / "a.md").write_text("# A\n\nA snowman \u2603 in the body.\n\n"
                                   "A private sign \U000f0000 too.\n")
    (tmp_path / "metadata.toml").write_text(
        'title = "T"\nlanguage = "en"\nidentifier = "x"\n[design]\nfont = "Noto Sans Mono"\n')
    findings = characters_have_glyphs(CheckContext(load_book(tmp_path)))
    assert [(f.code, f.where) for f in findings] == [("MS-007", "a.md:5")]
    assert "Noto Sans Mono, the body font, nor in any installed font" in findings[0].message
