"""Requests sent while a budget is spent or a lock holds are judged only when they came in time (lhv.harness.bursts)."""

import socket
import threading
from types import SimpleNamespace

import pytest

from lhv.core.errors import CheckFailed, ConfigError, Inconclusive, NotApplicable
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.harness.bursts import (
    Limit,
    Probe,
    SpentUntil,
    _other_loopback,
    budget_spent_until,
    require_refused_until,
    require_served_until,
    second_client_address,
)
from lhv.load.burst import Outcome

LIMIT = Limit(requests=3, window_s=2.0, tolerance=0)
UNTIL = SpentUntil(110.0, "the first accepted request left the window")


class _Reply:
    """A reply as the bound checks read it: a status, a 429's Retry-After and JSON detail."""

    def __init__(self, status, retry_after="1"):
        self.status = status
        self.headers = {"retry-after": retry_after, "content-type": "application/json"} if status == 429 else {}
        self.text = '{"detail": "Rate limit exceeded"}'
        self.truncated = False
        self.exchange = SimpleNamespace(method="GET", url="https://device.test/")


def probe(status, received, what="GET /"):
    return Probe(what, received - 0.01, received, _Reply(status))


def lane(statuses, start=100.0):
    return [Outcome(i, "user", start + i * 0.1, start + i * 0.1 + 0.01, s, None, None) for i, s in enumerate(statuses)]


@pytest.fixture
def case():
    """A running step that collects the checks recorded."""
    current = CaseEvidence(steps=[Step(1, "probe", "", verdict="running")])
    token = CURRENT_CASE.set(current)
    yield current
    CURRENT_CASE.reset(token)


def checks(case):
    return [(c.name, c.passed) for c in case.steps[0].checks]


def test_the_budget_is_spent_until_the_first_accepted_request_leaves_the_window(case):
    until = budget_spent_until(lane([429, 200, 200, 200, 429]), LIMIT, "user")
    assert until.at == pytest.approx(100.1 + 2.0)
    assert "first accepted user request" in until.why
    assert checks(case) == [("budget-spent", True)]


def test_a_lane_without_429_spent_nothing(case):
    with pytest.raises(CheckFailed, match="budget-spent"):
        budget_spent_until(lane([200, 200]), LIMIT, "user")


def test_a_401_counts_only_while_the_tokens_surely_live(case):
    until = UNTIL.with_tokens_until(108.0, "the tokens expired")
    assert until.bound_for(401) == (108.0, "the tokens expired") and until.bound_for(200) == (110.0, UNTIL.why)
    with pytest.raises(Inconclusive, match="after the tokens expired"):  # the token may have expired: proves nothing
        require_refused_until("covered-route-limited", [probe(401, 109.0)], until, "routes")
    with pytest.raises(CheckFailed):  # a 200 shows the token still worked: the window alone decides
        require_refused_until("covered-route-limited", [probe(200, 109.0)], until, "routes")
    with pytest.raises(CheckFailed):
        require_refused_until("covered-route-limited", [probe(401, 107.0)], until, "routes")


def test_refused_in_time_passes_and_served_in_time_fails(case):
    require_refused_until("covered-route-limited", [probe(429, 109.0), probe(429, 111.0)], UNTIL, "routes")
    with pytest.raises(CheckFailed, match=r"covered-route-limited.*POST /x → 200"):
        require_refused_until("covered-route-limited", [probe(429, 109.0), probe(200, 109.5, "POST /x")], UNTIL,
                              "routes")
    assert [c for c in checks(case) if c[0] == "covered-route-limited"] == [("covered-route-limited", True),
                                                                           ("covered-route-limited", False)]
    assert ("retry-after", True) in checks(case)  # each 429 also carries Retry-After


def test_a_refusal_without_retry_after_in_whole_seconds_fails(case):
    with pytest.raises(CheckFailed, match=r"\[retry-after\].*GET / → 429"):
        require_refused_until("covered-route-limited", [Probe("GET /", 108.99, 109.0, _Reply(429, "soon"))],
                              UNTIL, "routes")


