"""PRN- checks: the imposed booklet read back against the print PDF and its instructions.

The plan (how many sheets, and how many of them each signature folds together) is read
from the instructions the build wrote beside the booklet (`<slug>-booklet.txt`); without
them the booklet is taken as one saddle-stitched stack, as older builds made it. The
fold order is worked out here again, independently of the imposer, and every half of
every side must show the page it puts there (`booklet_read` reads the sides).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from ..pdfread.opened import opened
from ..pdfread.text import normalise, page_texts
from . import ERROR, INFO, CheckContext, Finding, text_source
from .booklet_read import sides_by_pdfium, sides_by_structure

MM = 72 / 25.4
TOLERANCE_PT = 0.01
STEP_TOLERANCE_PT = 0.05
MAX_SIGNATURE_SHEETS = 8
SHEETS_PT = {"A4": (297 * MM, 210 * MM), "US Letter": (792.0, 612.0),
             "A3": (420 * MM, 297 * MM), "tabloid": (1224.0, 792.0),
             "12 × 18 in": (1296.0, 864.0)}
HEADER = re.compile(r"^Printing the booklet \((\d+) pages on (\d+) sheets? of .+ paper\), "
                    r"(?:in (\d+) signatures|one saddle-stitched booklet):$")
SIGNATURE_LINE = re.compile(r"^Signature (\d+) of (\d+): pages (\d+)–(\d+), (\d+) sheets?$")
SHEET_LINE = re.compile(r"^  sheet (\d+) \(PDF pages (\d+)–(\d+)\): pages (.+)$")


def _words(text: str) -> list[str]:
    return sorted(normalise(text).split())


def reading_order(pages: int) -> list[int | None]:
    """The pages, with blanks (None) just before the back cover to fill the last sheet."""
    padded = 4 * math.ceil(pages / 4)
    blanks = [None] * (padded - pages)
    return list(range(1, pages)) + blanks + [pages] if pages > 1 else [1] + blanks


def expected_sides(pages: int, signatures: list[int] | None = None
                   ) -> list[tuple[int | None, int | None]]:
    """Fold order, worked out here independently of the imposer.

    The reading order is cut into signatures of 4·s positions (one signature of every
    sheet when saddle-stitched). In a signature of P positions, its sheet i (outermost
    first) shows (P-2i, 2i+1) on its front and (2i+2, P-2i-1) on its back, as (left,
    right), 1-based positions within the signature.
    """
    reading = reading_order(pages)
    signatures = signatures or [len(reading) // 4]
    sides, start = [], 0
    for sheets in signatures:
        size = 4 * sheets
        at = lambda position: reading[start + position - 1]  # noqa: E731
        for i in range(sheets):
            sides.append((at(size - 2 * i), at(2 * i + 1)))
            sides.append((at(2 * i + 2), at(size - 2 * i - 1)))
        start += size
    return sides


def _sheet_pages(sides: list[tuple]) -> list[list[int | None]]:
    """Each sheet's pages in reading order: front right, back left, back right, front left."""
    return [[front[1], back[0], back[1], front[0]]
            for front, back in zip(sides[::2], sides[1::2])]


class Plan:
    """What the instructions say: sheets, signatures, each sheet's pages."""

    def __init__(self, text: str):
        lines = text.splitlines()
        first = []
        for line in lines:
            if line.startswith(" ") or not line.strip():
                break
            first.append(line.strip())
        header = HEADER.match(" ".join(first))
        self.sheets = int(header.group(2)) if header else None
        self.count = (int(header.group(3)) if header.group(3) else 1) if header else None
        self.signatures = [match.groups() for match in map(SIGNATURE_LINE.match, lines)
                           if match]
        self.rows = [match.groups() for match in map(SHEET_LINE.match, lines) if match]

    def sizes(self) -> list[int] | None:
        if self.signatures:
            return [int(row[4]) for row in self.signatures]
        return [self.sheets] if self.sheets else None


