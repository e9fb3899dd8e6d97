"""Each build check, triggered by a manuscript or an output broken in one way."""

from __future__ import annotations

import copy
import os
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from lxml import html as lxml_html
from PIL import Image

from conftest import FIXTURES, ROOT
from octavo.booklet.impose import impose_booklet
from octavo.checks import CheckContext
from octavo.checks.booklet_checks import booklet_is_imposed_right, expected_sides
from octavo.checks.booklet_read import sides_by_structure
from octavo.checks.layout_checks import (figures_keep_their_captions, no_widows_or_orphans,
                                         pages_are_full)
from octavo.checks.manuscript_lint import MANUSCRIPT_CHECKS
from octavo.checks.pdf_checks import PDF_CHECKS, print_pdf_is_pdfx4
from octavo.checks.text import epub_text_is_complete, text_is_complete
from octavo.errors import OctavoError
from octavo.manuscript.load import load_book
from octavo.options import STYLES
from octavo.paged.pagination import lay_out_book
from octavo.paged.render import PAGED_CSS
from octavo.paged.assemble import write_print_pdf, write_screen_pdf
from octavo.pdfread.text import TRAILING_MARKERS, page_texts

PARAGRAPH = ("The harbour wakes before the town does, and the first boats leave while the "
             "lamps on the quay are still lit against the grey water of the bay. ")


def sentences(first: int, count: int) -> str:
    """A paragraph of `count` distinct sentences, numbered from `first`."""
    return " ".join(f"On morning {n} the harbour wakes before the town, and boat {n} leaves "
                    "while the lamps on the quay are still lit against the water."
                    for n in range(first, first + count))

METADATA = """title = "A Check Fixture"
language = "en"
identifier = "urn:uuid:11111111-2222-5333-8444-555555555555"
date = "2024"
slug = "fixture"
description = "A manuscript broken in one way."
subjects = ["Testing"]
chapters = ["text.md"]
"""


