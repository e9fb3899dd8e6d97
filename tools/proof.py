"""Contact sheet of a PDF's pages (for looking at a layout): proof.py IN.pdf OUT.png [dpi]."""
import glob
import subprocess
import sys
import tempfile

from PIL import Image

source, target = sys.argv[1], sys.argv[2]
dpi = sys.argv[3] if len(sys.argv) > 3 else "40"
with tempfile.TemporaryDirectory() as folder:
    subprocess.run(["pdftoppm", "-png", "-r", dpi, source, f"{folder}/p"], check=True)
    pages = [Image.open(f) for f in sorted(glob.glob(f"{folder}/p-*.png"))]
    width, height = pages[0].size
    columns = 6
    rows = (len(pages) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (width + 8), rows * (height + 8)), "#777")
    for index, page in enumerate(pages):
        sheet.paste(page, ((index % columns) * (width + 8), (index // columns) * (height + 8)))
    sheet.save(target)
