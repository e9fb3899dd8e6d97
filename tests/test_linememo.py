"""A part's lines are broken once for all its layouts (paged/linememo.py): the same
line asked again, in the same width and style, is the first answer. A part laid out
with the lines remembered is the part laid out without, PDF byte for byte; a line
in another style is never taken for one already broken."""

from __future__ import annotations

import contextlib
import os
import sys
import types
from pathlib import Path

import pytest
import weasyprint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octavo.manuscript.load import load_book
from octavo.options import STYLES
from conftest import ROOT
from octavo.paged import halves, linebreak, linememo, render
from octavo.paged.document import paged_parts
from octavo.paged.part import lay_out_part
from octavo.paged.write import pdf_identity
from octavo.runner.parallel import Job
from octavo.structure.apply import annotate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import make_manuscript  # noqa: E402 - bench/ is not a package


@pytest.fixture
def counted(monkeypatch):
    """How many lines the layouts asked of WeasyPrint's split_first_line (through
    linebreak.py's mend)."""
    asked = [0]
    inner = linebreak._split_first_line

    def counting(*args):
        asked[0] += 1
        return inner(*args)
    monkeypatch.setattr(linebreak, "_split_first_line", counting)
    return asked


def test_a_part_laid_out_again_breaks_its_lines_once(tmp_path, monkeypatch, counted):
    folder = make_manuscript(tmp_path / "book", 60, chapters=3, words_per_figure=2500)
    book = load_book(folder)
    annotate(book)
    part = next(part for part in paged_parts(book) if part.name == "ch2")
    styles = render.load_styles(render.PAGED_CSS, STYLES, book.folder, book.metadata.design)
    identity = pdf_identity(book)
    with render.captured_weasyprint_warnings() as warnings:
        remembered = lay_out_part(part, styles, book.folder, identity, tmp_path / "a.pdf")
    assert warnings == []
    assert remembered.renders >= 2  # placing its figures laid it out again
    asked_remembered = counted[0]
    monkeypatch.setattr(linememo, "remembered", contextlib.nullcontext)
    counted[0] = 0
    plain = lay_out_part(part, styles, book.folder, identity, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    plain.pdf = remembered.pdf
    assert plain == remembered
    # a second layout asks again for most lines the first asked
    assert asked_remembered < 0.75 * counted[0], (asked_remembered, counted[0])


TEXT = ("Typography\tis the craft of arranging type to make written language legible, "
        "readable and appealing when displayed; extraordinarily long words such as "
        "incomprehensibilities and Donaudampfschifffahrtsgesellschaft are hyphenated. "
        "Figures 1234567890 and fi fl ffi ligatures, H2O and x2. ") * 3

# One declaration per computed value linememo.KEYS names (and more; `lang` is the
# attribute): each paragraph sets the same text in the same width, in another style.
STYLES_TRIED = (
    "", "direction: rtl", "font-family: serif", "font-family: monospace",
    "font-feature-settings: 'liga' 0", "font-feature-settings: 'smcp'",
    "font-kerning: none", "font-language-override: 'TRK'", "font-size: 13px",
    "font-stretch: condensed", "font-style: italic",
    "font-variant-alternates: historical-forms", "font-variant-caps: small-caps",
    "font-variant-east-asian: full-width", "font-variant-ligatures: none",
    "font-variant-numeric: oldstyle-nums", "font-variant-position: super",
    "font-variation-settings: 'wght' 700", "font-weight: bold",
    "hyphenate-character: '~'", "hyphenate-limit-chars: 12 5 5",
    "hyphenate-limit-zone: 40%", "hyphens: none", "hyphens: manual",
    "letter-spacing: 0.06em", "overflow-wrap: anywhere", "tab-size: 2",
    "text-decoration-line: underline", "white-space: pre-wrap", "white-space: nowrap",
    "white-space: pre-line", "word-break: break-all", "word-spacing: 3px",
    "text-transform: uppercase", "font-variant: small-caps",
)


def _styled_pdf(target: Path) -> bytes:
    paragraphs = "".join(f'<p style="{style}">{TEXT}</p>' for style in STYLES_TRIED)
    paragraphs += f'<p lang="de">{TEXT}</p>'  # the language: hyphenation, Pango's
    html = ("<html lang='en'><style>@page { size: A5 } p { width: 80mm; hyphens: auto; "
            f"text-align: justify }}</style><body>{paragraphs}</body></html>")
    weasyprint.HTML(string=html).write_pdf(target)
    return target.read_bytes()


def test_a_line_in_another_style_is_broken_anew(tmp_path, monkeypatch):
    plain = _styled_pdf(tmp_path / "plain.pdf")
    with linememo.remembered():
        assert _styled_pdf(tmp_path / "remembered.pdf") == plain
    # The test can fail: with a value left out of the key, a line broken in one
    # style is taken for another's.
    every = linememo.KEYS
    for left_out in ("font_weight", "font_style", "hyphens", "word_spacing"):
        monkeypatch.setattr(linememo, "KEYS", tuple(key for key in every if key != left_out))
        with linememo.remembered():
            assert _styled_pdf(tmp_path / f"without-{left_out}.pdf") != plain, left_out


def test_the_lines_of_a_half_laid_out_apart_come_back(tmp_path, monkeypatch, counted):
    """The seed article's lone chapter is measured in two halves, the second in a forked
    process (halves.py); the whole layout then takes that process's lines."""
    book = load_book(ROOT / "manuscript")
    annotate(book)
    part = next(part for part in paged_parts(book) if part.apart)
    styles = render.load_styles(render.PAGED_CSS, STYLES, book.folder, book.metadata.design)
    identity = pdf_identity(book)
    with render.captured_weasyprint_warnings() as warnings:
        adopted = lay_out_part(part, styles, book.folder, identity, tmp_path / "a.pdf",
                               apart=Job)
    assert warnings == []
    asked_adopted = counted[0]
    monkeypatch.setattr(halves, "_measured_half_apart",
                        lambda *args: (halves.measured_half(*args), {}))
    counted[0] = 0
    alone = lay_out_part(part, styles, book.folder, identity, tmp_path / "b.pdf", apart=Job)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    alone.pdf = adopted.pdf
    assert alone == adopted
    assert asked_adopted < 0.9 * counted[0], (asked_adopted, counted[0])


WORDS = ("a", "the", "typography", "incomprehensibilities", "Donaudampfschiff", "of",
         "arrangement", "x", "legible", "readable,", "—", "co-operation", "1234567890",
         "extraordinarily", "H2O", "fi", "ffl", "soft\u00adhyphen", "word")


@pytest.fixture(scope="module")
def styles_of_text():
    """The computed styles of text as a chapter sets it: justified, hyphenated, in two
    languages and three sizes (WeasyPrint's own TextBox styles)."""
    html = ("<style>p { hyphens: auto; text-align: justify } .small { font-size: 9px }"
            " .big { font-size: 23px } .mono { font-family: monospace }</style>"
            "<p>Body text</p><p lang=de>Text auf Deutsch</p><p class=small>Small</p>"
            "<p class=big>Big</p><p class=mono>Code</p>")
    document = weasyprint.HTML(string=html).render()
    from weasyprint.formatting_structure import boxes
    return [box.style for box in document.pages[0]._page_box.descendants()
            if isinstance(box, boxes.TextBox)]


@settings(max_examples=int(os.environ.get("OCTAVO_LINEMEMO_EXAMPLES", "150")),
          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=40),
       which=st.integers(0, 4), units=st.integers(1, 600 * 1024),
       aim=st.sampled_from([None, -1, 0]), fit=st.integers(1, 40),
       within=st.lists(st.floats(0.001, 0.999),
                       min_size=2, max_size=2),
       line_start=st.booleans())