def manuscript(folder: Path, text: str, images: dict[str, tuple[int, int]] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.toml").write_text(METADATA, encoding="utf-8")
    (folder / "text.md").write_text(text, encoding="utf-8")
    (folder / "images").mkdir(exist_ok=True)
    for name, size in dict(images).items():
        Image.new("RGB", size, (150, 170, 190)).save(folder / "images" / name, quality=90)
    return folder


def codes(findings) -> set[str]:
    return {finding.code for finding in findings}


def lint(folder: Path):
    book = load_book(folder)
    context = CheckContext(book)
    return [f for check in MANUSCRIPT_CHECKS for f in check(context)]


def figure(src: str, alt: str = "A grey plate.", caption: str = "A caption.") -> str:
    return f"::: figure\n![{alt}]({src})\n{caption}\n:::\n"


# ---------- manuscript ----------

def test_missing_image_is_ms001():
    with pytest.raises(OctavoError) as caught:
        load_book(FIXTURES / "missing-image")
    assert caught.value.code == "MS-001"


def test_alt_text_and_caption_are_required(tmp_path):
    folder = manuscript(tmp_path / "m", PARAGRAPH + "\n\n" + figure("images/a.jpg", alt="")
                        + "\n" + figure("images/a.jpg", caption="") + "\n" + PARAGRAPH,
                        {"a.jpg": (1600, 1000)})
    findings = lint(folder)
    assert {"MS-002", "MS-003"} <= codes(findings)
    alt = next(f for f in findings if f.code == "MS-002")
    assert alt.where == "text.md:4" and alt.severity == "error"


def test_broken_link_and_undefined_note_are_ms004(tmp_path):
    folder = manuscript(tmp_path / "m", "See [the end](#nowhere) of it.\n\n"
                        "A claim that needs a source.[^missing]\n")
    findings = [f for f in lint(folder) if f.code == "MS-004"]
    assert len(findings) == 2
    assert {f.where for f in findings} == {"text.md:1", "text.md:3"}


def test_heading_jump_is_ms005(tmp_path):
    folder = manuscript(tmp_path / "m", "## Part\n\nText.\n\n#### Too deep\n\nMore text.\n")
    findings = [f for f in lint(folder) if f.code == "MS-005"]
    assert len(findings) == 1 and findings[0].where == "text.md:5"


def test_straight_quotes_left_are_ms006(tmp_path):
    folder = manuscript(tmp_path / "m", "He said &quot;no&quot; twice.\n\nA range 1\\-\\-2 here.\n")
    findings = [f for f in lint(folder) if f.code == "MS-006"]
    assert findings and {f.where for f in findings} == {"text.md:1", "text.md:3"}


def test_character_without_glyph_is_ms007_and_pdf002(tmp_path):
    """MS-007 names a character no installed font draws (a private-use one, U+F0000), and
    only that one: the star, Greek, Arabic and CJK are drawn by the font stack. The PDF
    then holds the box (PDF-002), and no text in a font outside the design (PDF-003)."""
    folder = manuscript(tmp_path / "m", "A private sign \U000f0000 and a star \u2605 here.\n\n"
                        "Καλημέρα, \u0645\u0631\u062d\u0628\u0627, \u4e2d\u6587 and \u2208.\n")
    findings = [f for f in lint(folder) if f.code == "MS-007"]
    assert [(f.where, "U+F0000" in f.message) for f in findings] == [("text.md:1", True)]
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    write_screen_pdf(layout, book, tmp_path / "x.pdf")
    context = CheckContext(book, layout, {"pdf": tmp_path / "x.pdf"})
    pdf_findings = [f for check in PDF_CHECKS for f in check(context)]
    assert "PDF-002" in codes(pdf_findings)
    assert "PDF-003" not in codes(pdf_findings), pdf_findings


def test_real_manuscript_reports_every_placeholder(real_build):
    placeholders = [f for f in real_build.findings if f.code == "MS-008"]
    assert sorted(f.message.split(", ")[-1].split(":")[0] for f in placeholders) == \
        sorted(fig.src for fig in real_build.book.figures)
    others = [f for f in real_build.findings
              if f.code != "MS-008" and f.severity in ("error", "warning")]
    assert others == []


# ---------- outputs of one small book, broken afterwards ----------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small book with figures, built once: screen, print, booklet."""
    folder = manuscript(tmp_path_factory.mktemp("small") / "m",
                        "\n\n".join([sentences(1, 4), figure("images/low.jpg", caption="Low."),
                                     sentences(10, 5), sentences(20, 3), "## A section",
                                     sentences(30, 6), figure("images/big.jpg", caption="Big."),
                                     sentences(40, 3)]),
                        {"low.jpg": (320, 200), "big.jpg": (2400, 1600)})
    out = folder.parent / "out"
    out.mkdir()
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    outputs = {"pdf": out / "s.pdf", "print-pdf": out / "p.pdf", "booklet": out / "b.pdf"}
    write_screen_pdf(layout, book, outputs["pdf"])
    write_print_pdf(layout, book, outputs["print-pdf"])
    impose_booklet(outputs["print-pdf"], outputs["booklet"])
    return book, layout, outputs


def run(checks, book, layout, outputs):
    context = CheckContext(book, layout, outputs)
    return [f for check in checks for f in check(context)]


def test_small_book_is_clean(small):
    book, layout, outputs = small
    findings = run(PDF_CHECKS + [text_is_complete, booklet_is_imposed_right,
                                 pages_are_full, figures_keep_their_captions], *small)
    assert codes(findings) == {"IMG-001"}  # the deliberately small image, nothing else


def test_low_resolution_image_is_named(small):
    findings = [f for f in run(PDF_CHECKS, *small) if f.code == "IMG-001"]
    assert len(findings) == 1
    assert "figure 1 (images/low.jpg)" in findings[0].message and findings[0].where == "text.md:4"


def tampered(path: Path, into: Path, change) -> Path:
    target = into / f"broken-{path.name}"
    with pikepdf.open(path) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def test_broken_pdfs_are_found(small, tmp_path):
    book, layout, outputs = small

    def unembed(pdf):
        for page in pdf.pages:
            for _, font in page.obj.Resources.Font.items():
                descriptor = font.DescendantFonts[0].FontDescriptor
                for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                    if key in descriptor:
                        del descriptor[key]

    def untag(pdf):
        del pdf.Root["/StructTreeRoot"]
        del pdf.Root["/Lang"]

    def no_outline(pdf):
        del pdf.Root["/Outlines"]

    def no_title(pdf):
        del pdf.docinfo["/Title"]

    def wrong_box(pdf):
        pdf.pages[1].obj.MediaBox = [0, 0, 400, 600]

    def dangling_link(pdf):
        link = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[50, 50, 100, 70],
            Dest=pikepdf.String("nowhere")))
        pdf.pages[2].obj.Annots = pdf.make_indirect(pikepdf.Array([link]))

    expected = {"PDF-001": unembed, "PDF-004": untag, "PDF-005": no_outline,
                "PDF-007": no_title, "PDF-008": wrong_box, "PDF-006": dangling_link}
    for code, change in expected.items():
        broken = tampered(outputs["pdf"], tmp_path, change)
        found = run(PDF_CHECKS, book, layout, {"pdf": broken})
        assert code in codes(found), (code, found)


