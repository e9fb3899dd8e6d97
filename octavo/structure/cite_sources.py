"""Bibliographies in: BibTeX (read with pybtex; LaTeX accents, `{Protected}` case and
`\\emph` mapped to CSL-JSON rich text by our code) or CSL-JSON, as CSL-JSON items by key;
and the CSL-JSON items as citeproc-py References. Ported from the citations prototype
(/work/proto/cite/REPORT.md: citeproc-py's own BibTeX reader drops fields and crashes on
biblatex types)."""

from __future__ import annotations

import html
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------------------

# BibTeX/biblatex entry type -> (CSL type, genre)
BIB_TYPES = {
    "article": ("article-journal", None), "book": ("book", None),
    "mvbook": ("book", None), "booklet": ("pamphlet", None),
    "inbook": ("chapter", None), "bookinbook": ("chapter", None),
    "incollection": ("chapter", None), "suppbook": ("chapter", None),
    "collection": ("book", None), "mvcollection": ("book", None),
    "proceedings": ("book", None), "mvproceedings": ("book", None),
    "inproceedings": ("paper-conference", None), "conference": ("paper-conference", None),
    "phdthesis": ("thesis", "PhD thesis"), "mastersthesis": ("thesis", "Master’s thesis"),
    "thesis": ("thesis", None), "techreport": ("report", None), "report": ("report", None),
    "manual": ("book", None), "misc": ("document", None), "unpublished": ("manuscript", None),
    "online": ("webpage", None), "www": ("webpage", None), "electronic": ("webpage", None),
    "patent": ("patent", None), "dataset": ("dataset", None), "software": ("software", None),
    "periodical": ("periodical", None), "inreference": ("entry-encyclopedia", None),
    "reference": ("book", None), "video": ("motion_picture", None), "movie": ("motion_picture", None),
}
CONTAINER_FIELDS = ("journaltitle", "journal", "booktitle", "maintitle")
SIMPLE_FIELDS = {  # bib field -> CSL variable (rich text)
    "title": "title", "shorttitle": "title-short", "subtitle": None,
    "publisher": "publisher", "address": "publisher-place", "location": "publisher-place",
    "series": "collection-title", "edition": "edition", "volume": "volume",
    "volumes": "number-of-volumes", "chapter": "chapter-number", "note": "note",
    "addendum": "note", "abstract": "abstract", "isbn": "ISBN", "issn": "ISSN",
    "doi": "DOI", "url": "URL", "pages": "page", "pagetotal": "number-of-pages",
    "version": "version", "eventtitle": "event", "venue": "event-place",
    "shortjournal": "container-title-short", "language": "language", "langid": "language",
    "type": "genre", "howpublished": "medium", "eprint": None,
}
MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
CROSSREF_PREFIXES = ("fig:", "tbl:", "sec:", "eq:", "lst:")

LATEX_MACROS = {"TeX": "TeX", "LaTeX": "LaTeX", "BibTeX": "BibTeX", "XeTeX": "XeTeX",
                "ldots": "…", "dots": "…", "textendash": "–", "textemdash": "—",
                "textquoteright": "’", "textquoteleft": "‘", "slash": "/", "S": "§"}
STYLE_MACROS = {"emph": "i", "textit": "i", "textsl": "i", "mkbibemph": "i",
                "textbf": "b", "mkbibbold": "b", "textsc": "sc",
                "textsuperscript": "sup", "textsubscript": "sub",
                "mkbibquote": "q", "enquote": "q", "url": "", "path": "", "texttt": "",
                "textup": "", "textrm": "", "textnormal": "", "mbox": "", "text": "", "hbox": ""}
CSL_TAGS = {"i": ("<i>", "</i>"), "b": ("<b>", "</b>"), "sup": ("<sup>", "</sup>"),
            "sub": ("<sub>", "</sub>"), "q": ("“", "”"),
            "sc": ('<span style="font-variant:small-caps;">', "</span>"),
            "nocase": ('<span class="nocase">', "</span>"), "": ("", "")}


class CitationError(Exception):
    """A manuscript problem: message, file, line (Octavo maps it to OctavoError)."""

    def __init__(self, message, path=None, line=None):
        super().__init__(f"{path}:{line}: {message}" if path else message)
        self.message, self.path, self.line = message, path, line




OTHERS = "\u2063others\u2063"  # BibTeX's 'and others' (between invisible separators)


