"""Helpers for tests/test_hostile.py: copy a corpus entry, plant the secret, scan outputs.

Every entry is copied into a temporary folder. Beside the copy (outside the manuscript
folder) the secret is planted as a text, Markdown, PNG, JPEG, SVG, CSS and TOML file, each
carrying MARKER. `{SECRET_DIR}` and `{PORT}` in the entry's text files are replaced by
that folder and by a loopback port. Large or binary inputs are generated here, at run time.
"""

from __future__ import annotations

import io
import shutil
import socket
import struct
import zipfile
import zlib
from pathlib import Path

import pikepdf
from PIL import Image, PngImagePlugin

from octavo.pdfread.text import page_texts

HOSTILE = Path(__file__).resolve().parent / "hostile"
MARKER = "OCTAVO-SECRET-3f9c2e71"
TEMPLATED = (".md", ".toml", ".svg")


def plant_secret(folder: Path) -> None:
    """The secret, in every form a manuscript might try to pull in."""
    (folder / "secret.txt").write_text(f"{MARKER} password=hunter2\n", encoding="utf-8")
    (folder / "secret.md").write_text(f"# {MARKER}\n\nThe {MARKER} paragraph.\n",
                                      encoding="utf-8")
    (folder / "secret.css").write_text(f"/* {MARKER} */ p {{ color: red }}\n", encoding="utf-8")
    (folder / "secret.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20">'
        f'<text id="x" y="15">{MARKER}</text></svg>\n', encoding="utf-8")
    (folder / "secret.toml").write_text(
        f'title = "{MARKER}"\nlanguage = "en"\nidentifier = "urn:{MARKER}"\n'
        'slug = "secret"\nchapters = ["text.md"]\n', encoding="utf-8")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKER)
    Image.new("RGB", (32, 32), (200, 30, 30)).save(folder / "secret.png", "PNG", pnginfo=info)
    Image.new("RGB", (32, 32), (200, 30, 30)).save(folder / "secret.jpg", "JPEG",
                                                   comment=MARKER.encode())


def copy_entry(name: str, into: Path, port: int = 9) -> Path:
    """The entry `name`, copied to `into/name`, templated, generated parts written."""
    plant_secret(into)
    target = into / name
    shutil.copytree(HOSTILE / name, target, symlinks=True)
    for path in target.rglob("*"):
        if path.suffix in TEMPLATED and path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            new = data.replace(b"{SECRET_DIR}", str(into).encode()).replace(
                b"{PORT}", str(port).encode())
            if new != data:
                path.write_bytes(new)
    generate = GENERATORS.get(name)
    if generate:
        generate(target)
    return target


# ---------- inputs generated at run time ----------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header claiming 10 gigapixels, with a few bytes of data: 100 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + _png_chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    """A real JPEG photograph-like image, cut off after 60 % of its bytes."""
    image = Image.effect_noise((320, 200), 60).convert("RGB")
    data = io.BytesIO()
    image.save(data, "JPEG", quality=90)
    return data.getvalue()[: data.tell() * 6 // 10]


def huge_paragraph(size: int = 200_000) -> str:
    words = ("the harbour lights glimmer across evening water while ferries turn slowly "
             "toward the old quay and gulls argue over the nets").split()
    text, index = [], 0
    length = 0
    while length < size:
        word = words[index % len(words)]
        text.append(word)
        length += len(word) + 1
        index += 1
    return " ".join(text)[: size - 2] + ".\n"


def nested_markdown_lists(levels: int = 1000) -> str:
    return "A list nested too deeply.\n\n" + "".join(
        "    " * level + f"- level {level + 1}\n" for level in range(levels))


def nested_html_lists(levels: int = 1000) -> str:
    return ("A list nested too deeply.\n\n<div>" + "<ul><li>level" * levels
            + "</li></ul>" * levels + "</div>\n\nAfter the lists.\n")


def table(rows: int = 5000) -> str:
    lines = ["A table of five thousand rows.", "", "| Row | Value | Note |", "|---|---:|---|"]
    lines += [f"| {row} | {row * 7 % 1000} | cell {row} |" for row in range(1, rows + 1)]
    return "\n".join(lines) + "\n\nAfter the table.\n"


def _write(name: str, text_or_bytes) -> callable:
    def generate(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text_or_bytes() if callable(text_or_bytes) else text_or_bytes
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return generate


def _symlink(name: str, target: str) -> callable:
    def generate(folder: Path) -> None:
        link = folder / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return generate


GENERATORS = {
    "symlink-escape": _symlink("images/plate.png", "../../secret.png"),
    "metadata-symlink": _symlink("metadata.toml", "../secret.toml"),
    "png-bomb": _write("images/bomb.png", bomb_png),
    "truncated-jpeg": _write("images/plate.jpg", truncated_jpeg),
    "huge-paragraph": _write("text.md", huge_paragraph),
    "nested-lists-markdown": _write("text.md", nested_markdown_lists),
    "nested-lists-html": _write("text.md", nested_html_lists),
    "table-5000-rows": _write("text.md", table),
}


# ---------- looking for the secret ----------

def _pdf_payloads(path: Path):
    """Every stream of a PDF, decoded where pikepdf can, and its text as pdfium reads it."""
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    yield obj.read_bytes()
                except pikepdf.PdfError:  # an image codec pikepdf does not decode
                    yield obj.read_raw_bytes()
            elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.String)):
                yield repr(obj).encode("utf-8", "replace")
    yield " ".join(page_texts(path, body_only=False)).encode()


def payloads(path: Path):
    """The bytes of a file, and of everything inside it (zip members, PDF streams)."""
    data = path.read_bytes()
    yield data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield name.encode()
                yield archive.read(name)
    if data.startswith(b"%PDF"):
        yield from _pdf_payloads(path)


def secret_leaks(folder: Path, *texts: str) -> list[str]:
    """Where MARKER shows up: files under `folder` (deeply) and the given texts."""
    found = [f"text {index}" for index, text in enumerate(texts) if MARKER in (text or "")]
    if folder.exists():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and any(MARKER.encode() in part for part in payloads(path)):
                found.append(str(path))
    return found


def listening_socket() -> socket.socket:
    """A loopback port that records any connection attempt (it must see none)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    return server


def was_contacted(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True
