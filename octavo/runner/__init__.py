"""Running the pipeline: a forked child within time and memory budgets, jobs on the
second core, the layout workers (one per core), the content-hash cache of every output
and check, the cache of parts and intermediate results, staged outputs published all at
once, and progress on the terminal. It knows how to run stages, not what they do.
"""