def _plan_findings(plan: Plan | None, name: str, sheets: int, pages: int) -> list[Finding]:
    """PRN-004: the instructions disagree with the booklet, or their plan is unsound."""
    if plan is None:
        return []
    problems = []
    sizes = plan.sizes()
    if plan.sheets is None:
        problems.append("do not say how many sheets to print")
    elif plan.sheets != sheets:
        problems.append(f"say {plan.sheets} sheets; the booklet has {sheets}")
    if plan.count and plan.count > 1:
        if [int(row[0]) for row in plan.signatures] != list(range(1, plan.count + 1)) or \
                any(int(row[1]) != plan.count for row in plan.signatures):
            problems.append(f"do not list signatures 1 to {plan.count}")
        elif sum(sizes) != sheets:
            problems.append(f"list signatures of {sum(sizes)} sheets in all, not {sheets}")
        elif max(sizes) - min(sizes) > 1 or max(sizes) > MAX_SIGNATURE_SHEETS:
            problems.append("cut the book into unbalanced signatures ("
                            + ", ".join(map(str, sizes)) + " sheets)")
    if not problems and sizes and sum(sizes) == sheets:
        wanted = _sheet_pages(expected_sides(pages, sizes))
        listed = [(int(a), int(b), int(c), row.split(", ")) for a, b, c, row in plan.rows]
        for number, (sheet, first, second, shown) in enumerate(listed, 1):
            expected = ["blank" if page is None else str(page)
                        for page in wanted[number - 1]] if number <= len(wanted) else None
            if (sheet, first, second) != (number, 2 * number - 1, 2 * number) or \
                    shown != expected:
                problems.append(f"list sheet {number} wrongly (it carries pages "
                                + (", ".join(expected) if expected else "nothing") + ")")
                break
        else:
            if len(listed) != len(wanted):
                problems.append(f"list {len(listed)} sheets, not {len(wanted)}")
    return [Finding("PRN-004", ERROR, f"the booklet's instructions {problem}", name)
            for problem in problems]


def _mark_findings(sides, starts: list[int], count: int, name: str) -> list[Finding]:
    """PRN-005: one collation mark on the outside of each signature, stepping down the
    fold signature by signature (starting again at the head when the fold is full), and
    none elsewhere; PRN-007: each signature's label in the fold margin of its first page."""
    findings, marks = [], []
    firsts = {2 * sheet: index for index, sheet in enumerate(starts)}
    for number, side in enumerate(sides, 1):
        index = firsts.get(number - 1)
        if index is None:
            if side.marks:
                findings.append(Finding("PRN-005", ERROR, f"side {number} has a collation mark "
                                        "but is no signature's outside", f"{name} side {number}"))
            continue
        if len(side.marks) != 1:
            findings.append(Finding("PRN-005", ERROR, f"signature {index + 1} has "
                                    f"{len(side.marks)} collation marks on its fold, not one",
                                    f"{name} side {number}"))
        marks.append(side.marks[0] if len(side.marks) == 1 else None)
        wanted = f"{index + 1}/{count}"
        if not any(re.search(rf"(?<![\d/]){re.escape(wanted)}(?![\d/])", label)
                   for label in side.labels):
            findings.append(Finding("PRN-007", ERROR, f"signature {index + 1}'s first page has "
                                    f"no label \"{wanted}\" in its fold margin",
                                    f"{name} side {number}"))
    placed = [(index, mark) for index, mark in enumerate(marks) if mark is not None]
    head = placed[0][1][3] if placed else 0.0
    for (_, before), (index, mark) in zip(placed, placed[1:]):
        same = abs((mark[3] - mark[1]) - (before[3] - before[1])) <= STEP_TOLERANCE_PT
        steps_on = abs(mark[3] - before[1]) <= STEP_TOLERANCE_PT  # starts where it ended
        again = abs(mark[3] - head) <= STEP_TOLERANCE_PT < abs(before[3] - head)  # fold full
        if not same or not (steps_on or again):
            findings.append(Finding("PRN-005", ERROR, f"the collation mark of signature "
                                    f"{index + 1} does not step down from the one before "
                                    "(a misordered stack would not show)",
                                    f"{name} side {2 * starts[index] + 1}"))
    return findings


def _plan_of(context: CheckContext) -> Plan | None:
    text = context.outputs.get("booklet-txt")
    if text is None or not Path(text).exists():
        return None
    return Plan(Path(text).read_text(encoding="utf-8"))


