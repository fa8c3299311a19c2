"""Availability verdict over recorded probes: interval states, coverage, incidents and outcome."""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import accumulate
from typing import Any

import numpy as np

from lhv.uptime.store import KINDS, MaintenanceWindow, ProberRun, ProbeStore, ProbeTally, epoch_ms

NO_DATA, DOWN, DEGRADED, UP = -1, 0, 1, 2
MAINTENANCE_MODES = ("excluded", "counted")
UNCLASSIFIED = "unclassified"

_SERIES_BUCKETS_MS = (86_400_000, 3_600_000, 600_000, 60_000)
_MIN_SERIES_BUCKETS = 7


@dataclass(frozen=True)
class Period:
    """A run of consecutive intervals in one state."""

    start: datetime
    end: datetime
    duration_s: float
    intervals: int


@dataclass(frozen=True)
class Incident(Period):
    """A run of consecutive down intervals and the error classes of its failed probes."""

    error_class: str
    error_classes: dict[str, int]


@dataclass(frozen=True)
class IntervalCounts:
    """How many intervals of the window ended in each state."""

    total: int
    up: int  # includes degraded
    degraded: int
    down: int
    no_data: int
    maintenance: int


@dataclass(frozen=True)
class SeriesPoint:
    """Availability and latency of one chart bucket (a day, or shorter for short windows)."""

    start: datetime
    end: datetime
    up: int
    down: int
    no_data: int
    maintenance: int
    availability_pct: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@dataclass(frozen=True)
class ProberSummary:
    """What one prober recorded in the window."""

    prober_id: str
    probes: int
    outcomes: dict[str, int]  # as recorded, before the probe timeout is applied
    failed: int
    failed_while_up: int  # failures in intervals another probe saw up: not device downtime
    success_pct: float


