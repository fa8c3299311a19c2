"""Property checks in plans: one check per property, shrunk counterexamples, a bounded number of requests."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from lhv.checks.outcomes import require
from lhv.core.errors import CheckFailed, TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.harness.properties import SHRINK_REQUESTS_PER_EXAMPLE, PropertyBudget, check_property


@pytest.fixture
def step():
    case = CaseEvidence(steps=[Step(number=1, action="act", expected="x", verdict="running")])
    token = CURRENT_CASE.set(case)
    yield case.steps[0]
    CURRENT_CASE.reset(token)


def test_a_holding_property_records_one_passed_check(step):
    calls = []

    def check(n):
        calls.append(n)
        require("small", n < 1000, "too big")

    check_property(step, "numbers-small", st.integers(0, 999), check, PropertyBudget(20, 7))
    assert [c.name for c in step.checks] == ["numbers-small"] and step.checks[0].passed
    assert "seed 7" in step.checks[0].detail and 1 <= len(calls) <= 20


def test_a_failing_property_shows_the_shrunk_counterexample(step):
    sent = []

    def check(n):
        sent.append(n)
        require("below-ten", n < 10, f"{n} is not below 10")

    with pytest.raises(CheckFailed, match="counterexample after shrinking") as caught:
        check_property(step, "below-ten-holds", st.integers(0, 10_000), check, PropertyBudget(30, 1))
    assert ": 10: [below-ten] 10 is not below 10" in str(caught.value)
    assert [c.name for c in step.checks] == ["below-ten-holds"] and not step.checks[0].passed
    assert len(sent) <= 30 * (1 + SHRINK_REQUESTS_PER_EXAMPLE) and len(sent) == len(set(sent))


def test_a_target_error_ends_the_property_as_an_error(step):
    calls = []

    def check(n):
        calls.append(n)
        raise TargetError("device down")

    with pytest.raises(TargetError, match="device down"):
        check_property(step, "anything", st.integers(), check, PropertyBudget(10, 3))
    assert len(calls) == 1 and not step.checks
