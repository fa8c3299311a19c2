"""What a plan holds while it runs, and which plans may therefore run at the same time.

A plan holds resources shared or alone. Every plan shares the target's rate-limit budgets (it logs in and calls
routes) and the device's load (its requests take the device's time). A plan that needs a quiet client for a burst
holds that budget alone; the plan that judges the violation log holds the log alone while it produces 429s; the
plan that measures availability holds the device's load alone, so that no other plan's traffic changes what it
measures. Two plans conflict when one holds alone what the other holds at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ANONYMOUS_BUDGET = "the anonymous rate-limit budget of this client address"
AUTHENTICATED_BUDGET = "the authenticated rate-limit budget of the test accounts"
VIOLATION_LOG = "the rate-limit violation log"
DEVICE_LOAD = "the device's load"
EVERY_PLAN_SHARES = frozenset({ANONYMOUS_BUDGET, AUTHENTICATED_BUDGET, DEVICE_LOAD, VIOLATION_LOG})


@dataclass(frozen=True)
class Claims:
    """The resources a plan holds alone and those it shares."""

    alone: frozenset[str] = frozenset()
    shared: frozenset[str] = EVERY_PLAN_SHARES
    leaves_spent: frozenset[str] = frozenset()  # budgets it leaves spent when it ends: the next user waits a window

    def conflicts(self, other: Claims) -> bool:
        """Whether the two cannot run at the same time: one holds alone what the other holds at all."""
        return bool(self.alone & (other.alone | other.shared) or other.alone & (self.alone | self.shared))

    def described(self) -> str:
        """Says what the plan holds, for the record."""
        alone = f"alone: {'; '.join(sorted(self.alone))}" if self.alone else ""
        shared = f"shared: {'; '.join(sorted(self.shared))}" if self.shared else ""
        spent = f"left spent at its end: {'; '.join(sorted(self.leaves_spent))}" if self.leaves_spent else ""
        return " — ".join(part for part in (alone, shared, spent) if part)


SHARES_EVERYTHING = Claims()


def alone(*resources: str, leaves_spent: tuple[str, ...] = ()) -> Claims:
    """Claims that hold these resources alone and share the rest of what every plan shares; leaves_spent names the
    rate budgets the plan leaves spent when it ends (its last burst is not waited out)."""
    held, spent = frozenset(resources), frozenset(leaves_spent)
    unknown = (held | spent) - EVERY_PLAN_SHARES
    if unknown:
        raise ValueError(f"unknown resource(s): {', '.join(sorted(unknown))}")
    return Claims(alone=held, shared=EVERY_PLAN_SHARES - held, leaves_spent=spent)


def claims_of(module: object) -> Claims:
    """Returns a plan module's CLAIMS, or the claims of a plan that shares everything."""
    claims = getattr(module, "CLAIMS", SHARES_EVERYTHING)
    if not isinstance(claims, Claims):
        raise TypeError(f"{getattr(module, '__name__', module)}.CLAIMS is a {type(claims).__name__}, not Claims")
    return claims


RATE_BUDGETS = frozenset({ANONYMOUS_BUDGET, AUTHENTICATED_BUDGET})


def start_order(plans: Iterable[str], claims: Mapping[str, Claims],
                expected: Mapping[str, float] | None = None) -> list[str]:
    """Orders plans for the scheduler: those holding something alone first (their waits cannot overlap another
    plan's), and of those the ones holding a rate budget alone after the others (a burst leaves a quiet scope
    used); then the plans that share everything; last the plans that leave a budget spent (whoever came after them
    would wait a window for it). Within each, the longest expected first (so that the longest do not start last),
    then plan order."""
    def rank(plan: str) -> tuple[int, float]:
        held = claims[plan]
        group = 3 if held.leaves_spent else 2 if not held.alone else 1 if held.alone & RATE_BUDGETS else 0
        return group, -(expected or {}).get(plan, 0.0)
    return sorted(plans, key=rank)


def may_start(plan: str, running: Iterable[str], waiting_before: Iterable[str], claims: Mapping[str, Claims]) -> bool:
    """Whether a plan may start now: it conflicts with no running plan, nor with a plan waiting ahead of it (so that
    a plan waiting for a resource alone is not overtaken for ever)."""
    mine = claims[plan]
    return not any(mine.conflicts(claims[other]) for other in (*running, *waiting_before))


@dataclass(frozen=True)
class Slot:
    """When a plan starts and ends in a schedule."""

    plan: str
    start: float
    end: float


def simulate(durations: Mapping[str, float], claims: Mapping[str, Claims], jobs: int) -> list[Slot]:
    """Schedules plans of the given durations as the scheduler does (start order, claims, at most jobs at once);
    returns when each starts and ends."""
    waiting = start_order(durations, claims, durations)
    running: dict[str, float] = {}  # plan → its end
    slots, now = [], 0.0
    while waiting or running:
        started = True
        while started:
            started = False
            for index, plan in enumerate(waiting):
                if len(running) < jobs and may_start(plan, running, waiting[:index], claims):
                    running[plan] = now + durations[plan]
                    slots.append(Slot(plan, now, running[plan]))
                    waiting.pop(index)
                    started = True
                    break
        if running:
            now = min(running.values())
            for plan in [p for p, end in running.items() if end <= now]:
                del running[plan]
    return slots
