"""Several prober processes open one fresh SQLite store at the same moment and all their writes arrive."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
import traceback
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from lhv.uptime.store import SCHEMA_VERSION, Probe, open_store

PROCESSES = 4
# Processes race when they open a fresh file, so each round opens a new one. In the first round the test
# holds the file's write lock, as an opener switching it to WAL does, while the probers open: the losing
# interleaving every time, however busy the machine. The other rounds are free races.
ROUNDS = 20
HOLD_S = 1.0
PROBES = 10
T0 = datetime(2026, 4, 1, tzinfo=UTC)
BOUND_S = 120  # a generous bound for every wait: the suite shares two busy cores


def prober(prober_id: str, urls: list[str], barrier: Barrier, errors: Queue) -> None:
    """Opens each store as soon as every prober is ready, then records a run, probes and heartbeats."""
    for url in urls:
        barrier.wait(BOUND_S)
        try:
            with open_store(url) as store:
                run_id = store.start_run(prober_id, 1, at=T0)
                for second in range(PROBES):
                    at = T0 + timedelta(seconds=second)
                    store.add_probes([Probe(prober_id, at, "https://device.example/health", "health", "up")])
                    store.heartbeat(run_id, at=at)
                store.stop_run(run_id, at=T0 + timedelta(seconds=PROBES))
        except Exception:  # reported to the test process, which asserts there were none
            errors.put(f"{prober_id} on {url}: {traceback.format_exc()}")
    errors.put(None)


def test_prober_processes_open_one_fresh_sqlite_store_together(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / f'round-{n}.sqlite3'}" for n in range(ROUNDS)]
    context = multiprocessing.get_context("spawn")  # separate interpreters, as real probers are
    barrier, errors = context.Barrier(PROCESSES + 1), context.Queue()  # the probers and this test
    processes = [
        context.Process(target=prober, args=(f"p{n}", urls, barrier, errors)) for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        holder = sqlite3.connect(urls[0].removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        barrier.wait(BOUND_S)
        time.sleep(HOLD_S)  # the probers open meanwhile; how soon they do cannot change what must happen
        holder.execute("COMMIT")
        holder.close()
        for _ in urls[1:]:
            barrier.wait(BOUND_S)
        reports = []
        while reports.count(None) < PROCESSES:
            reports.append(errors.get(timeout=BOUND_S))
        for process in processes:
            process.join(BOUND_S)
    finally:
        for process in processes:
            if process.is_alive():  # only when a wait above gave up
                process.kill()
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert [r for r in reports if r is not None] == []

    for url in urls:
        with open_store(url) as store:
            assert store._db.run("SELECT COUNT(*) FROM schema_version") == [(SCHEMA_VERSION,)]
            assert store._db.run("PRAGMA journal_mode") == [("wal",)]
            probes = store.probes(T0, T0 + timedelta(minutes=1))
            assert sorted((p.prober_id, p.probed_at) for p in probes) == sorted(
                (f"p{n}", T0 + timedelta(seconds=s)) for n in range(PROCESSES) for s in range(PROBES)
            )
            runs = store.prober_runs(T0, T0 + timedelta(minutes=1))
            assert sorted((r.prober_id, r.stopped_at) for r in runs) == [
                (f"p{n}", T0 + timedelta(seconds=PROBES)) for n in range(PROCESSES)
            ]
