"""The structure stage's rules on small manuscripts, without a layout: errors with
file:line, metadata validation, numbering modes, notes styles, `::: refs`, CSL-JSON,
collation, and the EPUB's own contents page (epubcheck)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from conftest import FIXTURES
from octavo.errors import OctavoError
from octavo.manuscript.load import load_book
from octavo.structure.apply import annotate
from octavo.structure.collation import FallbackCollation, IcuCollation, collation_for
from octavo.structure.index import build as build_index
from octavo.structure.pagemap import PageMap, page_labels

NBSP = "\u00a0"
METADATA = '''title = "A Test"
language = "{language}"
identifier = "urn:uuid:7a1e0c52-1b2c-4d3e-8f40-5a6b7c8d9e0f"
{extra}
'''


def manuscript(folder: Path, chapters: dict[str, str], extra: str = "",
               language: str = "en", bib: bool = False) -> Path:
    folder.mkdir(parents=True)
    names = ", ".join(f'"{name}"' for name in chapters)
    (folder / "metadata.toml").write_text(
        METADATA.format(language=language, extra=f"chapters = [{names}]\n{extra}"),
        encoding="utf-8")
    for name, text in chapters.items():
        (folder / name).write_text(text, encoding="utf-8")
    if bib:
        shutil.copy(FIXTURES / "structure" / "refs.bib", folder / "refs.bib")
        shutil.copy(FIXTURES / "structure" / "refs.json", folder / "refs.json")
    return folder


def annotated(folder: Path):
    return annotate(load_book(folder))


def flat(element) -> str:
    """An element's text with runs of ordinary white space made one (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


def body(book, index: int = 0) -> str:
    return html.tostring(book.chapters[index].body, encoding="unicode")


# ---------- errors the author can fix ----------

def test_unknown_citation_key_names_file_line_and_the_closest_key(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "One.\n\nAs shown [@smith2021, p. 3].\n"},
                        'bibliography = "refs.bib"', bib=True)
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.where == f"{folder / 'a.md'}:3"
    assert "smith2021" in error.value.message and "@smith2020" in error.value.hint


def test_citing_without_a_bibliography_is_an_error(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "The @property decorator.\n\nText [@smith2020].\n"})
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.line == 3 and "bibliography" in error.value.hint


def test_a_bare_at_name_is_text_in_a_book_without_bibliography(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "Use the @property decorator, @alice.\n"})
    tree = annotated(folder).chapters[0].body
    assert flat(tree) == "Use the @property decorator, @alice."
    assert tree.find(".//span") is None


def test_bibliography_outside_the_folder_is_refused(tmp_path):
    (tmp_path / "outside.bib").write_text("@book{a, title={A}, year={2000}}\n")
    folder = manuscript(tmp_path / "m", {"a.md": "Text [@a].\n"},
                        'bibliography = "../outside.bib"')
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.path.endswith("metadata.toml") and error.value.line == 5
    assert "inside the manuscript folder" in error.value.message


def test_bad_bibtex_names_its_line(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "Text [@a].\n"}, 'bibliography = "b.bib"')
    (folder / "b.bib").write_text("@book{a,\n  title = {x},\n}\n\n@book{b,\n  title = {x,\n}\n")
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.path.endswith("b.bib") and error.value.line is not None


def test_unknown_label_names_the_closest_one(tmp_path):
    text = "# One\n\n::: figure {#fig:tower}\n![Alt.](p.png)\nCaption.\n:::\n\nSee @fig:towr.\n"
    folder = manuscript(tmp_path / "m", {"a.md": text})
    _png(folder / "p.png")
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.line == 8 and error.value.hint == "did you mean @fig:tower?"


def test_a_label_given_twice_is_an_error(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "# One {#sec:x}\n\nText.\n",
                                         "b.md": "# Two\n\n## Again {#sec:x}\n\nText.\n"})
    with pytest.raises(OctavoError) as error:
        load_book(folder)
    assert error.value.where == f"{folder / 'b.md'}:3" and "twice" in error.value.message


def test_front_matter_after_the_text_is_an_error(tmp_path):
    folder = manuscript(tmp_path / "m", {"a.md": "# One\n\nText.\n",
                                         "b.md": "# Preface {.frontmatter}\n\nText.\n"})
    with pytest.raises(OctavoError) as error:
        annotated(folder)
    assert error.value.where == f"{folder / 'b.md'}:1"