def booklet_is_imposed_right(context: CheckContext) -> list[Finding]:
    path, source = context.outputs.get("booklet"), context.outputs.get("print-pdf")
    if source is not None and path is None and source.exists():
        return _no_booklet(source)
    if path is None or source is None or not path.exists():
        return []
    findings = []
    with opened(source) as pdf:
        count = len(pdf.pages)
    with opened(path) as pdf:
        sizes = [tuple(float(v) for v in page.obj.MediaBox) for page in pdf.pages]
    plan = _plan_of(context)
    findings += _plan_findings(plan, plan and context.outputs["booklet-txt"].name,
                               len(sizes) // 2, count)
    sizes_listed = plan.sizes() if plan else None
    signatures = sizes_listed if sizes_listed and sum(sizes_listed) == len(sizes) // 2 else None
    wanted = expected_sides(count, signatures)
    bound = bool(plan and plan.count and plan.count > 1)
    if len(sizes) != len(wanted):
        findings.append(Finding("PRN-001", ERROR, f"{len(sizes)} sides for {count} pages:"
                                f" expected {len(wanted) // 2} sheets, two sides each",
                                path.name))
    for number, box in enumerate(sizes, 1):
        size = (box[2] - box[0], box[3] - box[1])
        if not any(all(abs(a - b) < 0.01 for a, b in zip(size, sheet))
                   for sheet in SHEETS_PT.values()):
            findings.append(Finding("PRN-001", ERROR, f"side {number} is {size[0]:.2f} × "
                                    f"{size[1]:.2f} pt, not exactly one of the booklet's "
                                    "sheets (" + ", ".join(SHEETS_PT) + ") landscape",
                                    f"{path.name} side {number}"))
    starts = [sum(signatures[:index]) for index in range(len(signatures))] \
        if signatures else [0]
    sides = sides_by_structure(path, source)
    if sides is not None:
        findings += _order_by_structure(sides, wanted, path.name)
    else:
        sides = sides_by_pdfium(path)
        labels = {2 * sheet: f"{index + 1}/{len(starts)}" for index, sheet in enumerate(starts)}
        findings += _order_by_text(context, sides, wanted, path.name,
                                   labels if bound else {})
    for number, side in enumerate(sides, 1):
        if side.crossing:
            what = ", ".join(f"page {item}" if isinstance(item, int) else f"\"{item[:40]}\""
                             for item in side.crossing)
            findings.append(Finding("PRN-006", ERROR, f"side {number}: {what} reaches across "
                                    "the fold", f"{path.name} side {number}"))
    if bound:
        findings += _mark_findings(sides, starts, len(starts), path.name)
    return findings


def _order_by_structure(sides, wanted, name: str) -> list[Finding]:
    findings = []
    for number, (side, slots) in enumerate(zip(sides, wanted), 1):
        for shown, page in zip(side.halves, slots):
            if (page in shown) if page else not shown:
                continue
            findings.append(_misplaced(number, page, name))
    # Pages that draw the same thing (a book's blank versos) are one class: a half showing
    # that drawing shows one page of the class, whichever.
    seen = Counter(frozenset(half) for side in sides for half in side.halves if half)
    classes = set(seen) | {frozenset({page}) for slots in wanted for page in slots if page}
    expected = Counter()
    for slots in wanted:
        for page in slots:
            if page:
                expected[next((c for c in seen if page in c), frozenset({page}))] += 1
    for members in sorted(classes | set(expected), key=min):
        if seen[members] != expected[members]:
            shown = f"page {min(members)}" if len(members) == 1 else \
                "pages " + ", ".join(map(str, sorted(members))) + " (the same drawing)"
            findings.append(Finding("PRN-002", ERROR, f"{shown} appear{'s' * (len(members) == 1)}"
                                    f" {seen[members]} times in the booklet, not "
                                    f"{expected[members]}", name))
    return findings


def _order_by_text(context, sides, wanted, name: str, labels: dict) -> list[Finding]:
    """Each half's words against its page's; a signature's first page may also show the
    words of its label (read from the fold margin), and nothing else."""
    findings = []
    pages = page_texts(text_source(context, "print-pdf"), body_only=False)
    for number, (side, slots) in enumerate(zip(sides, wanted), 1):
        for half, (text, page) in enumerate(zip(side.texts, slots)):
            shown = Counter(_words(text))
            expected = Counter(_words(pages[page - 1]) if page else [])
            allowed = Counter(word for label in side.labels for word in _words(label)
                              if labels.get(number - 1, "\0") in label) if half else Counter()
            if not expected - shown and not (shown - expected) - allowed:
                continue
            findings.append(_misplaced(number, page, name))
    return findings


def _misplaced(side: int, page: int | None, name: str) -> Finding:
    if page is None:
        return Finding("PRN-003", ERROR, f"side {side} has a page where a blank belongs "
                       "(blanks go before the back cover)", f"{name} side {side}")
    return Finding("PRN-002", ERROR, f"side {side} does not show page {page} where the fold "
                   "order puts it", f"{name} side {side}")


def _no_booklet(source: Path) -> list[Finding]:
    """PRN-010 (a note): no booklet, because its pages fit no sheet."""
    from ..booklet.impose import refusal
    error = refusal(source)
    if error is None:
        return []
    return [Finding("PRN-010", INFO, error.message + (f"; {error.hint}" if error.hint else ""),
                    source.name)]


BOOKLET_CHECKS = [booklet_is_imposed_right]
