"""Tests of the probe store on SQLite and PostgreSQL: schema, probes, prober runs, maintenance, queries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lhv.uptime.store import SCHEMA_VERSION, Probe, ProbeStore, open_store

T0 = datetime(2026, 4, 1, tzinfo=UTC)
TARGET = "https://device.example/health"


@pytest.fixture
def store(store_url: str) -> Iterator[ProbeStore]:
    with open_store(store_url) as opened:
        yield opened


def probe(seconds: float, outcome: str = "up", **fields: object) -> Probe:
    values: dict[str, object] = {"prober_id": "a", "target": TARGET, "kind": "health", "latency_ms": 120.5}
    values.update(fields)
    return Probe(probed_at=T0 + timedelta(seconds=seconds), outcome=outcome, **values)  # type: ignore[arg-type]


def test_opening_twice_migrates_once_and_keeps_data(store_url: str) -> None:
    with open_store(store_url) as first:
        assert first.schema_version() == SCHEMA_VERSION
        first.add_probes([probe(1)])
    with open_store(store_url) as second:
        assert second.schema_version() == SCHEMA_VERSION
        assert len(second.probes(T0, T0 + timedelta(minutes=1))) == 1
        assert second._db.run("SELECT COUNT(*) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_concurrent_opens_migrate_once(store_url: str) -> None:
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(store_url).close()
        except Exception as exc:  # collected for the main thread to assert on
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(store_url) as store:
        assert store._db.run("SELECT COUNT(*) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'wal.sqlite3'}") as store:
        assert store._db.run("PRAGMA journal_mode") == [("wal",)]


def test_probes_round_trip_in_time_order(store: ProbeStore) -> None:
    recorded = [
        probe(20, "down", latency_ms=None, status=None, error_class="connect"),
        probe(10, "degraded", status=200, device_version="2.1.0", latency_ms=1234.567, error_class="slow"),
        probe(15, prober_id="b", kind="transaction", status=503, outcome="down", error_class="5xx"),
    ]
    store.add_probes(recorded)
    assert store.probes(T0, T0 + timedelta(minutes=1)) == sorted(recorded, key=lambda p: p.probed_at)
    assert [p.prober_id for p in store.probes(T0, T0 + timedelta(minutes=1), prober_id="b")] == ["b"]
    assert [p.probed_at for p in store.probes(T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))] == [
        T0 + timedelta(seconds=10),
        T0 + timedelta(seconds=15),
    ]


def test_a_probe_recorded_twice_is_kept_once(store: ProbeStore) -> None:
    store.add_probes([probe(1)])
    store.add_probes([probe(1), probe(2)])
    assert len(store.probes(T0, T0 + timedelta(minutes=1))) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"outcome": "sideways"}, "outcome"),
        ({"kind": "ping"}, "kind"),
        ({"probed_at": datetime(2026, 4, 1)}, "naive"),
    ],
)
def test_malformed_probes_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "prober_id": "a",
        "probed_at": T0,
        "target": TARGET,
        "kind": "health",
        "outcome": "up",
    }
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        Probe(**values)  # type: ignore[arg-type]


def test_prober_runs_record_start_heartbeat_and_stop(store: ProbeStore) -> None:
    stopped = store.start_run("a", 10, at=T0)
    store.heartbeat(stopped, at=T0 + timedelta(minutes=5))
    store.stop_run(stopped, at=T0 + timedelta(minutes=6))
    crashed = store.start_run("a", 10, at=T0 + timedelta(minutes=8))
    store.heartbeat(crashed, at=T0 + timedelta(minutes=9))
    store.start_run("b", 10, at=T0 + timedelta(days=2))

    first, second = store.prober_runs(T0, T0 + timedelta(hours=1))
    assert (first.started_at, first.stopped_at, first.ended_at, first.interval_s) == (
        T0,
        T0 + timedelta(minutes=6),
        T0 + timedelta(minutes=6),
        10,
    )
    assert (second.stopped_at, second.ended_at) == (None, T0 + timedelta(minutes=9))
    with pytest.raises(KeyError):
        store.heartbeat(9999)


def test_maintenance_windows_overlapping_the_window_are_listed(store: ProbeStore) -> None:
    store.add_maintenance(T0 + timedelta(hours=1), T0 + timedelta(hours=2), "database upgrade")
    store.add_maintenance(T0 + timedelta(days=3), T0 + timedelta(days=3, hours=1), "later")
    (window,) = store.maintenance_windows(T0 + timedelta(minutes=90), T0 + timedelta(days=1))
    assert (window.starts_at, window.ends_at, window.reason) == (
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=2),
        "database upgrade",
    )
    with pytest.raises(ValueError, match="end after"):
        store.add_maintenance(T0, T0, "empty")


def test_interval_states_return_covered_runs_and_intervals_not_plainly_up(store: ProbeStore) -> None:
    store.add_probes(
        [
            probe(5),
            probe(15, "down", error_class="5xx"),
            probe(16, prober_id="b"),  # another prober saw interval 1 up
            probe(25, "down", error_class="5xx"),
            probe(35, "degraded"),
            probe(55, latency_ms=31_000),  # slower than the timeout: down
        ]
    )
    states = store.interval_states(T0, T0 + timedelta(minutes=1), 10, timeout_s=30, kind=None)
    assert states.covered == [(0, 4), (5, 6)]
    assert states.not_up == [(2, 0), (3, 1), (5, 0)]
    assert (
        store.interval_states(T0, T0 + timedelta(minutes=1), 10, timeout_s=30, kind="transaction").covered
        == []
    )


def test_failures_and_latency_histogram_are_grouped_per_interval(store: ProbeStore) -> None:
    store.add_probes(
        [
            probe(1, latency_ms=0.4),
            probe(2, latency_ms=999.9, prober_id="b"),
            probe(3, latency_ms=1000.0, prober_id="c"),
            probe(11, latency_ms=12_345.0),
            probe(12, "down", error_class="dns", prober_id="b", latency_ms=None),
            probe(13, latency_ms=40_000.0, prober_id="c"),
        ]
    )
    end = T0 + timedelta(seconds=20)
    assert store.latency_histogram(T0, end, 10, timeout_s=30, kind=None) == [
        (0, 1, 1),
        (0, 1000, 1),
        (0, 1010, 1),
        (1, 12_400, 1),
    ]
    assert store.failure_classes(T0, end, 10, timeout_s=30, kind=None) == [
        (1, "b", "dns", 1),
        (1, "c", "timeout", 1),
    ]


def test_tallies_and_versions_seen(store: ProbeStore) -> None:
    store.add_probes(
        [
            probe(1, device_version="2.0.0"),
            probe(2, device_version="2.0.0", prober_id="b"),
            probe(86_400 + 3, device_version="2.1.0"),
            probe(86_400 + 4, "down", error_class="connect"),
        ]
    )
    end = T0 + timedelta(days=2)
    assert [
        (t.prober_id, t.outcome, t.device_version, t.probes) for t in store.tallies(T0, end, kind=None)
    ] == [
        ("a", "down", None, 1),
        ("a", "up", "2.0.0", 1),
        ("a", "up", "2.1.0", 1),
        ("b", "up", "2.0.0", 1),
    ]
    assert store.first_and_last_seen(T0, end, "2.0.0", kind=None) == (
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=2),
    )
    assert store.first_and_last_seen(T0, end, None, kind=None) == (T0 + timedelta(seconds=86_404),) * 2
    assert store.first_and_last_seen(T0, end, "9.9.9", kind=None) is None


def test_unsupported_store_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        open_store("mysql://localhost/probes")
