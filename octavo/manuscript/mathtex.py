"""Math: `$…$` and `$$…$$` in TeX, typeset for each output.

The one Markdown parse (pymdownx.arithmatex in generic mode, configured in
`dialect.make_markdown`, plus `EquationLabels` for `$$…$$ {#eq:label}`) leaves bare TeX
in `<span class="arithmatex">` and `<div class="arithmatex">`; the Book keeps it so. At
load, `check_formulas` typesets every formula once (both ways) and turns bad TeX into a
one-line error with file:line; the structure stage numbers the labelled ones. Each
output then rewrites the elements on its own copy,
after the sanitiser (which would strip <math> and <svg>):

- `math_for_paged`: `<img alt="TeX" src="data:image/svg+xml;base64,…">`, ziamath's
  vector outlines (STIX Two Math, shipped in its wheel, OFL), sized in em so a formula
  follows the font size around it and sits on the baseline; WeasyPrint tags it /Figure
  with the TeX as /Alt. The geometry is the one inline `style` Python writes: it is a
  measurement of each formula, like an image's size, not a design rule.
- `math_for_epub`: MathML from latex2mathml, with `alttext`.

Measured in /work/proto/math (REPORT.md): why <img> and not inline <svg>, why ziamath
draws at 24 units, the ziamath and latex2mathml repairs below.
"""

from __future__ import annotations

import base64
import functools
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from math import isfinite

import markdown
from lxml import etree
from lxml import html as lxml_html
from markdown.extensions import Extension
from pymdownx.arithmatex import BlockArithmatexProcessor

from ..errors import OctavoError

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MATH_CLASS = "arithmatex"  # what arithmatex and `EquationLabels` give math elements
# ziamath clamps script sizes at 0.3 × the font's base size: drawn at 24 and scaled in
# CSS, every level keeps its proportions at any text size.
REFERENCE_SIZE = 24.0
MARGIN = 0.5  # reference units (≈ 0.02 em) around the ink, so no hairline is clipped
ALLOWANCE_EM = 0.2  # how far an inline formula may reach into the leading (like TeX)
MAX_HEIGHT_EM = 60  # taller than any page: a formula this tall is a broken one
MAX_TEX = 2000  # characters in one formula: more is not a formula a book holds


