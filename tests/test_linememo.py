"""A part's lines are broken once for all its layouts (paged/linememo.py): the same
line asked again, in the same width and style, is the first answer. A part laid out
with the lines remembered is the part laid out without, PDF byte for byte; a line
in another style is never taken for one already broken."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest
import weasyprint

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
    for left_out in ("font_size", "letter_spacing", "hyphens", "word_spacing"):
        monkeypatch.setattr(linememo, "KEYS", tuple(key for key in linememo.KEYS
                                                    if key != left_out))
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
