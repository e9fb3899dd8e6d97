"""The paged stage: a `Book` in, the screen PDF and the print-ready PDF out.

The Book becomes one HTML document for paged media (`document.py`), WeasyPrint lays it
out as often as placing the figures needs (`render.py`, `placement.py`,
`layout_map.py`), one tagged write serves both editions (`write.py`, `finish.py`,
`images.py`), and the proof sheet is drawn from the PDF (`proof.py`).
"""

from . import linebreak  # noqa: F401 - mends a WeasyPrint line-breaking fault (see there)
