"""PLAN_006 Rate limiting for anonymous users.

Purpose: from a quiet client, a Locust burst of N+1 anonymous requests to the API root within one
window gets exactly N successes, then 429 with Retry-After; once the window has passed the root
answers 200 again. N, the window and the tolerance come from the profile's [limits].
"""

from lhv.checks import status_is
from lhv.findings import require_findings
from lhv.harness.bursts import burst_from_quiet_client, limit_of, require_within_window, wait_out_window
from lhv.load.burst import BurstRequest
from lhv.load.judge import lane_findings, read_lane
from lhv.pacing import ANONYMOUS

PLAN_ID = "PLAN_006"


def test_anonymous_burst_is_limited_at_n_and_resets(target, api, load, step):
    """From a quiet client, exactly N anonymous requests succeed, N+1 gets 429 with Retry-After, and the limit resets."""
    limit = limit_of(target, ANONYMOUS)
    root = api.dialect.route("root")
    with step(f"From a client quiet for {limit.window_s:g} s, send {limit.burst_size} anonymous requests to the "
              f"API root with Locust", expect=f"the first {limit.requests} succeed (tolerance {limit.tolerance}); "
                                              f"request {limit.requests + 1} gets 429 with Retry-After") as record:
        burst = [BurstRequest(ANONYMOUS, root.method, root.path) for _ in range(limit.burst_size)]
        result = burst_from_quiet_client(target, load, record, PLAN_ID, "anonymous-burst", burst, ANONYMOUS)
        require_within_window(result.outcomes, limit, ANONYMOUS)
        require_findings(lane_findings(read_lane(ANONYMOUS, result.outcomes), limit.requests, limit.tolerance,
                                       ordered=result.workers == 1))
    with step(f"Wait until the burst's last request is older than the window ({limit.window_s:g} s)",
              expect="the window has passed"):
        wait_out_window(target, result, ANONYMOUS)
    with step("Send one anonymous request to the API root", expect="200: the limit has reset"), \
            target.client(rate_aware=False) as client:
        status_is(client.request(root.method, root.path), 200)
