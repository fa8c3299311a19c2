"""PLAN_006 Rate limiting for anonymous users.

Purpose: from a quiet client, a Locust burst of N+1 anonymous requests to the API root within one
window gets exactly N successes, then 429 with Retry-After; while that budget is spent, a login (the
other route the anonymous limit covers) gets 429 too, and so does the root ¾ into the window; once the window
has passed the root answers 200
again. While a second client address has spent its budget, the harness's own address is still served
(the budget is per client IP). N, the window and the tolerance come from the profile's [limits].
"""

from lhv.checks.outcomes import require_findings
from lhv.checks.replies import status_is
from lhv.core.pacing import ANONYMOUS
from lhv.harness.bursts import (
    PART_WAY,
    budget_spent_until,
    burst_from_quiet_client,
    limit_of,
    probe,
    probe_part_way,
    require_refused_until,
    require_served_until,
    require_within_window,
    second_client,
    second_client_address,
    spend_budget,
    wait_out_window,
)
from lhv.load.burst import BurstRequest
from lhv.load.judge import lane_findings, read_lane
from lhv.session.claims import ANONYMOUS_BUDGET, alone

PLAN_ID = "PLAN_006"
# its bursts need a client quiet for a window in the anonymous scope: no other plan sends while it runs
CLAIMS = alone(ANONYMOUS_BUDGET)


# First: the next case's quiet wait absorbs this one's window (the other way round, the next plan's logins would wait
# it out). The budget spent here is the second address's, so that the harness's own address meets the next case fresh.
def test_another_client_address_has_its_own_budget(target, api, step):
    """While another client address is refused, the harness's own address is still served: the budget is per IP."""
    limit = limit_of(target, ANONYMOUS)
    root = api.dialect.route("root")
    address = second_client_address(target)  # not applicable without one: the record says why
    with second_client(target, address) as other:
        with step(f"From a client quiet for {limit.window_s:g} s, send {limit.burst_size} anonymous requests to the "
                  f"API root from {address}, concurrently", expect="some get 429: that address's budget is spent"):
            spent = spend_budget(target, other, ANONYMOUS, f"{root.method} {root.path} from {address}", root.method,
                                 root.path)
            require_within_window(spent, limit, address)
            until = budget_spent_until(spent, limit, address)
        with step(f"While {address} is refused, send one request to the API root from the harness's own address, "
                  f"then one more from {address}", expect=f"the harness's own address is served (not 429); {address} "
                                                          "is still refused with 429"), \
                target.client(rate_aware=False) as client:
            own = probe(client, f"{root.method} {root.path} from the harness's own address", root.method, root.path)
            still = probe(other, f"{root.method} {root.path} from {address}", root.method, root.path)
            require_refused_until("client-still-refused", [still], until, f"{address} after the harness's own request")
            require_served_until("other-client-own-budget", own, until, "another client address")


def test_anonymous_burst_is_limited_at_n_and_resets(target, api, accounts, load, step):
    """From a quiet client, exactly N anonymous requests succeed, N+1 gets 429 with Retry-After, a login is refused
    while the budget is spent, and the limit resets."""
    limit = limit_of(target, ANONYMOUS)
    root, login = api.dialect.route("root"), api.dialect.route("login")
    with step(f"From a client quiet for {limit.window_s:g} s, send {limit.burst_size} anonymous requests to the "
              f"API root with Locust", expect=f"the first {limit.requests} succeed (tolerance {limit.tolerance}); "
                                              f"request {limit.requests + 1} gets 429 with Retry-After") as record:
        burst = [BurstRequest(ANONYMOUS, root.method, root.path) for _ in range(limit.burst_size)]
        result = burst_from_quiet_client(target, load, record, PLAN_ID, "anonymous-burst", burst, ANONYMOUS)
        require_within_window(result.outcomes, limit, ANONYMOUS)
        require_findings(lane_findings(read_lane(ANONYMOUS, result.outcomes), limit.requests, limit.tolerance,
                                       ordered=result.workers == 1))
    with step("While the client is refused, send one login with the test user's valid credentials",
              expect="429: the anonymous limit covers the login route with the same budget"), \
            target.client(rate_aware=False) as client:
        until = budget_spent_until(result.outcomes, limit, ANONYMOUS)
        user = accounts.user
        sent = probe(client, f"{login.method} {login.path}", login.method, login.path,
                     form=api.dialect.login_form(user.username, user.password))
        require_refused_until("covered-route-limited", [sent], until, "the login while the root's budget is spent")
    with step(f"At {PART_WAY:.0%} of the window after the burst's first accepted request, send one anonymous request "
              "to the API root", expect="429: the budget stays spent for the whole window, not a shorter one"), \
            target.client(rate_aware=False) as client:
        late = probe_part_way(client, until, limit.window_s, f"{root.method} {root.path}", root.method, root.path)
        require_refused_until("window-holds-part-way", [late], until, f"the root {PART_WAY:.0%} into the window")
    with step(f"Wait until the burst's last request is older than the window ({limit.window_s:g} s)",
              expect="the window has passed"):
        wait_out_window(target, result, ANONYMOUS)
    with step("Send one anonymous request to the API root", expect="200: the limit has reset"), \
            target.client(rate_aware=False) as client:
        status_is(client.request(root.method, root.path), 200)
