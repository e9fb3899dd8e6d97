"""The words the structure prints, in the book's language: "Chapter", "Figure", "and",
"References" from the CSL locale files bundled with citeproc-py (65 languages, CC BY-SA),
the few CSL has no term for ("Contents", "Index", "see also", "on page") from a small
table here. English where neither knows the language."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

CSL_NS = {"cs": "http://purl.org/net/xbiblio/csl"}
CSL_TERMS = ("chapter", "appendix", "part", "figure", "table", "equation", "section", "page",
             "and", "reference")
OWN = {  # words CSL locales do not have
    "en": {"contents": "Contents", "index": "Index", "listing": ("listing", "listings"),
           "on": "on", "see": "see", "see also": "see also", "symbols": "Symbols",
           "references": "References"},
    "de": {"contents": "Inhalt", "index": "Register", "listing": ("Listing", "Listings"),
           "on": "auf", "see": "siehe", "see also": "siehe auch", "symbols": "Symbole",
           "references": "Literatur"},
    "fr": {"contents": "Table des matières", "index": "Index",
           "listing": ("listing", "listings"), "on": "à la", "see": "voir",
           "see also": "voir aussi", "symbols": "Symboles", "references": "Références"},
    "es": {"contents": "Índice", "index": "Índice alfabético",
           "listing": ("listado", "listados"), "on": "en la", "see": "véase",
           "see also": "véase también", "symbols": "Símbolos", "references": "Referencias"},
    "it": {"contents": "Indice", "index": "Indice analitico",
           "listing": ("listato", "listati"), "on": "a", "see": "vedi",
           "see also": "vedi anche", "symbols": "Simboli", "references": "Bibliografia"},
    "nl": {"contents": "Inhoud", "index": "Register", "listing": ("listing", "listings"),
           "on": "op", "see": "zie", "see also": "zie ook", "symbols": "Symbolen",
           "references": "Literatuur"},
    "az": {"contents": "Mündəricat", "index": "Göstərici", "listing": ("listinq", "listinqlər"),
           "on": "", "see": "bax", "see also": "həmçinin bax", "symbols": "Simvollar",
           "references": "Ədəbiyyat", "chapter": ("fəsil", "fəsillər"),
           "appendix": ("əlavə", "əlavələr"), "part": ("hissə", "hissələr"),
           "figure": ("şəkil", "şəkillər"), "table": ("cədvəl", "cədvəllər"),
           "equation": ("düstur", "düsturlar"), "section": ("bölmə", "bölmələr"),
           "page": ("səhifə", "səhifələr"), "and": "və"},
}


def csl_locale(language: str) -> str | None:
    """The citeproc-py locale for a BCP 47 tag (`en` → `en-US`), or None."""
    import citeproc
    folder = Path(citeproc.LOCALES_PATH)
    tag = language.replace("_", "-")
    if (folder / f"locales-{tag}.xml").is_file():
        return tag
    primary = json.loads((folder / "locales.json").read_text(encoding="utf-8"))
    base = tag.split("-")[0].lower()
    dialect = primary["primary-dialects"].get(base)
    return dialect if dialect and (folder / f"locales-{dialect}.xml").is_file() else None


@dataclass(frozen=True)
class Terms:
    words: dict

    def noun(self, name: str, count: int = 1, capital: bool = True) -> str:
        single, plural = self.words[name] if isinstance(self.words[name], tuple) \
            else (self.words[name], self.words[name])
        word = single if count == 1 else plural
        return word[:1].upper() + word[1:] if capital else word

    def word(self, name: str) -> str:
        return self.words[name]

    def join(self, items: list[str]) -> list[str]:
        """Separators for a list: ["", " and "] or ["", ", ", " and "]."""
        if len(items) < 2:
            return [""] * len(items)
        return [""] + [", "] * (len(items) - 2) + [f" {self.words['and']} "]


@functools.lru_cache(maxsize=8)
def terms_for(language: str) -> Terms:
    import citeproc
    words: dict = dict(OWN["en"])
    locale = csl_locale(language) or "en-US"
    for name in CSL_TERMS:
        words.setdefault(name, (name, name + "s"))
    for path in dict.fromkeys((Path(citeproc.LOCALES_PATH) / "locales-en-US.xml",
                               Path(citeproc.LOCALES_PATH) / f"locales-{locale}.xml")):
        for term in etree.parse(str(path)).iterfind(".//cs:terms/cs:term", CSL_NS):
            name = term.get("name")
            if name not in CSL_TERMS or term.get("form") not in (None, "long"):
                continue
            single = term.find("cs:single", CSL_NS)
            plural = term.find("cs:multiple", CSL_NS)
            if single is not None and single.text:
                words[name] = (single.text, plural.text if plural is not None and plural.text
                               else single.text)
            elif term.text and term.text.strip():
                words[name] = term.text.strip()
    words.update(OWN.get(language.split("-")[0].lower(), {}))
    return Terms(words)