@pytest.mark.parametrize("line, message", [
    ('numbering = "roman"', "'numbering' is 'roman'"),
    ('contents = "yes"', "'contents' must be true or false"),
    ("contents_depth = 4", "'contents_depth' is 4"),
    ('chapters_open = "left"', "'chapters_open' is 'left'"),
    ('appendices = ["z.md"]', "appendix 'z.md' is not one of the book's chapters"),
    ("xref_pages = 1", "'xref_pages' must be true or false"),
    ('bibliography = ""', "'bibliography' must be a file name"),
])
def test_structure_keys_are_validated_with_their_line(tmp_path, line, message):
    folder = manuscript(tmp_path / "m", {"a.md": "Text.\n"}, line)
    with pytest.raises(OctavoError) as error:
        load_book(folder)
    assert message in error.value.message and error.value.line == 5


# ---------- numbering ----------

def _png(path: Path) -> None:
    from PIL import Image
    Image.new("RGB", (1400, 700), (120, 140, 160)).save(path)


def test_an_article_without_labels_is_left_as_written(tmp_path):
    text = "Text.\n\n::: figure\n![Alt.](p.png)\nA caption.\n:::\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    folder = manuscript(tmp_path / "m", {"a.md": text})
    _png(folder / "p.png")
    before = body(load_book(folder))
    book = annotated(folder)
    assert body(book) == before
    structure = book.structure
    assert (structure.layout, structure.numbering, structure.contents) == \
        ("article", "none", False)
    assert not structure.index and structure.body_start is None


def test_numbering_none_numbers_a_kind_a_label_names(tmp_path):
    text = ("Text @fig:b.\n\n::: figure\n![Alt.](p.png)\nFirst.\n:::\n\n"
            "::: figure {#fig:b}\n![Alt.](p.png)\nSecond.\n:::\n\n| a |\n|---|\n| 1 |\n")
    folder = manuscript(tmp_path / "m", {"a.md": text})
    _png(folder / "p.png")
    book = annotated(folder)
    tree = book.chapters[0].body
    labels = [span.text for span in tree.iter("span") if span.get("class") == "caption-label"]
    assert labels == [f"Figure{NBSP}1.", f"Figure{NBSP}2."]  # the table stays unnumbered
    assert tree.find(".//span[@class='xref']/a").text == f"Figure{NBSP}2"


def test_numbering_book_counts_through_and_appendix_letters(tmp_path):
    chapters = {"a.md": "# One\n\n| a |\n|---|\n| 1 |\n\nTable: First {#tbl:a}\n",
                "b.md": "# Two\n\n| a |\n|---|\n| 1 |\n\nTable: Second {#tbl:b}\n",
                "c.md": "# Extra {.appendix}\n\nSee [@tbl:a; @tbl:b] and [-@tbl:b].\n"}
    book = annotated(manuscript(tmp_path / "m", chapters, 'numbering = "book"'))
    labels = [d.label for d in book.structure.divisions]
    assert labels == [f"Chapter{NBSP}1", f"Chapter{NBSP}2", f"Appendix{NBSP}A"]
    assert f"See Tables{NBSP}1 and 2 and 2." in flat(book.chapters[2].body)


def test_chapters_numbering_and_listings(tmp_path):
    chapters = {"a.md": "# One\n\nText.\n",
                "b.md": ('# Two {#sec:two}\n\n```{.python #lst:x title="Reading it"}\nx = 1\n```\n\n'
                         "<div class=\"arithmatex\" id=\"eq:e\">E = mc²</div>\n\n"
                         "See @lst:x, @eq:e and @sec:two.\n")}
    book = annotated(manuscript(tmp_path / "m", chapters))
    tree = book.chapters[1].body
    listing = tree.find(".//div[@class='listing']")
    assert listing.get("id") == "lst:x" and listing.get("role") == "group"
    assert flat(listing.find("p")) == f"Listing{NBSP}2.1. Reading it"
    assert tree.find(".//span[@class='equation-number']").text == "(2.1)"
    assert f"See Listing{NBSP}2.1, Equation{NBSP}2.1 and Chapter{NBSP}2." in flat(tree)


