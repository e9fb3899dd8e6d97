"""The CSL engine: `CitationEngine(style, references, locale).process(clusters)` registers
every cluster in reading order, disambiguates, sorts, then formats each cluster and the
bibliography as HTML strings. citeproc-py with the patches of `cite_patches`; its output
matched citeproc-js (Zotero's processor) on 300 of 300 clusters and entries for Chicago
author-date and notes (/work/proto/cite/REPORT.md)."""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import cmp_to_key

from ..manuscript.cite_syntax import CiteItem
from .cite_patches import _STATE, _patch_citeproc
from .cite_sources import CitationError, csl_to_reference


@dataclass
class Cluster:
    items: list[CiteItem]
    raw: str = ""                     # source text, for file:line
    path: str | None = None
    line: int | None = None
    in_note: bool = False             # already inside a footnote (note styles: no new note)


@dataclass
class Result:
    citations: list[str]              # inline HTML per cluster, document order
    footnotes: list[str | None]       # note styles: the note's HTML per cluster (None: no note)
    bibliography: list[tuple[str, str]]   # (key, HTML of the entry) in style order
    note_style: bool
    errors: list[CitationError] = field(default_factory=list)   # unknown keys
    notes: list[str] = field(default_factory=list)              # unused entries


_TAGS = re.compile(r"<[^>]+>")


def plain(html_text) -> str:
    text = _TAGS.sub("", str(html_text))
    for _ in range(2):
        text = html.unescape(text)
    return text


def collation_key(value) -> str:
    """Sort key close to citeproc-js (ICU): accents secondary, case ignored,
    leading punctuation and quotes ignored."""
    text = plain(value)
    base = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    base = base.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("đ", "d") \
        .replace("ł", "l").replace("ı", "i")
    base = re.sub(r"^[^\w\x01]+", "", base.strip())        # leading quotes, brackets
    base = re.sub(r"[^\w\s\x01]", "", base).casefold()  # punctuation ignored (as ICU in citeproc-js)
    return base + "\x00" + text.casefold()



