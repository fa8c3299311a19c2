"""Prober loop that records probes and its own runs, and classification of probe failures."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

from lhv.core.bounds import DeadlinePassed
from lhv.uptime.store import Probe, ProbeStore


class ProbeResultLike(Protocol):
    """What a probe function reports about one probe."""

    @property
    def outcome(self) -> str: ...

    @property
    def status(self) -> int | None: ...

    @property
    def latency_ms(self) -> float | None: ...

    @property
    def error_class(self) -> str | None: ...

    @property
    def device_version(self) -> str | None: ...


class Clock(Protocol):
    """The time a prober keeps: the wall clock, or a virtual one in tests."""

    def now(self) -> float:
        """Returns the current time in seconds since the Unix epoch."""

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Waits seconds or until stop is set; tells whether stop is set."""


class WallClock:
    """The real time: the system clock, and waits on the stop event."""

    def now(self) -> float:
        return time.time()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)


WALL_CLOCK = WallClock()


@dataclass(frozen=True)
class ProbeResult:
    """The result of one probe, before the prober stamps it with who, when and what."""

    outcome: str
    status: int | None = None
    latency_ms: float | None = None
    error_class: str | None = None
    device_version: str | None = None


def run_prober(
    store: ProbeStore,
    prober_id: str,
    probe_fn: Callable[[], ProbeResultLike],
    *,
    interval_s: float,
    target: str,
    kind: str = "health",
    duration_s: float | None = None,
    max_probes: int | None = None,
    stop_event: threading.Event | None = None,
    clock: Clock = WALL_CLOCK,
) -> int:
    """Probes every interval_s until duration_s, max_probes or stop_event ends it; returns probes recorded.

    The run is recorded (start, a heartbeat per probe, stop) so time without a running prober shows
    as a gap. Probes start mid-interval on the wall-clock grid of interval_s, so clock jitter does not
    move them into a neighbouring interval of a verdict that uses the same interval. An exception from
    probe_fn is the prober's own fault, not the device's: it ends the run and propagates. Every time (the
    schedule, the probes' and the run's timestamps) comes from clock.
    """
    stop = stop_event or threading.Event()
    deadline = None if duration_s is None else clock.now() + duration_s
    run_id = store.start_run(prober_id, interval_s, at=_utc(clock.now()))
    recorded = 0
    try:
        while max_probes is None or recorded < max_probes:
            next_at = _next_slot(clock.now(), interval_s)
            if deadline is not None and next_at >= deadline:
                break
            if clock.wait(stop, max(0.0, next_at - clock.now())):
                break
            probed_at = _utc(clock.now())
            result = probe_fn()
            store.add_probes(
                [
                    Probe(
                        prober_id=prober_id,
                        probed_at=probed_at,
                        target=target,
                        kind=kind,
                        outcome=result.outcome,
                        latency_ms=result.latency_ms,
                        status=result.status,
                        error_class=result.error_class,
                        device_version=result.device_version,
                    )
                ]
            )
            store.heartbeat(run_id, at=_utc(clock.now()))
            recorded += 1
    finally:
        store.stop_run(run_id, at=_utc(clock.now()))
    return recorded


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _next_slot(now: float, interval_s: float) -> float:
    """Returns the first time after now that lies in the middle of an interval of the wall-clock grid."""
    half = interval_s / 2
    return ((now - half) // interval_s + 1) * interval_s + half


def classify_exception(exc: BaseException) -> str:
    """Returns the error class of a failed request: timeout, tls, dns, connect, protocol or network."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError | DeadlinePassed):
        return "timeout"
    # httpx raises its own exception from the OS or ssl one, which names the real cause.
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(cause, socket.gaierror):
            return "dns"
        if isinstance(cause, TimeoutError):
            return "timeout"
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return "connect"
    if isinstance(exc, httpx.ProtocolError):
        return "protocol"
    return "network"


def _chain(exc: BaseException) -> list[BaseException]:
    """Returns exc and the exceptions it was raised from or during, nearest first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def classify_response(status: int, body_ok: bool, *, slow: bool = False) -> tuple[str, str | None]:
    """Returns (outcome, error class) of a probe that got an HTTP response.

    A 2xx with the expected body is up, or degraded ("slow") when slow; a 2xx with another body is down
    ("bad_body"); any other status is down, classed by its hundred ("3xx", "4xx", "5xx").
    """
    if not 200 <= status < 300:
        return "down", f"{status // 100}xx"
    if not body_ok:
        return "down", "bad_body"
    return ("degraded", "slow") if slow else ("up", None)
