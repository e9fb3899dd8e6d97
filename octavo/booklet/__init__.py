"""The booklet stage: the print PDF in, an imposed booklet for an office printer out
(pages placed two to a sheet side, in fold order), with printing instructions.
"""
