"""Sorting index entries by the book's language, and their letter groups.

With PyICU (pyproject.toml installs it; it compiles against Debian's libicu-dev): ICU's
collator and alphabetic index for the language, so Azerbaijani sorts Ə after E and files
it under its own letter, German ä with a, Swedish å after z. Without it, a documented
fallback: the text decomposed (NFKD), accents dropped, case folded, ß as ss; letter
groups by the first base letter. Either way leading punctuation and quotes are ignored,
and entries that start with neither a letter nor a digit go under "Symbols" first."""

from __future__ import annotations

import functools
import re
import unicodedata

LEADING = re.compile(r"^[\W_]+")


def _strip(text: str) -> str:
    stripped = LEADING.sub("", text.strip())
    return stripped or text.strip()


class FallbackCollation:
    """Unicode without ICU: base letters, then accents, then case (a stable order)."""

    def __init__(self, language: str):
        self.language = language.split("-")[0].lower()

    def _base(self, text: str) -> str:
        text = _strip(text)
        if self.language == "de":
            text = text.replace("ß", "ss")
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    def key(self, text: str):
        return (self._base(text), unicodedata.normalize("NFKD", _strip(text)).casefold(), text)

    def letter(self, text: str) -> str | None:
        """The group's letter, or None for symbols and numbers."""
        base = self._base(text)
        return base[:1].upper() if base[:1].isalpha() else None


class IcuCollation:
    def __init__(self, language: str):
        import icu
        locale = icu.Locale(language.replace("-", "_"))
        self.collator = icu.Collator.createInstance(locale)
        self.index = icu.AlphabeticIndex(locale).buildImmutableIndex()

    def key(self, text: str):
        return (self.collator.getSortKey(_strip(text)), text)

    def letter(self, text: str) -> str | None:
        label, kind = self.index.getBucket(self.index.getBucketIndex(_strip(text)))
        if kind == 1:  # underflow: digits, symbols
            return None
        if kind == 2:  # overflow: a script the language's alphabet does not have
            return _strip(text)[:1].upper() or None
        return label


@functools.lru_cache(maxsize=8)
def collation_for(language: str):
    """ICU's rules for `language` if PyICU is importable, else the fallback."""
    try:
        return IcuCollation(language)
    except ImportError:
        return FallbackCollation(language)
