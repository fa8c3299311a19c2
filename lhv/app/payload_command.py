"""`lhv payload convert --to v2|v1|plan FILE…`: payload files written in another API dialect.

The conversion itself is lhv/contract/payload_convert.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhv.contract.payload_convert import convert, dumps
from lhv.contract.payloads import DIALECTS, PayloadError, load

EXIT_USAGE = 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `lhv payload convert` to the lhv command's parser."""
    payload = commands.add_parser("payload", help="payload files (payloads/…)").add_subparsers(
        dest="payload_command", required=True)
    convert = payload.add_parser(
        "convert", help="write payload files in another API dialect (plan ↔ v2, plan ↔ v1)",
        description="Converts payload files between the plan dialect and v2 or v1 (CONTRACT.md Appendices): body, "
                    "expected errors and description (v1 ↔ v2 by way of the plan dialect). One file is printed (or "
                    "written to --output); folders and several files need --out-dir, where each file keeps its path "
                    "relative to the folder given (a folder's files already in the dialect, or of another generation "
                    "than the plan dialect, are left out). A file that the other dialect cannot express is named with "
                    "its JSON path and left out (exit 1).")
    convert.add_argument("files", nargs="+", metavar="FILE", help="payload files, or folders of them")
    convert.add_argument("--to", required=True, choices=DIALECTS, help="the dialect to write")
    convert.add_argument("--output", "-o", type=Path, help="where the one converted file goes (default: stdout)")
    convert.add_argument("--out-dir", type=Path, help="where converted files go, keeping relative paths")
    convert.set_defaults(handler=lambda args, extra: run(args))


def _sources(given: list[str]) -> list[tuple[Path, Path, bool]]:
    """(file, path relative to what was given, found in a folder) for each file and every *.json below each folder."""
    found = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            found += [(file, file.relative_to(path), True) for file in sorted(path.rglob("*.json"))]
        else:
            found.append((path, Path(path.name), False))
    return found


def run(args: argparse.Namespace) -> int:
    """Converts the files; returns the exit code (0 all converted, 1 some could not be, each named; 2 usage)."""
    sources = _sources(args.files)
    if args.output and (len(sources) != 1 or args.out_dir):
        print("lhv: payload convert: --output takes exactly one FILE (use --out-dir for several)", file=sys.stderr)
        return EXIT_USAGE
    if len(sources) != 1 and not args.out_dir:
        print(f"lhv: payload convert: {len(sources)} files: name an --out-dir", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for path, relative, in_folder in sources:
        try:
            payload = load(path)
            if in_folder and (payload.dialect == args.to or "plan" not in (payload.dialect, args.to)):
                continue  # a folder's files already in the dialect need no converting (e.g. payloads/v2 itself), and
                # one generation's files are not written from another's (payloads/v1 from payloads/v2)
            text = dumps(convert(payload, args.to))
        except PayloadError as exc:
            print(f"lhv: payload convert: {exc}", file=sys.stderr)
            failed += 1
            continue
        target = args.output or (args.out_dir / relative if args.out_dir else None)
        if target is None:
            sys.stdout.write(text)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if failed:
        print(f"lhv: payload convert: {failed} of {len(sources)} file(s) not converted", file=sys.stderr)
        return 1
    return 0
