"""An evidence fault's input reaches the run through its profile, is named in the record, and is gone afterwards;
a scanner report of its own and one given on the command line are refused together."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def test_the_record_names_the_evidence_and_the_input_goes_with_the_run(lhv):
    run = lhv("--fault", "attestation-md5-unsalted", "--plan", "PLAN_014")
    assert run.code == 1 and run.verdicts() == {"PLAN_014": "failed"}, run.output
    profile = run.results["profile"]
    assert profile["source"] == "built-in profile 'embedded' with the evidence of --fault attestation-md5-unsalted"
    attestation = Path(profile["content"]["inspection"]["attestation"])
    assert attestation.name == "attestation.toml" and not attestation.parent.exists()
    (plan,) = run.results["plans"]
    assert any(entry["file"] == "attestation.toml" for entry in plan["test_data"])


def test_a_faults_scanner_report_and_a_given_one_are_refused_together(lhv):
    given = REPO / "tests" / "data" / "scanner_reports" / "zap_traditional.json"
    run = lhv("--fault", "scanner-report-high-finding", "--scanner-report", str(given), "--plan", "PLAN_019")
    assert run.code == 2, run.output
    assert "--fault scanner-report-high-finding brings its own scanner report" in run.output
    assert run.record is None
