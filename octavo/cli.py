"""The command line: `python build.py` or `octavo`. Users never see a traceback."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .booklet import print_instructions
from .errors import (EXIT_CHECKS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE,
                     OctavoError)
from .report import failed, summary


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        prog="octavo", description="Build a Markdown manuscript into a screen PDF, "
        "an EPUB, a print-ready PDF and an imposed booklet, then check every output.")
    parser.add_argument("--manuscript", type=Path, default=Path("manuscript"), metavar="DIR",
                        help="the manuscript folder (default: manuscript/)")
    parser.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR",
                        help="the output folder (default: dist/)")
    parser.add_argument("--validate", action="store_true",
                        help="also run the external validators (epubcheck, Ace)")
    parser.add_argument("--release", action="store_true",
                        help="--validate, and fail on any error or warning")
    parser.add_argument("--check-only", action="store_true",
                        help="re-check the existing outputs in --out without rebuilding")
    parser.add_argument("--sheet", choices=("a4", "letter"), default="a4",
                        help="booklet paper: A4 with A5 pages (default) or US Letter")
    parser.add_argument("--creep", type=float, default=0.0, metavar="MM",
                        help="booklet creep compensation: inner pages shift outward by up to MM")
    parser.add_argument("--marks", choices=("none", "fold", "crop"), default="none",
                        help="booklet marks (default: none)")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    return parser.parse_args(argv)


def _internal_error(error: BaseException) -> int:
    log = Path(tempfile.gettempdir()) / "octavo-internal-error.log"
    log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    print(f"octavo: internal error ({type(error).__name__}: {error}); this is a bug in "
          f"Octavo, not in the manuscript. Details: {log}", file=sys.stderr)
    return EXIT_INTERNAL


def _summary(result, seconds: float) -> str:
    lines = [f"Built {result.book.metadata.slug}: {result.layout.page_count} pages, "
             f"{len(result.book.figures)} figures, in {seconds:.1f} s"]
    for kind, path in result.outputs.items():
        lines.append(f"  {kind:<8} {path}  ({path.stat().st_size / 1024:,.0f} KB)")
    if result.book.placeholders:
        lines.append(f"  note: {len(result.book.placeholders)} placeholder (FPO) images: "
                     + ", ".join(f.src for f in result.book.placeholders))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    from .build import BuildOptions, build, check_only
    options = BuildOptions(manuscript=args.manuscript, out=args.out,
                           validate=args.validate or args.release, release=args.release,
                           quiet=args.quiet,
                           sheet=args.sheet, creep_mm=args.creep,
                           marks=None if args.marks == "none" else args.marks)
    started = time.perf_counter()
    try:
        result = check_only(options) if args.check_only else build(options)
    except OctavoError as error:
        print(f"octavo: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("octavo: interrupted; the previous outputs are unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last line of defence
        return _internal_error(error)
    if not args.quiet and not args.check_only:
        print(_summary(result, time.perf_counter() - started))
        if result.booklet is not None:
            print(print_instructions(result.booklet))
    print(summary(result.findings), file=sys.stderr if failed(result.findings, args.release)
          else sys.stdout)
    if failed(result.findings, args.release):
        print(f"octavo: the checks failed; see {args.out / 'report.json'}", file=sys.stderr)
        return EXIT_CHECKS
    return EXIT_OK
