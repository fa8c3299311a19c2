"""Typed errors: each maps to a verdict or an exit code."""

from __future__ import annotations


class LhvError(Exception):
    """Base of the harness's own errors."""


class ConfigError(LhvError):
    """A profile, payload or option is wrong; names the file and the field."""

    def __init__(self, source: str, field: str | None, problem: str):
        self.source, self.field, self.problem = source, field, problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")


class TargetError(LhvError):
    """The target did not answer in a way a plan can judge (down, timeout, not JSON)."""


class CheckFailed(AssertionError):
    """A named check found the target not doing what the contract says."""

    def __init__(self, check: str, message: str):
        self.check = check
        super().__init__(f"[{check}] {message}")


class Inconclusive(LhvError):
    """The plan could not reach a verdict (e.g. a wait longer than the run may last)."""


class NotApplicable(LhvError):
    """The profile says the target lacks what this plan needs; the record shows why."""


class PlanDefect(LhvError):
    """A plan did something a plan must not (e.g. a step that checks nothing): an error, never a pass."""


class HarnessFault(LhvError):
    """A part of the harness itself failed (a device or Locust process died): the run aborts, nobody is blamed."""
