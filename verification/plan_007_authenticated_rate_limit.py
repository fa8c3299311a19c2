"""PLAN_007 Rate limiting for authenticated users.

Purpose: the same contract as PLAN_006 per token subject at the authenticated limit: from a quiet
client, a Locust burst of N+1 authenticated requests as one user gets exactly N successes, then 429 with
Retry-After; the same burst as a second user, sent right after, gets its own N successes (budgets
are per user, not shared). The budget is the subject's, not the token's, and covers every bearer route: while
the last user of the burst (the admin, when the profile has one) is refused, another fresh token of that user
and a valid request to each other bearer route get 429 too. Once the window has passed the first user is
served again.
"""

import time

from lhv.checks.outcomes import require, require_findings
from lhv.checks.replies import status_is
from lhv.core.errors import Inconclusive
from lhv.core.pacing import AUTHENTICATED
from lhv.harness.bursts import (
    budget_spent_until,
    burst_from_quiet_client,
    limit_of,
    probe,
    require_refused_until,
    require_tokens_outlive,
    require_within_window,
    wait_out_window,
)
from lhv.load.burst import BurstRequest
from lhv.load.judge import lane_findings, read_lane
from lhv.session.claims import AUTHENTICATED_BUDGET, alone

PLAN_ID = "PLAN_007"
CLAIMS = alone(AUTHENTICATED_BUDGET)  # its bursts need a client quiet for a window in the authenticated scope
USERS = ("user", "second_user")
OTHER_ROUTES = {"diagnose": "one-jpeg", "assess_severity": "apasi-mild"}  # intent → payload file of a valid body


def _covered_requests(api, accounts, clinic, holder):
    """(route, JSON body, account it would register) of one valid request to each bearer route but the burst's;
    POST /users only as an admin of a target that registers over HTTP (the role could refuse anyone else first)."""
    requests = [(api.dialect.route(intent), clinic.payload(name, PLAN_ID).resolved(clinic.images_dir), None)
                for intent, name in OTHER_ROUTES.items()]
    if holder == "admin" and accounts.registration == "http":
        identity = accounts.new_identity("rate-cover")
        requests.append((api.dialect.route("register"),
                         api.dialect.registration_body(identity.username, identity.password, None), identity.username))
    return requests


def test_authenticated_burst_is_limited_per_user_and_resets(target, api, accounts, clinic, load, step):
    """Each user's token gets exactly N successes then 429 with Retry-After, budgets are per user, a spent budget
    holds for another token of the user and on every bearer route, and the limit resets."""
    limit, auth = limit_of(target, AUTHENTICATED), target.profile.auth
    route = api.dialect.route("device_information")
    lanes = USERS + (("admin",) if target.profile.credentials.admin else ())
    holder = lanes[-1]  # the last lane has the most of its window left once Locust has ended
    people = {label: getattr(accounts, label) for label in lanes}
    issued: list[float] = []
    tokens: dict[str, str] = {}

    def fresh_tokens():
        issued.append(time.time())
        tokens["other"] = api.fresh_token(people[holder])  # a second login of the holder, never used in the burst
        tokens.update({label: api.fresh_token(who) for label, who in people.items()})
        if tokens["other"] == tokens[holder]:  # a device without a token id issues the same token within a second
            time.sleep(1.05 - time.time() % 1)
            tokens[holder] = api.fresh_token(people[holder])
        return {label: tokens[label] for label in lanes}

    with step(f"From a client quiet for {limit.window_s:g} s, log {', '.join(lanes)} in and send {limit.burst_size} "
              f"requests with each one's token in turn (device information), with Locust",
              expect=f"the test user: the first {limit.requests} succeed (tolerance {limit.tolerance}); request "
                     f"{limit.requests + 1} gets 429 with Retry-After") as record:
        covered = _covered_requests(api, accounts, clinic, holder)  # bodies ready before the burst
        burst = [BurstRequest(label, route.method, route.path, authenticated=True)
                 for label in lanes for _ in range(limit.burst_size)]
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
    names = ", ".join(f"{r.method} {r.path}" for r, _, _ in covered)
    with step(f"While {holder} is refused, send one request with another fresh token of {holder} (device "
              f"information), then one valid request with the spent token to each other bearer route ({names})",
              expect="429 for each: the budget is the subject's, not the token's, and covers every bearer route"), \
            target.client(rate_aware=False) as client:
        if not any(new for _, _, new in covered):
            step.note(f"POST /users not sent: only the profile's admin may register, and only where "
                      f"accounts.registration = \"http\" (the burst's last user is {holder}, registration is "
                      f"\"{accounts.registration}\")")
        lane = result.lane(holder)
        require_tokens_outlive(lane, issued[0], target, holder)
        require_within_window(lane, limit, holder)
        until = budget_spent_until(lane, limit, holder).with_tokens_until(
            issued[0] + auth.token_lifetime_seconds - auth.clock_skew_seconds,
            f"the tokens' lifetime ({auth.token_lifetime_seconds} s, less the clock skew) ended")
        if tokens["other"] == tokens[holder]:
            raise Inconclusive(f"the device issued {holder} the same token on two logins: another token of the same "
                               "user cannot be tried")
        other = probe(client, f"{route.method} {route.path} with another token of {holder}", route.method, route.path,
                      token=tokens["other"])
        probes = [probe(client, f"{r.method} {r.path}", r.method, r.path, token=tokens[holder], json_body=body)
                  for r, body, _ in covered]
        accounts.created += [new for sent, (_, _, new) in zip(probes, covered) if new and sent.status in (200, 201)]
        require_refused_until("other-token-limited", [other], until, f"another token of {holder}")
        require_refused_until("covered-route-limited", probes, until, f"the other bearer routes as {holder}")
    with step(f"Wait until the bursts' last request is older than the window ({limit.window_s:g} s)",
              expect="the window has passed"):
        wait_out_window(target, result, AUTHENTICATED)
    with step("Log in as the test user again and send one request with the new token",
              expect="200: the limit has reset"), \
            target.client(rate_aware=False) as client:
        token = api.fresh_token(accounts.user)
        status_is(client.request(route.method, route.path, token=token), 200)
