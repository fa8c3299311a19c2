"""Outcomes of named checks: one recorded with require, or several judged together and all recorded before the
first miss fails the step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lhv.core.errors import CheckFailed
from lhv.core.evidence import CheckResult, current_case


@dataclass(frozen=True)
class Finding:
    """The outcome of one named check, computed before it is recorded."""

    name: str
    passed: bool
    detail: str


def require_findings(findings: Iterable[Finding]) -> None:
    """Records every finding in the running step, then raises CheckFailed for the first that failed."""
    findings = list(findings)
    case = current_case()
    if case is not None:
        for finding in findings:
            case.keep_check(CheckResult(finding.name, finding.passed, finding.detail))
    failed = [f for f in findings if not f.passed]
    if failed:
        raise CheckFailed(failed[0].name, failed[0].detail)


def require(name: str, condition: bool, failure: str, success: str = "") -> None:
    """Records a check named name; raises CheckFailed with failure if condition is false."""
    case = current_case()
    if case is not None:
        case.keep_check(CheckResult(name, bool(condition), success if condition else failure))
    if not condition:
        raise CheckFailed(name, failure)
