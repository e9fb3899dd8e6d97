"""Reading PDFs back: a PDF in, what it draws out (content streams walked for images and
glyphs, page text, fingerprints of pages), for the checks, the proof and the booklet.
It imports nothing from the stages that write PDFs.
"""