def test_widths_the_memo_takes_for_one_break_the_line_alike(
        styles_of_text, words, which, units, aim, fit, within, line_start):
    """Two widths linememo keys alike (in one 1/1024 px of Pango's, off its grid) get
    the same answer from WeasyPrint, but for the width the layout holds; `aim`: the
    widths just under (-1) or over (0) what the first `fit` words need."""
    style = styles_of_text[which % len(styles_of_text)]
    text = " ".join(words)
    context = types.SimpleNamespace(dictionaries={})  # (what split_first_line reads of it)
    if aim is not None:
        natural = linebreak.split_first_line(" ".join(words[:fit]), style, context, None, 0)
        units = max(1, int(natural[3] * 1024) + aim)
    widths = [(units + fraction) / 1024 for fraction in within]
    keys = {linememo._width(width, style) for width in widths}
    assert len(keys) == 1 and isinstance(next(iter(keys)), tuple)
    answers = []
    for width in widths:
        layout, *rest = linebreak.split_first_line(text, style, context, width, 0,
                                                   line_start)
        kept = dict(vars(layout))
        assert kept.pop("max_width") == width
        answers.append((kept, rest))
    assert answers[0] == answers[1]


def test_a_width_one_pango_unit_narrower_breaks_the_line_elsewhere(styles_of_text):
    """What the test above guards: a line that fits in one 1/1024 px cell does not in
    the one below it, so widths are keyed by their cell, never more coarsely."""
    context = types.SimpleNamespace(dictionaries={})
    style = styles_of_text[0]
    natural = linebreak.split_first_line("typography of arrangement", style, context,
                                         None, 0)[3]
    text = "typography of arrangement legible"
    cells = [(int(natural * 1024) + aim + 0.5) / 1024 for aim in (-1, 0)]
    under, over = (linebreak.split_first_line(text, style, context, width, 0)
                   for width in cells)
    assert under[1] < over[1]  # the narrower keeps fewer bytes on the line
    assert linememo._width(cells[0], style) != linememo._width(cells[1], style)


def test_a_long_paragraph_keeps_bounded_lines(tmp_path, monkeypatch):
    """A key holds the rest of its paragraph: the lines kept are bounded (LONGEST for
    one key, BUDGET for a part), and those not kept are broken as before."""
    monkeypatch.setattr(linememo, "LONGEST", 5_000)
    monkeypatch.setattr(linememo, "BUDGET", 60_000)
    paragraph = " ".join(WORDS * 120)  # about 16,000 characters, some 200 lines
    html = f"<style>p {{ hyphens: auto; text-align: justify }}</style><p>{paragraph}</p>" * 3
    plain = weasyprint.HTML(string=html).write_pdf()
    with linememo.remembered():
        assert weasyprint.HTML(string=html).write_pdf() == plain
        kept = list(linememo._memo)
        assert kept and max(len(key[1]) for key in kept) <= 5_000
        assert sum(len(key[1]) for key in kept) <= 60_000
        assert linememo._left < 5_000  # the budget was spent, then nothing more kept
