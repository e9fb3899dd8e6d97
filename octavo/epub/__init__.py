"""The EPUB stage: a `Book` (and the PDF's page starts, for the page list) in, an EPUB 3
out: XHTML content documents, navigation, the package, media and a cover, zipped
reproducibly (`writer.py` names the steps).
"""
