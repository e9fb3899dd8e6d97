"""WeasyPrint 70 broke a line after the first word of a run of text when the run fitted
the line but its trailing space before an inline element did not (paged/linebreak.py).
The corpus book printed "A" alone on a line above "method that has not yet been invoked
by the function call operator"."""

from __future__ import annotations

import weasyprint
from weasyprint.formatting_structure import boxes

import octavo.paged  # noqa: F401 - applies the mend

SENTENCE = ("A method that has not yet been invoked by the function call operator "
            "<code>()</code> is known as a <em>bound method</em>. It operates on the "
            "instance where it originated.")
CSS = weasyprint.CSS(string="p { text-align: justify; hyphens: auto; font: 10pt 'Charis SIL' }"
                            " code { font: 0.86em 'DejaVu Sans Mono' }")


def lines(width_mm: float) -> list[str]:
    html = f'<html lang="en"><p style="width: {width_mm}mm">{SENTENCE}</p></html>'
    page = weasyprint.HTML(string=html).render(stylesheets=[CSS]).pages[0]
    found = []

    def walk(box):
        if isinstance(box, boxes.LineBox):
            found.append("".join(b.text for b in box.descendants()
                                 if isinstance(b, boxes.TextBox)).strip())
            return
        for child in getattr(box, "children", []):
            walk(child)
    walk(page._page_box)
    return found


def test_a_run_before_inline_code_is_not_cut_after_its_first_word():
    widths = [w / 4 for w in range(400, 480)]  # 100 to 120 mm, every 0.25 mm
    first_lines = {width: lines(width)[0] for width in widths}
    assert [w for w, line in first_lines.items() if len(line.split()) < 3] == []
    # the case happened at these widths: the run fits, "()" goes to the next line
    assert any(line.endswith("operator") for line in first_lines.values())
