"""Hypothesis strategies: manuscripts made of every construct of Octavo's dialect.

Both halves of the dialect ("Real manuscripts" 1 and 2): fenced and indented code,
stand-alone images and `::: figure`, YAML front matter, nested lists at 2 and 4 spaces,
tables with alignment and captions, links; callouts (`!!!` and `:::`), epigraphs,
quotations with attributions, line blocks, hard breaks, scene breaks, definition and
task lists, h1–h6, inline extras, bracketed spans, inline notes, abbreviations, math;
sanitised raw HTML; text in every script, emoji, symbols and random Unicode, control
characters included. Nested (callouts and divs hold blocks; lists hold lists), combined
and in any order. `manuscript()` draws a folder's files: {name: text or bytes}.
"""

from __future__ import annotations

import io
import re

from hypothesis import strategies as st
from PIL import Image

# ---------- text ----------

WORDS = {
    "latin": "harbour lamp winter letter morning ferry island window street garden "
             "river stone bread candle ladder mirror quiet early narrow silver".split(),
    "accented": "café naïve façade Ærø Øresund Ağdam Şəki İsmayıllı Łódź Ærlig".split(),
    "greek": "Ελληνικά καλημέρα λόγος ἀρχῇ θάλασσα Ὅμηρος".split(),
    "cyrillic": "Москва письмо зима окно Петербург".split(),
    "arabic": "مرحبا بالعالم كتاب مدينة".split(),
    "hebrew": "שָׁלוֹם בְּרֵאשִׁית ספר".split(),
    "devanagari": "क्षत्रिय श्री स्त्री हिन्दी".split(),
    "cjk": "中文 书法 日本語 한국어 漢字".split(),
    "emoji": "😀 👍🏽 🎉 🇩🇪 1️⃣ ❤️ 👨‍👩‍👧".split(),
    "symbols": "♠ ★ ∈ ∀ ℝ ✓ → © € ½ …".split(),
    "punctuation": ['"quoted"', "'single'", "don't", "--", "---", "(a)", "[b]", "x*y",
                    "a_b", "<tag>", "&amp;", "&", "100%", "#1", "|", "\\", "`", "$5", "::"],
}
ALL_WORDS = [word for words in WORDS.values() for word in words]
# (NUL is left out: a file holding one is refused as UTF-16 or binary, on purpose.)
CONTROL = ["\x07", "\x1b", "\x0c", "\x08", "\x7f", "\x85", "\u200b", "\u200d",
           "\u200e", "\u202e", "\u00ad", "\ufeff", "\ufdd0", "\ufffe"]

random_token = st.text(alphabet=st.characters(exclude_categories=("Cs",),
                                             exclude_characters="\x00"), min_size=1, max_size=6)
word = st.one_of(st.sampled_from(ALL_WORDS).filter(lambda w: True), random_token,
                 st.sampled_from(CONTROL))
plain_words = st.lists(st.sampled_from(WORDS["latin"] + WORDS["accented"]), min_size=1,
                       max_size=5).map(" ".join)


@st.composite
def _phrase(draw, depth: int = 0) -> str:
    """A run of inline text: words and inline constructs."""
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        parts.append(draw(inline(depth)) if draw(st.integers(0, 3)) == 0 else draw(word))
    return " ".join(parts)


_PHRASES: dict = {}


def phrase(depth: int = 0):
    """`_phrase(depth)`, made once per depth (a strategy is costly to build)."""
    if depth not in _PHRASES:
        _PHRASES[depth] = _phrase(depth)
    return _PHRASES[depth]


TEX = [r"E = mc^2", r"\frac{a}{b}", r"\sum_{i=1}^{n} i", r"\sqrt{x^2+y^2}", r"\alpha + \beta",
       r"\int_0^1 x\,dx", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"x_{ij}^{2}",
       r"\text{if } a < b", r"\hat\theta", r"\mathbb{R}^n", r"f'(x)",
       r"|x| = \begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases}"]
BAD_TEX = [r"\frac{a}", r"x^", r"\foo", r"{x", r"x_1_2", r"\left( x"]


@st.composite
def _tex(draw) -> str:
    kind = draw(st.integers(0, 20))
    if kind == 0:
        return draw(st.sampled_from(BAD_TEX))
    if kind == 1:
        return draw(st.text(alphabet="xyz+-=^_{}\\ab12 ()", min_size=1, max_size=10))
    return draw(st.sampled_from(TEX))


_TEX = _tex()


def tex():
    return _TEX


_INLINES: dict = {}


