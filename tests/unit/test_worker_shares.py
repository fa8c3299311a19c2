"""The self-tests' order under xdist: each worker's first share as tests/conftest.py deals it."""

from __future__ import annotations

import pytest

from tests.conftest import dealt

CASES = [
    {"description": "slow tests go in turn to all workers but the last, longest first; quick ones fill the shares",
     "items": ["s9", "s8", "s7", "s6", "q1", "q2", "q3", "q4", "q5"], "workers": 3,
     "shares": [["s9", "s7", "q5"], ["s8", "s6", "q4"], ["q1", "q2", "q3"]]},
    {"description": "no slow test (the fast lane): the shares are the quick tests in their order",
     "items": ["q1", "q2", "q3", "q4", "q5"], "workers": 2, "shares": [["q4", "q5"], ["q1", "q2", "q3"]]},
    {"description": "more slow tests than the shares hold: the order stays longest first",
     "items": ["s3", "s2", "s1", "q1"], "workers": 2, "shares": [["s3", "s2"], ["s1", "q1"]]},
]


def _split(order: list[str], workers: int) -> list[list[str]]:
    """xdist worksteal's first split: the pending tests divided by the workers still to serve."""
    shares = []
    for worker in range(workers):
        size = len(order) // (workers - worker)
        shares.append(order[:size])
        order = order[size:]
    return shares


@pytest.mark.parametrize("case", CASES, ids=[case["description"] for case in CASES])
def test_each_worker_starts_with_its_share(case):
    order = dealt(case["items"], case["workers"], lambda item: item.startswith("s"))
    assert sorted(order) == sorted(case["items"])
    assert _split(order, case["workers"]) == case["shares"]
