"""Bounds on every HTTP exchange with a target: a whole-request deadline, and a cap on the body kept.

httpx only times each socket operation, so a target that trickles a byte now and then, or never finishes a
handshake slowly enough, holds a run for ever. Clients made by `bounded_client` clamp every connect,
handshake, write and read to the time left before the deadline of the request in progress (set with
`deadline`); once it has passed, the next operation raises DeadlinePassed and the connection is dropped.
Name resolution (getaddrinfo) is the one step outside the clamp: the system resolver bounds it.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import httpcore
import httpx

from lhv.core.errors import TargetError

MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # an answer's body kept whole by default (target.max_response_bytes)
_WRITE_PIECE = 16 * 1024  # a write is clamped piece by piece, so a slow reader cannot stretch one past the deadline
_T = TypeVar("_T")


class DeadlinePassed(TargetError):
    """The target did not finish its answer within the whole-request deadline."""


class Deadline:
    """The monotonic instant by which one request must be done."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.at = clock() + seconds

    def left(self) -> float:
        """Returns the seconds left (negative once passed)."""
        return self.at - self.clock()

    def passed(self) -> DeadlinePassed:
        """Returns the error that names this deadline."""
        return DeadlinePassed(f"no whole answer within the request deadline of {self.seconds:g} s "
                              f"(target.request_deadline_seconds)")

    def check(self) -> None:
        """Raises DeadlinePassed once the deadline has passed."""
        if self.left() <= 0:
            raise self.passed()


_CURRENT: ContextVar[Deadline | None] = ContextVar("lhv_request_deadline", default=None)


@contextmanager
def deadline(seconds: float, clock: Callable[[], float] = time.monotonic) -> Iterator[Deadline]:
    """Bounds every socket operation of bounded clients in this context (this thread) by one deadline."""
    current = Deadline(seconds, clock)
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def _clamped(operation: Callable[[float | None], _T], timeout: float | None) -> _T:
    """Runs a socket operation with its timeout cut to the time the current deadline leaves."""
    current = _CURRENT.get()
    if current is None:
        return operation(timeout)
    left = current.left()
    if left <= 0:
        raise current.passed()
    if timeout is not None and timeout <= left:
        return operation(timeout)
    try:
        return operation(left)
    except httpcore.TimeoutException:
        raise current.passed() from None


class _BoundedStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _clamped(lambda limit: self._inner.read(max_bytes, limit), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_PIECE):
            piece = buffer[start:start + _WRITE_PIECE]
            _clamped(lambda limit, piece=piece: self._inner.write(piece, limit), timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        try:
            return _BoundedStream(_clamped(lambda limit: self._inner.start_tls(ssl_context, server_hostname, limit),
                                           timeout))
        except httpcore.ConnectTimeout as exc:
            # The TCP connection was accepted: a handshake that never completes is no refusal.
            raise httpcore.ConnectError(f"TLS handshake not completed in time ({exc})") from exc

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    """Opens bounded streams over another backend."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _BoundedStream(_clamped(
            lambda limit: self._inner.connect_tcp(host, port, limit, local_address, socket_options), timeout))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _BoundedStream(_clamped(lambda limit: self._inner.connect_unix_socket(path, limit, socket_options),
                                       timeout))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bounded_client(**options: Any) -> httpx.Client:
    """Returns an httpx.Client (same options, proxies from the environment included) whose requests end by
    the deadline of the `deadline` context they are sent in."""
    client = httpx.Client(**options)
    # httpx offers no public way to choose the network backend: set it on each connection pool, and refuse
    # to run unbounded if a new httpx or httpcore moved it.
    for transport in [client._transport, *client._mounts.values()]:  # noqa: SLF001
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        if not isinstance(getattr(pool, "_network_backend", None), httpcore.NetworkBackend):
            raise RuntimeError(f"cannot bound requests through {type(transport).__name__}: httpx/httpcore changed")
        pool._network_backend = _BoundedBackend(pool._network_backend)  # noqa: SLF001
    return client


class Body:
    """A body as it streams in: its first `limit` bytes kept (or its last, with tail=True), and the size and
    SHA-256 of every byte received."""

    def __init__(self, limit: int, *, tail: bool = False):
        self.limit, self.tail = limit, tail
        self.size = 0
        self._kept = bytearray()
        self._hash = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        """Takes the next chunk."""
        self.size += len(chunk)
        self._hash.update(chunk)
        if self.tail:
            self._kept += chunk
            if len(self._kept) > 2 * self.limit:  # trimmed now and then, not per chunk: no quadratic copying
                del self._kept[:-self.limit]
        elif len(self._kept) < self.limit:
            self._kept += chunk[:self.limit - len(self._kept)]

    @property
    def kept(self) -> bytes:
        """The bytes kept."""
        return bytes(self._kept[-self.limit:] if self.tail else self._kept)

    @property
    def truncated(self) -> bool:
        """Whether more came than was kept."""
        return self.size > self.limit

    @property
    def sha256(self) -> str:
        """The SHA-256 of every byte received."""
        return self._hash.hexdigest()


def read_capped(response: httpx.Response, body: Body, current: Deadline) -> None:
    """Streams a response into body, checking the deadline between chunks; a head-kept body stops reading
    (and the connection is dropped) once its limit is passed, so an endless answer costs no more."""
    for chunk in response.iter_bytes():
        body.add(chunk)
        current.check()
        if body.truncated and not body.tail:
            return


def default_deadline(timeout_seconds: float) -> float:
    """Returns the default whole-request deadline: three timeouts (connect, send, answer), at least 60 s."""
    return max(60.0, 3 * timeout_seconds)