def inline(depth: int):
    if depth in _INLINES:
        return _INLINES[depth]

    @st.composite
    def one(draw) -> str:
        inner = draw(plain_words) if depth > 1 else draw(phrase(depth + 1))
        choice = draw(st.integers(0, 24))
        return [
            f"*{inner}*", f"**{inner}**", f"`{inner}`", f"~{draw(plain_words)}~",
            f"^{draw(plain_words).replace(' ', '')}^", f"=={inner}==", f"~~{inner}~~",
            f"^^{inner}^^", f"[{inner}]{{.smallcaps}}",
            f"[{inner}]{{.index entry=\"{draw(plain_words)}\" #ix-{draw(st.integers(0, 9))}}}",
            f"^[{inner}]", f"${draw(tex())}$", f"[{inner}](https://example.org/{draw(st.integers(0, 99))})",
            f"[{inner}](#{draw(st.sampled_from(['start', 'second', 'top']))})",
            f"[{inner}](02-more.md#second)", "\\\n", "  \n", f"<b>{inner}</b>",
            f"<span class=\"{draw(st.sampled_from(['x', 'cover', 'task-box', 'admonition']))}\">"
            f"{inner}</span>", "<script>alert(1)</script>", "<input type=\"checkbox\" checked>",
            "<math><mi>x</mi></math>", f"<abbr title=\"{draw(plain_words)}\">ABC</abbr>",
            "WHO", f"[^n{draw(st.integers(1, 3))}]",
        ][choice % 23]
    _INLINES[depth] = one()
    return _INLINES[depth]


# ---------- blocks ----------

def _indent(text: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line) if line.strip() else line
                     for line in text.split("\n"))


_BLOCKS: dict = {}


def block(depth: int = 0):
    if depth not in _BLOCKS:
        _BLOCKS[depth] = _block(depth)
    return _BLOCKS[depth]


@st.composite
def _block(draw, depth: int = 0) -> str:
    kinds = 28 if depth < 2 else 18  # the first 18 hold no blocks
    kind = draw(st.integers(0, kinds - 1))
    text = draw(phrase(depth)) if kind not in (2, 3, 5, 6, 8, 9, 14, 15, 16) else ""
    if kind == 0:
        return f"{'#' * draw(st.integers(1, 6))} {text} {{#h-{draw(st.integers(3, 5))}}}"
    if kind == 1:
        return f"{'#' * draw(st.integers(2, 6))} {text}"
    if kind == 2:
        lang = draw(st.sampled_from(["", "python", "js", "text", "nosuchlang"]))
        fence = draw(st.sampled_from(["```", "~~~"]))
        return f"{fence}{lang}\n{draw(phrase(depth))}\n    indented() {{ }}\n{fence}"
    if kind == 3:
        return _indent(draw(phrase(depth)), 4)
    if kind == 4:
        return f"![{draw(plain_words)}](images/pic.png)"
    if kind == 5:
        return (f"::: figure\n![{draw(plain_words)}](images/pic.png)\n{draw(phrase(depth))}\n"
                f"Credit: {draw(plain_words)}\n:::")
    if kind == 6:
        align = draw(st.sampled_from(["---", ":--", "--:", ":-:"]))
        rows = "\n".join(f"| {draw(phrase(2))} | {draw(plain_words)} |"
                         for _ in range(draw(st.integers(1, 3))))
        caption = f"\n\nTable: {draw(plain_words)}" if draw(st.booleans()) else ""
        return f"| {draw(plain_words)} | B |\n|{align}|{align}|\n{rows}{caption}"
    if kind == 7:
        return "\n".join(f"| {draw(phrase(2))}" for _ in range(draw(st.integers(1, 4))))
    if kind == 8:
        return draw(st.sampled_from(["***", "* * *", "---", "___"]))
    if kind == 9:
        return f"$$\n{draw(tex())}\n$${' {#eq:e' + str(draw(st.integers(1, 3))) + '}' if draw(st.booleans()) else ''}"
    if kind == 10:
        return f"{draw(plain_words)}\n:   {text}\n:   {draw(phrase(depth))}"
    if kind == 11:
        marks = draw(st.lists(st.sampled_from(["[ ]", "[x]", "[X]"]), min_size=1, max_size=3))
        return "\n".join(f"- {mark} {draw(phrase(2))}" for mark in marks)
    if kind == 12:
        return f"> {text}\n> {draw(st.sampled_from(['--- ', '— ', '']))}{draw(plain_words)}"
    if kind == 13:
        return f"{text}\\\n{draw(phrase(depth))}"
    if kind == 14:
        return draw(st.sampled_from([
            "<div class=\"note\">raw <em>div</em></div>", "<figure><img src=\"images/pic.png\" "
            "alt=\"x\"><br><figcaption>cap</figcaption></figure>",
            "<table><tr><td>cell</td></tr></table>", "<svg><script>x</script></svg>",
            "<p style=\"color:red\" onclick=\"x()\">styled</p>", "<!-- a comment -->",
            "<math><mfrac><mi>a</mi><mi>b</mi></mfrac></math>",
            "<ul><li><input type=\"checkbox\"> raw task</li></ul>"]))
    if kind == 15:
        return f"*[{draw(st.sampled_from(['WHO', 'ABC']))}]: {draw(plain_words)}"
    if kind == 16:
        return f"<kbd>{draw(plain_words)}</kbd> and <q>{draw(plain_words)}</q>"
    if kind == 17:
        return text
    # blocks that hold blocks
    inner = "\n\n".join(draw(st.lists(block(depth + 1), min_size=1, max_size=3)))
    if kind == 18:
        kind_name = draw(st.sampled_from(["note", "tip", "warning", "important", "danger",
                                          "custom"]))
        title = draw(st.sampled_from(["", f' "{draw(plain_words)}"', ' ""']))
        return f"!!! {kind_name}{title}\n{_indent(inner, 4)}"
    if kind == 19:
        name = draw(st.sampled_from(["note", "tip", "{.warning}", "important", "epigraph",
                                     "{.custom #d-1}", "{.callout-tip title=\"Hi\"}"]))
        close = "" if draw(st.integers(0, 10)) == 0 else "\n:::"
        return f"::: {name}\n{inner}{close}"
    if kind == 20:
        return "\n".join("> " + line for line in inner.split("\n"))
    if kind in (21, 22):
        spaces = draw(st.sampled_from([2, 4]))
        marker = draw(st.sampled_from(["-", "*", "1."]))
        items = []
        for _ in range(draw(st.integers(1, 3))):
            items.append(f"{marker} {draw(phrase(2))}")
            if draw(st.booleans()):
                items.append(_indent(f"- {draw(phrase(2))}\n- {draw(plain_words)}", spaces))
        return "\n".join(items)
    if kind == 23:
        return f"- {text}\n\n{_indent(inner, 4)}"
    if kind == 24:
        return f"::: epigraph\n{text}\n\n--- {draw(plain_words)}\n:::"
    if kind == 25:
        return f"{draw(plain_words)}\n:   {text}\n\n{_indent(inner, 4)}"
    return inner


