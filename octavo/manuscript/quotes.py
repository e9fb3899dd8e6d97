"""Quotation marks in the book's language, nested as the language nests them.

Python-Markdown's smarty decides where each straight quote opens or closes, but it has
one pair for `"` and one for `'`, and its closing single quote is also the apostrophe
(so German ‚…‘ there would give "geht‘s"). `SUBSTITUTIONS` makes smarty write
placeholders instead (Unicode noncharacters, which `scripts.clean_text` removes from
manuscripts); `pair_quotes` then walks each block of the sanitised tree and writes the
language's marks: a `"` inside another takes the secondary pair, a `'` opens the
secondary pair, and a lone or word-internal `'` is the apostrophe ’.

The marks are CLDR's (`quotationStart/End`, `alternateQuotationStart/End`, checked
against CLDR 48 in /work/proto/fonts/REPORT.md). A language missing here gets English
marks, as every book did before.
"""

from __future__ import annotations

NNBSP = "\u202f"  # narrow no-break space: inside French guillemets
APOSTROPHE = "\u2019"
LEFT_DOUBLE, RIGHT_DOUBLE, LEFT_SINGLE, RIGHT_SINGLE = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3"
PLACEHOLDERS = {LEFT_DOUBLE, RIGHT_DOUBLE, LEFT_SINGLE, RIGHT_SINGLE}
SUBSTITUTIONS = {"left-double-quote": LEFT_DOUBLE, "right-double-quote": RIGHT_DOUBLE,
                 "left-single-quote": LEFT_SINGLE, "right-single-quote": RIGHT_SINGLE}

# language -> (primary open, primary close, secondary open, secondary close)
MARKS = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "az": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "tr": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "cs": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "de-CH": ("\u00ab", "\u00bb", "\u2039", "\u203a"),
    "fr": ("\u00ab" + NNBSP, NNBSP + "\u00bb", "\u00ab" + NNBSP, NNBSP + "\u00bb"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "uk": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),
}
# Where a quotation restarts its nesting (a new paragraph, item, cell or heading).
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd",
          "figcaption", "blockquote", "div", "section", "aside", "caption", "pre"}


def marks(language: str) -> tuple[str, str, str, str]:
    """The quotation marks of a BCP 47 tag (`de-CH` first, then `de`), English if unknown."""
    tag = (language or "en").replace("_", "-")
    return MARKS.get(tag) or MARKS.get(tag.split("-")[0].lower()) or MARKS["en"]


class _Pairing:
    """The state of one block: how deep the double quotes are, how many singles open."""

    def __init__(self, language: str):
        self.marks = marks(language)
        self.reset()

    def reset(self) -> None:
        self.depth, self.singles = 0, 0

    def text(self, text: str | None) -> str | None:
        if not text or not PLACEHOLDERS.intersection(text):
            return text
        primary_open, primary_close, secondary_open, secondary_close = self.marks
        out = []
        for index, char in enumerate(text):
            if char == LEFT_DOUBLE:
                out.append(primary_open if self.depth % 2 == 0 else secondary_open)
                self.depth += 1
            elif char == RIGHT_DOUBLE:
                self.depth = max(self.depth - 1, 0)
                out.append(primary_close if self.depth % 2 == 0 else secondary_close)
            elif char == LEFT_SINGLE:
                out.append(secondary_open)
                self.singles += 1
            elif char == RIGHT_SINGLE:
                following = text[index + 1:index + 2]
                if self.singles and not following.isalnum():
                    out.append(secondary_close)
                    self.singles -= 1
                else:
                    out.append(APOSTROPHE)
            else:
                out.append(char)
        return "".join(out)


def pair_quotes(body, language: str) -> None:
    """Replace smarty's placeholders in a sanitised tree by the language's marks."""
    pairing = _Pairing(language)

    def walk(element):
        if isinstance(element.tag, str) and element.tag in BLOCKS:
            pairing.reset()
        element.text = pairing.text(element.text)
        for child in element:
            walk(child)
            child.tail = pairing.text(child.tail)

    walk(body)


def pair_in_string(text: str, language: str) -> str:
    """The same, for a plain string (a title, an alt text)."""
    return _Pairing(language).text(text) or ""
