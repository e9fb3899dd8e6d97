"""Walking a PDF's content streams: where images are placed, which glyphs fonts draw."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from .marks import crop_mark_operators
from .opened import opened

MAX_DEPTH = 12
STREAM_ENCODING = ("/Length", "/Filter", "/DecodeParms")  # how a stream is stored, not what
WALKED_OPERATORS = "q Q cm Tf Tj TJ ' \" Do"  # pikepdf skips the rest in C++
IMAGE_OPERATORS = "q Q cm Do"  # enough to place the images, when the text is not wanted


@dataclass(frozen=True)
class PlacedImage:
    page: int  # 1-based
    name: str
    pixels: tuple[int, int]
    size_pt: tuple[float, float]  # placed width and height
    bytes: int

    @property
    def ppi(self) -> float:
        """Effective resolution: pixels over placed inches (the smaller of the two axes)."""
        width_in, height_in = self.size_pt[0] / 72, self.size_pt[1] / 72
        if width_in <= 0 or height_in <= 0:
            return math.inf
        return min(self.pixels[0] / width_in, self.pixels[1] / height_in)


@dataclass(frozen=True)
class FontInfo:
    base_font: str  # e.g. "ABCDEF+CharisSIL"
    embedded: bool
    glyphs: int | None  # glyphs in the embedded program; a code at or past it draws nothing


@dataclass(frozen=True)
class TextRun:
    page: int
    font: FontInfo
    codes: bytes


def _glyph_count(descriptor) -> int | None:
    program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
    if program is None:
        return None
    try:
        from fontTools.ttLib import TTFont
        return int(TTFont(io.BytesIO(program.read_bytes()), lazy=True)["maxp"].numGlyphs)
    except Exception:  # noqa: BLE001 - a font we cannot parse is judged by other checks
        return None


def font_info(font, cache: dict) -> FontInfo:
    if font.objgen in cache:
        return cache[font.objgen]
    target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
    descriptor = target.get("/FontDescriptor")
    embedded = descriptor is not None and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    cid_font = "/DescendantFonts" in font
    info = FontInfo(str(target.get("/BaseFont", "/?")).lstrip("/"), embedded,
                    _glyph_count(descriptor) if embedded and cid_font else None)
    cache[font.objgen] = info
    return info


def multiply(m, n):
    """The PDF matrix product m × n (m applied first), matrices as [a b c d e f]."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]*)>")
_DO_OPERATOR = re.compile(rb"(?<![^\s\]>)])Do(?![^\s()<>\[\]{}/%])")


