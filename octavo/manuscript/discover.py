"""A manuscript as it comes: the chapters of a folder, and metadata for one without any.

Takes a folder; gives its chapters (the `.md` files in natural order, `2` before `10`,
subfolders included, a table-of-contents file left out) and, when there is no
metadata.toml, the metadata taken from the files: the title from the first heading,
the language `en`, an identifier derived from the title (a UUID5, so rebuilds stay
byte-identical). Each guess comes with a note (an info finding) saying how to set it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from ..report import INFO, Finding

# A top-level file with one of these names (any case) that is mostly a list of links to
# chapters is the folder's table of contents, not a chapter: its heading titles the book.
NAVIGATION_NAMES = ("contents", "toc", "table-of-contents", "table_of_contents", "summary",
                    "_sidebar")
SKIPPED_FOLDERS = ("node_modules", "dist", "build", "venv", "site")
IDENTIFIER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://octavo.invalid/title")
ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MD_LINK = re.compile(r"\]\(([^)\s]+\.md)(#[^)]*)?\)")


def natural_key(name: str) -> list:
    """Sort key: numbers by value (`2` before `10`), letters without case."""
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"(\d+)", name)]


def _hidden(name: str) -> bool:
    return name.startswith((".", "#")) or name.endswith("~")


def _markdown_files(folder: Path) -> list[Path]:
    """The .md files under `folder`, depth first, each folder in natural order with its
    `index.md` first."""
    found = []
    entries = sorted((p for p in folder.iterdir() if not _hidden(p.name)),
                     key=lambda p: (p.name.lower() != "index.md", natural_key(p.name)))
    for path in entries:
        if path.is_symlink():
            continue  # never followed: it may lead out of the manuscript
        if path.is_dir() and path.name.lower() not in SKIPPED_FOLDERS:
            found += _markdown_files(path)
        elif path.is_file() and path.suffix.lower() == ".md":
            found.append(path)
    return found


def read_markdown(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").removeprefix("\ufeff")
    except OSError:
        return ""


def first_heading(text: str) -> tuple[str, int] | None:
    """The first heading's plain text and line, outside code and YAML front matter."""
    lines = text.splitlines()
    start, fence = 0, None
    if lines and lines[0].strip() == "---":  # a YAML block: metadata, not text
        start = next((i + 1 for i, line in enumerate(lines[1:], 1)
                      if line.strip() in ("---", "...")), 0)
    for index in range(start, len(lines)):
        line = lines[index]
        opened = FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        found = ATX.match(line)
        if found:
            return plain(found.group(2)), index + 1
        if index + 1 < len(lines) and line.strip() and SETEXT.match(lines[index + 1]) \
                and not line.startswith(("    ", "\t")):
            return plain(line), index + 1
    return None


def plain(heading: str) -> str:
    """A heading's words without Markdown: links, emphasis, code marks, `{#id}` lists."""
    text = re.sub(r"\s*\{[^}]*\}\s*$", "", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def is_navigation(path: Path, folder: Path) -> bool:
    """A top-level table of contents: by its name, and mostly links to .md files."""
    if path.parent != folder or path.stem.lower() not in NAVIGATION_NAMES:
        return False
    items = [line for line in read_markdown(path).splitlines()
             if re.match(r"^\s*([*+-]|\d+[.)])\s+", line)]
    return len(items) >= 2 and sum(bool(MD_LINK.search(line)) for line in items) * 2 >= \
        len(items)


def chapter_files(folder: Path) -> tuple[list[str], list[str]]:
    """(chapters, navigation files), as paths relative to `folder` with `/`."""
    chapters, navigation = [], []
    for path in _markdown_files(folder):
        relative = path.relative_to(folder).as_posix()
        (navigation if is_navigation(path, folder) else chapters).append(relative)
    return chapters, navigation


def humanise(name: str) -> str:
    """A folder's name as a title: `02_Working_with_data` → `Working with data`."""
    words = re.sub(r"^\d+[\s_.-]*", "", name).replace("_", " ").replace("-", " ").strip()
    words = " ".join(words.split()) or name
    return words[0].upper() + words[1:]


def inferred(folder: Path) -> dict:
    """Metadata for a folder without metadata.toml, and the notes that say so.

    Gives {"title", "language", "identifier", "chapters", "notes"}; `chapters` is empty
    when the folder holds no Markdown (load_metadata reports that)."""
    chapters, navigation = chapter_files(folder)
    notes = []
    source = next((name for name in navigation + chapters
                   if first_heading(read_markdown(folder / name))), None)
    if source:
        title, line = first_heading(read_markdown(folder / source))
        where = f"{source}:{line}"
        said = f"the first heading of {source}"
    else:
        title, where, said = humanise(folder.resolve().name), "", "the folder's name"
    notes.append(Finding("AUTO-001", INFO, f"no metadata.toml: the title \u201c{title}\u201d "
                         f"comes from {said}; set `title` in metadata.toml to choose it "
                         "(`octavo new` writes one)", where))
    notes.append(Finding("AUTO-002", INFO, "the language is taken to be English (`en`); "
                         "set `language` in metadata.toml (a BCP 47 tag such as `fr` or "
                         "`az-Latn`) if it is not"))
    identifier = f"urn:uuid:{uuid.uuid5(IDENTIFIER_NAMESPACE, title)}"
    notes.append(Finding("AUTO-003", INFO, f"the identifier {identifier} is derived from the "
                         "title, so it changes if the title does; pin it before publishing: "
                         f"`identifier = \"{identifier}\"` in metadata.toml"))
    for name in navigation:
        notes.append(Finding("AUTO-004", INFO, f"{name} is a table of contents (a list of "
                             "links to the chapters): it is not printed as a chapter", name))
    if chapters:
        parts = sorted({name.split("/")[0] for name in chapters if "/" in name},
                       key=natural_key)
        shown = f" (with {len(parts)} part folders)" if parts else ""
        notes.append(Finding("AUTO-005", INFO, f"the chapters are the {len(chapters)} .md "
                             f"files in natural order{shown}, from {chapters[0]} to "
                             f"{chapters[-1]}; list `chapters` in metadata.toml to choose "
                             "them"))
    return {"title": title, "language": "en", "identifier": identifier,
            "chapters": chapters, "notes": tuple(notes)}
