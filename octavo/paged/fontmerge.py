"""One font program per face in the assembled book: `merge_fonts(pdf)`.

Each part embeds its own subset of each face it uses (WeasyPrint names a face's subset
the same in every part: its tag is a hash of the face). WeasyPrint keeps the font's own
glyph ids in a subset, so the subsets of one face are merged glyph by glyph into one
program that every part's font of that face uses: the book embeds each face once (and
never two different programs under one name, which PDF forbids). A face whose subsets
cannot be merged (not TrueType, not Identity-H) keeps them apart, each under a tag of
its own.
"""

from __future__ import annotations

import hashlib
import struct

import pikepdf

def _font_dictionaries(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The pages' font resource dictionaries (one per part: WeasyPrint shares it)."""
    found = {}
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font")
        if fonts is not None:
            found.setdefault(fonts.objgen if fonts.is_indirect else id(fonts), fonts)
    return list(found.values())


def _mergeable(font) -> bool:
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return False
    descendant = font.DescendantFonts[0]
    return descendant.get("/Subtype") == "/CIDFontType2" \
        and descendant.get("/CIDToGIDMap") == "/Identity" \
        and "/FontFile2" in descendant.get("/FontDescriptor", {}) \
        and "/ToUnicode" in font


def _tables(font: bytes) -> dict[bytes, bytes]:
    """A TrueType font's tables, by tag."""
    count = struct.unpack_from(">H", font, 4)[0]
    tables = {}
    for record in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", font, 12 + 16 * record)
        tables[tag] = font[offset:offset + length]
    return tables


def _glyphs(tables: dict[bytes, bytes]) -> list[bytes]:
    """Each glyph's outline data, by glyph id."""
    count = struct.unpack_from(">H", tables[b"maxp"], 4)[0]
    if struct.unpack_from(">h", tables[b"head"], 50)[0] == 1:
        offsets = struct.unpack_from(f">{count + 1}I", tables[b"loca"])
    else:
        offsets = [value * 2 for value in struct.unpack_from(f">{count + 1}H", tables[b"loca"])]
    glyf = tables[b"glyf"]
    return [glyf[start:end] for start, end in zip(offsets, offsets[1:])]


class _Metrics:
    """Each glyph's (advance, left side bearing), by glyph id, read from `hmtx` when
    asked: a subset has thousands of glyph ids, and a merge takes few glyphs from most."""

    def __init__(self, tables: dict[bytes, bytes], count: int):
        self.long_count = struct.unpack_from(">H", tables[b"hhea"], 34)[0]
        self.hmtx = hmtx = tables[b"hmtx"]
        self.longs = len(hmtx[:4 * self.long_count]) // 4  # (advance, bearing) pairs
        self.last = struct.unpack_from(">H", hmtx, 4 * (self.longs - 1))[0] \
            if self.longs else 0
        rest = len(hmtx[4 * self.long_count:4 * self.long_count + 2 * (count - self.long_count)])
        self.length = self.longs + rest // 2

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, gid: int) -> tuple[int, int]:
        if gid < self.longs:
            return struct.unpack_from(">Hh", self.hmtx, 4 * gid)
        at = 4 * self.long_count + 2 * (gid - self.longs)
        return self.last, struct.unpack_from(">h", self.hmtx, at)[0]


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _font(tables: dict[bytes, bytes]) -> bytes:
    """A TrueType font file of `tables` (the head's checksum adjustment recomputed)."""
    tags = sorted(tables)
    head = bytearray(tables[b"head"])
    head[8:12] = b"\0\0\0\0"
    tables = {**tables, b"head": bytes(head)}
    power = 1 << (len(tags).bit_length() - 1)
    directory = struct.pack(">IHHHH", 0x00010000, len(tags), power * 16, power.bit_length() - 1,
                            len(tags) * 16 - power * 16)
    offset, records, body = 12 + 16 * len(tags), [], []
    for tag in tags:
        data = tables[tag]
        records.append(struct.pack(">4sIII", tag, _checksum(data), offset, len(data)))
        body.append(data + b"\0" * (-len(data) % 4))
        offset += len(body[-1])
    font = bytearray(directory + b"".join(records) + b"".join(body))
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    at = 12 + 16 * len(tags) + sum(len(piece) for piece, tag in zip(body, tags) if tag < b"head")
    font[at + 8:at + 12] = struct.pack(">I", adjustment)
    return bytes(font)


