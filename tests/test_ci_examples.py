"""The CI examples (examples/ci/): the jobs' shell steps gate a release on lhv's exit codes against the embedded
device, and both pipeline files parse, run exactly those steps with the documented variables and keep the record."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from lhv.app.cli import build_parser
from lhv.record.integrity import verify as verify_record
from lhv.session.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "examples" / "ci"
SCRIPT = CI / "verify.sh"
STEP = "bash examples/ci/verify.sh"          # the one shell step of both jobs, run from the checkout's root
REPORTS = "reports"                          # LHV_REPORTS in both pipeline files
ARTIFACT, JUNIT = f"{REPORTS}/", f"{REPORTS}/*/junit.xml"
CUSTOMER = REPO / "payloads" / "customer"
EXAMPLE_PROFILE = REPO / "profiles" / "example-preproduction.toml"
EMBEDDED = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")


def _checkout(tmp_path: Path) -> Path:
    """A CI checkout: examples/ci/verify.sh (the real file) and the client's requests, as a repository holds them."""
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "ci").symlink_to(CI, target_is_directory=True)
    requests = tmp_path / "client-requests"
    requests.mkdir()
    for name in ("apasi-scalp.json", "image-quality-check.json"):
        (requests / name).write_bytes((CUSTOMER / name).read_bytes())
    return tmp_path


def _job(checkout: Path, **variables: str) -> subprocess.CompletedProcess:
    """Runs the job's step as a runner does (bash, errexit) with the CI variables and no other LHV_* variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LHV_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # this tree's lhv
    assert (Path(sys.executable).parent / "lhv").exists(), "the lhv command is not installed beside this Python"
    return subprocess.run(["bash", "-e", "-c", STEP], cwd=checkout, env=env | variables, capture_output=True,
                          text=True, timeout=600)


def _record_folders(checkout: Path) -> list[Path]:
    return sorted(path for path in (checkout / REPORTS).iterdir() if path.is_dir())


def _junit_totals(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    return {key: int(root.get(key)) for key in ("tests", "failures", "errors")}


@pytest.mark.slow
def test_the_clean_device_passes_the_gate_and_leaves_the_record_where_the_pipelines_look(tmp_path):
    checkout = _checkout(tmp_path)
    done = _job(checkout, LHV_SUITE="integration", LHV_PAYLOADS="client-requests/", LHV_REPORTS=REPORTS,
                LHV_RUN_ID="ci-clean", LHV_TESTER="Casey Runner (QA-7)")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert sorted(checkout.glob(JUNIT)) == [checkout / REPORTS / "ci-clean" / "junit.xml"]
    totals = _junit_totals(checkout / REPORTS / "ci-clean" / "junit.xml")
    assert totals["tests"] > 0 and totals["failures"] == totals["errors"] == 0
    record = checkout / ARTIFACT / "ci-clean"
    results = json.loads((record / "results.json").read_text(encoding="utf-8"))
    assert (results["verdict"], results["exit_code"], results["suite"]["name"]) == ("passed", 0, "integration")
    assert results["tester"] == {"name": "Casey Runner", "role": "QA-7"}
    assert (record / "record.html").is_file() and verify_record(record).ok
    lint = (checkout / REPORTS / "check-payload.txt").read_text(encoding="utf-8")
    assert "2 file(s) checked: 2 clean" in lint
    assert "job exit 0" in output


@pytest.mark.slow
def test_a_device_fault_fails_the_gate_with_1_and_still_writes_the_record(tmp_path):
    checkout = _checkout(tmp_path)
    done = _job(checkout, LHV_REPORTS=REPORTS, LHV_VERIFY_ARGS="--fault no-lockout --plan PLAN_003")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    (record,) = _record_folders(checkout)
    results = json.loads((record / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "failed" and results["exit_code"] == 1
    assert {plan["id"]: plan["verdict"] for plan in results["plans"]} == {"PLAN_003": "failed"}
    (junit,) = checkout.glob(JUNIT)
    assert _junit_totals(junit)["failures"] > 0
    assert "verify exit 1: job exit 1" in output


@pytest.mark.slow
def test_a_client_request_with_problems_fails_the_gate_though_the_device_passed(tmp_path):
    checkout = _checkout(tmp_path)
    mistake = checkout / "client-requests" / "surface-as-percent.json"
    mistake.write_bytes((CUSTOMER / "mistakes" / "surface-as-percent.json").read_bytes())
    done = _job(checkout, LHV_PAYLOADS="client-requests/", LHV_REPORTS=REPORTS, LHV_VERIFY_ARGS="--plan PLAN_001")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    (record,) = _record_folders(checkout)
    assert json.loads((record / "results.json").read_text(encoding="utf-8"))["verdict"] == "passed"
    lint = (checkout / REPORTS / "check-payload.txt").read_text(encoding="utf-8")
    assert "client-requests/surface-as-percent.json:$." in lint and "above its maximum 6" in lint
    assert "check-payload exit 1, verify exit 0: job exit 1" in output


@pytest.mark.parametrize(("profile", "named"), [
    ("colour = 1\n" + EMBEDDED, "profile.toml: colour: unknown key"),
    (EXAMPLE_PROFILE.read_text(encoding="utf-8"), "environment variable(s) not set: LHV_USER"),  # a secret not set
], ids=["unknown-key", "credential-unset"])
def test_a_broken_profile_stops_the_gate_with_2_before_any_record(tmp_path, profile, named):
    checkout = _checkout(tmp_path)
    (checkout / "profile.toml").write_text(profile, encoding="utf-8")
    done = _job(checkout, LHV_PROFILE="profile.toml", LHV_SUITE="integration", LHV_REPORTS=REPORTS)
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in done.stderr and "verify exit 2: job exit 2" in done.stdout
    assert _record_folders(checkout) == [] and list(checkout.glob(JUNIT)) == []


# ---- the pipeline files ------------------------------------------------------------------------------------------

def _load(name: str) -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (schemathesis, a dependency of lhv, brings "
                                              "it): the pipeline files cannot be parsed here")
    return yaml.safe_load((CI / name).read_text(encoding="utf-8"))


def _documented_variables() -> set[str]:
    """The variables verify.sh's header documents; every LHV_* variable the script reads is among them."""
    text = SCRIPT.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#   (LHV_[A-Z_]+) ", text, re.MULTILINE))
    code = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert set(re.findall(r"\$\{?(LHV_[A-Z_]+)", code)) <= documented
    return documented


