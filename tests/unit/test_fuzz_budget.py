"""How the fuzzing budget is split over the operations of a document."""

from __future__ import annotations

import pytest

from lhv.fuzz.runner import FuzzBudget, allocate

OPERATIONS = [("GET /", False), ("GET /health", False), ("POST /login", True), ("POST /diagnosis-support", True)]


@pytest.mark.parametrize("cases", [4, 7, 60, 1001])
def test_the_split_spends_the_budget_and_gives_bodies_the_most(cases: int) -> None:
    shares = {a.label: a for a in allocate(OPERATIONS, FuzzBudget(cases, 10, 1))}
    total = sum(a.positive + a.negative for a in shares.values())
    assert total == max(cases, 4)  # at least one case for each operation with a body, two for the others
    assert shares["POST /login"].positive + shares["POST /login"].negative >= \
        shares["GET /"].positive + shares["GET /"].negative
    assert sum(a.seconds for a in shares.values()) == pytest.approx(10)
    for allocation in shares.values():
        assert allocation.positive >= allocation.negative >= 0


def test_seconds_follow_cases() -> None:
    shares = {a.label: a for a in allocate(OPERATIONS, FuzzBudget(60, 12, 1))}
    login, root = shares["POST /login"], shares["GET /"]
    per_case = [a.seconds / (a.positive + a.negative) for a in (login, root)]
    assert per_case[0] == pytest.approx(per_case[1])


def test_a_budget_keeps_a_given_seed_or_draws_one() -> None:
    assert FuzzBudget.chosen(10, 5, 1234).seed == 1234
    drawn = {FuzzBudget.chosen(10, 5, None).seed for _ in range(5)}
    assert len(drawn) > 1 and all(0 <= seed < 2**32 for seed in drawn)
