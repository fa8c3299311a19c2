"""How long a run is expected to take, from the profile's numbers: what each plan waits for, as data in one place.

A plan's time is its requests and checks (BASE_S, measured on the embedded device on loopback) plus the waits its
profile sets: rate-limit windows, the token lifetime, the lock period, the uptime window, the fuzzing budget. A remote
target adds its latency and the pacer's waits to every request: the estimate is a floor for it, not a promise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lhv.contract.catalog import Suite
from lhv.core.announce import duration_text
from lhv.session.claims import Claims, simulate
from lhv.session.preflight import expiry_wait_s
from lhv.session.profile import Profile

START_S = {True: 2.5, False: 0.5}  # before the first plan: the embedded device starts (True), or one probe (False)
CASE_S = 0.5  # a case of a plan a suite takes only some cases of (suites take short, production-safe cases)
FUZZ_CASE_S = 0.12  # one request of PLAN_019's fuzzing on loopback; the fuzzing stops at fuzzing.seconds anyway
EXAMPLE_S = 0.1  # one property example of PLAN_009 and PLAN_017 (one or two requests)

# Each plan's requests and checks without its waits, in seconds (full runs on the embedded device and on a device
# started apart, on two cores shared with other work: 89 s to 114 s in all).
BASE_S = {"PLAN_001": 0.3, "PLAN_002": 0.5, "PLAN_003": 1.3, "PLAN_004": 0.3, "PLAN_005": 1.0, "PLAN_006": 0.5,
          "PLAN_007": 1.0, "PLAN_008": 1.0, "PLAN_009": 4.5, "PLAN_010": 0.2, "PLAN_011": 0.1, "PLAN_012": 0.2,
          "PLAN_013": 3.0, "PLAN_014": 0.4, "PLAN_015": 0.3, "PLAN_016": 9.0, "PLAN_017": 0.2, "PLAN_018": 2.0,
          "PLAN_019": 6.0, "IVCL": 3.0}
UNKNOWN_PLAN_S = 2.0

EXPIRY_CASE = "test_token_works_until_it_expires_then_gets_401"
LOCK_CASE = "test_threshold_failures_lock_only_that_account_for_the_period"
OTHER_ADDRESS_CASE = "test_another_client_address_has_its_own_budget"
ANONYMOUS_BURST_CASE = "test_anonymous_burst_is_limited_at_n_and_resets"
FUZZ_CASE = "test_contract_fuzzing_finds_no_defect"
PROPERTY_CASES = {"PLAN_009": "test_any_severity_request_broken_one_way_gets_422_at_that_field",
                  "PLAN_017": "test_any_zone_weighted_request_is_scored_with_its_zone_and_refused_without"}


@dataclass(frozen=True)
class Wait:
    """Time a plan spends as its profile says: how long, for what, and in which case ("" = the plan as a whole)."""

    seconds: float
    what: str
    case: str = ""


def _windows(profile: Profile, count: int, case: str = "", why: str = "") -> Wait:
    window = profile.limits.window_seconds
    return Wait(count * window, f"{count} rate-limit window{'s' if count > 1 else ''} of {window:g} s{why}", case)


def _token_expiry(profile: Profile) -> list[Wait]:
    auth = profile.auth
    if expiry_wait_s(profile) > auth.max_wait_seconds:
        return []  # an expired token of an earlier run is replayed from the vault instead
    what = (f"the token's expiry, with a call late in its life on the way (lifetime {auth.token_lifetime_seconds} s, "
            f"clock skew {auth.clock_skew_seconds} s)")
    return [Wait(expiry_wait_s(profile), what, EXPIRY_CASE)]


def _lock(profile: Profile) -> list[Wait]:
    auth = profile.auth
    whole = auth.lockout_seconds + auth.clock_skew_seconds
    if whole <= auth.max_wait_seconds:
        return [Wait(whole, f"the lock period ({auth.lockout_seconds} s) and clock skew", LOCK_CASE)]
    part = min(0.75 * auth.lockout_seconds, auth.max_wait_seconds)
    return [Wait(part, f"part of the lock period ({auth.lockout_seconds} s; the lift is not waited for)", LOCK_CASE)]


def _examples(plan: str) -> Callable[[Profile], list[Wait]]:
    return lambda profile: [Wait(profile.properties.examples * EXAMPLE_S,
                                 f"{profile.properties.examples} property examples", PROPERTY_CASES[plan])]


def _uptime(profile: Profile) -> list[Wait]:
    uptime = profile.uptime
    if uptime.window != "live":
        return []
    return [Wait(uptime.window_seconds, f"a live uptime window of {uptime.window_seconds:g} s")]


def _fuzzing(profile: Profile) -> list[Wait]:
    fuzzing = profile.fuzzing
    return [Wait(min(fuzzing.seconds, fuzzing.cases * FUZZ_CASE_S),
                 f"fuzzing {fuzzing.cases} cases within {fuzzing.seconds:g} s", FUZZ_CASE)]


WAITS: dict[str, Callable[[Profile], list[Wait]]] = {
    "PLAN_002": _token_expiry,
    "PLAN_003": _lock,
    "PLAN_006": lambda p: [_windows(p, 1, OTHER_ADDRESS_CASE, " before the second address's burst"),
                           _windows(p, 2, ANONYMOUS_BURST_CASE, " around the burst")],
    "PLAN_007": lambda p: [_windows(p, 2, why=" around the bursts")],
    "PLAN_008": lambda p: [_windows(p, 2, why=" (a quiet one before the bursts, the pacer's after them)")],
    "PLAN_009": _examples("PLAN_009"),
    "PLAN_017": _examples("PLAN_017"),
    "PLAN_018": _uptime,
    "PLAN_019": _fuzzing,
}


@dataclass(frozen=True)
class PlanEstimate:
    """A plan's expected time and the waits in it."""

    plan: str
    seconds: float
    waits: tuple[Wait, ...]


