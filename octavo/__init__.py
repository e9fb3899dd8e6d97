"""Octavo: a Markdown manuscript in, a screen PDF, an EPUB, a print-ready PDF and an
imposed booklet out, each checked (`octavo.build.build` names every stage)."""

from . import libraries  # noqa: F401 - finds WeasyPrint's C libraries from one listing
