"""The manuscript's metadata: `metadata.toml`, or the YAML front matter of the first
chapter (yaml_header.py); loaded and validated alike."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OctavoError, UsageError
from .yaml_header import ALIASES, Header, read_header

METADATA_FILE = "metadata.toml"
REQUIRED = ("title", "language", "identifier")
TEXT_KEYS = ("title", "short_title", "subtitle", "language", "date", "publisher", "rights", "cover",
             "identifier", "description", "slug", "modified")
LIST_KEYS = ("authors", "subjects", "chapters")
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
    """The line setting `key`: `key = ...` (TOML) or `key: ...` (YAML front matter)."""
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*[=:]", line):
            return number
    return None


def key_line(metadata: Metadata, key: str) -> int | None:
    """The line of the metadata's file where `key` is set (for messages about its value)."""
    try:
        text = metadata.source.read_text(encoding="utf-8")
    except (AttributeError, OSError, UnicodeDecodeError):
        return None
    spellings = [key] + [alias for alias, name in ALIASES.items() if name == key]
    return next((line for name in spellings if (line := _line_of(text, name))), None)


def load_metadata(folder: Path) -> Metadata:
    """metadata.toml, read and validated."""
    path = folder / METADATA_FILE
    if not path.is_file():
        raise OctavoError(f"no {METADATA_FILE} in the manuscript folder", path,
                          hint="add title, language and identifier, in metadata.toml or "
                               "in a YAML block (---) at the top of the first chapter")
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
    if "author" in data:
        raise OctavoError("use `authors = [...]`, a list, not `author`", path,
                          _line_of(text, "author"))
    return _validated(data, folder, path, lambda key: _line_of(text, key), "`{} = \"...\"`")


def metadata_from_header(header: Header, folder: Path) -> Metadata:
    """The YAML front matter of the first chapter, read and validated as metadata.toml is."""
    data, spelled = read_header(header)

    def line_of(key: str) -> int | None:
        found = _line_of(header.text, spelled.get(key, key))
        return found + 1 if found else 1  # (line 1 is the opening `---`)
    return _validated(data, folder, header.path, line_of, "`{}: ...`")


def _validated(data: dict, folder: Path, path: Path, line_of, form: str) -> Metadata:
    """The same keys and checks, whichever file the metadata came from."""
    def fail(key: str, message: str, hint: str | None = None):
        raise OctavoError(message, path, line_of(key), hint)

    for key in REQUIRED:
        if not str(data.get(key, "") or "").strip():
            fail(key, f"the metadata has no {key!r}",
                 hint=f"add a line {form.format(key)}")
    for key, value in data.items():
        if key in TEXT_KEYS and not isinstance(value, str):
            fail(key, f"{key!r} must be a string")
        if key in LIST_KEYS and not (isinstance(value, list)
                                     and all(isinstance(v, str) for v in value)):
            fail(key, f"{key!r} must be a list of strings")
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
    return Metadata(
        title=data["title"].strip(), language=data["language"],
        identifier=data["identifier"].strip(), slug=slug, chapters=chapters,
        short_title=data.get("short_title"), subtitle=data.get("subtitle"), date=data.get("date"),
        publisher=data.get("publisher"), rights=data.get("rights"),
        description=data.get("description"),
        authors=tuple(data.get("authors", ())),
        subjects=tuple(data.get("subjects", ())),
        cover=data.get("cover"), source=path)
