"""An uptime probe ends within its timeout and reads a bounded body, whatever the target does.

Hostile loopback targets (tests/hostile.py) trickle, stay silent or answer 200 MB; each probe runs under a bound
of its own (past it the server is stopped and the test fails), so a defect fails, never hangs.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from lhv.contract.dialects import dialect_named
from lhv.core.bounds import DeadlinePassed
from lhv.uptime.prober import classify_exception
from lhv.uptime.probes import HttpProbes, Transaction
from tests.hostile import SLACK_S, HostileServer, ends_within

TIMEOUT_S = 1.0
TRICKLE_S = 0.25  # a byte well within each read's timeout: only a whole-request deadline ends the probe
REPO = Path(__file__).resolve().parents[2]  # the huge-answer child imports tests.hostile


def probes(server: HostileServer, timeout_s: float = TIMEOUT_S) -> HttpProbes:
    return HttpProbes(server.base_url, dialect_named("plan"), verify=ssl.create_default_context(cafile=server.ca_file),
                      timeout_s=timeout_s, degraded_s=timeout_s / 2,
                      transaction=Transaction("health", "prober", "not-a-real-password", timeout_s=timeout_s))


HOLDING = [("trickling", {"trickle_interval_s": TRICKLE_S}), ("silent-after-tls", {}), ("silent-after-accept", {})]


@pytest.mark.parametrize("kind", ["health", "transaction"])
@pytest.mark.parametrize("mode, options", HOLDING)
def test_a_probe_of_a_target_that_holds_it_is_down_for_timeout_within_its_timeout(hostile_target, kind, mode,
                                                                                  options):
    server = hostile_target(mode, **options)
    prober = probes(server)
    try:
        result, taken = ends_within(TIMEOUT_S + SLACK_S, server, getattr(prober, kind))
    finally:
        prober.close()
    expected = "timeout" if kind == "health" else "login timeout"
    assert (result.outcome, result.error_class) == ("down", expected), f"{kind} of {mode}: {result!r}"
    assert taken >= TIMEOUT_S * 0.9, f"{kind} of {mode}: ended after {taken:.1f} s, before the timeout"


def test_a_well_behaved_transaction_is_up(hostile_target):
    server = hostile_target("yes-man")
    prober = probes(server, timeout_s=30)
    try:
        result = prober.transaction()
    finally:
        prober.close()
    assert (result.outcome, result.status, result.error_class) == ("up", 200, None), repr(result)
    assert [seen.target for seen in server.requests] == ["/login", "/health"]


def test_a_deadline_passed_is_a_timeout():
    assert classify_exception(DeadlinePassed("no whole answer")) == "timeout"


HUGE_PROBE = """
import json, ssl, sys
from tests.forked_device import peak_mib
from lhv.contract.dialects import dialect_named
from lhv.uptime.probes import HttpProbes, Transaction
url, ca = sys.argv[1], sys.argv[2]
probes = HttpProbes(url, dialect_named("plan"), verify=ssl.create_default_context(cafile=ca), timeout_s=120,
                    degraded_s=120, transaction=Transaction("health", "prober", "pw", timeout_s=120))
results = [probes.health(), probes.transaction()]
print(json.dumps({"peak_mib": peak_mib(),
                  "results": [[r.outcome, r.error_class] for r in results]}))
"""


def test_a_200_mb_answer_is_read_no_further_than_the_cap(hostile_target):
    server = hostile_target("huge", huge_bytes=200 * 1000 * 1000)
    done = subprocess.run([sys.executable, "-c", HUGE_PROBE, server.base_url, server.ca_file], cwd=REPO,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["results"] == [["down", "bad_body"], ["down", "login bad_body"]], seen
    assert seen["peak_mib"] < 150, f"the prober's peak RSS was {seen['peak_mib']:.0f} MiB"
