"""Bench item 3's kill counting, target samples and readings of each tool's output (bench/fuzz_kills.py)."""

import json
import math

import pytest

from bench.fuzz_kills import (KILLED, MISSED, UNJUDGED, ToolRun, allocate, evenly, goal_met, harness_fuzz_work, judge,
                              ratio, schemathesis_events, stratified)

PASSED = ToolRun(0)


def failed(*checks, code=1):
    return ToolRun(code, frozenset(checks))


@pytest.mark.parametrize("clean, run, verdict", [
    (PASSED, failed("not_a_server_error"), KILLED),
    (PASSED, PASSED, MISSED),
    (PASSED, ToolRun(1), MISSED),  # non-zero without a failing check: an error, not a finding
    (PASSED, failed("not_a_server_error", code=0), MISSED),  # a check named but the run passed
    (failed("positive_data_acceptance"), failed("positive_data_acceptance"), MISSED),  # fails on clean too
    (failed("positive_data_acceptance"), failed("positive_data_acceptance", "not_a_server_error"), KILLED),
    (PASSED, ToolRun(None), UNJUDGED),  # timed out
    (ToolRun(None), failed("not_a_server_error"), UNJUDGED),  # the clean run timed out: nothing to compare with
    (ToolRun(2), failed("not_a_server_error"), UNJUDGED),  # the clean run broke without a failing check
])
def test_a_kill_is_a_failing_check_the_clean_device_did_not_fail(clean, run, verdict):
    assert judge(clean, run) == verdict


def test_ratio_and_goal():
    assert ratio(6, 3) == 2.0 and goal_met(6, 3, 2.0)
    assert not goal_met(5, 3, 2.0)
    assert ratio(2, 0) == math.inf and goal_met(2, 0, 2.0)
    assert ratio(0, 0) == 0.0 and not goal_met(0, 0, 2.0)  # nothing killed meets no goal


def test_evenly_takes_the_middle_of_each_part_in_order():
    assert evenly(list(range(10)), 2) == [2, 7]
    assert evenly(list(range(10)), 1) == [5]
    assert evenly(list(range(3)), None) == [0, 1, 2]
    assert evenly(list(range(3)), 5) == [0, 1, 2]
    assert evenly(list(range(3)), 0) == []
    picked = evenly(list(range(702)), 30)
    assert len(set(picked)) == 30 and picked == sorted(picked)


def test_allocate_gives_each_stratum_one_then_shares_the_rest_by_size():
    counts = allocate({"reply": 552, "status": 50, "header": 72, "cors": 2}, 30)
    assert sum(counts.values()) == 30
    assert all(count >= 1 for count in counts.values())
    assert counts["reply"] > counts["header"] > counts["status"] >= counts["cors"]
    assert allocate({"a": 1, "b": 5}, 6) == {"a": 1, "b": 5}  # never more than a stratum has
    assert allocate({"a": 1, "b": 5, "c": 3}, 2) == {"a": 0, "b": 1, "c": 1}  # fewer than strata: the largest


@pytest.mark.parametrize("n", [0, 1, 5, 12, 29, 30, 40])
def test_stratified_sample_is_exact_and_deterministic(n):
    sizes = (("reply", 20), ("status", 6), ("header", 3), ("cors", 1))
    items = [(kind, i) for kind, size in sizes for i in range(size)]
    sample = stratified(items, lambda item: item[0], n)
    assert len(sample) == min(n, len(items))
    assert sample == stratified(items, lambda item: item[0], n)
    assert len(set(sample)) == len(sample)
    if 4 <= n < len(items):
        assert {kind for kind, _ in sample} == {"reply", "status", "header", "cors"}


def test_schemathesis_events_name_the_failed_checks_and_count_cases():
    def finished(checks):
        return json.dumps({"ScenarioFinished": {"recorder": {"cases": {cid: {} for cid in checks}, "checks": {
            cid: [{"name": name, "status": status} for name, status in results] for cid, results in checks.items()}}}})

    lines = [json.dumps({"Initialize": {}}),
             finished({"a": [("not_a_server_error", "success"), ("positive_data_acceptance", "failure")]}),
             finished({"b": [("response_schema_conformance", "failure")], "c": [("not_a_server_error", "success")]}),
             json.dumps({"NonFatalError": {"info": "connection refused"}}),
             json.dumps({"EngineFinished": {"running_time": 9.5}}), ""]
    checks, cases, running, errors = schemathesis_events(lines)
    assert checks == {"positive_data_acceptance", "response_schema_conformance"}
    assert (cases, running, errors) == (3, 9.5, 1)


def test_harness_fuzz_work_counts_only_the_fuzz_steps():
    results = {"plans": [{"id": "PLAN_019", "cases": [{"steps": [
        {"action": "Load the contract's OpenAPI document", "actual": ["budget 90 case(s)"], "duration_s": 0.5},
        {"action": "Fuzz GET / with positive and negative requests", "duration_s": 0.25,
         "actual": ["GET /: 1 case(s) (1 positive, 0 negative) in 0.1 s; statuses 200×1"]},
        {"action": "Fuzz POST /login with positive and negative requests", "duration_s": 4.0,
         "actual": ["POST /login: 74 case(s) (37 positive, 37 negative) in 4.0 s; statuses 401×24, 422×50"]},
    ]}]}]}
    assert harness_fuzz_work(results) == (75, 4.25)
