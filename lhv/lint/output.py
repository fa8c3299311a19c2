"""How `lhv check-payload` prints its reports: compiler-style lines, or JSON for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lhv.lint.model import STATUS_TEXT, FileReport


def text(reports: Sequence[FileReport]) -> str:
    """One block per problem (file:path: what), then what is allowed, a likely fix and the device's answer."""
    lines = []
    for report in reports:
        if report.unreadable:
            lines.append(f"{report.file}: unreadable: {report.unreadable}")
            continue
        expected = _expectation(report)
        if not report.problems:
            images = f", {len(report.images)} image(s): {'; '.join(report.images)}" if report.images else ""
            lines.append(f"{report.file}: ok: {_what(report)}{images}; the device would answer 200{expected}")
            continue
        for problem in report.problems:
            lines.append(f"{report.file}:{problem.path}: error: {problem.message}")
            lines.append(f"    allowed: {problem.allowed}")
            if problem.hint:
                lines.append(f"    hint:    {problem.hint}")
            device = {"type": problem.type, "loc": problem.loc} if problem.status == 422 else None
            lines.append(f"    device:  {problem.status} {STATUS_TEXT.get(problem.status, '')}"
                         + (f" with {json.dumps(device)}" if device else ""))
        lines.append(f"{report.file}: {len(report.problems)} problem(s) in {_what(report)}; the device would "
                     f"answer {report.status}{expected}")
    lines.append(summary(reports))
    return "\n".join(lines)


def as_json(reports: Sequence[FileReport]) -> str:
    """The reports as one JSON document: files, a summary and the exit code."""
    return json.dumps({"files": [report.as_json() for report in reports], "summary": _counts(reports),
                       "exit_code": exit_code(reports)}, indent=2, ensure_ascii=False)


def summary(reports: Sequence[FileReport]) -> str:
    """The closing line: how many files were clean, had problems, or could not be read."""
    counts = _counts(reports)
    return (f"{counts['files']} file(s) checked: {counts['clean']} clean, {counts['with_problems']} with "
            f"{counts['problems']} problem(s), {counts['unreadable']} unreadable")


def exit_code(reports: Sequence[FileReport]) -> int:
    """2 when a file could not be read, 1 when one has problems, else 0."""
    return max((report.exit_code for report in reports), default=2)


def _counts(reports: Sequence[FileReport]) -> dict[str, int]:
    return {"files": len(reports), "clean": sum(r.exit_code == 0 for r in reports),
            "with_problems": sum(r.exit_code == 1 for r in reports),
            "problems": sum(len(r.problems) for r in reports), "unreadable": sum(r.exit_code == 2 for r in reports)}


def _what(report: FileReport) -> str:
    operation = {"diagnose": "a diagnosis-support request", "assess_severity": "a severity-assessment request"}.get(
        report.operation or "", "a request")
    return f"{operation} ({report.dialect} dialect, {report.kind})"


def _expectation(report: FileReport) -> str:
    if report.expect_status is None:
        return ""
    if report.expect_status == report.status:
        return ", as the file expects"
    return f"; NOTE: the file expects {report.expect_status}"
