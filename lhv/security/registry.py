"""The registry of security checks: each named, with a severity and an OWASP category, raising typed findings.

A check is a function of a `Probe` (lhv.security.probe) registered with `@security_check`. It
sends what it needs through the probe (every exchange is filed as evidence in the running plan
step) and raises `Found` with what it saw and the reply that shows it, or `NotApplicable` when
the target has nothing to check (the reason goes into the record). Returning means clean.
`run_area` runs every check of an area and turns each outcome into a `SecurityFinding` or a
clean result, so that a plan step records them all before the first finding fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lhv.core.errors import NotApplicable
from lhv.core.evidence import Exchange
from lhv.core.http import Reply
from lhv.scanners.reports import Severity

AREAS = ("tokens", "access", "injection", "resources", "exposure")


@dataclass(frozen=True)
class SecurityFinding:
    """What a check found: its id, severity and OWASP category, what was seen, and the exchange that shows it."""

    id: str
    title: str
    severity: Severity
    owasp: str
    detail: str
    evidence: Exchange | None = None

    def describe(self) -> str:
        """One line for the record: severity, category, what was seen, and which exchange shows it."""
        shown = (f" Evidence: {self.evidence.method} {self.evidence.url} → {self.evidence.status} "
                 f"(exchange sha256 {self.evidence.sha256[:12]}…)") if self.evidence else ""
        return f"[{self.severity}, {self.owasp}] {self.title}: {self.detail}.{shown}"

    def as_json(self) -> dict:
        """The finding as data (results, attachments)."""
        return {"id": self.id, "title": self.title, "severity": str(self.severity), "owasp": self.owasp,
                "detail": self.detail, "evidence_sha256": self.evidence.sha256 if self.evidence else None}


class Found(Exception):
    """Raised by a check: what it saw, and the reply (or exchange) that shows it."""

    def __init__(self, detail: str, evidence: Reply | Exchange | None = None):
        super().__init__(detail)
        self.detail = detail
        self.evidence = evidence.exchange if isinstance(evidence, Reply) else evidence


@dataclass(frozen=True)
class SecurityCheck:
    """A registered check."""

    id: str
    title: str
    severity: Severity
    owasp: str
    area: str
    expectation: str  # what a conformant device does (the function's docstring)
    run: Callable


CHECKS: dict[str, SecurityCheck] = {}


def security_check(id: str, *, area: str, severity: Severity, owasp: str, title: str) -> Callable:
    """Registers a check function under an id; its docstring says what a conformant device does."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}; known: {', '.join(AREAS)}")

    def register(function: Callable) -> Callable:
        if id in CHECKS:
            raise ValueError(f"security check {id!r} is registered twice")
        expectation = " ".join((function.__doc__ or "").split())
        CHECKS[id] = SecurityCheck(id, title, severity, owasp, area, expectation, function)
        return function

    return register


@dataclass(frozen=True)
class Outcome:
    """One check's result: a finding, clean, or not applicable (with the reason)."""

    check: SecurityCheck
    finding: SecurityFinding | None = None
    not_applicable: str | None = None

    @property
    def clean(self) -> bool:
        """Ran and found nothing."""
        return self.finding is None and self.not_applicable is None


def run_check(check: SecurityCheck, probe: object) -> Outcome:
    """Runs one check; a TargetError (no answer) propagates: the step errors rather than passes."""
    try:
        check.run(probe)
    except Found as found:
        return Outcome(check, SecurityFinding(check.id, check.title, check.severity, check.owasp, found.detail,
                                              found.evidence))
    except NotApplicable as reason:
        return Outcome(check, not_applicable=str(reason))
    return Outcome(check)


def checks_of(area: str) -> list[SecurityCheck]:
    """The registered checks of an area, in registration order."""
    _load_all()
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}; known: {', '.join(AREAS)}")
    return [check for check in CHECKS.values() if check.area == area]


def run_area(area: str, probe: object) -> list[Outcome]:
    """Runs every check of an area."""
    return [run_check(check, probe) for check in checks_of(area)]


def _load_all() -> None:
    from lhv.security import access, exposure, injection, resources, tokens  # noqa: F401 (they register)
