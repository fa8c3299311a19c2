"""The pacer keeps the harness under the profile's limits per scope, and knows when the client is quiet."""

import pytest

from lhv.core.pacing import ANONYMOUS, AUTHENTICATED, Budget, RatePacer, budgets_for


class FakeTime:
    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    return FakeTime()


def test_budgets_stay_under_the_limit_and_widen_the_window():
    budgets = budgets_for(100, 1000, 60, 2)
    assert budgets[ANONYMOUS] == Budget(98, 63.0)
    assert budgets[AUTHENTICATED].requests == 998
    assert budgets_for(20, 50, 2, 0)[ANONYMOUS].window_s == 2.25


def test_sends_beyond_the_budget_wait_for_the_oldest_to_leave_the_window(fake):
    pacer = RatePacer({ANONYMOUS: Budget(3, 10)}, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        assert pacer.before_send(ANONYMOUS) == 0
        fake.now += 1
    assert pacer.before_send(ANONYMOUS) == pytest.approx(7)  # first send at 0 leaves the window at 10; now is 3
    assert fake.now == pytest.approx(10)


def test_scopes_have_separate_budgets(fake):
    pacer = RatePacer({ANONYMOUS: Budget(1, 10), AUTHENTICATED: Budget(1, 10)}, clock=fake.clock, sleep=fake.sleep)
    pacer.before_send(ANONYMOUS)
    assert pacer.delay(AUTHENTICATED) == 0
    assert pacer.delay(ANONYMOUS) == pytest.approx(10)


def test_quiet_means_nothing_sent_within_the_window(fake):
    pacer = RatePacer({ANONYMOUS: Budget(5, 10)}, clock=fake.clock, sleep=fake.sleep)
    assert pacer.wait_quiet(ANONYMOUS) == 0
    pacer.record(ANONYMOUS)
    fake.now += 4
    assert pacer.quiet_delay(ANONYMOUS) == pytest.approx(6)
    assert pacer.wait_quiet(ANONYMOUS) == pytest.approx(6)
    assert pacer.quiet_delay(ANONYMOUS) == 0


def test_a_burst_saturates_the_budget(fake):
    pacer = RatePacer({ANONYMOUS: Budget(5, 10)}, clock=fake.clock, sleep=fake.sleep)
    pacer.saturate(ANONYMOUS)
    assert pacer.delay(ANONYMOUS) == pytest.approx(10)
    assert pacer.retry_bound() == 11


def test_a_burst_that_ended_earlier_frees_the_budget_sooner(fake):
    pacer = RatePacer({ANONYMOUS: Budget(5, 10)}, clock=fake.clock, sleep=fake.sleep)
    fake.now = 20.0
    pacer.record(ANONYMOUS)
    pacer.saturate(ANONYMOUS, ago_s=4)
    assert pacer.delay(ANONYMOUS) == pytest.approx(6)
    assert pacer.quiet_delay(ANONYMOUS) == pytest.approx(10)


def test_a_429_holds_the_budget_for_its_retry_after_not_for_a_whole_window_from_now(fake):
    """A 429 the harness meets late in a window (a plan probing that a burst's budget is still spent) says when the
    budget frees up: the next send waits that long, not a whole window more (PLAN_007 waited 47 s after PLAN_006)."""
    pacer = RatePacer({ANONYMOUS: Budget(100, 63)}, clock=fake.clock, sleep=fake.sleep)
    pacer.saturate(ANONYMOUS)  # the burst
    fake.now = 45
    pacer.spent_for(ANONYMOUS, 15)  # the ¾ probe's 429: Retry-After 15 s
    assert pacer.delay(ANONYMOUS) == pytest.approx(18)  # the burst's own entries leave the window at 63
    fake.now = 63
    assert pacer.delay(ANONYMOUS) == 0


def test_a_429_without_a_usable_retry_after_holds_the_budget_a_whole_window(fake):
    pacer = RatePacer({ANONYMOUS: Budget(100, 63)}, clock=fake.clock, sleep=fake.sleep)
    fake.now = 10
    for unusable in (None, 500.0, -1.0):
        pacer.spent_for(ANONYMOUS, unusable)
        assert pacer.delay(ANONYMOUS) == pytest.approx(63)
