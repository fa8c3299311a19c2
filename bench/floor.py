"""The floor of a full run: the waits the plans do because the profile says so, which no harness can avoid.

Read from the plans (verification/plan_*.py) and the helpers they call:
- PLAN_002 waits until the token's exp plus the clock skew has passed (the lifetime has to run out);
- PLAN_003 waits the lock period plus the clock skew before it proves the lock lifts;
- PLAN_006 waits for a client quiet for a window before each of its two bursts (before the first, the run's opening
  requests or the plan before it used the scope; before the second, its own first case did) and one window after
  the second to prove the limit resets; PLAN_007 waits one window after its burst to prove the limit resets, and
  PLAN_008
  waits for a client quiet for a window (or the clock skew, if longer) in both scopes, which the plan before it
  has just used (a quiet wait before PLAN_007's burst is left out: it depends on what ran before);
- PLAN_018 probes a live window of uptime.window_seconds; its Locust soak runs inside that window, so it only
  adds the part of soak.seconds longer than the window.
Margins the harness adds on top (PLAN_002's extra second, 0.3 s after a window, the live window's alignment on
the transaction interval) and every bit of work (device start, TLS scan, password hashing, Locust start-up,
pacing under the limits, the record) are overhead, not floor. A wait longer than auth.max_wait_seconds is not
waited (the plan uses the token vault or reports inconclusive), so it is no floor either.
"""

from __future__ import annotations

from dataclasses import dataclass

from lhv.session.profile import Profile


@dataclass(frozen=True)
class PlanFloor:
    """The unavoidable waits of one plan: seconds, and how they follow from the profile."""

    plan_id: str
    seconds: float
    derivation: str


def plan_floors(profile: Profile) -> list[PlanFloor]:
    """Returns the floor of every plan that waits, derived from the profile's values."""
    auth, limits, uptime = profile.auth, profile.limits, profile.uptime
    floors = []
    token_wait = auth.token_lifetime_seconds + auth.clock_skew_seconds
    if token_wait <= auth.max_wait_seconds:
        floors.append(PlanFloor("PLAN_002", token_wait, f"auth.token_lifetime_seconds {auth.token_lifetime_seconds}"
                                f" + auth.clock_skew_seconds {auth.clock_skew_seconds}: the token must expire"))
    lock_wait = auth.lockout_seconds + auth.clock_skew_seconds
    if lock_wait <= auth.max_wait_seconds:
        floors.append(PlanFloor("PLAN_003", lock_wait, f"auth.lockout_seconds {auth.lockout_seconds} + "
                                f"auth.clock_skew_seconds {auth.clock_skew_seconds}: the lock must lift"))
    window = limits.window_seconds
    if window <= auth.max_wait_seconds:
        floors.append(PlanFloor("PLAN_006", 3 * window, f"3 × limits.window_seconds {window:g}: a client quiet for "
                                "a window before each of its two bursts (the run's opening requests or the plan before "
                                "it, then its own first case, used the scope), then the anonymous limit must reset"))
        floors.append(PlanFloor("PLAN_007", window, f"limits.window_seconds {window:g}: the per-user limit must "
                                "reset"))
    quiet = max(window, auth.clock_skew_seconds)
    floors.append(PlanFloor("PLAN_008", quiet, f"max(limits.window_seconds {window:g}, auth.clock_skew_seconds "
                            f"{auth.clock_skew_seconds}): a quiet client in both scopes before the violations"))
    if uptime.window == "live":
        soak = uptime.soak.seconds if uptime.soak.users else 0.0
        floors.append(PlanFloor("PLAN_018", max(uptime.window_seconds, soak),
                                f"uptime.window_seconds {uptime.window_seconds:g} (the soak's {soak:g} s run inside "
                                "the window)"))
    return floors
