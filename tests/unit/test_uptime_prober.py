"""Tests of the prober loop (runs, restarts, bounds, two probers on one store) and failure classification."""

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

from lhv.uptime.prober import ProbeResult, classify_exception, classify_response, run_prober
from lhv.uptime.store import ProbeStore, epoch_ms, open_store, utc_from_ms
from lhv.uptime.verdict import compute_availability
from tests.pg import new_store_url, postgres_server

TARGET = "https://device.example/health"
INTERVAL_S = 0.1


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'probes.sqlite3'}"
    return new_store_url(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProbeStore]:
    with open_store(f"sqlite:///{tmp_path / 'probes.sqlite3'}") as opened:
        yield opened


def healthy() -> ProbeResult:
    return ProbeResult("up", status=200, latency_ms=42.0, device_version="2.1.0")


def grid_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Returns [start, end) widened to whole intervals of the prober's wall-clock grid."""
    step = round(INTERVAL_S * 1000)
    first = epoch_ms(start) // step * step
    last = -(-epoch_ms(end) // step) * step
    return utc_from_ms(first), utc_from_ms(last)


def test_records_probes_and_its_run(store: ProbeStore) -> None:
    before = datetime.now(UTC)
    assert run_prober(store, "a", healthy, interval_s=INTERVAL_S, target=TARGET, max_probes=3) == 3
    after = datetime.now(UTC)
    probes = store.probes(before - timedelta(seconds=1), after + timedelta(seconds=1))
    assert [
        (p.prober_id, p.target, p.kind, p.outcome, p.status, p.latency_ms, p.device_version) for p in probes
    ] == [("a", TARGET, "health", "up", 200, 42.0, "2.1.0")] * 3
    (run,) = store.prober_runs(before - timedelta(seconds=1), after + timedelta(seconds=1))
    assert run.prober_id == "a"
    assert run.interval_s == INTERVAL_S
    assert run.started_at <= probes[0].probed_at <= probes[-1].probed_at <= run.stopped_at  # type: ignore[operator]


def test_probes_start_mid_interval_on_the_wall_clock_grid(store: ProbeStore) -> None:
    run_prober(store, "a", healthy, interval_s=INTERVAL_S, target=TARGET, kind="transaction", max_probes=5)
    now = datetime.now(UTC)
    probes = store.probes(now - timedelta(seconds=5), now + timedelta(seconds=1))
    step = round(INTERVAL_S * 1000)
    assert len({epoch_ms(p.probed_at) // step for p in probes}) == 5
    assert all(step // 4 <= epoch_ms(p.probed_at) % step < step * 3 // 4 for p in probes)
    assert {p.kind for p in probes} == {"transaction"}


def test_duration_bounds_the_run(store: ProbeStore) -> None:
    started = time.monotonic()
    recorded = run_prober(store, "a", healthy, interval_s=INTERVAL_S, target=TARGET, duration_s=0.5)
    assert time.monotonic() - started < 1.0
    assert 4 <= recorded <= 5


def test_stop_event_ends_the_run_promptly(store: ProbeStore) -> None:
    stop = threading.Event()
    threading.Timer(0.35, stop.set).start()
    started = time.monotonic()
    recorded = run_prober(store, "a", healthy, interval_s=60, target=TARGET, stop_event=stop)
    assert time.monotonic() - started < 1.0
    assert recorded <= 1
    (run,) = store.prober_runs(
        datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=1)
    )
    assert run.stopped_at is not None


def test_a_failing_probe_function_ends_the_run_without_recording_downtime(store: ProbeStore) -> None:
    calls = iter([healthy(), RuntimeError("prober bug")])

    def probe() -> ProbeResult:
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    start = datetime.now(UTC)
    with pytest.raises(RuntimeError, match="prober bug"):
        run_prober(store, "a", probe, interval_s=INTERVAL_S, target=TARGET, max_probes=5)
    end = datetime.now(UTC) + timedelta(seconds=1)
    assert [p.outcome for p in store.probes(start, end)] == ["up"]
    (run,) = store.prober_runs(start, end)
    assert run.stopped_at is not None


def test_a_restart_leaves_a_gap_never_uptime(store: ProbeStore) -> None:
    start = datetime.now(UTC)
    run_prober(store, "a", healthy, interval_s=INTERVAL_S, target=TARGET, max_probes=3)
    time.sleep(0.6)  # the prober is down
    run_prober(store, "a", healthy, interval_s=INTERVAL_S, target=TARGET, max_probes=3)
    first, second = store.prober_runs(start - timedelta(seconds=1), datetime.now(UTC) + timedelta(seconds=1))
    assert (second.started_at - first.ended_at).total_seconds() >= 0.6

    window_start, window_end = grid_window(first.started_at, second.ended_at)
    verdict = compute_availability(
        store, window_start, window_end, interval_s=INTERVAL_S, probe_timeout_s=1, max_gap_s=60
    )
    prober_gap = next(g for g in verdict.prober_gaps if g.start == first.ended_at)
    assert (prober_gap.prober_id, prober_gap.end) == ("a", second.started_at)
    assert verdict.intervals.no_data >= 5
    assert verdict.intervals.up == 6
    assert any(
        g.start >= first.ended_at and g.end <= second.started_at + timedelta(seconds=INTERVAL_S)
        for g in verdict.gaps
    )


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

    start = datetime.now(UTC)
    stores = [open_store(store_url), open_store(store_url)]
    recorded: dict[str, int] = {}

    def run(prober_id: str, probe_store: ProbeStore, probe: Callable[[], ProbeResult]) -> None:
        recorded[prober_id] = run_prober(
            probe_store, prober_id, probe, interval_s=INTERVAL_S, target=TARGET, max_probes=10
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
        runs = judged.prober_runs(start - timedelta(seconds=1), datetime.now(UTC) + timedelta(seconds=1))
        window_start, window_end = grid_window(min(r.started_at for r in runs), max(r.ended_at for r in runs))
        verdict = compute_availability(
            judged, window_start, window_end, interval_s=INTERVAL_S, probe_timeout_s=1, max_gap_s=60
        )
    by_prober = {p.prober_id: p for p in verdict.probers}
    assert (by_prober["a"].probes, by_prober["b"].probes, by_prober["b"].failed) == (10, 10, 4)
    # Each prober probes once per interval, so wherever both have data a's success outvotes b's failure.
    assert by_prober["b"].failed_while_up + verdict.intervals.down == 4
    assert by_prober["b"].failed_while_up >= 2


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
