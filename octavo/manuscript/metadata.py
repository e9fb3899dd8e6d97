"""The manuscript's metadata file (`metadata.toml`): load and validate."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OctavoError, UsageError

METADATA_FILE = "metadata.toml"
REQUIRED = ("title", "language", "identifier")
TEXT_KEYS = ("title", "short_title", "subtitle", "language", "date", "publisher", "rights", "cover",
             "identifier", "description", "slug", "modified")
LIST_KEYS = ("authors", "subjects", "chapters")
# The book's structure (octavo/structure/): contents, numbering, cross-references,
# citations and the index. Each key: the type and values it takes (validated below).
STRUCTURE_KEYS = {
    "contents": "bool",            # a contents page (default: two or more chapters)
    "contents_depth": (1, 2, 3),   # heading levels in the contents page
    "contents_in_epub": "bool",    # an in-book contents page in the EPUB too (it has its nav)
    "numbering": ("chapters", "book", "none"),  # chapter numbers; figures 2.3 or 7
    "appendices": "list",          # chapter files lettered A, B, … (or a `{.appendix}` heading)
    "chapters_open": ("right", "any"),  # chapters start on a recto, or on the next page
    "xref_pages": "bool",          # "Figure 2.3 on page 41" in the PDFs
    "bibliography": "path",        # refs.bib (BibTeX) or refs.json (CSL-JSON)
    "csl": "path",                 # a CSL style (default: Chicago author-date, 17th ed.)
    "index": "bool",               # an index (default: when any entry is marked)
}
# Every key metadata.toml may set (the design's [design] table and an unknown-key check
# add to this list).
KNOWN_KEYS = (*TEXT_KEYS, *LIST_KEYS, *STRUCTURE_KEYS)
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Metadata:
    title: str
    language: str
    identifier: str
    slug: str
    chapters: tuple[str, ...]
    short_title: str | None = None
    subtitle: str | None = None
    date: str | None = None
    publisher: str | None = None
    rights: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    cover: str | None = None
    # The book's structure (see STRUCTURE_KEYS); None: decided from the book itself.
    contents: bool | None = None
    contents_depth: int = 2
    contents_in_epub: bool = False
    numbering: str | None = None
    appendices: tuple[str, ...] = ()
    chapters_open: str = "right"
    xref_pages: bool = False
    bibliography: str | None = None
    csl: str | None = None
    index: bool | None = None
    source: Path | None = field(default=None, compare=False)

    @property
    def creator(self) -> str:
        return ", ".join(self.authors)

    def timestamp(self, source_date_epoch: str | None = None) -> dt.datetime:
        """The build's fixed time: SOURCE_DATE_EPOCH if set, else the metadata date.

        Used for every date written into an output, so builds are reproducible.
        """
        if source_date_epoch:
            try:
                return dt.datetime.fromtimestamp(int(source_date_epoch), dt.timezone.utc)
            except (ValueError, OverflowError, OSError):
                raise UsageError(f"SOURCE_DATE_EPOCH={source_date_epoch!r} is not a time",
                                 hint="set it to whole seconds since 1970, or unset it") from None
        parts = [int(p) for p in (self.date or "2000").split("-")] + [1, 1]
        return dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.timezone.utc)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:8]) or "book"


def _valid_date(text: str) -> bool:
    if not DATE.match(text):
        return False
    parts = (text + "-01-01")[:10] if len(text) == 4 else (text + "-01")[:10]
    try:
        dt.date.fromisoformat(parts)
    except ValueError:
        return False
    return True


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def key_line(metadata: Metadata, key: str) -> int | None:
    """The line of metadata.toml where `key` is set (for messages about its value)."""
    try:
        return _line_of(metadata.source.read_text(encoding="utf-8"), key)
    except (AttributeError, OSError, UnicodeDecodeError):
        return None


def load_metadata(folder: Path) -> Metadata:
    path = folder / METADATA_FILE
    if not path.is_file():
        raise OctavoError(f"no {METADATA_FILE} in the manuscript folder", path,
                          hint="add title, language and identifier")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise OctavoError("the file is not valid UTF-8", path, line,
                          hint="save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        raise OctavoError(f"not valid TOML: {str(error).split(' (at')[0]}", path,
                          int(found.group(1)) if found else None,
                          hint="check the quotes and the `key = value` form") from None

    def fail(key: str, message: str, hint: str | None = None):
        raise OctavoError(message, path, _line_of(text, key), hint)

    for key in REQUIRED:
        if not str(data.get(key, "")).strip():
            fail(key, f"the metadata has no {key!r}",
                 hint=f"add a line `{key} = \"...\"`")
    for key, value in data.items():
        if key in TEXT_KEYS and not isinstance(value, str):
            fail(key, f"{key!r} must be a string")
        if key in LIST_KEYS and not (isinstance(value, list)
                                     and all(isinstance(v, str) for v in value)):
            fail(key, f"{key!r} must be a list of strings")
    if "author" in data:
        fail("author", "use `authors = [...]`, a list, not `author`")
    if not LANGUAGE_TAG.match(data["language"]):
        fail("language", f"{data['language']!r} is not a language tag",
             hint="use a BCP 47 tag such as `en` or `az-Latn`")
    if "date" in data and not _valid_date(data["date"]):
        fail("date", f"date {data['date']!r} is not a real YYYY, YYYY-MM or YYYY-MM-DD date")
    chapters = tuple(data.get("chapters") or sorted(
        p.name for p in folder.glob("*.md")))
    if not chapters:
        raise OctavoError("the manuscript has no Markdown file", folder,
                          hint="add a .md file or list `chapters` in metadata.toml")
    slug = data.get("slug") or slugify(data["title"])
    if slugify(slug) != slug:
        fail("slug", f"slug {slug!r} must be lower-case words joined by hyphens")
    structure = structure_settings(data, chapters, fail)
    return Metadata(
        title=data["title"].strip(), language=data["language"],
        identifier=data["identifier"].strip(), slug=slug, chapters=chapters,
        short_title=data.get("short_title"), subtitle=data.get("subtitle"), date=data.get("date"),
        publisher=data.get("publisher"), rights=data.get("rights"),
        description=data.get("description"),
        authors=tuple(data.get("authors", ())),
        subjects=tuple(data.get("subjects", ())),
        cover=data.get("cover"), source=path, **structure)


def structure_settings(data: dict, chapters: tuple[str, ...], fail) -> dict:
    """The STRUCTURE_KEYS set in `data`, validated; `fail(key, message, hint)` raises."""
    settings = {}
    for key, kind in STRUCTURE_KEYS.items():
        if key not in data:
            continue
        value = data[key]
        if kind == "bool" and not isinstance(value, bool):
            fail(key, f"{key!r} must be true or false", hint=f"write `{key} = true`")
        elif kind == "list" and not (isinstance(value, list)
                                     and all(isinstance(v, str) for v in value)):
            fail(key, f"{key!r} must be a list of strings")
        elif kind == "path" and not (isinstance(value, str) and value.strip()):
            fail(key, f"{key!r} must be a file name inside the manuscript folder")
        elif isinstance(kind, tuple) and (value not in kind or isinstance(value, bool)):
            shown = " or ".join(repr(v) if isinstance(v, str) else str(v) for v in kind)
            fail(key, f"{key!r} is {value!r}; it must be {shown}")
        settings[key] = tuple(value) if kind == "list" else value
    for name in settings.get("appendices", ()):
        if name not in chapters:
            fail("appendices", f"appendix {name!r} is not one of the book's chapters",
                 hint="list chapter files named in `chapters`")
    return settings
