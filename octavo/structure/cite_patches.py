"""citeproc-py 0.11.x, patched where it lacks what the Chicago styles need (each patch
lettered as in /work/proto/cite/REPORT.md, "Pitfalls"): memoised lookups (28 s → 1.5 s
for 300 citations), suppress-author and author-only, `cs:substitute` with `cs:choose`,
`initialize="false"`, "et al." for `and others`, given-name disambiguation, title case
that keeps spacing and nocase spans, locators compared by value, `is-numeric` on the
locator, bare labels, hyphenated number variables. Applied once, when the first engine
is made; citeproc-py is pinned in pyproject.toml because these reach into its insides."""

from __future__ import annotations

import contextvars
import re
import warnings

from .cite_sources import OTHERS, Markup

# citeproc-js's stop words for title case (CSL.SKIP_WORDS, single words)
TITLE_SKIP_WORDS = frozenset("""about above across afore after against al along alongside amid amidst
among amongst anenst apropos apud around as aside astride at athwart atop barring before behind
below beneath beside besides between beyond but by circa despite down during et except for
forenenst from given in inside into lest like modulo near next notwithstanding of off on onto out
over per plus pro qua sans since than through thru throughout thruout till to toward towards under
underneath until unto up upon versus vs. v. vs v via vis-à-vis with within without or yet so and
nor a an the de d' von van c ca""".split())
_STATE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("octavo_cite", default=None)
_RECORD: contextvars.ContextVar[list | None] = contextvars.ContextVar("octavo_record", default=None)


