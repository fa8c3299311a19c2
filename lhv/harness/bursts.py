"""Steps the rate-limit and lockout plans share: a burst from a quiet client, requests sent while its budget is
still spent (to other covered routes, with another token, from a second client address), and the wait until its
window has passed."""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
import socket
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lhv.checks.outcomes import require
from lhv.checks.replies import status_is
from lhv.core import announce
from lhv.core.errors import ConfigError, Inconclusive, NotApplicable
from lhv.core.evidence import Step
from lhv.core.http import RecordingClient, Reply
from lhv.core.pacing import ANONYMOUS
from lhv.load.burst import BurstRequest, BurstResult, LoadDriver
from lhv.load.judge import burst_gap
from lhv.session.target import Target

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
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


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
    announce.sleep(wait, f"the {scope} rate-limit window ({limit.window_s:g} s) to pass after the burst")
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


# ---- requests sent while a budget is spent ---------------------------------------------------------------------

@dataclass(frozen=True)
class SpentUntil:
    """The moment before which a budget is surely still spent (or a lock surely holds), and why it ends then; with
    bearer tokens, also the moment after which a 401 may be the token's end of life rather than an answer."""

    at: float  # epoch seconds, on the clock of the outcomes' sent/received times
    why: str
    tokens_at: float | None = None
    tokens_why: str = ""

    def with_tokens_until(self, at: float, why: str) -> SpentUntil:
        """Returns this bound with the probes' tokens valid until at."""
        return SpentUntil(self.at, self.why, at, why)

    def bound_for(self, status: int) -> tuple[float, str]:
        """(moment, why) before which an answer with this status counts: a 401 only while the tokens surely live."""
        if status == 401 and self.tokens_at is not None and self.tokens_at < self.at:
            return self.tokens_at, self.tokens_why
        return self.at, self.why


def budget_spent_until(outcomes: list, limit: Limit, who: str) -> SpentUntil:
    """Returns when a lane's budget may free up: its first accepted request leaves the window (the device counted
    it no earlier than it was sent). Fails check budget-spent when the lane got no 429: then nothing was spent."""
    refused = sum(1 for o in outcomes if o.status == 429)
    require("budget-spent", refused > 0, f"{who}: no 429 in {len(outcomes)} requests: the budget was never spent",
            f"{who}: {refused} of {len(outcomes)} requests refused with 429: the budget is spent")
    first = min((o.sent for o in outcomes if o.status not in (None, 429)), default=outcomes[0].sent)
    return SpentUntil(first + limit.window_s, f"the first accepted {who} request left the {limit.window_s:g} s window")


@dataclass(frozen=True)
class Probe:
    """One request sent while a budget is spent or a lock holds: what it was, when it went out and came back."""

    what: str
    sent: float
    received: float
    reply: Reply

    @property
    def status(self) -> int:
        """The reply's status."""
        return self.reply.status

    def line(self) -> str:
        """Says what was sent and what came back."""
        return f"{self.what} → {self.status}"


def probe(client: RecordingClient, what: str, method: str, path: str, **request: Any) -> Probe:
    """Sends one request (client.request's keywords) and keeps when it went out and when its answer was in."""
    sent = time.time()
    reply = client.request(method, path, **request)
    return Probe(what, sent, time.time(), reply)


def spend_budget(target: Target, client: RecordingClient, scope: str, what: str, method: str, path: str,
                 **request: Any) -> list[Probe]:
    """From a client quiet for a whole window, sends the scope's burst (N + tolerance + 1) concurrently through
    client (e.g. a second client address, which Locust cannot send from); returns the probes in send order."""
    limit = limit_of(target, scope)
    waited = target.pacer.wait_quiet(scope)
    left = target.pacer.quiet_delay(scope)
    sent = send_concurrently(limit.burst_size, lambda: probe(client, what, method, path, **request))
    require("quiet-client", left <= 0,
            f"the harness sent {scope} requests within the {limit.window_s:g} s window before the burst",
            f"waited {waited:.2f} s for no {scope} request from the harness in the {limit.window_s:g} s before the "
            "burst")
    return sorted(sent, key=lambda p: p.sent)


def _in_time(probe_: Probe, until: SpentUntil) -> bool:
    return probe_.received < until.bound_for(probe_.status)[0]


def _late(probe_: Probe, until: SpentUntil) -> Inconclusive:
    at, why = until.bound_for(probe_.status)
    return Inconclusive(f"{probe_.line()}: answered {probe_.received - at:.2f} s after {why}, so its answer proves "
                        "nothing (it came too late on a slow machine); use a faster machine, or longer windows, "
                        "periods or token lifetimes in the profile")


def _timing(received: float, until: SpentUntil) -> str:
    margin = until.at - received
    return f"{margin:.2f} s before {until.why}" if margin >= 0 else f"{-margin:.2f} s after {until.why}"


