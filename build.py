#!/usr/bin/env python3
"""Build the manuscript: `python build.py --help`. The pipeline lives in `octavo/`."""

import sys

from octavo.cli import main

if __name__ == "__main__":
    sys.exit(main())
