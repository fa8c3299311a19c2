"""Reads a burst's outcomes against a rate limit (CONTRACT.md §4): pure logic, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from lhv.checks.outcomes import Finding
from lhv.load.burst import Outcome


@dataclass(frozen=True)
class LaneReading:
    """What one lane of a burst got, in send order."""

    lane: str
    sent: int
    succeeded: int
    limited: int
    others: tuple[str, ...]  # statuses or errors other than 200 and 429
    first_limited_at: int | None  # 1-based position of the first 429
    succeeded_after_limit: int
    missing_retry_after: int  # 429s without a delta-seconds Retry-After
    first_retry_after: str | None
    span_s: float  # first send to last send


def burst_gap(outcomes: list[Outcome], planned: int) -> str | None:
    """Says how the outcomes differ from the plan of `planned` requests, each sent once; None when they match."""
    seqs = [o.seq for o in outcomes]
    resent = len(seqs) - len(set(seqs))
    if resent:
        return f"the burst sent {len(seqs)} requests for {planned} planned: {resent} were sent more than once"
    if len(seqs) > planned:
        return f"the burst sent {len(seqs)} requests for {planned} planned"
    if len(seqs) < planned:
        return f"the burst sent only {len(seqs)} of {planned} requests within its time bound"
    return None


def read_lane(lane: str, outcomes: list[Outcome]) -> LaneReading:
    """Summarises one lane's outcomes (already in send order)."""
    statuses = [o.status for o in outcomes]
    first = next((i for i, s in enumerate(statuses) if s == 429), None)
    limited = [o for o in outcomes if o.status == 429]
    others = tuple(str(o.status or o.error or "no answer") for o in outcomes if o.status not in (200, 429))
    return LaneReading(
        lane=lane, sent=len(outcomes), succeeded=statuses.count(200), limited=len(limited), others=others,
        first_limited_at=None if first is None else first + 1,
        succeeded_after_limit=0 if first is None else statuses[first:].count(200),
        missing_retry_after=sum(1 for o in limited if not (o.retry_after or "").strip().isdigit()),
        first_retry_after=limited[0].retry_after if limited else None,
        span_s=(outcomes[-1].sent - outcomes[0].sent) if outcomes else 0.0)


def lane_findings(reading: LaneReading, limit: int, tolerance: int, *, ordered: bool) -> list[Finding]:
    """Judges a lane: exactly `limit` (± tolerance) succeed, then 429 with Retry-After, nothing after.

    ordered is False when several Locust workers sent the lane concurrently: then only counts are judged.
    """
    who, low, high = reading.lane, max(0, limit - tolerance), limit + tolerance
    band = f"{limit}" if tolerance == 0 else f"{limit} ± {tolerance}"
    findings = [
        Finding("only-200-or-429", not reading.others,
                f"{who}: {len(reading.others)} request(s) got neither 200 nor 429: {', '.join(reading.others[:5])}"
                if reading.others else f"{who}: every request got 200 or 429"),
        Finding("limit-enforced", reading.limited > 0,
                f"{who}: a 429 among {reading.sent} requests" if reading.limited
                else f"{who}: all {reading.sent} requests succeeded: no limit at {band}"),
        Finding("limit-is-n", low <= reading.succeeded <= high,
                f"{who}: {reading.succeeded} of {reading.sent} succeeded; the limit is {band}"),
    ]
    if ordered:
        at = reading.first_limited_at
        findings.append(Finding(
            "refused-from-n-plus-1", at is not None and low + 1 <= at <= high + 1 and not reading.succeeded_after_limit,
            f"{who}: first 429 at request {at}, {reading.succeeded_after_limit} success(es) after it "
            f"(expected the first 429 at request {limit + 1} and none after, within the window)"))
    findings.append(Finding(
        "retry-after", reading.limited > 0 and reading.missing_retry_after == 0,
        f"{who}: {reading.limited - reading.missing_retry_after} of {reading.limited} 429(s) carry Retry-After in "
        f"seconds (first: {reading.first_retry_after!r})"))
    return findings
