"""Shared helpers of the harness's own tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import fault_rows, lhv_forkserver
from tests.hostile import hostile_target  # noqa: F401 (fixture: a hostile loopback target)

REPO = Path(__file__).resolve().parents[1]
# The longest tests start first: xdist's worksteal hands each worker a contiguous share of the collection (dealt below)
# and lets an idle worker take the queued end of another's, so a long test queued last would run alone at the end. What
# a test takes, in wall seconds as measured in one whole run (scripts/test's flags, forked runs, 2 workers on 2 shared
# cores at a load average of 1.6, 2026-12-06, after fault rows ran only their killing cases): single tests by node id,
# or a whole module whose tests share a module-scoped run (listed apart, they went to different workers, each making the
# run again, one of them last of all), ...
LONG_TESTS_S = (("tests/test_selftest.py::test_quick_selftest_kills_its_sample_and_prints_the_score_last", 64.0),
                ("tests/test_no_secret_leaks.py::test_a_whole_run_leaks_no_secret", 56.0),
                ("tests/test_fault_matrix.py::test_clean_device_passes_every_plan", 50.0),
                ("tests/test_route_layouts.py::test_every_plan_passes_with_the_release_layout_and_uses_only_its_r"
                 "outes", 50.0),
                ("tests/test_hostile_targets.py::test_no_plan_passes_against_a_hostile_target[huge]", 28.0),
                ("tests/test_scheduler.py::test_a_burst_plans_quiet_client_stays_quiet_while_other_plans_run", 21.0),
                ("tests/test_forkserver.py::test_a_run_over_its_time_is_killed_with_its_device", 20.0),
                ("tests/test_hostile_targets.py::test_no_plan_passes_against_a_hostile_target[yes-man]", 17.0),
                ("tests/test_hostile_targets.py::test_no_plan_passes_against_a_hostile_target[malformed-json]", 17.0),
                ("tests/test_hostile_targets.py::test_no_plan_passes_against_a_hostile_target[echoing]", 16.5),
                ("tests/test_progress.py::", 14.0),  # the whole module: four tests read one module-scoped run
                ("tests/test_locust_distributed.py::test_a_missing_worker_ends_the_burst_within_its_bound_naming_who_j"
                 "oined", 12.0),
                ("tests/test_scheduler.py::test_a_plan_that_gives_up_what_it_holds_lets_waiting_plans_start_before_it"
                 "_ends", 10.0))
# ... and a row of the fault matrix, one `lhv verify` of the plans that must catch its fault: the run's own part
# (start, device, record: the median row of the cheapest plans) plus what a row spends in each plan it runs (the
# median fault row of the plan, less the run's part; a fault row often ends sooner than a clean run of its plan),
# times the share of the plan's cases the row runs (tests/fault_rows.py).
ROW_S = 1.4
PLAN_S = {"PLAN_001": 0.1, "PLAN_002": 7.1, "PLAN_003": 3.0, "PLAN_004": 0.7, "PLAN_005": 0.9, "PLAN_006": 10.5,
          "PLAN_007": 7.1, "PLAN_008": 4.2, "PLAN_009": 2.6, "PLAN_010": 0.4, "PLAN_011": 0.2, "PLAN_012": 0.3,
          "PLAN_013": 1.9, "PLAN_014": 0.1, "PLAN_015": 0.3, "PLAN_016": 9.4, "PLAN_017": 2.4, "PLAN_018": 13.0,
          "PLAN_019": 14.8, "IVCL": 0.8}
SLOW_S = 3.0  # a slow test measured nowhere above (the median of the others: 3.2 s)


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


def run_lhv(args: list[str], reports: Path, *, timeout: float = 300, env: dict | None = None,
            cwd: Path | None = None) -> Run:
    """Runs `lhv verify` with args in a process of its own, writing into reports (working folder: cwd, else the
    folder that holds reports)."""
    before = _records(reports)
    done = lhv_forkserver.run_cli(["verify", "--reports-dir", str(reports), *args], cwd=cwd or reports.parent,
                                  env={**os.environ, **(env or {})}, timeout=timeout)
    # the folder this run made: run ids sort by the second a run began, so the last name may be an earlier run's
    made = sorted(_records(reports) - before)
    assert len(made) <= 1, f"one run made several record folders: {made}"
    return Run(done.returncode, done.stdout + done.stderr, made[0] if made else None)


def _records(reports: Path) -> set[Path]:
    return {p for p in reports.glob("*") if p.is_dir()} if reports.exists() else set()


@pytest.fixture
def lhv(tmp_path: Path):
    """Runs `lhv verify` into a fresh reports folder."""
    def runner(*args: str, **kwargs) -> Run:
        return run_lhv(list(args), tmp_path / "reports", **kwargs)
    return runner


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -expected_seconds(item))  # stable: tests of equal cost stay as collected
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers > 1:
        items[:] = dealt(items, workers, lambda item: bool(item.get_closest_marker("slow")))


def dealt(items: list, workers: int, slow) -> list:
    """The items (longest first) in the order whose contiguous shares xdist's worksteal hands the workers at the
    start: the slow ones dealt in turn to all workers but the last, each share longest first, the quick ones after
    them; the last worker's share quick ones only. The slow tests mostly wait (tokens, windows, locks), so two
    workers waiting beside one that computes keep both cores busy; stolen work comes off the end of a share, the
    quick tests, so that the run does not end on long waits with a core idle."""
    sizes, left = [], len(items)
    for worker in range(workers):  # xdist's split: the pending tests divided by the workers still to serve
        sizes.append(left // (workers - worker))
        left -= sizes[-1]
    waiting = [item for item in items if slow(item)]
    quick = [item for item in items if not slow(item)]
    shares = [waiting[worker::workers - 1] for worker in range(workers - 1)] + [[]]
    if any(len(share) > size for share, size in zip(shares, sizes)):
        return items  # more slow tests than the shares hold: longest first as sorted
    for share, size in zip(shares[::-1], sizes[::-1]):  # the last share first: quick tests from the front
        need = size - len(share)
        share += quick[:need]
        del quick[:need]
    return [item for share in shares for item in share]


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
    share = fault_rows.case_share(fault_rows.row_of(item), plans)
    return ROW_S + sum(PLAN_S.get(plan, max(PLAN_S.values())) * share[plan] for plan in plans)


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
