"""The command line: exit codes, one-line reasons, and plain pytest behaving like lhv verify."""

import json
import os
import socket
import subprocess
import sys

import pytest

from lhv.app.cli import main
from tests import lhv_forkserver


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _profile(tmp_path, base_url: str):
    path = tmp_path / "down.toml"
    path.write_text(f'[target]\nname = "down"\nbase_url = "{base_url}"\n'
                    '[credentials]\nuser = { username_env = "LHV_T_USER", password_env = "LHV_T_PASS" }\n')
    return path


def test_unreachable_target_exits_2_with_a_reason(lhv, tmp_path):
    run = lhv("--profile", str(_profile(tmp_path, f"https://127.0.0.1:{_closed_port()}")), "--plan", "PLAN_001",
              env={"LHV_T_USER": "someone@example.org", "LHV_T_PASS": "not-used-1234"})
    assert run.code == 2, run.output
    assert "unreachable" in run.output and "Traceback" not in run.output
    assert run.results["verdict"] == "error" and "unreachable" in run.results["aborted"]


def test_broken_profile_exits_2_naming_file_and_key(tmp_path, capsys):
    path = tmp_path / "broken.toml"
    path.write_text('[target]\nname = "x"\nbase_url = "https://x"\ntimeout_seconds = -1\n'
                    '[credentials]\nuser = { username_env = "A", password_env = "B" }\n')
    assert main(["verify", "--profile", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(path) in err and "target.timeout_seconds" in err


@pytest.mark.parametrize("args", [["--fault", "no-such-fault"], ["--plan", "PLAN_999"]])
def test_unknown_fault_or_plan_exits_2(lhv, args):
    run = lhv(*args)
    assert run.code == 2, run.output
    assert args[1] in run.output


def test_device_faults_lists_each_fault_with_its_plans(capsys):
    assert main(["device", "faults", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert all(entry["caught_by"] for entry in listed)
    assert {"no-lockout", "user-enumeration"} <= {entry["name"] for entry in listed}


def test_plain_pytest_runs_the_same_plans_and_writes_a_record(tmp_path):
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "lhv.plans", "-p", "no:cacheprovider",
                           "--lhv-plan", "PLAN_001", "--lhv-reports-dir", str(reports),
                           "--lhv-fault", "user-enumeration"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    (record,) = reports.iterdir()
    results = json.loads((record / "results.json").read_text())
    assert [(p["id"], p["verdict"]) for p in results["plans"]] == [("PLAN_001", "failed")]


def test_the_pytest_configuration_needs_no_test_only_plugin(tmp_path):
    """`pip install -e .` has no pytest-xdist: the shared pytest options must not need it (README's first command)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:xdist.looponfail", "--co", "-q",
                           "verification", "--lhv-reports-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_device_serve_on_a_busy_port_says_so_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "device", "serve", "--port", str(port),
                               "--http-port", "0", "--state-dir", str(tmp_path / "state")],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "state" / "credentials.json").exists(), "nothing is made before the ports are had"


def test_device_serve_help_shows_defaults_and_host():
    done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "device", "serve", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert "--host" in done.stdout and "(default: 8443)" in done.stdout and "(default: 127.0.0.1)" in done.stdout


def test_a_listing_piped_into_head_ends_quietly():
    done = subprocess.run(f"{sys.executable} -m lhv.app.cli device faults | head -1", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.count("\n") == 1 and "BrokenPipe" not in done.stderr, done.stderr


def test_the_tester_comes_from_lhv_tester(lhv):
    run = lhv("--plan", "PLAN_005", env={"LHV_TESTER": "Jane Doe (JD-017)"})
    assert run.results["tester"] == {"name": "Jane Doe", "role": "JD-017"}


def test_pytest_elsewhere_shows_only_namespaced_lhv_options(tmp_path):
    """Installing lhv adds no bare --profile, --plan or --fault to other projects' pytest sessions."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    options = {word.split("=")[0].rstrip(",") for line in done.stdout.splitlines() for word in line.split()
               if word.startswith("--")}
    assert {"--lhv-profile", "--lhv-plan", "--lhv-fault"} <= options
    assert not options & {"--profile", "--plan", "--fault", "--suite", "--tester", "--run-id", "--dialect"}, options


def test_device_serve_refuses_an_evidence_fault_in_one_line(capsys):
    assert main(["device", "serve", "--fault", "scanner-report-high-finding"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scanner-report-high-finding is an evidence fault" in err[0], err


def test_fail_on_open_fails_a_run_whose_integration_checklist_has_an_open_row(lhv):
    run = lhv("--suite", "integration", "--fail-on-open")
    assert run.code == 1, run.output
    results = run.results
    assert (results["verdict"], results["exit_code"]) == ("failed", 1)
    checklist = results["checklist"]
    assert checklist["verdict"] == "open" and checklist["counts"]["open"] > 0
    gate = checklist["fail_on_open"]
    opened = [row["id"] for row in checklist["rows"] if row["verdict"] == "open"]
    assert gate["verdict"] == "failed" and f"open: {', '.join(opened)}" in gate["reason"], gate
    ivcl = next(plan for plan in results["plans"] if plan["id"] == "IVCL")
    (case,) = [case for case in ivcl["cases"] if case["name"] == "test_no_checklist_row_is_left_open"]
    assert case["verdict"] == "failed" and case["steps"][0]["checks"][0]["passed"] is False
    assert ivcl["verdict"] == "failed" and [a["case"] for a in results["anomalies"]] == [case["name"]]
    assert "Fails the run (--fail-on-open)" in (run.record / "markdown" / "checklist.md").read_text(encoding="utf-8")
    assert "--fail-on-open: fails the run" in (run.record / "checklist.html").read_text(encoding="utf-8")
    assert "fails the run (--fail-on-open)" in run.output and "overall: failed (exit 1)" in run.output


def _complete_checklist_profile(tmp_path):
    """A profile whose checklist can be complete: the customer's own examples (as sent) and its confirmation."""
    import shutil
    from pathlib import Path

    from lhv.contract import payloads
    from tests.test_integration_suite import REPO, _profile

    examples = tmp_path / "client-requests"
    examples.mkdir()
    for path in sorted((REPO / "payloads" / "customer").glob("*.json")):
        (examples / path.name).write_text(json.dumps(payloads.load(path).resolved()), encoding="utf-8")
    shutil.copytree(REPO / "payloads" / "customer" / "mistakes", examples / "mistakes")
    (tmp_path / "evidence.txt").write_text("client test log: 429 → waited Retry-After; 401 → login; 422 shown\n")
    (tmp_path / "confirmation.toml").write_text(
        'attested_by = "Test Person, QA lead, Example integrator"\ndate = 2026-01-15\n'
        'examined = "client release 1.0"\nmethod = "integration tests against pre-production"\n'
        'evidence = ["evidence.txt"]\n[answers]\nhandles_errors = true\nhonours_retry_after = true\n'
        'renews_token_before_expiry = true\n', encoding="utf-8")
    return Path(_profile(tmp_path, integration='payloads = ["client-requests"]\nattestation = "confirmation.toml"\n'
                                               'body_sites = ["arm_left", "knee_right", "scalp", "trunk_back"]'))


def test_fail_on_open_passes_a_run_whose_checklist_is_complete(lhv, tmp_path):
    run = lhv("--suite", "integration", "--fail-on-open", "--profile", str(_complete_checklist_profile(tmp_path)))
    assert run.code == 0, run.output
    assert run.results["checklist"]["verdict"] == "complete"
    assert run.results["checklist"]["fail_on_open"] == {"verdict": "passed", "reason": ""}


def test_fail_on_open_without_the_checklist_is_a_usage_error(lhv, tmp_path):
    run = lhv("--plan", "PLAN_001", "--fail-on-open")
    assert run.code == 2 and run.record is None, run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--fail-on-open" in lines[0] and "--suite integration" in lines[0], lines


@pytest.mark.parametrize(("selection", "modules"), [
    ((), 20),  # every plan module and the checklist's
    (("--plan", "PLAN_004"), 1),
    (("--plan", "PLAN_001", "--plan", "plan_002"), 2),
    (("--case", "PLAN_001::test_valid_credentials_give_a_usable_token"), 1),
    (("--suite", "integration"), 5),  # the checklist and the four plans whose cases the suite names
    (("--suite", "integration", "--plan", "PLAN_002"), 1),
])
def test_a_narrowed_run_collects_only_the_plan_modules_it_can_select(tmp_path, selection, modules):
    done = lhv_forkserver.run_cli(["verify", *selection, "--reports-dir", str(tmp_path / "r"), "--co", "-q"],
                                  cwd=tmp_path, env=dict(os.environ), timeout=120)
    collected = [line for line in done.stdout.splitlines() if line.endswith(tuple(f": {n}" for n in range(1, 20)))]
    assert done.returncode == 0 and len(collected) == modules, done.stdout + done.stderr
