"""Pre-flight tells a target whose TLS offers only old versions or weak suites from one that is unreachable.

Real TLS servers on loopback, set up as the device's TLS faults set it (lhv.device.server.TlsPolicy); the client
is the run's own (a default context trusting the per-run CA).
"""

from __future__ import annotations

import socket
import ssl
import threading
from contextlib import contextmanager, suppress

import pytest

from lhv.device import pki
from lhv.device.server import EVERY_CIPHER, LEGACY_CIPHERS, TlsPolicy
from lhv.session.preflight import tls_refusal

TIMEOUT_S = 5.0
LEGACY_ONLY = TlsPolicy(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, LEGACY_CIPHERS)
NULL_ONLY = TlsPolicy(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, "eNULL:@SECLEVEL=0")


@pytest.fixture
def certs(tmp_path):
    return pki.issue(tmp_path / "pki")


@pytest.fixture
def run_client(certs):
    return ssl.create_default_context(cafile=str(certs.ca_cert))


@contextmanager
def serving(handle):
    """Runs handle(connection) for each connection to a loopback port until the block ends; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn, suppress(OSError):  # a refused handshake is the point of most servers here
                conn.settimeout(TIMEOUT_S)
                handle(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(TIMEOUT_S)
        listener.close()


def tls_server(policy: TlsPolicy, certs):
    context = policy.context(certs.server_cert, certs.server_key)

    def handle(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    return serving(handle)


@pytest.mark.parametrize("policy, offered", [(LEGACY_ONLY, "TLSv1.1"), (NULL_ONLY, "NULL")],
                         ids=["tls-1.0-and-1.1-only", "null-suites-only"])
def test_a_target_whose_tls_only_a_lax_client_accepts_is_named_for_plan_005(certs, run_client, policy, offered):
    with tls_server(policy, certs) as port:
        problem = tls_refusal(f"https://localhost:{port}/v1", run_client, TIMEOUT_S)
    assert problem is not None and offered in problem and "PLAN_005" in problem, problem
    assert "[SSL:" in problem, "the run's own handshake error is named"


def test_a_sound_target_is_no_refusal(certs, run_client):
    with tls_server(TlsPolicy(), certs) as port:
        assert tls_refusal(f"https://localhost:{port}", run_client, TIMEOUT_S) is None


def test_more_suites_than_the_contract_allows_are_no_refusal_the_run_client_still_connects(certs, run_client):
    with tls_server(TlsPolicy(ciphers=EVERY_CIPHER), certs) as port:
        assert tls_refusal(f"https://localhost:{port}", run_client, TIMEOUT_S) is None


def test_an_untrusted_certificate_is_left_to_its_own_problem(certs, tmp_path):
    other_ca = ssl.create_default_context(cafile=str(pki.issue(tmp_path / "other").ca_cert))
    with tls_server(TlsPolicy(), certs) as port:
        assert tls_refusal(f"https://localhost:{port}", other_ca, TIMEOUT_S) is None


def test_a_target_that_speaks_no_tls_is_unreachable_not_weak(run_client):
    def plain_http(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
    with serving(plain_http) as port:
        assert tls_refusal(f"https://127.0.0.1:{port}", run_client, TIMEOUT_S) is None


def test_a_closed_port_or_a_plain_http_url_is_no_refusal(run_client):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    assert tls_refusal(f"https://127.0.0.1:{port}", run_client, TIMEOUT_S) is None
    assert tls_refusal("http://127.0.0.1:1", run_client, TIMEOUT_S) is None