def box(values) -> tuple[float, float, float, float]:
    """A PDF rectangle as (left, bottom, right, top), whichever corners it names."""
    x0, y0, x1, y1 = (float(v) for v in values)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def transformed_box(rect, matrix) -> tuple[float, float, float, float]:
    """The bounding box of `rect` mapped through the PDF matrix [a b c d e f]."""
    a, b, c, d, e, f = matrix
    corners = [(x, y) for x in (rect[0], rect[2]) for y in (rect[1], rect[3])]
    xs = [a * x + c * y + e for x, y in corners]
    ys = [b * x + d * y + f for x, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _tj_codes(array) -> bytes:
    """The bytes of a TJ array's strings, joined. Fast path: its unparsed form holds hex
    strings and empty literals only (as WeasyPrint writes them); else item by item."""
    unparsed = array.unparse()
    if b"(" not in unparsed.replace(b"()", b""):
        strings = _HEX_STRING.findall(unparsed)
        if unparsed.count(b"<") == len(strings) and not any(len(h) % 2 for h in strings):
            return bytes.fromhex(b"".join(strings).decode("ascii"))
    return b"".join(bytes(item) for item in array if isinstance(item, pikepdf.String))


def _draws_xobjects(stream_owner) -> bool:
    data = b"\n".join(stream.read_bytes() for stream in content_streams(stream_owner))
    return b"Do" in data and _DO_OPERATOR.search(data) is not None


def _walk(stream_owner, resources, ctm, page, images, runs, fonts_seen, depth=0):
    if depth > MAX_DEPTH:
        return
    stack, font = [], None
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    fonts = resources.get("/Font", {}) if resources is not None else {}
    if runs is None and (not xobjects or not _draws_xobjects(stream_owner)):
        return  # no image on this page, and the text is not wanted
    operators = WALKED_OPERATORS if runs is not None else IMAGE_OPERATORS
    for operands, operator in pikepdf.parse_content_stream(stream_owner, operators):
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = multiply(tuple(float(v) for v in operands), ctm)
        elif op == "Tf":
            found = fonts.get(str(operands[0]))
            font = font_info(found, fonts_seen) if found is not None else None
        elif op in ("Tj", "'", '"') and font is not None:
            runs.append(TextRun(page, font, bytes(operands[-1])))
        elif op == "TJ" and font is not None:
            # One run per TJ, not per string: a justified line has dozens (codes stay aligned).
            runs.append(TextRun(page, font, _tj_codes(operands[0])))
        elif op == "Do":
            name = str(operands[0])
            xobject = xobjects.get(name)
            if xobject is None:
                continue
            if xobject.get("/Subtype") == "/Image":
                a, b, c, d, _, _ = ctm
                images.append(PlacedImage(page, name, (int(xobject.Width), int(xobject.Height)),
                                          (math.hypot(a, b), math.hypot(c, d)),
                                          len(xobject.read_raw_bytes())))
            elif xobject.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                _walk(xobject, xobject.get("/Resources", resources), multiply(matrix, ctm),
                      page, images, runs, fonts_seen, depth + 1)


def walk_pdf(pdf: pikepdf.Pdf, text: bool = True, kept: tuple | None = None
             ) -> tuple[list[PlacedImage], list[TextRun]]:
    """The placed images and (unless `text` is False, which is much quicker) the text runs.

    `kept`: (memo, keys, role), the runner's memo and, for each page, a key naming what it
    shows (`pagination.BookLayout.page_keys`; `role` tells the files apart: their images
    differ): a page an earlier build walked under the same key is not walked again (its
    runs take their fonts from this file)."""
    images, runs, fonts_seen = [], [] if text else None, {}
    memo, keys, role = kept if kept and len(kept[1]) == len(pdf.pages) else (None, None, None)
    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.get("/Resources")
        name = memo.key("walk", role, text, keys[number - 1]) if memo is not None else None
        known = memo.get(name) if name else None
        if known is not None:
            _known_page(json.loads(known), number, resources, images, runs, fonts_seen)
            continue
        names: list[str] = []
        found = _plain_text_runs(page, resources, number, fonts_seen, names) if text else None
        before = len(images)
        if found is not None or not text:  # the text read quickly; the images walked alone
            if found:
                runs.extend(found)
            _walk(page, resources, (1, 0, 0, 1, 0, 0), number, images, None, fonts_seen)
            if name:
                memo.put(name, json.dumps({"images": [
                    [image.name, *image.pixels, *image.size_pt, image.bytes]
                    for image in images[before:]], "runs": [
                    [font, run.codes.hex()] for font, run in zip(names, found or [])]}).encode())
        else:
            _walk(page, resources, (1, 0, 0, 1, 0, 0), number, images, runs, fonts_seen)
    return images, runs if text else []


def _known_page(known: dict, number: int, resources, images: list, runs: list | None,
                fonts_seen: dict) -> None:
    for name, width, height, placed_width, placed_height, size in known["images"]:
        images.append(PlacedImage(number, name, (width, height),
                                  (placed_width, placed_height), size))
    if runs is not None:
        fonts, named = resources.get("/Font", {}), {}  # (each font's, looked up once a page)
        for font, codes in known["runs"]:
            info = named.get(font)
            if info is None:
                info = named[font] = font_info(fonts[font], fonts_seen)
            runs.append(TextRun(number, info, bytes.fromhex(codes)))


_END = rb"(?![^\s()<>\[\]{}/%])"  # an operator ends at white space or a delimiter
_TOKEN = re.compile(rb"(?<!\S)(BT)" + _END + rb"|/([^\s/\[\]<>(){}%#]+)\s+[-+.\d]+\s+Tf" + _END
                    + rb"|\[([^\]]*)\]\s*TJ" + _END + rb"|<([0-9A-Fa-f]*)>\s*Tj" + _END)
_INLINE_IMAGE = re.compile(rb"(?<!\S)BI" + _END)
_TEXT_OPERATOR = re.compile(rb"(?:Tf|T[Jj])" + _END)  # every font choice and show


def _has_forms(resources, cache: dict) -> bool:
    """Does this resource dictionary hold a form XObject? (WeasyPrint shares one.)"""
    def has_forms():
        return any(xobject.get("/Subtype") == "/Form"
                   for xobject in resources.get("/XObject", {}).values())
    if not getattr(resources, "is_indirect", False):
        return has_forms()  # a direct dictionary: not kept (its id may be reused)
    key = ("forms", resources.objgen)
    if key not in cache:
        cache[key] = has_forms()
    return cache[key]


def _plain_text_runs(page, resources, number: int, fonts_seen: dict,
                     names: list | None = None) -> list[TextRun] | None:
    """The text runs of a page written as WeasyPrint writes (hex strings only, each text
    object choosing its font before it shows text, no forms), read with regular
    expressions; None for any other page, which the full content-stream walk reads."""
    if resources is None or _has_forms(resources, fonts_seen):
        return None  # text could be drawn inside a form
    data = b"\n".join(stream.read_bytes() for stream in content_streams(page))
    if any(mark in data for mark in (b"(", b"'", b'"', b"%")) or _INLINE_IMAGE.search(data):
        return None  # literal strings, other shows, comments, inline images: not plain
    fonts = resources.get("/Font", {})
    runs, read, font = [], 0, None
    for begin, name, array, string in _TOKEN.findall(data):
        if begin:
            font = None  # each text object must choose its font before it shows text
            continue
        read += 1
        if name:
            font_name = "/" + name.decode("latin-1")
            found = fonts.get(font_name)
            if found is None:
                return None
            font = font_info(found, fonts_seen)
        elif font is None:
            return None  # shows text in a font chosen elsewhere: walk it properly
        else:
            strings = _HEX_STRING.findall(array) if array else [string]
            hex_digits = b"".join(strings)
            if len(hex_digits) % 2 or array and array.count(b"<") != len(strings):
                return None  # odd digits, or a string the expression did not read
            runs.append(TextRun(number, font, bytes.fromhex(hex_digits.decode("ascii"))))
            if names is not None:
                names.append(font_name)
    if read != len(_TEXT_OPERATOR.findall(data)):
        return None  # a font choice or a show the expressions did not read
    return runs


def content_streams(owner) -> list:
    """The content streams of a page, or a form XObject itself."""
    if isinstance(owner, pikepdf.Stream):
        return [owner]
    contents = owner.obj.get("/Contents")
    if contents is None:
        return []
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def joined_content(page) -> bytes:
    """A page's content streams as one, the way qpdf joins them into a form XObject:
    a newline between two streams unless the first ends with one."""
    data = b""
    for stream in content_streams(page):
        if data and not data.endswith(b"\n"):
            data += b"\n"
        data += stream.read_bytes()
    return data


def _print_wrapper(page) -> tuple[bytes, bytes] | None:
    """The exact first and last streams `paged.finish.add_crop_marks` puts around a page."""
    if "/TrimBox" not in page.obj:
        return None
    media = [float(value) for value in page.obj.MediaBox]
    trim = [float(value) for value in page.obj.TrimBox]
    return b"q\n", b"Q\n" + crop_mark_operators(media, trim)


def _digest(obj, cache: dict, depth: int = 0) -> bytes:
    """A digest of a PDF object and everything it refers to, image data left out (the
    screen's images are downsampled). Remembered per indirect object."""
    if getattr(obj, "is_indirect", False):
        key = ("digest", obj.objgen)
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):  # (a page's resources,
        key = ("direct", obj.unparse())  # written out: the objects it names, by number)
    else:
        key = None
    if key is not None and key in cache:
        return cache[key]
    if key is not None:
        cache[key] = b"(cycle)"  # a reference back to an object being digested
    digest = hashlib.sha1()
    if depth > MAX_DEPTH * 4:
        digest.update(b"(deep)")
    elif isinstance(obj, pikepdf.Stream):
        if obj.get("/Subtype") == "/Image":
            digest.update(b"image")
        else:  # the data as decoded: a working file is not compressed, an edition is
            digest.update(obj.read_bytes())
            for name in sorted(obj.stream_dict.keys()):
                if name not in STREAM_ENCODING:
                    digest.update(name.encode() + _digest(obj.stream_dict[name], cache,
                                                          depth + 1))
    elif isinstance(obj, pikepdf.Dictionary):
        for name in sorted(obj.keys()):
            digest.update(name.encode() + _digest(obj[name], cache, depth + 1))
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            digest.update(_digest(item, cache, depth + 1))
    else:
        digest.update(obj.unparse() if isinstance(obj, pikepdf.Object) else repr(obj).encode())
    value = digest.digest()
    if key is not None:
        cache[key] = value
    return value


