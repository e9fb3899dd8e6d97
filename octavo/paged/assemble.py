"""The book's tagged PDF, put together from its parts' PDFs: `assemble(layout, target)`,
or an `Assembly` that takes each part in as soon as its PDF is written.

Each part was written by WeasyPrint as a tagged PDF of its own (paged/part.py). Here,
with pikepdf, in the order and with the page numbers of `pagination.BookLayout`:

- pages: each part's, with a blank page (the size of the next) where a part must
  start on the other side;
- structure: one `Document` element holding every part's structure elements in
  order, the parent tree renumbered (pages first, then link annotations), so the
  screen PDF stays tagged (PDF/UA-1);
- named destinations: every part's, in one sorted name tree;
- links to another part (WeasyPrint writes them as `octavo-xref:` addresses, see
  document.XREF_SCHEME): links to the named destination again;
- bookmarks: every part's, nested through the book as WeasyPrint nests them;
- catalog and metadata: the first part's (every part has the same);
- colour profiles: one copy of each; fonts: one subset per face (fontmerge.py);
- folios: drawn now that the pages have their numbers (folios.py), and the page labels
  a viewer shows (roman in a book's front matter).
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from ..manuscript.book import Book
from .document import XREF_SCHEME
from .finish import set_page_labels
from .folios import draw_folios
from .fontmerge import merge_fonts
from .pagination import BookLayout
from .part import write_live_part
from .write import TAGGED_VERSION, pdf_identity, print_from_tagged, screen_from_tagged

CATALOG_KEYS = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/OutputIntents", "/Metadata")
PAGE_BOXES = ("/MediaBox", "/TrimBox", "/BleedBox")


@dataclass
class _Taken:
    """What one part brought into the book: its PDF (open), its pages, its structure
    elements and parent tree (copied, keys as the part numbered them), its named
    destinations."""
    source: pikepdf.Pdf
    pages: list
    kids: list  # its structure elements, their parent already the book's `Document`
    nums: list[tuple[int, pikepdf.Object]] | None  # its parent tree: (key, value)
    names: list[tuple[str, pikepdf.Object]]  # its named destinations


class Assembly:
    """`assemble`, begun before the layout ends: `take(part)` copies a part's pages,
    structure elements and named destinations into the book as soon as its PDF exists
    (the build takes the parts it kept while the others are laid out: the copying is
    most of the work); `finish(layout, target)` takes the rest, puts the pages in the
    book's order and writes the book. The order the parts were taken in does not show:
    the pages are ordered, the parent tree numbered and the names sorted at the end,
    and the writer numbers the objects in the order it meets them."""

    def __init__(self):
        self.pdf = pikepdf.new()
        self.copy: pikepdf.Pdf | None = None  # the book, its objects in order (`book`)
        self.taken: dict[str, _Taken] = {}  # by the part's PDF
        self.document = self.pdf.make_indirect(pikepdf.Dictionary(  # the structure's root
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=pikepdf.Array()))

    def take(self, part) -> None:
        """Copy in `part` (a part.PartLayout whose PDF is written), unless it is in."""
        if part.pdf is None or part.pdf in self.taken:
            return
        source = _mapped(part.pdf)
        pdf, first = self.pdf, len(self.pdf.pages)
        with warnings.catch_warnings():  # named destinations: copied below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning if hasattr(
                pikepdf, "PageCopyWarning") else UserWarning)
            pdf.pages.extend(source.pages)
        pages = [pdf.pages[index] for index in range(first, len(pdf.pages))]
        root, kids, nums, names = source.Root.get("/StructTreeRoot"), [], None, []
        if root is not None:
            kids = list(pdf.copy_foreign(root.K[0]).K)
            for kid in kids:
                kid.P = self.document
            tree = pdf.copy_foreign(root.ParentTree).Nums
            nums = [(int(tree[at]), tree[at + 1]) for at in range(0, len(tree), 2)]
        dests = source.Root.get("/Names", {}).get("/Dests")
        if dests is not None and "/Names" in dests:
            found = pdf.copy_foreign(source.make_indirect(dests.Names))
            names = [(str(found[at]), found[at + 1]) for at in range(0, len(found), 2)]
        self.taken[part.pdf] = _Taken(source, pages, kids, nums, names)

    def finish(self, layout: BookLayout, target: Path) -> Path:
        """Write the book's tagged PDF to `target` (not compressed again: each edition
        is saved compressed from it), and let go of the parts."""
        try:
            self.book(layout).save(target, deterministic_id=True, min_version=TAGGED_VERSION,
                                   compress_streams=False,
                                   stream_decode_level=pikepdf.StreamDecodeLevel.none)
            return target
        finally:
            self.close()

    def book(self, layout: BookLayout) -> pikepdf.Pdf:
        """The book's tagged PDF, in memory: the editions are saved from it, in this
        process or in children forked now (the parts it reads from are mapped into
        memory, so each child reads them without sharing a file offset); `close()`
        when they are made."""
        for part in layout.parts:
            self.take(part)
        taken = [self.taken[part.pdf] for part in layout.parts]
        pdf = self.pdf
        _pages(pdf, layout, taken)
        _structure(pdf, layout, taken, self.document)
        names = _names(pdf, taken)
        _links(pdf, names)
        _outline(pdf, layout.bookmarks)
        _catalog(pdf, taken[0].source)
        _shared_profiles(pdf)
        merge_fonts(pdf)
        draw_folios(pdf, layout.folios, layout.fonts)
        set_page_labels(pdf, layout.pages.labels)  # what a viewer shows: ii, iii, 1, 2…
        self.copy = _in_order(pdf)
        for part in taken:  # (the copy holds what it needs of them; the parts' files
            part.pages = part.kids = part.nums = part.names = None  # stay open)
        pdf.close()
        self.pdf = self.document = None
        return self.copy

    def close(self) -> None:
        for part in self.taken.values():
            part.source.close()
        self.taken = {}
        if self.copy is not None:
            self.copy.close()
            self.copy = None
        if self.pdf is not None:
            self.pdf.close()
            self.pdf = self.document = None

    def __enter__(self) -> "Assembly":
        return self

    def __exit__(self, *exception) -> bool:
        self.close()
        return False


def _in_order(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    """`pdf` copied, so that its objects are numbered in the order the copy meets them.
    A writer that makes object streams groups objects by their numbers: in `pdf` they
    follow the order the parts were taken in (the kept ones first), and a book must not
    depend on it. Copying the objects parsed already takes a fraction of what writing
    the book out and reading it back did."""
    copy = pikepdf.new()
    with warnings.catch_warnings():  # named destinations: in the catalog, copied below
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning if hasattr(
            pikepdf, "PageCopyWarning") else UserWarning)
        copy.pages.extend(pdf.pages)
    for key, value in pdf.Root.items():
        if key in ("/Pages", "/Type"):
            continue
        if value.is_indirect:
            copy.Root[key] = copy.copy_foreign(value)
        elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array)):  # direct, as it was
            copied = copy.copy_foreign(pdf.make_indirect(value))
            copy.Root[key] = pikepdf.Dictionary(dict(copied.items())) if isinstance(
                value, pikepdf.Dictionary) else pikepdf.Array(list(copied))
        else:
            copy.Root[key] = value
    for key, value in pdf.docinfo.items():
        copy.docinfo[key] = copy.copy_foreign(pdf.make_indirect(value)) \
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) else value
    return copy


def _mapped(path: Path) -> pikepdf.Pdf:
    """`path` opened mapped into memory (read, never through a file offset that processes
    forked later would share); read whole where it cannot be mapped."""
    try:
        return pikepdf.open(path, access_mode=pikepdf.AccessMode.mmap_only)
    except (pikepdf.PdfError, OSError, ValueError):
        return pikepdf.open(io.BytesIO(Path(path).read_bytes()))


def assemble(layout: BookLayout, target: Path) -> Path:
    """Write the book's tagged PDF to `target`, from its parts' PDFs (`Assembly`)."""
    with Assembly() as assembly:
        return assembly.finish(layout, target)


def _pages(pdf: pikepdf.Pdf, layout: BookLayout, taken: list[_Taken]) -> None:
    """The parts' pages in the book's order, a blank page before a part where it must
    start on the other side; the pages of parts taken but not in the book, left out."""
    while len(pdf.pages):
        del pdf.pages[-1]
    for index, part in enumerate(taken):
        while len(pdf.pages) + 1 < layout.first_pages[index]:  # a blank page before it
            model = part.pages[0].obj
            blank = pikepdf.Dictionary(Type=pikepdf.Name.Page, Resources=pikepdf.Dictionary())
            for box in PAGE_BOXES:
                if box in model:
                    blank[box] = pikepdf.Array([float(value) for value in model[box]])
            pdf.pages.append(pikepdf.Page(pdf.make_indirect(blank)))
        for page in part.pages:
            pdf.pages.append(page)


def _structure(pdf: pikepdf.Pdf, layout: BookLayout, taken: list[_Taken],
               document: pikepdf.Object) -> None:
    """One structure tree: the parts' elements under one `Document`, the parent tree's
    keys renumbered: page n (from 0) is key n, the link annotations come after."""
    page_entries, annotation_entries = [], []
    next_annotation = layout.page_count
    document.K = pikepdf.Array([kid for part in taken for kid in part.kids])
    for index, part in enumerate(taken):
        if part.nums is None:
            continue
        first = layout.first_pages[index] - 1  # the part's first page, from 0
        count = layout.parts[index].pages
        renumbered = {}
        for key, value in part.nums:
            if key < count:
                page_entries.append((first + key, value))
            else:
                renumbered[key] = next_annotation
                annotation_entries.append((next_annotation, value))
                next_annotation += 1
        for page in pdf.pages[first:first + count]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = first + int(page.obj.StructParents)
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = renumbered[int(annotation.StructParent)]
    nums = pikepdf.Array([item for entry in page_entries + annotation_entries
                          for item in entry])
    parent_tree = pdf.make_indirect(pikepdf.Dictionary(Nums=nums))
    root = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array([document]),
        ParentTree=parent_tree, ParentTreeNextKey=next_annotation))
    document.P = root
    pdf.Root.StructTreeRoot = root


def _names(pdf: pikepdf.Pdf, taken: list[_Taken]) -> set[str]:
    """Every part's named destinations in one sorted name tree; returns the names."""
    entries: dict[str, pikepdf.Object] = {}
    for part in taken:
        for name, destination in part.names:
            entries.setdefault(name, destination)
    if entries:
        flat = pikepdf.Array([item for name in sorted(entries)
                              for item in (pikepdf.String(name), entries[name])])
        pdf.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=flat))
    return set(entries)


