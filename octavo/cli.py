"""The command line: `python build.py` or `octavo`. Users never see a traceback."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .errors import (EXIT_CHECKS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE,
                     OctavoError)
from .booklet.plan import BINDINGS
from .booklet.sheets import SHEET_CHOICES
from .launch import run_build
from .runner.child import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from .report import failed, for_release, summary


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
        return value
    return parse


def _creep(text: str):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of mm (or auto)") from None


def _range(kind, low, high):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not between {low:g} and {high:g}")
        return value
    return parse


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        prog="octavo", description="Build a Markdown manuscript into a screen PDF, "
        "an EPUB, a print-ready PDF and an imposed booklet, then check every output.",
        epilog="`octavo new DIR` starts a new book in DIR.")
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
    parser.add_argument("--sheet", choices=SHEET_CHOICES, default="auto", metavar="SHEET",
                        help="booklet paper: auto (default) follows the page size (A5 on A4, "
                        "5.5x8.5in on letter, 6x9in on tabloid, A4 on A3); or one of "
                        + ", ".join(SHEET_CHOICES[1:]))
    parser.add_argument("--binding", choices=BINDINGS, default="auto",
                        help="booklet binding: one saddle-stitched stack, or signatures "
                        "(folded sections, sewn or glued); auto (default): saddle up to "
                        "--max-saddle-pages")
    parser.add_argument("--max-saddle-pages", type=_range(int, 1, 100_000), default=64,
                        metavar="N", help="auto binding: saddle-stitch up to N pages (default: 64)")
    parser.add_argument("--signature-sheets", type=_range(int, 3, 8), default=4, metavar="N",
                        help="sheets in a signature, 3-8 (default: 4 = 16 pages)")
    parser.add_argument("--creep", type=_creep, nargs="?", const="auto", default=0.0,
                        metavar="MM", help="booklet creep compensation: alone, each sheet is "
                        "pushed one paper thickness further toward the spine (within each "
                        "signature); with MM, the innermost pages shift outward by MM")
    parser.add_argument("--paper-thickness", type=_range(float, 0.02, 1.0), default=0.1,
                        metavar="MM", help="for --creep alone (default: 0.1, 80 g/m² paper)")
    parser.add_argument("--marks", choices=("none", "fold", "crop"), default="none",
                        help="booklet marks (default: none)")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    parser.add_argument("--watch", action="store_true",
                        help="rebuild on every save in the manuscript or styles folder")
    parser.add_argument("--no-cache", action="store_true",
                        help="remake every output, even those whose inputs did not change")
    parser.add_argument("--no-checks", action="store_true",
                        help="skip the checks (for quick previews and benchmarks)")
    parser.add_argument("--time-limit", type=_positive(float), default=DEFAULT_TIME_LIMIT,
                        metavar="SECONDS", help="stop a build that takes longer "
                        f"(default: {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--memory-limit", type=_positive(int), default=DEFAULT_MEMORY_LIMIT,
                        metavar="MB", help="stop a build that needs more memory "
                        f"(default: {DEFAULT_MEMORY_LIMIT})")
    return parser.parse_args(argv)


def _internal_error(error: BaseException) -> int:
    handle, log = tempfile.mkstemp(prefix="octavo-internal-error-", suffix=".log")
    with open(handle, "w", encoding="utf-8") as file:  # the child's traceback, if any
        file.write(getattr(error, "details", "") or "".join(traceback.format_exception(error)))
    shown = " ".join(f"{type(error).__name__}: {error}".split())[:300]
    print(f"octavo: internal error ({shown}); this is a bug in Octavo, not in the "
          f"manuscript; log at {log}", file=sys.stderr)
    return EXIT_INTERNAL


def _summary(result, seconds: float) -> str:
    lines = [f"Built {result.slug}: {result.pages} pages, "
             f"{result.figures} figures, in {seconds:.1f} s"]
    for kind, path in result.outputs.items():
        lines.append(f"  {kind:<8} {path}  ({path.stat().st_size / 1024:,.0f} KB)")
    if result.placeholders:
        lines.append(f"  note: {len(result.placeholders)} placeholder (FPO) images: "
                     + ", ".join(result.placeholders))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["new"]:  # `octavo new DIR`; anything else builds, as before
        from .new import main as new
        return new(argv[1:])
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    from .options import BuildOptions  # light: WeasyPrint is imported only to build
    options = BuildOptions(manuscript=args.manuscript, out=args.out,
                           validate=args.validate or args.release, release=args.release,
                           quiet=args.quiet,
                           sheet=args.sheet, creep_mm=args.creep,
                           marks=None if args.marks == "none" else args.marks,
                           binding=args.binding, max_saddle_pages=args.max_saddle_pages,
                           signature_sheets=args.signature_sheets,
                           paper_thickness_mm=args.paper_thickness,
                           cache=not args.no_cache, checks=not args.no_checks)
    if args.watch:
        from .watch import watch
        return watch(options, time_limit=args.time_limit, memory_limit=args.memory_limit)
    started = time.perf_counter()
    try:
        from .launch import reuse_unchanged  # nothing changed: no build at all
        result = (None if args.check_only else reuse_unchanged(options)) or run_build(
            options, check_only=args.check_only,  # in a child process
            time_limit=args.time_limit, memory_limit=args.memory_limit)
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
        if "unchanged" in result.timings:  # cache.reuse_unchanged: no build was needed
            print("  (nothing changed since the last build: every output kept as it was)")
        if result.booklet is not None:
            from .booklet.instructions import print_instructions
            print(print_instructions(result.booklet, sheets=False))
            if "booklet-txt" in result.outputs:
                print(f"  (These instructions, with the pages of every sheet, are in "
                      f"{result.outputs['booklet-txt']}.)")
        for finding in result.findings:
            if finding.code == "PRN-010":  # no booklet: the pages fit no sheet
                print(f"  {finding.message}")
    findings = for_release(result.findings, args.release)  # also when the cache answered
    if failed(findings, args.release):
        print(summary(findings), file=sys.stderr)
    elif not args.quiet:
        print(summary(findings))
    if failed(findings, args.release):
        print(f"octavo: the checks failed; see {args.out / 'report.json'}", file=sys.stderr)
        return EXIT_CHECKS
    return EXIT_OK