@st.composite
def chapter(draw, first: bool) -> str:
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    front = ""
    if first and draw(st.integers(0, 5)) == 0:
        front = f"---\ntitle: {draw(plain_words)}\nlang: en\n---\n\n"
    text = front + "\n\n".join(blocks) + "\n"
    spaces = [index for index, char in enumerate(text) if char == " "]
    if spaces and draw(st.integers(0, 6)) == 0:  # the odd control character pasted in
        at = draw(st.sampled_from(spaces))  # (after a space: inside a URL it breaks it)
        text = text[:at] + draw(st.sampled_from(CONTROL)) + text[at:]
    return text


def png() -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (600, 400), (40, 90, 120)).save(data, "PNG")
    return data.getvalue()


FRONT_MATTER = re.compile(r"---\ntitle: [^\n]*\nlang: en\n---\n\n")
METADATA = """title = "Fuzz {n}"
language = "{language}"
date = "2024"
identifier = "urn:uuid:00000000-0000-4000-8000-{n:012d}"
slug = "fuzz"
description = "Generated."
subjects = ["Testing"]
chapters = [{chapters}]
"""


@st.composite
def manuscript(draw) -> dict[str, str | bytes]:
    """The files of a manuscript folder: metadata.toml, chapters, images/pic.png."""
    names = ["01-text.md", "02-more.md", "03-end.md"][:draw(st.integers(1, 3))]
    files: dict[str, str | bytes] = {}
    for index, name in enumerate(names):
        text = draw(chapter(first=index == 0))
        if index == 1:
            text = "## Second {#second}\n\nThe second chapter.\n\n" + text
        files[name] = text
    if "02-more.md" not in files:  # links to it need a target: make it a small chapter
        files["02-more.md"] = "## Second {#second}\n\nThe second chapter holds a heading.\n"
        names.append("02-more.md")
    # The link targets #start, #second and #top always exist, once (front matter first).
    first = files[names[0]]
    header = FRONT_MATTER.match(first)
    front = header.group(0) if header else ""
    files[names[0]] = front + "# Start {#start}\n\n" + first[len(front):] \
        + "\n<a id=\"top\"></a>\n"
    for name in names:  # every note reference gets its note (under four words: a note
        for number in (1, 2, 3):  # nobody cites is left out of the PDFs, and its text
            if f"[^n{number}]" in files[name]:  # must not count)
                files[name] += f"\n[^n{number}]: Note {number}.\n"
    language = draw(st.sampled_from(["en", "de", "fr", "ru", "az", "el", "ar", "zh", "en-GB"]))
    files["metadata.toml"] = METADATA.format(
        n=draw(st.integers(0, 999)), language=language,
        chapters=", ".join(f'"{name}"' for name in names))
    files["images/pic.png"] = png()
    return files
