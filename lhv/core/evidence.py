"""What a run keeps as evidence: exchanges, checks and steps of each case."""

from __future__ import annotations

import contextvars
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Exchange:
    """One HTTP request and its response, already redacted."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None
    response_headers: dict[str, str]
    response_body: Any
    elapsed_ms: float
    error: str | None = None
    sha256: str = ""

    def seal(self) -> Exchange:
        """Sets the exchange's hash over its redacted content."""
        content = {k: v for k, v in asdict(self).items() if k != "sha256"}
        self.sha256 = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
        return self


@dataclass
class CheckResult:
    """The outcome of one named check."""

    name: str
    passed: bool
    detail: str


@dataclass
class Step:
    """A plan step: what was done, what was expected, what happened."""

    number: int
    action: str
    expected: str
    verdict: str = "not run"
    actual: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    duration_s: float = 0.0


@dataclass
class CaseEvidence:
    """Everything one test case of a plan produced."""

    steps: list[Step] = field(default_factory=list)
    loose_exchanges: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    carried: list[AssertionError] = field(default_factory=list)  # failed checks of carry-on steps, raised at the end

    @property
    def current(self) -> Step | None:
        """Returns the step being executed, if any."""
        return self.steps[-1] if self.steps and self.steps[-1].verdict == "running" else None

    def keep(self, exchange: Exchange) -> None:
        """Files an exchange under the running step, or under the case."""
        (self.current.exchanges if self.current else self.loose_exchanges).append(exchange)

    def keep_check(self, result: CheckResult) -> None:
        """Files a check result under the running step."""
        if self.current:
            self.current.checks.append(result)


CURRENT_CASE: contextvars.ContextVar[CaseEvidence | None] = contextvars.ContextVar("lhv_case", default=None)


def current_case() -> CaseEvidence | None:
    """Returns the evidence sink of the running case."""
    return CURRENT_CASE.get()
