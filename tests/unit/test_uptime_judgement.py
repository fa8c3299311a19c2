"""Tests of PLAN_018's judgement (probe kinds, request-level gate, windows) and of the uptime record it writes."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lhv.session.profile import UptimeSection
from lhv.uptime.judgement import (
    Judgement,
    calendar_month,
    configured_window,
    judge_window,
    live_window,
    previous_month,
)
from lhv.uptime.report import write_uptime_record
from lhv.uptime.store import Probe, ProbeStore, open_store

NOVEMBER = calendar_month("2026-11")  # 30 days: 43,200 minutes, 8,640 five-minute transaction intervals
MINUTES = 43_200
TARGET = "https://device.example"
# 432 down minutes: exactly 1 % of the month.
OUTAGE_432 = set(range(1_000, 1_200)) | set(range(20_000, 20_200)) | set(range(40_000, 40_032))
UPTIME = UptimeSection(interval_seconds=60, transaction={"interval_seconds": 300})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProbeStore]:
    with open_store(f"sqlite:///{tmp_path / 'probes.sqlite3'}") as opened:
        yield opened


def month(prober: str = "a", *, down: Iterable[int] = (), missing: Iterable[int] = (),
          transaction: bool = True) -> list[Probe]:
    """Returns a month of health probes each minute and transaction probes each five minutes (minute indices)."""
    down, missing = set(down), set(missing)
    probes = []
    for m in range(MINUTES):
        if m in missing:
            continue
        at = NOVEMBER.start + timedelta(minutes=m, seconds=30)
        outcome = "down" if m in down else "up"
        probes.append(Probe(prober, at, f"{TARGET}/health", "health", outcome, 3.0, 503 if m in down else 200,
                            "5xx" if m in down else None))
        if transaction and m % 5 == 2:
            probes.append(Probe(prober, at, f"{TARGET}/device-information", "transaction", outcome, 40.0,
                                503 if m in down else 200, "5xx" if m in down else None, "2.1.0"))
    return probes


def judge(store: ProbeStore, uptime: UptimeSection = UPTIME) -> Judgement:
    return judge_window(store, NOVEMBER, uptime, store_label="sqlite:///probes.sqlite3")


def test_exactly_one_percent_down_passes_and_one_minute_more_fails(store: ProbeStore) -> None:
    store.add_probes(month(down=OUTAGE_432))
    at_target = judge(store)
    assert at_target.outcome == "passed", at_target.reason
    assert at_target.kind("health").verdict.availability_pct == 99.0
    assert at_target.kind("health").share.percent == 99.0
    assert at_target.kind("health").verdict.budget_left_s == 0


def test_one_minute_over_the_budget_fails(store: ProbeStore) -> None:
    store.add_probes(month(down=OUTAGE_432 | {30_000}))
    judgement = judge(store)
    assert judgement.outcome == "failed"
    assert judgement.kind("health").outcome == "failed"
    assert "health: availability 98.998 %" in judgement.reason


def test_less_downtime_passes_with_versions_and_incidents_listed(store: ProbeStore) -> None:
    store.add_probes(month(down=set(range(100, 131))))
    judgement = judge(store)
    assert judgement.outcome == "passed"
    assert judgement.versions() == ["2.1.0"]
    lines = judgement.summary_lines()
    assert any(line.startswith("  incident 2026-11-01T01:40:00+00:00 to 2026-11-01T02:11:00+00:00 (31.0 min), "
                               "cause 5xx") for line in lines), lines
    assert lines[-1] == "device versions seen: 2.1.0"


def test_a_two_day_gap_is_inconclusive(store: ProbeStore) -> None:
    store.add_probes(month(missing=range(10_000, 10_000 + 2 * 1_440)))
    judgement = judge(store)
    assert judgement.outcome == "inconclusive"
    assert "gap of 2.0 d" in judgement.kind("health").reason


def test_a_transaction_that_always_fails_fails_though_health_is_up(store: ProbeStore) -> None:
    store.add_probes(p for p in month() if p.kind == "health")
    store.add_probes(Probe("a", NOVEMBER.start + timedelta(minutes=m, seconds=30), TARGET, "transaction", "down",
                           20.0, 501, "5xx") for m in range(2, MINUTES, 5))
    judgement = judge(store)
    assert (judgement.kind("health").outcome, judgement.kind("transaction").outcome) == ("passed", "failed")
    assert judgement.outcome == "failed"


def test_missing_transaction_probes_leave_the_window_inconclusive(store: ProbeStore) -> None:
    store.add_probes(month(transaction=False))
    assert judge(store).outcome == "inconclusive"
    assert judge(store, UptimeSection(transaction={"intent": ""})).outcome == "passed"


def drops(rng: random.Random, share: float) -> set[int]:
    return {m for m in range(MINUTES) if rng.random() < share}


def test_random_drops_seen_by_every_prober_fail_though_intervals_stay_up(store: ProbeStore) -> None:
    rng = random.Random(18)
    for prober in ("eu-west", "us-east", "ap-south"):
        store.add_probes(month(prober, down=drops(rng, 0.02), transaction=False))
    judgement = judge(store, UptimeSection(transaction={"intent": ""}))
    health = judgement.kind("health")
    assert health.verdict.outcome == "passed"  # three probers rarely fail in the same minute
    assert health.outcome == judgement.outcome == "failed"
    assert health.share.percent < 99 and health.share.basis.startswith("prober ")


def test_one_probers_own_trouble_does_not_fail_the_device(store: ProbeStore) -> None:
    store.add_probes(month("eu-west", transaction=False))
    store.add_probes(month("flaky-office", down=range(5_000, 6_500), transaction=False))  # 3.5 % of its probes
    judgement = judge(store, UptimeSection(transaction={"intent": ""}))
    assert judgement.outcome == "passed", judgement.reason
    assert judgement.kind("health").share.basis == f"prober eu-west: {MINUTES} of {MINUTES} probes"


def test_a_prober_that_probed_little_does_not_outvote_the_others(store: ProbeStore) -> None:
    rng = random.Random(7)
    store.add_probes(month("eu-west", down=drops(rng, 0.02), transaction=False))
    store.add_probes(month("laptop", transaction=False)[:600])  # ten clean hours: too few to count
    judgement = judge(store, UptimeSection(transaction={"intent": ""}))
    assert judgement.outcome == "failed"
    assert judgement.kind("health").share.basis.startswith("prober eu-west")


def test_the_record_states_the_method_and_is_json(store: ProbeStore, tmp_path: Path) -> None:
    store.add_probes(month(down=OUTAGE_432))
    judgement = judge(store)
    for rule in ("best share", "every kind must pass", "never as uptime", "inconclusive when any kind lacks"):
        assert rule in judgement.method
    record = json.loads(json.dumps(judgement.as_record()))
    assert record["window"] == {"label": "2026-11", "start": "2026-11-01T00:00:00+00:00",
                                "end": "2026-12-01T00:00:00+00:00"}
    assert [k["kind"] for k in record["kinds"]] == ["health", "transaction"]
    assert record["kinds"][0]["verdict"]["method"].startswith("Method of the availability verdict (health")

    written = write_uptime_record(judgement, tmp_path / "out", {"Profile": "p.toml"})
    assert [f.name for f in written] == ["uptime.json", "health-availability.png", "transaction-availability.png",
                                         "record.html"]
    page = (tmp_path / "out" / "record.html").read_text()
    assert page.count("data:image/png;base64,") == 2  # the page stands alone
    assert "src=\"http" not in page and "href=" not in page
    assert "2026-11-01T16:40:00+00:00" in page  # the first incident's start
    assert json.loads((tmp_path / "out" / "uptime.json").read_text())["context"] == {"Profile": "p.toml"}


def test_windows() -> None:
    assert calendar_month("2028-02").end - calendar_month("2028-02").start == timedelta(days=29)
    assert previous_month(datetime(2027, 1, 15, 8, tzinfo=UTC)).label == "2026-12"
    assert configured_window("previous-month", datetime(2026, 12, 1, tzinfo=UTC)) == NOVEMBER
    assert configured_window("2026-11", datetime(2030, 1, 1, tzinfo=UTC)) == NOVEMBER
    live = live_window(datetime(2026, 11, 22, 4, 0, 0, 300_000, tzinfo=UTC), 6, 1)
    assert (live.start, live.end) == (datetime(2026, 11, 22, 4, 0, 1, tzinfo=UTC),
                                      datetime(2026, 11, 22, 4, 0, 7, tzinfo=UTC))
    with pytest.raises(ValueError, match="YYYY-MM"):
        calendar_month("2026-13")
