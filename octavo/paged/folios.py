"""Folios (page numbers) drawn after the parts are put together.

A part is laid out on its own, so WeasyPrint numbers its pages from 1. Before a part is
written, `take_folios` finds the margin boxes that show the page counter (base.css's
`@bottom-left`/`@bottom-right { content: counter(page) }`), notes where and how
WeasyPrint set them (font, size, colour, the edge the text is aligned on, the baseline)
and takes them out of the page. Once the book's pages are numbered, `draw_folios` sets
each page's number in the same place, in the same font (a small subset of the font
file WeasyPrint used for it, embedded once), as a marked artifact of the page. So a
chapter whose page count changes never makes a later chapter be laid out again.

A margin box that shows anything other than text and the `page` and `pages` counters
is left to WeasyPrint (with the part's own numbers) and reported.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
from dataclasses import asdict, dataclass

import pikepdf

PX_TO_PT = 0.75
COUNTERS = ("page", "pages")
# Every character a page number may need: decimal and roman counter styles.
NUMERALS = "0123456789ivxlcdmIVXLCDM"
ARTIFACT = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"


@dataclass(frozen=True)
class FolioFont:
    """A small subset of the font a folio is set in: the characters it may show."""
    name: str  # the font's PostScript name
    data: str  # the TrueType program, base64
    glyphs: dict  # character -> [glyph id, advance in thousandths of an em]
    ascent: int
    descent: int
    bbox: tuple

    @property
    def key(self) -> str:
        return hashlib.sha1(self.data.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Folio:
    """Where and how a page shows its number, and what it shows."""
    content: tuple  # ("text", s) or ("counter", "page" | "pages", counter style), in order
    align: str  # "left", "right" or "center": which of the text's edges stays at `x`
    x: float  # points from the page's left edge (its trim)
    baseline: float  # points from the page's foot (its trim)
    size: float  # points
    color: tuple  # sRGB, 0..1
    font: str  # FolioFont.key

    def text(self, numbers: dict[str, int], styles) -> str:
        """The folio's text, with `numbers` (counter name -> value) in its styles."""
        return "".join(item[1] if item[0] == "text"
                       else styles.render_value(numbers[item[1]], item[2])
                       for item in self.content)


def _content(style) -> tuple | None:
    """The margin box's content as folio items, or None if it is not a folio."""
    items, counters, other = [], False, False
    for kind, value in style["content"] if isinstance(style["content"], (list, tuple)) else ():
        if kind == "string":
            items.append(("text", value))
        elif kind == "counter()" and value[0] in COUNTERS:
            items.append(("counter", value[0], value[1]))
            counters = True
        else:
            other = True
    if not counters:
        return None
    return () if other else tuple(items)


