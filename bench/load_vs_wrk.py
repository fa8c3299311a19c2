"""Item 2: requests per second of the harness's Locust bursts on GET /health, against wrk in the same run.

Each pair runs the same load shape: the plans' default burst is one Locust user sending in sequence (wrk with one
thread and one connection); a distributed burst (limits.load_workers = n) is a master and n worker processes, each
with one user, that take their shares and tokens and hand their outcomes back as Locust messages (wrk with n
threads and n connections). wrk runs just before and just after the burst and the ratio uses the mean of the two,
so drift during the pair is shared. Both speak HTTPS with keep-alive to the same device URL.

A short run at a smaller scale: .venv/bin/python -m bench.load_vs_wrk --requests 1000 --wrk-seconds 3 --workers 4
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench import wrk
from bench.device import bench_device
from bench.rows import Row, not_measured, ratio_row, text_table
from lhv.load.burst import MAX_BURST_REQUESTS, BurstRequest, LoadDriver

GOAL = 0.7
WRK_SECONDS = 6
SHAPES = ((0, 1, "one Locust process, 1 user (the plans' default) ÷ wrk -t1 -c1"),
          (2, 2, "distributed Locust, master + 2 workers ÷ wrk -t2 -c2"),
          (4, 4, "distributed Locust, master + 4 workers ÷ wrk -t4 -c4"))


def measure(requests: int = MAX_BURST_REQUESTS, wrk_seconds: int = WRK_SECONDS,
            shapes: tuple[tuple[int, int, str], ...] = SHAPES) -> list[Row]:
    """Returns item 2's rows: the plans' default burst and the distributed ones, each against wrk."""
    names = [name for _, _, name in shapes]
    if not wrk.available():
        return [not_measured("2", name, wrk.INSTALL_HINT, f"≥ {GOAL}") for name in names]
    rows = []
    with bench_device() as device, tempfile.TemporaryDirectory(prefix="lhv-bench-load-") as scratch:
        url = device.https_url + "/health"
        wrk.run_wrk(url, threads=1, connections=1, seconds=1)  # warm-up: first TLS handshakes, lazy imports
        for workers, connections, name in shapes:
            try:
                rows.append(_pair(device.https_url, str(device.ca_cert), Path(scratch), workers, connections, name,
                                  requests, wrk_seconds))
            except Exception as exc:  # one shape failing says nothing about the others
                rows.append(not_measured("2", name, f"{type(exc).__name__}: {exc}", f"≥ {GOAL}"))
    missed = next((row for row in rows if row.met is False), None)
    if missed is not None:
        missed.notes.append(_why_missed(rows))
    return rows


def _why_missed(rows: list[Row]) -> str:
    cores = os.cpu_count() or 1
    return ("why the goal is missed here: the burst user (lhv/load/locustfile.py) is Locust's FastHttpUser "
            "(geventhttpclient), a Python interpreter per worker; in distributed mode a master and its worker "
            f"processes run beside the device on this machine's {cores} cores (load average {os.getloadavg()[0]:.1f} "
            "at the end), while wrk, written in C, needs little CPU; workers on other machines "
            "(python -m lhv.load.worker) relieve that")


def _pair(base_url: str, ca_file: str, scratch: Path, workers: int, connections: int, name: str, requests: int,
          wrk_seconds: int) -> Row:
    before = wrk.run_wrk(base_url + "/health", threads=connections, connections=connections, seconds=wrk_seconds)
    driver = LoadDriver(base_url, ca_file, scratch / f"record-{workers}", consent=True, workers=workers)
    burst = [BurstRequest("anonymous", "GET", "/health")] * requests
    result = driver.run("BENCH", f"health-{workers}", burst, time_bound_s=120)
    after = wrk.run_wrk(base_url + "/health", threads=connections, connections=connections, seconds=wrk_seconds)
    ok = [o for o in result.outcomes if o.status == 200]
    span = max(o.received for o in result.outcomes) - min(o.sent for o in result.outcomes)
    locust_rps, wrk_rps = len(ok) / span, (before.requests_per_s + after.requests_per_s) / 2
    ratio = locust_rps / wrk_rps
    row = ratio_row("2", name, ratio, f"≥ {GOAL}", ratio >= GOAL,
                    f"Locust {locust_rps:.0f}/s ÷ wrk {wrk_rps:.0f}/s", GOAL)
    row.notes.append(f"Locust: {len(ok)} of {len(result.outcomes)} requests got 200 in {span:.2f} s (first send to "
                     f"last answer); wrk: {before.requests_per_s:.0f}/s before and {after.requests_per_s:.0f}/s after "
                     f"({before.requests + after.requests} requests in {wrk_seconds} s each, latency avg "
                     f"{before.latency_avg}/{after.latency_avg})")
    if workers:
        row.notes.append("workers: " + ", ".join(f"{w['name']} ({w['requests']} requests)" for w in result.joined))
    if len(result.outcomes) > len(burst):
        row.notes.append(f"DEFECT: Locust sent {len(result.outcomes)} requests for {len(burst)} planned; a burst "
                         "sends each share once (see lhv/load/locustfile.py)")
    if len(ok) < len(result.outcomes) or not (before.clean and after.clean):
        row.notes.append(f"not every request succeeded: Locust {len(result.outcomes) - len(ok)} failures, wrk "
                         f"{before.non_2xx + after.non_2xx} non-2xx and {before.socket_errors + after.socket_errors} "
                         "socket errors")
    return row


def main(argv: list[str] | None = None) -> int:
    """Runs item 2 alone, at the scale given, and prints its rows; returns 0 whether the goals are met or not."""
    parser = argparse.ArgumentParser(prog="python -m bench.load_vs_wrk", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=MAX_BURST_REQUESTS, help="requests per Locust burst")
    parser.add_argument("--wrk-seconds", type=int, default=WRK_SECONDS, help="each wrk run's duration")
    parser.add_argument("--workers", type=int, action="append", choices=[shape[0] for shape in SHAPES],
                        help="only the shape with this many workers (0: one process); repeatable")
    args = parser.parse_args(argv)
    shapes = tuple(shape for shape in SHAPES if args.workers is None or shape[0] in args.workers)
    rows = measure(max(1, min(args.requests, MAX_BURST_REQUESTS)), max(1, args.wrk_seconds), shapes)
    print(text_table(rows))
    for row in rows:
        for note in row.notes:
            print(f"- {row.name}: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
