"""Runs every benchmark, prints the table and writes bench/results.md; exits 0 whether goals are met or not.

Usage, from the repository root: .venv/bin/python -m bench [--only ITEM ...] [--output PATH]
With --only, only those items run and nothing is written unless --output names a file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import device_throughput, fuzz_vs_schemathesis, load_vs_wrk, mutation_campaign, schedule, uptime_rows
from bench.full_run import memory_rows, run_full_verify
from bench.machine import describe
from bench.results import write_results
from bench.rows import Row, not_measured, text_table

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.md"
ITEMS = ("1", "2", "3", "4", "5", "6", "7")
# item 3, the fuzzers' kills over ~60 devices, takes about an hour and item 7, the mutation campaign, hours: --only
DEFAULT_ITEMS = tuple(item for item in ITEMS if item not in ("3", "7"))
BUSY_LOAD = 0.5  # a 1-minute load average above this before the bench starts means other work shares the CPUs


def _full_run(sections: dict[str, list[str]]) -> list[Row]:
    try:
        run = run_full_verify(REPO)
        rows, sections["schedule"] = schedule.measure(REPO, run)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        return [not_measured("1", "full `lhv verify` ÷ its critical path", reason, f"≤ {schedule.GOAL}"),
                not_measured("5", "peak RSS of the harness process (full run)", reason, "< 400 MiB")]
    return rows + memory_rows(run)


def _guarded(item: str, name: str, measure: Callable[[], list[Row]]) -> Callable[[dict], list[Row]]:
    def run(_sections: dict[str, list[str]]) -> list[Row]:
        try:
            return measure()
        except Exception as exc:  # a broken measurement is reported, never a crash of the whole bench
            return [not_measured(item, name, f"{type(exc).__name__}: {exc}")]
    return run


STEPS: tuple[tuple[tuple[str, ...], str, Callable[[dict], list[Row]]], ...] = (
    (("1", "5"), "full lhv verify, scheduled and serial, on two profiles: time against the critical path, peak "
                 "memory", _full_run),
    (("2",), "Locust bursts against wrk on GET /health",
     _guarded("2", "Locust bursts ÷ wrk", load_vs_wrk.measure)),
    (("3",), "fuzzing against schemathesis run: targets killed with the same time budget",
     _guarded("3", fuzz_vs_schemathesis.NAME, fuzz_vs_schemathesis.measure)),
    (("4",), "uptime verdict over a month of probes", _guarded("4", "uptime verdict at scale",
                                                              uptime_rows.measure_rows)),
    (("6",), "reference device throughput per route", _guarded("6", "device throughput", device_throughput.measure)),
    (("7",), "mutation campaign: every generated mutant and fault", _guarded("7", "mutation score",
                                                                          mutation_campaign.measure)),
)


def main(argv: list[str] | None = None) -> int:
    """Runs the chosen items; returns 0."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=ITEMS, help="run only this item (repeatable)")
    parser.add_argument("--output", type=Path, help=f"where to write the results (default: {RESULTS}, full runs only)")
    args = parser.parse_args(argv)
    chosen = set(args.only or DEFAULT_ITEMS)
    output = args.output or (None if args.only else RESULTS)
    started, started_utc, load_before = time.monotonic(), datetime.now(UTC), os.getloadavg()
    machine = describe()
    rows: list[Row] = []
    loads: list[tuple[str, float]] = []  # the 1-minute load average as each item starts
    sections: dict[str, list[str]] = {}
    for items, title, step in STEPS:
        if not chosen.intersection(items):
            continue
        loads.append((title, os.getloadavg()[0]))
        print(f"[{time.monotonic() - started:5.0f} s] {title} … (load {loads[-1][1]:.2f})", flush=True)
        rows += [row for row in step(sections) if row.item in chosen]
    rows.sort(key=lambda row: ITEMS.index(row.item))
    elapsed = time.monotonic() - started
    print()
    print(text_table(rows))
    print(f"\nbench took {elapsed:.0f} s")
    if load_before[0] > BUSY_LOAD:
        print(f"warning: the machine was busy when the bench began (load {load_before[0]:.2f}): the numbers are "
              "not those of a quiet machine")
    if output is not None:
        command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
        write_results(output, rows, machine, sections, started_utc=started_utc, elapsed_s=elapsed,
                      load=(load_before, os.getloadavg()), loads=loads, command=command,
                      busy_load=BUSY_LOAD)
        print(f"results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
