"""The manuscript: its edit, its completeness in every output, and edge-case fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from conftest import FIXTURES, ROOT, build_fixture, epub_text
from octavo.checks.text import comparable
from octavo.errors import OctavoError
from octavo.manuscript.load import load_book
from octavo.pdfread.text import normalise, page_texts

SEED = ROOT.parent / "shared" / "seeds" / "000_b9642ec97e1e7cf7.txt"


def blocks(book):
    """Every paragraph and list item of the manuscript, as plain text."""
    for chapter in book.chapters:
        for element in chapter.body.iter("p", "li"):
            if element.getparent().tag == "li" or any(
                    a.tag == "figure" or "footnote" in a.get("class", "")
                    for a in element.iterancestors()):
                continue
            if element.tag == "li" and element.find("p") is not None:
                continue
            yield chapter, element.get("data-o"), comparable(element.text_content())


def test_manuscript_has_the_nine_figures_with_alt_caption_and_credit(real_build):
    figures = real_build.book.figures
    assert len(figures) == 9
    for figure in figures:
        assert figure.alt and figure.caption
        assert normalise(figure.alt) != normalise(figure.caption)
        assert figure.image.placeholder, figure.src
        assert figure.image.width >= 1346  # 300 ppi at the 114 mm text width
    credits = [f.credit for f in figures if f.credit]
    assert len(credits) == 3 and all("Artist" in c for c in credits)


def test_figures_stand_between_paragraphs(real_build):
    for chapter in real_build.book.chapters:
        for figure in chapter.body.iter("figure"):
            assert figure.getparent() is chapter.body
            previous = figure.getprevious()
            assert previous is not None and previous.tag in ("p", "ul", "ol")
            text = normalise(previous.text_content())
            assert text.endswith((".", ":", ";", "\u201d", "\u2019")), text[-40:]


@pytest.mark.skipif(not SEED.exists(), reason="the seed is not beside this checkout")
def test_every_seed_word_is_kept_once(real_build):
    """The edit only joined, reordered and re-punctuated: the words are the seed's."""
    import re

    def words(text):
        text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        return sorted(re.findall(r"[a-z0-9]+", text.lower()))

    seed = SEED.read_text(encoding="utf-8")
    book_text = " ".join(c.body.text_content() for c in real_build.book.chapters)
    title = real_build.book.metadata.title
    assert words(seed) == words(book_text + " " + title)


def test_every_paragraph_and_item_is_in_the_pdf_and_epub(real_build, screen_text):
    """Hyphenation undone, whitespace normalised, and a line may break after a dash."""
    epub = comparable(epub_text(real_build.outputs["epub"]))
    screen_text = comparable(screen_text)
    missing_pdf, missing_epub = [], []
    for chapter, key, text in blocks(real_build.book):
        if screen_text.count(text) != 1:
            missing_pdf.append((key, text[:60]))
        if epub.count(text) != 1:
            missing_epub.append((key, text[:60]))
    assert not missing_pdf
    assert not missing_epub


def test_paragraph_order_is_kept(real_build, screen_text):
    screen_text = comparable(screen_text)
    positions = [screen_text.find(text) for _, _, text in blocks(real_build.book)]
    assert positions == sorted(positions)


def test_fixture_without_figures_and_with_footnotes(tmp_path):
    result = build_fixture("plain", tmp_path)
    assert result.book.figures == []
    pages = page_texts(result.outputs["pdf"], body_only=False)
    text = normalise(" ".join(pages))
    assert "The first note, which sits at the foot of its page" in text
    assert "\u201cquoted\u201d" in text and "apostrophe\u2019s" in text
    assert "\u2013 with an en dash" in text and "\u2014 with an em dash" in text
    with pikepdf.open(result.outputs["pdf"]) as pdf:
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            children = [c.title for item in outline.root for c in item.children]
        assert "A heading in the middle" in titles + children
    epub = epub_text(result.outputs["epub"])
    assert "The second note." in epub


def _font_cmap(pdf_path: Path) -> tuple[set[int], list[str]]:
    """Characters each embedded font maps (ToUnicode), and the fonts' names."""
    names, mapped = [], set()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for _, font in page.obj.Resources.get("/Font", {}).items():
                names.append(str(font.BaseFont))
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                import re
                for hexcode in re.findall(r"<([0-9A-Fa-f]{4,8})>\s*\n", cmap):
                    mapped.add(int(hexcode, 16))
                for hexcode in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]{4})>", cmap):
                    mapped.add(int(hexcode, 16))
    return mapped, names


