"""Running the pipeline: a forked child within time and memory budgets, jobs on the
second core, the content-hash cache of every output and check, staged outputs published
all at once, and progress on the terminal. It knows how to run stages, not what they do.
"""
