"""Writes bench/results.md: when and where the run was, the table, how each item is measured, and the notes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bench import fuzz_vs_schemathesis
from bench.rows import Row, markdown_table

METHOD = {
    "1": "Wall time of one `lhv verify` (every plan) from starting the process to its exit, scheduled (the default: "
         "plans at the same time where their claims allow) and with --serial, each divided by the critical path: "
         "the plans' waits under the profile, scheduled under the plans' claims as `lhv verify` schedules them "
         "(`bench/schedule.py`; derivation below), on the embedded profile and on a preproduction-like one (60 s "
         "windows, 60 s tokens, a 5 s lock, the contract's limits).",
    "2": "Requests per second of the harness's own Locust burst (`lhv.load.burst.LoadDriver`, the locustfile "
         "PLAN_006/007 use) sending its maximum burst of GET /health over HTTPS to a reference device with the "
         "rate limits lifted, counted from the first send to the last answer; divided by the mean of wrk's rate "
         "on the same URL just before and just after, with the same number of connections.",
    "3": fuzz_vs_schemathesis.METHOD,
    "4": "`compute_availability` over a calendar month of 10-second health probes from three probers "
         "(~780,000 rows, with outages, a prober restart and a maintenance window: `bench/uptime_scale.py`), "
         "in a SQLite file and in a throwaway PostgreSQL server (fsync off), best of three after loading.",
    "5": "Peak RSS (getrusage ru_maxrss, exact) of the harness process during the full run of item 1; the "
         "device, Locust and other processes it starts are sampled separately (their kernel high-water mark, "
         "VmHWM, read every 50 ms).",
    "6": "wrk against each route of a reference device with rate limits lifted (2 threads, 4 connections, "
         "5 s each), counting only runs where every answer was 2xx; a logged-in token for the clinical routes.",
    "7": "The mutation score of the plans: killed ÷ (killed + survived) over the generated mutants of both dialects "
         "whose newest outcome the committed campaign evidence holds (verification/mutant_kills.json, merged by "
         "`lhv selftest --kills`), equivalents left out; a mutant is killed only when one of its plans failed on "
         "a check its clauses name. `python -m bench.mutation_campaign --run` runs the campaign first.",
}


def write_results(path: Path, rows: list[Row], machine: list[tuple[str, str]], sections: dict[str, list[str]], *,
                  started_utc: datetime, elapsed_s: float, load: tuple[tuple[float, ...], tuple[float, ...]],
                  loads: list[tuple[str, float]], command: str, busy_load: float) -> None:
    """Writes the Markdown results file."""
    before, after = load
    lines = ["# Benchmarks", "",
             f"Written by `{command}` (run from the repository root with `.venv/bin/python`) on "
             f"{started_utc.isoformat(timespec='seconds')}; the whole bench took {elapsed_s:.0f} s. Numbers are "
             "ratios of measurements taken in this one run on this one machine: absolute times drift between runs "
             "and machines. The bench reports; it gates nothing.", "",
             "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in machine]
    lines.append(f"| load average (1, 5, 15 min) | {_load(before)} at the start, {_load(after)} at the end |")
    lines.append("| 1-min load as each item began | " + "; ".join(f"{title}: {value:.2f}" for title, value in loads)
                 + " |")
    if before[0] > busy_load:
        lines += ["", f"**Warning:** the machine was busy when the bench began (1-minute load {before[0]:.2f} > "
                  f"{busy_load}): other work shared the CPUs, so these numbers are not those of a quiet machine."]
    lines += ["", "## Results", "", markdown_table(rows), ""]
    missed = [row for row in rows if row.met is False]
    lines.append(f"Goals missed: {', '.join(sorted({r.item for r in missed}))}." if missed else "Every goal measured "
                 "was met.")
    lines += ["", "## How each item is measured, and notes", ""]
    for item in sorted({row.item for row in rows}):
        lines += [f"### Item {item}", "", METHOD.get(item, ""), ""]
        for row in (r for r in rows if r.item == item):
            lines += [f"- {row.name}: {note}" for note in row.notes]
        if item == "1" and "schedule" in sections:
            lines += ["", "How the critical path is derived (`bench/schedule.py` and `bench/floor.py` read the "
                      "profile; the plans' claims are read from the plan modules), plan by plan:", "",
                      *sections["schedule"]]
        lines.append("")
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _load(values: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)
