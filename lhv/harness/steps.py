"""Plan steps: a context manager that files what a step did, expected and got."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lhv.core import announce
from lhv.core.errors import CheckFailed, LhvError, PlanDefect, TargetError
from lhv.core.evidence import CaseEvidence, Step
from lhv.session.verdicts import verdict_of_exception


class StepRecorder:
    """Numbers steps and gives each a verdict from how it ended."""

    def __init__(self, case: CaseEvidence, attachments: Path | None = None,
                 test_data: Callable[[Path, str], None] | None = None,
                 release: Callable[[str], bool] | None = None):
        self.case = case
        self._release = release  # gives up the plan's claims when plans run at the same time (the scheduler)
        self._attachments = attachments  # the record's attachments/<plan>/ folder; None outside a run
        self._test_data = test_data  # lists a data file in the plan's test data (RunState.add_test_data)

    @contextmanager
    def __call__(self, action: str, *, expect: str, carry_on: bool = False) -> Iterator[Step]:
        """Runs one step: action is what is done, expect what must be observed. A carry-on step that fails a check
        is filed as failed and the case goes on to its next step (each route judged on its own); the case then fails
        with the first such failure when it ends."""
        step = Step(number=len(self.case.steps) + 1, action=action, expected=expect, verdict="running")
        self.case.steps.append(step)
        started = time.perf_counter()
        try:
            yield step
        except BaseException as exc:
            step.verdict = verdict_of_exception(type(exc))
            if not isinstance(exc, CheckFailed):  # a failed check is already filed with its detail
                prefix = "target error: " if isinstance(exc, TargetError) else \
                    "" if isinstance(exc, (AssertionError, LhvError)) else f"{type(exc).__name__}: "
                step.actual.append(f"{prefix}{exc}")
            if carry_on and isinstance(exc, CheckFailed):
                self.case.carried.append(exc)
                return
            raise
        else:
            step.verdict = "passed"
            if not step.checks:
                step.verdict = "error"
                step.actual.append("the step checked nothing: a step that cannot fail is a defect")
                raise PlanDefect(f"step {step.number} ({action}) made no check")
        finally:
            step.duration_s = round(time.perf_counter() - started, 3)

    def note(self, text: str) -> None:
        """Adds an observation to the running step's actual result."""
        if self.case.current is not None:
            self.case.current.actual.append(text)

    def wait(self, seconds: float, reason: str) -> None:
        """Waits (never a negative time), announcing a long wait with its reason on the console."""
        announce.sleep(seconds, reason)

    def release(self, reason: str) -> None:
        """Gives up what the plan holds (lhv.session.claims) for the rest of the plan, whose remaining steps send no
        request: plans waiting for it may start. The running step notes it."""
        if self._release is not None and self._release(reason):
            self.note(f"from here on the plan holds nothing other plans need ({reason}): plans waiting for what it "
                      "held may start")

    def uses(self, path: Path, description: str) -> None:
        """Lists a data file the plan used, with its SHA-256, in the plan's test data."""
        if self._test_data is None:
            raise PlanDefect(f"{path.name} was listed as test data outside a verification run")
        self._test_data(path, description)

    @property
    def folder(self) -> Path:
        """The plan's attachments folder in the record (made on first use), where a step writes what it attaches."""
        if self._attachments is None:
            raise PlanDefect("a step attached a file outside a verification run")
        self._attachments.mkdir(parents=True, exist_ok=True)
        return self._attachments

    def attach(self, path: Path, description: str) -> None:
        """Lists a file written in the plan's attachments folder as evidence of the running step."""
        step = self.case.current
        if step is None:
            raise PlanDefect(f"{path.name} was attached outside a step")
        record = self.folder.parent.parent
        try:
            name = path.resolve().relative_to(record.resolve()).as_posix()
        except ValueError:
            raise PlanDefect(f"{path} is outside the record folder {record}: write it below step.folder") from None
        step.attachments.append({"name": name, "description": description})
