"""The manuscript's metadata: `metadata.toml`, or the YAML front matter of the first
chapter (yaml_header.py), loaded and validated alike; for a folder with neither, what
`discover` infers."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OctavoError, UsageError
from ..report import Finding
from . import discover
from .design import Design, parse_design
from .yaml_header import ALIASES as YAML_ALIASES, Header, read_header

METADATA_FILE = "metadata.toml"
REQUIRED = ("title", "language", "identifier")

# Every key metadata.toml may set, in one place (add new keys here): a key that is not
# known is an error naming the nearest known one, never silence. A YAML front matter
# block is checked against the same lists (`check_known_keys`).
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
OTHER_KEYS = ()  # booleans, numbers
DESIGN_KEYS = ("trim", "bleed", "font", "code_font", "heading_font", "base_size",
               "line_height", "justify", "hyphenate", "stylesheets")
TABLES = {"design": DESIGN_KEYS}  # [design]: the book's own design (design.py)
STYLESHEET_KEYS = ("file", "pdf", "epub")  # a `{ file = "book.css", epub = true }` entry
KNOWN_KEYS = TEXT_KEYS + LIST_KEYS + OTHER_KEYS + tuple(STRUCTURE_KEYS) + tuple(TABLES)
# What other tools call them (pandoc's variables, CSS words), and Octavo's key.
ALIASES = {"author": "authors", "lang": "language", "css": "design.stylesheets",
           "stylesheet": "design.stylesheets", "page_size": "design.trim",
           "pagesize": "design.trim", "papersize": "design.trim", "paper": "design.trim",
           "size": "design.trim", "geometry": "design.trim", "margin": "design.trim",
           "margins": "design.trim", "mainfont": "design.font",
           "fontfamily": "design.font", "font_family": "design.font",
           "monofont": "design.code_font", "sansfont": "design.heading_font",
           "fontsize": "design.base_size", "font_size": "design.base_size",
           "linestretch": "design.line_height", "leading": "design.line_height",
           "hyphenation": "design.hyphenate", "hyphens": "design.hyphenate",
           "text_align": "design.justify", "justified": "design.justify"}
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
    chapters_listed: bool = False  # `chapters` given, not found in the folder
    design: Design = field(default_factory=Design)
    source: Path | None = field(default=None, compare=False)  # None: no metadata.toml
    notes: tuple[Finding, ...] = field(default=(), compare=False)  # what was inferred

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


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The line where `key` is set: at the top, or in `[table]` (or `table.key = `)."""
    lines = text.splitlines()
    if table is None:
        for number, line in enumerate(lines, 1):
            if re.match(rf"\s*\[\[?\s*{re.escape(key)}\s*[.\]]", line):
                return number  # a table's header
        for number, line in enumerate(lines, 1):
            if re.match(r"\s*\[", line):
                break  # the top-level keys come before the first table
            if re.match(rf"\s*{re.escape(key)}\s*[=:]", line):  # TOML, or YAML front matter
                return number
        return None
    inside = None
    for number, line in enumerate(lines, 1):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", line)
        if header:
            inside = header.group(1).split(".")[0].strip('"') == table
            if inside and header.group(1).strip() != table and key in header.group(1):
                return number
            continue
        if (inside and re.match(rf"\s*{re.escape(key)}\s*=", line)) or (
                inside is None and re.match(rf"\s*{re.escape(table)}\.{re.escape(key)}\s*=",
                                            line)):
            return number
    return _line_of(text, table)


def key_line(metadata: Metadata, key: str, table: str | None = None) -> int | None:
    """The line of the metadata's file where `key` is set (for messages about its value);
    in YAML front matter, under any of pandoc's spellings of it."""
    try:
        text = metadata.source.read_text(encoding="utf-8")
    except (AttributeError, OSError, UnicodeDecodeError):
        return None
    spellings = [key] + [alias for alias, name in YAML_ALIASES.items() if name == key]
    return next((line for name in spellings if (line := _line_of(text, name, table))), None)


def _suggestion(key: str, table: str | None) -> str | None:
    """The known key nearest to an unknown one, as `key` (top level) or `table.key`."""
    if key in ALIASES:
        return ALIASES[key]
    every = [*KNOWN_KEYS, *(f"{name}.{k}" for name, keys in TABLES.items() for k in keys)]
    here = [k for k in every if (k.split(".")[0] == table if table else "." not in k)]
    for candidates in ([k for k in every if k.rsplit(".", 1)[-1] == key],  # wrong table
                       difflib.get_close_matches(key, here, n=1, cutoff=0.6) if not table
                       else [f"{table}.{k}" for k in difflib.get_close_matches(
                           key, TABLES[table], n=1, cutoff=0.6)],
                       [k for k in every if k.rsplit(".", 1)[-1] in difflib.get_close_matches(
                           key, [k.rsplit(".", 1)[-1] for k in every], n=1, cutoff=0.75)]):
        if candidates:
            return candidates[0]
    return None


def _shown(suggested: str, table: str | None) -> str:
    """The suggested key, said the way the author writes it where it belongs."""
    name, _, key = suggested.rpartition(".")
    if name == (table or ""):
        return f"did you mean `{key}`?"
    if name:
        return f"did you mean `{key}` in the [{name}] table?"
    return f"did you mean `{key}`, at the top (before any table)?"


