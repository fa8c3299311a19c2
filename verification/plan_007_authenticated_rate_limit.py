"""PLAN_007 Rate limiting for authenticated users.

Purpose: the same contract as PLAN_006 per token subject at the authenticated limit: from a quiet
client, a Locust burst of N+1 authenticated requests as one user gets exactly N successes, then 429 with
Retry-After; the same burst as a second user, sent right after, gets its own N successes (budgets
are per user, not shared); once the window has passed the first user is served again.
"""

import time

from lhv.checks import require, status_is
from lhv.findings import require_findings
from lhv.harness.bursts import (burst_from_quiet_client, limit_of, require_tokens_outlive, require_within_window,
                                wait_out_window)
from lhv.load.burst import BurstRequest
from lhv.load.judge import lane_findings, read_lane
from lhv.pacing import AUTHENTICATED

PLAN_ID = "PLAN_007"
USERS = ("user", "second_user")


def test_authenticated_burst_is_limited_per_user_and_resets(target, api, accounts, load, step):
    """Each user's token gets exactly N successes then 429 with Retry-After, budgets are per user, and the limit resets."""
    limit = limit_of(target, AUTHENTICATED)
    route = api.dialect.route("device_information")
    people = {"user": accounts.user, "second_user": accounts.second_user}
    issued: list[float] = []

    def fresh_tokens():
        issued.append(time.time())
        return {label: api.fresh_token(who) for label, who in people.items()}

    with step(f"From a client quiet for {limit.window_s:g} s, log both users in and send {limit.burst_size} "
              f"requests with the test user's token (device information), then {limit.burst_size} with the second "
              "user's, with Locust", expect=f"the test user: the first {limit.requests} succeed (tolerance "
                                          f"{limit.tolerance}); request {limit.requests + 1} gets 429 with "
                                          "Retry-After") as record:
        burst = [BurstRequest(label, route.method, route.path, authenticated=True)
                 for label in USERS for _ in range(limit.burst_size)]
        result = burst_from_quiet_client(target, load, record, PLAN_ID, "authenticated-burst", burst, AUTHENTICATED,
                                         fresh_tokens)
        first = result.lane("user")
        require_tokens_outlive(first, issued[0], target, "user")
        require_within_window(first, limit, "user")
        require_findings(lane_findings(read_lane("user", first), limit.requests, limit.tolerance,
                                       ordered=result.workers == 1))
    with step("Read the second user's requests, sent while the test user was refused",
              expect=f"the second user also gets {limit.requests} successes and then 429: its own budget"):
        second = result.lane("second_user")
        require_tokens_outlive(second, issued[0], target, "second_user")
        require_within_window(second, limit, "second_user")
        overlap = second[0].sent < first[0].sent + limit.window_s if second and first else False
        require("second-user-in-first-users-window", overlap,
                "the second user's burst started after the test user's window had passed: it proves nothing",
                f"the second user's burst started {second[0].sent - first[-1].sent:.2f} s after the test user's "
                "last request, within the test user's window" if overlap else "")
        require_findings(lane_findings(read_lane("second_user", second), limit.requests, limit.tolerance,
                                       ordered=result.workers == 1))
    with step(f"Wait until the bursts' last request is older than the window ({limit.window_s:g} s)",
              expect="the window has passed"):
        wait_out_window(target, result, AUTHENTICATED)
    with step("Log in as the test user again and send one request with the new token",
              expect="200: the limit has reset"), \
            target.client(rate_aware=False) as client:
        token = api.fresh_token(accounts.user)
        status_is(client.request(route.method, route.path, token=token), 200)
