"""PLAN_019's gate on an external scanner's report: findings at or above the profile's severity fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from lhv.core.errors import CheckFailed
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.harness.security_steps import gate_scanner_report
from lhv.scanners import load_report
from lhv.session.profile import ConfigError, parse_profile

REPORTS = Path(__file__).resolve().parent.parent / "data" / "scanner_reports"


def _gate(report_name: str, threshold: str) -> tuple[list, CheckFailed | None]:
    """The checks the gate records in a step, and the failure it raised (None when it passed)."""
    case = CaseEvidence(steps=[Step(1, "gate", "", verdict="running")])
    token = CURRENT_CASE.set(case)
    try:
        gate_scanner_report(load_report(REPORTS / report_name), threshold)
        raised = None
    except CheckFailed as failure:
        raised = failure
    finally:
        CURRENT_CASE.reset(token)
    return case.steps[0].checks, raised


@pytest.mark.parametrize("report_name, threshold, blocking", [
    ("zap_traditional.json", "high", 1),  # SQL injection (high)
    ("zap_traditional.json", "medium", 4),
    ("intruder_issues.csv", "critical", 1),
    ("intruder_issues.json", "critical", 1),
])
def test_findings_at_or_above_the_threshold_fail_each_by_name(report_name, threshold, blocking) -> None:
    checks, raised = _gate(report_name, threshold)
    assert raised is not None and raised.check.startswith("scanner:")
    assert len([check for check in checks if check.name.startswith("scanner:") and not check.passed]) == blocking
    summary = next(check for check in checks if check.name == "scanner-report-gate")
    assert not summary.passed and f"{blocking} at or above {threshold}" in summary.detail


def test_a_report_below_the_threshold_passes_with_its_counts() -> None:
    checks, raised = _gate("zap_traditional.json", "critical")
    assert raised is None
    assert [check.name for check in checks] == ["scanner-report-gate"]
    assert checks[0].passed and "0 at or above critical" in checks[0].detail and "high 1" in checks[0].detail


def test_the_profile_names_the_threshold_and_refuses_an_unknown_one() -> None:
    base = (b'[target]\nname = "x"\nbase_url = "https://d.test"\n'
            b'[credentials]\nuser = { username_env = "U", password_env = "P" }\n')
    assert parse_profile(base, "p.toml").security.scanner_fail_at == "high"
    medium = parse_profile(base + b'[security]\nscanner_fail_at = "medium"\n', "p.toml")
    assert medium.security.scanner_fail_at == "medium"
    with pytest.raises(ConfigError, match="security.scanner_fail_at"):
        parse_profile(base + b'[security]\nscanner_fail_at = "severe"\n', "p.toml")