def _merged_program(programs: list[bytes]) -> bytes:
    """The glyphs of every subset in one font. The subsets keep the face's glyph ids, so
    each glyph is taken, with its metrics, from the first subset that has its outline;
    the other tables are those of the subset with the most glyph ids."""
    fonts = [_tables(program) for program in programs]
    outlines = [_glyphs(tables) for tables in fonts]
    metrics = [_Metrics(tables, len(glyphs)) for tables, glyphs in zip(fonts, outlines)]
    base = max(range(len(fonts)), key=lambda index: len(outlines[index]))
    count = len(outlines[base])
    chosen = [base] * count  # the subset each glyph is taken from
    taken = [False] * count
    for index, glyphs in enumerate(outlines):
        for gid, data in enumerate(glyphs[:count]):
            if data and not taken[gid]:
                chosen[gid], taken[gid] = index, True
    glyf, loca, hmtx, offset = [], [0], [], 0
    for gid, source in enumerate(chosen):
        data = outlines[source][gid] if gid < len(outlines[source]) else b""
        data += b"\0" * (-len(data) % 4)
        glyf.append(data)
        offset += len(data)
        loca.append(offset)
        hmtx.append(metrics[source][gid] if gid < len(metrics[source]) else (0, 0))
    tables = dict(fonts[base])
    tables[b"glyf"] = b"".join(glyf)
    tables[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
    tables[b"hmtx"] = b"".join(struct.pack(">Hh", *entry) for entry in hmtx)
    head = bytearray(tables[b"head"])
    head[50:52] = struct.pack(">h", 1)  # long loca offsets
    tables[b"head"] = bytes(head)
    hhea = bytearray(tables[b"hhea"])
    hhea[10:12] = struct.pack(">H", max(advance for advance, _ in hmtx))
    hhea[34:36] = struct.pack(">H", count)
    tables[b"hhea"] = bytes(hhea)
    maxp = bytearray(tables[b"maxp"])
    if len(maxp) >= 32:  # version 1.0: the largest of each limit
        for at in range(6, 32, 2):
            maxp[at:at + 2] = struct.pack(">H", max(
                struct.unpack_from(">H", font[b"maxp"], at)[0] for font in fonts
                if len(font[b"maxp"]) >= 32))
    tables[b"maxp"] = bytes(maxp)
    return _font(tables)


def _share_program(pdf: pikepdf.Pdf, fonts: list[pikepdf.Object]) -> None:
    """The subsets `fonts` of one face get one font program, the union of theirs. Each
    font keeps its own widths and ToUnicode map: WeasyPrint writes a glyph's width as
    it first met it (rounded at that size), and each part's text is placed against its
    own widths, so only the outlines are shared."""
    descriptors = [font.DescendantFonts[0].FontDescriptor for font in fonts]
    program = _merged_program([descriptor.FontFile2.read_bytes() for descriptor in descriptors])
    shared = pdf.make_stream(program, Length1=len(program))
    boxes = [[float(value) for value in descriptor.FontBBox] for descriptor in descriptors]
    union = pikepdf.Array([min(box[0] for box in boxes), min(box[1] for box in boxes),
                           max(box[2] for box in boxes), max(box[3] for box in boxes)])
    for descriptor in descriptors:
        descriptor.FontFile2 = shared
        descriptor.FontBBox = union
        if "/CIDSet" in descriptor:
            del descriptor["/CIDSet"]


def _retag(font, number: int) -> None:
    """A subset of its own gets a tag of its own (the face's tag, changed)."""
    base = str(font.BaseFont)
    digest = hashlib.md5(f"{base}:{number}".encode()).digest()
    tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
    name = pikepdf.Name("/" + tag + base[base.index("+"):] if "+" in base else base)
    font.BaseFont = name
    if "/DescendantFonts" in font:
        font.DescendantFonts[0].BaseFont = name
        font.DescendantFonts[0].FontDescriptor.FontName = name


def merge_fonts(pdf: pikepdf.Pdf) -> None:
    faces: dict[str, list[pikepdf.Object]] = {}  # BaseFont -> distinct font objects
    for fonts in _font_dictionaries(pdf):
        for font in fonts.values():
            group = faces.setdefault(str(font.get("/BaseFont")), [])
            if all(font.objgen != known.objgen for known in group):
                group.append(font)
    for group in faces.values():
        if len(group) < 2:
            continue
        if all(_mergeable(font) for font in group):
            _share_program(pdf, group)
        else:
            for number, font in enumerate(group[1:], 2):
                _retag(font, number)
