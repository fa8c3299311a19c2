"""Every request the harness sends to a target ends within its deadline and keeps a bounded body.

Hostile loopback targets (tests/hostile.py) trickle, stay silent, answer 200 MB or garbage; each test bounds
itself (a request that outlives its bound is ended by stopping the server) so a defect fails, never hangs.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpcore
import pytest
import requests

from lhv.contract.dialects.base import Route
from lhv.core.bounds import Body, Deadline, _clamped, deadline
from lhv.core.errors import TargetError
from lhv.core.http import DeadlinePassed, RecordingClient, redact_body
from lhv.core.secrets import SECRETS
from lhv.fuzz.transport import session_for
from lhv.harness.transport_steps import PlainRoute, send_plain
from lhv.logs.sources import HttpLog
from lhv.session.profile import TargetSection
from tests.hostile import SLACK_S, HostileServer, encodings, ends_within, huge_body_sha256, in_case

DEADLINE_S = 2.0
LONG_TIMEOUT_S = 30.0  # per-read timeout far past the deadline, so only the deadline can end the request
REPO = Path(__file__).resolve().parents[1]  # the huge-answer child imports tests.hostile


def trusting(server: HostileServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca_file)


def client(server: HostileServer, **options) -> RecordingClient:
    options = {"timeout_s": LONG_TIMEOUT_S, "deadline_s": DEADLINE_S} | options
    return RecordingClient(server.base_url, verify=trusting(server), **options)


@pytest.mark.parametrize("mode, options", [("trickling", {"trickle_interval_s": 0.5}), ("trickling", {}),
                                           ("silent-after-tls", {}), ("silent-after-accept", {})])
def test_a_target_that_holds_the_request_is_cut_off_at_the_deadline(hostile_target, mode, options):
    server = hostile_target(mode, **options)
    with client(server) as bounded:
        (outcome, case), taken = ends_within(DEADLINE_S + SLACK_S, server,
                                             lambda: in_case(lambda: bounded.request("GET", "/login")))
    assert isinstance(outcome, DeadlinePassed), f"{mode}: {outcome!r}"
    assert "2 s" in str(outcome) and "target.request_deadline_seconds" in str(outcome), str(outcome)
    assert taken >= DEADLINE_S * 0.9, f"{mode}: ended after {taken:.1f} s, before the deadline"
    kept = case.steps[0].exchanges
    assert len(kept) == 1 and "deadline" in (kept[0].error or ""), "the cut-off exchange stays in the evidence"
    if options:  # a byte every half second: some arrived before the cut (with one per 2 s, perhaps none)
        assert kept[0].status == 200 and kept[0].response_bytes >= 1, "what arrived before the cut is recorded"


def test_a_trickle_over_plain_http_is_cut_off_and_is_not_taken_for_a_refusal(hostile_target):
    plain = hostile_target("trickling", tls=False)
    silent = hostile_target("silent-after-accept", tls=False)
    route = Route("POST", "/login", False)
    with client(plain) as bounded:
        api = SimpleNamespace(client=bounded)
        for server in (plain, silent):
            where = PlainRoute(server.base_url + "/login", "127.0.0.1", "/login")
            outcome, taken = ends_within(DEADLINE_S + SLACK_S, server,
                                         lambda where=where: send_plain(api, route, where, "plain HTTP refused"))
            assert isinstance(outcome, DeadlinePassed), f"{server.mode}: {outcome!r}"


def test_a_huge_answer_is_cut_at_the_cap_with_the_size_and_hash_of_what_came(hostile_target):
    size, cap = 1_000_000, 64 * 1024
    server = hostile_target("huge", huge_bytes=size)
    with client(server, deadline_s=60, max_response_bytes=cap) as bounded:
        reply, case = in_case(lambda: bounded.request("GET", "/report"))
    assert reply.status == 200 and reply.truncated and cap < reply.size < size, reply.size
    assert len(reply.text) == cap and reply.headers["content-length"] == str(size)
    exchange = case.steps[0].exchanges[0]
    assert (exchange.response_bytes, exchange.response_sha256, exchange.response_truncated) == \
        (reply.size, huge_body_sha256(size, first=reply.size), True)
    assert len(exchange.response_body) <= 4000
    with pytest.raises(TargetError, match=rf"target.max_response_bytes.*cut after {reply.size} bytes of {size}"):
        reply.json()


def test_a_small_answer_records_its_size_and_hash_and_reads_as_json(hostile_target):
    server = hostile_target("yes-man")
    with client(server) as bounded:
        reply, case = in_case(lambda: bounded.request("POST", "/login", form={"username": "u", "password": "p"}))
    assert reply.json()["token_type"] == "bearer" and not reply.truncated and reply.size == len(reply.text)
    exchange = case.steps[0].exchanges[0]
    assert exchange.response_bytes == reply.size and not exchange.response_truncated
    assert exchange.response_sha256 == hashlib.sha256(reply.text.encode()).hexdigest()


HUGE_CLIENT = """
import json, ssl, sys
from tests.forked_device import peak_mib
from lhv.core.http import RecordingClient
url, ca = sys.argv[1], sys.argv[2]
with RecordingClient(url, verify=ssl.create_default_context(cafile=ca), timeout_s=30, deadline_s=150) as client:
    reply = client.request("GET", "/report")
