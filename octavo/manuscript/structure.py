"""The sanitised tree of a chapter put into the shapes every writer expects (tree passes,
run by the loader on each chapter's `<section>`):

- code blocks: each source line its own `<span class="line">` (the paged design hangs
  and marks a wrapped line; the EPUB and the text checks read the same lines); a line
  that `hl_lines` highlights carries `hll`, one long enough to wrap `long`; numbered
  blocks get `numbered`;
- tables: `align` becomes an `align-left|center|right` class (HTML5 has no `align`),
  and a table too wide for the page gets `wide` or `wider`, which set it smaller;
- raw-HTML figures: the same structure as Markdown figures (images, then one
  `<figcaption>` last), stray `<br>` and loose text gathered into the caption;
- blocks that raw HTML put inside a paragraph or an inline element: the container
  becomes a `<div>`, so that no output holds a block inside phrasing content.
"""

from __future__ import annotations

import copy

from lxml.html import builder as E

# Elements whose content must be phrasing (inline) content, and the block elements
# raw HTML may put inside them.
PHRASING_ONLY = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "span", "em", "strong", "i", "b",
                 "u", "s", "small", "mark", "abbr", "cite", "q", "code", "kbd", "var", "samp",
                 "sub", "sup", "pre"}  # (a, ins and del take their parent's model)