@dataclass(frozen=True)
class VersionSeen:
    """A device version reported by probes, with when it was first and last seen."""

    version: str | None
    probes: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class ProberGap:
    """A stretch of the window in which a prober was not running."""

    prober_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Verdict:
    """The availability of the device over a window, judged by the recorded method."""

    outcome: str
    reason: str
    availability_pct: float | None
    target_pct: float
    coverage: float
    min_coverage: float
    longest_gap_s: float
    max_gap_s: float
    window_start: datetime
    window_end: datetime
    interval_s: float
    probe_timeout_s: float
    maintenance: str
    kind: str | None
    intervals: IntervalCounts
    downtime_s: float
    budget_s: float
    budget_left_s: float
    incidents: tuple[Incident, ...]
    degraded: tuple[Period, ...]
    gaps: tuple[Period, ...]
    maintenance_windows: tuple[MaintenanceWindow, ...]
    prober_runs: tuple[ProberRun, ...]
    prober_gaps: tuple[ProberGap, ...]
    probers: tuple[ProberSummary, ...]
    versions: tuple[VersionSeen, ...]
    probes: int
    probe_success_pct: float | None  # successful probes / probes, every prober: shows request-level flapping
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    series: tuple[SeriesPoint, ...]
    method: str

    def as_record(self) -> dict[str, Any]:
        """Returns the verdict as JSON-ready data, times as ISO 8601 strings."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def compute_availability(
    store: ProbeStore,
    window_start: datetime,
    window_end: datetime,
    *,
    interval_s: float,
    probe_timeout_s: float,
    min_coverage: float = 0.9,
    target: float = 99.0,
    maintenance: str = "excluded",
    max_gap_s: float | None = None,
    kind: str | None = None,
) -> Verdict:
    """Judges the device's availability over [window_start, window_end) from the probes in the store.

    max_gap_s defaults to the downtime budget of the whole window, at least one interval; kind None judges
    all probe kinds.
    """
    start_ms, end_ms = epoch_ms(window_start), epoch_ms(window_end)
    interval_ms = round(interval_s * 1000)
    _check_arguments(start_ms, end_ms, interval_ms, probe_timeout_s, min_coverage, target, maintenance, kind)
    n = (end_ms - start_ms) // interval_ms
    step = timedelta(milliseconds=interval_ms)

    def period(first: int, end: int) -> Period:
        duration_s = float((end - first) * interval_s)
        return Period(window_start + first * step, window_start + end * step, duration_s, end - first)

    states = _interval_states(store, window_start, window_end, n, interval_s, probe_timeout_s, kind)
    windows = store.maintenance_windows(window_start, window_end)
    excluded = np.zeros(n, dtype=bool)
    if maintenance == "excluded":
        for w in windows:
            # Only intervals wholly inside the declared window are excluded.
            first = -(-(epoch_ms(w.starts_at) - start_ms) // interval_ms)
            end = (epoch_ms(w.ends_at) - start_ms) // interval_ms
            excluded[max(first, 0) : max(min(end, n), 0)] = True
    judged = ~excluded
    masks = {
        "up": judged & (states >= DEGRADED),
        "degraded": judged & (states == DEGRADED),
        "down": judged & (states == DOWN),
        "no_data": judged & (states == NO_DATA),
        "maintenance": excluded,
    }
    counts = IntervalCounts(total=n, **{name: int(mask.sum()) for name, mask in masks.items()})

    failures = store.failure_classes(
        window_start, window_end, interval_s, timeout_s=probe_timeout_s, kind=kind
    )
    classes_by_interval: dict[int, Counter[str]] = defaultdict(Counter)
    for index, _prober, error_class, failed in failures:
        classes_by_interval[index][error_class or UNCLASSIFIED] += failed
    gaps = tuple(period(first, end) for first, end in _runs(masks["no_data"]))
    longest_gap_s = max((g.duration_s for g in gaps), default=0.0)
    unmet = (100 - Fraction(str(target))) / 100
    gap_limit_s = allowed_gap_s(max_gap_s, target, n - counts.maintenance, interval_s)
    outcome, reason = outcome_of(counts, target, min_coverage, longest_gap_s, gap_limit_s)
    covered = counts.up + counts.down
    downtime_s = float(counts.down * interval_s)
    budget_s = float(unmet * covered) * interval_s

    series, latency_p50_ms, latency_p95_ms = _series(
        store, window_start, window_end, interval_ms, masks, timeout_s=probe_timeout_s, kind=kind
    )
    tallies = store.tallies(window_start, window_end, kind=kind)
    probes = sum(t.probes for t in tallies)
    runs = store.prober_runs(window_start, window_end)
    return Verdict(
        outcome=outcome,
        reason=reason,
        availability_pct=float(Fraction(100 * counts.up, covered)) if covered else None,
        target_pct=target,
        coverage=covered / (n - counts.maintenance) if n > counts.maintenance else 0.0,
        min_coverage=min_coverage,
        longest_gap_s=longest_gap_s,
        max_gap_s=gap_limit_s,
        window_start=window_start,
        window_end=window_end,
        interval_s=interval_s,
        probe_timeout_s=probe_timeout_s,
        maintenance=maintenance,
        kind=kind,
        intervals=counts,
        downtime_s=downtime_s,
        budget_s=budget_s,
        budget_left_s=budget_s - downtime_s,
        incidents=tuple(_incident(period(a, b), a, classes_by_interval) for a, b in _runs(masks["down"])),
        degraded=tuple(period(first, end) for first, end in _runs(masks["degraded"])),
        gaps=gaps,
        maintenance_windows=tuple(windows),
        prober_runs=tuple(runs),
        prober_gaps=_prober_gaps(runs, window_start, window_end),
        probers=_prober_summaries(tallies, failures, states),
        versions=_versions(store, window_start, window_end, tallies, kind),
        probes=probes,
        probe_success_pct=100 * (probes - sum(f[3] for f in failures)) / probes if probes else None,
        latency_p50_ms=latency_p50_ms,
        latency_p95_ms=latency_p95_ms,
        series=series,
        method=method_text(
            interval_s=interval_s,
            probe_timeout_s=probe_timeout_s,
            min_coverage=min_coverage,
            target=target,
            maintenance=maintenance,
            max_gap_s=max_gap_s,
            kind=kind,
        ),
    )


def _interval_states(
    store: ProbeStore,
    window_start: datetime,
    window_end: datetime,
    n: int,
    interval_s: float,
    probe_timeout_s: float,
    kind: str | None,
) -> np.ndarray:
    """Returns the state of each interval: UP, DEGRADED, DOWN or NO_DATA."""
    states = np.full(n, NO_DATA, dtype=np.int8)
    recorded = store.interval_states(
        window_start, window_end, interval_s, timeout_s=probe_timeout_s, kind=kind
    )
    for first, end in recorded.covered:
        states[first:end] = UP
    for index, best in recorded.not_up:
        states[index] = best
    return states


def _check_arguments(
    start_ms: int,
    end_ms: int,
    interval_ms: int,
    probe_timeout_s: float,
    min_coverage: float,
    target: float,
    maintenance: str,
    kind: str | None,
) -> None:
    if end_ms <= start_ms:
        raise ValueError("the window must end after it starts")
    if interval_ms < 1:
        raise ValueError("interval_s must be at least 1 ms")
    if (end_ms - start_ms) % interval_ms:
        raise ValueError("the window must be a whole number of intervals long")
    if probe_timeout_s <= 0:
        raise ValueError("probe_timeout_s must be positive")
    if not 0 <= min_coverage <= 1:
        raise ValueError("min_coverage is a fraction between 0 and 1")
    if not 0 < target <= 100:
        raise ValueError("target is a percentage above 0 and at most 100")
    if maintenance not in MAINTENANCE_MODES:
        raise ValueError(f"maintenance must be one of {MAINTENANCE_MODES}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be None or one of {KINDS}")


def allowed_gap_s(max_gap_s: float | None, target: float, judged_intervals: int, interval_s: float) -> float:
    """Returns the longest gap without data a verdict allows: max_gap_s if set, else the window's budget
    but at least one interval.

    One missed interval is the probing step itself, not a blind spot: a short window's budget (a live
    minute at 99 %: 0.6 s) would otherwise make one late or lost probe inconclusive, while scattered
    misses are still bounded by the minimum coverage.
    """
    if max_gap_s is not None:
        return max_gap_s
    budget_s = float((100 - Fraction(str(target))) / 100 * judged_intervals) * interval_s
    return max(budget_s, interval_s)


def outcome_of(
    counts: IntervalCounts, target: float, min_coverage: float, longest_gap_s: float, gap_limit_s: float
) -> tuple[str, str]:
    """Returns the outcome and its reason from the interval counts and the longest gap without data."""
    covered = counts.up + counts.down
    if covered == 0:
        return "inconclusive", "no probe data in the judged part of the window"
    target_pct = Fraction(str(target))
    availability = Fraction(100 * counts.up, covered)
    coverage = Fraction(covered, covered + counts.no_data)
    shown = f"availability {float(availability):.3f} % against target {target:g} %"
    if coverage < Fraction(str(min_coverage)):
        blind_spot = f"coverage {float(coverage) * 100:.1f} % is below the minimum {min_coverage * 100:g} %"
    elif longest_gap_s > gap_limit_s:
        blind_spot = (
            f"a gap of {_duration(longest_gap_s)} without data is longer than the "
            f"{_duration(gap_limit_s)} allowed"
        )
    else:
        if availability >= target_pct:
            return "passed", f"{shown}, coverage {float(coverage) * 100:.1f} %"
        return "failed", f"{shown}, coverage {float(coverage) * 100:.1f} %"
    best_case = Fraction(100 * (counts.up + counts.no_data), covered + counts.no_data)
    if best_case < target_pct:
        return "failed", f"{shown}; below target even if every interval without data was up ({blind_spot})"
    return "inconclusive", f"{shown}, but {blind_spot}"


def _duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} d"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:g} s"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Returns [first, end) index pairs of the runs of True in mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _incident(span: Period, first: int, classes_by_interval: dict[int, Counter[str]]) -> Incident:
    classes: Counter[str] = Counter()
    for i in range(first, first + span.intervals):
        classes.update(classes_by_interval[i])
    # Every down interval holds failed probes, so classes is never empty; ties go to the first name.
    dominant = min(classes.items(), key=lambda item: (-item[1], item[0]))[0]
    return Incident(span.start, span.end, span.duration_s, span.intervals, dominant, dict(classes))


def _series(
    store: ProbeStore,
    window_start: datetime,
    window_end: datetime,
    interval_ms: int,
    masks: dict[str, np.ndarray],
    *,
    timeout_s: float,
    kind: str | None,
) -> tuple[tuple[SeriesPoint, ...], float | None, float | None]:
    n = len(masks["up"])
    window_ms = n * interval_ms
    bucket_ms = _series_bucket_ms(window_ms, interval_ms)
    buckets = -(-window_ms // bucket_ms)
    index = np.arange(n, dtype=np.int64) * interval_ms // bucket_ms
    per_bucket = {
        name: np.bincount(index, weights=mask, minlength=buckets).astype(np.int64).tolist()
        for name, mask in masks.items()
    }
    latency_bins: dict[int, list[tuple[int, int]]] = defaultdict(list)
    overall: Counter[int] = Counter()
    for bucket, upper_ms, probes in store.latency_histogram(
        window_start, window_end, bucket_ms / 1000, timeout_s=timeout_s, kind=kind
    ):
        latency_bins[bucket].append((upper_ms, probes))
        overall[upper_ms] += probes
    step = timedelta(milliseconds=bucket_ms)
    points = []
    for b in range(buckets):
        up, down = per_bucket["up"][b], per_bucket["down"][b]
        points.append(
            SeriesPoint(
                start=window_start + b * step,
                end=min(window_start + (b + 1) * step, window_end),
                up=up,
                down=down,
                no_data=per_bucket["no_data"][b],
                maintenance=per_bucket["maintenance"][b],
                availability_pct=float(Fraction(100 * up, up + down)) if up + down else None,
                latency_p50_ms=_percentile(latency_bins[b], 50),
                latency_p95_ms=_percentile(latency_bins[b], 95),
            )
        )
    return tuple(points), _percentile(overall.items(), 50), _percentile(overall.items(), 95)


def _series_bucket_ms(window_ms: int, interval_ms: int) -> int:
    """Returns the largest of a day, hour, 10 min and 1 min that gives 7 buckets, else the interval."""
    for bucket_ms in _SERIES_BUCKETS_MS:
        if window_ms // bucket_ms >= _MIN_SERIES_BUCKETS:
            return max(bucket_ms, interval_ms)
    return interval_ms


def _percentile(bins: Iterable[tuple[int, int]], percent: int) -> float | None:
    """Returns the nearest-rank percentile of latency bins given as (upper edge in ms, probes)."""
    ordered = sorted(bins)
    if not ordered:
        return None
    cumulative = list(accumulate(probes for _, probes in ordered))
    rank = -(-percent * cumulative[-1] // 100)
    return float(ordered[bisect_left(cumulative, rank)][0])


def _prober_summaries(
    tallies: list[ProbeTally], failures: list[tuple[int, str, str | None, int]], states: np.ndarray
) -> tuple[ProberSummary, ...]:
    probes: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for t in tallies:
        probes[t.prober_id] += t.probes
        outcomes[t.prober_id][t.outcome] += t.probes
    failed: Counter[str] = Counter()
    failed_while_up: Counter[str] = Counter()
    for bucket, prober, _error_class, count in failures:
        failed[prober] += count
        if states[bucket] >= DEGRADED:
            failed_while_up[prober] += count
    return tuple(
        ProberSummary(
            prober_id=p,
            probes=probes[p],
            outcomes=dict(outcomes[p]),
            failed=failed[p],
            failed_while_up=failed_while_up[p],
            success_pct=100 * (probes[p] - failed[p]) / probes[p],
        )
        for p in sorted(probes)
    )


def _versions(
    store: ProbeStore, start: datetime, end: datetime, tallies: list[ProbeTally], kind: str | None
) -> tuple[VersionSeen, ...]:
    probes: Counter[str | None] = Counter()
    for t in tallies:
        probes[t.device_version] += t.probes
    seen = []
    for version, count in probes.items():
        span = store.first_and_last_seen(start, end, version, kind=kind)
        if span:  # always found, as the tallies counted its probes
            seen.append(VersionSeen(version, count, *span))
    return tuple(sorted(seen, key=lambda v: v.first_seen))


def _prober_gaps(runs: list[ProberRun], start: datetime, end: datetime) -> tuple[ProberGap, ...]:
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for run in runs:
        spans[run.prober_id].append((run.started_at, run.ended_at))
    gaps = []
    for prober, prober_spans in sorted(spans.items()):
        covered_until = start
        for span_start, span_end in sorted(prober_spans):
            if span_start > covered_until:
                gaps.append(ProberGap(prober, covered_until, min(span_start, end)))
            covered_until = max(covered_until, span_end)
        if covered_until < end:
            gaps.append(ProberGap(prober, covered_until, end))
    return tuple(gaps)


def method_text(
    *,
    interval_s: float,
    probe_timeout_s: float,
    min_coverage: float,
    target: float,
    maintenance: str,
    max_gap_s: float | None,
    kind: str | None,
) -> str:
    """Returns the judging method, with its parameters, as text for the record."""
    probes = "all probe kinds" if kind is None else f"{kind} probes only"
    if maintenance == "excluded":
        maintenance_rule = (
            "Intervals lying wholly inside a maintenance window declared in the store are left out of "
            "every count; an interval only partly inside one is judged like any other."
        )
    else:
        maintenance_rule = "Declared maintenance windows are judged like any other time."
    gap_limit = (
        f"{max_gap_s:g} s"
        if max_gap_s is not None
        else f"the downtime budget of the whole judged window ({100 - target:g} % of it) or one interval, "
        "whichever is longer"
    )
    return "\n".join(
        (
            f"Method of the availability verdict ({probes}).",
            f"1. Intervals: the window [start, end) is cut into consecutive intervals of {interval_s:g} s; "
            "a probe belongs to the interval in which it started.",
            f"2. Probes: a probe succeeds when the prober recorded it up or degraded and it answered within "
            f"the probe timeout of {probe_timeout_s:g} s; a slower answer fails with error class 'timeout'. "
            "Every other probe fails.",
            "3. Interval states: UP if a probe in the interval succeeded; DEGRADED if its best probe was "
            "degraded, which counts as up and is listed separately; DOWN if probes in it all failed; "
            "NO DATA if no probe started in it.",
            "4. Several probers: their probes are combined per interval, and an interval is down only where "
            "every prober that has data for it saw it down; a failure one prober saw while another probe "
            "succeeded is that prober's own trouble, not device downtime. Prober runs (start, heartbeat, "
            "stop) are listed so a prober's own downtime shows as a gap, never as uptime.",
            f"5. Maintenance: {maintenance_rule}",
            "6. Missing data: NO DATA intervals are left out of the availability but lower the coverage, "
            "covered (up + down) intervals / judged intervals.",
            "7. Availability = up / (up + down) x 100, degraded counted as up. Downtime = down intervals x "
            f"interval length; the downtime budget is {100 - target:g} % of the covered time.",
            f"8. Outcome: passed when availability >= {target:g} % (exactly at target passes); failed "
            "when below. The verdict is inconclusive instead when coverage is below "
            f"{min_coverage * 100:g} % or a single gap without data is longer than {gap_limit}, since such "
            "a gap could hide an outage "
            "that alone breaks the target; it is failed even then when availability would stay below "
            "target with every NO DATA interval counted as up.",
            "9. Incidents are maximal runs of consecutive DOWN intervals; an incident's error class is the "
            "most frequent error class among its failed probes.",
            "10. Latency percentiles (nearest rank) are over successful probes, binned to 1 ms below 1 s, "
            "10 ms below 10 s and 100 ms beyond, and given as the bin's upper edge.",
            "11. For information, not part of the outcome: the share of successful probes, overall and per "
            "prober, which shows a device that drops a share of requests even where another prober's "
            "success in the same interval keeps the interval up.",
        )
    )
