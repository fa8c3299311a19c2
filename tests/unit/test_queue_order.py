"""The suite's queue for worksteal: long tests dealt between all workers but the last, which takes the long rows."""

from tests.conftest import in_shares

COSTS = {"whole1": 60, "whole2": 50, "whole3": 40, "progress1": 14, "progress2": 14, "row1": 9, "row2": 8}
LONG = ("whole1", "whole2", "whole3", "progress1", "progress2")


def _queue(items, workers=3):
    return in_shares(items, workers, lambda item: ("progress" if item.startswith("progress") else item)
                     if item in LONG else None, lambda item: COSTS.get(item, 0))


def test_long_tests_head_the_first_shares_balanced_and_the_last_share_begins_with_the_longest_rows():
    items = [*COSTS, *(f"unit{i}" for i in range(11))]  # 18: worksteal sends 6, 6, 6
    queue = _queue(items)
    assert sorted(queue) == sorted(items)
    first, second, last = queue[0:6], queue[6:12], queue[12:18]
    assert first[:2] == ["whole1", "progress1"] and second[:2] == ["whole2", "whole3"]  # 60 + 28 against 90
    assert first.index("progress2") == first.index("progress1") + 1  # tests that share one run stay together
    assert last[:2] == ["row1", "row2"]


def test_short_queues_keep_every_item_once():
    for count in range(0, 12):
        items = [f"unit{i}" for i in range(count)]
        assert sorted(_queue(items)) == sorted(items)
