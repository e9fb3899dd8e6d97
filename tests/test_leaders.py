"""A dot leader is set as one run of text (paged/leaders.py): one text box where
WeasyPrint made one per dot, with the same dots in the same places, and the line
around it unchanged."""

from __future__ import annotations

import pypdfium2
import pytest
import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text.line_break import line_size

from octavo.paged import leaders

HTML = ("<style>@page { size: A5 } ol { padding: 0 } li { list-style: none }"
        " a { display: block; padding-right: 9mm } .title::after { content: leader('. ') }"
        " .page { display: inline-block; width: 9mm; margin-right: -9mm; text-align: right }"
        "</style><ol>" + "".join(
            f"<li><a><span class=title>Chapter {n}: {'a longer title ' * (n % 4)}</span>"
            f"<span class=page>{n * 17}</span></a></li>" for n in range(1, 40)) + "</ol>")


def _lines(document):
    """Each line of the list: (its leader's text boxes, the other text boxes)."""
    found = []
    for page in document.pages:
        for line in page._page_box.descendants():
            if isinstance(line, boxes.LineBox):
                texts = [box for box in line.descendants() if isinstance(box, boxes.TextBox)]
                found.append(([box for box in texts if box.text.startswith(".")],
                              [box for box in texts if not box.text.startswith(".")]))
    return found


def test_a_leader_is_one_run_with_the_same_dots_in_the_same_places(monkeypatch, tmp_path):
    run = weasyprint.HTML(string=HTML).render()
    run.write_pdf(tmp_path / "run.pdf")
    monkeypatch.setattr(inline, "handle_leader", leaders._handle_leader)  # WeasyPrint's
    dots = weasyprint.HTML(string=HTML).render()
    dots.write_pdf(tmp_path / "dots.pdf")
    assert len(run.pages) == len(dots.pages)
    lines = list(zip(_lines(run), _lines(dots)))
    assert sum(1 for (leader, _), _ in lines if leader) == 39  # one a line, on its last
    for (leader, others), (their_leader, their_others) in lines:
        assert [(other.text, other.position_x, other.position_y) for other in others] == \
            [(other.text, other.position_x, other.position_y) for other in their_others]
        assert bool(leader) == bool(their_leader)
        if not leader:  # a long title's first line
            continue
        assert len(leader) == 1 and len(their_leader) > 5
        (box,) = leader
        assert box.text == their_leader[0].text * len(their_leader)
        assert box.position_x == min(dot.position_x for dot in their_leader)
        assert box.width == sum(dot.width for dot in their_leader)
        box.pango_layout.reactivate(box.style)  # as drawn: each dot where one was
        drawn, _ = line_size(box.pango_layout.get_first_line()[0], box.style)
        box.pango_layout.deactivate()
        assert abs(drawn - box.width) < 1e-6
    texts = []
    for name in ("run.pdf", "dots.pdf"):
        pdf = pypdfium2.PdfDocument(tmp_path / name)
        texts.append(["".join(page.get_textpage().get_text_range().split()) for page in pdf])
        pdf.close()
    assert texts[0] == texts[1]
    assert (tmp_path / "run.pdf").stat().st_size < 0.8 * (tmp_path / "dots.pdf").stat().st_size


@pytest.mark.parametrize("leader, style", [
    ("'AV'", ""),  # Pango kerns "VA" across the joins of a run: narrower than the dots
    ("'. '", "a { letter-spacing: 1px }"),  # half a space at a run's ends, not each box's
    ("'. '", "a { word-spacing: 3px }"),
    ("'. '", "a { text-overflow: ellipsis; overflow: hidden; white-space: nowrap }"),
], ids=["kerned", "letter-spacing", "word-spacing", "ellipsis"])
def test_a_leader_a_run_would_move_keeps_its_dots(leader, style, monkeypatch):
    html = HTML.replace("content: leader('. ')", f"content: leader({leader})").replace(
        "</style>", f" {style}</style>")
    ours = weasyprint.HTML(string=html).write_pdf()  # (an ellipsis asserted on a run)
    monkeypatch.setattr(inline, "handle_leader", leaders._handle_leader)  # WeasyPrint's
    assert ours == weasyprint.HTML(string=html).write_pdf()
