"""Bench item 3's kill counting, target samples and readings of each tool's output (bench/fuzz_kills.py)."""

import json
import math

import pytest

from bench.fuzz_kills import (
    KILLED,
    MISSED,
    UNJUDGED,
    ToolRun,
    allocate,
    evenly,
    goal_met,
    harness_failures,
    harness_fuzz_work,
    judge,
    merged,
    ratio,
    schemathesis_events,
    shown,
    stratified,
)
from bench.fuzz_vs_schemathesis import OUT_OF_REACH, out_of_reach

PASSED = ToolRun(0)
LOGIN, USERS = "POST /login", "POST /users"


def failed(*checks, code=1, on=LOGIN):
    return ToolRun(code, frozenset((check, on) for check in checks))


@pytest.mark.parametrize("clean, run, verdict", [
    (PASSED, failed("not_a_server_error"), KILLED),
    (PASSED, PASSED, MISSED),
    (PASSED, ToolRun(1), MISSED),  # non-zero without a failing check: an error, not a finding
    (PASSED, failed("not_a_server_error", code=0), MISSED),  # a check named but the run passed
    (failed("positive_data_acceptance"), failed("positive_data_acceptance"), MISSED),  # fails on clean too
    (failed("positive_data_acceptance"), failed("positive_data_acceptance", "not_a_server_error"), KILLED),
    (failed("positive_data_acceptance"), failed("positive_data_acceptance", on=USERS), KILLED),  # another route
    (PASSED, ToolRun(None), UNJUDGED),  # timed out
    (ToolRun(None), failed("not_a_server_error"), UNJUDGED),  # the clean run timed out: nothing to compare with
    (ToolRun(2), failed("not_a_server_error"), UNJUDGED),  # the clean run broke without a failing check
])
def test_a_kill_is_a_failure_the_clean_device_did_not_have(clean, run, verdict):
    assert judge(clean, run) == verdict


def test_clean_runs_count_as_one_with_all_their_failures():
    one, two = failed("positive_data_acceptance"), failed("not_a_server_error", on=USERS)
    both = merged([one, two, PASSED])
    assert both.failed == one.failed | two.failed and both.exit_code == 1
    assert judge(both, failed("not_a_server_error", on=USERS)) == MISSED  # seen in a clean run: not counted
    assert merged([PASSED, PASSED]).exit_code == 0
    assert judge(merged([PASSED, ToolRun(None)]), failed("not_a_server_error")) == UNJUDGED  # one clean run broke
    assert shown(one.failed | two.failed) == "not_a_server_error (POST /users), positive_data_acceptance (POST /login)"


@pytest.mark.parametrize("mutant, reason", [
    ("plan:status:GET/:429:503", OUT_OF_REACH["429"]),
    ("v2:header:POST/login:423:retry-after:drop", OUT_OF_REACH["423"]),
    ("plan:reply:POST/login:200:$.token_type:alter", OUT_OF_REACH["POST/login:200"]),
    ("plan:status:POST/users:409:400", OUT_OF_REACH["POST/users:409"]),
    ("plan:reply:POST/login:422:$.detail:drop-last", None),
    ("plan:header:GET/health:*:x-content-type-options:drop", None),
    ("plan:method:PUT/health", None),
    ("plan:number:max_body_bytes:minus1", None),
])
def test_mutants_of_answers_neither_tool_can_get_are_out_of_reach(mutant, reason):
    assert out_of_reach(mutant) == reason


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
    def finished(label, checks):
        return json.dumps({"ScenarioFinished": {"recorder": {"label": label, "cases": {cid: {} for cid in checks},
                                                             "checks": {cid: [{"name": name, "status": status}
                                                                              for name, status in results]
                                                                        for cid, results in checks.items()}}}})

    lines = [json.dumps({"Initialize": {}}),
             finished(LOGIN, {"a": [("not_a_server_error", "success"), ("positive_data_acceptance", "failure")]}),
             finished(USERS, {"b": [("response_schema_conformance", "failure")],
                              "c": [("not_a_server_error", "success")]}),
             json.dumps({"NonFatalError": {"info": "connection refused"}}),
             json.dumps({"EngineFinished": {"running_time": 9.5}}), ""]
    checks, cases, running, errors = schemathesis_events(lines)
    assert checks == {("positive_data_acceptance", LOGIN), ("response_schema_conformance", USERS)}
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


def test_harness_failures_are_the_failed_fuzz_checks_of_each_operation():
    def step(operation, *checks):
        return {"action": f"Fuzz {operation} with positive and negative requests generated from the document",
                "checks": [{"name": name, "passed": passed} for name, passed in checks]}

    results = {"plans": [{"id": "PLAN_019", "cases": [{"steps": [
        {"action": "Load the contract's OpenAPI document", "checks": [{"name": "openapi-operations", "passed": False}]},
        step("GET /", ("fuzz:cases-sent", False)),  # the harness sent nothing: its trouble, not a finding
        step(LOGIN, ("fuzz:not_a_server_error", False), ("fuzz:checks", True)),
        step(USERS, ("fuzz:admin_only", False), ("score-oracle-apasi", False), ("fuzz:transport_headers", True)),
    ]}]}]}
    assert harness_failures(results) == {("fuzz:not_a_server_error", LOGIN), ("fuzz:admin_only", USERS)}
