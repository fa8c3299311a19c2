"""The expected duration of a run comes from the profile's numbers: windows, token lifetime, lock period, uptime window
and fuzzing budget, per plan and per case a suite takes."""

import importlib
import pkgutil

import pytest

import lhv.plans
from lhv.contract import catalog
from lhv.core.announce import duration_text
from lhv.session import estimate
from lhv.session.claims import ANONYMOUS_BUDGET, SHARES_EVERYTHING, alone
from lhv.session.profile import embedded_profile, parse_profile

REMOTE = b"""
[target]
name = "pre"
base_url = "https://api.example.org"
[credentials]
user = { username_env = "U", password_env = "P" }
"""


def _profile(extra: bytes = b""):
    return parse_profile(REMOTE + extra, "pre.toml")


def _plan_modules() -> dict:
    modules = {}
    for info in pkgutil.iter_modules(lhv.plans.__path__):
        module = importlib.import_module(f"lhv.plans.{info.name}")
        if hasattr(module, "PLAN_ID"):
            modules[module.PLAN_ID] = module
    return modules


def test_every_case_the_estimate_names_is_a_case_of_its_plan():
    modules = _plan_modules()
    named = {(plan, wait.case) for plan, waits in estimate.WAITS.items() for wait in waits(embedded_profile())}
    assert named, "the estimate names no case"
    for plan, case in named:
        assert not case or callable(getattr(modules[plan], case, None)), f"{plan} has no case {case}"
    assert set(estimate.BASE_S) == set(catalog.catalog()), "every plan of the catalog has a base time"


@pytest.mark.parametrize(("plan", "extra", "waited"), [
    ("PLAN_006", b"[limits]\nwindow_seconds = 60\n", 3 * 60),  # a window for each of its bursts and the reset
    ("PLAN_007", b"[limits]\nwindow_seconds = 45\n", 2 * 45),
    ("PLAN_008", b"[limits]\nwindow_seconds = 30\n", 2 * 30),
    ("PLAN_003", b"[auth]\nlockout_seconds = 60\nclock_skew_seconds = 5\nmax_wait_seconds = 120\n", 65),  # the lift
    ("PLAN_003", b"[auth]\nlockout_seconds = 900\nmax_wait_seconds = 120\n", 120),  # part-way only: no lift awaited
    ("PLAN_002", b"[auth]\ntoken_lifetime_seconds = 60\nclock_skew_seconds = 5\nmax_wait_seconds = 120\n",
     60 + 5 + 1),  # its expiry (the call late in its life is on the way, not an extra wait)
    ("PLAN_002", b"[auth]\ntoken_lifetime_seconds = 3600\n", 0),  # the vault replays an expired token: no wait
    ("PLAN_018", b'[uptime]\nwindow = "live"\nwindow_seconds = 600\ninterval_seconds = 60\n', 600),
    ("PLAN_018", b'[uptime]\nwindow = "previous-month"\n', 0),  # read from the store
    ("PLAN_019", b"[fuzzing]\ncases = 100\nseconds = 2\n", 2),  # the time budget ends it
    ("PLAN_019", b"[fuzzing]\ncases = 10\nseconds = 900\n", 10 * estimate.FUZZ_CASE_S),  # the cases end it
])
def test_a_plans_estimate_is_its_base_and_the_waits_its_profile_sets(plan, extra, waited):
    expected = estimate.plan_estimate(_profile(extra), plan)
    assert expected.seconds == pytest.approx(estimate.BASE_S[plan] + waited)
    assert sum(wait.seconds for wait in expected.waits) == pytest.approx(waited)
    assert all(wait.what for wait in expected.waits)


def test_a_suite_counts_only_the_waits_of_the_cases_it_takes():
    suite = catalog.suite("integration")
    profile = _profile(b"[auth]\ntoken_lifetime_seconds = 60\nmax_wait_seconds = 120\n")
    whole, in_suite = estimate.plan_estimate(profile, "PLAN_002"), estimate.plan_estimate(profile, "PLAN_002", suite)
    assert whole.waits and not in_suite.waits  # the suite takes PLAN_002's lifetime case, not its expiry wait
    assert in_suite.seconds <= estimate.CASE_S < whole.seconds
    assert estimate.plan_estimate(profile, "IVCL", suite).seconds == estimate.BASE_S["IVCL"]  # taken whole


def test_a_run_estimate_adds_the_start_and_names_the_longest_plans():
    profile = _profile(b"[limits]\nwindow_seconds = 60\n")
    plans = ["PLAN_001", "PLAN_004", "PLAN_005", "PLAN_006", "PLAN_008"]
    run = estimate.run_estimate(profile, plans)
    assert run.seconds == pytest.approx(estimate.START_S[False] + sum(p.seconds for p in run.plans))
    line = run.line()
    assert line.startswith(f"expected duration: about {duration_text(run.seconds)} for 5 plans")
    assert "(longest: PLAN_006 3 min" in line and "PLAN_008 2 min" in line
    assert estimate.run_estimate(profile, []).seconds == 0


def test_the_embedded_profile_expects_about_the_minute_and_a_half_a_full_run_takes():
    plans = [plan for plan, entry in catalog.catalog().items() if entry.kind == "plan"]
    seconds = estimate.run_estimate(embedded_profile(), plans).seconds
    assert 45 < seconds < 150, seconds  # a full embedded run took 89 s on two busy cores when BASE_S was measured


@pytest.mark.parametrize(("seconds", "text"), [(5, "5 s"), (6.44, "6.4 s"), (59.6, "60 s"), (119, "119 s"),
                                               (120, "2 min"), (185, "3 min 5 s"), (3600, "1 h"), (5430, "1 h 30 min")])
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration_text(seconds) == text


def test_a_scheduled_run_expects_the_schedule_of_its_plans_not_their_sum():
    profile = _profile(b"[limits]\nwindow_seconds = 60\n")
    plans = ["PLAN_002", "PLAN_006", "PLAN_009", "PLAN_019"]
    claims = {plan: SHARES_EVERYTHING for plan in plans} | {"PLAN_006": alone(ANONYMOUS_BUDGET)}
    serial = estimate.run_estimate(profile, plans)
    scheduled = estimate.run_estimate(profile, plans, claims=claims, jobs=4)
    each = {p.plan: p.seconds for p in scheduled.plans}
    # PLAN_006 holds the anonymous budget alone, then the others run together: the longest of them after it
    assert scheduled.seconds == pytest.approx(estimate.START_S[False] + each["PLAN_006"]
                                              + max(each["PLAN_002"], each["PLAN_009"], each["PLAN_019"]))
    assert scheduled.seconds < serial.seconds
    assert estimate.run_estimate(profile, plans, claims=claims, jobs=1).seconds == serial.seconds
