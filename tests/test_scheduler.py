"""Plans run at the same time where their claims allow, and a burst plan's quiet client stays quiet meanwhile."""

from __future__ import annotations

import datetime as dt

import pytest

# PLAN_006 bursts from a quiet client; the others send many requests of both scopes (properties, fuzzing, accounts)
BUSY_PLANS = ("PLAN_009", "PLAN_016", "PLAN_019")


def _interval(ran: dict) -> tuple[float, float]:
    return (dt.datetime.fromisoformat(ran["started_utc"]).timestamp(),
            dt.datetime.fromisoformat(ran["ended_utc"]).timestamp())


def _overlap(first: tuple[float, float], second: tuple[float, float]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


@pytest.mark.slow
def test_a_burst_plans_quiet_client_stays_quiet_while_other_plans_run(lhv):
    """Scheduled, the busy plans run together but never while PLAN_006 holds the anonymous budget alone: none of their
    steps lies in PLAN_006's time, and PLAN_006's burst found its client quiet and exactly N served."""
    run = lhv("--plan", "PLAN_006", *(arg for plan in BUSY_PLANS for arg in ("--plan", plan)), "--jobs", "4")
    assert run.code == 0, run.output[-3000:]
    results = run.results
    assert results["schedule"]["plans_at_once"] == 4
    plans = {plan["id"]: plan for plan in results["plans"]}
    burst = _interval(plans["PLAN_006"]["ran"])
    busy = {plan: _interval(plans[plan]["ran"]) for plan in BUSY_PLANS}
    assert any(_overlap(busy[a], busy[b]) for a in BUSY_PLANS for b in BUSY_PLANS if a < b), \
        f"the busy plans never ran at the same time: {busy}"  # else this test proves nothing about concurrency
    for plan in BUSY_PLANS:
        assert not _overlap(busy[plan], burst), f"{plan} ran {busy[plan]} while PLAN_006 ran {burst}"
        assert "PLAN_006" in plans[plan]["ran"]["waited_for"]
        for case in plans[plan]["cases"]:
            for step in case["steps"]:
                moment = (step["started"], step["started"] + step["duration_s"])
                assert not _overlap(moment, burst), f"{plan} step {step['action']!r} ran during PLAN_006"
    quiet = [check for case in plans["PLAN_006"]["cases"] for step in case["steps"] for check in step["checks"]
             if check["name"] == "quiet-client"]
    assert quiet and all(check["passed"] for check in quiet)


@pytest.mark.slow
def test_a_plan_that_gives_up_what_it_holds_lets_waiting_plans_start_before_it_ends(lhv):
    """PLAN_018 holds the device's load alone until its window and soak are over; PLAN_001 starts then, while
    PLAN_018 still judges, and the record says when and why PLAN_018 gave it up."""
    run = lhv("--plan", "PLAN_018", "--plan", "PLAN_001")
    assert run.code == 0, run.output[-3000:]
    plans = {plan["id"]: plan for plan in run.results["plans"]}
    uptime, login = _interval(plans["PLAN_018"]["ran"]), _interval(plans["PLAN_001"]["ran"])
    assert "gave up what it held" in plans["PLAN_018"]["ran"]["text"]
    judge = plans["PLAN_018"]["cases"][0]["steps"][-1]
    assert any("holds nothing other plans need" in line for line in judge["actual"]), judge["actual"]
    assert judge["started"] - 0.002 <= login[0] < uptime[1], f"PLAN_001 ran {login}, PLAN_018 {uptime}, judging from " \
                                                     f"{judge['started']}"
    window = plans["PLAN_018"]["cases"][0]["steps"][1]
    window_end = window["started"] + window["duration_s"] - 0.002  # the record's times are in milliseconds
    assert login[0] >= window_end, "PLAN_001 started during PLAN_018's live window"


@pytest.mark.slow
def test_serial_keeps_plan_order_one_plan_at_a_time(lhv):
    """--serial runs the plans one after the other in plan order, and the record says so."""
    run = lhv("--plan", "PLAN_010", "--plan", "PLAN_004", "--plan", "PLAN_001", "--serial")
    assert run.code == 0, run.output[-3000:]
    results = run.results
    assert results["schedule"]["plans_at_once"] == 1
    intervals = [_interval(plan["ran"]) for plan in results["plans"]]
    assert [plan["id"] for plan in results["plans"]] == ["PLAN_001", "PLAN_004", "PLAN_010"]
    assert all(earlier[1] <= later[0] for earlier, later in zip(intervals, intervals[1:]))


def test_jobs_below_one_is_a_usage_error(lhv):
    """--jobs 0 is refused before any traffic, naming the option."""
    run = lhv("--plan", "PLAN_001", "--plan", "PLAN_004", "--jobs", "0")
    assert run.code == 2
    assert "--jobs" in run.output and run.record is None


# A plugin the crashing run loads from its working directory: the harness itself breaks (not a case) after PLAN_010's
# first case, so the plan's other case never runs.
BREAK_AFTER_FIRST_CASE = '''
import pytest

@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid, location):
    if "plan_010" in nodeid and "diagnosis_support" in nodeid:
        raise RuntimeError("the harness broke between two cases")
'''


@pytest.mark.slow
def test_a_plan_whose_thread_breaks_part_way_makes_the_run_abort_not_pass(lhv, tmp_path):
    """A plan thread that stops before its plan's last case leaves no passed plan behind: the run is aborted (exit 2)
    and the record names the plan, though every case that ran passed."""
    (tmp_path / "break_plan.py").write_text(BREAK_AFTER_FIRST_CASE)
    run = lhv("--plan", "PLAN_010", "--plan", "PLAN_004", "-p", "break_plan", cwd=tmp_path)
    assert run.code == 2, run.output[-3000:]
    results = run.results
    assert "PLAN_010" in results["aborted"] and "the harness broke between two cases" in results["aborted"]
    assert results["verdict"] != "passed"
