"""Book structure, read back from the built PDFs and EPUB of tests/fixtures/structure: a
book with front matter, two parts, three chapters and an appendix, numbered figures,
tables, an equation and a listing, cross-references with pages, citations from BibTeX
and an index with sub-entries, "see" and "see also".

The fixture is built once; the tests read the screen PDF (its text, its folios, its link
annotations and named destinations) and the EPUB, and compare them with each other and
with what the manuscript says, never with the layout's own idea of them."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from conftest import FIXTURES
from octavo.build import BuildOptions, build
from octavo.checks.validators import ace_command, run_ace, run_epubcheck
from octavo.pdfread.text import MM, TEXT_BOTTOM_MM, normalise, read_pages

FIXTURE = FIXTURES / "structure"
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NBSP = "\u00a0"
ROMAN = re.compile(r"^[ivxlcdm]+$")
# The two entries of the citations prototype's report (Chicago author-date, 17th ed.),
# the same strings citeproc-js (Zotero's processor) gives.
SMITH = ("Smith, John. 2020. <i>The Art of Publishing</i>. Chicago: University of Chicago "
         "Press.")
DOE = ("Doe, Jane, Richard Roe, and Jörg Müller. 2019. “A Study of DNA Replication in "
       "E. coli.” <i>Journal of Molecular Biology</i> 42 (3): 123–45. "
       '<a href="https://doi.org/10.1000/jmb.2019.42">https://doi.org/10.1000/jmb.2019.42</a>.')


def plain(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text)


def letters(text: str) -> str:
    """Letters and digits only, lower case: hyphenation, spacing and quotes drop out."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


class Pdf:
    """A built PDF as a reader sees it: each page's text, its folio, links, destinations."""

    def __init__(self, path: Path):
        self.path = path
        self.bodies, self.wholes = read_pages(path)
        self.folios = []
        document = pypdfium2.PdfDocument(str(path))
        try:
            for page in document:
                left, bottom, right, top = page.get_trimbox()
                text_page = page.get_textpage()
                self.folios.append(text_page.get_text_bounded(
                    left, bottom, right, bottom + TEXT_BOTTOM_MM * MM).strip())
                text_page.close()
                page.close()
        finally:
            document.close()
        with pikepdf.open(path) as pdf:
            numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
            names = pikepdf.NameTree(pdf.Root.Names.Dests)
            self.dests = {str(name): numbers[dest[0].objgen] for name, dest in names.items()}
            self.links = []  # (page index, destination name, rect)
            for index, page in enumerate(pdf.pages):
                for annotation in page.get("/Annots", []):
                    if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                        self.links.append((index, str(annotation.Dest),
                                           [float(v) for v in annotation.Rect]))

    def text_in(self, index: int, rect) -> str:
        document = pypdfium2.PdfDocument(str(self.path))
        try:
            page = document[index]
            text_page = page.get_textpage()
            try:
                return text_page.get_text_bounded(*rect)
            finally:
                text_page.close()
                page.close()
        finally:
            document.close()

    def page_labelled(self, label: str) -> int:
        """The index of the page whose printed folio is `label`."""
        found = [index for index, folio in enumerate(self.folios) if folio == label]
        assert len(found) == 1, (label, self.folios)
        return found[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1500000000")
    return build(BuildOptions(manuscript=FIXTURE, out=tmp_path_factory.mktemp("structure"),
                              quiet=True))


@pytest.fixture(scope="module")
def pdf(built):
    return Pdf(built.outputs["pdf"])


@pytest.fixture(scope="module")
def epub(built):
    with zipfile.ZipFile(built.outputs["epub"]) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def epub_doc(epub, name: str):
    return etree.fromstring(epub[f"EPUB/{name}"])


def test_the_build_reports_no_error_and_notes_the_uncited_entries(built):
    errors = [f for f in built.findings if f.severity == "error"]
    assert errors == []
    unused = sorted(f.message for f in built.findings if f.code == "REF-001")
    assert "entry 'unused2000' is never cited" in unused
    assert all(f.where.startswith("refs.bib:") for f in built.findings if f.code == "REF-001")


# ---------- folios and the contents page ----------

def test_front_matter_is_roman_and_the_text_arabic_from_one(built, pdf):
    start = pdf.dests[built.book.structure.body_start]
    printed = [(index, folio) for index, folio in enumerate(pdf.folios) if folio]
    front = [(index, folio) for index, folio in printed if index < start]
    body = [(index, folio) for index, folio in printed if index >= start]
    assert front and body
    for index, folio in front:
        assert ROMAN.match(folio), (index, folio)
        assert folio == built.layout.pages.labels[index]
    for index, folio in body:
        assert folio == str(index - start + 1), (index, folio)
    assert pdf.folios[start] == ""  # the part's title page opens the text, without folio
    assert pdf.folios[start + 2] == "3" and pdf.bodies[start + 2].startswith(
        f"Chapter{NBSP}1")


def test_contents_page_numbers_match_the_real_pages(built, pdf):
    contents = pdf.dests["contents"]
    lines = [(dest, pdf.text_in(contents, rect)) for index, dest, rect in pdf.links
             if index == contents]
    seen = {}
    for dest, text in lines:
        seen.setdefault(dest, " ".join(text.split()))
    expected = ["preface", "towers-and-lamps", "sec:building", "sec:lights", "the-service",
                "sec:keepers", "sec:watches", "sec:automation", "sec:signals", "references",
                "index"]
    assert list(seen) == expected
    for dest, text in seen.items():
        printed = text.split()[-1]
        page = pdf.dests[dest]
        title = re.sub(r"[ .]+\S+$", "", text)  # leaders and the number dropped
        assert letters(title.split(" ", 1)[-1]) in letters(pdf.bodies[page]), (dest, text)
        if pdf.folios[page]:  # an opening with its folio printed
            assert printed == pdf.folios[page], (dest, text, pdf.folios[page])
        else:  # a part's title page prints none: count back from the next folio
            later = next(i for i in range(page + 1, len(pdf.folios)) if pdf.folios[i])
            assert printed == str(int(pdf.folios[later]) - (later - page)), (dest, text)
    assert seen["preface"].endswith("vii") and seen["sec:building"].endswith(" 3")
    assert seen["sec:signals"].startswith("A Signal Codes")


def test_contents_is_in_the_epub_nav_not_as_a_page(built, epub):
    assert "EPUB/contents.xhtml" not in epub  # contents_in_epub is false
    nav = epub_doc(epub, "nav.xhtml")
    toc = [" ".join("".join(a.itertext()).split())
           for a in nav.xpath("//x:nav[@epub:type='toc']//x:a", namespaces=NS)]
    assert "Chapter 1: Building on the Rock" in toc and "Appendix A: Signal Codes" in toc
    assert "Part I: Towers and Lamps" in toc and toc[-1] == "Index"
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert "index" in landmarks


def test_epub_page_list_uses_the_pdf_folios(built, pdf, epub):
    nav = epub_doc(epub, "nav.xhtml")
    labels = [a.text for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a",
                                         namespaces=NS)]
    pages = [int(a.get("href").rsplit("page-", 1)[1].split("-")[0])
             for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)]
    for page, label in zip(pages, labels):
        assert label == built.layout.pages.labels[page - 1]
        if pdf.folios[page - 1]:
            assert label == pdf.folios[page - 1]
    assert "v" in labels and "1" in labels and "vii" in labels