def content_digest(content: bytes, resources, cache: dict) -> bytes:
    """A digest of what a content stream draws: its bytes and every resource it may use
    (image data left out). `cache`: one per PDF."""
    digest = hashlib.sha1(content)
    digest.update(_digest(resources, cache) if resources is not None else b"")
    return digest.digest()


@functools.lru_cache(maxsize=4)
def page_fingerprints(path: str, size: int, mtime_ns: int) -> tuple[str, ...]:
    """For each page: a digest of what it draws (its content and every resource: fonts
    with their programs, ToUnicode maps and widths, graphics states...), image data left
    out; and its trim. The print edition's exact crop-mark wrapper is left out too, so a
    print PDF made from the same pages as the screen PDF has the same fingerprints;
    anything else added, removed or changed on a page changes its fingerprint. A file qpdf
    had to repair has none (it is compared with nothing)."""
    return _fingerprints(path, None)


def _fingerprints(path: str, only: set[int] | None) -> tuple:
    """`page_fingerprints`, for the pages `only` names (the others: None)."""
    cache: dict = {}
    found = []
    with opened(path) as pdf:
        for index, page in enumerate(pdf.pages):
            if only is not None and index not in only:
                found.append(None)
                continue
            resources = page.obj.get("/Resources")
            if resources is not None and _has_forms(resources, cache):
                return ()  # a form may draw text: compare nothing (WeasyPrint draws none)
            streams = [stream.read_bytes() for stream in content_streams(page)]
            wrapper = _print_wrapper(page)
            if len(streams) >= 2 and wrapper and (streams[0], streams[-1]) == wrapper:
                streams = streams[1:-1]
            trim = " ".join(f"{value:.3f}" for value in box(page.trimbox)).encode()
            found.append(content_digest(b"\0".join(streams) + b"\0" + trim, resources,
                                        cache).hex())
        if pdf.get_warnings():
            return ()
    return tuple(found)


def same_pages(first: Path, second: Path, kept: tuple | None = None) -> bool:
    """Do two PDFs draw the same text with the same fonts on every page?

    True for the screen and print PDFs made from one tagged write, which lets the checks
    read their text and glyphs once. Images may differ (the screen's are downsampled).

    `kept`: (memo, keys, pair), the runner's memo and a key per page naming what it shows
    (`pagination.BookLayout.page_keys`); `pair` names the two files' roles. A page an
    earlier build found the same in both, under the same key, is not compared again (both
    files still open without repairs, with as many pages)."""
    memo, keys, pair = kept if kept else (None, None, None)
    if memo is None:
        prints = []
        for path in (first, second):
            stat = Path(path).stat()
            prints.append(page_fingerprints(str(path), stat.st_size, stat.st_mtime_ns))
        return bool(prints[0]) and prints[0] == prints[1]
    names = [memo.key("same-page", pair, key) for key in keys]
    unknown = {index for index, name in enumerate(names) if memo.get(name) is None}
    prints = [_fingerprints(str(path), unknown) for path in (first, second)]
    if not prints[0] or prints[0] != prints[1] or len(prints[0]) != len(keys):
        return False
    for index in unknown:
        memo.put(names[index], b"same")
    return True