print(json.dumps({"peak_mib": peak_mib(), "size": reply.size,
                  "truncated": reply.truncated, "sha256": reply.exchange.response_sha256, "kept": len(reply.text)}))
"""


def test_a_200_mb_answer_keeps_the_client_far_below_400_mib(hostile_target):
    size = 200 * 1000 * 1000
    server = hostile_target("huge", huge_bytes=size)
    done = subprocess.run([sys.executable, "-c", HUGE_CLIENT, server.base_url, server.ca_file], cwd=REPO,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["truncated"] and seen["kept"] == 10 * 1024 * 1024 < seen["size"] < size
    assert seen["sha256"] == huge_body_sha256(size, first=seen["size"])
    assert seen["peak_mib"] < 200, f"the client's peak RSS was {seen['peak_mib']:.0f} MiB"


def test_garbage_and_a_non_json_json_answer_are_target_errors(hostile_target):
    garbage, html_as_json = hostile_target("malformed"), hostile_target("malformed-json")
    with client(garbage) as bounded:
        outcome, _ = in_case(lambda: bounded.request("GET", "/"))
    assert isinstance(outcome, TargetError) and not isinstance(outcome, DeadlinePassed), repr(outcome)
    with client(html_as_json) as bounded:
        reply = bounded.request("GET", "/")
    with pytest.raises(TargetError, match="non-JSON body"):
        reply.json()


def test_redaction_comes_before_the_cut_so_no_part_of_a_straddling_secret_survives():
    secret = "straddling-secret-0123456789-abcdefghij"
    SECRETS.add(secret, "token")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdHJhZGRsZSJ9.c2lnbmF0dXJlLXN0cmFkZGxpbmc"
    for straddler in (secret, jwt):
        text = ("lorem ipsum " * 400)[:4000 - len(straddler) // 2] + straddler + " tail"
        kept = redact_body(text.encode(), "text/plain")
        assert len(kept) <= 4000
        assert straddler[:12] not in kept, f"the first half of {straddler[:8]}… survived the cut"


def test_the_fuzzing_transport_does_not_send_again_after_the_deadline(hostile_target):
    server = hostile_target("trickling")
    with client(server) as bounded:
        session, _ = session_for(bounded)
        outcome, taken = ends_within(DEADLINE_S + SLACK_S, server,
                                     lambda: session.get(server.base_url + "/", timeout=LONG_TIMEOUT_S))
    assert isinstance(outcome, requests.ConnectionError) and "deadline" in str(outcome), repr(outcome)
    assert len(server.requests) == 1, f"sent {len(server.requests)} times"


def test_the_fuzzing_transport_does_not_judge_a_cut_body(hostile_target):
    server = hostile_target("huge", huge_bytes=1_000_000)
    with client(server, deadline_s=60, max_response_bytes=64 * 1024) as bounded:
        session, _ = session_for(bounded)
        with pytest.raises(requests.ConnectionError, match="max_response_bytes"):
            session.get(server.base_url + "/")


def test_the_http_log_source_ends_at_its_deadline(hostile_target):
    server = hostile_target("trickling")
    source = HttpLog(server.base_url + "/log", trusting(server), LONG_TIMEOUT_S, DEADLINE_S)
    outcome, _ = ends_within(DEADLINE_S + SLACK_S, server, source.lines)
    assert isinstance(outcome, TargetError) and "deadline" in str(outcome), repr(outcome)


def test_the_profile_bounds_default_from_the_timeout_and_refuse_a_deadline_below_it():
    assert TargetSection(name="t").request_deadline_seconds == 60
    assert TargetSection(name="t", timeout_seconds=40).request_deadline_seconds == 120
    assert TargetSection(name="t").max_response_bytes == 10 * 1024 * 1024
    with pytest.raises(ValueError, match="request_deadline_seconds .*shorter than timeout_seconds"):
        TargetSection(name="t", timeout_seconds=10, request_deadline_seconds=5)


def test_the_echoing_target_repeats_every_key_and_value_in_every_encoding(hostile_target):
    server = hostile_target("echoing")
    with client(server) as bounded:
        reply = bounded.request("POST", "/login", form={"username": "ann", "password": "p&ss w<rd"},
                                headers={"Authorization": "Bearer abc.def"})
    assert reply.status == 400
    echo = json.loads(reply.text)["echo"]
    for value in ("Bearer abc.def", "username", "ann", "password", "p&ss w<rd"):
        for form in encodings(value).values():
            assert echo.get(form) == form, (value, form)


def test_the_hostile_server_stops_promptly_with_clients_still_held(hostile_target):
    server = hostile_target("silent-after-tls")
    held = trusting(server).wrap_socket(socket.create_connection(("127.0.0.1", server.port)),
                                        server_hostname="127.0.0.1")
    held.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    waited = time.monotonic()
    while not server.requests and time.monotonic() - waited < 30:
        time.sleep(0.05)
    assert server.requests, "the server never read the request"
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    held.close()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_socket_operation_gets_at_most_the_time_the_deadline_leaves():
    clock, asked = FakeClock(), []

    def operation(limit):
        asked.append(limit)
        return "done"

    assert _clamped(operation, 7.0) == "done" and asked == [7.0], "no deadline: the operation's own timeout"
    with deadline(10, clock):
        _clamped(operation, 4.0)
        clock.now += 8
        _clamped(operation, 4.0)
        _clamped(operation, None)
        clock.now += 2
        with pytest.raises(DeadlinePassed, match="10 s"):
            _clamped(operation, 4.0)
    assert asked == [7.0, 4.0, 2.0, 2.0], "a timeout past the deadline is cut to what is left"


def test_a_timeout_of_a_cut_operation_is_the_deadline_and_of_an_uncut_one_stays_a_timeout():
    clock = FakeClock()

    def times_out(limit):
        raise httpcore.ReadTimeout(f"after {limit}")

    with deadline(10, clock):
        with pytest.raises(httpcore.ReadTimeout):
            _clamped(times_out, 3.0)
        clock.now += 9
        with pytest.raises(DeadlinePassed):
            _clamped(times_out, 3.0)


def test_a_body_keeps_its_head_or_its_tail_and_hashes_every_byte():
    chunks = [b"abc", b"defg", b"hij"]
    head, tail = Body(5), Body(4, tail=True)
    for chunk in chunks:
        head.add(chunk)
        tail.add(chunk)
    whole = b"".join(chunks)
    assert (head.kept, head.size, head.truncated) == (b"abcde", 10, True)
    assert (tail.kept, tail.size, tail.truncated) == (b"ghij", 10, True)
    assert head.sha256 == tail.sha256 == hashlib.sha256(whole).hexdigest()
    assert not Body(10).truncated and Deadline(5, FakeClock()).left() == 5
