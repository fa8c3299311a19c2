"""Tests of the prober loop (runs, restarts, bounds, two probers on one store) and failure classification.

The loop runs on a virtual clock, so no test depends on how busy the machine is; one runs on the wall clock
with a probe-count bound, and one waits on a real stop event.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from lhv.uptime.prober import WALL_CLOCK, ProbeResult, classify_exception, classify_response, run_prober
from lhv.uptime.store import Probe, ProbeStore, epoch_ms, open_store, utc_from_ms
from lhv.uptime.verdict import Verdict, compute_availability

TARGET = "https://device.example/health"
INTERVAL_S = 0.1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProbeStore]:
    with open_store(f"sqlite:///{tmp_path / 'probes.sqlite3'}") as opened:
        yield opened


def healthy() -> ProbeResult:
    return ProbeResult("up", status=200, latency_ms=42.0, device_version="2.1.0")


T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a boundary of every interval's grid
PROBE_S = 0.042  # how long a probe takes on a virtual clock


class VirtualClock:
    """Virtual time for a prober: a wait passes at once unless stop is set, and probes take time."""

    def __init__(self, start: float = T0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        if not stop.is_set():
            self.time += seconds
        return stop.is_set()

    def taking(self, probe: Callable[[], ProbeResult], *seconds: float) -> Callable[[], ProbeResult]:
        """Returns probe taking PROBE_S of virtual time, or the given durations in turn."""
        durations = iter(seconds)

        def timed() -> ProbeResult:
            self.time += next(durations, PROBE_S)
            return probe()

        return timed


def run_virtual(
    clock: VirtualClock, store: ProbeStore, probe: Callable[[], ProbeResult] | None = None, **options: object
) -> int:
    """Runs prober "a" every INTERVAL_S on clock, by default with healthy probes taking PROBE_S."""
    settings: dict[str, object] = {"interval_s": INTERVAL_S, "target": TARGET, **options}
    timed = probe or clock.taking(healthy)
    return run_prober(store, "a", timed, clock=clock, **settings)  # type: ignore[arg-type]


def at(seconds: float) -> datetime:
    """Returns the moment seconds after T0, to the millisecond the store keeps."""
    return utc_from_ms(round((T0 + seconds) * 1000))


def offsets(probes: list[Probe]) -> list[float]:
    """Returns when each probe started, in seconds after T0."""
    return [round(epoch_ms(p.probed_at) / 1000 - T0, 3) for p in probes]


def judge(store: ProbeStore, end: datetime) -> Verdict:
    """Judges [T0, end) at the prober's interval."""
    return compute_availability(store, at(0), end, interval_s=INTERVAL_S, probe_timeout_s=1, max_gap_s=60)


def test_records_probes_and_its_run(store: ProbeStore) -> None:
    assert run_virtual(VirtualClock(), store, max_probes=3) == 3
    probes = store.probes(at(0), at(1))
    assert [
        (p.prober_id, p.target, p.kind, p.outcome, p.status, p.latency_ms, p.device_version) for p in probes
    ] == [("a", TARGET, "health", "up", 200, 42.0, "2.1.0")] * 3
    assert offsets(probes) == [0.05, 0.15, 0.25]
    (run,) = store.prober_runs(at(0), at(1))
    assert (run.prober_id, run.interval_s) == ("a", INTERVAL_S)
    assert (run.started_at, run.last_seen_at, run.stopped_at) == (at(0), at(0.292), at(0.292))


def test_probes_start_mid_interval_on_the_wall_clock_grid(store: ProbeStore) -> None:
    clock = VirtualClock(T0 + 0.0137)  # a prober starts anywhere in an interval
    # The third probe takes 0.25 s: the next starts mid-interval again; the intervals it overran stay empty.
    run_virtual(clock, store, clock.taking(healthy, PROBE_S, PROBE_S, 0.25), kind="transaction", max_probes=5)
    probes = store.probes(at(0), at(2))
    assert offsets(probes) == [0.05, 0.15, 0.25, 0.55, 0.65]
    assert {p.kind for p in probes} == {"transaction"}