def test_print_pdf_without_its_pdfx4_marks_is_pdf011(small, tmp_path):
    book, layout, outputs = small
    assert run([print_pdf_is_pdfx4], book, layout, outputs) == []

    def no_intent(pdf):
        del pdf.Root.OutputIntents

    def untrapped(pdf):
        del pdf.docinfo["/Trapped"]

    def plain_xmp(pdf):
        pdf.Root.Metadata = pdf.make_stream(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")

    for change in (no_intent, untrapped, plain_xmp):
        broken = tampered(outputs["print-pdf"], tmp_path, change)
        found = run([print_pdf_is_pdfx4], book, layout, {"print-pdf": broken})
        assert [f.code for f in found] == ["PDF-011"], (change.__name__, found)


def test_paragraph_deleted_from_pdf_is_txt001(small, tmp_path):
    book, _, _ = small
    shorter = copy.deepcopy(book)
    victim = shorter.chapters[0].body.findall("p")[2]  # "On morning 20 …", line 11
    victim.getparent().remove(victim)
    layout = lay_out_book(shorter, PAGED_CSS)
    write_screen_pdf(layout, shorter, tmp_path / "short.pdf")
    findings = run([text_is_complete], book, layout, {"pdf": tmp_path / "short.pdf"})
    missing = [f for f in findings if f.code == "TXT-001"]
    assert len(missing) == 3 and all(f.where == "text.md:11" for f in missing)
    assert "On morning 20" in missing[0].message


def test_booklet_in_wrong_order_is_prn002(small, tmp_path):
    book, layout, outputs = small

    def swap(pdf):
        pdf.pages[1].obj.Contents, pdf.pages[2].obj.Contents = \
            pdf.pages[2].obj.Contents, pdf.pages[1].obj.Contents

    broken = tampered(outputs["booklet"], tmp_path, swap)
    findings = run([booklet_is_imposed_right], book, layout,
                   {"booklet": broken, "print-pdf": outputs["print-pdf"]})
    assert "PRN-002" in codes(findings)

    def drop_side(pdf):
        del pdf.pages[-1]

    short = tampered(outputs["booklet"], tmp_path, drop_side)
    assert "PRN-001" in codes(run([booklet_is_imposed_right], book, layout,
                                  {"booklet": short, "print-pdf": outputs["print-pdf"]}))
    # Blanks at the end instead of before the back cover: from a page count that needs them.
    uneven = tampered(outputs["print-pdf"], tmp_path,
                      lambda pdf: None if len(pdf.pages) % 4 else pdf.pages.remove(p=len(pdf.pages) - 1))
    impose_booklet(uneven, tmp_path / "end.pdf", back_cover=False)
    found = run([booklet_is_imposed_right], book, layout,
                {"booklet": tmp_path / "end.pdf", "print-pdf": uneven})
    assert "PRN-003" in codes(found)


def test_booklet_is_read_from_its_structure_until_it_is_changed(small, tmp_path):
    """The check reads which page each half shows from the booklet's forms (byte for
    byte a source page); a form changed, or a page moved across the fold, no longer
    reads as the right page, and the text read back then finds the fault."""
    book, layout, outputs = small
    booklet, source = outputs["booklet"], outputs["print-pdf"]
    with pikepdf.open(source) as pdf:
        wanted = expected_sides(len(pdf.pages))
    sides = sides_by_structure(booklet, source)
    assert sides is not None and len(sides) == len(wanted)
    assert [tuple(next(iter(shown)) if shown else None for shown in side.halves)
            for side in sides] == wanted
    assert run([booklet_is_imposed_right], book, layout,
               {"booklet": booklet, "print-pdf": source}) == []

    def other_page_in_a_form(pdf):  # side 1's right half (page 1) gets page 2's content
        forms = pdf.pages[0].Resources.XObject
        forms["/P1"].write(pdf.pages[1].Resources.XObject["/P2"].read_bytes())

    def across_the_fold(pdf):  # side 2's page 2 moved half a sheet to the right
        side = pdf.pages[1]
        side.Contents.write(side.Contents.read_bytes().replace(b" cm /P2", b" cm 1 0 0 1 "
                                                               b"420.9449 0 cm /P2"))
    for change, at in ((other_page_in_a_form, "side 1"), (across_the_fold, "side 2")):
        broken = tampered(booklet, tmp_path, change)
        assert sides_by_structure(broken, source) != sides
        found = run([booklet_is_imposed_right], book, layout,
                    {"booklet": broken, "print-pdf": source})
        assert any(f.code == "PRN-002" and f.where.endswith(at) for f in found), change
        assert {f.code for f in found} <= {"PRN-002", "PRN-003"}


# ---------- layout, with styles changed to provoke each fault ----------

def styles_with(tmp_path: Path, extra_css: str) -> Path:
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    with (styles / "base.css").open("a", encoding="utf-8") as css:
        css.write("\n" + extra_css + "\n")
    return styles


def test_widows_orphans_and_split_figures_are_found(tmp_path):
    folder = manuscript(tmp_path / "m", "\n\n".join(
        [PARAGRAPH * 9] + [PARAGRAPH * 2] * 6 + [figure("images/tall.jpg")] + [PARAGRAPH * 3]),
        {"tall.jpg": (1000, 2000)})
    book = load_book(folder)
    styles = styles_with(tmp_path, "p, li { orphans: 1; widows: 1; } "
                         "figure { break-inside: auto; page-break-inside: auto; } "
                         "figure img { max-height: none; } figcaption { break-before: auto; }")
    layout = lay_out_book(book, PAGED_CSS, styles_dir=styles)
    context = CheckContext(book, layout, {})
    found = codes(no_widows_or_orphans(context) + figures_keep_their_captions(context))
    assert "LAY-003" in found
    assert "LAY-002" in found


def test_hole_before_a_figure_that_cannot_move_is_lay001(tmp_path):
    """A rule before the figure and a heading after it: it cannot move either way."""
    folder = manuscript(tmp_path / "m", "\n\n".join(
        [PARAGRAPH * 22, "---", figure("images/tall.jpg"), "## Next section",
         PARAGRAPH * 12]),
        {"tall.jpg": (1200, 1800)})
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    findings = pages_are_full(CheckContext(book, layout, {"pdf": Path("x.pdf")}))
    assert [f.code for f in findings] == ["LAY-001"]


def test_a_page_full_of_notes_is_full_not_a_hole(tmp_path):
    """A note every ~45 words: the notes take over a third of each page. LAY-001 counts the
    footnote area as filled (it reported such pages as holes), and the fill is what the
    page really holds: its last line and its notes reach the foot of the page."""
    blocks = []
    notes = []
    for paragraph in range(60):
        first = 10 * paragraph
        blocks.append(f"{sentences(first, 1)}[^n{first}] {sentences(first + 1, 1)}")
        notes.append(f"[^n{first}]: {sentences(first + 5000, 1)} {sentences(first + 7000, 1)}")
    folder = manuscript(tmp_path / "m", "\n\n".join(blocks + notes) + "\n")
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    # notes on more than a third of the text block: the text alone fills less than 70 %
    with_notes = [fill for fill in layout.fills if fill.is_text and fill.notes_mm > 169 / 3]
    assert len(with_notes) >= 5
    last = [fill for fill in layout.fills if fill.is_text][-1]
    assert all(fill.fill > 0.9 for fill in with_notes if fill.page != last.page)
    assert pages_are_full(CheckContext(book, layout, {"pdf": Path("x.pdf")})) == []


def test_pages_with_notes_are_predicted_as_weasyprint_lays_them_out(tmp_path):
    """Figure placement guesses pages without laying them out (paged/flow.py): with a
    note every ~45 words, notes that do not fit at a page's foot go to the next one
    (and those after them), the area stops at its max-height, and a line is fitted by
    sending notes on. The guess from the measured blocks breaks every page where
    WeasyPrint did, each as full."""
    import weasyprint
    from lxml import html as lxml_html
    from octavo.manuscript.fetcher import MANUSCRIPT_URL, SafeFetcher
    from octavo.paged import flow as flow_model
    from octavo.paged.document import paged_parts
    from octavo.paged.layout_map import page_fill
    from octavo.paged.placement import arrange, children_of
    from octavo.paged.render import load_styles
    blocks, notes = [], []
    for paragraph in range(70):
        first = 10 * paragraph
        length = 1 + paragraph % 4
        blocks.append(f"{sentences(first, 1)}[^n{first}] {sentences(first + 1, length)}")
        notes.append(f"[^n{first}]: {sentences(first + 5000, 1 + (paragraph * 7) % 4)}")
    folder = manuscript(tmp_path / "m", "\n\n".join(blocks + notes) + "\n")
    book = load_book(folder)
    styles = load_styles(PAGED_CSS, STYLES)
    part = next(part for part in paged_parts(book) if part.chapter)
    fetcher = SafeFetcher([folder, STYLES], aliases={MANUSCRIPT_URL: folder})
    document = weasyprint.HTML(string=part.html, base_url=MANUSCRIPT_URL,
                               url_fetcher=fetcher).render(
        stylesheets=styles.css, color_profiles=styles.color_profiles)
    children = children_of(lxml_html.document_fromstring(part.html)
                           .get_element_by_id(part.chapter))
    measured = flow_model.measure(document, part.chapter, arrange(children, {}))
    guessed, _ = flow_model.paginate(measured, flow_model.items(measured, measured.blocks, {}))
    fills = page_fill(document)
    assert any(piece.carried for block in measured.blocks for piece in block.slices)
    assert [page.last_key for page in guessed] == [fill.last_key for fill in fills]
    assert all(abs(page.fill - fill.fill) < 0.02 for page, fill in zip(guessed, fills))


def test_renderer_warnings_and_refusals_are_findings(tmp_path):
    folder = manuscript(tmp_path / "m", PARAGRAPH)
    styles = styles_with(tmp_path, "p { text-wobble: 3; } "
                         "body { background: url(https://example.invalid/x.png); }")
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS, styles_dir=styles)
    found = run(PDF_CHECKS, book, layout, {})
    assert {"PDF-009", "PDF-010"} <= codes(found)


