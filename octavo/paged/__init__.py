"""The paged stage: a `Book` in, the screen PDF and the print-ready PDF out.

The Book becomes HTML for paged media, one document per part: each chapter, each page of
front and back matter (`document.py`). WeasyPrint lays each part out on its own, as
often as placing its figures needs (`render.py`, `placement.py`, `flow.py`; a layout
after the first starts from the page where the part first changed, `relayout.py`, and
breaks no line an earlier one broke, `linememo.py`), what the layout did is read from
its boxes (`layout_map.py`), its folios are taken off (`folios.py`) and it is written,
tagged (`part.py`, `write.py`). The parts' pages are numbered through the book
(`pagination.py`) and put together into one tagged PDF (`assemble.py`, `fontmerge.py`,
`folios.py`), from which both editions are made (`write.py`, `finish.py`, `images.py`);
the proof sheet is drawn from it (`proof.py`).
"""

from . import linebreak  # noqa: F401 - mends a WeasyPrint line-breaking fault (see there)
from . import linememo  # noqa: F401 - breaks a part's same line once for all its layouts
from . import footnotes  # noqa: F401 - mends a WeasyPrint fault that lost notes (see there)
from . import relayout  # noqa: F401 - lets a layout start from an earlier one's pages
from . import margins  # noqa: F401 - skips work WeasyPrint throws away (see there)
from . import fontdates  # noqa: F401 - keeps a saved font's date: reproducible PDFs
from . import leaders  # noqa: F401 - sets a dot leader as one run of text (see there)
