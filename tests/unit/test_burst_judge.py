"""A burst's lane is judged against the limit: exactly N, then 429 with Retry-After, nothing after."""

from lhv.load.burst import Outcome
from lhv.load.judge import burst_gap, lane_findings, read_lane


def lane(statuses, retry_after="2"):
    return [Outcome(i, "user", 100 + i * 0.01, 100.005 + i * 0.01, s, retry_after if s == 429 else None, None)
            for i, s in enumerate(statuses)]


def failed(findings):
    return [f.name for f in findings if not f.passed]


def test_exactly_n_then_429_passes():
    reading = read_lane("user", lane([200] * 5 + [429]))
    assert reading.first_limited_at == 6 and reading.succeeded == 5
    assert failed(lane_findings(reading, 5, 0, ordered=True)) == []


def test_no_limit_and_off_by_ten_fail():
    assert "limit-enforced" in failed(lane_findings(read_lane("user", lane([200] * 6)), 5, 0, ordered=True))
    reading = read_lane("user", lane([200] * 15 + [429]))
    assert "limit-is-n" in failed(lane_findings(reading, 5, 0, ordered=True))


def test_tolerance_widens_the_band():
    reading = read_lane("user", lane([200] * 6 + [429] * 2))
    assert failed(lane_findings(reading, 5, 1, ordered=True)) == []
    assert "limit-is-n" in failed(lane_findings(reading, 5, 0, ordered=True))


def test_a_success_after_the_first_429_fails_when_ordered_only():
    reading = read_lane("user", lane([200] * 4 + [429, 200]))
    assert reading.succeeded_after_limit == 1
    assert "refused-from-n-plus-1" in failed(lane_findings(reading, 5, 0, ordered=True))
    assert failed(lane_findings(reading, 5, 0, ordered=False)) == []


def test_429_without_retry_after_and_other_statuses_fail():
    assert "retry-after" in failed(lane_findings(read_lane("user", lane([200] * 5 + [429], None)), 5, 0, ordered=True))
    assert "retry-after" in failed(lane_findings(read_lane("user", lane([200] * 5 + [429], "Fri, 01 Jan")), 5, 0,
                                                 ordered=True))
    reading = read_lane("user", lane([200] * 4 + [401, 429]))
    assert reading.others == ("401",)
    assert failed(lane_findings(reading, 5, 0, ordered=True))[0] == "only-200-or-429"


def test_a_burst_is_judged_only_when_each_planned_request_went_once():
    assert burst_gap(lane([200] * 5 + [429]), 6) is None
    assert "only 5 of 6" in burst_gap(lane([200] * 5), 6)
    resent = lane([200] * 5 + [429]) + lane([429] * 3)  # a share sent twice: seq 0–2 again
    assert "3 were sent more than once" in burst_gap(resent, 6)
    assert "7 requests for 6 planned" in burst_gap(lane([200] * 7), 6)
