"""PLAN_019's commands: an external scanner report gated by the profile's severity, and `lhv fuzz` alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lhv.app.cli import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ZAP = REPO / "tests" / "data" / "scanner_reports" / "zap_traditional.json"
EMBEDDED = (REPO / "lhv" / "profiles" / "embedded.toml").read_text()


def _embedded_profile(tmp_path: Path, extra: str) -> Path:
    """The embedded profile with some keys replaced (TOML tables may not repeat, so whole sections are swapped)."""
    text = EMBEDDED
    for section in ("[fuzzing]", "[security]"):
        if section in extra and section in text:
            start = text.index(section)
            end = text.find("\n[", start + 1)
            text = text[:start] + (text[end + 1:] if end != -1 else "")
    path = tmp_path / "embedded-variant.toml"
    path.write_text(text + "\n" + extra)
    return path


SCANNER_CASE = "PLAN_019::test_external_scanner_findings_are_below_the_profiles_severity"


def _checks(run) -> list[dict]:
    return [check for plan in run.results["plans"] for case in plan["cases"] for step in case["steps"]
            for check in step["checks"]]


def test_a_scanner_finding_at_the_profiles_severity_fails_plan_019(lhv):
    run = lhv("--scanner-report", str(ZAP), "--case", SCANNER_CASE)
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_019": "failed"}
    failed = [check["name"] for check in _checks(run) if not check["passed"]]
    assert any(name.startswith("scanner:zap:40018:") for name in failed), failed
    plan = run.results["plans"][0]
    assert [entry["file"] for entry in plan["test_data"]] == [ZAP.name]
    assert plan["optional_not_run"] == []


def test_a_profile_with_a_higher_severity_lets_the_same_report_pass(lhv, tmp_path):
    profile = _embedded_profile(tmp_path, '[security]\nscanner_fail_at = "critical"\n')
    run = lhv("--profile", str(profile), "--scanner-report", str(ZAP), "--case", SCANNER_CASE)
    assert run.code == 0, run.output
    gate = next(check for check in _checks(run) if check["name"] == "scanner-report-gate")
    assert gate["passed"] and "0 at or above critical" in gate["detail"]


def test_an_unreadable_scanner_report_exits_2_naming_the_file(tmp_path, capsys):
    broken = tmp_path / "zap.json"
    broken.write_text('{"site": [{"alerts": [{"pluginid": "1", "alert": "x"}]}]}')
    assert main(["verify", "--plan", "PLAN_019", "--scanner-report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "riskcode" in err


def test_lhv_fuzz_runs_only_the_fuzzing_with_the_hunt_budget_and_seed(tmp_path):
    profile = _embedded_profile(tmp_path, "[fuzzing]\ncases = 5\nseconds = 5\nhunt_cases = 24\nhunt_seconds = 20\n")
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "fuzz", "--profile", str(profile), "--seed", "4242",
                           "--reports-dir", str(reports)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=os.environ.copy())
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(next(reports.glob("*/results.json")).read_text())
    cases = [case["name"] for plan in results["plans"] for case in plan["cases"]]
    assert cases == ["test_contract_fuzzing_finds_no_defect"]
    assert results["seeds"] == {"PLAN_019 fuzzing": "4242"}
    [not_run] = results["plans"][0]["optional_not_run"]
    assert "external scanner" in not_run and "--scanner-report PATH" in not_run
    first_step = results["plans"][0]["cases"][0]["steps"][0]
    assert any("budget 24 case(s) within 20 s" in note for note in first_step["actual"])
    assert not (tmp_path / ".hypothesis").exists(), "the fuzzing left hypothesis's caches in the working folder"


def test_a_time_budget_that_runs_out_before_the_cases_ends_the_fuzzing_in_a_verdict_not_an_error(tmp_path):
    # 2000 cases cannot be sent in 2 s: each operation stops at its share of the time, and the run still passes
    profile = _embedded_profile(tmp_path, "[fuzzing]\ncases = 5\nseconds = 5\nhunt_cases = 2000\nhunt_seconds = 2\n")
    done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "fuzz", "--profile", str(profile), "--seed", "7",
                           "--reports-dir", str(tmp_path / "reports")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=os.environ.copy())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