@functools.lru_cache(maxsize=8)
def _subset(font_data: bytes, characters: str) -> FolioFont:
    """The characters' glyphs of a font, as their own small TrueType font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [1, 2, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "DSIG", "kern", "Silf", "Silt", "Glat",
                            "Gloc", "Feat", "Sill"]  # (Graphite tables: SIL's fonts)
    font = TTFont(io.BytesIO(font_data), lazy=True, recalcTimestamp=False)  # reproducible
    for tag in options.drop_tables:  # dropped unread: the subsetter would parse GSUB and
        if tag in font:              # GPOS only to drop them (0.02 s on Charis)
            del font[tag]
    name = font["name"].getDebugName(6) or "Folio"
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    small = TTFont(io.BytesIO(buffer.getvalue()))
    scale = 1000 / small["head"].unitsPerEm
    cmap = small.getBestCmap()
    glyphs = {chr(code): [small.getGlyphID(glyph), round(small["hmtx"][glyph][0] * scale, 3)]
              for code, glyph in cmap.items() if chr(code) in characters}
    head, hhea = small["head"], small["hhea"]
    return FolioFont(name, base64.b64encode(buffer.getvalue()).decode(), glyphs,
                     round(hhea.ascent * scale), round(hhea.descent * scale),
                     tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)))


_FONTS: dict[tuple, "FolioFont"] = {}  # a font's description -> its folio subset


def _folio_font(textbox, characters: str) -> FolioFont:
    """The subset of the font Pango set the text box's first glyphs in (by the font's
    description: the font file is read and subset once per process)."""
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.fonts import get_hb_object_data, get_pango_font_hb_face
    layout = textbox.pango_layout
    layout.reactivate(textbox.style)  # WeasyPrint frees it until the text is drawn
    try:
        line, _ = layout.get_first_line()
        pango_font = line.runs[0].data.item.analysis.font
        description = pango.pango_font_describe_with_absolute_size(pango_font)
        try:
            name = ffi.string(pango.pango_font_description_to_string(description)).decode()
        finally:
            pango.pango_font_description_free(description)
        if (name, characters) not in _FONTS:
            _FONTS[name, characters] = _subset(
                get_hb_object_data(get_pango_font_hb_face(pango_font)), characters)
        return _FONTS[name, characters]
    finally:
        layout.deactivate()


def take_folios(document) -> tuple[list[Folio | None], dict[str, FolioFont], list[str]]:
    """Each page's folio, taken off the page (None: the page has none); the fonts they
    are set in, by key; and a warning for each margin box left as it was."""
    from weasyprint.formatting_structure import boxes
    folios, fonts, problems = [], {}, []
    for page in document.pages:
        page_box, found = page._page_box, None
        for margin in [c for c in page_box.children if isinstance(c, boxes.MarginBox)]:
            content = _content(margin.style)
            texts = [box for box in margin.descendants() if isinstance(box, boxes.TextBox)]
            if content is None or not texts:
                continue
            if content == () or len(texts) > 1 or found is not None:
                problems.append(f"a page number in {margin.at_keyword} is drawn as WeasyPrint "
                                "numbered the part (only text and the page counters are "
                                "renumbered)")
                continue
            text = texts[0]
            static = "".join(item[1] for item in content if item[0] == "text")
            font = _folio_font(text, "".join(sorted(set(NUMERALS + static))))
            fonts[font.key] = font
            align = text.style["text_align_all"]
            align = {"start": "left", "end": "right", "justify": "left"}.get(align, align)
            edge = {"left": 0, "center": 0.5, "right": 1}.get(align, 0)
            r, g, b = text.style["color"].to("srgb").coordinates
            found = Folio(content, align if align in ("left", "center", "right") else "left",
                          round((text.position_x + edge * text.width) * PX_TO_PT, 4),
                          round((page.height - text.position_y - text.baseline) * PX_TO_PT, 4),
                          round(text.style["font_size"] * PX_TO_PT, 4),
                          (round(r, 4), round(g, 4), round(b, 4)), font.key)
            page_box.children = [child for child in page_box.children if child is not margin]
        folios.append(found)
    return folios, fonts, problems


def folio_from_json(data: dict | None) -> Folio | None:
    if data is None:
        return None
    return Folio(tuple(tuple(item) for item in data["content"]), data["align"], data["x"],
                 data["baseline"], data["size"], tuple(data["color"]), data["font"])


def font_from_json(data: dict) -> FolioFont:
    return FolioFont(data["name"], data["data"], data["glyphs"], data["ascent"],
                     data["descent"], tuple(data["bbox"]))


def to_json(item) -> dict | None:
    return asdict(item) if item is not None else None


# ---------- after the merge ----------

def _embed(pdf: pikepdf.Pdf, font: FolioFont) -> pikepdf.Object:
    """The font as a Type 0 font (Identity-H, glyph ids as codes), with its widths and a
    ToUnicode map, so the folio copies and reads as its digits."""
    program = base64.b64decode(font.data)
    tag = "".join(chr(65 + byte % 26) for byte in hashlib.md5(program).digest()[:6])
    base = pikepdf.Name(f"/{tag}+{font.name}")
    by_glyph = {gid: (char, width) for char, (gid, width) in sorted(font.glyphs.items())}
    widths = pikepdf.Array()
    for gid in sorted(by_glyph):
        widths.extend([gid, pikepdf.Array([by_glyph[gid][1]])])
    cmap = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
            "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange",
            f"{len(by_glyph)} beginbfchar"]
    cmap += [f"<{gid:04x}> <{ord(char):04x}>" for gid, (char, _) in sorted(by_glyph.items())]
    cmap += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop",
             "end", "end"]
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=base, Flags=6,
        FontBBox=pikepdf.Array(list(font.bbox)), ItalicAngle=0, Ascent=font.ascent,
        Descent=font.descent, CapHeight=font.ascent, StemV=80,
        FontFile2=pdf.make_stream(program, Length1=len(program))))
    cid_font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=base,
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                         Ordering=pikepdf.String("Identity"), Supplement=0),
        CIDToGIDMap=pikepdf.Name.Identity, W=widths, FontDescriptor=descriptor))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=base,
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([cid_font]),
        ToUnicode=pdf.make_stream("\n".join(cmap).encode())))


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def folio_operators(folio: Folio, text: str, font: FolioFont, resource: str) -> bytes:
    """The page content that draws `text` as WeasyPrint drew the part's own folio."""
    glyphs = [font.glyphs[char] for char in text if char in font.glyphs]
    width = sum(advance for _, advance in glyphs) / 1000 * folio.size
    x = folio.x - {"left": 0, "center": width / 2, "right": width}[folio.align]
    codes = "".join(f"{gid:04x}" for gid, _ in glyphs)
    color = " ".join(_number(channel) for channel in folio.color)
    return ARTIFACT + (f"q {color} rg BT /{resource} {_number(folio.size)} Tf "
                       f"{_number(x)} {_number(folio.baseline)} Td <{codes}> Tj ET Q\n"
                       "EMC\n").encode()


def draw_folios(pdf: pikepdf.Pdf, pages: list[tuple[int, Folio, str]],
                fonts: dict[str, FolioFont]) -> None:
    """Draw each (page index, folio, text) of `pages` on `pdf`'s page, in the trim's
    coordinates (WeasyPrint's page content leaves its own transformation behind: it is
    saved and restored around the page's content)."""
    embedded: dict[str, tuple[str, pikepdf.Object]] = {}
    save = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
    for index, folio, text in pages:
        if folio.font not in embedded:
            embedded[folio.font] = (f"OctavoFolio{len(embedded) + 1}",
                                    _embed(pdf, fonts[folio.font]))
        name, font = embedded[folio.font]
        page = pdf.pages[index]
        resources = page.obj.Resources
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font[f"/{name}"] = font
        page.contents_add(save, prepend=True)
        page.contents_add(pdf.make_stream(
            b"Q\n" + folio_operators(folio, text, fonts[folio.font], name)))
