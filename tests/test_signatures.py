"""Long books in signatures, and the sheet that follows the trim.

Books of 20 to 1,000 pages (made directly with pikepdf: page k reads "Page k") are
imposed and every sheet is read back with pdfium, independently of the imposer and of
the booklet check: the text of each half, the filled marks across the fold, the labels
in the fold margin. The paper is then folded in the test, signature by signature (a
short-edge duplex flip puts the front's right half behind the back's left half), and
the leaves must read 1..n, blanks only before the back cover. The booklet check must
pass those books and catch each way of breaking them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

import octavo.checks.booklet_checks as booklet_checks
from octavo.booklet.impose import impose_booklet
from octavo.booklet.instructions import print_instructions
from octavo.booklet.marks import label_title
from octavo.booklet.plan import make_plan, split_sheets
from octavo.checks import CheckContext
from octavo.errors import UsageError

from synthetic import A5_PT, numbered_pdf

MM = 72 / 25.4
INCH = 72.0
PAGE = re.compile(r"Page (\d+)")
LABEL = re.compile(r"Synthetic Book · (\d+)/(\d+)")


# ---------------------------------------------------------------- reading sheets back

def read_sides(pdf: Path) -> list[dict]:
    """Each side as pdfium sees it: the folio on each half (None: blank), the labels,
    the filled rectangles across the fold, and any text on the fold itself."""
    document = pypdfium2.PdfDocument(str(pdf))
    sides = []
    try:
        for page in document:
            width, height = page.get_size()
            middle = width / 2
            text = page.get_textpage()
            halves = [text.get_text_bounded(0, 0, middle, height),
                      text.get_text_bounded(middle, 0, width, height)]
            folios = []
            for half in halves:
                found = PAGE.findall(half)
                assert len(found) <= 1, half
                folios.append(int(found[0]) if found else None)
            marks = []
            for path in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=0):
                x0, y0, x1, y1 = path.get_bounds()
                if x0 < middle < x1 and y1 - y0 > 1:
                    marks.append((x0, y0, x1, y1))
            sides.append({"folios": tuple(folios), "labels": LABEL.findall(halves[1]),
                          "left_labels": LABEL.findall(halves[0]), "marks": marks,
                          "on_fold": text.get_text_bounded(middle - 0.5, 0, middle + 0.5,
                                                           height).strip(),
                          "size": (width, height)})
            text.close()
            page.close()
    finally:
        document.close()
    return sides


def fold(sides: list[dict], signatures: list[int]) -> list[int | None]:
    """Fold each signature's sheets (the first outside) and read its leaves, recto then
    verso; the signatures stacked in order."""
    reading, at = [], 0
    for sheets in signatures:
        group = [(sides[2 * s]["folios"], sides[2 * s + 1]["folios"])
                 for s in range(at, at + sheets)]
        leaves = [(front[1], back[0]) for front, back in group]
        leaves += [(back[1], front[0]) for front, back in reversed(group)]
        reading += [page for leaf in leaves for page in leaf]
        at += sheets
    return reading


def check(booklet: Path, source: Path, text: Path | None, pdfium: bool = False,
          monkeypatch=None) -> list:
    outputs = {"booklet": booklet, "print-pdf": source}
    if text is not None:
        outputs["booklet-txt"] = text
    if pdfium:
        monkeypatch.setattr(booklet_checks, "sides_by_structure", lambda *args: None)
    return booklet_checks.booklet_is_imposed_right(CheckContext(None, None, outputs))


def impose(tmp_path: Path, pages: int, **options):
    source = numbered_pdf(pages, **options.pop("source", {}))
    target, text = tmp_path / f"b{pages}.pdf", tmp_path / f"b{pages}.txt"
    info = impose_booklet(source, target, **options)
    text.write_text(print_instructions(info) + "\n", encoding="utf-8")
    return source, target, text, info


# ---------------------------------------------------------------- the plan

@pytest.mark.parametrize("pages, binding, signatures", [
    (2, "saddle", (1,)), (20, "saddle", (5,)), (64, "saddle", (16,)),
    (65, "signatures", (4, 4, 3, 3, 3)), (106, "signatures", (4,) * 6 + (3,)),
    (412, "signatures", (4,) * 25 + (3,)), (1000, "signatures", (4,) * 61 + (3, 3))])
def test_binding_and_balanced_signatures(pages, binding, signatures):
    plan = make_plan(pages)
    assert (plan.binding, plan.signatures) == (binding, signatures)
    assert plan.sheets * 4 - pages < 4  # blanks only to fill the last sheet


def test_every_split_is_balanced_and_as_short_as_allowed():
    for per in range(3, 9):
        for sheets in range(1, 400):
            split = split_sheets(sheets, per)
            assert sum(split) == sheets and max(split) <= per
            assert max(split) - min(split) <= 1 and list(split) == sorted(split, reverse=True)
            assert len(split) == -(-sheets // per)  # no more signatures than needed


def test_threshold_and_signature_size_are_options():
    assert make_plan(100, max_saddle_pages=100).binding == "saddle"
    assert make_plan(101, max_saddle_pages=100).binding == "signatures"
    assert make_plan(20, binding="signatures", signature_sheets=3).signatures == (3, 2)
    assert make_plan(412, signature_sheets=8).signatures == (8,) * 12 + (7,)
    assert make_plan(412, binding="saddle").signatures == (103,)


# ---------------------------------------------------------------- books read back

@pytest.mark.parametrize("pages", [20, 64, 65, 106, 412, 1000])
def test_every_sheet_read_back(pages, tmp_path, monkeypatch):
    source, booklet, text, info = impose(tmp_path, pages)
    sides = read_sides(booklet)
    signatures = list(info.signatures)
    assert len(sides) == 2 * sum(signatures) == 2 * info.sheets
    assert all(side["size"] == pytest.approx((297 * MM, 210 * MM), abs=0.01) for side in sides)
    # Folded, every signature reads on: each page once, in order; blanks before the back cover.
    reading = fold(sides, signatures)
    padded = 4 * -(-pages // 4)
    assert reading == list(range(1, pages)) + [None] * (padded - pages) + [pages]
    assert all(not side["on_fold"] for side in sides)  # no text reaches across the fold
    firsts = [2 * sum(signatures[:index]) for index in range(len(signatures))]
    if pages <= 64:  # one saddle-stitched booklet: no binder's marks
        assert info.binding == "saddle" and signatures == [pages // 4 + (pages % 4 > 0)]
        assert not any(side["marks"] or side["labels"] for side in sides)
    else:
        count = len(signatures)
        # The label: on the right half (the signature's first page), only there.
        assert [side["labels"] for side in sides] == [
            [(str(firsts.index(i) + 1), str(count))] if i in firsts else []
            for i in range(len(sides))]
        assert not any(side["left_labels"] for side in sides)
        # One collation mark on each signature's outside, stepping down without a gap.
        assert [len(side["marks"]) for side in sides] == \
            [1 if i in firsts else 0 for i in range(len(sides))]
        marks = [sides[i]["marks"][0] for i in firsts]
        middle = sides[0]["size"][0] / 2
        for (x0, y0, x1, y1) in marks:
            assert x0 < middle - 1 * MM and x1 > middle + 1 * MM  # across the fold
        for before, after in zip(marks, marks[1:]):
            assert after[3] == pytest.approx(before[1], abs=0.05)  # starts where it ended
        assert marks[0][3] < sides[0]["size"][1] and marks[-1][1] > 0
    # The booklet check agrees, by structure and by pdfium.
    assert check(booklet, source, text) == []
    assert check(booklet, source, text, pdfium=True, monkeypatch=monkeypatch) == []


def test_instructions_match_the_sheets(tmp_path):
    source, booklet, text, info = impose(tmp_path, 410)
    words = text.read_text(encoding="utf-8")
    flowing = " ".join(words.split())  # the steps are wrapped to 88 columns
    assert words.startswith("Printing the booklet (412 pages on 103 sheets of A4")
    assert "25 of 4 sheets (16 pages) and 1 of 3 sheets (12 pages)" in flowing
    assert "2 blank pages added before the back cover" in flowing
    assert "load A4 (297 × 210 mm)" in flowing and "SHORT edge" in flowing
    assert "100 %" in flowing
    for method in ("pamphlet stitch", "perfect binding", "PVA", "collation marks"):
        assert method in flowing
    assert "Signature 26 of 26: pages 401–410, 3 sheets" in words
    assert "  sheet 101 (PDF pages 201–202): pages 401, 402, blank, 410" in words
    with pikepdf.open(booklet) as pdf:
        assert len(pdf.pages) == 2 * 103
    # Every sheet listed once, with the pages read back from it.
    sides = read_sides(booklet)
    rows = re.findall(r"^  sheet (\d+) \(PDF pages (\d+)–(\d+)\): pages (.+)$", words, re.M)
    assert len(rows) == 103
    for sheet, first, second, pages in rows:
        front, back = sides[int(first) - 1]["folios"], sides[int(second) - 1]["folios"]
        shown = sorted(page for page in front + back if page)
        assert sorted(int(p) for p in pages.split(", ") if p != "blank") == shown
    # The terminal's shorter version leaves out only the list of sheets.
    short = print_instructions(info, sheets=False)
    assert words.startswith(short) and "sheet 101" not in short


def test_saddle_instructions_stay_honest(tmp_path):
    *_, info = impose(tmp_path, 106, binding="saddle")
    words = " ".join(print_instructions(info).split())
    assert "one saddle-stitched booklet" in words and "staple" in words
    assert "27 sheets are more than" in words and "--binding signatures" in words
    *_, small = impose(tmp_path, 20)
    assert "more than" not in print_instructions(small)


# ---------------------------------------------------------------- creep

def _shifts(booklet: Path) -> list[dict]:
    """For each side: form name -> the x of its `cm`."""
    result = []
    with pikepdf.open(booklet) as pdf:
        for side in pdf.pages:
            placed, last = {}, None
            for operands, operator in pikepdf.parse_content_stream(side):
                if str(operator) == "cm":
                    last = float(operands[4])
                elif str(operator) == "Do":
                    placed[str(operands[0])] = last
            result.append(placed)
    return result


@pytest.mark.parametrize("creep, step_mm", [("auto", -0.1), (2.0, 2.0 / 3)])
def test_creep_applies_within_each_signature(creep, step_mm, tmp_path, monkeypatch):
    source, flat, _, _ = impose(tmp_path, 65)
    crept, text = tmp_path / "crept.pdf", tmp_path / "crept.txt"
    info = impose_booklet(source, crept, creep_mm=creep, paper_thickness_mm=0.1)
    text.write_text(print_instructions(info), encoding="utf-8")
    assert info.signatures == (4, 4, 3, 3, 3)
    middle = 297 * MM / 2
    sheet = 0
    for sheets in info.signatures:
        for i in range(sheets):  # the outermost sheet of every signature stays put
            for side in (2 * sheet, 2 * sheet + 1):
                before, after = _shifts(flat)[side], _shifts(crept)[side]
                for name, x in before.items():
                    outward = -1 if x < middle - 10 else 1
                    assert after[name] - x == pytest.approx(outward * step_mm * MM * i, abs=2e-3)
            sheet += 1
    assert check(crept, source, text) == []
    assert check(crept, source, text, pdfium=True, monkeypatch=monkeypatch) == []
    if creep == "auto":
        assert "pushed 0.1 mm (the paper's thickness)" in \
            " ".join(print_instructions(info).split())


# ---------------------------------------------------------------- the check finds faults

def _tamper(booklet: Path, into: Path, change) -> Path:
    target = into / f"broken-{change.__name__}.pdf"
    with pikepdf.open(booklet) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def _edit_first_side(pdf, old: bytes, new: bytes, side: int = 0):
    page = pdf.pages[side]
    data = page.Contents.read_bytes()
    assert old in data
    page.Contents.write(data.replace(old, new, 1))


@pytest.fixture(scope="module")
def book106(tmp_path_factory):
    return impose(tmp_path_factory.mktemp("b106"), 106)


def test_check_catches_broken_signatures(book106, tmp_path, monkeypatch):
    source, booklet, text, info = book106

    def swap_signatures(pdf):  # signature 2's sheets before signature 1's
        sides = list(pdf.pages)
        order = sides[8:16] + sides[:8] + sides[16:]
        pdf.pages.extend(order)
        for _ in range(len(order)):
            del pdf.pages[0]

    def no_collation_mark(pdf):
        _edit_first_side(pdf, b" re f Q", b" re n Q", side=8)

    def mark_out_of_step(pdf):
        data = pdf.pages[16].Contents.read_bytes()
        x, y, w, h = re.search(rb"q 0 g (\S+) (\S+) (\S+) (\S+) re f Q", data).groups()
        _edit_first_side(pdf, b"%s %s %s %s re f" % (x, y, w, h), b"%s %s %s %s re f"
                         % (x, str(float(y) + 30).encode(), w, h), side=16)

    def no_label(pdf):
        data = pdf.pages[8].Contents.read_bytes()
        label = re.search(rb"<[0-9a-f]+> Tj", data).group()
        _edit_first_side(pdf, label, b"<> Tj", side=8)

    def across_the_fold(pdf):  # page 18's clip opened to the whole sheet, the page moved
        data = pdf.pages[9].Contents.read_bytes()
        clip = re.search(rb"q 0 0 (\S+) (\S+) re W n", data)
        _edit_first_side(pdf, clip.group(), b"q 0 0 %s %s re W n" % (
            str(2 * float(clip.group(1))).encode(), clip.group(2)), side=9)
        _edit_first_side(pdf, b" cm /P18", b" cm 1 0 0 1 200 0 cm /P18", side=9)

    expected = {swap_signatures: {"PRN-002", "PRN-005", "PRN-007"},
                no_collation_mark: {"PRN-005"},
                mark_out_of_step: {"PRN-005"}, no_label: {"PRN-007"},
                across_the_fold: {"PRN-006"}}
    for change, codes in expected.items():
        broken = _tamper(booklet, tmp_path, change)
        found = {f.code for f in check(broken, source, text)}
        assert codes <= found, (change.__name__, found)
        assert found <= codes | {"PRN-002", "PRN-005"}, (change.__name__, found)
    # pdfium sees the same faults when the structure cannot be read.
    for change in (no_collation_mark, mark_out_of_step, no_label, across_the_fold,
                   swap_signatures):
        broken = _tamper(booklet, tmp_path, change)
        found = {f.code for f in check(broken, source, text, pdfium=True,
                                        monkeypatch=monkeypatch)}
        assert expected[change] <= found, (change.__name__, found)


def test_check_holds_the_instructions_to_the_booklet(book106, tmp_path):
    source, booklet, text, _ = book106
    words = text.read_text(encoding="utf-8")
    for wrong in (words.replace("on 27 sheets", "on 26 sheets"),
                  words.replace("pages 17, 18, 31, 32", "pages 17, 18, 32, 31"),
                  words.replace("Signature 7 of 7: pages 97–106, 3 sheets",
                                "Signature 7 of 7: pages 97–106, 2 sheets")):
        assert wrong != words
        changed = tmp_path / "wrong.txt"
        changed.write_text(wrong, encoding="utf-8")
        assert "PRN-004" in {f.code for f in check(booklet, source, changed)}
    # A saddle-stitched booklet beside instructions that say signatures: caught too.
    saddle = tmp_path / "saddle.pdf"
    impose_booklet(source, saddle, binding="saddle")
    found = {f.code for f in check(saddle, source, text)}
    assert "PRN-004" in found or "PRN-002" in found


# ---------------------------------------------------------------- the sheet follows the trim

@pytest.mark.parametrize("trim, sheet, size", [
    (A5_PT, "A4", (297 * MM, 210 * MM)),
    ((5.5 * INCH, 8.5 * INCH), "US Letter", (792, 612)),
    ((6 * INCH, 9 * INCH), "tabloid/ledger", (1224, 792)),
    ((8.5 * INCH, 11 * INCH), "tabloid/ledger", (1224, 792)),
    ((210 * MM, 297 * MM), "A3", (420 * MM, 297 * MM)),
    ((176 * MM, 250 * MM), "A3", (420 * MM, 297 * MM)),
    ((9 * INCH, 12 * INCH), "12 × 18 in", (1296, 864))])
def test_sheet_follows_the_trim(trim, sheet, size, tmp_path, monkeypatch):
    source, booklet, text, info = impose(tmp_path, 70, source={"size": trim})
    assert info.scale == 1.0 and info.trim == pytest.approx(trim, abs=0.01)
    sides = read_sides(booklet)
    assert all(side["size"] == pytest.approx(size, abs=0.01) for side in sides)
    assert f"load {sheet}" in " ".join(text.read_text(encoding="utf-8").split())
    assert fold(sides, list(info.signatures))[:4] == [1, 2, 3, 4]
    assert check(booklet, source, text) == []
    assert check(booklet, source, text, pdfium=True, monkeypatch=monkeypatch) == []


def test_a_sheet_asked_for_is_honoured_or_refused(tmp_path):
    source = numbered_pdf(8, size=(6 * INCH, 9 * INCH))
    info = impose_booklet(source, tmp_path / "a4.pdf", sheet="a4")  # shrinks, and says so
    assert info.scale == pytest.approx(595.2756 / 648, abs=1e-4)
    assert "print at 92 % to fit A4" in " ".join(print_instructions(info).split())
    with pytest.raises(UsageError) as refused:  # A4 pages on US Letter: 66 %
        impose_booklet(numbered_pdf(8, size=(210 * MM, 297 * MM)), tmp_path / "x.pdf",
                       sheet="letter")
    assert refused.value.code == "PRN-010"
    assert "do not fit two to a side of US Letter" in refused.value.one_line()
    assert "--sheet auto" in refused.value.hint and "a3" in refused.value.hint


def test_a_trim_no_sheet_takes_gets_no_booklet(tmp_path):
    huge = numbered_pdf(8, size=(300 * MM, 420 * MM))
    with pytest.raises(UsageError) as refused:
        impose_booklet(huge, tmp_path / "x.pdf")
    assert refused.value.code == "PRN-010" and "no booklet" in refused.value.message
    assert not (tmp_path / "x.pdf").exists()
    found = booklet_checks.booklet_is_imposed_right(
        CheckContext(None, None, {"print-pdf": huge}))
    assert [(f.code, f.severity) for f in found] == [("PRN-010", "info")]
    assert "300 × 420 mm" in found[0].message
    assert booklet_checks.booklet_is_imposed_right(  # a trim that fits: nothing to say
        CheckContext(None, None, {"print-pdf": numbered_pdf(8)})) == []


def test_label_title_keeps_to_its_font():
    assert label_title("Azerbaijan’s Foreign Policy", "x") == "Azerbaijan’s Foreign Policy"
    assert label_title("Azərbaycan xarici siyasəti", "azerbaycan-xarici-siyaseti") == \
        "Azerbaycan Xarici Siyaseti"
    assert len(label_title("A" * 80, "x")) == 40


# ---------------------------------------------------------------- in the build

@pytest.fixture
def plain(tmp_path, monkeypatch):
    """A copied manuscript and styles folder, and options that build them into tmp/dist."""
    from conftest import FIXTURES, ROOT
    from octavo.build import BuildOptions
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")
    shutil.copytree(FIXTURES / "plain", tmp_path / "plain")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return BuildOptions(manuscript=tmp_path / "plain", out=tmp_path / "dist", quiet=True,
                        styles=tmp_path / "styles")


def _trim(options, size: str) -> None:
    with open(options.styles / "base.css", "a", encoding="utf-8") as css:
        css.write(f"\n@page {{ size: {size}; }}\n")


def test_the_build_follows_the_trim_or_makes_no_booklet(plain):
    from octavo.build import build
    from octavo.errors import OctavoError
    _trim(plain, "6in 9in")
    made = build(plain)
    assert made.booklet.sheet == "tabloid" and made.booklet.trim == pytest.approx((432, 648))
    assert set(made.outputs) >= {"booklet", "booklet-txt"}
    assert made.outputs["booklet-txt"].name.endswith("-booklet.txt")
    assert "load tabloid/ledger (17 × 11 in)" in " ".join(
        made.outputs["booklet-txt"].read_text(encoding="utf-8").split())
    assert not [f for f in made.findings if f.code.startswith("PRN")]
    old = [made.outputs["booklet"], made.outputs["booklet-txt"]]
    # A trim no sheet takes: no booklet (the old one goes), a note, every other output.
    _trim(plain, "300mm 420mm")
    result = build(plain)
    assert "booklet" not in result.outputs and "booklet-txt" not in result.outputs
    assert result.booklet is None and not any(path.exists() for path in old)
    assert {"pdf", "print-pdf", "epub", "proof"} <= set(result.outputs)
    notes = [f for f in result.findings if f.code.startswith("PRN")]
    assert [(f.code, f.severity) for f in notes] == [("PRN-010", "info")]
    assert not list(plain.out.glob(".octavo-staging-*"))
    # The same trim, a sheet named on the command line: the build stops and says why.
    plain.sheet = "letter"
    with pytest.raises(OctavoError) as stopped:
        build(plain)
    assert stopped.value.code == "PRN-010" and "US Letter" in stopped.value.one_line()
    assert {"pdf", "epub"} <= {kind for kind in result.outputs if result.outputs[kind].exists()}


def test_binding_options_reach_the_booklet_and_the_cache(plain):
    from octavo.build import build
    first = build(plain)
    assert first.booklet.binding == "saddle"
    plain.binding, plain.signature_sheets, plain.creep_mm = "signatures", 3, "auto"
    second = build(plain)
    assert sorted(second.reused) == ["epub", "pdf", "print-pdf", "proof"]  # booklet remade
    assert second.booklet.binding == "signatures" and second.booklet.creep_auto
    assert max(second.booklet.signatures) <= 3
    assert not [f for f in second.findings if f.code.startswith("PRN")]


def test_command_line_options():
    from octavo.cli import main, parse_args
    args = parse_args(["--binding", "signatures", "--signature-sheets", "6", "--creep",
                       "--paper-thickness", "0.12", "--max-saddle-pages", "40",
                       "--sheet", "ledger"])
    assert (args.binding, args.signature_sheets, args.creep, args.paper_thickness,
            args.max_saddle_pages, args.sheet) == ("signatures", 6, "auto", 0.12, 40, "ledger")
    assert parse_args(["--creep", "-0.5"]).creep == -0.5
    assert parse_args([]).sheet == "auto" and parse_args([]).creep == 0.0
    for wrong in (["--signature-sheets", "9"], ["--binding", "spiral"], ["--sheet", "a2"],
                  ["--paper-thickness", "3"], ["--creep", "lots"]):
        assert main(wrong) == 2


def test_the_readme_drawing_is_made_by_the_imposer(tmp_path):
    """tools/signature_drawing.py makes the README's picture (committed under docs/)."""
    import importlib.util
    from PIL import Image
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location(
        "signature_drawing", ROOT / "tools" / "signature_drawing.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    made = Image.open(tool.drawing(tmp_path / "sheet.png"))
    committed = Image.open(ROOT / "docs" / "images" / "signature-sheet.png")
    assert made.size == committed.size
    assert "signature-sheet.png" in (ROOT / "README.md").read_text(encoding="utf-8")
