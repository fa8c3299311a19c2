"""Plan verdicts and exit codes follow from case verdicts without a false pass."""

import pytest

from lhv.errors import CheckFailed, Inconclusive, NotApplicable, TargetError
from lhv.harness.verdicts import exit_code, plan_verdict, verdict_of_exception


@pytest.mark.parametrize(("exc", "verdict"), [
    (CheckFailed, "failed"), (AssertionError, "failed"), (TargetError, "error"),
    (Inconclusive, "inconclusive"), (NotApplicable, "not run"), (KeyError, "error"),
])
def test_exception_types_map_to_verdicts(exc, verdict):
    assert verdict_of_exception(exc) == verdict


@pytest.mark.parametrize(("cases", "verdict"), [
    (["passed", "passed"], "passed"),
    (["passed", "failed", "error"], "failed"),
    (["passed", "error"], "error"),
    (["passed", "inconclusive"], "inconclusive"),
    (["not run", "not run"], "not run"),
    (["passed", "not run"], "inconclusive"),
    ([], "not run"),
])
def test_plan_verdict_is_the_worst_case(cases, verdict):
    assert plan_verdict(cases) == verdict


@pytest.mark.parametrize(("plans", "aborted", "code"), [
    (["passed", "not run"], False, 0),
    (["passed", "failed"], False, 1),
    (["passed", "inconclusive"], False, 1),
    (["passed", "error"], False, 2),
    (["failed", "error"], False, 1),
    ([], True, 2),
])
def test_exit_codes(plans, aborted, code):
    assert exit_code(plans, aborted=aborted) == code