def test_served_only_after_the_bound_is_inconclusive_but_a_served_in_time_one_still_fails(case):
    with pytest.raises(Inconclusive, match="after the first accepted request left the window"):
        require_refused_until("covered-route-limited", [probe(200, 110.5)], UNTIL, "routes")
    with pytest.raises(CheckFailed):
        require_refused_until("covered-route-limited", [probe(200, 110.5), probe(200, 109.0)], UNTIL, "routes")


def test_refused_statuses_may_be_a_lock_profiles(case):
    require_refused_until("lock-holds-part-way", [probe(423, 109.0)], UNTIL, "lock", refused=(423, 401))
    with pytest.raises(CheckFailed, match="lock-holds-part-way"):
        require_refused_until("lock-holds-part-way", [probe(200, 109.0)], UNTIL, "lock", refused=(423,))


def test_another_client_served_in_time_passes_refused_fails_served_late_is_inconclusive(case):
    require_served_until("other-client-own-budget", probe(200, 109.0), UNTIL, "second client")
    with pytest.raises(CheckFailed, match="other-client-own-budget"):
        require_served_until("other-client-own-budget", probe(429, 109.0), UNTIL, "second client")
    with pytest.raises(CheckFailed):
        require_served_until("other-client-own-budget", probe(429, 111.0), UNTIL, "second client")
    with pytest.raises(Inconclusive):
        require_served_until("other-client-own-budget", probe(200, 111.0), UNTIL, "second client")


@pytest.mark.parametrize(("own", "other"), [("127.0.0.1", "127.0.0.2"), ("127.0.0.2", "127.0.0.3"),
                                            ("::1", None), ("192.0.2.10", None)])
def test_another_loopback_address_only_on_ipv4_loopback(own, other):
    assert _other_loopback(own) == other


# ---- second_client_address against a real listener on loopback ------------------------------------------------------

@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that accepts and closes connections, as long as the test runs."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def _target(port, host="127.0.0.1", second=""):
    import ssl

    from lhv.contract.dialects import dialect_named
    from lhv.session.profile import parse_profile
    from lhv.session.target import Target

    text = (f'[target]\nname = "t"\nbase_url = "https://{host}:{port}"\ntimeout_seconds = 2\n'
            '[credentials]\nuser = { username_env = "U", password_env = "P" }\n'
            f'[limits]\nsecond_client_address = "{second}"\n')
    profile = parse_profile(text.encode(), "test-profile.toml")
    return Target(profile, dialect_named("plan"), profile.target.base_url, "", ssl.create_default_context(), None)


def test_a_loopback_target_gets_another_loopback_address(listener):
    assert second_client_address(_target(listener)) == "127.0.0.2"


def test_the_profiles_address_is_used_and_refused_when_it_is_the_harness_own(listener):
    assert second_client_address(_target(listener, second="127.0.0.3")) == "127.0.0.3"
    with pytest.raises(ConfigError, match="limits.second_client_address: 127.0.0.1 is the harness's own address"):
        second_client_address(_target(listener, second="127.0.0.1"))


def test_a_profile_address_this_machine_cannot_send_from_names_the_key(listener):
    with pytest.raises(ConfigError, match="test-profile.toml: limits.second_client_address: cannot reach the target "
                                          "from 192.0.2.10"):
        second_client_address(_target(listener, second="192.0.2.10"))


def test_without_a_second_address_the_check_is_not_applicable(monkeypatch, listener):
    import lhv.harness.bursts as bursts

    monkeypatch.setattr(bursts, "own_address", lambda target: "192.0.2.7")  # as if the target were remote
    with pytest.raises(NotApplicable, match="set limits.second_client_address"):
        second_client_address(_target(listener))


def test_a_recording_client_sends_from_its_source_address():
    """The server sees the client's source address: what per-IP limits and locks are kept by."""
    import http.server

    from lhv.core.http import RecordingClient

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the handler's name is http.server's)
            body = self.client_address[0].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with RecordingClient(url, verify=False, timeout_s=5, source_address="127.0.0.2") as other, \
                RecordingClient(url, verify=False, timeout_s=5) as own:
            assert other.request("GET", "/").text == "127.0.0.2"
            assert own.request("GET", "/").text == "127.0.0.1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