def test_chapters_open_on_a_recto(built, pdf):
    for division in built.book.structure.divisions:
        assert pdf.dests[division.id] % 2 == 0, division.title  # index 0 is page 1, a recto
    blanks = [index for index, text in enumerate(pdf.wholes) if not text.strip()]
    assert blanks, "no blank verso was needed"
    assert all(index % 2 == 1 for index in blanks)  # versos
    assert built.booklet.pages_padded % 4 == 0


# ---------- numbering and cross-references ----------

# normalise() makes the no-break spaces plain spaces.
XREF = re.compile(r"(Figure|Table|Listing|Equation|Chapter|Appendix|Part)s? "
                  r"([0-9A-Z]+(?:\.\d+)?)(?: and ([0-9A-Z]+(?:\.\d+)?))? on pages? "
                  r"([0-9ivx]+)(?: and ([0-9ivx]+))?")


def _target_mark(noun: str, number: str) -> str:
    """What the target shows on its own page: a caption, an equation number, a heading."""
    if noun == "Equation":
        return f"({number})"
    if noun in ("Chapter", "Appendix", "Part"):
        return f"{noun}{NBSP}{number}"
    return f"{noun}{NBSP}{number}."


def test_every_cross_reference_names_the_right_number_and_page(built, pdf):
    found = XREF.findall(normalise(" ".join(pdf.bodies)))
    spans = [span for chapter in built.book.chapters for span in chapter.body.iter("span")
             if span.get("data-targets")]
    assert len(found) == len(spans) >= 12
    for noun, first, second, page, other_page in found:
        numbers = [n for n in (first, second) if n]
        pages = [p for p in (page, other_page) if p] * (2 if not other_page else 1)
        for number, label in zip(numbers, pages):
            index = pdf.page_labelled(label)
            assert _target_mark(noun, number) in pdf.bodies[index].replace("\r\n", " "), \
                (noun, number, label)
    # The numbers: each label's target carries the number the references print.
    targets = built.book.structure.targets
    assert targets["fig:tower"].name == f"Figure{NBSP}1.1"
    assert targets["fig:lens"].name == f"Figure{NBSP}2.1"
    assert targets["tbl:codes"].name == f"Table{NBSP}A.1"
    assert targets["eq:horizon"].name == f"Equation{NBSP}2.1"
    assert targets["lst:log"].name == f"Listing{NBSP}1.1"
    assert targets["sec:signals"].name == f"Appendix{NBSP}A"
    assert targets["sec:watches"].name == "\u201cWatches and relief\u201d"