def _credential_variables() -> set[str]:
    accounts = load_profile(EXAMPLE_PROFILE).credentials
    return {getattr(account, key) for account in (accounts.user, accounts.second_user, accounts.admin)
            for key in ("username_env", "password_env")}


def test_the_github_workflow_runs_the_step_and_publishes_the_record_always():
    workflow = _load("github-actions.yml")
    assert set(workflow.get("on", workflow.get(True))) >= {"push", "workflow_dispatch"}  # YAML 1.1 reads on: as True
    (job,) = workflow["jobs"].values()
    assert set(job["env"]) == _documented_variables() and job["env"]["LHV_REPORTS"] == REPORTS
    assert "inputs.suite" in job["env"]["LHV_SUITE"] and "vars.LHV_SUITE" in job["env"]["LHV_SUITE"]
    steps = job["steps"]
    (run,) = [step for step in steps if "run" in step]
    assert run["run"] == STEP and "continue-on-error" not in run and "continue-on-error" not in job
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    junit = next(step for step in steps if step.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert upload["if"] == junit["if"] == "always()"
    assert upload["with"]["path"] == ARTIFACT and junit["with"]["report_paths"] == JUNIT
    assert steps.index(run) < steps.index(upload) and steps.index(run) < steps.index(junit)
    assert workflow["permissions"]["checks"] == "write"


def test_the_gitlab_job_runs_the_step_and_keeps_the_record_always():
    (job,) = _load("gitlab-ci.yml").values()
    assert job["script"] == [STEP] and "allow_failure" not in job
    assert set(job["variables"]) == _documented_variables() and job["variables"]["LHV_REPORTS"] == REPORTS
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and artifacts["paths"] == [ARTIFACT]
    assert artifacts["reports"]["junit"] == JUNIT


def test_credentials_come_only_from_the_ci_secrets_the_profile_names():
    names = _credential_variables()
    (job,) = _load("github-actions.yml")["jobs"].values()
    (run,) = [step for step in job["steps"] if "run" in step]
    assert run["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in names}  # only the verify step sees them
    assert not names & set(job["env"])
    (gitlab,) = _load("gitlab-ci.yml").values()
    assert not names & set(gitlab["variables"])  # project CI/CD variables, never the file
    comment = (CI / "gitlab-ci.yml").read_text(encoding="utf-8")
    assert all(name in comment for name in names)


# ---- the README section ------------------------------------------------------------------------------------------

def _readme_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Gating a release in CI\n")
    return text[start:text.index("\n## ", start + 1)]


def test_the_readme_section_documents_every_variable_and_exactly_the_record_commands_that_exist():
    section = _readme_section()
    assert all(f"| `{name}` |" in section for name in _documented_variables())

    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices

    record = subcommands(subcommands(build_parser())["record"])
    assert set(re.findall(r"`lhv record ([a-z]+)", section)) == set(record)
    for name, parser in record.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `lhv record {name}"))
        options = {option for action in parser._actions for option in action.option_strings
                   if option.startswith("--") and option != "--help"}
        assert all(option in row for option in options), (name, options)
