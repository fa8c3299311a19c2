"""The device's sliding window lets exactly N requests through in any window, and frees them one by one."""

from lhv.device.ratelimit import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_n_pass_then_429_with_retry_after_and_count():
    clock = Clock()
    window = SlidingWindow(3, 10, clock=clock)
    decisions = []
    for _ in range(5):
        decisions.append(window.hit("ip:1"))
        clock.now += 1
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4, 5]
    assert decisions[3].retry_after == 7  # the first request (t=1000) leaves the window at 1010; now is 1003
    assert window.hit("ip:2").allowed, "another key has its own budget"


def test_the_window_slides_one_request_at_a_time():
    clock = Clock()
    window = SlidingWindow(2, 10, clock=clock)
    window.hit("k")
    clock.now += 5
    window.hit("k")
    clock.now += 4.9
    assert not window.hit("k").allowed
    clock.now += 0.2  # the first request is now 10.1 s old
    assert window.hit("k").allowed
    assert not window.hit("k").allowed


def test_retry_after_is_at_least_one_second():
    clock = Clock()
    window = SlidingWindow(1, 0.5, clock=clock)
    window.hit("k")
    assert window.hit("k").retry_after == 1


def test_never_resets_fault_keeps_a_refused_key_refused():
    clock = Clock()
    window = SlidingWindow(2, 10, never_resets=True, clock=clock)
    assert window.hit("k").allowed
    clock.now += 20
    assert window.hit("k").allowed and window.hit("k").allowed, "before a refusal the window slides as usual"
    assert not window.hit("k").allowed
    clock.now += 3600
    assert not window.hit("k").allowed