def test_titles_numbered_by_hand_are_not_numbered_again(tmp_path):
    """The corpus book's chapters are "1.1 Python", "1.2 A First Program": Octavo's own
    "Chapter 2" over them would print two numbers. A note (MS-016) says so; numbering =
    "chapters" asks for both; a title that merely starts with a year does not count."""
    chapters = {"a.md": "# 1.1 Python\n\nText.\n", "b.md": "# 1.2 A First Program\n\nText.\n",
                "c.md": "# Exercises\n\nText.\n"}
    book = annotated(manuscript(tmp_path / "m", chapters))
    assert [d.label for d in book.structure.divisions] == [None, None, None]
    assert [(n.code, n.severity) for n in book.notes] == [("MS-016", "info")]
    assert "1.1 Python" in book.notes[0].message
    book = annotated(manuscript(tmp_path / "n", chapters, 'numbering = "chapters"'))
    assert [d.label for d in book.structure.divisions][:2] == [f"Chapter{NBSP}1",
                                                               f"Chapter{NBSP}2"]
    years = {"a.md": "# 1984 and After\n\nText.\n", "b.md": "# 2001 Onwards\n\nText.\n"}
    book = annotated(manuscript(tmp_path / "y", years))
    assert [d.label for d in book.structure.divisions] == [f"Chapter{NBSP}1", f"Chapter{NBSP}2"]


def test_part_heading_gets_its_page_and_label(tmp_path):
    chapters = {"p.md": "# Early Years {.part}\n", "a.md": "# One\n\nText.\n",
                "b.md": "# Two\n\nText.\n\n# Three\n\nMore.\n"}
    book = annotated(manuscript(tmp_path / "m", chapters))
    divisions = [(d.kind, d.label, d.opens_chapter) for d in book.structure.divisions]
    assert divisions == [("part", f"Part{NBSP}I", True), ("chapter", f"Chapter{NBSP}1", True),
                         ("chapter", f"Chapter{NBSP}2", True),
                         ("chapter", f"Chapter{NBSP}3", False)]
    assert "part-page" in book.chapters[0].body.get("class")
    assert "opens" in book.chapters[2].body.findall("h1")[1].get("class")


# ---------- citations ----------

def _entries(book) -> list[str]:
    return [html.tostring(entry, encoding="unicode", with_tail=False)
            for chapter in book.chapters for entry in chapter.body.iter("div")
            if entry.get("class") == "csl-entry"]


def test_csl_json_gives_the_same_references_as_bibtex(tmp_path):
    text = ("Text [@smith2020; @doe2019:nature; @garcia2018; @who2023; @knuth1984a; "
            "@knuth1984b; @nguyen_2017; @erdos1950; @vanderberg2015].\n")
    from_bib = annotated(manuscript(tmp_path / "a", {"a.md": text}, 'bibliography = "refs.bib"',
                                    bib=True))
    from_json = annotated(manuscript(tmp_path / "b", {"a.md": text},
                                     'bibliography = "refs.json"', bib=True))
    assert len(_entries(from_bib)) == 9
    assert _entries(from_bib) == _entries(from_json)
    assert body(from_bib) == body(from_json)


def test_refs_block_places_the_list_and_no_references_chapter_is_added(tmp_path):
    text = "# One\n\nText [@smith2020].\n\n# Works Cited\n\n::: refs\n:::\n"
    book = annotated(manuscript(tmp_path / "m", {"a.md": text}, 'bibliography = "refs.bib"',
                                bib=True))
    assert len(book.chapters) == 1
    refs = book.chapters[0].body.find(".//div[@id='refs']")
    assert [entry.get("id") for entry in refs] == ["ref-smith2020"]
    assert [note.message for note in book.structure.notes].count(
        "entry 'unused2000' is never cited") == 1


def test_notes_style_puts_citations_in_footnotes_after_the_punctuation(tmp_path):
    text = ("First [@smith2020, 33]. Then @doe2019:nature argues.[^a] Again [see @smith2020, 34].\n\n"
            "[^a]: Inside a note [@knuth1984a].\n")
    book = annotated(manuscript(tmp_path / "m", {"a.md": text},
                                'bibliography = "refs.bib"\n'
                                'csl = "chicago-notes-bibliography-17th-edition"', bib=True))
    tree = book.chapters[0].body
    paragraph = flat(tree.find("p"))
    assert paragraph == "First.1 Then Jane Doe, Richard Roe, and Jörg Müller2 argues.3 Again.4"
    notes = [flat(item) for item in tree.iterfind("./div[@class='footnote']/ol/li")]
    assert notes[0].startswith("John Smith, The Art of Publishing (Chicago: University of "
                               "Chicago Press, 2020), 33.")
    assert notes[2].startswith("Inside a note Donald E. Knuth, “Literate Programming,”")
    assert notes[3].startswith("See Smith, The Art of Publishing, 34.")
    calls = [a.text for a in tree.iter("a") if a.get("class") == "footnote-ref"]
    assert calls == ["1", "2", "3", "4"]


