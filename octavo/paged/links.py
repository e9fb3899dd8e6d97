"""External links in the paged document (both PDFs share one layout): each gets the
class `external` (coloured in styles/base.css), and its address is printed after it,
for the reader of paper, unless the link's text already is the address, or the link is
in a heading (whose text is also its bookmark and its running head).

An address may break only after a `/` or a `.`: a zero-width space is put there, and a
word joiner after each hyphen (where a line could otherwise break). The text checks
expect the printed address (`shown_url`) and ignore those invisible characters.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from lxml.html import builder as E

EXTERNAL = ("http", "https", "mailto")
BREAK_AFTER = re.compile(r"([/.])(?=[^/.\s])")  # after / and ., not inside `//` or at the end
HYPHEN = re.compile(r"-(?=\S)")
ZERO_WIDTH_SPACE, WORD_JOINER = "\u200b", "\u2060"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
URL_LIKE = re.compile(r"^(https?://|www\.|mailto:)\S+$", re.IGNORECASE)


def is_external(href: str | None) -> bool:
    return bool(href) and urlsplit(href).scheme.lower() in EXTERNAL


def shown_url(link) -> str | None:
    """The address printed after an external link, or None when its text is the address."""
    href = link.get("href")
    if not is_external(href) or any(parent.tag in HEADINGS for parent in link.iterancestors()):
        return None
    shown = unquote(re.sub(r"^(https?://|mailto:)", "", href, flags=re.IGNORECASE))
    shown = shown.removesuffix("/") if shown.count("/") == 1 else shown
    text = " ".join(link.text_content().split())
    if not text or text.lower() in (href.lower(), shown.lower(), shown.lower() + "/"):
        return None
    return shown


def breakable(text: str) -> str:
    """`text` (an address) with a break opportunity after each / and ., none at hyphens."""
    return BREAK_AFTER.sub(r"\1" + ZERO_WIDTH_SPACE, HYPHEN.sub("-" + WORD_JOINER, text))


def mark_external_links(body) -> None:
    """Every external link of a chapter body (a copy): its class, its printed address."""
    for link in list(body.iter("a")):
        if not is_external(link.get("href")):
            continue
        link.set("class", ((link.get("class") or "") + " external").strip())
        shown = shown_url(link)
        for node in link.iter():  # an address as the link's text breaks the same way
            if node.text and URL_LIKE.match(node.text.strip()):
                node.text = breakable(node.text)
        if shown is None:
            continue
        url = E.SPAN(E.CLASS("link-url"), f" ({breakable(shown)})")
        url.tail, link.tail = link.tail, None
        link.addnext(url)
