"""Hostile loopback targets for the harness's own tests: real sockets and TLS, answers no device should give.

Each mode is a way a target can hold or mislead a client:

- ``yes-man``: 200 with a plausible JSON body to everything (a token for a login);
- ``silent-after-accept``: accepts TCP and never says a word (no TLS handshake);
- ``silent-after-tls``: completes the handshake, reads the request, never answers;
- ``trickling``: status line and headers, then the body one byte per ``trickle_interval_s`` until the client goes;
- ``huge``: 200 with a body of ``huge_bytes`` (200 MB by default), streamed, never held in memory;
- ``malformed``: bytes that are not HTTP at all; ``malformed-json``: a JSON content type on a non-JSON body;
- ``echoing``: 400 echoing the Authorization header and every key and value of the form or JSON body, raw and
  JSON-escaped, HTML-escaped, percent-encoded and base64, as JSON keys and as values.

Use it as a context manager or through the ``hostile_target`` fixture (``hostile_target("trickling")``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest

from lhv.core.errors import TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.device import pki

MODES = ("yes-man", "silent-after-accept", "silent-after-tls", "trickling", "huge", "malformed", "malformed-json",
         "echoing")
TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJob3N0aWxlLXllcy1tYW4iLCJleHAiOjQxMDI0NDQ4MDB9"
         ".aG9zdGlsZS15ZXMtbWFuLW5vdC1hLXJlYWwtc2lnbmF0dXJl")  # JWT-shaped, signed by no one
GARBAGE = b"\x00\x13\x37 SSH-2.0-definitely-not-http \xff\xfe\r\n\r\n"
_HEAD_LIMIT = 64 * 1024
_BODY_LIMIT = 16 * 1024 * 1024
_BLOCK = 1024 * 1024


@dataclass
class Seen:
    """A request as the hostile server read it."""

    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def huge_body(size: int) -> Iterator[bytes]:
    """Yields a JSON object of exactly size bytes (at least 16) in blocks of at most 1 MiB."""
    head, tail = b'{"padding": "', b'"}'
    filler = (b"hostile " * (_BLOCK // 8 + 1))[:_BLOCK]
    yield head
    left = size - len(head) - len(tail)
    while left > 0:
        yield filler[:min(left, _BLOCK)]
        left -= min(left, _BLOCK)
    yield tail


def huge_body_sha256(size: int, first: int | None = None) -> str:
    """Returns the SHA-256 of huge_body(size), or of its first `first` bytes."""
    digest, left = hashlib.sha256(), size if first is None else first
    for block in huge_body(size):
        digest.update(block[:left])
        left -= min(left, len(block))
    return digest.hexdigest()


def encodings(value: str) -> dict[str, str]:
    """Returns the forms in which the echoing mode repeats a value."""
    return {"raw": value, "json": json.dumps(value)[1:-1], "html": html.escape(value, quote=True),
            "percent": quote(value, safe=""), "base64": base64.b64encode(value.encode()).decode()}


class HostileServer:
    """A TLS (or plain TCP) server on 127.0.0.1 and a random port that misbehaves in one mode."""

    def __init__(self, mode: str, directory: Path, *, tls: bool = True, huge_bytes: int = 200 * 1000 * 1000,
                 trickle_interval_s: float = 2.0):
        if mode not in MODES:
            raise ValueError(f"unknown hostile mode {mode!r}; one of {', '.join(MODES)}")
        self.mode, self.tls, self.huge_bytes, self.trickle_interval_s = mode, tls, huge_bytes, trickle_interval_s
        issued = pki.issue(directory)
        self.ca_file = str(issued.ca_cert)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(issued.server_cert, issued.server_key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # how often the accept loop looks for stop()
        self.port = self._listener.getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.accepted = 0
        self.requests: list[Seen] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> HostileServer:
        """Starts accepting connections."""
        self._spawn(self._accept_loop)
        return self

    def stop(self, grace_s: float = 5.0) -> None:
        """Stops promptly: shuts every open connection so no handler stays blocked, then joins the threads."""
        self._stopping.set()
        with self._lock:
            live = list(self._live)
        for sock in live:
            _shut(sock)
        for thread in list(self._threads):
            thread.join(grace_s)
        self._listener.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"hostile-{self.mode}")
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            raw.settimeout(None)  # handlers block; stop() wakes them by shutting the socket
            self._spawn(self._serve, raw)

    def _serve(self, raw: socket.socket) -> None:
        conn = raw
        self._track(conn)
        try:
            if self.mode == "silent-after-accept":
                return self._hold(conn)
            if self.tls:
                conn = self._context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
                self._track(conn)  # the raw socket is detached now: stop() must reach the TLS one
                conn.do_handshake()
            seen = _read_request(conn)
            if seen is None:
                return None
            self.requests.append(seen)
            return getattr(self, "_" + self.mode.replace("-", "_"))(conn, seen)
        except (OSError, ValueError):
            return None  # the client went away, or stop() shut the socket
        finally:
            with self._lock:
                self._live.discard(raw)
                self._live.discard(conn)
            conn.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._live.add(sock)
        if self._stopping.is_set():
            _shut(sock)

    def _hold(self, conn: socket.socket) -> None:
        """Reads and ignores whatever comes until the client leaves or the server stops."""
        while not self._stopping.is_set() and conn.recv(4096):
            pass

    def _yes_man(self, conn: socket.socket, seen: Seen) -> None:
        body = {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600} if "login" in seen.target \
            or "token" in seen.target else {}
        _answer(conn, 200, "application/json", json.dumps(body).encode())

    def _silent_after_tls(self, conn: socket.socket, seen: Seen) -> None:
        self._hold(conn)

    def _trickling(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(_head(200, "application/json", 10**9))
        while not self._stopping.wait(self.trickle_interval_s):
            conn.sendall(b" ")  # JSON whitespace: each byte is a valid bit of an answer that never ends

    def _huge(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(_head(200, "application/json", self.huge_bytes))
        for block in huge_body(self.huge_bytes):
            if self._stopping.is_set():
                return
            conn.sendall(block)

    def _malformed(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(GARBAGE)

    def _malformed_json(self, conn: socket.socket, seen: Seen) -> None:
        _answer(conn, 200, "application/json", b"<html><body>Service temporarily unavailable</body></html>")

    def _echoing(self, conn: socket.socket, seen: Seen) -> None:
        values = [seen.headers.get("authorization", "")] + _keys_and_values(seen)
        forms = [encodings(value) for value in values if value]
        echo = {form: form for forms_of_one in forms for form in forms_of_one.values()}
        body = {"detail": "invalid request", "authorization": seen.headers.get("authorization"),
                "echo": echo, "forms": forms, "body": seen.body.decode("utf-8", "replace")}
        _answer(conn, 400, "application/json", json.dumps(body).encode())


def _shut(sock: socket.socket) -> None:
    try:  # the plain socket's shutdown: an SSLSocket's own would drop its TLS state under a blocked reader
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _read_request(conn: socket.socket) -> Seen | None:
    """Reads one HTTP/1.1 request with a Content-Length body (or none); None when the client left first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > _HEAD_LIMIT:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        # read the whole streamed body before answering: answering mid-upload resets the connection, a race
        while not body.endswith(b"0\r\n\r\n") and len(body) <= _BODY_LIMIT:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        return Seen(method, target, headers, _dechunk(body))
    length = min(int(headers.get("content-length", "0") or 0), _BODY_LIMIT)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return Seen(method, target, headers, body[:length])


