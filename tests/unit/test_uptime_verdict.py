"""Tests of the availability verdict on simulated months of probes (SQLite and PostgreSQL) and its chart."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhv.uptime.chart import render
from lhv.uptime.store import Probe, ProbeStore, open_store
from lhv.uptime.verdict import IntervalCounts, Verdict, allowed_gap_s, compute_availability, outcome_of

MONTH_START = datetime(2026, 4, 1, tzinfo=UTC)
MONTH_END = MONTH_START + timedelta(days=30)
MINUTES = 43_200
TARGET = "https://device.example/health"
# 432 down minutes in three incidents: exactly 1 % of the month.
INCIDENTS_432 = (range(1_000, 1_200), range(20_000, 20_200), range(40_000, 40_032))


@pytest.fixture
def store(store_url: str) -> Iterator[ProbeStore]:
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ProbeStore]:
    with open_store(f"sqlite:///{tmp_path / 'probes.sqlite3'}") as opened:
        yield opened


def minutes(*spans: Iterable[int]) -> set[int]:
    return {m for span in spans for m in span}


def month_of_probes(
    prober_id: str = "a",
    *,
    down: AbstractSet[int] = frozenset(),
    missing: AbstractSet[int] = frozenset(),
    degraded: AbstractSet[int] = frozenset(),
    error_class: str = "5xx",
    version: str = "2.1.0",
    latency_ms: float = 120.0,
) -> list[Probe]:
    """Returns one probe per minute of the month, 30 s into the minute, except the missing minutes."""
    return [
        Probe(
            prober_id=prober_id,
            probed_at=MONTH_START + timedelta(minutes=m, seconds=30),
            target=TARGET,
            kind="health",
            outcome="down" if m in down else "degraded" if m in degraded else "up",
            latency_ms=None if m in down else latency_ms,
            status=None if m in down else 200,
            error_class=error_class if m in down else None,
            device_version=version,
        )
        for m in range(MINUTES)
        if m not in missing
    ]


def judge(store: ProbeStore, **options: object) -> Verdict:
    options = {"interval_s": 60, "probe_timeout_s": 10, **options}
    return compute_availability(store, MONTH_START, MONTH_END, **options)  # type: ignore[arg-type]


def test_exactly_one_percent_down_passes_at_99_percent(store: ProbeStore) -> None:
    store.add_probes(month_of_probes(down=minutes(*INCIDENTS_432)))
    verdict = judge(store)
    assert verdict.outcome == "passed"
    assert verdict.availability_pct == 99.0
    assert (verdict.intervals.up, verdict.intervals.down, verdict.intervals.no_data) == (42_768, 432, 0)
    assert verdict.budget_s == 7.2 * 3600
    assert verdict.downtime_s == 432 * 60
    assert verdict.budget_left_s == 0
    assert [(i.start, i.duration_s, i.error_class) for i in verdict.incidents] == [
        (MONTH_START + timedelta(minutes=span.start), len(span) * 60.0, "5xx") for span in INCIDENTS_432
    ]


def test_one_minute_more_than_one_percent_fails(store: ProbeStore) -> None:
    store.add_probes(month_of_probes(down=minutes(*INCIDENTS_432, [30_000])))
    verdict = judge(store)
    assert verdict.outcome == "failed"
    assert verdict.availability_pct == pytest.approx(100 * 42_767 / 43_200)
    assert verdict.budget_left_s == -60
    assert len(verdict.incidents) == 4


def test_less_downtime_passes_with_budget_left(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(down=minutes(range(100, 131))))
    verdict = judge(sqlite_store)
    assert verdict.outcome == "passed"
    assert verdict.budget_left_s == (432 - 31) * 60


def test_a_two_day_gap_is_inconclusive(store: ProbeStore) -> None:
    store.add_probes(month_of_probes(missing=minutes(range(10_000, 10_000 + 2 * 1_440))))
    verdict = judge(store)
    assert verdict.outcome == "inconclusive"
    assert verdict.availability_pct == 100.0
    assert verdict.coverage == pytest.approx(28 / 30)
    assert [(g.start, g.duration_s) for g in verdict.gaps] == [
        (MONTH_START + timedelta(minutes=10_000), 172_800.0)
    ]
    assert "gap" in verdict.reason


def test_a_gap_shorter_than_the_budget_does_not_block_a_pass(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(missing=minutes(range(10_000, 10_060))))
    verdict = judge(sqlite_store)
    assert verdict.outcome == "passed"
    assert verdict.longest_gap_s == 3_600


def test_scattered_missing_probes_below_min_coverage_are_inconclusive(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(missing=set(range(0, MINUTES, 5))))
    verdict = judge(sqlite_store)
    assert verdict.outcome == "inconclusive"
    assert verdict.coverage == pytest.approx(0.8)
    assert "coverage 80.0 % is below the minimum 90 %" in verdict.reason
    assert judge(sqlite_store, min_coverage=0.8).outcome == "passed"


def test_downtime_that_fails_even_if_the_gap_was_up_fails(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(
        month_of_probes(down=minutes(range(0, 600)), missing=minutes(range(10_000, 10_000 + 2 * 1_440)))
    )
    verdict = judge(sqlite_store)
    assert verdict.outcome == "failed"
    assert "even if every interval without data was up" in verdict.reason


def test_an_empty_store_is_inconclusive(sqlite_store: ProbeStore) -> None:
    verdict = judge(sqlite_store)
    assert (verdict.outcome, verdict.availability_pct, verdict.coverage) == ("inconclusive", None, 0.0)


def test_a_probers_own_outage_is_not_device_downtime(store: ProbeStore) -> None:
    store.add_probes(month_of_probes("a"))
    store.add_probes(month_of_probes("b", down=minutes(range(5_000, 6_000)), error_class="connect"))
    verdict = judge(store)
    assert verdict.outcome == "passed"
    assert verdict.availability_pct == 100.0
    assert verdict.incidents == ()
    by_prober = {p.prober_id: p for p in verdict.probers}
    assert (by_prober["b"].probes, by_prober["b"].failed, by_prober["b"].failed_while_up) == (
        MINUTES,
        1_000,
        1_000,
    )
    assert by_prober["b"].outcomes == {"up": MINUTES - 1_000, "down": 1_000}
    assert verdict.probes == 2 * MINUTES


def test_down_where_every_prober_with_data_saw_it_down(store: ProbeStore) -> None:
    outage = minutes(range(8_000, 8_300))
    # Prober a has no data for part of the outage; b saw all of it down; a saw the rest down too.
    store.add_probes(
        month_of_probes("a", down=outage, missing=minutes(range(8_100, 8_200)), error_class="timeout")
    )
    store.add_probes(month_of_probes("b", down=outage, error_class="5xx"))
    verdict = judge(store)
    (incident,) = verdict.incidents
    assert (incident.start, incident.intervals) == (MONTH_START + timedelta(minutes=8_000), 300)
    assert incident.error_classes == {"timeout": 200, "5xx": 300}
    assert incident.error_class == "5xx"
    assert verdict.outcome == "passed"


def test_declared_maintenance_is_excluded(store: ProbeStore) -> None:
    maintenance = minutes(range(2_000, 2_300), range(30_000, 30_200))
    store.add_probes(month_of_probes(down=maintenance | minutes(range(9_000, 9_400))))
    store.add_maintenance(
        MONTH_START + timedelta(minutes=2_000), MONTH_START + timedelta(minutes=2_300), "upgrade"
    )
    # Declared to the second, so the first and last minute are only partly inside and still judged.
    store.add_maintenance(
        MONTH_START + timedelta(minutes=29_999, seconds=30),
        MONTH_START + timedelta(minutes=30_200, seconds=30),
        "database migration",
    )
    verdict = judge(store)
    assert verdict.intervals.maintenance == 300 + 200
    assert verdict.intervals.down == 400
    assert verdict.outcome == "passed"
    assert [w.reason for w in verdict.maintenance_windows] == ["upgrade", "database migration"]
    counted = judge(store, maintenance="counted")
    assert (counted.outcome, counted.intervals.down, counted.intervals.maintenance) == ("failed", 900, 0)


def test_degraded_counts_as_up_and_is_listed(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(degraded=minutes(range(100, 160))))
    verdict = judge(sqlite_store)
    assert verdict.availability_pct == 100.0
    assert verdict.intervals.degraded == 60
    assert [(d.start, d.intervals) for d in verdict.degraded] == [(MONTH_START + timedelta(minutes=100), 60)]


def test_answers_slower_than_the_probe_timeout_are_down(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(latency_ms=12_000.0))
    verdict = judge(sqlite_store)
    assert verdict.outcome == "failed"
    assert verdict.incidents[0].error_class == "timeout"
    assert judge(sqlite_store, probe_timeout_s=15).outcome == "passed"


def test_versions_latency_and_series(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(
        month_of_probes(version="2.0.0")[:20_000] + month_of_probes(version="2.1.0")[20_000:]
    )
    verdict = judge(sqlite_store)
    assert [(v.version, v.probes, v.first_seen) for v in verdict.versions] == [
        ("2.0.0", 20_000, MONTH_START + timedelta(seconds=30)),
        ("2.1.0", 23_200, MONTH_START + timedelta(minutes=20_000, seconds=30)),
    ]
    assert verdict.versions[0].last_seen == MONTH_START + timedelta(minutes=19_999, seconds=30)
    assert (verdict.latency_p50_ms, verdict.latency_p95_ms) == (121.0, 121.0)
    assert len(verdict.series) == 30
    assert {p.availability_pct for p in verdict.series} == {100.0}
    day = compute_availability(
        sqlite_store, MONTH_START, MONTH_START + timedelta(days=1), interval_s=60, probe_timeout_s=10
    )
    assert [p.end - p.start for p in day.series] == [timedelta(hours=1)] * 24


def test_kind_filter_judges_only_that_kind(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes())
    verdict = judge(sqlite_store, kind="transaction")
    assert (verdict.outcome, verdict.probes) == ("inconclusive", 0)


@pytest.mark.parametrize(
    ("window_end", "options", "message"),
    [
        (MONTH_START, {}, "end after"),
        (MONTH_END + timedelta(seconds=30), {}, "whole number of intervals"),
        (MONTH_END, {"maintenance": "ignored"}, "maintenance"),
        (MONTH_END, {"target": 0}, "target"),
        (MONTH_END, {"min_coverage": 1.5}, "min_coverage"),
        (MONTH_END, {"kind": "ping"}, "kind"),
    ],
)
def test_malformed_requests_are_refused(
    sqlite_store: ProbeStore, window_end: datetime, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compute_availability(
            sqlite_store, MONTH_START, window_end, interval_s=60, probe_timeout_s=10, **options
        )  # type: ignore[arg-type]


def test_method_and_record_state_the_rules(sqlite_store: ProbeStore) -> None:
    sqlite_store.add_probes(month_of_probes(down=minutes(*INCIDENTS_432)))
    verdict = judge(sqlite_store)
    for rule in (
        "intervals of 60 s",
        "timeout of 10 s",
        "every prober that has data",
        "exactly at target passes",
        "below 90 %",
        "maintenance window",
        "NO DATA",
    ):
        assert rule in verdict.method
    record = json.loads(json.dumps(verdict.as_record()))
    assert record["outcome"] == "passed"
    assert record["incidents"][0]["start"] == "2026-04-01T16:40:00+00:00"
    assert record["method"] == verdict.method


def test_chart_is_a_png(sqlite_store: ProbeStore, tmp_path: Path) -> None:
    sqlite_store.add_probes(
        month_of_probes(
            down=minutes(*INCIDENTS_432),
            missing=minutes(range(10_000, 10_300)),
            degraded=minutes(range(500, 560)),
        )
    )
    sqlite_store.add_maintenance(
        MONTH_START + timedelta(days=20), MONTH_START + timedelta(days=20, hours=2), "upgrade"
    )
    short = compute_availability(
        sqlite_store, MONTH_START, MONTH_START + timedelta(minutes=5), interval_s=60, probe_timeout_s=10
    )
    empty = compute_availability(
        sqlite_store, MONTH_END, MONTH_END + timedelta(hours=1), interval_s=60, probe_timeout_s=10
    )
    for name, verdict in (("month", judge(sqlite_store)), ("short", short), ("empty", empty)):
        path = render(verdict, tmp_path / f"{name}.png")
        content = path.read_bytes()
        assert content.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(content) > 10_000


probes_in_an_hour = st.lists(
    st.tuples(
        st.integers(0, 3_599),  # second of the hour
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["up", "down", "degraded"]),
        st.sampled_from([80.0, 20_000.0]),  # the second is slower than the 10 s probe timeout
    ),
    max_size=150,
    unique_by=lambda p: (p[0], p[1]),
)


@settings(max_examples=60, deadline=None)
@given(probes=probes_in_an_hour)
def test_interval_states_follow_the_rule_read_directly(probes: list[tuple[int, str, str, float]]) -> None:
    best: dict[int, int] = {}
    for second, _prober, outcome, latency_ms in probes:
        rank = 0 if outcome == "down" or latency_ms > 10_000 else 1 if outcome == "degraded" else 2
        best[second // 60] = max(rank, best.get(second // 60, 0))
    with open_store("sqlite:///:memory:") as store:
        store.add_probes(
            Probe(prober, MONTH_START + timedelta(seconds=second), TARGET, "health", outcome, latency_ms)
            for second, prober, outcome, latency_ms in probes
        )
        verdict = compute_availability(
            store, MONTH_START, MONTH_START + timedelta(hours=1), interval_s=60, probe_timeout_s=10
        )
    ranks = list(best.values())
    counts = verdict.intervals
    assert (counts.up, counts.degraded, counts.down) == (
        ranks.count(1) + ranks.count(2),
        ranks.count(1),
        ranks.count(0),
    )
    assert counts.no_data == 60 - len(best)
    assert sum(i.intervals for i in verdict.incidents) == counts.down
    assert sum(g.intervals for g in verdict.gaps) == counts.no_data


def test_request_level_flapping_shows_in_the_probe_success_share(tmp_path: Path) -> None:
    rng = random.Random(18)
    day_end = MONTH_START + timedelta(days=1)
    # The device drops 2 % of requests, independently for each prober.
    day_of_probes = {
        prober_id: month_of_probes(prober_id, down={m for m in range(1_440) if rng.random() < 0.02})[:1_440]
        for prober_id in ("a", "b", "c")
    }
    with (
        open_store(f"sqlite:///{tmp_path / 'one.sqlite3'}") as one,
        open_store(f"sqlite:///{tmp_path / 'three.sqlite3'}") as three,
    ):
        one.add_probes(day_of_probes["a"])
        for probes in day_of_probes.values():
            three.add_probes(probes)
        alone = compute_availability(one, MONTH_START, day_end, interval_s=60, probe_timeout_s=10)
        combined = compute_availability(three, MONTH_START, day_end, interval_s=60, probe_timeout_s=10)
    assert alone.outcome == "failed"
    # Three probers rarely fail in the same minute, so the intervals pass, but every prober saw the drops.
    assert combined.outcome == "passed"
    assert combined.probe_success_pct == pytest.approx(98, abs=1)
    assert all(p.success_pct < 99 for p in combined.probers)


def live_minute(up: int, no_data: int) -> IntervalCounts:
    """Returns the counts of a live window of sixty 1 s intervals."""
    return IntervalCounts(total=60, up=up, degraded=0, down=0, no_data=no_data, maintenance=0)


@pytest.mark.parametrize(
    ("counts", "longest_gap_s", "max_gap_s", "outcome", "allowed_s"),
    [
        # A live minute at 99 %: the budget is 0.6 s, shorter than the 1 s interval.
        (live_minute(59, 1), 1.0, None, "passed", 1.0),  # one missed interval is the probing step
        (live_minute(58, 2), 1.0, None, "passed", 1.0),  # two missed apart: coverage decides (96.7 %)
        (live_minute(58, 2), 2.0, None, "inconclusive", 1.0),  # two missed in a row: a blind spot
        (live_minute(59, 1), 1.0, 0.5, "inconclusive", 0.5),  # a profile's stricter max_gap_s stands
        # A month of minutes at 99 %: the budget (7.2 h) exceeds one interval and stays the allowance.
        (IntervalCounts(43_200, 43_140, 0, 0, 60, 0), 3_600.0, None, "passed", 25_920.0),
        (IntervalCounts(43_200, 40_320, 0, 0, 2_880, 0), 172_800.0, None, "inconclusive", 25_920.0),
    ],
)
def test_a_gap_is_allowed_up_to_the_budget_but_at_least_one_interval(
    counts: IntervalCounts, longest_gap_s: float, max_gap_s: float | None, outcome: str, allowed_s: float
) -> None:
    interval_s = 1.0 if counts.total == 60 else 60.0
    allowed = allowed_gap_s(max_gap_s, 99.0, counts.total - counts.maintenance, interval_s)
    assert allowed == pytest.approx(allowed_s)
    judged, reason = outcome_of(counts, 99.0, 0.9, longest_gap_s, allowed)
    assert judged == outcome, reason
    assert ("without data is longer than" in reason) == (outcome == "inconclusive")


def test_one_missed_probe_in_a_live_minute_is_judged(sqlite_store: ProbeStore) -> None:
    start = MONTH_START
    sqlite_store.add_probes(
        Probe("a", start + timedelta(seconds=s, milliseconds=500), TARGET, "health", "up", 3.0)
        for s in range(60)
        if s != 30
    )
    verdict = compute_availability(
        sqlite_store, start, start + timedelta(seconds=60), interval_s=1, probe_timeout_s=1
    )
    assert (verdict.outcome, verdict.longest_gap_s, verdict.max_gap_s) == ("passed", 1.0, 1.0), verdict.reason
    assert "or one interval" in verdict.method