# ---------- EPUB text, tampered ----------

def rewritten_epub(epub, target, change):
    """A copy of `epub` with each member's bytes passed through `change(name, data)`
    (None leaves the member out)."""
    with zipfile.ZipFile(epub) as source, zipfile.ZipFile(target, "w") as copy_:
        for item in source.infolist():
            data = change(item.filename, source.read(item.filename))
            if data is not None:
                copy_.writestr(item, data)
    return target


def test_epub_paragraph_duplicated_or_moved(real_build, tmp_path):
    def shuffle(name, data):
        if not name.endswith("ch1.xhtml"):
            return data
        root = etree.fromstring(data)
        paragraphs = root.findall(".//{http://www.w3.org/1999/xhtml}p")
        first, second = paragraphs[1], paragraphs[4]
        first.addprevious(copy.deepcopy(paragraphs[6]))  # duplicated
        second.getparent().remove(second)
        paragraphs[0].addprevious(second)  # moved to the front
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    broken = rewritten_epub(real_build.outputs["epub"], tmp_path / "broken.epub", shuffle)
    findings = run([epub_text_is_complete], real_build.book, None, {"epub": broken})
    assert {"TXT-002", "TXT-003"} <= codes(findings)
    assert all(f.where.startswith("article.md:") for f in findings)


