"""How to print, fold and bind the booklet, in words: the build prints them and writes
them to `dist/<slug>-booklet.txt`; the README quotes them.

Takes a `BookletInfo`; gives the text. Its last part lists every sheet (the PDF pages to
print to reprint it alone, and the book pages it carries), signature by signature; the
booklet check reads that list back and holds it against the booklet (PRN-004), so the
lines keep one exact form:

    Signature 3 of 26: pages 33–48, 4 sheets
      sheet 9 (PDF pages 17–18): pages 33, 34, 47, 48
"""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

from .sheets import SHEETS, describe

if TYPE_CHECKING:
    from .info import BookletInfo

STAPLER_SHEETS = 20  # an office stapler and a hand fold: about 10–20 sheets of 80 g/m²
TRIM_AFTER_MM = 3.0  # a sheet this much larger than two pages leaves paper to trim off
WIDTH = 88  # the text is wrapped to this many columns
_MARKER = re.compile(r"\s*(?:(?:\d+|[a-z])\. |\()?")  # a line's indent and its step's number


def _wrap(text: str) -> str:
    """Each line filled to WIDTH, its continuation lines hanging under its first word."""
    lines = []
    for line in text.split("\n"):
        hang = " " * len(_MARKER.match(line).group())
        lines.append(textwrap.fill(line, WIDTH, subsequent_indent=hang,
                                   break_on_hyphens=False) if line.strip() else "")
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def sheet_pages(info: "BookletInfo") -> list[tuple[int, int, tuple[int | None, ...]]]:
    """(signature, sheet, pages in reading order) of every sheet, 0-based indexes."""
    rows, at = [], 0
    sheet = 0
    for signature, sheets in enumerate(info.signatures or (info.sheets,)):
        pages = info.reading[at:at + 4 * sheets]
        count = len(pages)
        for i in range(sheets):
            rows.append((signature, sheet, (pages[2 * i], pages[2 * i + 1],
                                            pages[count - 2 * i - 2], pages[count - 2 * i - 1])))
            sheet += 1
        at += 4 * sheets
    return rows


def _pages(pages: tuple[int | None, ...]) -> str:
    return ", ".join("blank" if page is None else str(page) for page in pages)


def sheet_list(info: "BookletInfo") -> list[str]:
    """Every sheet, signature by signature: what to print to reprint it alone."""
    signatures = info.signatures or (info.sheets,)
    lines = ["Sheets of each signature, to reprint one alone:" if info.binding == "signatures"
             else "Sheets, to reprint one alone:"]
    at = 0
    rows = sheet_pages(info)
    for signature, sheets in enumerate(signatures):
        if info.binding == "signatures":
            numbers = [page for page in info.reading[at:at + 4 * sheets] if page is not None]
            lines.append(f"Signature {signature + 1} of {len(signatures)}: pages "
                         f"{min(numbers)}–{max(numbers)}, {_plural(sheets, 'sheet')}")
        at += 4 * sheets
        for _, sheet, pages in (row for row in rows if row[0] == signature):
            lines.append(f"  sheet {sheet + 1} (PDF pages {2 * sheet + 1}–{2 * sheet + 2}): "
                         f"pages {_pages(pages)}")
    return lines


def _signature_sizes(signatures: tuple[int, ...]) -> str:
    sizes = []
    for sheets in dict.fromkeys(signatures):
        count = signatures.count(sheets)
        sizes.append(f"{count} of {_plural(sheets, 'sheet')} ({4 * sheets} pages)")
    return " and ".join(sizes)


def _counting(signatures: tuple[int, ...]) -> str:
    """"4 sheets for each of signatures 1–25, then 3 for signature 26"."""
    runs, start = [], 0
    for index in range(1, len(signatures) + 1):
        if index == len(signatures) or signatures[index] != signatures[start]:
            runs.append((signatures[start], start + 1, index))
            start = index
    parts = []
    for sheets, first, last in runs:
        who = f"signature {first}" if first == last else f"each of signatures {first}–{last}"
        parts.append(f"{_plural(sheets, 'sheet')} for {who}")
    return ", then ".join(parts)


def print_instructions(info: "BookletInfo", sheets: bool = True) -> str:
    """How to print, fold and bind the booklet. `sheets`: end with every sheet's pages
    (the file has them; the terminal does without)."""
    paper = SHEETS[info.sheet].name
    signatures = info.signatures or (info.sheets,)
    stack = _plural(info.sheets, "sheet")
    bound = info.binding == "signatures"
    lines = [f"Printing the booklet ({info.pages_padded} pages on {stack} of {paper} "
             f"paper), " + (f"in {len(signatures)} signatures:" if bound else
                            "one saddle-stitched booklet:")]
    if bound:
        lines.append(f"  The {info.pages_in} pages are printed in signatures: small folded "
                     "sections, stacked and then sewn or glued; here "
                     f"{_signature_sizes(signatures)}. " + (
                         f"(As one saddle-stitched booklet they would be {info.sheets} sheets "
                         "thick: more than a hand fold and an office stapler manage, about "
                         f"10–{STAPLER_SHEETS} sheets, and the inner pages of a thick booklet "
                         "stick out at the fore-edge.)" if info.sheets > STAPLER_SHEETS else
                         f"({info.sheets} sheets would also make one saddle-stitched booklet: "
                         "build with --binding saddle.)"))
    if info.blanks:
        lines.append(f"  ({_plural(info.blanks, 'blank page')} added "
                     + ("before the back cover" if info.blank_positions[-1] < info.pages_padded
                        else "at the end") + " to fill the last sheet.)")
    steps = [
        f"Paper: load {paper}, landscape; {stack}, printed on both sides.",
        "Duplex (two-sided): flip on the SHORT edge.",
        "Scale: 100 % / \"Actual size\" (turn off \"Fit to page\" and \"Shrink oversized "
        "pages\"); do not use the printer's own booklet mode: the file is already imposed.",
        "Check: on the first sheet, page 2 is printed directly behind page 1, the same "
        "way up.",
    ]
    steps += _signature_steps(info, signatures) if bound else _saddle_steps(info)
    lines += [f"  {number}. {step}" for number, step in enumerate(steps, 1)]
    lines += _notes(info)
    text = _wrap("\n".join(lines))
    if sheets:
        text += "\n\n" + "\n".join(sheet_list(info))
    return text


