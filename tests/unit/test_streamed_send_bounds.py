"""The oversized-body check's streamed send (PLAN_019) ends by the profile's deadline and keeps a capped answer.

It runs against hostile loopback targets (tests/hostile.py); each send runs under a bound of its own (past it the
server is stopped and the test fails), so a defect fails, never hangs.
"""

from __future__ import annotations

import ssl
from types import SimpleNamespace

from lhv.contract.dialects.base import Route
from lhv.core.bounds import DeadlinePassed
from lhv.core.pacing import RatePacer, budgets_for
from lhv.security.probe import Sample
from lhv.security.resources import padded_json, send_streamed
from lhv.session.profile import TargetSection
from tests.hostile import SLACK_S, HostileServer, ends_within, huge_body_sha256, in_case

DEADLINE_S = 2.0
SAMPLE = Sample("diagnosis_support", Route("POST", "/diagnosis-support", True), json_body={})


def probe_of(server: HostileServer, **bounds: float) -> SimpleNamespace:
    """The parts of a security Probe that send_streamed uses, aimed at server with the given target bounds."""
    section = TargetSection(name="hostile", base_url=server.base_url, **bounds)
    target = SimpleNamespace(profile=SimpleNamespace(target=section), pacer=RatePacer(budgets_for(100, 100, 60, 0)),
                             verify=ssl.create_default_context(cafile=server.ca_file))
    return SimpleNamespace(target=target, client=SimpleNamespace(base_url=server.base_url))


def test_a_trickled_answer_is_cut_off_at_the_request_deadline(hostile_target):
    server = hostile_target("trickling", trickle_interval_s=0.25)  # each read well within its timeout
    probe = probe_of(server, timeout_seconds=1, request_deadline_seconds=DEADLINE_S)
    (outcome, case), taken = ends_within(DEADLINE_S + SLACK_S, server, lambda: in_case(
        lambda: send_streamed(probe, SAMPLE, "a-token", padded_json(4096))))
    assert isinstance(outcome, DeadlinePassed), repr(outcome)
    assert "answer cut off" in str(outcome) and "a-token" not in str(outcome), str(outcome)
    assert taken >= DEADLINE_S * 0.9, f"ended after {taken:.1f} s, before the deadline"
    [kept] = case.steps[0].exchanges
    assert kept.status == 200 and kept.response_bytes >= 1 and "request deadline" in kept.error, kept
    assert kept.request_headers["Authorization"] == "[REDACTED]"


def test_a_target_that_never_answers_is_cut_off_at_the_request_deadline(hostile_target):
    server = hostile_target("silent-after-tls")
    probe = probe_of(server, timeout_seconds=DEADLINE_S, request_deadline_seconds=DEADLINE_S)
    (outcome, case), _ = ends_within(DEADLINE_S + SLACK_S, server, lambda: in_case(
        lambda: send_streamed(probe, SAMPLE, None, padded_json(4096))))
    assert isinstance(outcome, DeadlinePassed) and "no answer" in str(outcome), repr(outcome)
    assert case.steps[0].exchanges[0].status is None


def test_a_huge_answer_is_cut_at_the_profile_cap_with_the_size_and_hash_of_what_came(hostile_target):
    size, cap = 1_000_000, 64 * 1024
    server = hostile_target("huge", huge_bytes=size)
    probe = probe_of(server, timeout_seconds=30, request_deadline_seconds=60, max_response_bytes=cap)
    reply, case = in_case(lambda: send_streamed(probe, SAMPLE, None, padded_json(4096)))
    assert reply.status == 200 and reply.truncated and cap <= reply.size < size, reply.size
    assert len(reply.text) == cap
    [kept] = case.steps[0].exchanges
    assert (kept.response_bytes, kept.response_sha256, kept.response_truncated) == \
        (reply.size, huge_body_sha256(size, first=reply.size), True)
    assert len(kept.response_body) <= 4000 and kept.request_body.startswith("[4096 bytes sent in")
    assert server.requests[0].headers.get("transfer-encoding") == "chunked"


def test_a_small_answer_is_read_whole(hostile_target):
    server = hostile_target("malformed-json")
    reply, case = in_case(lambda: send_streamed(probe_of(server), SAMPLE, None, padded_json(4096)))
    assert (reply.status, reply.truncated, reply.size) == (200, False, len(reply.text)), reply
    assert "Service temporarily unavailable" in reply.text
    assert case.steps[0].exchanges[0].response_bytes == reply.size
