"""The book laid out part by part and put together (octavo/paged/assemble.py), read back:
the fixture book (three chapters with links between them, built once) against a plain
WeasyPrint render of the same HTML as one document, the way the book was made before
it was laid out in parts."""

from __future__ import annotations

import pikepdf
import pypdfium2
import pytest
import weasyprint
from lxml import html as lxml_html

from conftest import FIXTURES, build_fixture
from octavo.manuscript.fetcher import MANUSCRIPT_URL, SafeFetcher
from octavo.options import STYLES
from octavo.paged.document import XREF_SCHEME, paged_document, paged_parts
from octavo.paged.render import PAGED_CSS, load_styles
from octavo.pdfread.text import page_texts


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return build_fixture("book", tmp_path_factory.mktemp("parts"))


@pytest.fixture(scope="module")
def pdf(book):
    with pikepdf.open(book.outputs["pdf"]) as opened:
        yield opened


@pytest.fixture(scope="module")
def single(book, tmp_path_factory):
    """The same book as one WeasyPrint document (its folios drawn by WeasyPrint)."""
    styles = load_styles(PAGED_CSS, STYLES)
    fetcher = SafeFetcher([book.book.folder, STYLES], aliases={MANUSCRIPT_URL: book.book.folder})
    html = lxml_html.tostring(paged_document(book.book), encoding="unicode",
                              doctype="<!DOCTYPE html>")
    target = tmp_path_factory.mktemp("single") / "single.pdf"
    weasyprint.HTML(string=html, base_url=MANUSCRIPT_URL, url_fetcher=fetcher).write_pdf(
        target, stylesheets=styles.css, color_profiles=styles.color_profiles)
    return target


def _characters(path, page: int, below: float) -> list[tuple[str, tuple]]:
    """(character, box) of every character of a page lower than `below` points."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        text = document[page - 1].get_textpage()
        found = []
        for index in range(text.count_chars()):
            box = text.get_charbox(index)
            character = text.get_text_range(index, 1)
            if box[3] < below and character.strip():
                found.append((character, tuple(round(value, 2) for value in box)))
        return found
    finally:
        document.close()


def test_each_chapter_is_a_part_starting_on_a_right_hand_page(book):
    layout = book.layout
    assert [part.name for part in layout.parts] == ["cover", "colophon", "title", "contents",
                                                    "ch1", "ch2", "ch3", "ch3-2", "back-cover"]
    for index, part in enumerate(layout.parts):
        first = layout.first_pages[index]
        assert first % 2 == (1 if part.side == "right" else 0), part.name
    assert layout.page_count == layout.first_pages[-1]  # the back cover is the last page


def test_a_blank_page_shows_nothing(book, pdf):
    assert book.layout.blanks  # the back cover is a left-hand page: a blank before it
    texts = page_texts(book.outputs["pdf"], body_only=False)
    for page in book.layout.blanks:
        assert texts[page - 1].strip() == ""
        assert "/Contents" not in pdf.pages[page - 1].obj
        box = [float(value) for value in pdf.pages[page - 1].obj.MediaBox]
        after = [float(value) for value in pdf.pages[page].obj.MediaBox]
        assert box == after


def test_folios_are_set_as_weasyprint_sets_them(book, single):
    """Each folio: the book's page label (roman in the front matter, arabic from the first
    chapter), in WeasyPrint's place and font, as the single document has it (its pages
    are the same here)."""
    labels = book.layout.pages.labels
    numbered = [index + 1 for index, _, _ in book.layout.folios]
    assert numbered and labels[numbered[0] - 1] == "v" and "1" in labels
    for page in numbered:
        ours = _characters(book.outputs["pdf"], page, 70)
        theirs = _characters(single, page, 70)
        assert "".join(c for c, _ in ours) == labels[page - 1]
        assert [c for c, _ in ours] == [c for c, _ in theirs], page
        assert all(abs(a - b) <= 0.02 for (_, mine), (_, its) in zip(ours, theirs)
                   for a, b in zip(mine, its)), (page, ours, theirs)  # (pdfium rounds)


def test_the_folio_is_renumbered_not_laid_out_again(book):
    """The parts are numbered from 1 by WeasyPrint; the book's numbers are drawn."""
    last = book.layout.parts[-2]  # ch3-2, which WeasyPrint numbered 1
    first = book.layout.first_pages[-2]
    assert first > 2
    texts = page_texts(book.outputs["pdf"], body_only=False)
    for offset in range(last.pages):
        label = book.layout.pages.labels[first - 1 + offset]
        assert label != "1" and texts[first - 1 + offset].split()[-1] == label