class MathError(ValueError):
    """TeX that cannot be typeset; `str()` is one line, the caller adds file:line."""

    def __init__(self, message: str, tex: str):
        shown = " ".join(tex.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(f"math ${shown}$: {message}")
        self.reason = message


# latex2mathml raises its exceptions without a message: the class says it all.
_L2M_MESSAGES = {
    "NumeratorNotFoundError": "\\frac has no numerator",
    "DenominatorNotFoundError": "\\frac has no denominator",
    "ExtraLeftOrMissingRightError": "\\left without its \\right",
    "MissingSuperScriptOrSubscriptError": "^ or _ has nothing after it",
    "DoubleSubscriptsError": "double subscript: write x_{a b} or {x_a}_b",
    "DoubleSuperscriptsError": "double superscript: write x^{a b} or {x^a}^b",
    "NoAvailableTokensError": "a command is missing its argument (or the formula is empty)",
    "InvalidStyleForGenfracError": "bad style argument to \\genfrac",
    "MissingEndError": "\\begin{…} without its \\end{…}",
    "InvalidAlignmentError": "bad column alignment in an array",
    "InvalidWidthError": "bad width",
    "LimitsMustFollowMathOperatorError": "\\limits must follow an operator such as \\sum",
}
# MathML elements and how many children they need (latex2mathml makes <mfrac> with one
# child for `\frac{a}`, which ziamath then fails on with a bare AssertionError).
_ARITY = {"mfrac": 2, "msub": 2, "msup": 2, "msubsup": 3, "mroot": 2, "munder": 2,
          "mover": 2, "munderover": 3}
_ARITY_MESSAGES = {
    "mfrac": "\\frac needs two arguments: \\frac{a}{b}",
    "mroot": "\\sqrt[n] needs what to take the root of: \\sqrt[n]{x}",
    **dict.fromkeys(("msub", "msup", "msubsup"), "^ or _ has nothing after it"),
    **dict.fromkeys(("munder", "mover", "munderover"),
                    "an accent or a limit is missing its argument"),
}
_MTEXT = re.compile(r"(<mtext\b[^>]*>)(.*?)(</mtext>)", re.S)
_TEXT_ESCAPES = {"\\&": "&amp;", "\\%": "%", "\\$": "$", "\\#": "#", "\\_": "_",
                 "\\{": "{", "\\}": "}"}


def _preprocess(tex: str) -> str:
    # latex2mathml has no `aligned`; `align*` gives the same table.
    return tex.replace("\\begin{aligned}", "\\begin{align*}").replace(
        "\\end{aligned}", "\\end{align*}")


def _repair_mtext(mml: str) -> str:
    """latex2mathml copies \\text{…} unescaped: `<` and `&` break the XML, and `\\&`
    shows its backslash. (A string repair of the library's output, before it is parsed.)"""
    def fix(match):
        inner = re.sub(r"&(?!#x?[0-9a-fA-F]+;|[a-zA-Z]+;)", "&amp;",
                       match[2].replace("\\&", "\x00"))
        inner = inner.replace("<", "&lt;").replace(">", "&gt;").replace("\x00", "&amp;")
        for escaped, plain in _TEXT_ESCAPES.items():
            inner = inner.replace(escaped, plain)
        return match[1] + inner + match[3]
    return _MTEXT.sub(fix, mml)


def _check_braces(tex: str) -> None:
    depth, escaped = 0, False
    for char in tex:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            raise MathError("a } without its {", tex)
    if depth:
        raise MathError("a { without its }", tex)


@functools.lru_cache(maxsize=4096)
def _mathml_string(tex: str, display: bool) -> str:
    if not tex.strip():
        raise MathError("the formula is empty", tex)
    if len(tex) > MAX_TEX:
        raise MathError(f"the formula is over {MAX_TEX} characters long", tex)
    _check_braces(tex)
    import latex2mathml.converter
    try:
        mml = latex2mathml.converter.convert(_preprocess(tex),
                                             display="block" if display else "inline")
    except RecursionError:
        raise MathError("the formula is nested too deeply", tex) from None
    except Exception as error:  # noqa: BLE001 - latex2mathml's own classes, and IndexError…
        name = type(error).__name__
        raise MathError(_L2M_MESSAGES.get(name, f"cannot be read ({name})"), tex) from None
    try:
        root = etree.fromstring(_repair_mtext(mml))
    except etree.XMLSyntaxError:
        raise MathError("cannot be read (the converter made broken MathML)", tex) from None
    for element in root.iter():
        local = etree.QName(element).localname
        if local in _ARITY and len(element) != _ARITY[local]:
            raise MathError(_ARITY_MESSAGES[local], tex)
        if local in ("mi", "mo") and element.text and element.text.startswith("\\"):
            raise MathError(f"unknown command {element.text}", tex)
    return etree.tostring(root, encoding="unicode")


def tex_to_mathml(tex: str, display: bool) -> etree._Element:
    """`<math xmlns=… display=… alttext=TeX>`: presentation MathML (EPUB 3). MathError."""
    root = etree.fromstring(_mathml_string(tex, display))
    root.set("alttext", " ".join(tex.split()))
    return root


@dataclass(frozen=True)
class MathArt:
    svg: str          # standalone SVG, paths only, no external references
    width_em: float
    height_em: float  # above + below the baseline
    depth_em: float   # below the baseline

    def css(self, allowance_em: float) -> str:
        """Size and baseline shift in em. `allowance_em` > 0 gives negative vertical
        margins so a formula may use the leading before it pushes its line apart; an
        inline image's baseline is its bottom margin edge, so the shift is corrected."""
        css = f"width:{self.width_em:.4f}em;height:{self.height_em:.4f}em;"
        if allowance_em:
            css += f"margin:-{allowance_em:g}em 0;"
        return css + f"vertical-align:{allowance_em - self.depth_em:.4f}em"


@functools.lru_cache(maxsize=4096)
def tex_to_svg(tex: str, display: bool) -> MathArt:
    """TeX typeset as vector outlines by ziamath. Raises MathError."""
    _mathml_string(tex, display)  # the same checks and messages as the EPUB
    import ziamath
    from ziamath.operators import integrals
    from ziamath.tex import tex2mml
    ziamath.config.svg2 = False  # plain <path>s: no <symbol>/<use> ids to clash in the HTML
    ziamath.config.precision = 2  # 0.0004 em; 3 makes the PDF 10 % bigger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = ET.fromstring(_repair_mtext(tex2mml(_preprocess(tex), inline=not display)))
            for element in root.iter():
                if element.tag.endswith("mo") and (element.text or "") in integrals:
                    element.set("stretchy", "false")  # ziamath stretches ∫ to its limits
                elif (element.tag.endswith("mover") and element.get("accent") == "true"
                      and len(element) == 2 and element[1].text == "\u0302"):
                    # \hat: ziamath makes it a wide hat floating 0.3 em too high
                    element[1].text, element[1].attrib["stretchy"] = "\u02c6", "false"
                elif element.tag.endswith("mtable") and "columnspacing" not in element.attrib:
                    element.set("columnspacing", "1em")  # 0.3em runs columns together
            math = ziamath.Math(root, size=REFERENCE_SIZE, margin=MARGIN)
            svg = math.svgxml()
    except RecursionError:
        raise MathError("the formula is nested too deeply", tex) from None
    except Exception as error:  # noqa: BLE001 - AssertionError, ParseError… on odd input
        raise MathError(f"cannot be typeset ({type(error).__name__})", tex) from None
    box = math.node.bbox
    width = (box.xmax - box.xmin + 2 * MARGIN) / REFERENCE_SIZE
    height = (box.ymax - box.ymin + 2 * MARGIN) / REFERENCE_SIZE
    depth = (-box.ymin + MARGIN) / REFERENCE_SIZE
    if not all(isfinite(v) for v in (width, height, depth)) or width <= 0 \
            or not 0 < height <= MAX_HEIGHT_EM:
        # (ziamath gives `\\(` inline a box 20,000 em high, upside down)
        raise MathError("cannot be typeset (its box has no sensible size)", tex)
    svg.attrib["width"] = f"{width * REFERENCE_SIZE:.3f}"
    svg.attrib["height"] = f"{height * REFERENCE_SIZE:.3f}"
    svg.attrib.pop("xmlns:xlink", None)
    return MathArt(ET.tostring(svg, encoding="unicode"), width, height, depth)


# ---------- Markdown ----------

LABEL = r"(?:[ \t]*\n?[ \t]*\{#(?P<label>eq:[A-Za-z0-9_.:-]+)\})?"


class LabelledBlockProcessor(BlockArithmatexProcessor):
    """arithmatex's `$$…$$` block, plus pandoc's `{#eq:label}` after the closing `$$`
    (on the same line or the next). Arithmatex alone turns `$$E$$ {#eq:x}` into a
    paragraph with stray dollars."""

    def __init__(self, md, config):
        super().__init__(r"(?s)^[$]{2}(?P<math>(?:\\.|[^\\])+?)[$]{2}" + LABEL + r"[ \t]*$",
                         config, md)

    def run(self, parent, blocks):
        blocks.pop(0)
        element = ET.SubElement(parent, "div", {"class": MATH_CLASS})
        element.text = markdown.util.AtomicString(self.match["math"].strip())
        if self.match["label"]:
            element.set("id", self.match["label"])
        return True


class EquationLabels(Extension):
    """Replaces arithmatex's block processor (same name and priority) by the labelled
    one; `make_markdown` adds it after `pymdownx.arithmatex`."""

    def extendMarkdown(self, md):
        config = {"generic": True, "tex_block_wrap": ["", ""]}
        md.parser.blockprocessors.register(LabelledBlockProcessor(md, config),
                                           "arithmatex-block", 79.9)


# ---------- the Book ----------

def formulas(root):
    """The math elements of a tree, in document order."""
    return [element for element in root.iter("span", "div")
            if MATH_CLASS in (element.get("class") or "").split()]


def text_without_math(element) -> str:
    """An element's text with its formulas and note calls left out (what a PDF's bookmark
    shows: a formula is a drawing, a note call a float)."""
    parts = []

    def walk(node):
        classes = (node.get("class") or "").split()
        if MATH_CLASS in classes or "footnote-ref" in classes:
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    return "".join(parts)


def _line(source: str, tex: str, start: int) -> tuple[int | None, int]:
    """1-based line of the first `tex` at or after `start` in the Markdown (else anywhere)."""
    at = source.find(tex, start)
    if at < 0:
        at = source.find(tex)
    if at < 0:
        return None, start
    return source.count("\n", 0, at) + 1, at + len(tex)


def check_formulas(body, source: str, path) -> None:
    """Typeset every formula of a chapter once, both ways (so the outputs cannot fail
    later); the first bad one is an OctavoError with its line."""
    offset = 0
    for element in formulas(body):
        for child in list(element):  # raw HTML inside a math span: its text is the TeX
            element.text = (element.text or "") + child.text_content() + (child.tail or "")
            element.remove(child)
        tex = element.text or ""
        line, offset = _line(source, tex.strip(), offset)
        try:
            tex_to_mathml(tex, element.tag == "div")
            tex_to_svg(tex, element.tag == "div")
        except MathError as error:
            raise OctavoError(str(error), path, line,
                              hint="fix the TeX; write \\$ for a dollar sign") from None


# ---------- each output ----------

def _display_box(element, replacement):
    """`<div class="math-display">`: the formula, after its number (the structure stage
    numbers a labelled equation, `{#eq:x}`, with a `span.equation-number` inside it)."""
    box = lxml_html.Element("div", {"class": "math-display"})
    if element.get("id"):
        box.set("id", element.get("id"))
    for child in list(element):
        if "equation-number" in (child.get("class") or "").split():
            child.tail = None
            box.append(child)  # first: it floats right in the EPUB
    box.append(replacement)
    return box


def _replace(element, replacement) -> None:
    replacement.tail = element.tail
    element.getparent().replace(element, replacement)


def math_for_paged(root) -> None:
    """Every formula as a vector image (for WeasyPrint), the TeX as its alt text."""
    for element in formulas(root):
        display = element.tag == "div"
        tex = element.text or ""
        try:
            art = tex_to_svg(tex, display)
        except MathError:  # checked at load: only a formula added since can fail
            code = lxml_html.Element("code", {"class": "math-error"})
            code.text = tex
            _replace(element, code)
            continue
        uri = "data:image/svg+xml;base64," + base64.b64encode(art.svg.encode()).decode("ascii")
        image = lxml_html.Element("img", {
            "class": "math-display-art" if display else "math-inline", "src": uri,
            "alt": " ".join(tex.split()),
            "style": f"width:{art.width_em:.4f}em" if display else art.css(ALLOWANCE_EM)})
        _replace(element, _display_box(element, image) if display else image)


def math_for_epub(root) -> bool:
    """Every formula as MathML; returns whether there was any (the manifest says so)."""
    found = False
    for element in formulas(root):
        display = element.tag == "div"
        try:
            math = tex_to_mathml(element.text or "", display)
        except MathError:
            math = lxml_html.Element("code", {"class": "math-error"})
            math.text = element.text
        found = True
        _replace(element, _display_box(element, math) if display else math)
    return found
