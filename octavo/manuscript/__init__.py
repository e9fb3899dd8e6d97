"""The manuscript stage: a manuscript folder in, a validated `Book` out.

It reads the metadata and the Markdown chapters (Octavo's dialect, `dialect.py`),
sanitises the HTML, checks images, SVG and links against the folder, and holds the
pages made from the metadata (`front_matter.py`). It imports no later stage.
"""
