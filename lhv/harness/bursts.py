"""Steps the rate-limit plans share: a burst from a quiet client, and the wait until its window has passed."""

from __future__ import annotations

import contextvars
import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TypeVar

from lhv.checks import require
from lhv.errors import Inconclusive
from lhv.evidence import Step
from lhv.harness.target import Target
from lhv.load.burst import BurstRequest, BurstResult, LoadDriver
from lhv.load.judge import burst_gap
from lhv.pacing import ANONYMOUS

T = TypeVar("T")

WINDOW_MARGIN_S = 0.3  # the device counts a request a little after we send it
SENDERS = 8  # concurrent senders of a recorded burst: N+1 requests fit a short window even on busy cores


def send_concurrently(count: int, send: Callable[[], T]) -> list[T]:
    """Calls send() count times from SENDERS threads, each in the caller's context (its evidence); returns the
    results in completion order."""
    with ThreadPoolExecutor(max_workers=min(SENDERS, count)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, send) for _ in range(count)]
        return [future.result() for future in as_completed(futures)]


@dataclass(frozen=True)
class Limit:
    """One scope's limit as the profile states it."""

    requests: int
    window_s: float
    tolerance: int

    @property
    def burst_size(self) -> int:
        """Requests a burst sends: enough to see the 429 even at the top of the tolerance."""
        return self.requests + self.tolerance + 1


def limit_of(target: Target, scope: str) -> Limit:
    """Returns the profile's limit for 'anonymous' or 'authenticated'."""
    limits = target.profile.limits
    requests = limits.anonymous_requests if scope == ANONYMOUS else limits.authenticated_requests
    return Limit(requests, limits.window_seconds, limits.tolerance)


def _utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="milliseconds")


def burst_from_quiet_client(target: Target, load: LoadDriver, record: Step, plan_id: str, name: str,
                            requests: list[BurstRequest], scope: str,
                            fresh_tokens: Callable[[], dict[str, str]] = dict) -> BurstResult:
    """Runs a Locust burst once the harness has sent nothing in scope for a whole window; files
    Locust's reports in the step; raises Inconclusive when the burst cannot be judged."""
    limit = limit_of(target, scope)
    quiet: dict[str, float] = {}

    def prepare() -> dict[str, str]:
        quiet["waited"] = target.pacer.wait_quiet(scope)
        tokens = fresh_tokens()  # just before the burst: short token lifetimes stay valid through it
        quiet["left"] = target.pacer.quiet_delay(scope)
        return tokens

    result = load.run(plan_id, name, requests, time_bound_s=2 * limit.window_s + 15, prepare=prepare)
    # the budget was spent when the device last answered, not when Locust had exited
    last_answer = max((outcome.received for outcome in result.outcomes), default=time.time())
    target.pacer.saturate(scope, ago_s=time.time() - last_answer)
    record.attachments.extend(result.attachments)
    outcomes = result.outcomes
    mode = "one local process" if result.workers == 1 and load.workers == 0 else \
        f"distributed: a master and {result.workers} workers"
    record.actual.append(f"Locust ({mode}) sent {len(outcomes)} of {result.planned} planned requests"
                         + (f" from {_utc(outcomes[0].sent)} to {_utc(outcomes[-1].sent)} UTC "
                            f"({outcomes[-1].sent - outcomes[0].sent:.2f} s)" if outcomes else "")
                         + f"; the harness waited {quiet.get('waited', 0):.2f} s for a quiet client first")
    require("quiet-client", quiet.get("left", 1.0) <= 0,
            f"the harness sent {scope} requests within the {limit.window_s:g} s window before the burst",
            f"no {scope} request from the harness in the {limit.window_s:g} s before the burst")
    if gap := burst_gap(outcomes, result.planned):
        raise Inconclusive(f"{gap}; Locust said: {result.log_tail[-300:]}")
    return result


def require_within_window(outcomes: list, limit: Limit, who: str) -> None:
    """Raises Inconclusive when a lane took longer than the window (budget may rightly have freed up)."""
    span = outcomes[-1].sent - outcomes[0].sent if outcomes else 0.0
    if span >= limit.window_s:
        raise Inconclusive(f"{who}: the burst took {span:.2f} s, not less than the {limit.window_s:g} s window, so "
                           "requests may rightly have left the window during it; use distributed load "
                           "(limits.load_workers) or a faster load machine")


def wait_out_window(target: Target, result: BurstResult, scope: str) -> float:
    """Waits until the burst's last request has left the window; returns the seconds waited."""
    limit = limit_of(target, scope)
    until = max(o.sent for o in result.outcomes) + limit.window_s + WINDOW_MARGIN_S
    wait = until - time.time()
    max_wait = target.profile.auth.max_wait_seconds
    if wait > max_wait:
        raise Inconclusive(f"the window ({limit.window_s:g} s) is longer than the run may wait "
                           f"({max_wait} s, auth.max_wait_seconds): the reset was not observed")
    time.sleep(max(0.0, wait))
    require("window-passed", time.time() >= until, "the wait ended before the window had passed",
            f"the last request of the burst is {time.time() - until + limit.window_s + WINDOW_MARGIN_S:.2f} s old")
    return max(0.0, wait)


def require_tokens_outlive(outcomes: list, issued_at: float, target: Target, who: str) -> None:
    """Raises Inconclusive when a lane's bearer token expired before the lane ended (a 401 then says nothing)."""
    auth = target.profile.auth
    if outcomes and any(o.status == 401 for o in outcomes) \
            and outcomes[-1].sent >= issued_at + auth.token_lifetime_seconds - auth.clock_skew_seconds:
        raise Inconclusive(f"{who}: the burst outlasted the token's lifetime ({auth.token_lifetime_seconds} s): "
                           "its 401s say nothing about the rate limit; use a profile with a longer token lifetime "
                           "or distributed load (limits.load_workers)")

