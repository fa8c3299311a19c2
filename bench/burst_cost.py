"""The fixed cost of one harness burst: Locust's start until it is ready, and its exit after the last answer."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.device import bench_device
from lhv.load.burst import BurstRequest, LoadDriver
from lhv.session.profile import embedded_profile


@dataclass(frozen=True)
class BurstCost:
    """Seconds from starting Locust until it is ready, sending the burst, and from the last answer to its exit."""

    requests: int
    start_s: float
    send_s: float
    exit_s: float


def measure_burst_cost() -> BurstCost:
    """Runs one burst the size of PLAN_006's on the embedded profile (N+1 requests) and times its phases."""
    limits = embedded_profile().limits
    size = limits.anonymous_requests + limits.tolerance + 1
    with bench_device() as device, tempfile.TemporaryDirectory(prefix="lhv-bench-burst-") as scratch:
        driver = LoadDriver(device.https_url, str(device.ca_cert), Path(scratch), consent=True)
        ready: list[float] = []
        started = time.monotonic()
        result = driver.run("BENCH", "burst-cost", [BurstRequest("anonymous", "GET", "/health")] * size,
                            time_bound_s=30, prepare=lambda: ready.append(time.monotonic()) or {})
        ended = time.monotonic()
    first, last = result.outcomes[0].sent, result.outcomes[-1].received
    # the outcome times are wall-clock times, the phases monotonic: the send phase comes from the outcomes
    send = last - first
    return BurstCost(size, ready[0] - started, send, (ended - ready[0]) - send)
