"""`lhv selftest --quick`: the clean device passes, every sampled mutant is killed by name, an intact record."""

import json
import re
import subprocess
import sys

import pytest

from lhv.app.selftest import QUICK
from lhv.record import integrity

pytestmark = pytest.mark.slow


# The plan dialect's part of the sample: its clean run and rows (a clean run per dialect is most of the self-test's
# time; the v2 rows' mutants are the fault matrix's too).
PLAN_SAMPLE = tuple((mutant, plan) for mutant, plan in QUICK if mutant.startswith("plan:"))


def test_quick_selftest_kills_its_sample_and_prints_the_score_last(tmp_path):
    run = subprocess.run([sys.executable, "-m", "lhv.app.cli", "selftest", "--quick", "--dialect", "plan", "--jobs",
                          "2", "--reports-dir", str(tmp_path), "--run-id", "quick"], capture_output=True, text=True,
                         timeout=600)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert lines[-1] == f"mutation score: {len(PLAN_SAMPLE)}/{len(PLAN_SAMPLE)} killed (100.0 %)"
    record = tmp_path / "quick"
    doc = json.loads((record / "validation.json").read_text())
    assert doc["verdict"] == "passed" and doc["harness"]["version"]
    assert all(run["exit_code"] == 0 for run in doc["clean"].values())
    assert set(doc["clean"]) == {"plan"} and {row["id"] for row in doc["rows"]} == {m for m, _ in PLAN_SAMPLE}
    for row in doc["rows"]:  # each killed by a named check of the plan the sample names
        plan = dict(PLAN_SAMPLE)[row["id"]]
        assert row["status"] == "killed" and set(row["caught_by"][plan]) <= set(row["named_checks"]), row
    assert integrity.verify(record).ok
    assert re.search(r"killed +plan:number:lockout_threshold:plus1 +by PLAN_003", run.stdout)


def test_selftest_refuses_a_bad_equivalents_file(tmp_path):
    bad = tmp_path / "eq.toml"
    bad.write_text('[equivalent]\n"plan:nope" = "why"\n')
    run = subprocess.run([sys.executable, "-m", "lhv.app.cli", "selftest", "--quick", "--equivalents", str(bad),
                          "--reports-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "unknown mutant 'plan:nope'" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
