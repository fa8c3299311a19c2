"""Items 1 and 5: one full `lhv verify` on the embedded device, timed and with its peak memory per process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.burst_cost import BurstCost
from bench.floor import PlanFloor, run_floor
from bench.memory import TreeSampler
from bench.rows import Row, not_measured, ratio_row
from lhv.core.pacing import budgets_for
from lhv.session.profile import embedded_profile

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


def run_full_verify(repo: Path) -> FullRun:
    """Runs `lhv verify` (every plan, embedded device) in a child process and measures it."""
    with tempfile.TemporaryDirectory(prefix="lhv-bench-run-") as scratch:
        reports, probe_file = Path(scratch) / "reports", Path(scratch) / "probe.json"
        command = [sys.executable, "-m", "bench.verify_probe", str(probe_file), "--reports-dir", str(reports),
                   "--tester", "bench (python -m bench)"]
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        with TreeSampler(process.pid) as sampler:
            try:
                output, _ = process.communicate(timeout=RUN_BOUND_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise TimeoutError(f"lhv verify did not end within {RUN_BOUND_S} s") from None
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
    return FullRun(wall, process.returncode, record["verdict"], durations, peak, roles, probe.get("pacer_waits_s", {}),
                   by_plan, probe.get("redaction_images", {}), text[-1500:])


def floor_rows(run: FullRun, burst: BurstCost | None) -> tuple[list[Row], list[str]]:
    """Returns item 1's row (with where the time above the floor went) and the floor's derivation section."""
    ran = {plan for plan, (verdict, _) in run.plan_durations.items() if verdict != "not run"}
    floor, floors = run_floor(embedded_profile(), ran)
    ratio = run.wall_s / floor
    row = ratio_row("1", "full `lhv verify` (embedded device) ÷ its floor", ratio, f"≤ {FLOOR_GOAL}",
                    ratio <= FLOOR_GOAL, f"{run.wall_s:.1f} s ÷ {floor:.1f} s", FLOOR_GOAL)
    if run.exit_code != 0:
        row.notes.append(f"the run's verdict was {run.verdict} (exit {run.exit_code}): the time is of that run")
    row.notes += _above_floor(run, floor, floors, burst, needed=0.0 if row.met else run.wall_s - FLOOR_GOAL * floor)
    return [row], floor_section(run, floor, floors)


def _above_floor(run: FullRun, floor: float, floors: list[PlanFloor], burst: BurstCost | None, *,
                 needed: float) -> list[str]:
    """Returns notes that split the time above the floor into what was measured, and (when the goal is missed)
    what would close the gap."""
    in_plans = sum(seconds for _, seconds in run.plan_durations.values())
    waits = run.pacer_waits_s
    total_waits = sum(sum(kinds.values()) for kinds in waits.values())
    # PLAN_008's quiet-client wait is its floor: only the part beyond it is overhead
    floor_008 = next((f.seconds for f in floors if f.plan_id == "PLAN_008"), 0.0)
    pacer_extra = total_waits - min(waits.get("PLAN_008", {}).get("quiet client", 0.0), floor_008)
    bursts = sum(1 for plan in ("PLAN_006", "PLAN_007") if run.plan_durations.get(plan, ("not run",))[0] != "not run")
    exits = bursts * burst.exit_s if burst else 0.0
    outside = run.wall_s - in_plans
    notes = [f"{run.wall_s - floor:.1f} s above the floor: {outside:.1f} s outside the plans (interpreter and "
             f"pytest start, device start and stop, the record); {pacer_extra:.1f} s of rate-pacer waits beyond the "
             "floor (requests held under the profile's limits, quiet-client waits before bursts; counted in the "
             "harness process)" + (f"; about {exits:.1f} s of Locust exiting after the {bursts} bursts" if burst
                                   else "")
             + f"; {run.wall_s - floor - outside - pacer_extra - exits:.1f} s of the plans' own work and margins"]
    if burst is not None:
        notes.append(f"one harness burst ({burst.requests} requests, one Locust process, measured separately) takes "
                     f"{burst.start_s:.1f} s to start Locust, {burst.send_s:.2f} s to send and {burst.exit_s:.1f} s "
                     "from the last answer until Locust has exited")
    notes.append(f"if the pacer's waits were counted as floor too (the plans' requests held under the profile's "
                 f"limits), the ratio would be {run.wall_s / (floor + pacer_extra):.2f} ({run.wall_s:.1f} s ÷ "
                 f"{floor + pacer_extra:.1f} s)")
    if needed > 0:
        limits = embedded_profile().limits
        pacing_007 = waits.get("PLAN_007", {}).get("pacing", 0.0)
        after_008 = {plan: kinds.get("pacing", 0.0) for plan, kinds in waits.items() if plan > "PLAN_008"}
        first_after = min(after_008, default=None)
        candidates: list[tuple[float, str]] = []  # (seconds it would save, what and how)
        if burst is not None and burst.exit_s > 0.5:
            candidates.append((burst.exit_s * bursts, f"Locust's exit after each burst ({burst.exit_s:.1f} s × "
                               f"{bursts}): the burst user (lhv/load/locustfile.py) sleeps after asking Locust to "
                               "quit, so Locust waits out its --stop-timeout of 2 s; ending the task with StopUser (or "
                               "--stop-timeout 0) removes it"))
        if pacing_007 > 0.5:
            candidates.append((pacing_007, f"the pacer waits in PLAN_007 ({pacing_007:.1f} s): lhv/harness/bursts.py "
                               "records a burst as spending the budget when Locust has exited, not when the burst was "
                               "sent, so the next requests in that scope wait out a window that has already passed on "
                               "the device; recording at the last send time removes it"))
        if first_after and after_008[first_after] > 0.5:
            window = max(budget.window_s for budget in budgets_for(
                limits.anonymous_requests, limits.authenticated_requests, limits.window_seconds,
                limits.tolerance).values())
            saved = min(window, after_008[first_after])
            candidates.append((saved, f"up to {saved:.1f} s of the pacer's {after_008[first_after]:.1f} s in "
                               f"{first_after}: PLAN_008 leaves both budgets spent, so the next plan's first requests "
                               "wait out the pacer's window; running PLAN_008 last (or a plan without requests after "
                               "it) avoids it"))
        saved_total = sum(seconds for seconds, _ in candidates)
        text = f"to meet the goal the run must lose {needed:.1f} s."
        if candidates:
            text += (f" Measured in this run and avoidable ({saved_total:.1f} s together): "
                     + "; ".join(what for _, what in candidates) + ".")
        own_work = run.wall_s - floor - outside - pacer_extra - exits
        if saved_total < needed and pacer_extra >= own_work:
            text += (f" That is not enough: the rest is mostly the rate pacer ({pacer_extra:.1f} s beyond the floor), "
                     "which holds the plans' requests under the embedded profile's small limits ("
                     f"{limits.anonymous_requests} anonymous and {limits.authenticated_requests} authenticated "
                     f"requests per {limits.window_seconds:g} s). Larger embedded limits would cut most of it; "
                     "the bursts of PLAN_006–008 grow with the limits, but a Locust burst sends hundreds of "
                     "requests a second (item 2 measures its rate)")
        elif saved_total < needed:
            text += (f" That is not enough: the rest is mostly the plans' own work ({own_work:.1f} s: requests, "
                     "their checks and the evidence kept for them; the per-plan table below shows where), then "
                     f"{outside:.1f} s outside the plans and {pacer_extra:.1f} s of pacer waits. Closing it means "
                     "fewer checks per run (smaller fuzzing and property budgets in the profile), not a faster "
                     "harness")
        notes.append(text)
    return notes


def floor_section(run: FullRun, floor: float, floors: list[PlanFloor]) -> list[str]:
    """Returns Markdown lines: per plan, its floor, how it is derived, what it took and the pacer's waits in it."""
    by_plan = {f.plan_id: f for f in floors}
    lines = ["| plan | verdict | took | floor | above floor | of which pacer waits | floor derivation (embedded "
             "profile) |", "|---|---|---|---|---|---|---|"]
    for plan, (verdict, seconds) in sorted(run.plan_durations.items()):
        item = by_plan.get(plan)
        floor_s = item.seconds if item else 0.0
        waits = run.pacer_waits_s.get(plan, {})
        waited = ", ".join(f"{kind} {value:.1f} s" for kind, value in sorted(waits.items()) if value >= 0.05) or "—"
        lines.append(f"| {plan} | {verdict} | {seconds:.1f} s | {floor_s:g} s | {seconds - floor_s:.1f} s | {waited} "
                     f"| {item.derivation if item else 'no wait set by the profile'} |")
    in_plans = sum(seconds for _, seconds in run.plan_durations.values())
    lines += ["", f"Sum of the plans' own durations: {in_plans:.1f} s; outside the plans: "
              f"{run.wall_s - in_plans:.1f} s; whole run: {run.wall_s:.1f} s; floor: {floor:.1f} s."]
    return lines


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
