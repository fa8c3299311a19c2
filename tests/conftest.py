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
# The longest single tests start first: xdist's worksteal hands each worker a contiguous half of the collection
# and lets an idle worker take the queued end of another's, so a long test queued last would run alone at the end.
LONGEST_FIRST = ("tests/test_selftest.py::", "tests/test_hostile_targets.py::", "tests/test_no_secret_leaks.py::",
                 "tests/test_fault_matrix.py::test_clean_device_passes_every_plan")


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
    items.sort(key=_start_order)  # stable: the order within each group stays as collected


def _start_order(item: pytest.Item) -> int:
    first = [index for index, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)]
    if first:
        return first[0]
    return len(LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)


def pytest_unconfigure(config: pytest.Config) -> None:
    lhv_forkserver.shutdown()  # this process's fork server, if a test started one
