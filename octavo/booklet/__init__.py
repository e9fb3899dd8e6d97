"""The booklet stage: the print PDF in, an imposed booklet for an office printer out
(pages placed two to a sheet side, in fold order, on the sheet the trim calls for; one
saddle-stitched stack, or signatures for a long book, with the bookbinder's marks),
with instructions for printing, folding and binding it.
"""