def check_known_keys(data: dict, fail) -> None:
    """Every key of `data` (metadata.toml, or a YAML block read into a dict) is known.
    `fail(key, table, message, hint)` raises at the key's line."""
    for key, value in data.items():
        if key in TABLES:
            if not isinstance(value, dict):
                fail(key, None, f"`{key}` must be a table", f"write `[{key}]` on a line of its "
                     "own, and its keys under it")
            for inner, entry in value.items():
                if inner not in TABLES[key]:
                    _unknown(inner, key, fail)
                if inner == "stylesheets" and isinstance(entry, list):
                    for sheet in entry:
                        for name in (sheet if isinstance(sheet, dict) else ()):
                            if name not in STYLESHEET_KEYS:
                                near = difflib.get_close_matches(name, STYLESHEET_KEYS, n=1)
                                fail("stylesheets", key, f"unknown key `{name}` in a "
                                     "stylesheet entry" + (f"; did you mean `{near[0]}`?"
                                                           if near else ""),
                                     "an entry is `{ file = \"book.css\", epub = true }`")
        elif key not in KNOWN_KEYS:
            _unknown(key, None, fail)


def _unknown(key: str, table: str | None, fail) -> None:
    place = f" in [{table}]" if table else ""
    suggested = _suggestion(key, table)
    known = TABLES[table] if table else KNOWN_KEYS
    if suggested and suggested.rpartition(".")[2] == key:
        fail(key, table, f"`{key}` belongs "
             + (f"in the [{suggested.split('.')[0]}] table" if "." in suggested
                else "at the top, before any table") + (f", not in [{table}]" if table else ""))
    if suggested:
        fail(key, table, f"unknown key `{key}`{place}; {_shown(suggested, table)}")
    fail(key, table, f"unknown key `{key}`{place}",
         "the known keys are " + ", ".join(f"`{k}`" for k in known))


def load_metadata(folder: Path) -> Metadata:
    """metadata.toml, checked; for a folder without one, what `discover` infers."""
    folder = Path(folder)
    if not folder.is_dir():  # (load.load_book says so for the build)
        raise OctavoError("the manuscript folder does not exist", folder,
                          hint="pass --manuscript DIR")
    path = folder / METADATA_FILE
    if not path.is_file():
        return _inferred_metadata(folder)
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

    return _validated(data, folder, path, lambda key, table=None: _line_of(text, key, table),
                      "`{} = \"...\"`")


def metadata_from_header(header: Header, folder: Path) -> Metadata:
    """The YAML front matter of the first chapter, read and validated as metadata.toml is."""
    data, spelled = read_header(header)

    def line_of(key: str, table: str | None = None) -> int | None:
        found = _line_of(header.text, spelled.get(key, key), table)
        return found + 1 if found else 1  # (line 1 is the opening `---`)
    return _validated(data, folder, header.path, line_of, "`{}: ...`")


def _validated(data: dict, folder: Path, path: Path, line_of, form: str) -> Metadata:
    """The same keys and checks, whichever file the metadata came from."""
    def fail(key: str, message: str, hint: str | None = None, table: str | None = None):
        raise OctavoError(message, path, line_of(key, table), hint)

    if "author" in data:
        fail("author", "use `authors = [...]`, a list, not `author`")
    check_known_keys(data, lambda key, table, message, hint=None: fail(key, message, hint, table))
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
    chapters = tuple(data.get("chapters") or discover.chapter_files(folder)[0])
    if not chapters:
        raise OctavoError("the manuscript has no Markdown file", folder,
                          hint="add a .md file or list `chapters` in metadata.toml")
    slug = data.get("slug") or slugify(data["title"])
    if slugify(slug) != slug:
        fail("slug", f"slug {slug!r} must be lower-case words joined by hyphens")
    structure = structure_settings(data, chapters, fail)
    structure["chapters_listed"] = bool(data.get("chapters"))
    design = parse_design(data.get("design", {}), lambda key, message, hint=None: fail(
        key, message, hint, "design"), folder)
    return Metadata(
        title=data["title"].strip(), language=data["language"],
        identifier=data["identifier"].strip(), slug=slug, chapters=chapters,
        short_title=data.get("short_title"), subtitle=data.get("subtitle"), date=data.get("date"),
        publisher=data.get("publisher"), rights=data.get("rights"),
        description=data.get("description"),
        authors=tuple(data.get("authors", ())),
        subjects=tuple(data.get("subjects", ())),
        cover=data.get("cover"), design=design, source=path, **structure)


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


def _inferred_metadata(folder: Path) -> Metadata:
    """A folder of Markdown without metadata.toml: the metadata `discover` infers, with
    its notes."""
    found = discover.inferred(folder)
    if not found["chapters"]:
        raise OctavoError(f"no {METADATA_FILE} and no Markdown file in the manuscript folder",
                          folder, hint="add .md files (`octavo new DIR` starts a book)")
    return Metadata(title=found["title"], language=found["language"],
                    identifier=found["identifier"], slug=slugify(found["title"]),
                    chapters=tuple(found["chapters"]), notes=found["notes"])