def test_the_folio_font_is_the_same_at_any_time(monkeypatch):
    """fontTools stamps a font it saves with the time (without SOURCE_DATE_EPOCH):
    the folio's font must not carry it, or two builds a second apart differ."""
    from fontTools.ttLib.tables import _h_e_a_d
    from octavo.fonts import BODY_FAMILY, font_files
    from octavo.paged.folios import _subset
    font = font_files(BODY_FAMILY)[0].read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    made = []
    for now in (1_000_000, 2_000_000):
        monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda now=now: now)
        made.append(_subset.__wrapped__(font, "0123456789"))
    assert made[0] == made[1]


def test_links_between_chapters_lead_to_their_targets(book, pdf):
    """WeasyPrint drops a link to another document: it was written to an address and
    made a link to the named destination again."""
    names = pdf.Root.Names.Dests.Names
    dests = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
    page_of = {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}
    layout = book.layout
    part_of = {page: part.name for index, part in enumerate(layout.parts)
               for page in layout.pages_of(index)}
    across = 0
    for number, page in enumerate(pdf.pages, 1):
        for annotation in page.obj.get("/Annots", []):
            assert "/A" not in annotation or not str(annotation.A.get("/URI", "")).startswith(
                XREF_SCHEME)
            target = page_of[dests[str(annotation.Dest)][0].objgen]
            across += part_of[target] != part_of[number]
    assert across >= 4  # ch1 → ch2, ch2 → ch1 (two lines), ch3 → ch2


def test_one_structure_tree_for_the_book(pdf):
    root = pdf.Root.StructTreeRoot
    assert len(root.K) == 1 and root.K[0].S == "/Document"
    document = root.K[0]
    assert all(kid.P.objgen == document.objgen for kid in document.K)
    nums = root.ParentTree.Nums
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) == keys[-1] + 1
    used = []
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            used.append(int(page.obj.StructParents))
        used += [int(a.StructParent) for a in page.obj.get("/Annots", []) if "/StructParent" in a]
    assert sorted(used) == keys
    paragraphs = sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)
                     and obj.get("/S") == "/P")
    assert paragraphs > 20


def test_one_font_program_per_face(pdf):
    programs: dict[str, set] = {}
    for page in pdf.pages:
        for font in page.obj.Resources.get("/Font", {}).values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            programs.setdefault(str(font.BaseFont), set()).add(
                descriptor.FontFile2.objgen)
    assert programs and all(len(found) == 1 for found in programs.values()), programs


def test_running_heads_do_not_run_into_the_next_chapter(book):
    """The book's title heads the left-hand pages in every chapter (the opening that sets
    it is in the first chapter only); a chapter's first page has no running head."""
    texts = page_texts(book.outputs["pdf"], body_only=False)
    title = book.book.display.running_head
    lefts = 0
    for index, part in enumerate(book.layout.parts):
        if not part.name.startswith("ch"):
            continue
        pages = list(book.layout.pages_of(index))
        assert texts[pages[0] - 1].splitlines()[-2] != title, part.name
        for page in pages[1:]:
            if page % 2 == 0:
                assert texts[page - 1].splitlines()[-2] == title, (part.name, page)
                lefts += 1
    assert lefts == 2


def test_parts_are_the_single_documents_cut_apart(book):
    parts = paged_parts(book.book)
    assert [part.name for part in parts] == [part.name for part in book.layout.parts]
    assert all(part.html.startswith("<!DOCTYPE html>") for part in parts)
    assert sum(XREF_SCHEME in part.html for part in parts) >= 3
    assert FIXTURES.exists()


def test_a_part_is_the_same_whatever_was_laid_out_before_it(book, tmp_path):
    """A worker lays out many parts: a part's PDF must not depend on which (its colour
    profile once did: LittleCMS serialised it anew after the first write)."""
    from octavo.paged.part import lay_out_part
    from octavo.paged.render import shared_styles
    from octavo.paged.write import pdf_identity
    parts = {part.name: part for part in paged_parts(book.book)}
    styles, identity = shared_styles(PAGED_CSS, STYLES), pdf_identity(book.book)
    first = lay_out_part(parts["ch2"], styles, book.book.folder, identity, tmp_path / "a.pdf")
    lay_out_part(parts["ch1"], styles, book.book.folder, identity, tmp_path / "b.pdf")
    again = lay_out_part(parts["ch2"], styles, book.book.folder, identity, tmp_path / "c.pdf")
    assert first.to_json() | {"pdf": None} == again.to_json() | {"pdf": None}
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "c.pdf").read_bytes()
