"""Measures the availability verdict on a month of 10-second probes from 3 probers (~780,000 rows).

Usage, from the repository root: python -m bench.uptime_scale [--store-url URL] [--repeat N]
Without --store-url the month goes into a temporary SQLite store. Prints timings; asserts nothing.
`python -m bench` runs it on SQLite and on a throwaway PostgreSQL server (item 4).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lhv.uptime.store import Probe, ProbeStore, open_store
from lhv.uptime.verdict import Verdict, compute_availability

MONTH_START = datetime(2026, 4, 1, tzinfo=UTC)
MONTH_END = MONTH_START + timedelta(days=30)
INTERVAL_S = 10
PROBES_PER_PROBER = 30 * 86_400 // INTERVAL_S
PROBERS = ("eu-west", "us-east", "ap-south")
# Device outages every prober sees, as (first probe index, probes).
OUTAGES = ((40_000, 120), (150_000, 30), (230_000, 240))
UPGRADE_AT = 120_000  # the device version changes here
RESTART = ("us-east", range(90_000, 90_360))  # one prober is down for an hour


def month_of_probes(prober_id: str, rng: random.Random) -> list[Probe]:
    """Returns one prober's month: device outages, its own 0.3 % failures and an hour off for one prober."""
    outage = {i for first, count in OUTAGES for i in range(first, first + count)}
    skipped = set(RESTART[1]) if prober_id == RESTART[0] else set()
    probes = []
    for i in range(PROBES_PER_PROBER):
        if i in skipped:
            continue
        own_failure = rng.random() < 0.003
        down = i in outage or own_failure
        probes.append(
            Probe(
                prober_id=prober_id,
                probed_at=MONTH_START + timedelta(seconds=i * INTERVAL_S + 5),
                target="https://device.example/health",
                kind="health",
                outcome="down" if down else "up",
                latency_ms=None if down else rng.lognormvariate(5, 0.4),
                status=503 if i in outage else None if down else 200,
                error_class="5xx" if i in outage else "timeout" if down else None,
                device_version="2.1.0" if i < UPGRADE_AT else "2.2.0",
            )
        )
    return probes


def load(store: ProbeStore, say: Callable[[str], None] = print) -> int:
    """Fills the store with the month of all three probers; returns the number of probes stored."""
    rng = random.Random(18)
    stored = 0
    for prober_id in PROBERS:
        started = time.perf_counter()
        probes = month_of_probes(prober_id, rng)
        store.add_probes(probes)
        stored += len(probes)
        say(f"loaded {len(probes):,} probes of {prober_id} in {time.perf_counter() - started:.1f} s")
    store.add_maintenance(
        MONTH_START + timedelta(days=12), MONTH_START + timedelta(days=12, hours=2), "upgrade"
    )
    return stored


@dataclass(frozen=True)
class ScaleTiming:
    """How long the month's verdict took on one store, and what it said."""

    dialect: str
    rows: int
    load_s: float
    timings: list[float]
    verdict: Verdict

    @property
    def best_s(self) -> float:
        """Returns the fastest of the repeated verdicts."""
        return min(self.timings)

    @property
    def median_s(self) -> float:
        """Returns the median of the repeated verdicts."""
        return statistics.median(self.timings)


def measure(url: str, repeat: int, say: Callable[[str], None] = print) -> ScaleTiming:
    """Loads the month into the empty store at url and times compute_availability over it repeat times."""
    with open_store(url) as store:
        started = time.perf_counter()
        rows = load(store, say)
        load_s = time.perf_counter() - started
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            verdict = compute_availability(
                store, MONTH_START, MONTH_END, interval_s=INTERVAL_S, probe_timeout_s=5
            )
            timings.append(time.perf_counter() - started)
        return ScaleTiming(store.dialect, rows, load_s, timings, verdict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-url", help="an empty store to fill (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.store_url or f"sqlite:///{Path(scratch) / 'uptime-scale.sqlite3'}"
        timing = measure(url, args.repeat)
    verdict = timing.verdict
    print(
        f"{timing.dialect}: verdict over {verdict.probes:,} probes / {verdict.intervals.total:,} intervals:"
        f" best {timing.best_s:.3f} s, median {timing.median_s:.3f} s of {args.repeat}"
    )
    print(
        f"outcome {verdict.outcome}: {verdict.reason}; {len(verdict.incidents)} incidents,"
        f" {len(verdict.gaps)} gaps, versions {[v.version for v in verdict.versions]}"
    )


if __name__ == "__main__":
    main()