def _links(pdf: pikepdf.Pdf, names: set[str]) -> None:
    """A link to another part becomes a link to its named destination, as WeasyPrint
    writes a link inside one document (a target that is nowhere loses its link)."""
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if annotations is None:
            continue
        for annotation in list(annotations):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(XREF_SCHEME):
                continue
            name = unquote(uri[len(XREF_SCHEME):])
            del annotation["/A"]
            annotation.Dest = pikepdf.String(name)
            annotation.Contents = pikepdf.String(name)
            if name not in names:
                del annotation["/Dest"]


def _outline(pdf: pikepdf.Pdf, bookmarks: list[tuple]) -> None:
    """The bookmarks of every part, nested by level through the book (WeasyPrint's own
    nesting, `make_page_bookmark_tree`), written as WeasyPrint writes an outline."""
    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    class Page:  # what make_page_bookmark_tree reads of a page
        def __init__(self, marks):
            self.bookmarks = marks

    by_page: dict[int, list] = {}
    for index, level, label, x, y, state in bookmarks:
        by_page.setdefault(index, []).append((level, label, (x, y), state))
    root: list = []
    skipped, last_by_depth, previous = [], [root], 0
    for index in sorted(by_page):
        previous = make_page_bookmark_tree(Page(by_page[index]), skipped, last_by_depth,
                                           previous, index, Matrix())
    if root:
        outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
        count = _outline_items(pdf, root, outlines)
        outlines.Count = count
        pdf.Root.Outlines = outlines