def test_validators_map_every_message_to_a_finding(real_build, tmp_path):
    """A broken EPUB: an image without alt (Ace) and a missing manifest file (epubcheck)."""
    from octavo.checks.registry import start_validators
    from octavo.checks.validators import ace_command
    if ace_command() is None and not os.environ.get("CI"):
        pytest.skip("Ace is not installed here (make installs it)")

    def break_it(name, data):
        if name.endswith("images/09-ankara-embassy-building.jpg"):
            return None  # a file the manifest names, gone
        return data.replace(b'alt="', b'data-alt="', 1) if name.endswith("ch1.xhtml") else data

    broken = rewritten_epub(real_build.outputs["epub"], tmp_path / "broken.epub", break_it)
    findings = start_validators(CheckContext(real_build.book, None, {"epub": broken})).result()
    assert "EPUB-001" in codes(findings)  # epubcheck: the missing file (RSC-001)
    assert "EPUB-002" in codes(findings)  # Ace: the image without alt text
    assert any("RSC-001" in f.message for f in findings)


def test_notes_at_the_foot_of_pages_do_not_break_sentences(tmp_path):
    """Two chapters full of notes: sentences run on across pages whose feet hold notes,
    and note numbers restart with each chapter, as in the manuscript and the EPUB."""
    folder = tmp_path / "m"
    folder.mkdir()
    chapters = []
    for number in (1, 2):
        blocks = [f"# Chapter {number}"]
        for paragraph in range(9):
            first = 100 * number + 10 * paragraph
            blocks.append(sentences(first, 5) + f"[^n{paragraph}] " + sentences(first + 5, 4))
        blocks += [f"[^n{p}]: The note for paragraph {p} of chapter {number}, "
                   "which sits at the foot of its page in both PDFs." for p in range(9)]
        (folder / f"{number}.md").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        chapters.append(f"{number}.md")
    (folder / "metadata.toml").write_text(METADATA.replace('["text.md"]', str(chapters))
                                          .replace("'", '"'), encoding="utf-8")
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    write_screen_pdf(layout, book, tmp_path / "notes.pdf")
    assert layout.page_count >= 8
    findings = run([text_is_complete], book, layout, {"pdf": tmp_path / "notes.pdf"})
    assert findings == []


