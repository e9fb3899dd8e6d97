"""The book's own stylesheets, checked before anything reads them: untrusted input.

Takes the manuscript folder and the [design] table's stylesheets; raises an OctavoError
with file:line for an `@import` or `url()` that leads outside the manuscript folder (a
`file:` URL, an absolute path, `..`, a symlink out), to the network, to a file that does
not exist, or to a file that is not a stylesheet, an image or a font. Imported
stylesheets are checked the same way. At render time the same files are read through
a fetcher that reaches only the manuscript folder (paged/stylesheets.py): this check
gives the author the line; the fetcher is the guarantee.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import tinycss2

from ..errors import OctavoError
from .fetcher import MIME_TYPES

DATA_TYPES = ("image/", "font/", "application/font")  # what a data: URL may hold
MAX_IMPORTS = 50


def _references(rules):
    """(url, line, is_import) of every @import and url() in parsed rules, nested ones too."""
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            target = next((t for t in rule.prelude if t.type in ("string", "url", "function")),
                          None)
            if target is not None:
                value = target.value if target.type in ("string", "url") else next(
                    (a.value for a in target.arguments if a.type == "string"), "")
                yield value, rule.source_line, True
            continue
        for part in (getattr(rule, "prelude", None) or [], getattr(rule, "content", None) or []):
            yield from _in_tokens(part)


def _in_tokens(tokens):
    for token in tokens:
        if token.type == "url":
            yield token.value, token.source_line, False
        elif token.type == "function" and token.lower_name == "url":
            value = next((a.value for a in token.arguments if a.type == "string"), "")
            yield value, token.source_line, False
        elif token.type == "function" and token.lower_name == "image-set":
            for argument in token.arguments:
                if argument.type == "string":
                    yield argument.value, argument.source_line, False
            yield from _in_tokens(token.arguments)
        elif token.type in ("function", "() block", "[] block", "{} block"):
            inner = token.arguments if token.type == "function" else token.content
            yield from _in_tokens(inner)
        elif token.type == "at-rule" or token.type == "qualified-rule":
            yield from _references([token])


def _refuse(url: str, why: str, path: Path, line: int | None, hint: str):
    shown = url if len(url) <= 80 else url[:77] + "..."
    raise OctavoError(f"{why}: {shown!r}", path, line, hint=hint)


def _target(folder: Path, css: Path, url: str, line: int, is_import: bool) -> Path | None:
    """The file `url` names inside `folder` (None for an allowed data: URL), or an error."""
    hint = "put the file in the manuscript folder and refer to it relatively"
    scheme = urlsplit(url).scheme.lower()
    if scheme == "data":
        if is_import or not url[5:].lower().startswith(DATA_TYPES):
            _refuse(url[:40], "only image and font data: URLs are allowed", css, line, hint)
        return None
    if scheme or url.startswith(("/", "\\", "//")) or "\x00" in url:
        _refuse(url, "the stylesheet reaches outside the manuscript folder", css, line, hint)
    relative = unquote(urlsplit(url).path)
    target = (css.parent / relative).resolve()
    if not target.is_relative_to(folder.resolve()):
        _refuse(url, "the stylesheet reaches outside the manuscript folder", css, line, hint)
    if not target.is_file():
        _refuse(url, "the stylesheet names a file that does not exist", css, line,
                "check the file name")
    allowed = (".css",) if is_import else tuple(MIME_TYPES)
    if target.suffix.lower() not in allowed:
        _refuse(url, "the stylesheet names a file that is not " + (
            "a stylesheet" if is_import else "an image, a font or a stylesheet"), css, line,
            "use a .css file" if is_import else "use a PNG, JPEG, GIF, WebP, SVG or font file")
    return target


def check_stylesheet(folder: Path, css: Path, seen: set[Path] | None = None) -> None:
    """`css` and what it imports: every reference stays inside `folder`."""
    seen = set() if seen is None else seen
    if css.resolve() in seen:
        return
    if len(seen) >= MAX_IMPORTS:
        raise OctavoError(f"the stylesheets import more than {MAX_IMPORTS} files", css,
                          hint="import fewer stylesheets")
    seen.add(css.resolve())
    raw = css.read_bytes()
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise OctavoError("the stylesheet is not valid UTF-8", css,
                          raw[:error.start].count(b"\n") + 1, hint="save it as UTF-8") from None
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    for url, line, is_import in _references(rules):
        target = _target(folder, css, url, line, is_import)
        if is_import and target is not None:
            check_stylesheet(folder, target, seen)


def stylesheet_files(folder: Path, css: Path) -> list[Path]:
    """`css` and every file it reaches (imports, fonts, images), each once, all inside
    `folder` (checked): what an EPUB that uses the stylesheet must carry."""
    found, stack = [], [css.resolve()]
    while stack:
        path = stack.pop(0)
        if path in found:
            continue
        found.append(path)
        if path.suffix.lower() != ".css":
            continue
        text = path.read_text(encoding="utf-8", errors="replace").removeprefix("\ufeff")
        rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        for url, line, is_import in _references(rules):
            target = _target(folder, path, url, line, is_import)
            if target is not None:
                stack.append(target)
    return found


def check_stylesheets(folder: Path, sheets) -> None:
    """Each of the book's stylesheets (design.Stylesheet) and its imports."""
    for sheet in sheets:
        check_stylesheet(Path(folder), Path(folder) / sheet.file)