class CitationEngine:
    def __init__(self, style_path, references: dict[str, dict], locale: str | None = None,
                 source_path: str | None = None, source_lines: dict | None = None):
        from citeproc import CitationStylesStyle
        _patch_citeproc()
        self.style = CitationStylesStyle(str(style_path), locale=locale, validate=False)
        self.root = self.style.root
        # lxml element proxies lose Python attributes when garbage-collected; citeproc-py
        # keeps state on them (citation.cites, layout.repressed): hold strong references.
        self._cit = self.root.citation
        self._cit_layout = self._cit.layout
        self._bib_el = self.root.bibliography
        self._bib_layout = self._bib_el.layout if self._bib_el is not None else None
        self._keepalive = list(self.root.iter())
        for locale in self.root.locales:
            self._keepalive += list(locale.iter())
        self.references = references
        self.source_path, self.source_lines = source_path, source_lines or {}
        self.by_lower: dict[str, str] = {}
        for key in references:
            if key.lower() in self.by_lower:
                raise CitationError(f"keys '{self.by_lower[key.lower()]}' and '{key}' differ only "
                                    "in case (citeproc-py folds case)", source_path,
                                    self.source_lines.get(key))
            self.by_lower[key.lower()] = key
        self.note_style = self.root.get("class") == "note"
        loc = self.root.get_locale_option("punctuation-in-quote")
        self.punct_in_quote = str(loc).lower() == "true"

    # -- helpers -------------------------------------------------------------
    def _term(self, name, plural=False, form=None):
        term = self.root.get_term(name, form)
        if term is None:
            return ""
        return str(term.multiple if plural else term.single)

    def references_title(self) -> str:
        title = self._term("reference", plural=True) or "references"
        return title[:1].upper() + title[1:]

    def _fix_punct(self, text: str) -> str:
        if self.punct_in_quote:
            text = re.sub(r"”((?:</[a-z]+>)*)([.,])", r"\2”\1", text)
        # no "." after a title's own ? ! or . ("Mice?.” -> Mice?”"); citeproc-js keeps ","
        text = re.sub(r"([?!.])((?:</[a-z]+>)*)\.(”)", r"\1\2\3", text)
        text = re.sub(r"([?!])(”?(?:</[a-z]+>)*)\.", r"\1\2", text)
        return text

    def _citation_option(self, name, default=None):
        return self._cit.get(name, default)

    # -- main ----------------------------------------------------------------
    def process(self, clusters: list[Cluster]) -> Result:
        from citeproc import (CitationStylesBibliography, Citation, CitationItem, Locator,
                              formatter)
        from citeproc.source import BibliographySource
        errors, citations = [], []
        source = BibliographySource()
        self._refs = {}
        cited_order: list[str] = []
        built = []
        for cluster in clusters:
            items = []
            for it in cluster.items:
                key = self.by_lower.get(it.key.lower()) if it.key in self.references else None
                if key is None:
                    errors.append(CitationError(f"unknown citation key '@{it.key}'",
                                                cluster.path, cluster.line))
                    continue
                if key not in self._refs:
                    self._refs[key] = csl_to_reference(self.references[key])
                    source.add(self._refs[key])
                    cited_order.append(key)
                kwargs = {}
                if it.locator:
                    kwargs["locator"] = Locator(it.label or "page", it.locator)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ci = CitationItem(key, **kwargs)
                ci["octavo"] = it
                items.append(ci)
            built.append((cluster, Citation(items) if items else None))
        import time
        clock = time.perf_counter
        self.timings = {}
        t = clock()
        self.bib = CitationStylesBibliography(self.style, source, formatter.html)
        for _, citation in built:
            if citation is not None:
                self.bib.register(citation)
        # The bibliography must not see the first cite's locator/affixes: fresh items.
        holder = Citation([CitationItem(item.key) for item in self.bib.items])
        holder.bibliography = self.bib
        self.bib.items = list(holder.cites)
        has_bib = self.style.has_bibliography()
        if has_bib:
            self._sort()
        self.timings["sort"] = round(clock() - t, 2)
        t = clock()
        self._disambiguate()
        self.timings["disambiguate"] = round(clock() - t, 2)
        t = clock()
        if has_bib and self._suffixed:
            self._sort()          # year suffixes take part in the sort
        self.timings["sort"] += round(clock() - t, 2)
        t = clock()
        self._cit.cites = self.bib._cites
        for cluster, citation in built:
            if citation is None:
                citations.append((html.escape(cluster.raw or "?"), None))
                continue
            citations.append(self._render_cluster(cluster, citation))
        self.timings["clusters"] = round(clock() - t, 2)
        t = clock()
        bibliography = self._render_bibliography() if has_bib else []
        self.timings["bibliography"] = round(clock() - t, 2)
        unused = [k for k in self.references if k not in self._refs]
        def where(k):
            if not self.source_path:
                return ""
            line = self.source_lines.get(k)
            return f"{self.source_path}:{line}: " if line else f"{self.source_path}: "
        notes = [f"{where(k)}entry '{k}' is never cited" for k in unused]
        footnotes = [c[1] for c in citations]
        citations = [c[0] for c in citations]
        return Result(citations, footnotes, bibliography, self.note_style, errors, notes)

    # -- sorting (citeproc-py compares HTML strings without collation) ----------
    def _sort(self):
        bib = self._bib_el
        sort = bib.find("cs:sort", bib.nsmap)
        if sort is None:
            return
        self.bib.items = self._sorted(list(self.bib.items), sort, self._bib_layout)
        self.bib.keys = [item.key for item in self.bib.items]

    def _sorted(self, items, sort, layout):
        keys = sort.findall("cs:key", sort.nsmap)
        descending = [key.get("sort", "ascending") == "descending" for key in keys]
        cache: dict[tuple[int, int], object] = {}

        def column(j, i):
            """Sort key j of item i, computed on demand: most comparisons end at the
            author key, and rendering the later macro keys is the costly part."""
            try:
                return cache[j, i]
            except KeyError:
                pass
            token = _STATE.set({"sorting": True})
            try:
                (value,) = keys[j].sort_keys([items[i]], layout)
            finally:
                _STATE.reset(token)
            value = None if value is None or plain(value).strip() == "" else normal(value)
            cache[j, i] = value
            return value

        def normal(value):
            if isinstance(value, (int, float)):
                return (0, value, "")
            text = plain(value)
            if re.fullmatch(r"-?\d+", text.strip()):
                return (0, int(text), "")
            return (1, 0, collation_key(text))

        def cmp(a, b):
            for j, desc in enumerate(descending):
                x, y = column(j, a), column(j, b)
                if x is None and y is None:
                    continue
                if x is None or y is None:
                    return 1 if x is None else -1       # empty keys last
                if x != y:
                    r = -1 if x < y else 1
                    return -r if desc else r
            return a - b                                 # stable: first cited first
        order = sorted(range(len(items)), key=cmp_to_key(cmp))
        return [items[i] for i in order]

    # -- disambiguation: given names (first author) then year suffixes ----------
    def _probe(self, key, expand=(), mode=None):
        """The plain text of a first cite of `key` without locator."""
        from citeproc import Citation, CitationItem
        ci = CitationItem(key)
        citation = Citation([ci])
        citation.bibliography = self.bib
        layout = self._cit_layout
        self._cit.cites = []
        token = _STATE.set({"expand_given": expand, "expand_mode": mode})
        try:
            layout.repressed = {}
            text = layout.render_children(ci)
        finally:
            _STATE.reset(token)
        return plain(text or "")

    def _disambiguate(self):
        cit = self._cit
        self.expand_given: dict[str, str] = {}     # key -> "initials" | "full"
        self._suffixed = False
        self.disambiguate: set[str] = set()
        if self.note_style:
            pass  # note styles: full first notes are rarely ambiguous; skip (see report)
        keys = [item.key for item in self.bib.items] or list(self._refs_lower())
        if cit.get("disambiguate-add-givenname", "false") == "true" and cit.get(
                "givenname-disambiguation-rule", "by-cite") in ("primary-name", "all-names",
                                                                "primary-name-with-initials",
                                                                "all-names-with-initials"):
            first_authors: dict[str, set] = {}
            for key in keys:
                ref = self.bib.source[key]
                names = ref.get("author") or ref.get("editor") or []
                if names and "family" in names[0]:
                    fam = (names[0].get("non-dropping-particle", ""), names[0]["family"])
                    first_authors.setdefault(fam, set()).add(names[0].get("given", ""))
            def initials(given):
                return "".join(p[0] for p in re.split(r"[\s.\-]+", given) if p)
            for key in keys:
                ref = self.bib.source[key]
                names = ref.get("author") or ref.get("editor") or []
                if names and "family" in names[0]:
                    fam = (names[0].get("non-dropping-particle", ""), names[0]["family"])
                    given = names[0].get("given")
                    others_given = first_authors[fam] - {given}
                    if others_given and given:
                        # initials when they tell the names apart, else the full given name
                        clash = any(initials(g) == initials(given) for g in others_given)
                        self.expand_given[key] = "full" if clash else "initials"
        groups: dict[str, list[str]] = {}
        for key in keys:
            ref = self.bib.source[key]
            if "year_suffix" in ref:
                del ref["year_suffix"]
            expand = ("author", "editor") if key in self.expand_given else ()
            text = self._probe(key, expand, self.expand_given.get(key))
            groups.setdefault(text, []).append(key)
        if cit.get("disambiguate-add-year-suffix", "false") != "true":
            # last resort: the style's disambiguate="true" branches (e.g. add a title)
            self.disambiguate = {k for members in groups.values() if len(members) > 1
                                 for k in members}
            return
        for text, members in groups.items():
            if len(members) > 1:
                for i, key in enumerate(members):   # bibliography order
                    self.bib.source[key]["year_suffix"] = _suffix(i)
                    self._suffixed = True

    def _refs_lower(self):
        return [k.lower() for k in self._refs]

    # -- clusters --------------------------------------------------------------
    def _render_item(self, ci, suppress=False):
        layout = self._cit_layout
        state = {"suppress_author": suppress, "names": None, "disambiguate": self.disambiguate,
                 "expand_given": ("author", "editor") if ci.key in self.expand_given else (),
                 "expand_mode": self.expand_given.get(ci.key)}
        token = _STATE.set(state)
        try:
            layout.repressed = {}
            text = layout.render_children(ci)
        finally:
            _STATE.reset(token)
        return (str(text) if text is not None else None), (
            str(state["names"]) if state["names"] is not None else None)

    def _link(self, ci, text):
        if not self.style.has_bibliography() or text is None:
            return text
        return f'<a class="citation-ref" href="#{ref_id(self.by_lower[ci.key])}">{text}</a>'

    def _affix(self, it: CiteItem, text):
        prefix, suffix = it.prefix.strip(), it.suffix.rstrip()
        if prefix:
            text = prefix + ("" if prefix.endswith(("(", "[", "\u00a0")) else " ") + text
        if suffix:
            text = text + ("" if suffix[0] in ",.;:)]!?" else " ") + suffix
        return text

    def _render_cluster(self, cluster: Cluster, citation) -> str:
        layout = self._cit_layout
        cites = self._cit.cites
        collapse = self._citation_option("collapse") in ("year", "year-suffix", "year-suffix-ranged")
        delimiter = layout.get("delimiter", "")
        group_delim = self._citation_option("cite-group-delimiter", ", ")
        for ci in citation.cites:
            ci.citation = citation
        cites_in_order = list(citation.cites)
        sort = self._cit.find("cs:sort", self._cit.nsmap)
        if sort is not None and len(cites_in_order) > 1:
            # cs:citation/cs:sort (APA, Harvard...); an author-in-text item stays first
            cites_in_order = self._sorted(cites_in_order, sort, layout)
        parts, prev = [], None
        in_text_author = None
        for ci in cites_in_order:
            it: CiteItem = ci["octavo"]
            text, names = self._render_item(
                ci, suppress=it.suppress_author or (it.author_in_text and not self.note_style))
            if it.author_in_text:
                in_text_author = self._link(ci, names or text)
            joined_with_prev = False
            # CSL collapse="year": adjacent cites with the same names (citeproc-js collapses
            # whatever the affixes and locators: "(Jones 1990, 3, also 1991)")
            if (collapse and names and prev is not None and names == prev and parts
                    and not it.suppress_author and not it.author_in_text):
                text, _ = self._render_item(ci, suppress=True)
                joined_with_prev = True
            cites.append(ci)
            prev = names
            if text is None:
                continue
            parts.append((joined_with_prev, self._affix(it, self._link(ci, text))))
        body = ""
        for i, (joined, text) in enumerate(parts):
            if i:
                body += group_delim if joined else delimiter
            body += text
        wrapped = str(layout.format(layout.wrap(body))) if body else ""
        if self.note_style:
            if cluster.in_note:          # already in a footnote: inline, no new note and
                inline = str(layout.format(layout.get("prefix", "") + body)) if body else ""
                return self._fix_punct(inline), None   # no layout suffix (". ." otherwise)
            note = self._fix_punct(_capitalize_html(wrapped))
            return (self._fix_punct(in_text_author) if in_text_author else ""), note
        if in_text_author:
            # "Smith (2020, 33)": name, then the rest of the cite in the layout's affixes
            inline = f"{in_text_author} {wrapped}" if body else in_text_author
            return self._fix_punct(inline), None
        return self._fix_punct(wrapped), None

    # -- bibliography ------------------------------------------------------------
    def _render_bib_item(self, item, state):
        layout = self._bib_layout
        token = _STATE.set(state)
        try:
            layout.repressed = {}
            body = layout.render_children(item)
            return str(layout.format(layout.wrap(body))) if body is not None else ""
        finally:
            _STATE.reset(token)

    def _render_bibliography(self):
        from citeproc.source import Name
        bib = self._bib_el
        substitute = bib.get("subsequent-author-substitute")
        rule = bib.get("subsequent-author-substitute-rule", "complete-all")
        entries, prev = [], None
        for item in self.bib.items:
            state = {"names": None}
            text = self._render_bib_item(item, state)
            names = str(state["names"]) if state["names"] else None
            if (substitute is not None and names and names == prev and rule == "complete-all"
                    and state.get("names_vars")):
                # re-render with the names replaced by the substitute, so that labels
                # ("ed.") and delimiters stay as the style has them
                ref = item.reference
                saved = {v: ref[v] for v in state["names_vars"]}
                for v in saved:
                    dict.__setitem__(ref, v, [Name(literal=html.escape(substitute, quote=False))])
                try:
                    text = self._render_bib_item(item, {"names": None})
                finally:
                    for v, value in saved.items():
                        dict.__setitem__(ref, v, value)
            prev = names
            if not plain(text).strip():
                continue         # the style leaves this item out of the bibliography
            text = _link_urls(self._fix_punct(text))
            entries.append((self.by_lower[item.key], text))
        return entries


def _suffix(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return s


def _capitalize_html(text: str) -> str:
    m = re.match(r"((?:<[^>]+>|\s)*)(\w)", text)
    return text if not m else text[:m.start(2)] + m[2].upper() + text[m.end(2):]


def _link_urls(text: str) -> str:
    return re.sub(r'(?<!href=")(https?://[^\s<]+[^\s<.,;:)])',
                  lambda m: f'<a href="{m[1]}">{m[1]}</a>', text)


def ref_id(key: str) -> str:
    """'ref-' + key, as pandoc.  Characters that break an XML id / URL fragment are escaped."""
    return "ref-" + re.sub(r"[^\w:.\-]", lambda m: f"_{ord(m[0]):x}_", key)


# --------------------------------------------------------------------------
# 3. Syntax (pandoc rules)
# --------------------------------------------------------------------------

