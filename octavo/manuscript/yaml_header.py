"""YAML front matter (pandoc, MkDocs, Jekyll): a `---` … `---` (or `...`) block at the
very top of a chapter. At the top of the first chapter it is the book's metadata when
there is no metadata.toml (metadata.py validates it as it validates the TOML); it is
never printed: `split_header` blanks it out of the Markdown, keeping line numbers.

pandoc's spellings are read as Octavo's keys: `author` (a name, a list of names, or
a list of `{name: ...}`) → `authors`, `lang` → `language`, `abstract` → `description`,
`keywords` / `subject` → `subjects`, `cover-image` → `cover`; a YAML date is a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import OctavoError

OPEN, CLOSE = "---", ("---", "...")
MAX_LINES = 400  # a header longer than this is not one
KEY_LINE = re.compile(r"^[A-Za-z_][\w-]*[ \t]*:")
ALIASES = {"author": "authors", "lang": "language", "abstract": "description",
           "keywords": "subjects", "subject": "subjects", "cover-image": "cover",
           "short-title": "short_title"}


@dataclass(frozen=True)
class Header:
    text: str  # the YAML, without its fences
    path: Path  # the chapter it heads
    end: int  # the line of its closing fence


def split_header(text: str, path: Path) -> tuple[Header | None, str]:
    """(the header, if the text starts with one; the text with it blanked out)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != OPEN or len(lines) < 3 or \
            not KEY_LINE.match(lines[1]):
        return None, text
    for index in range(1, min(len(lines), MAX_LINES)):
        if lines[index].rstrip() in CLOSE:
            header = Header("\n".join(lines[1:index]), path, index + 1)
            return header, "\n" * (index + 1) + "\n".join(lines[index + 1:])
    return None, text


def _names(value) -> list:
    """pandoc's author forms: a name, a list of names, a list of {name: ...}."""
    items = value if isinstance(value, list) else [value]
    return [item.get("name", item) if isinstance(item, dict) else item for item in items]


def _scalar(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, with dates left as the text written (validated as in TOML)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def read_header(header: Header) -> tuple[dict, dict[str, str]]:
    """The header as metadata.toml's keys (values not yet validated), and for each key
    the spelling the author used (to find its line)."""
    try:
        data = yaml.load(header.text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise OctavoError(f"the YAML front matter is not valid YAML "
                          f"({getattr(error, 'problem', None) or 'cannot be read'})",
                          header.path, mark.line + 2 if mark else 1,
                          hint="check the `key: value` lines between the two `---`") from None
    if not isinstance(data, dict):
        raise OctavoError("the YAML front matter is not a list of `key: value` lines",
                          header.path, 1, hint="write one `key: value` a line")
    found, spelled = {}, {}
    for key, value in data.items():
        key = str(key)
        name = ALIASES.get(key, key.replace("-", "_"))
        if name in found and spelled[name] == name:
            continue  # Octavo's own spelling, given first, wins over pandoc's
        if name in ("authors", "subjects"):
            value = _names(value)
        value = [_scalar(v) for v in value] if isinstance(value, list) else _scalar(value)
        found[name], spelled[name] = value, key
    return found, spelled
