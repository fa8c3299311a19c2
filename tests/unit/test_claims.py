"""The claims model: which plans may run at the same time, in which order, and the schedule it gives."""

import pytest

from lhv.session.claims import (
    ANONYMOUS_BUDGET,
    AUTHENTICATED_BUDGET,
    DEVICE_LOAD,
    SHARES_EVERYTHING,
    VIOLATION_LOG,
    Claims,
    alone,
    claims_of,
    may_start,
    simulate,
    start_order,
)

CONFLICTS = [
    ("two plans that share everything run together", SHARES_EVERYTHING, SHARES_EVERYTHING, False),
    ("a burst's quiet budget excludes a plan that logs in", alone(ANONYMOUS_BUDGET), SHARES_EVERYTHING, True),
    ("a plan that logs in waits for a burst's quiet budget", SHARES_EVERYTHING, alone(ANONYMOUS_BUDGET), True),
    ("two plans alone on different resources still meet on what each shares", alone(ANONYMOUS_BUDGET),
     alone(AUTHENTICATED_BUDGET), True),
    ("alone on disjoint resources, sharing nothing else",
     Claims(alone=frozenset({ANONYMOUS_BUDGET}), shared=frozenset()),
     Claims(alone=frozenset({AUTHENTICATED_BUDGET}), shared=frozenset()), False),
    ("a plan holding nothing runs beside anything", Claims(shared=frozenset()), alone(DEVICE_LOAD), False),
]


@pytest.mark.parametrize(("description", "first", "second", "conflict"), CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_conflicts(description, first, second, conflict):
    assert first.conflicts(second) is conflict
    assert second.conflicts(first) is conflict


def test_alone_refuses_an_unknown_resource():
    with pytest.raises(ValueError, match="unknown resource"):
        alone("the moon")


def test_claims_of_reads_a_plan_module_and_refuses_what_is_not_claims():
    class Plan:
        CLAIMS = alone(VIOLATION_LOG)

    class Plain:
        pass

    class Wrong:
        CLAIMS = "alone"

    assert claims_of(Plan) == alone(VIOLATION_LOG)
    assert claims_of(Plain) == SHARES_EVERYTHING
    with pytest.raises(TypeError, match="not Claims"):
        claims_of(Wrong)


CLAIMS = {"PLAN_002": SHARES_EVERYTHING, "PLAN_006": alone(ANONYMOUS_BUDGET), "PLAN_009": SHARES_EVERYTHING,
          "PLAN_018": alone(DEVICE_LOAD)}


def test_start_order_puts_alone_plans_first_burst_plans_after_them_and_plans_leaving_a_budget_spent_last():
    claims = CLAIMS | {"PLAN_008": alone(ANONYMOUS_BUDGET, leaves_spent=(ANONYMOUS_BUDGET,))}
    assert start_order(["PLAN_002", "PLAN_006", "PLAN_008", "PLAN_009", "PLAN_018"], claims) == \
        ["PLAN_018", "PLAN_006", "PLAN_002", "PLAN_009", "PLAN_008"]


def test_of_equal_standing_the_longest_expected_starts_first():
    assert start_order(["PLAN_002", "PLAN_009", "PLAN_018"], CLAIMS, {"PLAN_002": 3, "PLAN_009": 8}) == \
        ["PLAN_018", "PLAN_009", "PLAN_002"]


def test_what_a_plan_leaves_spent_is_said_and_must_be_a_known_resource():
    assert "left spent at its end: " + ANONYMOUS_BUDGET in alone(
        ANONYMOUS_BUDGET, leaves_spent=(ANONYMOUS_BUDGET,)).described()
    with pytest.raises(ValueError, match="unknown resource"):
        alone(ANONYMOUS_BUDGET, leaves_spent=("the moon",))


def test_a_plan_does_not_overtake_a_conflicting_plan_waiting_ahead():
    assert not may_start("PLAN_009", running=[], waiting_before=["PLAN_006"], claims=CLAIMS)
    assert may_start("PLAN_009", running=["PLAN_002"], waiting_before=[], claims=CLAIMS)
    assert not may_start("PLAN_006", running=["PLAN_002"], waiting_before=[], claims=CLAIMS)


def test_simulate_runs_alone_plans_one_by_one_then_the_rest_together():
    slots = {s.plan: (s.start, s.end) for s in simulate({"PLAN_002": 12, "PLAN_006": 6, "PLAN_009": 4,
                                                         "PLAN_018": 8}, CLAIMS, jobs=4)}
    assert slots == {"PLAN_018": (0, 8), "PLAN_006": (8, 14), "PLAN_002": (14, 26), "PLAN_009": (14, 18)}


def test_simulate_keeps_to_the_number_of_plans_at_once():
    slots = simulate({"A": 5, "B": 5, "C": 5}, {p: SHARES_EVERYTHING for p in "ABC"}, jobs=2)
    assert max(s.end for s in slots) == 10
    assert sorted(s.start for s in slots) == [0, 0, 5]
