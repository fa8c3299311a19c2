"""Checks request payloads offline: a payload file (payloads/…) or a request body exactly as a client sends it.

Each file gets the verdict the device would give it: the device's own parser and rules find
the errors (lhv/lint/rules.py), the dialect's reader says where they sit, and each becomes a
problem a person can fix (lhv/lint/explain.py), located by its JSON path in the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lhv.contract import payloads
from lhv.contract.payloads import OPERATIONS
from lhv.device.clinical.shape_common import RequestInvalid, parse_json
from lhv.device.clinical.validation import ErrorDict
from lhv.lint.explain import explain
from lhv.lint.model import FileReport, Problem
from lhv.lint.paths import file_path
from lhv.lint.readers import BodyReader, detect_dialect, dialects, reader_for
from lhv.lint.rules import MAX_BODY_BYTES, contract_errors, image_kind

_PAYLOAD_FILE_KEYS = {"description", "operation", "body", "expect"}


def check_paths(paths: Iterable[str | Path], *, images_dir: Path | None = None, operation: str | None = None,
                dialect: str | None = None) -> list[FileReport]:
    """Checks files, and every *.json below each folder given."""
    reports = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.rglob("*.json"))
            if not found:
                reports.append(FileReport(str(path), unreadable="a folder without any .json file"))
            reports += [check_file(file, images_dir=images_dir, operation=operation, dialect=dialect)
                        for file in found]
        else:
            reports.append(check_file(path, images_dir=images_dir, operation=operation, dialect=dialect))
    return reports


def check_file(path: str | Path, *, images_dir: Path | None = None, operation: str | None = None,
               dialect: str | None = None) -> FileReport:
    """The device's verdict on one file, as problems located in it."""
    path = Path(path)
    report = FileReport(str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.unreadable = f"cannot read the file ({exc.strerror or exc})"
        return report
    if _is_payload_file(raw):
        return _check_payload_file(path, report, images_dir or payloads.IMAGES_DIR)
    report.dialect = dialect
    if len(raw) > MAX_BODY_BYTES:
        report.problems.append(_too_large(len(raw), "$"))
        return report
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        report.unreadable = "not UTF-8 text: a request body is a JSON document (is this an image file?)"
        return report
    try:
        body = parse_json(raw)
    except RequestInvalid as invalid:
        report.problems += [_json_problem(error, raw) for error in invalid.errors]
        return report
    return check_body(body, report, operation=operation)


def check_body(body: Any, report: FileReport, *, operation: str | None = None, prefix: str = "$") -> FileReport:
    """Checks a parsed request body in the report's dialect (none given: the one its keys show), adding its
    problems to the report."""
    report.dialect = report.dialect or detect_dialect(body)
    reader = reader_for(report.dialect)
    if reader is None:
        report.unreadable = (f"the linter cannot read the {report.dialect!r} dialect yet "
                             f"(it reads: {', '.join(dialects())})")
        return report
    if not isinstance(body, dict):
        report.problems.append(Problem(prefix, f"the body is {type(body).__name__ if body is not None else 'null'}, "
                                       "not a JSON object", "one JSON object", 422, "dict_type", ["body"]))
        return report
    chosen = operation or report.operation or reader.detect(body)
    if chosen not in OPERATIONS:
        shown = detect_dialect(body, default=report.dialect)
        report.unreadable = ("cannot tell whether this is a diagnosis or a severity request from its keys "
                             f"({', '.join(map(str, body)) or 'none'}); name it with --operation"
                             + (f", or are they the {shown} dialect's? (--dialect {shown})"
                                if shown != report.dialect else ""))
        return report
    report.operation = chosen
    reading = reader.read(chosen, body)
    report.images = [_image_summary(entry) for entry in reading.media]
    report.problems += [_problem(error, body, reader, chosen, prefix) for error in contract_errors(reading, body)]
    return report


def _is_payload_file(raw: bytes) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and _PAYLOAD_FILE_KEYS <= set(data)


def _check_payload_file(path: Path, report: FileReport, images_dir: Path) -> FileReport:
    report.kind = "payload file"
    try:
        payload = payloads.load(path)
        body = payload.resolved(images_dir)
    except payloads.PayloadError as exc:
        report.unreadable = exc.problem if exc.field is None else f"{exc.field}: {exc.problem}"
        return report
    report.dialect, report.operation, report.expect_status = payload.dialect, payload.operation, payload.status
    size = len(json.dumps(body).encode("utf-8"))
    if size > MAX_BODY_BYTES:
        report.problems.append(_too_large(size, "$.body"))
        return report
    return check_body(body, report, prefix="$.body")


def _problem(error: ErrorDict, body: Any, reader: BodyReader, operation: str, prefix: str) -> Problem:
    loc = list(error.get("loc") or [])
    message, allowed, hint = explain(error, body, reader, operation)
    return Problem(file_path(loc, body, prefix=prefix, default=reader.key_case), message, allowed, 422,
                   str(error.get("type", "")), loc, (error.get("ctx") or {}).get("reason"), hint)


def _json_problem(error: ErrorDict, raw: bytes) -> Problem:
    loc = list(error.get("loc") or [])
    if error.get("type") != "json_invalid":
        where = "the body is empty" if error.get("type") == "missing" else str(error.get("msg"))
        return Problem("$", where, "one JSON object", 422, str(error.get("type")), loc)
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    text = raw.decode("utf-8", errors="replace")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    reason = (error.get("ctx") or {}).get("error", "")
    return Problem("$", f"not valid JSON at line {line}, column {column}: {reason}",
                   "one JSON object (RFC 8259) in UTF-8: double-quoted keys and strings, no trailing commas, "
                   "no comments, no NaN or Infinity", 422, "json_invalid", ["body", position])


def _too_large(size: int, path: str) -> Problem:
    return Problem(path, f"the body is {size / 2**20:.1f} MiB", f"at most {MAX_BODY_BYTES / 2**20:g} MiB per request "
                   "(CONTRACT.md §1); send fewer or smaller images", 413, "too_large", ["body"])


def _image_summary(entry) -> str:
    kind = image_kind(entry)
    size = len(entry.data) * 3 // 4 if isinstance(entry.data, str) else 0
    declared = entry.content_type if isinstance(entry.content_type, str) else "no contentType"
    return f"{kind or 'not a readable image'} ({declared} declared), {size / 1024:.1f} kB"
