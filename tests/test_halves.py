"""A lone chapter measured in two halves side by side (paged/halves.py): the article's
chapter (manuscript/, the seed) measures the same in halves as whole, block by block,
and its figures are placed the same; the halves really run in two processes."""

from __future__ import annotations

import os

import pytest
from lxml import html as lxml_html

from conftest import ROOT
from octavo.manuscript.load import load_book
from octavo.options import STYLES
from octavo.paged import render
from octavo.paged.document import paged_parts
from octavo.paged.flow import measure
from octavo.paged.halves import cut, measured_apart
from octavo.paged.layout_map import page_fill
from octavo.paged.placement import Placement, children_of, decide
from octavo.runner.parallel import Job
from octavo.structure.apply import annotate


@pytest.fixture(scope="module")
def article():
    book = load_book(ROOT / "manuscript")
    annotate(book)
    parts = paged_parts(book)
    styles = render.load_styles(render.PAGED_CSS, STYLES, book.folder, book.metadata.design)
    return book, parts, styles


def _lay_out(book, styles):
    fetcher = render.SafeFetcher([book.folder, styles.folder],
                                 aliases={render.MANUSCRIPT_URL: book.folder})

    def lay_out(html: str):
        with render.captured_weasyprint_warnings() as warnings:
            document = render.weasyprint.HTML(
                string=html, base_url=render.MANUSCRIPT_URL, url_fetcher=fetcher).render(
                stylesheets=styles.css, color_profiles=styles.color_profiles,
                font_config=styles.font_config)
        assert warnings == []
        return document
    return lay_out


def test_only_a_lone_chapter_is_measured_apart(article):
    _, parts, _ = article
    assert [part.name for part in parts if part.apart] == ["ch1"]
    assert [part.name for part in parts if part.chapter] == ["ch1"]


def test_the_halves_measure_as_the_whole_and_place_the_same(article):
    book, parts, styles = article
    part = next(part for part in parts if part.apart)
    tree = lxml_html.document_fromstring(part.html)
    section = tree.get_element_by_id(part.chapter)
    children = children_of(section)
    at = cut(section)
    assert at is not None and 0.3 < at / len(children) < 0.7
    lay_out = _lay_out(book, styles)
    whole = lay_out(part.html)
    measured = measure(whole, part.chapter, list(range(len(children))))
    parents = os.getpid()
    first, joined = measured_apart(lay_out, tree, part.chapter, at, len(children), Job)
    assert os.getpid() == parents
    assert [block.index for block in joined.blocks] == list(range(len(children)))
    for half, full in zip(joined.blocks, measured.blocks):
        assert len(half.slices) == len(full.slices), half.index
        assert sum(s.height for s in half.slices) == pytest.approx(
            sum(s.height for s in full.slices), abs=0.5), half.index
    assert joined.measured_to == at and len(first.pages) < len(whole.pages)
    placement = Placement(scale=styles.design.scale[1])
    from_whole = decide(placement, whole, page_fill(whole), children, part.chapter)
    from_halves = decide(placement, first, page_fill(first), children, part.chapter, joined)
    assert from_whole is not None and from_whole.moves()
    assert from_halves.decisions() == from_whole.decisions()


def test_a_chapter_too_short_or_without_figures_is_not_cut():
    section = lxml_html.fragment_fromstring(
        "<section>" + "<p>A paragraph of text.</p>" * 12 + "</section>")
    assert cut(section) is None  # no figure: it seldom needs placing
    section = lxml_html.fragment_fromstring(
        "<section><p>One.</p><figure id='f1'></figure><p>Two.</p><figure id='f2'></figure>"
        "</section>")
    assert cut(section) is None  # too short


def test_a_half_never_ends_with_a_heading():
    """A heading keeps to the text after it (break-after: avoid): cut after it, the
    first half would measure it at the foot of its last page, where the whole never
    sets it."""
    section = lxml_html.fragment_fromstring(
        "<section>" + f"<p>{'word ' * 120}</p>" * 5 + "<h2>A heading</h2>"
        f"<p>{'word ' * 204}</p><figure id='f1'></figure><p>{'word ' * 120}</p>"
        "<figure id='f2'></figure></section>")
    at = cut(section)
    assert at is not None and list(section)[at - 1].tag != "h2"  # (it was cut after it)
