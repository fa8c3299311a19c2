"""PLAN_018 on a real profile: it judges last month from the profile's store (filled here with a simulated month)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lhv.device.launcher import RunningDevice, start_device
from lhv.device.settings import DeviceSettings
from lhv.uptime.judgement import Window, previous_month
from lhv.uptime.store import Probe, open_store

pytestmark = pytest.mark.slow

USER_ENV, PASSWORD_ENV = "LHV_STORED_USER", "LHV_STORED_PASSWORD"


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevice]:
    running = start_device(DeviceSettings(state_dir=str(tmp_path_factory.mktemp("device"))))
    yield running
    running.stop()


def fill_month(store_path: Path, window: Window, *, missing_days: range = range(0)) -> None:
    """Stores a month a prober recorded: health each minute, a transaction each five minutes, all up."""
    minutes = int(window.seconds // 60)
    skipped = {m for day in missing_days for m in range(day * 1_440, (day + 1) * 1_440)}
    with open_store(f"sqlite:///{store_path}") as store:
        run = store.start_run("eu-west", 60, at=window.start)
        store.add_probes(
            Probe("eu-west", window.start + timedelta(minutes=m, seconds=30), "https://device/health", kind, "up",
                  latency, 200, None, "2.1.0" if kind == "transaction" else None)
            for m in range(minutes) if m not in skipped
            for kind, latency in (("health", 3.0), ("transaction", 40.0)) if kind == "health" or m % 5 == 2)
        store.stop_run(run, at=window.end)


def verify_stored(lhv, tmp_path: Path, device: RunningDevice, name: str, **fill: range):
    window = previous_month(datetime.now(UTC))
    profile = tmp_path / f"{name}.toml"
    fill_month(tmp_path / f"{name}.uptime.sqlite3", window, **fill)  # the default store: next to the profile
    profile.write_text(f"""
[target]
name = "reference device judged from its store"
base_url = "{device.https_url}"
trust_store = "{device.ca_cert}"
[credentials]
user = {{ username_env = "{USER_ENV}", password_env = "{PASSWORD_ENV}" }}
[uptime]
interval_seconds = 60
transaction = {{ interval_seconds = 300 }}
""")
    env = {USER_ENV: device.credentials["user"]["username"], PASSWORD_ENV: device.credentials["user"]["password"]}
    run = lhv("--profile", str(profile), "--plan", "PLAN_018", env=env)
    (case,) = next(p for p in run.results["plans"] if p["id"] == "PLAN_018")["cases"]
    return run, case, window


def test_last_month_from_the_store_passes(lhv, tmp_path: Path, device: RunningDevice) -> None:
    run, case, window = verify_stored(lhv, tmp_path, device, "full")
    assert run.code == 0, run.output
    read, judge = case["steps"]
    assert f"window {window.label}: {window.start.isoformat()}" in " ".join(read["actual"])
    assert f"{tmp_path}/full.uptime.sqlite3" in read["action"]
    assert "no soak: the profile sets no soak (uptime.soak.users = 0)" in judge["actual"]
    assert "device versions seen: 2.1.0" in judge["actual"]
    assert {a["name"].rsplit("/", 1)[1] for a in judge["attachments"]} == {
        "uptime.json", "health-availability.png", "transaction-availability.png", "record.html"}
    assert (run.record / "attachments" / "PLAN_018" / "health-availability.png").is_file()


def test_a_two_day_gap_in_the_store_is_inconclusive(lhv, tmp_path: Path, device: RunningDevice) -> None:
    run, case, _ = verify_stored(lhv, tmp_path, device, "gap", missing_days=range(10, 12))
    assert run.code == 1, run.output
    assert case["verdict"] == "inconclusive"
    assert "gap of 2.0 d without data" in case["reason"]