def test_duration_bounds_the_run(store: ProbeStore) -> None:
    recorded = run_virtual(VirtualClock(), store, duration_s=0.5)
    assert recorded == 5  # mid-intervals 0.05 … 0.45 s; the next, 0.55 s, lies beyond the duration
    (run,) = store.prober_runs(at(0), at(1))
    assert run.stopped_at == at(0.492)


def test_a_stop_event_ends_a_real_wait_before_the_slot(store: ProbeStore) -> None:
    class FrozenNow:
        """The wall clock's wait, with a now fixed 30 s before the next slot of a 60 s grid."""

        def now(self) -> float:
            return T0

        def wait(self, stop: threading.Event, seconds: float) -> bool:
            return WALL_CLOCK.wait(stop, seconds)

    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    started = time.monotonic()
    recorded = run_prober(
        store, "a", healthy, interval_s=60, target=TARGET, stop_event=stop, clock=FrozenNow()
    )
    elapsed = time.monotonic() - started
    timer.join()
    # Ignoring the stop would wait the full 30 s for the slot; anything well below shows the stop ended it.
    assert elapsed < 20
    assert recorded == 0
    (run,) = store.prober_runs(at(-60), at(60))
    assert run.stopped_at == at(0)


def test_on_the_wall_clock_probes_are_recorded_one_per_interval(store: ProbeStore) -> None:
    """The real clock end to end; bounded by a probe count, so however late a probe starts nothing races."""
    interval_s = 0.05
    assert run_prober(store, "a", healthy, interval_s=interval_s, target=TARGET, max_probes=3) == 3
    (run,) = store.prober_runs(utc_from_ms(0), datetime.now(UTC) + timedelta(days=1))
    assert run.stopped_at is not None
    probes = store.probes(run.started_at, run.stopped_at + timedelta(milliseconds=1))
    assert len(probes) == 3
    step = round(interval_s * 1000)
    indices = [epoch_ms(p.probed_at) // step for p in probes]
    assert indices == sorted(set(indices))  # each in a later interval than the one before
    assert run.started_at <= probes[0].probed_at and probes[-1].probed_at <= run.stopped_at


def test_a_failing_probe_function_ends_the_run_without_recording_downtime(store: ProbeStore) -> None:
    calls = iter([healthy(), RuntimeError("prober bug")])

    def probe() -> ProbeResult:
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    clock = VirtualClock()
    with pytest.raises(RuntimeError, match="prober bug"):
        run_virtual(clock, store, clock.taking(probe), max_probes=5)
    assert [p.outcome for p in store.probes(at(0), at(1))] == ["up"]
    (run,) = store.prober_runs(at(0), at(1))
    assert run.stopped_at == at(0.192)


def test_a_restart_leaves_a_gap_never_uptime(store: ProbeStore) -> None:
    clock = VirtualClock()
    run_virtual(clock, store, max_probes=3)
    clock.time += 0.6  # the prober is down
    run_virtual(clock, store, max_probes=3)
    first, second = store.prober_runs(at(0), at(2))
    assert (first.ended_at, second.started_at) == (at(0.292), at(0.892))
    assert offsets(store.probes(at(0), at(2))) == [0.05, 0.15, 0.25, 0.95, 1.05, 1.15]

    verdict = judge(store, at(1.2))
    assert [(g.prober_id, g.start, g.end) for g in verdict.prober_gaps] == [
        ("a", at(0.292), at(0.892)),
        ("a", at(1.192), at(1.2)),
    ]
    assert (verdict.intervals.up, verdict.intervals.no_data, verdict.intervals.down) == (6, 6, 0)
    assert [(g.start, g.intervals) for g in verdict.gaps] == [(at(0.3), 6)]


def test_two_probers_write_to_one_store_and_one_probers_outage_is_not_downtime(store_url: str) -> None:
    def prober_with_outage() -> Callable[[], ProbeResult]:
        count = 0

        def probe() -> ProbeResult:
            nonlocal count
            count += 1
            if 3 <= count <= 6:
                return ProbeResult("down", error_class=classify_exception(httpx.ConnectError("refused")))
            return healthy()

        return probe

    stores = [open_store(store_url), open_store(store_url)]
    recorded: dict[str, int] = {}

    def run(prober_id: str, probe_store: ProbeStore, probe: Callable[[], ProbeResult]) -> None:
        clock = VirtualClock()  # each prober its own clock, both on the same grid; the writes are concurrent
        recorded[prober_id] = run_prober(
            probe_store, prober_id, clock.taking(probe), interval_s=INTERVAL_S, target=TARGET, max_probes=10,
            clock=clock,
        )

    threads = [
        threading.Thread(target=run, args=("a", stores[0], healthy)),
        threading.Thread(target=run, args=("b", stores[1], prober_with_outage())),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()

    assert recorded == {"a": 10, "b": 10}
    with open_store(store_url) as judged:
        verdict = judge(judged, at(1))
    by_prober = {p.prober_id: p for p in verdict.probers}
    assert (by_prober["a"].probes, by_prober["b"].probes, by_prober["b"].failed) == (10, 10, 4)
    # Both probe once in every interval, so a's success outvotes each of b's four failures.
    assert (by_prober["b"].failed_while_up, verdict.intervals.up, verdict.intervals.down) == (4, 10, 0)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def raw_server() -> Iterator[tuple[socket.socket, int]]:
    """A loopback TCP server that answers every connection with a plain HTTP response."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server, server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def failure_of(request: Callable[[], object]) -> BaseException:
    with pytest.raises(httpx.HTTPError) as caught:
        request()
    return caught.value


def test_refused_connection_is_connect(closed_port: int) -> None:
    exc = failure_of(lambda: httpx.get(f"http://127.0.0.1:{closed_port}/", timeout=2))
    assert classify_exception(exc) == "connect"


def test_tls_handshake_failure_is_tls(raw_server: tuple[socket.socket, int]) -> None:
    _, port = raw_server
    exc = failure_of(lambda: httpx.get(f"https://127.0.0.1:{port}/", timeout=2))
    assert classify_exception(exc) == "tls"


def test_read_timeout_is_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        exc = failure_of(lambda: httpx.get(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.2))
    assert classify_exception(exc) == "timeout"


def raised_from(exc: BaseException, cause: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "error_class"),
    [
        (raised_from(httpx.ConnectError("lookup"), socket.gaierror(-2, "Name or service not known")), "dns"),
        (
            raised_from(
                httpx.ConnectError("handshake"), ssl.SSLCertVerificationError("certificate verify failed")
            ),
            "tls",
        ),
        (httpx.ConnectTimeout("connect timed out"), "timeout"),
        (raised_from(httpx.ConnectError("stalled"), TimeoutError()), "timeout"),
        (httpx.RemoteProtocolError("server disconnected without sending a response"), "protocol"),
        (httpx.ReadError("connection reset by peer"), "network"),
        (ConnectionResetError(), "connect"),
    ],
)
def test_exception_classes(exc: BaseException, error_class: str) -> None:
    assert classify_exception(exc) == error_class


@pytest.mark.parametrize(
    ("status", "body_ok", "slow", "expected"),
    [
        (200, True, False, ("up", None)),
        (204, True, True, ("degraded", "slow")),
        (200, False, False, ("down", "bad_body")),
        (301, True, False, ("down", "3xx")),
        (404, True, False, ("down", "4xx")),
        (429, True, False, ("down", "4xx")),
        (503, True, False, ("down", "5xx")),
        (101, True, False, ("down", "1xx")),
    ],
)
def test_response_classes(status: int, body_ok: bool, slow: bool, expected: tuple[str, str | None]) -> None:
    assert classify_response(status, body_ok, slow=slow) == expected
