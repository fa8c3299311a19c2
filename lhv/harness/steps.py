"""Plan steps: a context manager that files what a step did, expected and got."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from lhv.errors import CheckFailed, Inconclusive, NotApplicable, TargetError
from lhv.evidence import CaseEvidence, Step


class StepRecorder:
    """Numbers steps and gives each a verdict from how it ended."""

    def __init__(self, case: CaseEvidence):
        self.case = case

    @contextmanager
    def __call__(self, action: str, *, expect: str) -> Iterator[Step]:
        """Runs one step: action is what is done, expect what must be observed."""
        step = Step(number=len(self.case.steps) + 1, action=action, expected=expect, verdict="running")
        self.case.steps.append(step)
        started = time.perf_counter()
        try:
            yield step
        except CheckFailed:
            step.verdict = "failed"  # the failed check is already filed with its detail
            raise
        except AssertionError as exc:
            step.verdict = "failed"
            step.actual.append(str(exc))
            raise
        except Inconclusive as exc:
            step.verdict = "inconclusive"
            step.actual.append(str(exc))
            raise
        except NotApplicable as exc:
            step.verdict = "not run"
            step.actual.append(str(exc))
            raise
        except TargetError as exc:
            step.verdict = "error"
            step.actual.append(f"target error: {exc}")
            raise
        except BaseException as exc:
            step.verdict = "error"
            step.actual.append(f"{type(exc).__name__}: {exc}")
            raise
        else:
            step.verdict = "passed"
            if not step.checks:
                step.verdict = "error"
                step.actual.append("the step checked nothing: a step that cannot fail is a defect")
                raise CheckFailed("step-checks-something", f"step {step.number} ({action}) made no check")
        finally:
            step.duration_s = round(time.perf_counter() - started, 3)

    def note(self, text: str) -> None:
        """Adds an observation to the running step's actual result."""
        if self.case.current is not None:
            self.case.current.actual.append(text)
