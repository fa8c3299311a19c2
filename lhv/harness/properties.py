"""Property-based checks inside plans: hypothesis draws examples, each checked with real requests.

A property runs in one plan step. Each example runs its checks against a scratch evidence case,
so the many checks of many examples do not crowd the step; the requests they send are still
filed in the step as evidence. The step then gets one check: how many examples held, or the
counterexample hypothesis shrank to, with what it broke. Requests are bounded: at most
`examples` examples are generated, and shrinking may send at most SHRINK_REQUESTS_PER_EXAMPLE ×
examples more; past that, shrinking only revisits examples already sent (the device's answers
are taken as deterministic), so a failing property costs a known number of requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from lhv.checks.outcomes import require
from lhv.core.errors import CheckFailed, TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.core.hypothesis_cache import cached_storage
from lhv.session.run import RunState

SHRINK_REQUESTS_PER_EXAMPLE = 2  # shrinking may send this many times `examples` further examples


@dataclass(frozen=True)
class PropertyBudget:
    """How many examples a property draws and from which seed."""

    examples: int
    seed: int


def budget_for(run: RunState, plan_id: str, name: str) -> PropertyBudget:
    """The profile's budget; the seed (the profile's or a fresh one) is written in the record."""
    settings_ = run.profile.properties
    chosen = settings_.seed if settings_.seed is not None else random.SystemRandom().randrange(2**32)
    run.seeds[f"{plan_id} {name}"] = str(chosen)
    return PropertyBudget(settings_.examples, chosen)


def check_property(step: Step, name: str, strategy: st.SearchStrategy, check: Callable[[Any], None],
                   budget: PropertyBudget, describe: Callable[[Any], str] = repr) -> None:
    """Runs `check` on examples drawn from `strategy`; records one check named `name` in the step.

    `check` raises CheckFailed (any named check failing) for a counterexample; a TargetError ends the
    property at once and propagates (the step is an error, not a failure).
    """
    outcomes: dict[str, BaseException | None] = {}
    drawn: dict[str, Any] = {}
    sent = {"examples": 0, "shrink_budget": budget.examples * (1 + SHRINK_REQUESTS_PER_EXAMPLE)}
    broken: list[TargetError] = []

    def run_example(example: Any) -> None:
        key = repr(example)
        if broken:
            raise broken[0]
        if key in outcomes:
            if outcomes[key] is not None:
                raise outcomes[key]
            return
        if sent["examples"] >= sent["shrink_budget"]:
            reject()  # no more requests: only examples already sent may still count
        sent["examples"] += 1
        drawn[key] = example
        scratch = CaseEvidence(steps=[Step(number=0, action=name, expected="", verdict="running")])
        token = CURRENT_CASE.set(scratch)
        try:
            check(example)
            outcomes[key] = None
        except CheckFailed as failure:
            outcomes[key] = failure
            raise
        except TargetError as error:
            broken.append(error)
            raise
        finally:
            CURRENT_CASE.reset(token)
            step.exchanges.extend(scratch.steps[0].exchanges + scratch.loose_exchanges)
            step.actual.extend(note for note in scratch.steps[0].actual if note not in step.actual)

    runner = hypothesis_seed(budget.seed)(settings(
        max_examples=budget.examples, deadline=None, database=None, derandomize=False, print_blob=False,
        report_multiple_bugs=False, verbosity=Verbosity.quiet, phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck))(given(strategy)(run_example)))
    try:
        with cached_storage():  # hypothesis's caches, out of the user's working folder
            runner()
    except CheckFailed as failure:
        key = next((key for key, outcome in outcomes.items() if outcome is failure), None)
        shown = describe(drawn[key]) if key is not None else "(not recorded)"
        require(name, False, f"counterexample after shrinking ({sent['examples']} examples sent, seed "
                             f"{budget.seed}): {shown}: {failure}")
    if broken:
        raise broken[0]
    passed = sum(1 for outcome in outcomes.values() if outcome is None)
    require(name, True, "", f"all {passed} examples held, each sent to the device (seed {budget.seed})")