PART_WAY = 0.75  # a spent budget is probed at ¾ of its window: a window much shorter than the profile's fails


def probe_part_way(client: RecordingClient, until: SpentUntil, window_s: float, what: str, method: str, path: str,
                   **request: Any) -> Probe:
    """Waits until PART_WAY of the window has passed since the budget was spent, then sends one request."""
    announce.sleep(until.at - (1 - PART_WAY) * window_s - time.time(),
                   f"{PART_WAY:.0%} of the {window_s:g} s rate-limit window to pass (the budget must still be spent)")
    return probe(client, what, method, path, **request)


def require_refused_until(check: str, probes: list[Probe], until: SpentUntil, what: str,
                          refused: Collection[int] = (429,)) -> None:
    """Each probe must be refused (429, or the given statuses). A probe served before the bound fails check; one
    served only after it proves nothing (the budget may rightly have freed up), so the step is inconclusive."""
    served = [p for p in probes if p.status not in refused]
    in_time = [p for p in served if _in_time(p, until)]
    if served and not in_time:
        raise _late(served[0], until)
    last = max(p.received for p in probes)
    require(check, not in_time, f"{what}: served while it had to be refused (answered before {until.why}): "
                                f"{', '.join(p.line() for p in in_time)}",
            f"{what}: {', '.join(p.line() for p in probes)}; the last answered {_timing(last, until)}")
    limited = [p for p in probes if p.status == 429]
    bare = [p for p in limited if not p.reply.headers.get("retry-after", "").strip().isdigit()]
    require("retry-after", not bare, f"{what}: 429 without Retry-After in whole seconds: "
                                     f"{', '.join(p.line() for p in bare)}",
            f"{what}: every 429 carries Retry-After" if limited else "")
    for refusal in limited:
        status_is(refusal.reply, 429)  # and its body as documented: JSON with a detail


def require_served_until(check: str, probe_: Probe, until: SpentUntil, what: str) -> None:
    """The probe must not get 429; a non-429 answer after the bound proves nothing, so the step is inconclusive."""
    if probe_.status != 429 and not _in_time(probe_, until):
        raise _late(probe_, until)
    require(check, probe_.status != 429, f"{what}: {probe_.line()}: refused as if it shared the spent budget",
            f"{what}: {probe_.line()}, answered {_timing(probe_.received, until)}")


# ---- a second client address ----------------------------------------------------------------------------------

def own_address(target: Target) -> str:
    """Returns the local address of a TCP connection to the target: the harness's address as a target on the same
    network (or loopback) sees it."""
    parts = urlsplit(target.base_url)
    with socket.create_connection((parts.hostname, parts.port or 443),
                                  timeout=target.profile.target.timeout_seconds) as connection:
        return connection.getsockname()[0]


def _other_loopback(own: str) -> str | None:
    address = ipaddress.ip_address(own)
    if address.version != 4 or not address.is_loopback:
        return None  # IPv6 has a single loopback address
    return "127.0.0.2" if own != "127.0.0.2" else "127.0.0.3"


def second_client_address(target: Target) -> str:
    """Returns a local address from which the target sees another client than the harness: the profile's
    limits.second_client_address, or another loopback address when the target is on loopback. Raises NotApplicable
    when there is none, ConfigError when the profile's address cannot be used."""
    configured = target.profile.limits.second_client_address
    own = own_address(target)
    address = configured or _other_loopback(own)
    if address is None:
        raise NotApplicable(f"not verifiable from here: the target sees the harness as {own} and no second client "
                            "address is known; set limits.second_client_address to another local address from "
                            f"which the target sees another client IP ({target.profile.source})")
    if address == own:
        raise ConfigError(target.profile.source, "limits.second_client_address",
                          f"{address} is the harness's own address toward the target; give another one")
    parts = urlsplit(target.base_url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), source_address=(address, 0),
                                      timeout=target.profile.target.timeout_seconds):
            pass
    except OSError as exc:
        if configured:
            raise ConfigError(target.profile.source, "limits.second_client_address",
                              f"cannot reach the target from {address} ({exc.strerror or exc})") from None
        raise NotApplicable(f"not verifiable from here: this machine cannot send from {address} to the target "
                            f"({exc.strerror or exc}); set limits.second_client_address") from None
    return address


def second_client(target: Target, address: str) -> RecordingClient:
    """Returns a recording client that sends from address (never rate-aware: rate-limit and lockout plans judge
    every answer); its sends count in the harness's pacer like any other."""
    settings = target.profile.target
    return RecordingClient(target.base_url, verify=target.verify, timeout_s=settings.timeout_seconds,
                           pacer=target.pacer, rate_aware=False, deadline_s=settings.request_deadline_seconds,
                           max_response_bytes=settings.max_response_bytes, source_address=address)