def test_cross_references_link_to_their_targets(built, pdf):
    targets = built.book.structure.targets
    linked = {dest for _, dest, _ in pdf.links if dest in targets}
    assert {"fig:tower", "fig:lens", "tbl:stones", "tbl:codes", "eq:horizon", "lst:log",
            "sec:keepers", "sec:signals"} <= linked
    for dest in linked:
        page = pdf.dests[dest]
        assert targets[dest].noun.strip("\u201c\u201d") in pdf.bodies[page] or \
            targets[dest].name in pdf.bodies[page].replace("\r\n", " ")


def test_several_targets_and_bare_numbers(pdf):
    text = normalise(" ".join(pdf.bodies))
    assert "compared in Table 1.1 on page 3" in text
    # (the pages as laid out: test_every_cross_reference_names_the_right_number_and_page
    # checks each against the page its target is on)
    assert "as Figures 1.1 and 2.1 on pages 4 and 5 make plain" in text
    assert "Figure 1.1 on page 4 and Figure 2.1 on page 5" in text
    assert "are listed in Appendix A on page 13" in text
    assert "(2020, 112)" in text  # [-@smith2020, 112]: no author
    assert "The table numbered A.1 is reprinted" in text  # [-@tbl:codes]: no page


def test_captions_equation_and_listing_are_numbered(pdf, epub):
    text = normalise(" ".join(pdf.bodies))
    for label in ("Figure 1.1.", "Figure 2.1.", "Table 1.1.", "Table 2.1.", "Table A.1.",
                  "Listing 1.1. A day’s line", "(2.1)"):
        assert label in text, label
    chapter = epub_doc(epub, "ch3.xhtml")  # ch1 is the preface, ch2 part I
    caption = chapter.xpath("//x:figcaption/x:span[@class='caption-label']", namespaces=NS)
    assert [c.text for c in caption] == [f"Figure{NBSP}1.1."]


# ---------- citations ----------

def test_citations_are_formatted_in_the_text(pdf):
    text = normalise(" ".join(pdf.bodies))
    for cited in ("told well by Smith (2020),", "(Doe, Roe, and Müller 2019, chap. 2)",
                  "(Knuth 1984a, 1984b)", "(2020, 112)", "(see García Márquez 2018, 12)",
                  "(World Health Organization 2023)"):
        assert cited in text, cited
    assert "@" not in text


def test_bibliography_has_the_chicago_entries(built, pdf, epub):
    references = pdf.dests["references"]
    squeezed = "".join(pdf.bodies[references].replace("\u200b", "").split())  # a URL may wrap
    for entry in (SMITH, DOE):
        assert "".join(plain(entry).split()) in squeezed
    chapter = next(name for name in epub if name.startswith("EPUB/ch") and
                   b'id="ref-smith2020"' in epub[name])
    document = etree.fromstring(epub[chapter])
    for key, expected in (("smith2020", SMITH), ("doe2019:nature", DOE)):
        entry = document.xpath(f"//*[@id='ref-{key}']")[0]
        inner = (entry.text or "") + "".join(
            etree.tostring(child, encoding="unicode", with_tail=True) for child in entry)
        inner = inner.replace(f' xmlns="{NS["x"]}"', "").replace(f' xmlns:epub="{NS["epub"]}"',
                                                                  "")
        assert inner == expected


def test_each_citation_links_to_its_entry(built, pdf, epub):
    cited = {dest for _, dest, _ in pdf.links if dest.startswith("ref-")}
    assert {"ref-smith2020", "ref-doe2019:nature", "ref-knuth1984a", "ref-knuth1984b",
            "ref-garcia2018", "ref-who2023"} == cited
    assert {pdf.dests[dest] for dest in cited} == {pdf.dests["references"]}
    hrefs = [a.get("href") for name, data in epub.items() if name.endswith(".xhtml")
             for a in etree.fromstring(data).iter(f"{{{NS['x']}}}a")
             if "citation-ref" in (a.get("class") or "")]
    assert len(hrefs) >= 8
    for href in hrefs:
        document, _, fragment = href.partition("#")
        assert fragment.startswith("ref-")
        target = epub_doc(epub, document) if document else None
        assert target is not None and target.xpath(f"//*[@id='{fragment}']"), href