def _saddle_steps(info: "BookletInfo") -> list[str]:
    return ["Keep the sheets in order, the sheet with the covers outside; fold the stack in "
            "half along the centre line, crease it, and staple twice on the fold (a "
            "long-reach stapler reaches it; or open an ordinary stapler flat, staple through "
            "the fold into an eraser and bend the legs in by hand)."]


def _signature_steps(info: "BookletInfo", signatures: tuple[int, ...]) -> list[str]:
    count = len(signatures)
    return [
        f"Take the sheets off in printed order, signature by signature: "
        f"{_counting(signatures)} (the list below names every sheet).",
        "Fold each signature on its own: its sheets in printed order, the first one outside; "
        "fold them in half along the centre line together and crease hard (a bone folder "
        f"or the back of a spoon). A tiny label in the fold margin of a signature's first "
        f"page says which one it is (\"{info.label} · 1/{count}\" on the first).",
        "Stack the folded signatures in order, signature 1 on top, folds together. The "
        "black collation marks on the folds step down from signature to signature into one "
        "diagonal: a mark out of line is a signature out of order or upside down; a gap is "
        "a missing one.",
        "Bind them, sewn or glued:\n"
        "     Sewn (a pamphlet stitch through each signature; the book opens flat):\n"
        "       a. Make a paper strip as long as the fold with three holes: the middle and "
        "2 cm from each end. Open each signature at its centre, lay the strip in the fold "
        "and pierce the holes with an awl or a thick needle.\n"
        "       b. Sew each signature with strong thread: from inside out through the middle "
        "hole (leave a 5 cm tail), in through the top hole, along the inside past the middle "
        "and out through the bottom hole, in again through the middle hole; tie the two "
        "ends over the long stitch inside.\n"
        "       c. Stack the sewn signatures in order, square the spine on the table, brush a "
        "thin coat of PVA glue along it, and wrap a card cover around it.\n"
        "     Glued (perfect binding at home):\n"
        "       a. Stack the folded signatures in order, knock spine and head square, and "
        "clamp the stack between two boards with the spine 3 mm proud.\n"
        "       b. Saw shallow cuts across the spine, 1–2 mm deep every 1.5 cm, so the glue "
        "reaches every sheet.\n"
        "       c. Brush flexible PVA (bookbinding glue) into the spine and the cuts; let it "
        "dry 20 minutes and give it a second coat.\n"
        "       d. Glue a card cover around the spine, press the book overnight under a pile "
        "of books, then trim the fore-edge with a sharp knife and a steel ruler if the "
        "inner leaves stick out.",
        "A misprinted sheet: print only its two PDF pages (listed below), duplex as above, "
        "and put it back in its place.",
    ]


def _notes(info: "BookletInfo") -> list[str]:
    notes = []
    if info.binding != "signatures" and info.sheets > STAPLER_SHEETS:
        notes.append(f"  Beware: {info.sheets} sheets are more than a hand fold and an office "
                     f"stapler manage (about 10–{STAPLER_SHEETS} sheets), and the inner pages "
                     "will stick out at the fore-edge. Print the book in signatures instead "
                     "(build with --binding signatures), or have a print shop stitch it.")
    width, height = info.sheet_size
    trim = info.trim
    if info.scale < 1:
        notes.append(f"  The {describe(trim)} pages print at {round(info.scale * 100)} % to fit "
                     f"{SHEETS[info.sheet].name}.")
    elif trim[0] and (width / 2 - trim[0] > TRIM_AFTER_MM * 72 / 25.4
                      or height - trim[1] > TRIM_AFTER_MM * 72 / 25.4):
        notes.append(f"  The sheet is larger than two {describe(trim)} pages: after binding, "
                     "trim the head, foot and fore-edge to the page size.")
    if info.creep_auto:
        notes.append(f"  Creep: each sheet is pushed {info.paper_thickness_mm:g} mm (the paper's "
                     "thickness) further toward the spine than the sheet around it, so the "
                     "text lines up once folded.")
    elif info.creep_mm:
        notes.append(f"  Creep: the innermost sheet's pages are shifted {abs(info.creep_mm):g} mm "
                     + ("away from" if info.creep_mm > 0 else "toward") + " the spine.")
    return notes
