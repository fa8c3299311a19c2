"""Shared helpers of the harness's own tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import lhv_forkserver
from tests.hostile import hostile_target  # noqa: F401 (fixture: a hostile loopback target)

REPO = Path(__file__).resolve().parents[1]
# The longest tests start first: xdist's worksteal hands each worker a contiguous half of the collection and lets an
# idle worker take the queued end of another's, so a long test queued last would run alone at the end. What a test
# takes, in wall seconds measured with scripts/test (forked runs, 2 workers on 2 busy cores; see its comment):
# whole tests by node id prefix, each module's tests together (they may share module fixtures), ...
LONG_TESTS_S = (("tests/test_selftest.py::", 150.0), ("tests/test_hostile_targets.py::", 60.0),
                ("tests/test_no_secret_leaks.py::", 100.0),
                ("tests/test_fault_matrix.py::test_clean_device_passes_every_plan", 95.0),
                ("tests/test_trace_mapping.py::", 25.0))
# ... and a row of the fault matrix, one `lhv verify` of the plans that must catch its fault: the run's own part
# (start, device, record) plus what the plans it runs take, as in a clean run of each plan alone.
ROW_S = 2.0
PLAN_S = {"PLAN_001": 1.3, "PLAN_002": 23.0, "PLAN_003": 9.5, "PLAN_004": 1.8, "PLAN_005": 1.6, "PLAN_006": 11.8,
          "PLAN_007": 9.8, "PLAN_008": 4.0, "PLAN_009": 6.0, "PLAN_010": 0.3, "PLAN_011": 0.1, "PLAN_012": 1.2,
          "PLAN_013": 3.5, "PLAN_014": 0.7, "PLAN_015": 0.1, "PLAN_016": 16.0, "PLAN_017": 2.8, "PLAN_018": 12.2,
          "PLAN_019": 15.0, "IVCL": 1.8}
SLOW_S = 5.0  # a slow test not measured above


@dataclass
class Run:
    """The outcome of one `lhv verify` in a process of its own."""

    code: int
    output: str
    record: Path | None

    @property
    def results(self) -> dict:
        """Returns the run's results.json."""
        assert self.record is not None, f"no record written; output:\n{self.output}"
        return json.loads((self.record / "results.json").read_text())

    def verdicts(self) -> dict[str, str]:
        """Returns plan id → verdict."""
        return {plan["id"]: plan["verdict"] for plan in self.results["plans"]}


def run_lhv(args: list[str], reports: Path, *, timeout: float = 300, env: dict | None = None) -> Run:
    """Runs `lhv verify` with args in a process of its own, writing into reports."""
    done = lhv_forkserver.run_cli(["verify", "--reports-dir", str(reports), *args], cwd=reports.parent,
                                  env={**os.environ, **(env or {})}, timeout=timeout)
    records = sorted(p for p in reports.glob("*") if p.is_dir()) if reports.exists() else []
    return Run(done.returncode, done.stdout + done.stderr, records[-1] if records else None)


@pytest.fixture
def lhv(tmp_path: Path):
    """Runs `lhv verify` into a fresh reports folder."""
    def runner(*args: str, **kwargs) -> Run:
        return run_lhv(list(args), tmp_path / "reports", **kwargs)
    return runner


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -expected_seconds(item))  # stable: tests of equal cost stay as collected


def expected_seconds(item: pytest.Item) -> float:
    """What the test takes, as measured (LONG_TESTS_S, PLAN_S); 0 for a test not marked slow."""
    measured = next((seconds for prefix, seconds in LONG_TESTS_S if item.nodeid.startswith(prefix)), None)
    if measured is not None:
        return measured
    if not item.get_closest_marker("slow"):
        return 0.0
    plans = row_plans(item)
    if plans is None:
        return SLOW_S
    return ROW_S + sum(PLAN_S.get(plan, max(PLAN_S.values())) for plan in plans)


def row_plans(item: pytest.Item) -> tuple[str, ...] | None:
    """The plans a fault-matrix row runs: those its fault (or mutant) names as catching it; None for another test."""
    params = getattr(item, "callspec", None)
    for value in (params.params.values() if params else ()):
        caught_by = getattr(value, "caught_by", None)
        if caught_by is not None:
            return tuple(caught_by)
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    lhv_forkserver.shutdown()  # this process's fork server, if a test started one
