"""The suite's queue for worksteal: long tests that keep a core busy head the other workers' shares."""

from tests.conftest import with_heads


def test_picked_items_head_the_other_shares_in_order_and_every_item_stays_once():
    items = ["whole1", "whole2", "busy1", "busy2", "busy3", *(f"unit{i}" for i in range(7))]  # 12: 4, 4, 4
    queue = with_heads(items, 3, lambda item: item.startswith("busy"))
    assert sorted(queue) == sorted(items)
    assert queue[0:4] == ["whole1", "whole2", "unit0", "unit1"]
    assert queue[4:6] == ["busy1", "busy3"] and queue[8] == "busy2"


def test_without_picks_the_order_is_unchanged():
    items = [f"t{i}" for i in range(10)]
    assert with_heads(items, 3, lambda item: False) == items
