"""The suite's queue for worksteal: each worker's first share starts with its part of the long tests."""

from tests.conftest import dealt

COSTS = {"a": 60, "b": 50, "c": 50, "d": 40, "e": 30, "f": 20, "g1": 10, "g2": 10}  # g1, g2 share a run


def _deal(items, workers):
    return dealt(items, workers, lambda item: COSTS.get(item, 0), lambda item: item[0] if item in ("g1", "g2") else item)


def test_each_share_has_worksteals_count_and_a_balanced_part_of_the_long_tests():
    items = [*COSTS, *(f"unit{i}" for i in range(13))]  # longest first, then the instant ones
    queue = _deal(items, 3)
    assert sorted(queue) == sorted(items)
    shares = [queue[0:7], queue[7:14], queue[14:21]]  # 21 items: worksteal sends 7, 7, 7
    loads = [sum(COSTS.get(item, 0) for item in share) for share in shares]
    assert max(loads) - min(loads) <= 20, (shares, loads)  # split as queued, the first share held 270 of 270
    assert [share[0] for share in shares] == ["a", "b", "c"]


def test_tests_that_share_a_run_stay_in_one_share_in_order():
    queue = _deal([*COSTS, "unit0"], 2)
    share = next(s for s in (queue[:4], queue[4:]) if "g1" in s)
    assert share.index("g2") == share.index("g1") + 1


def test_worksteals_uneven_counts_are_kept():
    queue = _deal([f"unit{i}" for i in range(10)], 3)  # worksteal sends 3, 3, 4
    assert len(queue) == 10 and len(set(queue)) == 10
