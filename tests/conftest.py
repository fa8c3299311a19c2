"""Shared helpers of the harness's own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile import hostile_target  # noqa: F401 (fixture: a hostile loopback target)

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """The outcome of one `lhv verify` in a subprocess."""

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
    """Runs `lhv verify` with args in a subprocess, writing into reports."""
    command = [sys.executable, "-m", "lhv.cli", "verify", "--reports-dir", str(reports), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=reports.parent,
                          env={**os.environ, **(env or {})})
    records = sorted(p for p in reports.glob("*") if p.is_dir()) if reports.exists() else []
    return Run(done.returncode, done.stdout + done.stderr, records[-1] if records else None)


@pytest.fixture
def lhv(tmp_path: Path):
    """Runs `lhv verify` into a fresh reports folder."""
    def runner(*args: str, **kwargs) -> Run:
        return run_lhv(list(args), tmp_path / "reports", **kwargs)
    return runner
