"""The stylesheets of the paged layout, in cascade order, as WeasyPrint objects.

Octavo's own (base.css, design.css, print.css from the styles folder), then the book's
(the [design] table's `stylesheets`, from the manuscript folder). design.css is a
template of values: each `${name}` is filled from the book's `Design`, already checked,
so no CSS rule is ever written here. The book's stylesheets are untrusted: they are read
through a fetcher that reaches only the manuscript folder (their `@import` and `url()`
were also checked at load, with file:line: manuscript/book_css.py), and what WeasyPrint
ignores in them (a bad value) is kept with its file and line for the DES-002 check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import weasyprint

from ..fonts import GREEK_FAMILY, SCRIPT_FONTS, partial_greek
from ..manuscript.book import Book
from ..manuscript.design import A5_BASE_SIZE_PT, Design
from ..manuscript.fetcher import MANUSCRIPT_URL, SafeFetcher

TEMPLATES = ("design.css",)  # Octavo's stylesheets that are filled with the book's values
WEASYPRINT_AT = re.compile(r" at (\d+):(\d+)")  # "Ignored `color: x` at 3:5, invalid value."


def _number(value: float) -> str:
    """A CSS number: at most six decimals, no trailing zeros (A5's factors are `1`)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _family(name: str) -> str:
    """A family name as a CSS string (design.py allowed no quote or backslash in it)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def design_values(design: Design) -> dict[str, str]:
    """The book's design as the values design.css names."""
    scale_x, scale_y = design.scale
    return {
        "trim_width": f"{_number(design.width_mm)}mm",
        "trim_height": f"{_number(design.height_mm)}mm",
        "bleed": f"{_number(design.bleed_mm)}mm",
        "scale_x": _number(scale_x), "scale_y": _number(scale_y),
        "type_scale": _number(design.size_pt / A5_BASE_SIZE_PT),
        "base_size": f"{_number(design.size_pt)}pt",
        "line_height": f"{_number(design.leading_pt)}pt",
        "font": _family(design.font),
        "heading_font": _family(design.heading_font or design.font),
        # every script after the design's fonts (issue 14): names from fonts.FONT_STACK
        "scripts": ", ".join(_family(name) for name in SCRIPT_FONTS) + ", serif",
        "greek": _family(GREEK_FAMILY) + ", " if partial_greek(design.font) else "",
        "heading_greek": _family(GREEK_FAMILY) + ", "
        if partial_greek(design.heading_font or design.font) else "",
        "code_font": _family(design.code_font),
        "text_align": "justify" if design.justify else "left",
        "hyphens": "auto" if design.hyphenate else "manual",
    }


def filled(template: Path, design: Design) -> str:
    """A template stylesheet with the book's values in place of its `${name}`s."""
    return Template(template.read_text(encoding="utf-8")).substitute(design_values(design))


@dataclass
class Stylesheets:
    css: list = field(default_factory=list)  # weasyprint.CSS, in cascade order
    warnings: list[str] = field(default_factory=list)  # WeasyPrint's, on Octavo's own CSS
    problems: list[tuple[str, int | None, str]] = field(default_factory=list)  # book CSS
    fetchers: list[SafeFetcher] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        return [message for fetcher in self.fetchers for message in fetcher.refused]


def paged_stylesheets(book: Book, names: tuple[str, ...], styles_dir: Path,
                      style_fetcher: SafeFetcher, color_profiles: dict,
                      captured, font_config=None) -> Stylesheets:
    """Octavo's `names` from `styles_dir`, then the book's own stylesheets.

    `captured()` is a context that collects WeasyPrint's warnings into a list;
    `font_config` takes the @font-face rules of Octavo's stylesheets (scripts.css)."""
    return design_stylesheets(book.folder, book.metadata.design, names, styles_dir,
                              style_fetcher, color_profiles, captured, font_config)


def design_stylesheets(folder: Path, design: Design, names: tuple[str, ...], styles_dir: Path,
                       style_fetcher: SafeFetcher, color_profiles: dict,
                       captured, font_config=None) -> Stylesheets:
    """`paged_stylesheets` for the book in `folder` with `design` (a layout worker has
    the book's design and folder, not the Book)."""
    sheets = Stylesheets(fetchers=[style_fetcher])
    with captured() as sheets.warnings:
        for name in names:
            path = styles_dir / name
            if name in TEMPLATES:
                sheets.css.append(weasyprint.CSS(
                    string=filled(path, design), base_url=path.as_uri(),
                    url_fetcher=style_fetcher, color_profiles=color_profiles,
                    font_config=font_config))
            else:
                sheets.css.append(weasyprint.CSS(filename=str(path), url_fetcher=style_fetcher,
                                                 color_profiles=color_profiles,
                                                 font_config=font_config))
    book_fetcher = SafeFetcher([folder], aliases={MANUSCRIPT_URL: folder})
    sheets.fetchers.append(book_fetcher)
    for sheet in design.stylesheets:
        if not sheet.pdf:
            continue
        text = (folder / sheet.file).read_text(encoding="utf-8", errors="replace")
        with captured() as messages:
            sheets.css.append(weasyprint.CSS(string=text, base_url=MANUSCRIPT_URL + sheet.file,
                                             url_fetcher=book_fetcher,
                                             color_profiles=color_profiles))
        for message in messages:
            found = WEASYPRINT_AT.search(message)
            sheets.problems.append((sheet.file, int(found.group(1)) if found else None,
                                    WEASYPRINT_AT.sub("", message).rstrip(".")))
    return sheets
