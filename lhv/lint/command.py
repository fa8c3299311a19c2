"""`lhv check-payload FILE…`: checks request payloads offline; exit 0 clean, 1 problems, 2 unreadable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhv.contract.payloads import OPERATIONS


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `lhv check-payload` to the lhv command's parser."""
    check = commands.add_parser(
        "check-payload", help="check request payloads offline against the contract (exit 0 clean, 1 problems, "
                              "2 unreadable)",
        description="Checks request bodies (exactly as your client sends them, with real base64) and lhv payload "
                    "files against CONTRACT.md §5–§7, with the device's own rules. Each problem names the file, "
                    "the "
                    "JSON path, what is wrong, what is allowed and the status the device would answer.")
    check.add_argument("files", nargs="+", metavar="FILE", help="request bodies or payload files (a folder: every "
                                                                "*.json in it)")
    check.add_argument("--format", choices=["text", "json"], default="text", help="output format (json for CI)")
    check.add_argument("--operation", choices=OPERATIONS,
                       help="what a request body is for, when its keys do not tell (default: detected)")
    check.add_argument("--dialect",
                       help="the API dialect of request bodies: plan or v2 (CONTRACT.md Appendix); default: the one "
                            "the body's keys show (plan when they do not tell); payload files name their own")
    check.add_argument("--images-dir", type=Path, help="where payload files' {\"$image\": …} references are "
                                                       "found (default: fixtures/images)")
    check.set_defaults(handler=lambda args, extra: run(args))


def run(args: argparse.Namespace) -> int:
    """Checks the files and prints the reports; returns the exit code."""
    from lhv.lint.check import check_paths
    from lhv.lint.output import as_json, exit_code, text
    from lhv.lint.readers import dialects

    if args.dialect is not None and args.dialect not in dialects():
        print(f"lhv: check-payload: --dialect {args.dialect}: the linter reads {', '.join(dialects())}",
              file=sys.stderr)
        return 2
    reports = check_paths(args.files, images_dir=args.images_dir, operation=args.operation, dialect=args.dialect)
    print(as_json(reports) if args.format == "json" else text(reports))
    return exit_code(reports)