FLOW_BLOCKS = {"p", "div", "figure", "table", "ul", "ol", "dl", "pre", "blockquote", "section",
               "aside", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figcaption"}
ALIGNMENTS = ("left", "center", "right", "justify")
# A table whose columns would need more characters than this is set smaller
# (`wide`), and smaller still past the second (`wider`); styles/base.css sizes them.
WIDE_CHARACTERS, WIDER_CHARACTERS = 70, 100
WIDE_COLUMNS, WIDER_COLUMNS = 6, 8
CELL_CHARACTERS = 24  # a longer cell wraps: it counts as this many
# A code line longer than this may wrap (63 columns fit the A5 measure at 8.5 pt; a list
# three deep with line numbers leaves about 50): it is marked `long`.
LONG_LINE = 48


def normalise(body) -> None:
    """Every pass, in order, on one chapter's body."""
    _blocks_out_of_phrasing(body)
    for figure in body.iter("figure"):
        if "plate" not in (figure.get("class") or "").split():
            _raw_figure(figure)
    for pre in list(body.iter("pre")):
        code_lines(pre)
    for table in body.iter("table"):
        _table(table)


# ---------- code ----------

def _pieces(node, chain):
    """(ancestor chain, text) for each run of text in `node`, in reading order; a
    `<br>` reads as a newline."""
    if node.text:
        yield chain, node.text
    for child in node:
        if isinstance(child.tag, str):
            if child.tag == "br":
                yield chain, "\n"
            else:
                yield from _pieces(child, chain + (child,))
        if child.tail:
            yield chain, child.tail


def _append_text(element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _split_lines(container) -> list:
    """The content of `container` as one `<span class="line">` per source line, the
    inline elements of a line that runs on (a multi-line string) copied onto each."""
    lines, line, open_chain = [], E.SPAN(E.CLASS("line")), []  # open: (original, copy)

    def target(chain):
        keep = 0
        while keep < len(open_chain) and keep < len(chain) and open_chain[keep][0] is chain[keep]:
            keep += 1
        del open_chain[keep:]
        parent = open_chain[-1][1] if open_chain else line
        for original in chain[keep:]:
            made = parent.makeelement(original.tag, dict(original.attrib))
            parent.append(made)
            open_chain.append((original, made))
            parent = made
        return parent

    for chain, text in _pieces(container, ()):
        parts = text.split("\n")
        for number, part in enumerate(parts):
            if number:  # a newline ends the line (kept in it, for readers without CSS)
                _append_text(line, "\n")
                lines.append(line)
                line, open_chain[:] = E.SPAN(E.CLASS("line")), []
            if part:
                _append_text(target(chain), part)
    if len(line) or (line.text or ""):
        _append_text(line, "\n")
        lines.append(line)
    return lines


def code_lines(pre) -> None:
    """Cut a code block into line spans (see the module docstring)."""
    for span in list(pre.iter("span")):  # Pygments' empty first span
        if not len(span) and not span.text and not span.attrib:
            span.drop_tag()
    code = pre.find("code")
    container = code if code is not None and len(pre) == 1 and not (pre.text or "").strip() \
        and not (code.tail or "").strip() else pre
    lines = _split_lines(container)
    while lines and not "".join(lines[-1].itertext()).strip():
        lines.pop()
    for child in list(container):
        container.remove(child)
    container.text = None
    for line in lines:
        if len("".join(line.itertext()).rstrip("\n").expandtabs(4)) > LONG_LINE:
            line.set("class", "line long")  # it may wrap: the PDFs draw the mark
        only = line[0] if len(line) == 1 else None
        if only is not None and "hll" in (only.get("class") or "").split() \
                and not (line.text or "").strip() and not (only.tail or "").strip():
            line.set("class", line.get("class") + " hll")  # the line, not just its text
            only.drop_tag()
        container.append(line)
    if any(span.get("class") == "linenos" for span in container.iter("span")):
        pre.set("class", ((pre.get("class") or "") + " numbered").strip())


# ---------- tables ----------

def _table(table) -> None:
    for cell in table.iter("th", "td", "col", "tr", "thead", "tbody", "tfoot"):
        align = (cell.attrib.pop("align", None) or "").strip().lower()
        if align in ALIGNMENTS:
            cell.set("class", ((cell.get("class") or "") + f" align-{align}").strip())
    rows = [row for row in table.iter("tr")]
    widths: list[int] = []
    for row in rows:
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            span = int(cell.get("colspan", "1")) if cell.get("colspan", "1").isdigit() else 1
            length = min(len(" ".join(cell.text_content().split())), CELL_CHARACTERS)
            for index in range(column, column + max(1, min(span, 50))):
                while len(widths) <= index:
                    widths.append(0)
                widths[index] = max(widths[index], length // max(1, span))
            column += max(1, span)
    characters = sum(widths) + 2 * len(widths)  # and the cells' padding
    size = "wider" if len(widths) >= WIDER_COLUMNS or characters > WIDER_CHARACTERS else \
        "wide" if len(widths) >= WIDE_COLUMNS or characters > WIDE_CHARACTERS else None
    if size:
        table.set("class", ((table.get("class") or "") + f" {size}").strip())


# ---------- figures from raw HTML ----------

def _raw_figure(figure) -> None:
    """<figure> as an author wrote it in HTML → images, then one figcaption (last)."""
    images = [img for img in figure.iter("img")
              if not any(a.tag == "figcaption" for a in img.iterancestors())]
    caption = figure.find(".//figcaption")
    if caption is not None:
        caption.drop_tree()
    for img in images:
        img.drop_tree()
    loose = " ".join(figure.text_content().split())  # text beside the image: a caption
    if loose and caption is None:
        caption = E.FIGCAPTION(loose)
    elif loose:
        caption.text = loose + " " + (caption.text or "")
    for child in list(figure):
        figure.remove(child)
    figure.text = None
    for img in images:
        img.tail = None
        figure.append(img)
    if caption is not None:
        caption.tail = None
        if caption.find("span[@class='caption']") is None:  # as a Markdown figure's
            span = E.SPAN(E.CLASS("caption"))
            span.text, caption.text = caption.text, None
            span.extend(list(caption))
            caption.append(span)
        figure.append(caption)
    figure.set("class", ((figure.get("class") or "") + " plate").strip())


# ---------- blocks inside phrasing content ----------

def _blocks_out_of_phrasing(body) -> None:
    """A block inside a paragraph or inline element (raw HTML): the container becomes a
    <div>, which may hold both (so the EPUB stays valid; nothing is lost)."""
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or element.tag not in FLOW_BLOCKS:
            continue
        for ancestor in element.iterancestors():
            if ancestor is body:
                break
            if ancestor.tag in PHRASING_ONLY and ancestor.tag not in ("pre",):
                ancestor.tag = "div"