def _outline_items(pdf: pikepdf.Pdf, subtrees: list, parent) -> int:
    items, count = [], len(subtrees)
    for label, (index, x, y), children, state in subtrees:
        item = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(label), Parent=parent,
            Dest=pikepdf.Array([pdf.pages[index].obj, pikepdf.Name.XYZ, x, y, 0])))
        below = _outline_items(pdf, children, item) if children else 0
        item.Count = -below if state == "closed" else below
        if state != "closed":
            count += below
        if items:
            item.Prev, items[-1].Next = items[-1], item
        items.append(item)
    if items:
        parent.First, parent.Last = items[0], items[-1]
    return count


def _catalog(pdf: pikepdf.Pdf, first: pikepdf.Pdf) -> None:
    for key in CATALOG_KEYS:
        if key in first.Root:
            value = first.Root[key]
            pdf.Root[key] = pdf.copy_foreign(value) if value.is_indirect else \
                pdf.copy_foreign(first.make_indirect(value))
    for key, value in first.docinfo.items():
        pdf.docinfo[key] = pikepdf.String(bytes(value)) if isinstance(value, pikepdf.String) \
            else value


def _shared_profiles(pdf: pikepdf.Pdf) -> None:
    """Every part embeds the colour profiles the styles name: one copy of each is kept."""
    import hashlib
    kept: dict[bytes, pikepdf.Object] = {}
    dictionaries = {}
    for page in pdf.pages:
        spaces = page.obj.get("/Resources", {}).get("/ColorSpace")
        if spaces is not None:
            dictionaries.setdefault(spaces.objgen if spaces.is_indirect else id(spaces), spaces)
    for spaces in dictionaries.values():
        for space in spaces.values():
            if isinstance(space, pikepdf.Array) and len(space) == 2 \
                    and space[0] == pikepdf.Name.ICCBased:
                digest = hashlib.sha1(space[1].read_raw_bytes()).digest()
                kept.setdefault(digest, space[1])
                space[1] = kept[digest]
    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        if profile is not None:
            digest = hashlib.sha1(profile.read_raw_bytes()).digest()
            intent.DestOutputProfile = kept.setdefault(digest, profile)


