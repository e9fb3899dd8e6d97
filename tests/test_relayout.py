"""A chapter laid out again to place its figures starts from the page where its HTML
first changed (paged/relayout.py): the earlier layout's pages before it are taken as
they are. The part must be the one a whole layout gives, PDF byte for byte, in a
chapter like those of the 400-page benchmark book and in one full of notes carried from
page to page (bench/run.py's books)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from octavo.manuscript.load import load_book
from octavo.options import STYLES
from octavo.paged import relayout, render
from octavo.paged.document import paged_parts
from octavo.paged.part import lay_out_part
from octavo.paged.write import pdf_identity
from octavo.structure.apply import annotate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import make_manuscript  # noqa: E402 - bench/ is not a package

BOOK = {"pages": 60, "chapters": 3, "words_per_figure": 2500}  # bench/run.py BOOK's chapters
NOTES = {"pages": 34, "chapters": 2, "words_per_note": 45}  # as dense as bench/run.py NOTES


def _part(folder: Path, name: str):
    book = load_book(folder)
    annotate(book)
    part = next(part for part in paged_parts(book) if part.name == name)
    styles = render.load_styles(render.PAGED_CSS, STYLES, book.folder, book.metadata.design)
    return book, part, styles


@pytest.mark.parametrize("spec, name", [(BOOK, "ch2"), (NOTES, "ch2")], ids=["book", "notes"])
def test_a_layout_started_from_an_earlier_one_is_the_whole_layout(spec, name, tmp_path,
                                                                    monkeypatch):
    pages, chapters = spec["pages"], spec["chapters"]
    extra = {key: value for key, value in spec.items() if key not in ("pages", "chapters")}
    book, part, styles = _part(make_manuscript(tmp_path / "book", pages, chapters=chapters,
                                               **extra), name)
    identity = pdf_identity(book)
    taken = []
    starting = relayout.starting

    def spied(*args):
        seed = starting(*args)
        taken.append((seed[1], len(seed[0].pages)) if seed else None)
        return seed
    monkeypatch.setattr(relayout, "starting", spied)
    with render.captured_weasyprint_warnings() as warnings:
        started = lay_out_part(part, styles, book.folder, identity, tmp_path / "started.pdf")
    assert warnings == []
    assert started.renders >= 2 and any(taken), taken  # pages were taken
    assert all(seed is None or 0 < seed[0] < seed[1] for seed in taken)
    monkeypatch.setattr(relayout, "MARGIN", 10 ** 6)  # every layout from its first page
    whole = lay_out_part(part, styles, book.folder, identity, tmp_path / "whole.pdf")
    assert (tmp_path / "started.pdf").read_bytes() == (tmp_path / "whole.pdf").read_bytes()
    whole.pdf = started.pdf
    assert whole == started


def _laid(html: str, made: list):
    import weasyprint
    source = weasyprint.HTML(string=html)
    seed = relayout.starting(made, source, "ch1")
    with relayout.recording(source, "ch1") as kept, relayout.started(seed):
        document = source.render()
    made.extend(kept)
    return document, seed


def _html(changed: int | None = None, body: str = "", style: str = "") -> str:
    paragraphs = "".join(f"<p>{'Changed' if n == changed else 'Paragraph'} {n} "
                         + "word " * 60 + "</p>" for n in range(80))
    return (f"<html><head><style>{style}</style></head><body{body}>"
            f"<section id='ch1'>{paragraphs}</section></body></html>")


def test_what_is_taken_and_when_nothing_is():
    made = []
    first, seed = _laid(_html(), made)
    assert seed is None and len(made) == 1 and len(first.pages) >= 6
    late, seed = _laid(_html(changed=70), made)
    assert seed is not None and 2 < seed[1] < len(first.pages)
    whole, _ = _laid(_html(changed=70), [])
    assert len(late.pages) == len(whole.pages)
    assert late.write_pdf() == whole.write_pdf()
    for html in (_html(changed=1), _html(changed=70, body=" class='other'")):
        assert _laid(html, made[:1])[1] is None  # the first page changed; another frame
    counted = _html(style="p:first-child::after { content: target-counter('#ch1', page) }")
    cross = []
    _laid(counted, cross)
    assert cross == []  # page numbers looked up while the pages are made: never started


@example(seed=206, pages=35, chapters=1, words_per_figure=700, words_per_note=None)  # (a
# whole layout started from the first half's pages was measured wrong: flow.measure knew
# the elements of one tree only, and placed the figures otherwise than a whole layout)
@example(seed=158, pages=17, chapters=2, words_per_figure=945, words_per_note=25)  # (notes
# carried past the text's last page: WeasyPrint took that page of notes as made already)
@settings(max_examples=int(os.environ.get("OCTAVO_RELAYOUT_EXAMPLES", "2")), deadline=None,
          derandomize=not os.environ.get("OCTAVO_FUZZ_RANDOM"),
          phases=[Phase.explicit, Phase.reuse, Phase.generate],  # (shrinking: minutes)
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(1, 10_000), pages=st.integers(14, 36), chapters=st.sampled_from([1, 2]),
       words_per_figure=st.integers(500, 3000),
       words_per_note=st.one_of(st.none(), st.integers(25, 400)))
def test_generated_chapters_lay_out_the_same_started_or_whole(tmp_path_factory, seed, pages,
                                                               chapters, words_per_figure,
                                                               words_per_note):
    """Chapters of generated books (bench/generate.py: headings, lists, quotes, code,
    notes, figures), a book of one chapter measured in halves first (its whole layout
    may start from the first half's pages): each part is the same, byte for byte, laid
    out from the pages of an earlier layout or whole. `make test` runs 2 and the two
    that found faults; `make fuzz` 40, seeded anew."""
    folder = make_manuscript(tmp_path_factory.mktemp("relayout") / "book", pages, seed=seed,
                             chapters=chapters, words_per_figure=words_per_figure,
                             words_per_note=words_per_note)
    book, part, styles = _part(folder, f"ch{chapters}")
    identity = pdf_identity(book)
    target = folder.parent
    started = lay_out_part(part, styles, book.folder, identity, target / "started.pdf")
    margin = relayout.MARGIN
    relayout.MARGIN = 10 ** 6
    try:
        whole = lay_out_part(part, styles, book.folder, identity, target / "whole.pdf")
    finally:
        relayout.MARGIN = margin
    assert (target / "started.pdf").read_bytes() == (target / "whole.pdf").read_bytes()
    whole.pdf = started.pdf
    assert whole == started


# Three ways a page's content depends on what follows it (found by a review): nothing is
# taken then, or only what cannot depend on the change.
_SMALL = "@page { size: 400px 400px; margin: 20px } body { margin: 0; font: 10px/20px serif }"


def _small(style: str, children: str) -> str:
    return (f"<html><head><style>{_SMALL} {style}</style></head><body>"
            f"<section id='ch1'>{children}</section></body></html>")


def _chain(height: int) -> str:  # three headings kept with what follows them
    return _small("div.b { height: 90px } h2, h3, h4 { margin: 0; font-size: 10px; "
                  "line-height: 20px; break-after: avoid }",
                  "<div class=b></div>" * 3 + "<h2>A</h2><h3>B</h3><h4>C</h4>"
                  f"<div style='height: {height}px'></div>" + "<div class=b></div>" * 12)


def _reference(title: str) -> str:  # an early page shows a later block's text
    return _small("a::after { content: ' [' target-text(attr(href url)) ']' }",
                  "<p><a href='#t'>see</a></p>" + "".join(
                      f"<p>P{n} " + "word " * 60 + "</p>" for n in range(24))
                  + f"<p id='t'>{title}</p>")


def _marked(changed: int | None) -> str:  # a bookmark on a box over every page's end
    return _small("section { bookmark-level: 1; bookmark-label: 'Chapter' }", "".join(
        f"<p>{'Changed' if n == changed else 'P'}{n} " + "word " * 60 + "</p>"
        for n in range(40)))


@pytest.mark.parametrize("before, after", [(_chain(100), _chain(20)),
                                           (_reference("Old"), _reference("New")),
                                           (_marked(None), _marked(35))],
                         ids=["headings-kept-with-the-change", "target-text", "bookmark"])
def test_a_page_that_depends_on_what_follows_is_not_taken(before, after):
    made = []
    _laid(before, made)
    started, seed = _laid(after, made)
    whole, _ = _laid(after, [])
    assert seed is None
    assert started.write_pdf() == whole.write_pdf()
    assert len(started.make_bookmark_tree()) == len(whole.make_bookmark_tree())
