"""Kills of two fuzzers over the same targets, each judged against its own runs on the clean device; target samples.

A failure is a check that failed on an operation, e.g. ("not_a_server_error", "POST /login"). A tool kills a target
when its run there exits non-zero with at least one failure its runs on the clean device did not have: a check that
fails on an operation of the clean device says nothing about a defect there, so its failures on that operation are
not counted (on another operation they are). Clean runs that neither passed nor failed on a named check (one timed
out, or errored) judge nothing; several clean runs count as one, their failures together.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
Failed = tuple[str, str]  # (check, operation)

KILLED, MISSED, UNJUDGED = "killed", "missed", "unjudged"
_CASES = re.compile(r"^.+?: (\d+) case\(s\) ")  # an operation's summary line in a fuzz step of results.json


@dataclass(frozen=True)
class ToolRun:
    """One tool's run against one target: exit code (None: timed out), failures (check, operation), work done, and
    any error."""

    exit_code: int | None
    failed: frozenset[Failed] = frozenset()
    cases: int = 0
    seconds: float = 0.0  # the fuzzing itself, without start-up
    error: str = ""


def clean_judges(clean: ToolRun) -> bool:
    """Tells whether a clean run can judge the tool's other runs: it passed, or it failed on named checks."""
    return clean.exit_code == 0 or (clean.exit_code is not None and bool(clean.failed))


def counted(clean: ToolRun, run: ToolRun) -> frozenset[Failed]:
    """The failures of a run that count towards a kill: those the clean device did not have."""
    return run.failed - clean.failed


def merged(runs: Sequence[ToolRun]) -> ToolRun:
    """Several clean runs as one: the first that cannot judge, or all their failures together."""
    unusable = next((run for run in runs if not clean_judges(run)), None)
    if unusable is not None or not runs:
        return unusable or ToolRun(None, error="no clean run")
    failed = frozenset().union(*(run.failed for run in runs))
    return ToolRun(0 if all(run.exit_code == 0 for run in runs) else 1, failed,
                   sum(run.cases for run in runs) // len(runs), sum(run.seconds for run in runs) / len(runs),
                   "; ".join(run.error for run in runs if run.error))


def shown(failed: Iterable[Failed]) -> str:
    """Failures for a report line: "check (operation)", sorted."""
    return ", ".join(f"{check} ({operation})" for check, operation in sorted(failed))


def judge(clean: ToolRun, run: ToolRun) -> str:
    """Returns killed, missed, or unjudged (the clean run judges nothing, or this run timed out)."""
    if not clean_judges(clean) or run.exit_code is None:
        return UNJUDGED
    return KILLED if run.exit_code != 0 and counted(clean, run) else MISSED


def ratio(ours: int, theirs: int) -> float:
    """ours ÷ theirs; infinite when only ours killed anything, 0 when neither did."""
    if theirs:
        return ours / theirs
    return math.inf if ours else 0.0


def goal_met(ours: int, theirs: int, goal: float) -> bool:
    """Tells whether ours killed at least goal times as many targets as theirs, and at least one."""
    return ours > 0 and ours >= goal * theirs


# ---- samples ----------------------------------------------------------------------------------------------------

def evenly(items: Sequence[T], n: int | None) -> list[T]:
    """n items spread evenly over the sequence, each the middle of its nth part, in order (all of them when n is
    None or not smaller)."""
    if n is None or n >= len(items):
        return list(items)
    return [items[(2 * i + 1) * len(items) // (2 * n)] for i in range(max(n, 0))]


def allocate(sizes: Mapping[K, int], n: int) -> dict[K, int]:
    """How many to take from each stratum: one each (the largest first when n is smaller than the number of
    strata), the rest in proportion to what is left of each, by largest remainder; never more than a stratum has."""
    keys = [key for key in sizes if sizes[key] > 0]
    n = min(max(n, 0), sum(sizes[key] for key in keys))
    if n < len(keys):
        largest = sorted(keys, key=lambda key: (-sizes[key], keys.index(key)))[:n]
        return {key: int(key in largest) for key in keys}
    left = {key: sizes[key] - 1 for key in keys}
    spare, room = n - len(keys), sum(left.values())
    shares = {key: spare * left[key] / room if room else 0.0 for key in keys}
    taken = {key: 1 + math.floor(shares[key]) for key in keys}
    short = n - sum(taken.values())
    for key in sorted(keys, key=lambda key: (-(shares[key] - math.floor(shares[key])), keys.index(key)))[:short]:
        taken[key] += 1
    return taken


def stratified(items: Iterable[T], stratum: Callable[[T], K], n: int | None) -> list[T]:
    """A deterministic sample of n items: strata in order of first appearance, each sampled evenly (allocate())."""
    items = list(items)
    if n is None or n >= len(items):
        return items
    strata: dict[K, list[T]] = {}
    for item in items:
        strata.setdefault(stratum(item), []).append(item)
    counts = allocate({key: len(members) for key, members in strata.items()}, n)
    return [item for key, members in strata.items() for item in evenly(members, counts[key])]


# ---- what each tool's output says -------------------------------------------------------------------------------

def schemathesis_events(lines: Iterable[str]) -> tuple[frozenset[Failed], int, float, int]:
    """From `schemathesis run`'s NDJSON event log: the failures (check, operation), the test cases, the engine's
    running time and the errors it reported (events that are not check failures)."""
    failed: set[Failed] = set()
    cases, running, errors = 0, 0.0, 0
    for line in lines:
        if not line.strip():
            continue
        kind, data = next(iter(json.loads(line).items()))
        if kind == "ScenarioFinished":
            recorder = data.get("recorder") or {}
            cases += len(recorder.get("cases") or {})
            label = str(recorder.get("label") or "?")
            for checks in (recorder.get("checks") or {}).values():
                failed.update((check["name"], label) for check in checks if check.get("status") == "failure")
        elif kind in ("NonFatalError", "FatalError"):
            errors += 1
        elif kind == "EngineFinished":
            running = float(data.get("running_time") or 0.0)
    return frozenset(failed), cases, running, errors


def harness_fuzz_work(results: Mapping[str, Any]) -> tuple[int, float]:
    """From a `lhv fuzz` results.json: the cases its fuzz steps sent and the seconds those steps took."""
    cases, seconds = 0, 0.0
    for _, step in _fuzz_steps(results):
        seconds += float(step.get("duration_s") or 0.0)
        cases += next((int(found[1]) for line in step.get("actual", []) if (found := _CASES.match(str(line)))), 0)
    return cases, seconds


def harness_failures(results: Mapping[str, Any]) -> frozenset[Failed]:
    """From a `lhv fuzz` results.json: the fuzz checks that failed in each operation's fuzz step (a step that sent
    nothing, or broke without a failing fuzz check, is the harness's trouble, not a finding)."""
    return frozenset((check["name"], operation) for operation, step in _fuzz_steps(results)
                     for check in step.get("checks", [])
                     if not check.get("passed") and str(check.get("name", "")).startswith("fuzz:")
                     and check["name"] not in _NOT_FINDINGS)


_NOT_FINDINGS = {"fuzz:cases-sent", "fuzz:checks"}
_FUZZ_STEP = re.compile(r"^Fuzz (\S+ \S+) with ")  # "Fuzz POST /login with positive and negative requests …"


def _fuzz_steps(results: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for plan in results.get("plans", []):
        for case in plan.get("cases", []):
            for step in case.get("steps", []):
                found = _FUZZ_STEP.match(str(step.get("action", "")))
                if found:
                    yield found[1], step