# ---------- a layout made in this process (tests, tools) ----------

def write_tagged_pdf(layout, book: Book, target: Path) -> Path:
    """The book's tagged PDF (both editions are made from it), from a layout made in this
    process (`render`): the parts not written yet are written beside `target` first."""
    identity = pdf_identity(book)
    for number, part in enumerate(layout.parts):
        if part.pdf is None:
            write_live_part(part, part.live, identity,
                            target.with_name(f".{target.name}.part{number}.pdf"))
    assemble(layout, target)
    return target


def write_screen_pdf(layout, book: Book, target: Path) -> None:
    """The screen PDF alone (the build makes both PDFs from one tagged book)."""
    with _scratch(target) as tagged:
        write_tagged_pdf(layout, book, tagged)
        screen_from_tagged(tagged, target)


def write_print_pdf(layout, book: Book, target: Path) -> None:
    """The print-ready PDF alone (the build makes both PDFs from one tagged book)."""
    with _scratch(target) as tagged:
        write_tagged_pdf(layout, book, tagged)
        print_from_tagged(tagged, layout, pdf_identity(book), target)


@contextmanager
def _scratch(beside: Path):
    handle, name = tempfile.mkstemp(prefix=".octavo-tagged-", suffix=".pdf", dir=beside.parent)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