def plan_estimate(profile: Profile, plan: str, suite: Suite | None = None) -> PlanEstimate:
    """The expected time of one plan with this profile (of the cases the suite takes, when one is given)."""
    waits = tuple(w for w in WAITS.get(plan, lambda _: [])(profile)
                  if suite is None or suite.selects(plan, w.case) or (not w.case and plan in suite.plan_ids))
    base = BASE_S.get(plan, UNKNOWN_PLAN_S)
    if suite is not None and plan not in suite.cases:  # only some of its cases
        base = min(base, CASE_S * sum(entry.startswith(f"{plan}::") for entry in suite.cases))
    return PlanEstimate(plan, base + sum(w.seconds for w in waits), waits)


@dataclass(frozen=True)
class RunEstimate:
    """A run's expected time: the start and each plan that runs."""

    seconds: float
    plans: tuple[PlanEstimate, ...]

    def line(self, longest: int = 3) -> str:
        """One line for the start of a run: the total and the longest plans."""
        slow = sorted(self.plans, key=lambda e: -e.seconds)[:longest]
        count = len(self.plans)
        text = f"expected duration: about {duration_text(self.seconds)} for {count} plan{'s' if count != 1 else ''}"
        if count > longest:
            text += " (longest: " + ", ".join(f"{e.plan} {duration_text(e.seconds)}" for e in slow) + ")"
        return text


def run_estimate(profile: Profile, plans: list[str], suite: Suite | None = None, *,
                 claims: Mapping[str, Claims] | None = None, jobs: int = 1) -> RunEstimate:
    """The expected time of a run of these plans (those that run: not the waived or refused): one after the other,
    or as the scheduler runs them, given the plans' claims and how many may run at once."""
    estimates = tuple(plan_estimate(profile, plan, suite) for plan in plans)
    start = START_S[profile.target.embedded] if estimates else 0.0
    if claims is None or jobs <= 1:
        return RunEstimate(start + sum(e.seconds for e in estimates), estimates)
    slots = simulate({e.plan: e.seconds for e in estimates}, {e.plan: claims[e.plan] for e in estimates}, jobs)
    return RunEstimate(start + max((slot.end for slot in slots), default=0.0), estimates)