def _dechunk(data: bytes) -> bytes:
    """Returns the payload of a chunked body."""
    out, at = b"", 0
    while True:
        end = data.index(b"\r\n", at)
        size = int(data[at:end].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[end + 2:end + 2 + size]
        at = end + 2 + size + 2


def _keys_and_values(seen: Seen) -> list[str]:
    """Returns every key and value of a form or JSON body (the raw text for anything else)."""
    text = seen.body.decode("utf-8", "replace")
    ctype = seen.headers.get("content-type", "")
    if "x-www-form-urlencoded" in ctype:
        return [part for pair in parse_qsl(text, keep_blank_values=True) for part in pair]
    if "json" in ctype:
        try:
            return list(_strings(json.loads(text)))
        except ValueError:
            pass
    return [text]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield value if isinstance(value, str) else json.dumps(value)


def _head(status: int, content_type: str, length: int) -> bytes:
    return (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()


def _answer(conn: socket.socket, status: int, content_type: str, body: bytes) -> None:
    conn.sendall(_head(status, content_type, len(body)) + body)


@pytest.fixture
def hostile_target(tmp_path_factory: pytest.TempPathFactory):
    """Starts hostile servers by mode, e.g. hostile_target("trickling", tls=False); all stop when the test ends."""
    started: list[HostileServer] = []

    def start(mode: str, **options: object) -> HostileServer:
        server = HostileServer(mode, tmp_path_factory.mktemp("hostile"), **options)  # type: ignore[arg-type]
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


SLACK_S = 8.0  # two busy cores: generous, never a race


def ends_within(bound_s: float, server: HostileServer, call):
    """Runs call; returns (its result or exception, seconds taken). Past bound_s the server is stopped and it fails."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 (the test judges what came out)
            outcome["value"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(bound_s)
    taken = time.monotonic() - started
    if worker.is_alive():
        server.stop()
        worker.join(30)
        pytest.fail(f"the request against the {server.mode} target was still running after {bound_s:g} s")
    return outcome["value"], taken


def in_case(call):
    """Runs call with a current evidence case; returns (result or exception, the case)."""
    case = CaseEvidence(steps=[Step(1, "hostile", "bounded", verdict="running")])
    token = CURRENT_CASE.set(case)
    try:
        try:
            return call(), case
        except TargetError as exc:
            return exc, case
    finally:
        CURRENT_CASE.reset(token)
