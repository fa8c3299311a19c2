"""Plan verdicts and exit codes follow from case verdicts without a false pass."""

import pytest

from lhv.core.errors import CheckFailed, Inconclusive, NotApplicable, TargetError
from lhv.session.verdicts import exit_code, plan_verdict, run_verdict, verdict_of_exception


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
    (["waived", "waived"], "waived"),
    (["passed", "waived"], "inconclusive"),
])
def test_plan_verdict_is_the_worst_case(cases, verdict):
    assert plan_verdict(cases) == verdict


RUNS = [
    # (description, plan verdicts, aborted, run verdict, exit code)
    ("every plan passed", ["passed", "passed"], False, "passed", 0),
    ("a plan in scope did not run: incomplete, never a pass", ["passed", "not run"], False, "incomplete", 1),
    ("no plan ran at all", ["not run", "not run"], False, "incomplete", 1),
    ("nothing selected", [], False, "incomplete", 1),
    ("waived plans are outside the scope", ["passed", "waived"], False, "passed", 0),
    ("only waived plans: nothing ran", ["waived"], False, "incomplete", 1),
    ("a failure", ["passed", "failed"], False, "failed", 1),
    ("an inconclusive plan", ["passed", "inconclusive"], False, "inconclusive", 1),
    ("a target error", ["passed", "error"], False, "error", 2),
    ("a failure outranks an error", ["failed", "error"], False, "failed", 1),
    ("an aborted run is an error whatever ran", ["passed", "failed"], True, "error", 2),
    ("aborted before any plan", [], True, "error", 2),
]


@pytest.mark.parametrize(("plans", "aborted", "verdict", "code"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS])
def test_run_verdict_and_exit_code(plans, aborted, verdict, code):
    assert run_verdict(plans, aborted) == verdict
    assert exit_code(plans, aborted=aborted) == code
