"""Writing systems: cleaning a chapter's characters, and what a PDF reads back of them.

`clean_text` runs on every chapter as it is read: the text is put in Unicode NFC (a
Greek or Vietnamese word typed with combining accents is then one run of one font,
not letters and loose accents in different fonts), and the characters no XML document
may hold (C0 and C1 controls, as pasted from a terminal, and noncharacters) are
removed; the MS-011 check reports each with its line.

`unreliable_in_pdf` names the characters whose text a PDF cannot give back exactly
(measured with pdfium on WeasyPrint's PDFs, /work/proto/fonts/REPORT.md): colour
emoji are images (no text), right-to-left runs come back in visual order, and Indic
conjuncts and reordered vowel signs come back lossily. The text checks leave them out
of the sentences they look for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; noncharacters.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
                       "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff"
                       "\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]")


@dataclass(frozen=True)
class Removed:
    line: int
    character: str

    @property
    def name(self) -> str:
        code = ord(self.character)
        label = unicodedata.name(self.character, "") or CONTROL_NAMES.get(code, "")
        return f"U+{code:04X}" + (f" {label}" if label else "")


CONTROL_NAMES = {0x07: "BELL", 0x08: "BACKSPACE", 0x0B: "LINE TABULATION",
                 0x0C: "FORM FEED", 0x1B: "ESCAPE", 0x7F: "DELETE"}


def clean_text(text: str) -> tuple[str, list[Removed]]:
    """(NFC text without forbidden characters, what was removed and where)."""
    removed = []
    if FORBIDDEN.search(text):
        for found in FORBIDDEN.finditer(text):
            removed.append(Removed(text.count("\n", 0, found.start()) + 1, found.group()))
        text = FORBIDDEN.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text, removed


# ---------- what a PDF gives back ----------

RIGHT_TO_LEFT = ("\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
                 "\U00010800-\U00010fff\U0001e800-\U0001efff")
INDIC_AND_SOUTHEAST_ASIAN = ("\u0900-\u0dff\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff"
                             "\u1900-\u1aff\u1b00-\u1c4f\ua8e0-\ua8ff\ua980-\uaadf"
                             "\U00011000-\U000111ff")
EMOJI = ("\u200d\u20e3\ufe0e\ufe0f\u2300-\u23ff\u25fd\u25fe\u2600-\u27bf\u2b00-\u2bff"
         "\u3030\u303d\u3297\u3299\U0001f000-\U0001faff\U000e0000-\U000e007f")
BIDI_CONTROLS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNRELIABLE = re.compile(f"[{RIGHT_TO_LEFT}{INDIC_AND_SOUTHEAST_ASIAN}{EMOJI}{BIDI_CONTROLS}]")
# A run of such characters, with what sits between them and at their edges (spaces,
# digits, punctuation: the bidi algorithm moves those with an RTL run).
UNRELIABLE_RUN = re.compile(
    rf"[^\w]*(?:[0-9#*](?=[\ufe0f\u20e3]))?[{RIGHT_TO_LEFT}{INDIC_AND_SOUTHEAST_ASIAN}{EMOJI}{BIDI_CONTROLS}]"
    rf"(?:[^\w]|\d|[{RIGHT_TO_LEFT}{INDIC_AND_SOUTHEAST_ASIAN}{EMOJI}{BIDI_CONTROLS}])*")


def unreliable_in_pdf(text: str) -> bool:
    return bool(UNRELIABLE.search(text))


# An embedding, override or isolate reorders everything after it in its paragraph.
REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")


def cut_unreliable(text: str, gap: str) -> str:
    """`text` with each run a PDF cannot give back replaced by `gap`."""
    if not UNRELIABLE.search(text):
        return text
    reordered = REORDERING.search(text)
    if reordered:
        text = text[:reordered.start()] + gap
    return UNRELIABLE_RUN.sub(gap, text)


# Unicode's Default_Ignorable_Code_Point: never drawn (a renderer shows nothing, not a box),
# and a PDF does not give them back.
DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def is_default_ignorable(char: str) -> bool:
    return bool(DEFAULT_IGNORABLE.match(char))


# ---------- hyphenation ----------

def hyphenation_language(language: str) -> str | None:
    """The pyphen dictionary WeasyPrint will use for `language`, or None (no hyphenation)."""
    import pyphen
    return pyphen.language_fallback((language or "").replace("-", "_"))
