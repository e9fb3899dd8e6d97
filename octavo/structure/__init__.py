"""The book's structure: Book in, the same Book annotated. Chapters, appendices and
parts are numbered, figures, tables, equations and listings numbered and captioned,
cross-references resolved, citations formatted and the bibliography built, index
entries collected (`annotate` in apply.py). From the annotated Book and a page map
(element id → printed page label, made by the paged stage after the layout) come the
contents page, the index and the "on page N" of cross-references, for the PDFs and the
EPUB alike."""
