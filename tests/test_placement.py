"""Figure placement when the first guess is off: a chapter full of notes (the notes
book of bench/run.py, a note every ~45 words) whose second layout, placed from the
first, came out worse than the first. It used to keep the first, with a page 60 % full
before a figure pushed to the next page (LAY-001); the second layout now measures the
arrangement it tried, and a third is placed from it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from octavo.manuscript.load import load_book
from octavo.options import STYLES
from octavo.paged import render
from octavo.paged.document import paged_parts
from octavo.paged.placement import MIN_FILL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import make_manuscript  # noqa: E402 - bench/ is not a package

NOTES_BOOK = {"pages": 100, "chapters": 6, "words_per_note": 45}  # bench/run.py NOTES


@pytest.fixture(scope="module")
def chapter_six(tmp_path_factory):
    folder = make_manuscript(tmp_path_factory.mktemp("notes") / "book", **NOTES_BOOK)
    book = load_book(folder)
    from octavo.structure.apply import annotate
    annotate(book)
    part = next(part for part in paged_parts(book) if part.name == "ch6")
    styles = render.load_styles(render.PAGED_CSS, STYLES, book.folder, book.metadata.design)
    with render.captured_weasyprint_warnings() as warnings:
        layout = render.render_part(part, styles, book.folder)
    return layout, warnings, book, part, styles


def test_a_guess_that_made_it_worse_is_placed_again_from_its_own_layout(chapter_six):
    layout, warnings = chapter_six[:2]
    assert warnings == []
    assert layout.renders == 3
    assert layout.placement.moves()
    fills = layout.fills
    holes = [(fill.page, round(fill.fill, 2)) for fill, after in zip(fills, fills[1:])
             if fill.is_text and after.first_is_figure and fill.fill < MIN_FILL]
    assert holes == []


def test_the_second_layout_made_ahead_gives_the_part_laid_out_alone(chapter_six, tmp_path,
                                                                     monkeypatch):
    """With the placement the last build decided first as a guess (paged/ahead.py), a
    helper makes the second layout while the worker makes the first: when the decision
    is the guess, the helper goes on and writes the part; otherwise it is stopped. The
    part is the same, PDF byte for byte, either way."""
    from octavo.paged import ahead
    from octavo.paged.part import lay_out_part
    from octavo.paged.write import pdf_identity
    book, part, styles = chapter_six[2:]
    identity = pdf_identity(book)
    alone = lay_out_part(part, styles, book.folder, identity, tmp_path / "alone.pdf")
    assert alone.renders == 3 and alone.first_placement  # the guess a next build makes
    handed = []
    hand = ahead.Ahead.hand

    def recorded(self, *args):
        handed.append(hand(self, *args))
        return handed[-1]
    monkeypatch.setattr(ahead.Ahead, "hand", recorded)
    wrong = {"deferred": {}, "snug": {figure: 40 for figure in
                                      alone.first_placement["snug"] or ["fig-1"]}}
    for name, guess in (("ahead", alone.first_placement), ("wrong", wrong)):
        laid = lay_out_part(part, styles, book.folder, identity, tmp_path / f"{name}.pdf",
                            guess=guess)
        assert (tmp_path / f"{name}.pdf").read_bytes() == (tmp_path / "alone.pdf").read_bytes()
        laid.pdf = alone.pdf
        assert laid == alone
    assert len(handed) == 1 and handed[0].renders == 3  # the helper's part: the right guess
