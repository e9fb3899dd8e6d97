"""The page map: where each element of the book was laid out, and how each page is
numbered. The paged stage makes it after the layout (today from the one WeasyPrint
document; with per-chapter layout, from the laid-out chapters); the contents page, the
index, "on page N" and the EPUB's page list all read it, never the layout itself.

Folios: in a book (front matter apart) the pages before the body are numbered in lower
roman (the cover is i), the body in arabic from 1; an article counts every page in arabic
from the cover, as it always has."""

from __future__ import annotations

from dataclasses import dataclass, field

from .numbering import roman


def page_labels(count: int, body_start: int | None) -> list[str]:
    """The printed label of each page (1-based `body_start`: the body's first page)."""
    if body_start is None:
        return [str(number) for number in range(1, count + 1)]
    return [roman(number).lower() if number < body_start else str(number - body_start + 1)
            for number in range(1, count + 1)]


@dataclass
class PageMap:
    labels: list[str]  # the printed label of each page, page 1 first
    pages: dict[str, int] = field(default_factory=dict)  # element id -> page (1-based)

    def page(self, element_id: str) -> int | None:
        return self.pages.get(element_id)

    def label(self, element_id: str) -> str | None:
        """The printed label of the page where `element_id` starts, or None."""
        page = self.pages.get(element_id)
        return self.labels[page - 1] if page and page <= len(self.labels) else None

    def label_of_page(self, page: int) -> str:
        return self.labels[page - 1] if 0 < page <= len(self.labels) else str(page)

    def first_pages(self, chapter_ids: list[str]) -> dict[str, int]:
        """Each chapter's first page."""
        return {cid: self.pages[cid] for cid in chapter_ids if cid in self.pages}

    def to_json(self) -> dict:
        return {"labels": self.labels, "pages": self.pages}

    @classmethod
    def from_json(cls, data: dict | None) -> "PageMap | None":
        if not data:
            return None
        return cls(list(data.get("labels", [])), dict(data.get("pages", {})))

    @classmethod
    def placeholder(cls) -> "PageMap":
        """Before the first layout: every page number the width of a typical one."""
        return _Placeholder([], {})


class _Placeholder(PageMap):
    def page(self, element_id: str) -> int | None:
        return 1

    def label(self, element_id: str) -> str | None:
        return "00"

    def label_of_page(self, page: int) -> str:
        return "00"