def test_azerbaijani_letters_are_drawn_by_charis(tmp_path):
    result = build_fixture("azerbaijani", tmp_path)
    letters = "ƏəĞğŞşİı"
    text = normalise(" ".join(page_texts(result.outputs["pdf"], body_only=False)))
    for letter in letters:
        assert letter in text
    charis = TTFont("/usr/share/fonts/truetype/charis/CharisSIL-Regular.ttf").getBestCmap()
    assert all(ord(letter) in charis for letter in letters)
    mapped, names = _font_cmap(result.outputs["pdf"])
    assert all("Charis" in name for name in names), names
    assert all(ord(letter) in mapped for letter in letters)
    assert result.layout.warnings == []
    assert "Şəki" in epub_text(result.outputs["epub"])


def test_missing_image_names_the_file_and_line():
    with pytest.raises(OctavoError) as caught:
        load_book(FIXTURES / "missing-image")
    error = caught.value
    assert error.path.endswith("text.md") and error.line == 4
    assert "images/not-there.jpg" in error.message


def test_cli_reports_bad_input_in_one_line_without_traceback(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--manuscript", str(FIXTURES / "missing-image"),
         "--out", str(tmp_path / "dist")], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 3
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "text.md:4" in lines[0] and "not-there.jpg" in lines[0]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


@pytest.mark.parametrize("where", ["missing", "a-file.md"])
def test_cli_says_the_manuscript_folder_is_not_there(tmp_path, where):
    """Not an internal error: the layout workers, started before the manuscript is read,
    read its metadata and used to crash on a folder that is not there."""
    (tmp_path / "a-file.md").write_text("# A file\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--manuscript", str(tmp_path / where),
         "--out", str(tmp_path / "dist")], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"octavo: {tmp_path / where}: the manuscript folder does not exist "
        "(hint: pass --manuscript DIR)"]


def test_raw_html_cannot_borrow_octavos_layout_classes(tmp_path):
    """`class="cover"` would make a full-page cover; a raw footnote div must keep its text."""
    import shutil
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "plain", folder)
    with (folder / "text.md").open("a", encoding="utf-8") as text:
        text.write('\n<p class="cover lead">A paragraph dressed as a cover.</p>\n\n'
                   '<div class="footnote">Words in a div that looks like a note list.</div>\n')
    book = load_book(folder)
    classes = {el.get("class") for el in book.chapters[0].body.iter("p")}
    assert "lead" in classes and not any("cover" in (c or "") for c in classes)
    result = build_fixture_from(folder, tmp_path / "out")
    text = normalise(" ".join(page_texts(result.outputs["pdf"])))
    assert "Words in a div that looks like a note list." in text
    assert "A paragraph dressed as a cover." in text
    assert result.layout.page_count == build_fixture_from(
        FIXTURES / "plain", tmp_path / "plain").layout.page_count


def build_fixture_from(folder, out):
    from octavo.build import BuildOptions, build
    return build(BuildOptions(manuscript=folder, out=out, quiet=True))


def _line_texts(document):
    from weasyprint.formatting_structure import boxes
    for page in document.pages:
        for line in page._page_box.descendants():
            if isinstance(line, boxes.LineBox):
                yield "".join(b.text for b in line.descendants() if isinstance(b, boxes.TextBox))


def test_a_note_call_never_starts_a_line(tmp_path):
    """The call stays on the line of the word it follows, wherever the line breaks.

    WeasyPrint may break between a word and a `float: footnote` call; 40 paragraphs,
    each one character longer than the last, put the call at every place on a line.
    """
    import shutil
    from octavo.paged.pagination import lay_out_book
    from octavo.paged.render import PAGED_CSS
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "plain", folder)
    words = ("Work border harvest in quiet, museum one hand window and summer in which. "
             "Heavy river hand steady small all of evening. Also this their described "
             "always late but always closed it to the, was have Brill and mountain and or "
             "an out printer distance.")
    paragraphs = [f"{'x' * n} {words}[^n{n}] Clearly the child but story.\n\n[^n{n}]: Note {n}."
                  for n in range(1, 41)]
    (folder / "text.md").write_text("# Calls\n\n" + "\n\n".join(paragraphs) + "\n",
                                    encoding="utf-8")
    layout = lay_out_book(load_book(folder), PAGED_CSS)
    lines = [line for part in layout.parts for line in _line_texts(part.live.document)]
    assert sum("tance." in line for line in lines) == 40  # "dis-" may end the line before
    calls_first = [line for line in lines if " " in line and line.split(" ", 1)[0].isdigit()]
    # (a note's own first line starts "12. Note"; a folio is a number alone)
    assert calls_first == [], calls_first[:3]
