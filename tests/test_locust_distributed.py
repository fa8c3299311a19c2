"""A burst runs with Locust's distributed mode (a master and two workers) on loopback and still meets the limit
exactly (each share sent once, the master ending the run); a burst checks the target's certificate against the trust store it is given."""

import time

import pytest

from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
from lhv.core.errors import NotApplicable
from lhv.load.burst import BurstRequest, LoadDriver
from lhv.load.judge import lane_findings, read_lane

pytestmark = pytest.mark.slow


def test_distributed_burst_meets_the_limit_exactly(tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device"), anonymous_limit=10,
                                         authenticated_limit=10, rate_window_seconds=3))
    try:
        time.sleep(0.1)
        driver = LoadDriver(device.https_url, str(device.ca_cert), tmp_path / "record", consent=False, workers=2)
        result = driver.run("PLAN_006", "distributed", [BurstRequest("anonymous", "GET", "/") for _ in range(11)],
                            time_bound_s=20)
    finally:
        device.stop()
    assert result.workers == 2 and len(result.outcomes) == 11, result.log_tail
    reading = read_lane("anonymous", result.outcomes)
    assert reading.succeeded == 10 and reading.limited == 1
    assert all(f.passed for f in lane_findings(reading, 10, 0, ordered=False))
    kept = {a["name"].rsplit("/", 1)[1] for a in result.attachments}
    assert {"locust-report.html", "locust_stats.csv", "outcomes.jsonl"} <= kept
    evidence = tmp_path / "record" / "attachments" / "PLAN_006" / "distributed"
    assert (evidence / "locust-report.html").stat().st_size > 0
    # the master ends the run: a worker quitting first would have its user re-dispatched to the other
    assert (evidence / "locust.log").read_text().count("Got quit message from master") == 2


def test_a_burst_refuses_a_certificate_its_trust_store_does_not_vouch_for(tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device")))
    other = start_device(DeviceSettings(state_dir=str(tmp_path / "other")))  # another per-run CA
    try:
        driver = LoadDriver(device.https_url, str(other.ca_cert), tmp_path / "record", consent=False)
        result = driver.run("PLAN_006", "wrong-ca", [BurstRequest("anonymous", "GET", "/") for _ in range(3)],
                            time_bound_s=20)
    finally:
        device.stop()
        other.stop()
    assert len(result.outcomes) == 3, result.log_tail
    assert all(o.status is None and o.error for o in result.outcomes), result.outcomes


def test_no_burst_against_a_remote_target_without_consent(tmp_path):
    driver = LoadDriver("https://192.0.2.10", None, tmp_path, consent=False)
    with pytest.raises(NotApplicable, match="allow_load"):
        driver.run("PLAN_006", "x", [BurstRequest("anonymous", "GET", "/")], time_bound_s=1)
