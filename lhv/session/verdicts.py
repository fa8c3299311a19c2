"""How case outcomes become plan verdicts, and plan verdicts a run's verdict and exit code."""

from __future__ import annotations

from collections.abc import Iterable

from lhv.core.errors import CheckFailed, Inconclusive, NotApplicable, TargetError

PASSED, FAILED, ERROR, INCONCLUSIVE, NOT_RUN = "passed", "failed", "error", "inconclusive", "not run"
WAIVED = "waived"  # the profile waived the plan explicitly (plans.skip, with a reason): outside the run's scope
INCOMPLETE = "incomplete"  # a run's verdict: a plan in scope did not run, or none ran at all
EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def verdict_of_exception(exc_type: type[BaseException]) -> str:
    """Returns the verdict a case gets when it ends with this exception."""
    if issubclass(exc_type, (CheckFailed, AssertionError)):
        return FAILED
    if issubclass(exc_type, Inconclusive):
        return INCONCLUSIVE
    if issubclass(exc_type, NotApplicable):
        return NOT_RUN
    if issubclass(exc_type, TargetError):
        return ERROR
    return ERROR


def plan_verdict(case_verdicts: Iterable[str]) -> str:
    """Returns a plan's verdict: the worst of its cases; a partly run plan is inconclusive."""
    verdicts = list(case_verdicts)
    for worst in (FAILED, ERROR, INCONCLUSIVE):
        if worst in verdicts:
            return worst
    if verdicts and all(v == WAIVED for v in verdicts):
        return WAIVED
    if not verdicts or all(v in (NOT_RUN, WAIVED) for v in verdicts):
        return NOT_RUN
    return INCONCLUSIVE if NOT_RUN in verdicts or WAIVED in verdicts else PASSED


def run_verdict(plan_verdicts: Iterable[str], aborted: bool = False) -> str:
    """Returns the run's verdict: passed only when a plan ran and every plan in scope (not waived) passed."""
    in_scope = [v for v in plan_verdicts if v != WAIVED]
    if aborted:
        return ERROR
    for worst in (FAILED, INCONCLUSIVE, ERROR):
        if worst in in_scope:
            return worst
    if not in_scope or NOT_RUN in in_scope:
        return INCOMPLETE
    return PASSED


def exit_code(plan_verdicts: Iterable[str], aborted: bool = False) -> int:
    """Returns 0 when every plan in scope passed and one ran; 1 failed, inconclusive or incomplete; 2 error."""
    return {PASSED: EXIT_OK, ERROR: EXIT_ERROR}.get(run_verdict(plan_verdicts, aborted), EXIT_FAILED)
