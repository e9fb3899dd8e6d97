"""Print the "Octavo Greek" @font-face rules of styles/scripts.css, ranges read from the
installed Noto Serif (run after a Noto upgrade; tests/test_dialect2.py checks the file).

WeasyPrint 70 turns `unicode-range` into a fontconfig charset *replacement*: a range
that claims a character the font lacks makes Pango pick the font and print a box. So
each range is exactly the Greek the font maps (/work/proto/fonts/REPORT.md, section 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octavo.fonts import GREEK_BLOCKS, GREEK_FACES, font_file_named, unicode_ranges  # noqa: E402


def main() -> None:
    for style, weight, name in GREEK_FACES:
        ranges = unicode_ranges(font_file_named(name), GREEK_BLOCKS)
        print(f'@font-face {{\n  font-family: "Octavo Greek";\n  font-style: {style};\n'
              f'  font-weight: {weight};\n  src: local("{name}");\n'
              f'  unicode-range: {ranges};\n}}')


if __name__ == "__main__":
    main()
