"""Item 1: a full run's wall time against the critical path of the profile's waits under the plans' claims.

The critical path: every plan takes only the time its profile makes it wait (bench/floor.py, plus PLAN_019's fuzzing
budget), and the plans are scheduled as `lhv verify`
schedules them (lhv.session.claims: claims, start order, plans at once). Its length is the least a run of those plans
can take under those claims with no work at all. The scheduled run is measured against it, the serial run (--serial)
beside it, on the embedded profile and on a preproduction-like one (60 s rate windows, 60 s tokens, a 5 s lock and
the contract's limits of 100 and 1,000 requests, on the same reference device).
"""

from __future__ import annotations

import importlib
import tempfile
from importlib import resources
from pathlib import Path

from bench.floor import plan_floors
from bench.full_run import FullRun, run_full_verify
from bench.rows import Row, not_measured, ratio_row
from lhv.harness.plugin import DEFAULT_JOBS
from lhv.session.claims import Claims, claims_of, simulate
from lhv.session.profile import Profile, embedded_profile, load_profile

GOAL = 1.3
PREPRODUCTION_BOUND_S = 1500  # a serial preproduction-like run waits about 9 minutes
# the embedded profile's keys a preproduction-like profile changes: the numbers of the issue and the contract's limits
PREPRODUCTION = {"token_lifetime_seconds = 10": "token_lifetime_seconds = 60",
                 "max_wait_seconds = 30": "max_wait_seconds = 120", "lockout_seconds = 3": "lockout_seconds = 5",
                 "anonymous_requests = 60": "anonymous_requests = 100",
                 "authenticated_requests = 150": "authenticated_requests = 1000",
                 "window_seconds = 3": "window_seconds = 60"}


def plan_claims() -> dict[str, Claims]:
    """Returns every plan's claims, read from the plan modules as the scheduler reads them."""
    found = {}
    for entry in resources.files("lhv.plans").iterdir():
        if entry.name.startswith("plan_") and entry.name.endswith(".py"):
            module = importlib.import_module(f"lhv.plans.{entry.name[:-3]}")
            found[module.PLAN_ID] = claims_of(module)
    return found


def plan_waits(profile: Profile) -> dict[str, tuple[float, str]]:
    """Returns each plan's waits under the profile (seconds, and how they follow from it)."""
    waits = {floor.plan_id: (floor.seconds, floor.derivation) for floor in plan_floors(profile)}
    waits["PLAN_019"] = (profile.fuzzing.seconds, f"fuzzing.seconds {profile.fuzzing.seconds:g}: the fuzzing's budget")
    return waits


def critical_path(profile: Profile, plans: set[str], jobs: int = DEFAULT_JOBS) -> tuple[float, list[str]]:
    """Returns the critical path of these plans' waits under their claims, and its derivation, one line a plan."""
    waits, claims = plan_waits(profile), plan_claims()
    chosen = {plan: claims[plan] for plan in sorted(plans)}
    durations = {plan: waits.get(plan, (0.0, ""))[0] for plan in chosen}
    slots = simulate(durations, chosen, jobs)
    lines = [f"- {slot.plan} {slot.start:g}–{slot.end:g} s: {waits[slot.plan][1]}"
             + (f" (holds alone: {'; '.join(sorted(chosen[slot.plan].alone))})" if chosen[slot.plan].alone else "")
             for slot in sorted(slots, key=lambda s: s.start) if slot.end > slot.start]
    return max((slot.end for slot in slots), default=0.0), lines


def _ran(run: FullRun) -> set[str]:
    return {plan for plan, (verdict, _) in run.plan_durations.items() if verdict not in ("not run", "waived")}


def _rows(label: str, scheduled: FullRun, serial: FullRun, profile: Profile) -> tuple[list[Row], list[str]]:
    path, lines = critical_path(profile, _ran(scheduled))
    ratio = scheduled.wall_s / path
    row = ratio_row("1", f"full `lhv verify`, scheduled ({label}) ÷ the critical path of its waits under the claims",
                    ratio, f"≤ {GOAL}", ratio <= GOAL, f"{scheduled.wall_s:.1f} s ÷ {path:.1f} s", GOAL)
    beside = ratio_row("1", f"the same plans with --serial ({label}) ÷ the same critical path, beside it",
                       serial.wall_s / path, "—", None, f"{serial.wall_s:.1f} s ÷ {path:.1f} s", GOAL)
    for measured, shown in ((scheduled, row), (serial, beside)):
        if measured.exit_code != 0:
            shown.notes.append(f"the run's verdict was {measured.verdict} (exit {measured.exit_code}): the time is of "
                               "that run")
    row.notes.append(f"serial ÷ scheduled: {serial.wall_s / scheduled.wall_s:.2f} ({serial.wall_s:.1f} s ÷ "
                     f"{scheduled.wall_s:.1f} s)")
    row.notes.append(f"from the run's start to its end as the record says (without the interpreter, pytest and "
                     f"device start-up before it, nor writing the record after it): {scheduled.in_run_s:.0f} s, "
                     f"{scheduled.in_run_s / path:.2f} of the critical path (serial {serial.in_run_s:.0f} s)")
    section = [f"Critical path, {label} ({path:.1f} s; at most {DEFAULT_JOBS} plans at once):", *lines]
    return [row, beside], section


def measure(repo: Path, embedded_run: FullRun | None = None) -> tuple[list[Row], list[str]]:
    """Measures item 1 on both profiles: scheduled and serial runs, each against the critical path."""
    rows, sections = [], []
    scheduled = embedded_run or run_full_verify(repo)
    serial = run_full_verify(repo, ["--serial"])
    found, lines = _rows("embedded profile", scheduled, serial, embedded_profile())
    rows, sections = rows + found, sections + lines + [""]
    try:
        with tempfile.TemporaryDirectory(prefix="lhv-bench-profile-") as folder:
            profile_file = preproduction_profile(Path(folder))
            args = ["--profile", str(profile_file)]
            scheduled = run_full_verify(repo, args, bound_s=PREPRODUCTION_BOUND_S)
            serial = run_full_verify(repo, [*args, "--serial"], bound_s=PREPRODUCTION_BOUND_S)
            found, lines = _rows("preproduction-like profile", scheduled, serial, load_profile(profile_file))
    except Exception as exc:  # reported in the table, never a crash of the bench
        return rows + [not_measured("1", "full `lhv verify`, scheduled (preproduction-like profile) ÷ its critical "
                                    "path", f"{type(exc).__name__}: {exc}", f"≤ {GOAL}")], sections
    return rows + found, sections + lines


def preproduction_profile(folder: Path) -> Path:
    """Writes the embedded profile with the preproduction-like numbers; returns its path."""
    text = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")
    for old, new in PREPRODUCTION.items():
        if old not in text:
            raise ValueError(f"lhv/profiles/embedded.toml no longer has {old!r}: bench/schedule.py must follow it")
        text = text.replace(old, new, 1)
    path = folder / "preproduction-like.toml"
    path.write_text(text.replace('name = "Embedded reference device"',
                                 'name = "Reference device, preproduction-like numbers"', 1), encoding="utf-8")
    return path
