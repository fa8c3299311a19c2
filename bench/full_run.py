"""Items 1 and 5: one full `lhv verify` on the embedded device, timed and with its peak memory per process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.memory import TreeSampler
from bench.rows import Row, not_measured

FLOOR_GOAL = 1.5
MEMORY_GOAL_MIB = 400
RUN_BOUND_S = 420


@dataclass
class FullRun:
    """What one full run took: wall time, verdict, per-plan durations, and peak memory per process role."""

    wall_s: float
    exit_code: int
    verdict: str
    plan_durations: dict[str, tuple[str, float]]  # plan id → (verdict, seconds)
    harness_peak_mib: float | None
    role_peaks_mib: dict[str, tuple[float, int]]
    pacer_waits_s: dict[str, dict[str, float]]  # plan → "pacing" / "quiet client" → seconds
    rss_by_plan_mib: dict[str, float]  # plan → the harness's largest resident set while it ran
    redaction_images: dict[str, int]  # image texts the redaction registry held at the end: count, characters
    output_tail: str
    in_run_s: float = 0.0  # from the run's start to its end as its record says: without start-up and the record


def run_full_verify(repo: Path, args: Sequence[str] = (), *, bound_s: float = RUN_BOUND_S) -> FullRun:
    """Runs `lhv verify` (every plan; the embedded device unless args name a profile) in a child process and
    measures it."""
    with tempfile.TemporaryDirectory(prefix="lhv-bench-run-") as scratch:
        reports, probe_file = Path(scratch) / "reports", Path(scratch) / "probe.json"
        command = [sys.executable, "-m", "bench.verify_probe", str(probe_file), "--reports-dir", str(reports),
                   "--tester", "bench (python -m bench)", *args]
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        with TreeSampler(process.pid) as sampler:
            try:
                output, _ = process.communicate(timeout=bound_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise TimeoutError(f"lhv verify did not end within {bound_s:g} s") from None
        wall = time.monotonic() - started
        text = output.decode(errors="replace")
        results = next(reports.glob("*/results.json"), None)
        if results is None:
            raise RuntimeError(f"lhv verify wrote no results.json (exit {process.returncode}): {text[-600:]}")
        record = json.loads(results.read_text())
        probe = json.loads(probe_file.read_text()) if probe_file.is_file() else {}
    durations = {plan["id"]: (plan["verdict"], plan["duration_s"]) for plan in record["plans"]}
    roles = sampler.role_peaks_mib()
    roles.pop("harness", None)
    peak = probe["peak_rss_kib"] / 1024 if "peak_rss_kib" in probe else None
    by_plan = {plan: kib / 1024 for plan, kib in probe.get("rss_by_plan_kib", {}).items()}
    span = datetime.fromisoformat(record["finished_utc"]) - datetime.fromisoformat(record["started_utc"])
    return FullRun(wall, process.returncode, record["verdict"], durations, peak, roles, probe.get("pacer_waits_s", {}),
                   by_plan, probe.get("redaction_images", {}), text[-1500:], span.total_seconds())


def _growth(run: FullRun) -> list[tuple[str, float]]:
    """Returns the plans during which the harness's resident set rose above everything before, by how much."""
    order = ["before the plans", *sorted(p for p in run.rss_by_plan_mib if p.startswith("PLAN_")), "after the plans"]
    seen, rises = 0.0, []
    for plan in order:
        mib = run.rss_by_plan_mib.get(plan, 0.0)
        if seen and mib - seen >= 5:
            rises.append((plan, mib - seen))
        seen = max(seen, mib)
    return sorted(rises, key=lambda item: item[1], reverse=True)


def memory_rows(run: FullRun) -> list[Row]:
    """Returns item 5's row (the harness process) and informational rows for the processes it started."""
    if run.harness_peak_mib is None:
        return [not_measured("5", "peak RSS of the harness process (full run)",
                             "the harness process did not write its peak (it did not exit normally)",
                             f"< {MEMORY_GOAL_MIB} MiB")]
    rows = [Row("5", "peak RSS of the harness process (full run)", f"{run.harness_peak_mib:.0f} MiB",
                f"< {MEMORY_GOAL_MIB} MiB", run.harness_peak_mib < MEMORY_GOAL_MIB)]
    if run.rss_by_plan_mib:
        ranked = sorted(run.rss_by_plan_mib.items(), key=lambda item: item[1], reverse=True)
        rows[0].notes.append("largest resident set of the harness while each plan ran (sampled every 50 ms): "
                             + ", ".join(f"{plan} {mib:.0f} MiB" for plan, mib in ranked))
        growth = _growth(run)
        if growth:
            rows[0].notes.append("where it grew: " + ", ".join(f"{plan} +{mib:.0f} MiB" for plan, mib in growth)
                                 + " (over the largest seen in the plans before it)")
    images = run.redaction_images
    if images.get("count"):
        rows[0].notes.append(f"at the end the redaction registry (lhv.core.secrets.SECRETS) held {images['count']} "
                             f"image texts, {images['chars'] / 2**20:.0f} MiB of characters: it keeps every image "
                             "text registered during the run")
    if not rows[0].met:
        start = run.rss_by_plan_mib.get("before the plans")
        grown = _growth(run)
        held = images.get("chars", 0) / 2**20
        rows[0].notes.append(
            "why the goal is missed and what would close it: "
            + (f"the harness holds {start:.0f} MiB before the first plan (the interpreter with everything the "
               "pytest plugin and the plans import); " if start else "")
            + (f"{grown[0][0]} adds the most (+{grown[0][1]:.0f} MiB). " if grown else "")
            + "Running the largest consumer in a child process (as the device and Locust already are)"
            + (f", or letting the redaction registry forget image texts once their case is written ({held:.0f} MiB "
               "held at the end)" if held >= 10 else "") + ", would bring the peak down")
    for role, (peak, count) in sorted(run.role_peaks_mib.items()):
        plural = "es" if count > 1 else ""
        rows.append(Row("5", f"peak RSS of the {role} process (largest of {count} process{plural}, separate)",
                        f"{peak:.0f} MiB"))
    return rows