# ---------- the index ----------

def _index_entries(pdf) -> list[tuple[str, list[str]]]:
    """(term, page labels with ranges expanded) for each line of the PDF's index."""
    page = pdf.dests["index"]
    lines = [line.strip() for line in pdf.bodies[page].splitlines()][1:]  # "Index" first
    entries = []
    for line in lines:
        if len(line) <= 1 or ", " not in line:  # a letter group, a term without pages
            if line and len(line) > 1:
                entries.append((line, []))
            continue
        term, rest = line.split(", ", 1)
        rest = rest.split("; see also")[0]
        labels = []
        for part in rest.split(", "):
            if part.startswith("see "):
                continue
            if "\u2013" in part:
                first, last = part.split("\u2013")
                labels += [str(n) for n in range(int(first), int(last) + 1)]
            else:
                labels.append(part)
        entries.append((term, labels))
    return entries


def test_index_locators_hold_the_marked_text(built, pdf):
    structure = built.book.structure
    shown = {}
    for chapter in built.book.chapters:
        for span in chapter.body.iter("span"):
            if span.get("id", "").startswith("ix-"):
                shown[span.get("id")] = " ".join(span.text_content().split())
    by_term: dict[str, set] = {}
    for mark in structure.index_marks:
        by_term.setdefault(mark.levels[-1].casefold(), set()).add(shown[mark.id].casefold())
    entries = _index_entries(pdf)
    assert ("Lamp room", ["9", "10", "11"]) in entries  # a run, joined
    checked = 0
    for term, labels in entries:
        texts = by_term.get(term.casefold())
        if not labels:  # a heading entry ("Granite") over its sub-entries
            continue
        for label in labels:
            body = letters(pdf.bodies[pdf.page_labelled(label)])
            assert any(letters(text) in body for text in texts), (term, label)
            checked += 1
    assert checked >= 8
    # …and every mark's page is listed under its entry.
    listed = {term.casefold(): set(labels) for term, labels in entries}
    for mark in structure.index_marks:
        if mark.see:
            continue
        label = pdf.folios[pdf.dests[mark.id]] or built.layout.pages.label(mark.id)
        assert label in listed[mark.levels[-1].casefold()], (mark, label)


def test_index_has_sub_entries_see_and_see_also(pdf):
    text = normalise(pdf.bodies[pdf.dests["index"]])
    assert "character, see Signals" in text
    assert "wicks, 6; see also Weather" in text
    assert "Granite dovetailed courses, 3" in text
    letters_ = [line for line in pdf.bodies[pdf.dests["index"]].splitlines()
                if len(line.strip()) == 1]
    assert [line.strip() for line in letters_] == ["C", "G", "L", "S", "W"]


def test_epub_index_follows_epub_indexes_and_links_each_locator(built, pdf, epub):
    opf = etree.fromstring(epub["EPUB/content.opf"])
    assert opf.xpath("//opf:collection[@role='index']/opf:link/@href", namespaces=NS) == \
        ["index.xhtml"]
    index = epub_doc(epub, "index.xhtml")
    assert index.xpath("//*[@epub:type='index']", namespaces=NS)
    entries = index.xpath("//x:li[@epub:type='index-entry']", namespaces=NS)
    assert len(entries) == 8
    locators = index.xpath("//x:a[@epub:type='index-locator']", namespaces=NS)
    assert locators
    for locator in locators:
        document, _, fragment = locator.get("href").partition("#")
        assert epub_doc(epub, document).xpath(f"//*[@id='{fragment}']"), locator.get("href")
        assert locator.text == pdf.folios[pdf.dests[fragment]], (fragment, locator.text)
    assert index.xpath("//*[@epub:type='index-locator-range']", namespaces=NS)
    assert index.xpath("//*[@epub:type='index-xref-related']/*[@epub:type='index-term']",
                       namespaces=NS)


@pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java")
def test_epubcheck_and_ace_accept_the_epub(built, tmp_path):
    assert run_epubcheck(built.outputs["epub"]) == []
    if ace_command() is None and not os.environ.get("CI"):
        pytest.skip("DAISY Ace is not installed (npm install); it is required in CI")
    assert run_ace(built.outputs["epub"], tmp_path / "ace") == []
