"""How case outcomes become plan verdicts, and plan verdicts an exit code."""

from __future__ import annotations

from collections.abc import Iterable

from lhv.errors import CheckFailed, Inconclusive, NotApplicable, TargetError

PASSED, FAILED, ERROR, INCONCLUSIVE, NOT_RUN = "passed", "failed", "error", "inconclusive", "not run"
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
    if not verdicts or all(v == NOT_RUN for v in verdicts):
        return NOT_RUN
    return INCONCLUSIVE if NOT_RUN in verdicts else PASSED


def exit_code(plan_verdicts: Iterable[str], aborted: bool = False) -> int:
    """Returns 0 when nothing failed, 1 when a plan failed or was inconclusive, 2 on target errors."""
    verdicts = list(plan_verdicts)
    if FAILED in verdicts or INCONCLUSIVE in verdicts:
        return EXIT_FAILED
    if aborted or ERROR in verdicts:
        return EXIT_ERROR
    return EXIT_OK
