"""`lhv probe` against a running reference device: restarts leave gaps, two probers share a PostgreSQL store.

Real processes on the real clock, so every bound is one no scheduling delay can break: probe counts come from
--max-probes or the prober's own output, timeouts are generous, and times are compared with margins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lhv.device.launcher import RunningDevice, start_device
from lhv.device.settings import DeviceSettings
from tests.pg import new_store_url, postgres_server

pytestmark = pytest.mark.slow

USER_ENV, PASSWORD_ENV = "LHV_PROBE_TEST_USER", "LHV_PROBE_TEST_PASSWORD"


@pytest.fixture
def device(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningDevice]:
    faults = getattr(request, "param", [])
    running = start_device(DeviceSettings(state_dir=str(tmp_path / "device"), faults=faults,
                                          probe_timeout_seconds=1))
    yield running
    running.stop()


def write_profile(folder: Path, device: RunningDevice, *, store_url: str = "") -> Path:
    """Writes a profile for the running device: health every 0.2 s, a transaction every second.

    The timeouts are far longer than the device ever takes, so a probe slowed by a busy machine is not down.
    """
    profile = folder / "probe-test.toml"
    profile.write_text(f"""
[target]
name = "reference device under lhv probe"
base_url = "{device.https_url}"
trust_store = "{device.ca_cert}"
[credentials]
user = {{ username_env = "{USER_ENV}", password_env = "{PASSWORD_ENV}" }}
[uptime]
store_url = "{store_url}"
prober_id = "test-prober"
interval_seconds = 0.2
timeout_seconds = 30
degraded_seconds = 30
max_gap_seconds = 600
transaction = {{ interval_seconds = 1, timeout_seconds = 60 }}
""")
    return profile


def lhv(*args: str, device: RunningDevice, cwd: Path, password: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, USER_ENV: device.credentials["user"]["username"],
           PASSWORD_ENV: password or device.credentials["user"]["password"]}
    return subprocess.run([sys.executable, "-m", "lhv.app.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout)


def this_month() -> str:
    return f"{datetime.now(UTC):%Y-%m}"


def report_data(reports: Path) -> tuple[dict, Path]:
    (folder,) = reports.iterdir()
    return json.loads((folder / "uptime.json").read_text()), folder


def recorded_health(output: str) -> int:
    """Returns how many health probes a prober says it recorded."""
    match = re.search(r"stopped: recorded (\d+) health", output)
    assert match, output
    return int(match[1])


def test_a_restart_leaves_a_gap_in_the_monthly_record(device: RunningDevice, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, device)
    first = lhv("probe", "--profile", str(profile), "--duration", "2", device=device, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "prober 'test-prober' probing" in first.stdout
    first_probes = recorded_health(first.stdout)  # as many as a busy machine managed in 2 s
    assert first_probes <= 10
    time.sleep(1.5)  # the prober is down: a restart
    second = lhv("probe", "--profile", str(profile), "--max-probes", "8", device=device, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "recorded 8 health" in second.stdout
    assert (tmp_path / "probe-test.uptime.sqlite3").is_file(), "the default store lies next to the profile"

    reports = tmp_path / "reports"
    report = lhv("probe", "report", "--profile", str(profile), "--month", this_month(), "--reports-dir",
                 str(reports), device=device, cwd=tmp_path)
    assert report.returncode == 1, report.stdout + report.stderr  # a month with seconds of data: inconclusive
    data, folder = report_data(reports)
    assert data["outcome"] == "inconclusive"
    health = next(k for k in data["kinds"] if k["kind"] == "health")["verdict"]
    runs = [r for r in health["prober_runs"] if r["interval_s"] == 0.2]  # the health loop's runs
    assert len(runs) == 2 and all(r["stopped_at"] for r in runs)
    stopped, restarted = (datetime.fromisoformat(t) for t in (runs[0]["stopped_at"], runs[1]["started_at"]))
    # The prober's own gap (between its runs, health and transaction loops together) is listed ...
    assert any(stopped <= datetime.fromisoformat(g["start"]) and datetime.fromisoformat(g["end"]) <= restarted
               and (datetime.fromisoformat(g["end"]) - datetime.fromisoformat(g["start"])).total_seconds() >= 1.4
               for g in health["prober_gaps"]), health["prober_gaps"]
    # ... and its intervals are gaps without data, never uptime.
    assert any(datetime.fromisoformat(g["start"]) <= stopped + timedelta(seconds=0.2)
               and datetime.fromisoformat(g["end"]) >= restarted - timedelta(seconds=0.2)
               for g in health["gaps"]), health["gaps"]
    # Every health probe starts in an interval of its own and the device is up: one up interval per probe.
    assert (health["intervals"]["up"], health["intervals"]["down"]) == (first_probes + 8, 0)
    assert data["device_versions"] == ["1.1.0.0-reference"]
    assert {f.name for f in folder.iterdir()} >= {"record.html", "uptime.json", "health-availability.png",
                                                  "transaction-availability.png", "manifest.sha256"}
    page = (folder / "record.html").read_text()
    assert "data:image/png;base64," in page and "INCONCLUSIVE" in page
    password = device.credentials["user"]["password"]
    for text in [first.stdout, first.stderr, second.stdout, report.stdout, page, (folder / "uptime.json").read_text()]:
        assert password not in text


def test_wrong_credentials_stop_the_prober_before_it_starts(device: RunningDevice, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, device)
    done = lhv("probe", "--profile", str(profile), "--duration", "1", device=device, cwd=tmp_path,
               password="not-the-password-1")
    assert done.returncode == 2
    assert "credentials.user" in done.stderr and "401" in done.stderr
    assert "not-the-password-1" not in done.stdout + done.stderr


@pytest.mark.parametrize("device", [["down-window"]], indirect=True)
def test_two_probers_share_one_postgresql_store(device: RunningDevice, tmp_path: Path) -> None:
    with postgres_server() as server:
        store = new_store_url(server)
        profile = write_profile(tmp_path, device, store_url=store)
        probers = [subprocess.Popen([sys.executable, "-m", "lhv.app.cli", "probe", "--profile", str(profile),
                                     "--prober-id", prober, "--max-probes", "25"], cwd=tmp_path, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**os.environ, USER_ENV: device.credentials["user"]["username"],
                                         PASSWORD_ENV: device.credentials["user"]["password"]})
                   for prober in ("eu-west", "us-east")]
        outputs = [p.communicate(timeout=120) for p in probers]
        assert [p.returncode for p in probers] == [0, 0], outputs
        # The first prober's first probe opens the device's down window (1 s to 3 s after it), and 25 probes
        # take that prober at least 4.8 s: it sees the window however late the other one starts.
        assert any("health DOWN (5xx, status 503)" in out for out, _ in outputs), outputs
        reports = tmp_path / "reports"
        report = lhv("probe", "report", "--profile", str(profile), "--month", this_month(), "--reports-dir",
                     str(reports), device=device, cwd=tmp_path)
    assert report.returncode == 1, report.stdout + report.stderr
    data, _ = report_data(reports)
    assert data["store"].startswith("postgresql://")
    health = next(k for k in data["kinds"] if k["kind"] == "health")["verdict"]
    assert {p["prober_id"] for p in health["probers"]} == {"eu-west", "us-east"}
    assert [p["probes"] for p in health["probers"]] == [25, 25]
    # The device is down for 2 s once: its down intervals are 5xx and lie within that window, widened by an
    # interval at each end and by a generous margin for a probe stamped just before the window that reached
    # the device in it. (Which intervals the two probers both saw down depends on when each got to run.)
    incidents = health["incidents"]
    assert incidents and {i["error_class"] for i in incidents} == {"5xx"}, incidents
    first, last = (datetime.fromisoformat(t) for t in (incidents[0]["start"], incidents[-1]["end"]))
    assert health["downtime_s"] >= 0.2 and (last - first).total_seconds() <= 4.0, incidents