def test_every_finding_code_is_documented():
    import re
    source = "\n".join(path.read_text(encoding="utf-8")
                       for path in (ROOT / "octavo").rglob("*.py"))
    used = set(re.findall(r"\"((?:MS|PDF|IMG|TXT|LAY|PRN|EPUB|AUTO|DES)-\d{3})\"", source))
    documented = set(re.findall(r"^\| ((?:MS|PDF|IMG|TXT|LAY|PRN|EPUB|AUTO|DES)-\d{3}) \|",
                                (ROOT / "docs" / "checks.md").read_text(encoding="utf-8"),
                                re.MULTILINE))
    assert len(used) >= 30 and used <= documented, sorted(used - documented)


def test_list_markers_inside_a_sentence_across_pages_are_no_missing_text(tmp_path):
    """WeasyPrint draws a list's outside markers after the page's flow: they end the
    page's text, inside the sentence that runs on to the next page. That sentence is
    there (no TXT-001); a sentence really lost is still found missing."""
    folder = manuscript(tmp_path / "m", "1. The first item\n2. The second item\n\n"
                        + "\n\n".join(sentences(n, 6) for n in range(1, 60, 6)) + "\n")
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    write_screen_pdf(layout, book, tmp_path / "x.pdf")
    texts = page_texts(tmp_path / "x.pdf")
    assert any(TRAILING_MARKERS.search(text) for text in texts), texts  # the case
    context = CheckContext(book, layout, {"pdf": tmp_path / "x.pdf"})
    assert [f for f in text_is_complete(context) if f.code.startswith("TXT")] == []
    lost = copy.deepcopy(book)
    lost.chapters[0].body.append(lxml_html.fragment_fromstring(
        "<p>A sentence that the layout never saw goes missing from the page.</p>"))
    context = CheckContext(lost, layout, {"pdf": tmp_path / "x.pdf"})
    assert "TXT-001" in {f.code for f in text_is_complete(context)}


def test_a_heading_with_a_web_link_keeps_its_text_as_its_bookmark(tmp_path):
    """The address printed after a web link (for paper) is not put in a heading: it
    would be in the bookmark and the running head too, and PDF-005 found no bookmark
    for the heading (the fuzz found it). A link in the text still shows its address."""
    folder = manuscript(tmp_path / "m", "# A Book\n\n## Notes on [the harbour](https://example.org/h)"
                        "\n\nSee [the map](https://example.org/map) for the quay.\n")
    book = load_book(folder)
    layout = lay_out_book(book, PAGED_CSS)
    write_screen_pdf(layout, book, tmp_path / "x.pdf")
    with pikepdf.open(tmp_path / "x.pdf") as pdf, pdf.open_outline() as outline:
        titles = [item.title for top in outline.root for item in [top, *top.children]]
    assert "Notes on the harbour" in titles
    text = " ".join(page_texts(tmp_path / "x.pdf"))
    assert "the map (example.org/map)" in text and "(example.org/h)" not in text
    context = CheckContext(book, layout, {"pdf": tmp_path / "x.pdf"})
    assert [f for check in PDF_CHECKS for f in check(context) if f.code == "PDF-005"] == []
    assert [f for f in text_is_complete(context) if f.code.startswith("TXT")] == []