def _patch_citeproc():
    """Monkeypatches for citeproc-py 0.11.x; each is covered by a test."""
    import citeproc
    from citeproc import model
    from citeproc.string import MixedString, NoCase
    if getattr(model, "_octavo_patched", False):
        return
    if not citeproc.__version__.startswith("0.11"):
        warnings.warn(f"citeproc-py {citeproc.__version__}: patches written for 0.11")

    # (0) Speed.  citeproc-py re-runs static XPath queries (macro lookup, ancestors, locale
    #     terms) and the recursive calls_variable() for every rendered element: 85 % of its
    #     time.  Both depend only on the style, so they are memoised on the element
    #     (the engine keeps every element proxy alive, so the memo survives).
    orig_xpath = model.CitationStylesElement.xpath_search

    def xpath_search(self, expression):
        memo = self.__dict__.setdefault("_octavo_xpath", {})
        try:
            return memo[expression]
        except KeyError:
            result = memo[expression] = orig_xpath(self, expression)
            return result
    model.CitationStylesElement.xpath_search = xpath_search

    for cls in (model.Parent, model.Text):
        def memo_calls_variable(self, _orig=cls.calls_variable):
            value = self.__dict__.get("_octavo_cv")
            if value is None:
                value = self.__dict__["_octavo_cv"] = _orig(self)
            return value
        cls.calls_variable = memo_calls_variable

    def cached_reference(self):
        ref = dict.get(self, "_octavo_ref")
        if ref is None:
            ref = self.bibliography.source[self.key]
            dict.__setitem__(self, "_octavo_ref", ref)
        return ref
    citeproc.source.CitationItem.reference = property(cached_reference)

    # (a) cs:names: capture the first rendered name list (author-only, suppress-author,
    #     year collapsing, subsequent-author-substitute).
    orig_names_render = model.Names.render

    def names_render(self, item, *args, **kwargs):
        # variables already used as a substitute are suppressed (CSL 1.0.1 "substitute")
        try:
            ctx = kwargs.get("context")
            repressed = (ctx if ctx is not None else self).get_layout().repressed
        except Exception:
            repressed = {}
        own = self.get("variable", "").split()
        present = [v for v in own if v.replace("-", "_") in item.reference]
        hidden = [v for v in present if v in repressed.get(self.tag, ())]
        if hidden:
            if hidden == present:
                return None
            ref = item.reference   # "editor translator" after editor was the substitute
            saved = {v: ref[v.replace("-", "_")] for v in hidden}
            for v in saved:
                dict.__delitem__(ref, v.replace("-", "_"))
            try:
                return names_render(self, item, *args, **kwargs)
            finally:
                for v, value in saved.items():
                    dict.__setitem__(ref, v.replace("-", "_"), value)
        state = _STATE.get()
        if state is None or kwargs.get("sort_options") is not None or state.get("in_names"):
            return orig_names_render(self, item, *args, **kwargs)
        state["in_names"] = True
        try:
            text = orig_names_render(self, item, *args, **kwargs)
        finally:
            state["in_names"] = False
        if text and state.get("names") is None:
            state["names"] = text
            state["names_vars"] = _names_vars(self, item)
            if state.get("suppress_author"):
                return None
        return text
    model.Names.render = names_render

    def _names_vars(names_el, item):
        """The name variables that a cs:names rendered (its own or its substitute's)."""
        own = [v.replace("-", "_") for v in names_el.get("variable", "").split()]
        present = [v for v in own if v in item.reference]
        return present or (_STATE.get() or {}).get("subst_vars") or []

    # (a2) cs:substitute: cs:choose inside it (CSL 1.0.2; the Chicago styles use it), a
    #      bare <names variable="editor"/> takes the parent's cs:name, and every variable
    #      a substitute rendered is suppressed in the rest of the entry.
    from citeproc.source import VariableError

    def branch_matches(branch, item, context):
        if isinstance(branch, model.Else):
            return True
        a, results = branch.attrib, []
        if "type" in a:
            results += branch._type(item)
        if "variable" in a:
            results += branch._variable(item)
        if "is-numeric" in a:
            results += branch._is_numeric(item)
        if "is-uncertain-date" in a:
            results += branch._is_uncertain_date(item)
        if "locator" in a:
            results += branch._locator(item)
        if "position" in a:
            results += branch._position(item, context)
        if "disambiguate" in a:   # citeproc-py ignores it: the branch was always taken
            state = _STATE.get() or {}
            results.append((a["disambiguate"] == "true") == (item.key in state.get("disambiguate", ())))
        match = branch.get("match", "all")
        return any(results) if match == "any" else (not any(results)) if match == "none" \
            else all(results)

    def candidates(parent, item, context):
        for child in parent.getchildren():
            if isinstance(child, model.Choose):
                for branch in child.getchildren():
                    if branch_matches(branch, item, context):
                        yield from candidates(branch, item, context)
                        break
            else:
                yield child

    def substitute_render(self, item, context=None, **kwargs):
        names = self.xpath_search("./parent::cs:names[1]")[0]
        for child in candidates(self, item, context):
            record: list = []
            token = _RECORD.set(record)
            try:
                if isinstance(child, model.Names) and child.name is None:
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except VariableError:
                continue
            finally:
                _RECORD.reset(token)
            if text:
                repressed = (context if context is not None else self).get_layout().repressed
                if isinstance(child, model.Names):
                    repressed.setdefault(child.tag, []).extend(child.get("variable").split())
                    state = _STATE.get()
                    if state is not None and state.get("subst_vars") is None:
                        state["subst_vars"] = [v.replace("-", "_") for v in
                                               child.get("variable").split()
                                               if v.replace("-", "_") in item.reference]
                text_tag = "{http://purl.org/net/xbiblio/csl}text"
                repressed.setdefault(text_tag, []).extend(record)
                return text
        return None
    model.Substitute.render = substitute_render

    def if_render(self, item, context=None, delimiter="", **kwargs):
        if not branch_matches(self, item, context):
            raise model.ConditionFailed
        return self.render_children(item, context=context, delimiter=delimiter, **kwargs)
    model.If.render = if_render

    orig_text_variable = model.Text._variable

    def text_variable(self, item, context):
        value = orig_text_variable(self, item, context)
        record = _RECORD.get()
        if record is not None and value is not None:
            record.append(self.get("variable"))
        return value
    model.Text._variable = text_variable

    # (b) cs:name initialize="false" (CSL 1.0.1): keep full given names, only
    #     punctuate existing initials.  Chicago uses it everywhere.
    orig_initialize = model.Name.initialize

    def initialize(self, given, mark, context):
        if self.get("initialize", "true").lower() == "false":
            parts = given.split()
            return " ".join(p[0] + mark.rstrip() if re.fullmatch(r"\w\.?", p) else p
                             for p in parts)
        return orig_initialize(self, given, mark, context)
    model.Name.initialize = initialize

    # (c) 'and others' -> et al.; (d) given-name disambiguation of the first name.
    orig_name_process = model.Name.process

    def name_process(self, item, variable, context=None, sort_options=None, **kwargs):
        names = item.reference.get(variable, [])
        others = bool(names) and names[-1].get("literal") == OTHERS
        state = _STATE.get() or {}
        expand = variable in state.get("expand_given", ())
        sorting = state.get("sorting", False)
        if sorting:   # sort keys: each name "family given", names apart, no "and"/"et al."
            # (citeproc-py drops sort_options at every <text macro=...>, so nested
            # macros sorted names in display order: set them here for every name)
            sort_options = dict(sort_options or {}, **{"and": None, "delimiter": "\x01",
                                                       "sort-separator": " ",
                                                       "name-as-sort-order": "all"})
        if not (others or expand):
            return orig_name_process(self, item, variable, context, sort_options, **kwargs)
        reference = item.reference
        saved = reference[variable]
        shown = list(names[:-1]) if others else list(names)
        if expand and shown and "given" in shown[0] and self.get(
                "form", self.get_option("form", context, sort_options)) == "short":
            first = shown[0]
            initials = (first["given"] if state.get("expand_mode") == "full"
                        else orig_initialize(self, first["given"], ". ", context))
            family = " ".join(x for x in (first.get("non-dropping-particle"),
                                          first["family"]) if x)
            shown[0] = citeproc.source.Name(literal=f"{initials} {family}")
        dict.__setitem__(reference, variable, shown)
        if others:   # "A, B, C, et al." -- no "and" before the last shown name
            sort_options = dict(sort_options or {}, **{"and": None})
        try:
            text = orig_name_process(self, item, variable, context, sort_options, **kwargs)
        finally:
            dict.__setitem__(reference, variable, saved)
        if others and text is not None and self.get_option("form", context, sort_options) != "count":
            et_al = str(self.et_al())
            if et_al and not str(text).endswith(et_al):
                sep = ", " if len(shown) > 1 else " "
                text = text + sep + et_al
        return text
    model.Name.process = name_process

    # (e) text-case that keeps the original spacing, nocase spans and markup
    #     (citeproc-py re-joins words with single spaces: "{\TeX}book" -> "TeX book").
    stop = TITLE_SKIP_WORDS

    def case(self, text, language=None):
        text_case = self.get("text-case")
        if text_case is None or not text:
            return text
        if text_case == "title" and language not in (None, "en"):
            return text
        def flat(t):
            if isinstance(t, MixedString):
                for x in t:
                    yield from flat(x)
            else:
                yield t
        segments = list(flat(text))
        whole_upper = str(text).isupper()
        last_word = None     # (segment index, piece index) of the last word: title-cased
        if text_case == "title":
            for si, seg in enumerate(segments):
                if isinstance(seg, Markup) or not isinstance(seg, str):
                    continue
                if isinstance(seg, NoCase):
                    if str(seg).strip():
                        last_word = None      # ends in a nocase span: left alone
                    continue
                for pi, piece in enumerate(re.split(r"(\s+|<[^>]+>)", str(seg))):
                    if piece and not piece.isspace() and not piece.startswith("<"):
                        last_word = (si, pi)
        out, first_word, after_colon = [], True, True
        for si, seg in enumerate(segments):
            if isinstance(seg, NoCase) or not isinstance(seg, str):
                out.append(seg)
                if str(seg).strip() and not isinstance(seg, Markup):
                    first_word = after_colon = False
                continue
            pieces = re.split(r"(\s+|<[^>]+>)", str(seg))
            new = []
            for pi, piece in enumerate(pieces):
                if not piece or piece.isspace() or piece.startswith("<"):
                    new.append(piece)
                    continue
                if text_case == "lowercase":
                    piece = piece.lower()
                elif text_case == "uppercase":
                    piece = piece.upper()
                elif text_case == "capitalize-first" and first_word:
                    piece = piece[:1].upper() + piece[1:]
                elif text_case == "capitalize-all":
                    piece = piece[:1].upper() + piece[1:]
                elif text_case == "title":
                    # citeproc-js rules: capitalise lowercase words longer than one letter
                    # that are not stop words; the first word and a word after : ? ! always;
                    # the last word if it is a stop word (unless a nocase span ends the title)
                    idx = len(piece) - len(piece.lstrip("“‘\"'(["))
                    core = piece[idx:].rstrip("”’\"'),.;:!?")
                    lower = core.lower()
                    cap = ((len(core) > 1 and lower not in stop) or first_word or after_colon
                           or ((si, pi) == last_word and len(core) > 1))
                    if cap and core == lower:
                        piece = piece[:idx] + piece[idx:idx + 1].upper() + piece[idx + 1:]
                elif text_case == "sentence":
                    if not whole_upper and not (piece.isupper() and len(piece) > 1):
                        piece = piece.lower()
                    if first_word:
                        piece = piece[:1].upper() + piece[1:]
                first_word = False
                after_colon = piece.endswith((":", "?", "!")) or (
                    text_case != "title" and piece.endswith("."))
                new.append(piece)
            out.append(type(seg)("".join(new)))
        return MixedString(out) if len(out) != 1 else out[0]
    model.TextCased.case = case

    # (f) Locators compare by value (ibid-with-locator).
    citeproc.source.Locator.__eq__ = lambda a, b: (
        isinstance(b, citeproc.source.Locator) and (a.label, a.identifier) == (b.label, b.identifier))
    citeproc.source.Locator.__hash__ = lambda a: hash((a.label, a.identifier))

    # (h) is-numeric="locator" (citeproc-py only looks in the reference: always false),
    #     and CSL's definition of numeric ("2", "33-35", "2, 4", "L2d").
    numeric = re.compile(r"^[A-Za-z]*\d+[A-Za-z]*(?:\s*[-–,&]\s*[A-Za-z]*\d+[A-Za-z]*)*$")

    def is_numeric(self, item):
        out = []
        for var in self.get("is-numeric").split():
            if var == "locator":
                value = item.locator.identifier if item.has_locator else None
            else:
                value = item.reference.get(var.replace("-", "_"))
            out.append(value is not None and bool(numeric.match(str(value).strip())))
        return out
    model.If._is_numeric = is_numeric

    # (i) a standalone cs:label renders only when its variable is set (citeproc-py prints
    #     the bare term: "..., edition." in Chicago's short notes).
    orig_label_process = model.Label.process

    def label_process(self, item, variable=None, plural=None, context=None, **kwargs):
        if variable is None:
            var = self.get("variable")
            if var == "locator":
                if not item.has_locator:
                    return None
            elif var.replace("-", "_") not in item.reference:
                return None
        return orig_label_process(self, item, variable, plural, context, **kwargs)
    model.Label.process = label_process

    # (g) Number variables with hyphens (number-of-pages, chapter-number, ...).
    orig_number_process = model.Number.process

    def number_process(self, item, context=None, **kwargs):
        variable = self.get("variable")
        if variable not in ("locator", "page-first") and "-" in variable:
            value = item.reference[variable.replace("-", "_")]
            return self._process(value, variable)
        return orig_number_process(self, item, context, **kwargs)
    model.Number.process = number_process
    model._octavo_patched = True

