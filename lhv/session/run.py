"""The state of one verification run: its id, options, target and collected results."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lhv.contract.catalog import Suite
from lhv.contract.dialects import DeviceInfo
from lhv.core.evidence import CaseEvidence
from lhv.session.profile import Profile
from lhv.session.trace import TraceMap

_LAST_ID_AT: list[dt.datetime] = []  # when this process's last run id began: the next one begins later


def new_run_id() -> str:
    """Returns a run id such as 20261122T035500.123456Z-3f9a: UTC to the microsecond, then a random suffix. Sorted
    by name, runs stand in the order they began (this process's ids are a microsecond apart at least)."""
    now = dt.datetime.now(dt.UTC)
    if _LAST_ID_AT and now <= _LAST_ID_AT[-1]:
        now = _LAST_ID_AT[-1] + dt.timedelta(microseconds=1)
    _LAST_ID_AT[:] = [now]
    return f"{now:%Y%m%dT%H%M%S.%f}Z-{secrets.token_hex(2)}"


@dataclass
class CaseResult:
    """One test case's outcome and evidence."""

    nodeid: str
    plan_id: str
    name: str
    doc: str
    verdict: str
    reason: str
    duration_s: float
    evidence: CaseEvidence


@dataclass
class PlanTiming:
    """When a plan was ready to run, started and ended (epoch seconds), and the plans whose claims it waited for."""

    ready: float
    started: float = 0.0
    ended: float = 0.0
    waited_for: list[str] = field(default_factory=list)
    claims: str = ""  # what the plan held while it ran (lhv.session.claims)
    released: float = 0.0  # when the plan gave up what it held before its end (0: it held it to the end)
    released_because: str = ""

    @property
    def queued_s(self) -> float:
        """Returns how long the plan waited for its claims."""
        return max(0.0, self.started - self.ready)


@dataclass
class RunState:
    """Everything the record needs about the run."""

    run_id: str
    profile: Profile
    reports_dir: Path
    tester: str
    faults: tuple[str, ...]
    mutants: tuple[str, ...] = ()  # generated mutants of the embedded device (lhv selftest)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished: dt.datetime | None = None
    command: str = field(default_factory=lambda: " ".join(sys.argv))
    target_url: str = ""
    device: DeviceInfo | None = None
    aborted: str | None = None
    trust_problem: str = ""  # the target's certificate did not verify: only the certificate plan is judged
    running: str = ""  # the test case running now; an aborted record names it
    watch: Callable[[], str | None] | None = None  # says why a process the run depends on died, if one did
    cases: list[CaseResult] = field(default_factory=list)
    selected_plans: list[str] = field(default_factory=list)
    accounts_left: list[str] = field(default_factory=list)
    seeds: dict[str, str] = field(default_factory=dict)
    test_data: dict[str, list[dict]] = field(default_factory=dict)
    suite: Suite | None = None  # the --suite the run was limited to
    case_totals: dict[str, int] = field(default_factory=dict)  # plan → cases it has, before any selection
    case_order: dict[str, int] = field(default_factory=dict)  # node id → place in the plans' order (the record's)
    optional_not_run: dict[str, list[str]] = field(default_factory=dict)  # plan → on-request cases not asked for
    trace: TraceMap | None = None  # whose requirement and risk-control ids the record shows (None: the catalog's)
    plan_timings: dict[str, PlanTiming] = field(default_factory=dict)  # plan → when it ran and what it waited for
    scheduled: int = 1  # how many plans ran at once at most (1: one after the other, --serial)

    def add_test_data(self, plan_id: str, path: Path, description: str) -> None:
        """Lists a data file a plan used, with its SHA-256, in the plan's test data."""
        entry = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                 "description": description}
        if entry not in self.test_data.setdefault(plan_id, []):
            self.test_data[plan_id].append(entry)

    @property
    def record_dir(self) -> Path:
        """Returns reports/<run-id>/."""
        return self.reports_dir / self.run_id
