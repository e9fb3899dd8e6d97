"""Synthetic A5 PDFs for the imposition tests: page k shows its folio as large text "Page k".

WeasyPrint lays the pages out, as it does for the real book. Rendering is the slow part
(a few seconds for 300 pages), so one long document is rendered per variant and cached for
the whole test session; an n-page document is its first n pages, copied with pikepdf
(page k of the long document already reads "Page k", and page n is a fine back cover).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pikepdf

MAX_PAGES = 300
A5_PT = (419.527559, 595.275591)  # 148 × 210 mm
BLEED_PT = 3 * 72 / 25.4

_CSS = """
@page { size: A5; margin: 20mm 18mm; %(bleed)s }
html { font-family: "DejaVu Sans", sans-serif; }
div.page { break-after: page; height: 100%%; }
div.page:last-child { break-after: auto; }
p.folio { font-size: 40pt; text-align: center; margin: 60mm 0 0; }
"""

_workdir: Path | None = None


def _folder() -> Path:
    global _workdir
    if _workdir is None:
        _workdir = Path(tempfile.mkdtemp(prefix="octavo-synthetic-"))
    return _workdir


def _html(pages: int) -> str:
    body = "".join(f'<div class="page"><p class="folio">Page {k}</p></div>'
                   for k in range(1, pages + 1))
    return f'<!DOCTYPE html><html lang="en"><head><title>Synthetic</title></head><body>{body}</body></html>'


@functools.lru_cache(maxsize=None)
def _long_pdf(bleed: bool) -> Path:
    """The MAX_PAGES-page document, rendered once per session and variant."""
    import weasyprint
    css = _CSS % {"bleed": "bleed: 3mm; marks: crop;" if bleed else ""}
    target = _folder() / f"long-{'bleed' if bleed else 'trim'}.pdf"
    weasyprint.HTML(string=_html(MAX_PAGES)).write_pdf(
        target, stylesheets=[weasyprint.CSS(string=css)])
    return target


@functools.lru_cache(maxsize=None)
def a5_pdf(pages: int, bleed: bool = False) -> Path:
    """An A5 PDF of `pages` pages reading "Page 1" … "Page n" (cached; do not modify it).

    With bleed=True each page has a 3 mm bleed and crop marks: MediaBox larger than the
    TrimBox, as in the print-ready PDF.
    """
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"1..{MAX_PAGES} pages, not {pages}")
    target = _folder() / f"a5-{pages}{'-bleed' if bleed else ''}.pdf"
    with pikepdf.open(_long_pdf(bleed)) as long, pikepdf.new() as short:
        short.pages.extend(long.pages[:pages])
        short.save(target, deterministic_id=True)
    return target


def without_trimbox(source: Path, target: Path) -> Path:
    """A copy of `source` with the TrimBox and BleedBox removed (MediaBox only)."""
    with pikepdf.open(source) as pdf:
        for page in pdf.pages:
            for key in ("/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"):
                if key in page.obj:
                    del page.obj[key]
        pdf.save(target, deterministic_id=True)
    return target


@functools.lru_cache(maxsize=None)
def numbered_pdf(pages: int, size: tuple[float, float] = A5_PT, bleed: float = 0.0) -> Path:
    """A `pages`-page PDF made directly with pikepdf (no layout: 1,000 pages in a blink):
    page k reads "Page k" in Helvetica (pdfium reads it back) and has a thin frame 10 pt
    inside its trim. `size`: the trim in pt; `bleed`: the MediaBox's margin around it
    (the TrimBox is always set). Cached; do not modify it."""
    width, height = size
    target = _folder() / f"numbered-{pages}-{width:g}x{height:g}-{bleed:g}.pdf"
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
        resources = pdf.make_indirect(pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
        for k in range(1, pages + 1):
            page = pdf.add_blank_page(page_size=(width + 2 * bleed, height + 2 * bleed))
            page.obj.TrimBox = pikepdf.Array([bleed, bleed, bleed + width, bleed + height])
            page.obj.Resources = resources
            page.obj.Contents = pdf.make_stream(
                f"q 0.5 w {bleed + 10} {bleed + 10} {width - 20} {height - 20} re S Q "
                f"BT /F1 24 Tf {bleed + width / 2 - 40} {bleed + height / 2} Td (Page {k}) Tj "
                "ET".encode())
        pdf.docinfo.Title = "Synthetic Book"
        pdf.save(target, deterministic_id=True)
    return target