# ---------- the index ----------

@pytest.mark.parametrize("language, words, order, groups", [
    ("az", ["Zəfər", "Əli", "Elm", "Ağac", "Çay", "İlan", "Ilıq"],
     ["Ağac", "Çay", "Elm", "Əli", "Ilıq", "İlan", "Zəfər"], ["A", "Ç", "E", "Ə", "I", "İ", "Z"]),
    ("de", ["Öl", "Ofen", "Zug", "Äpfel", "Ast"],
     ["Äpfel", "Ast", "Ofen", "Öl", "Zug"], ["A", "O", "Z"]),
    ("sv", ["Ål", "Zebra", "Öga", "Apa"], ["Apa", "Zebra", "Ål", "Öga"], ["A", "Z", "Å", "Ö"]),
])
def test_icu_sorts_and_groups_by_the_language(language, words, order, groups):
    pytest.importorskip("icu")
    collation = collation_for(language)
    assert isinstance(collation, IcuCollation)
    assert sorted(words, key=collation.key) == order
    assert list(dict.fromkeys(collation.letter(w) for w in order)) == groups


def test_fallback_collation_without_icu():
    collation = FallbackCollation("de")
    words = ["Zug", "«Quote»", "éclair", "Eagle", "straße", "Strasse", "1984"]
    assert sorted(words, key=collation.key) == ["1984", "Eagle", "éclair", "«Quote»",
                                                "Strasse", "straße", "Zug"]
    assert [collation.letter(w) for w in ("éclair", "«Quote»", "1984")] == ["E", "Q", None]


def test_index_runs_and_see_from_a_page_map(tmp_path):
    chapters = {"a.md": ("[Lamp]{.index} [lamp]{.index} [lamp]{.index} [lamp]{.index} "
                         "[lamp]{.index} [Wick]{.index entry=\"Lamp; wick\"} "
                         "[light]{.index see=\"Lamp\"}\n")}
    book = annotated(manuscript(tmp_path / "m", chapters))
    ids = [mark.id for mark in book.structure.index_marks]
    pages = PageMap(page_labels(12, 3), dict(zip(ids, [4, 5, 6, 8, 8, 9, 9])))
    groups = build_index(book.structure, pages)
    lamp = groups[0].entries[0]
    assert lamp.text == "Lamp" and [type(x).__name__ for x in lamp.locators] == \
        ["tuple", "Locator"]
    first, last = lamp.locators[0]
    assert (first.label, last.label, lamp.locators[1].label) == ("2", "4", "6")
    assert [child.text for child in lamp.children] == ["wick"]
    light = groups[0].entries[1]
    assert light.see == ["Lamp"] and light.locators == []


def test_page_labels_are_roman_then_arabic():
    assert page_labels(6, 4) == ["i", "ii", "iii", "1", "2", "3"]
    assert page_labels(3, None) == ["1", "2", "3"]


# ---------- the EPUB's own contents page ----------

@pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java")
def test_epub_contents_page_when_asked_passes_epubcheck(tmp_path):
    from octavo.checks.validators import run_epubcheck
    from octavo.epub.writer import write_epub
    chapters = {"a.md": "# One\n\nText [@smith2020].\n\n## A section\n\nMore.\n",
                "b.md": "# Two\n\nText [@doe2019:nature] and a [term]{.index}.\n"}
    book = annotated(manuscript(tmp_path / "m", chapters, 'bibliography = "refs.bib"\n'
                                "contents_in_epub = true", bib=True))
    target = tmp_path / "book.epub"
    write_epub(book, target, [])
    with zipfile.ZipFile(target) as archive:
        contents = etree.fromstring(archive.read("EPUB/contents.xhtml"))
        spine = etree.fromstring(archive.read("EPUB/content.opf"))
    ns = {"x": "http://www.w3.org/1999/xhtml", "opf": "http://www.idpf.org/2007/opf"}
    links = [a.get("href") for a in contents.iterfind(".//x:a", ns)]
    assert links == ["ch1.xhtml#one", "ch1.xhtml#a-section", "ch2.xhtml#two",
                     "ch3.xhtml#references", "index.xhtml#index"]
    order = [item.get("idref") for item in spine.iterfind(".//opf:itemref", ns)]
    assert order.index("doc-contents") == order.index("doc-title") + 1
    assert run_epubcheck(target) == []
