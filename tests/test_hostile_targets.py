"""Every plan against hostile targets: none passes, each run ends within its bound, memory stays low, nothing leaks."""

import json
import os
import textwrap
from pathlib import Path

import pytest

from tests import lhv_forkserver
from tests.forked_device import PEAK_RSS_ENV
from tests.hostile import MODES
from tests.test_no_secret_leaks import run_leaks

pytestmark = pytest.mark.slow

# PLAN_005 judges only the certificate and the TLS set-up, which these servers have right (a CA-issued
# certificate, TLS 1.2+): it may pass where the handshake completes; every other plan must not.
SOUND_TLS = ("PLAN_005",)
RUN_BOUND_S = 420  # the whole plan set against a target that holds every request to its 2 s deadline
PEAK_RSS_MIB = 400  # the harness process itself (the Locust and device processes it starts are not counted)
REPO = Path(__file__).resolve().parents[1]
SECRETS = {"LHV_H_USER": "hostile.tester@example.org", "LHV_H_PASSWORD": "Hostile-Pa55word/with+odd&chars",
           "LHV_H_USER2": "hostile.second@example.org", "LHV_H_PASSWORD2": "Second-Hostile-Pa55word%20x",
           "LHV_H_ADMIN": "hostile.admin@example.org", "LHV_H_ADMIN_PASSWORD": "Admin-Hostile-Pa55word<&>\"'"}


def _profile(tmp_path, server) -> str:
    path = tmp_path / "hostile.toml"
    path.write_text(textwrap.dedent(f"""
        [target]
        name = "hostile {server.mode}"
        base_url = "{server.base_url}"
        trust_store = "{server.ca_file}"
        timeout_seconds = 1
        request_deadline_seconds = 2
        max_response_bytes = 1048576
        [credentials]
        user = {{ username_env = "LHV_H_USER", password_env = "LHV_H_PASSWORD" }}
        second_user = {{ username_env = "LHV_H_USER2", password_env = "LHV_H_PASSWORD2" }}
        admin = {{ username_env = "LHV_H_ADMIN", password_env = "LHV_H_ADMIN_PASSWORD" }}
        [auth]
        token_lifetime_seconds = 3
        max_wait_seconds = 10
        lockout_threshold = 3
        lockout_seconds = 2
        [accounts]
        registration = "http"
        [limits]
        max_body_bytes = 2097152
        anonymous_requests = 30
        authenticated_requests = 30
        window_seconds = 1
        [uptime]
        window = "live"
        window_seconds = 2
        interval_seconds = 0.5
        timeout_seconds = 1
        degraded_seconds = 0.5
        transaction = {{ interval_seconds = 1, timeout_seconds = 2 }}
        [properties]
        examples = 3
        [fuzzing]
        cases = 10
        seconds = 3
    """))
    return str(path)


@pytest.mark.parametrize("mode", MODES)
def test_no_plan_passes_against_a_hostile_target(hostile_target, tmp_path, mode):
    server = hostile_target(mode, huge_bytes=50 * 1000 * 1000, trickle_interval_s=0.5)
    reports = tmp_path / "reports"
    peak_file = tmp_path / "peak-rss-mib"  # the run writes its peak resident set (VmHWM) there as it ends
    done = lhv_forkserver.run_cli(["verify", "--profile", _profile(tmp_path, server), "--reports-dir", str(reports),
                                   "--run-id", "hostile"], cwd=REPO, timeout=RUN_BOUND_S,
                                  env={**os.environ, **SECRETS, PEAK_RSS_ENV: str(peak_file)})
    console = done.stdout + done.stderr
    assert done.returncode in (1, 2), console
    assert peak_file.is_file(), f"the run wrote no peak resident set:\n{console}"
    peak_mib = float(peak_file.read_text())
    assert peak_mib < PEAK_RSS_MIB, f"the harness's peak RSS was {peak_mib:.0f} MiB"
    results = json.loads((reports / "hostile" / "results.json").read_text())
    passed = [plan["id"] for plan in results["plans"] if plan["verdict"] == "passed" and plan["id"] not in SOUND_TLS]
    assert not passed, f"{mode}: these plans passed against a hostile target: {passed}"
    assert results["exit_code"] == done.returncode and results["verdict"] != "passed"
    leaks = run_leaks(reports, console, list(SECRETS.values())[1::2])
    assert not leaks, leaks