def _decode_latex_text(text: str) -> str:
    import codecs

    import latexcodec  # noqa: F401  (registers the 'ulatex' codec; pybtex depends on it)
    text = re.sub(r"\\(" + "|".join(LATEX_MACROS) + r")(?![A-Za-z])\s*",
                  lambda m: LATEX_MACROS[m[1]], text)
    # latexcodec drops leading spaces (it reads them as a new line's indentation)
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() and text.strip() else ""
    return lead + codecs.decode(text.strip(), "ulatex") + trail if text.strip() else text


def latex_to_csl(value: str, *, page=False) -> str:
    """BibTeX field -> CSL-JSON rich text (mini-HTML, plain text unescaped).

    BibTeX case rules: a top-level ``{...}`` protects case -> nocase span, except a
    "special character" group ``{\\"u}`` (starts with a backslash), which is just
    an accent.  ``\\emph{..}`` -> <i>, ``\\textsc{..}`` -> small caps, etc.
    """
    if page:
        value = value.replace("--", "-").replace("—", "-")
    out: list[str] = []
    i, n = 0, len(value)
    buf: list[str] = []

    def flush():
        if buf:
            out.append(_decode_latex_text("".join(buf)))
            buf.clear()

    def group_end(start):  # index of the brace closing the group opened at start
        depth = 0
        for j in range(start, n):
            if value[j] == "\\":
                continue
            if value[j] == "{" and (j == 0 or value[j - 1] != "\\"):
                depth += 1
            elif value[j] == "}" and value[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return j
        return n - 1

    while i < n:
        c = value[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)\s*\{", value[i:])
            if m and m[1] in STYLE_MACROS:
                flush()
                end = group_end(i + m.end() - 1)
                tag = STYLE_MACROS[m[1]]
                inner = latex_to_csl(value[i + m.end():end])
                if tag == "" and m[1] == "url":
                    inner = value[i + m.end():end]
                open_, close = CSL_TAGS[tag]
                out.append(open_ + inner + close)
                i = end + 1
                continue
            m = re.match(r"\\href\s*\{([^}]*)\}\s*\{", value[i:])
            if m:  # keep the text, drop the link
                flush()
                end = group_end(i + m.end() - 1)
                out.append(latex_to_csl(value[i + m.end():end]))
                i = end + 1
                continue
            buf.append(c)
            if i + 1 < n:
                buf.append(value[i + 1])
            i += 2
            continue
        if c == "{":
            end = group_end(i)
            inner = value[i + 1:end]
            flush()
            if inner.startswith("\\"):
                # special character: decoded, case not protected (BibTeX rules)
                m = re.match(r"\\([A-Za-z]+)\s*\{", inner)
                if m and m[1] in STYLE_MACROS:
                    out.append(latex_to_csl(inner))
                else:
                    out.append(_decode_latex_text(inner))
            else:
                text = latex_to_csl(inner)
                if text:
                    out.append(CSL_TAGS["nocase"][0] + text + CSL_TAGS["nocase"][1])
            i = end + 1
            continue
        buf.append(c)
        i += 1
    flush()
    text = "".join(out)
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"[ \t\n]+", " ", text).strip()


def _person_to_csl(person) -> dict | None:
    raw_last = person.last_names
    if (len(raw_last) == 1 and not person.first_names and not person.middle_names
            and not person.prelast_names and raw_last[0].startswith("{")
            and raw_last[0].endswith("}")):
        return {"literal": _plain(raw_last[0][1:-1])}          # {World Health Organization}
    if raw_last == ["others"] and not person.first_names:
        return None                                            # 'and others'
    name = {"family": _plain(" ".join(raw_last))}
    given = " ".join(person.first_names + person.middle_names)
    if given:
        name["given"] = _plain(given)
    if person.prelast_names:
        # CSL convention (Zotero, Better BibTeX, citeproc-py's own reader): von part is a
        # non-dropping particle ("van der Berg" in citations).  pandoc uses biblatex's
        # useprefix=false ("Berg"); see REPORT.md.
        name["non-dropping-particle"] = _plain(" ".join(person.prelast_names))
    if person.lineage_names:
        name["suffix"] = _plain(" ".join(person.lineage_names))
    return name


def _plain(latex: str) -> str:
    return re.sub(r"<[^>]+>", "", latex_to_csl(latex))


def _parse_date(text: str) -> dict | None:
    """biblatex date: 2020, 2020-05, 2020-05-01, 2020/2021, 2020-05-01/2020-06."""
    parts = []
    for piece in text.strip().split("/")[:2]:
        m = re.fullmatch(r"(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", piece.strip())
        if not m:
            return {"literal": text}
        parts.append([int(g) for g in m.groups() if g])
    return {"date-parts": parts} if parts else None


def bibtex_entry_to_csl(key: str, entry, parent=None) -> dict:
    fields = {k.lower(): v for k, v in entry.fields.items()}
    if parent is not None:  # crossref: inherit missing fields
        for k, v in parent.fields.items():
            k = k.lower()
            if k == "title" and "booktitle" not in fields:
                fields["booktitle"] = v
            fields.setdefault(k, v)
    kind = entry.type.lower()
    csl_type, genre = BIB_TYPES.get(kind, ("document", None))
    entrysubtype = fields.get("entrysubtype", "").lower()
    if kind == "article" and entrysubtype in ("magazine", "newspaper"):
        csl_type = "article-" + entrysubtype
    csl: dict = {"id": key, "type": csl_type}
    if genre:
        csl["genre"] = genre
    for role, csl_role in (("author", "author"), ("editor", "editor"),
                           ("translator", "translator"), ("bookauthor", "container-author")):
        people = entry.persons.get(role) or (parent.persons.get(role) if parent else None)
        if people:
            names = [_person_to_csl(p) for p in people]
            csl[csl_role] = [n for n in names if n is not None]
            if None in names:
                csl[csl_role].append({"literal": OTHERS})
    title = fields.get("title")
    if title is not None:
        csl["title"] = latex_to_csl(title)
        if fields.get("subtitle"):
            csl["title"] += ": " + latex_to_csl(fields["subtitle"])
    for bib_field in CONTAINER_FIELDS:
        if bib_field in fields:
            csl["container-title"] = latex_to_csl(fields[bib_field])
            break
    for bib_field, var in SIMPLE_FIELDS.items():
        if var is None or var in csl and bib_field not in ("address", "location") \
                or bib_field not in fields or bib_field == "title":
            continue
        value = fields[bib_field]
        if var in ("URL", "DOI"):
            csl[var] = value.strip().replace("\\_", "_").replace("\\%", "%")
            continue
        csl[var] = latex_to_csl(value, page=var == "page")
    if "number" in fields:
        target = "issue" if csl_type.startswith("article") else "number"
        csl[target] = latex_to_csl(fields["number"])
    if "issue" in fields:
        csl["issue"] = latex_to_csl(fields["issue"])
    for inst in ("school", "institution", "organization"):
        if inst in fields and "publisher" not in csl:
            csl["publisher"] = latex_to_csl(fields[inst])
    if fields.get("eprinttype", "").lower() == "arxiv" and fields.get("eprint"):
        csl.setdefault("URL", "https://arxiv.org/abs/" + fields["eprint"])
    if "date" in fields:
        date = _parse_date(fields["date"])
        if date:
            csl["issued"] = date
    elif "year" in fields:
        year = re.sub(r"[{}]", "", fields["year"]).strip()
        if re.fullmatch(r"\d{1,4}", year):
            parts = [int(year)]
            month = fields.get("month", "").strip().lower()[:3]
            m = MONTHS.get(month) or (int(month) if month.isdigit() else None)
            if m:
                parts.append(m)
            csl["issued"] = {"date-parts": [parts]}
        else:
            csl["issued"] = {"literal": _plain(year)}
    if "urldate" in fields:
        date = _parse_date(fields["urldate"])
        if date:
            csl["accessed"] = date
    return csl


def _entry_lines(text: str) -> dict[str, int]:
    lines = {}
    for m in re.finditer(r"@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", text):
        if m[1].lower() not in ("string", "preamble", "comment"):
            lines[m[2]] = text.count("\n", 0, m.start()) + 1
    return lines


@dataclass
class Source:
    path: str
    refs: dict[str, dict]            # key -> CSL-JSON item
    lines: dict[str, int]            # key -> line in the source file (for notes)


def load_references(path: str | Path) -> Source:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise CitationError(f"not valid CSL-JSON: {e.msg}", path, e.lineno) from None
        if isinstance(items, dict):
            items = items.get("items", [])
        refs, lines = {}, {}
        for item in items:
            key = str(item.get("id", ""))
            m = re.search(r'"id"\s*:\s*"' + re.escape(key) + '"', text)
            lines[key] = text.count("\n", 0, m.start()) + 1 if m else None
            if key in refs:
                raise CitationError(f"duplicate id '{key}'", path, lines[key])
            refs[key] = item
        return Source(str(path), refs, lines)
    import pybtex.errors
    from pybtex.database import parse_string
    from pybtex.scanner import PybtexSyntaxError
    pybtex.errors.set_strict_mode(True)
    try:
        data = parse_string(text, "bibtex")
    except PybtexSyntaxError as e:
        raise CitationError(str(e.args[0] if e.args else e), path, e.lineno) from None
    except Exception as e:  # BibliographyDataError: repeated entry, ...
        raise CitationError(str(e), path) from None
    lines = _entry_lines(text)
    refs = {}
    for key, entry in data.entries.items():
        parent_key = entry.fields.get("crossref")
        parent = data.entries.get(parent_key) if parent_key else None
        refs[key] = bibtex_entry_to_csl(key, entry, parent)
    return Source(str(path), refs, lines)


# --------------------------------------------------------------------------
# 2. Engine (citeproc-py + patches)
# --------------------------------------------------------------------------



class Markup(str):
    """A markup tag inside data (e.g. '<i>'): never case-changed or escaped."""


_MARKUP_SEG = None


def _make_markup_class():
    global _MARKUP_SEG
    if _MARKUP_SEG is None:
        from citeproc.string import NoCase

        class _Markup(NoCase, Markup):
            pass
        _MARKUP_SEG = _Markup
    return _MARKUP_SEG


_RICH_TAG = re.compile(r'(<i>|</i>|<b>|</b>|<sup>|</sup>|<sub>|</sub>|<span class="nocase">|'
                       r'<span style="font-variant:\s*small-caps;?">|</span>)')


def rich_to_citeproc(text):
    """CSL-JSON rich text -> citeproc MixedString; plain text HTML-escaped here, because
    citeproc-py's HTML formatter never escapes variable values."""
    from citeproc.string import MixedString, NoCase, String
    MarkupSeg = _make_markup_class()
    out, spans = [], []
    nocase = 0
    for piece in _RICH_TAG.split(str(text)):
        if not piece:
            continue
        if _RICH_TAG.fullmatch(piece):
            if piece == '<span class="nocase">':
                spans.append("nocase")
                nocase += 1
                continue
            if piece.startswith("<span"):
                spans.append("sc")
            elif piece == "</span>":
                kind = spans.pop() if spans else "sc"
                if kind == "nocase":
                    nocase -= 1
                    continue
            out.append(MarkupSeg(piece))
            continue
        escaped = html.escape(_apostrophes(piece), quote=False)
        out.append(NoCase(escaped) if nocase else String(escaped))
    return MixedString(out) if out else String("")


def _apostrophes(text: str) -> str:
    """Straight apostrophes become ’ (as citeproc-js and pandoc do): O'Brien -> O’Brien."""
    return re.sub(r"(?<=\w)'", "’", text) if "'" in text else text


def csl_to_reference(item: dict):
    """CSL-JSON dict -> citeproc Reference (keys keep their case in 'octavo_key')."""
    from citeproc import NAMES, DATES, NUMBERS
    from citeproc.source import Reference, Name, Date, DateRange, LiteralDate
    data = {}
    for key, value in item.items():
        var = key.replace("-", "_")
        if var in ("id", "type", "key"):
            continue
        if var == "shortTitle":
            var = "title_short"
        if var in NAMES:
            names = []
            for n in value:
                n = {k: html.escape(_apostrophes(str(v)), quote=False) if v != OTHERS else v
                     for k, v in n.items() if k in ("family", "given", "literal", "suffix",
                                                    "dropping-particle", "non-dropping-particle")}
                if "family" not in n and "literal" not in n and "given" in n:
                    n = {"literal": n["given"]}
                if n:
                    names.append(Name(**n))
            data[var] = names
        elif var in DATES:
            parts = value.get("date-parts") if isinstance(value, dict) else None
            circa = bool(value.get("circa")) if isinstance(value, dict) else False
            if parts and parts[0] and parts[0][0] not in (None, ""):
                dates = [Date(**dict(zip(("year", "month", "day"), p))) for p in parts]
                data[var] = (Date(circa=circa, **dict(zip(("year", "month", "day"), parts[0])))
                             if len(dates) == 1 else DateRange(begin=dates[0], end=dates[1], circa=circa))
            elif isinstance(value, dict) and value.get("literal"):
                data[var] = LiteralDate(html.escape(value["literal"]), circa=circa)
            elif isinstance(value, dict) and value.get("raw"):
                m = re.match(r"(\d{4})(?:-(\d\d))?(?:-(\d\d))?", value["raw"])
                if m:
                    data[var] = Date(**{k: int(v) for k, v in zip(("year", "month", "day"), m.groups()) if v})
        elif var in NUMBERS or var == "page":
            data[var] = html.escape(str(value), quote=False)
        elif var in ("URL", "DOI", "ISBN", "ISSN", "language"):
            data[var] = html.escape(str(value), quote=False) if var != "language" else str(value)
        else:
            data[var] = rich_to_citeproc(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # CSL 1.0.2 variables citeproc-py does not list
        ref = Reference(str(item["id"]).lower(), item.get("type", "document"), **data)
    return ref


