"""The rate-aware client keeps under a real device's limit, and waits out a 429 as a noted non-finding."""

import ssl
import time

import pytest

from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.core.http import RecordingClient
from lhv.core.pacing import RatePacer, budgets_for
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings


@pytest.fixture
def device(tmp_path):
    running = start_device(DeviceSettings(state_dir=str(tmp_path / "device"), anonymous_limit=5,
                                          authenticated_limit=5, rate_window_seconds=1))
    yield running
    running.stop()


def client(device, pacer, rate_aware=True):
    return RecordingClient(device.https_url, verify=ssl.create_default_context(cafile=str(device.ca_cert)),
                           timeout_s=5, pacer=pacer, rate_aware=rate_aware)


def test_paced_requests_never_meet_the_limit(device):
    pacer = RatePacer(budgets_for(5, 5, 1, 0))
    started = time.monotonic()
    with client(device, pacer) as paced:
        statuses = [paced.request("GET", "/").status for _ in range(12)]
    assert statuses == [200] * 12
    assert time.monotonic() - started >= 2 * 1.0, "12 requests at 5 per second-and-a-margin take two windows"


def test_a_429_is_waited_out_per_retry_after_and_noted_in_the_step(device):
    with client(device, RatePacer(budgets_for(5, 5, 1, 0)), rate_aware=False) as raw:
        assert [raw.request("GET", "/").status for _ in range(6)][-1] == 429
    case = CaseEvidence(steps=[Step(1, "probe", "200", verdict="running")])
    token = CURRENT_CASE.set(case)
    try:
        with client(device, RatePacer(budgets_for(5, 5, 1, 0))) as unaware_of_the_burst:
            reply = unaware_of_the_burst.request("GET", "/")
    finally:
        CURRENT_CASE.reset(token)
    assert reply.status == 200
    assert [e.status for e in case.steps[0].exchanges] == [429, 200], "the 429 stays in the evidence"
    assert "not a finding of this plan" in case.steps[0].actual[0]
