"""Evidence faults write wrong evidence the plans must not pass, and the embedded run's profile takes it in;
the counted health drops hit exactly every tenth /health request."""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from lhv.device.availability import HEALTH_DROP_EVERY, AvailabilityFaults
from lhv.device.faults import DEVICE_FAULTS, EVIDENCE_FAULTS, FAILED, FAULTS, INCONCLUSIVE
from lhv.inspection.attestation import load_attestation
from lhv.scanners.reports import Severity, gate, load_report
from lhv.session.preflight import with_evidence
from lhv.session.profile import embedded_profile
from lhv.uptime.judgement import configured_window
from lhv.uptime.store import open_store


def _evidence(tmp_path: Path, name: str):
    profile = embedded_profile()
    changed, report = with_evidence(profile, [name], tmp_path)
    return profile, changed, report


def test_evidence_faults_are_listed_apart_and_declare_a_verdict() -> None:
    assert set(DEVICE_FAULTS) | set(EVIDENCE_FAULTS) == set(FAULTS)
    assert not set(DEVICE_FAULTS) & set(EVIDENCE_FAULTS)
    assert {f.name for f in EVIDENCE_FAULTS} >= {"attestation-md5-unsalted", "scanner-report-high-finding",
                                                 "prober-stopped-before-window"}
    assert all(f.verdict in (FAILED, INCONCLUSIVE) for f in FAULTS)
    assert [f.verdict for f in EVIDENCE_FAULTS] == [FAILED, FAILED, INCONCLUSIVE]  # missing data never fails


def test_without_an_evidence_fault_the_profile_is_the_same_object(tmp_path: Path) -> None:
    profile = embedded_profile()
    assert with_evidence(profile, [f.name for f in DEVICE_FAULTS[:3]], tmp_path) == (profile, None)
    assert not list(tmp_path.iterdir())


def test_a_wrong_attestation_replaces_the_hook_and_answers_no(tmp_path: Path) -> None:
    profile, changed, report = _evidence(tmp_path, "attestation-md5-unsalted")
    assert report is None and profile.inspection.kind == "sql"
    assert changed.inspection.kind == "attestation"
    assert changed.model_dump(exclude={"inspection"}) == profile.model_dump(exclude={"inspection"})
    assert changed.sha256 == profile.sha256  # the base profile's digest; its name says what changed
    assert changed.source == f"{profile.source} with the evidence of --fault attestation-md5-unsalted"
    attestation = load_attestation(changed.inspection.attestation)  # loads: its evidence exists, its date is past
    assert attestation.date <= dt.date.today() and attestation.evidence[0].size > 0
    assert "MD5" in attestation.answer("stored_format")
    assert attestation.answer("password_not_stored") is True  # a digest is not the password: the others fail
    assert attestation.answer("salted_slow_hash_at_owasp_minimums") is False
    assert attestation.answer("distinct_hashes_for_one_password") is False


def test_the_scanner_report_holds_a_finding_at_the_profiles_threshold(tmp_path: Path) -> None:
    profile, changed, report = _evidence(tmp_path, "scanner-report-high-finding")
    assert changed is profile and report is not None and report.is_relative_to(tmp_path)
    loaded = load_report(report)
    threshold = Severity.parse(profile.security.scanner_fail_at)
    blocking = gate(loaded.findings, threshold)
    assert loaded.kind == "zap_json" and len(loaded.findings) == 2
    assert [f.severity for f in blocking] == [threshold]  # at the threshold, not above it: "at or above" gates it
    assert [f.title for f in blocking] == ["SQL Injection - SQLite"]


def test_the_probe_store_has_no_prober_run_in_the_judged_window(tmp_path: Path) -> None:
    profile, changed, report = _evidence(tmp_path, "prober-stopped-before-window")
    uptime = changed.uptime
    assert report is None and profile.uptime.window == "live"
    assert uptime.window == "previous-month" and uptime.interval_seconds == 60
    assert uptime.transaction.interval_seconds == 300 and uptime.transaction.intent == "device_information"
    assert changed.model_dump(exclude={"uptime"}) == profile.model_dump(exclude={"uptime"})
    window = configured_window(uptime.window, datetime.now(UTC))
    with open_store(uptime.store_url) as store:
        assert store.prober_runs(window.start, window.end) == []
        (earlier,) = store.prober_runs(window.start - dt.timedelta(days=30), window.start)
        assert earlier.stopped_at is None and earlier.ended_at < window.start  # it crashed before the month
        assert store.probes(earlier.started_at, earlier.ended_at)  # it did probe while it ran
        assert not store.probes(window.start, window.end)


def test_two_evidence_faults_each_get_their_own_folder(tmp_path: Path) -> None:
    changed, report = with_evidence(embedded_profile(), ["attestation-md5-unsalted", "scanner-report-high-finding"],
                                    tmp_path)
    assert changed.inspection.kind == "attestation" and report is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attestation-md5-unsalted", "scanner-report-high-finding"]


class _Recorder:
    """An ASGI app behind the middleware that answers 200 and counts what reached it."""

    def __init__(self) -> None:
        self.reached = 0

    async def __call__(self, scope, receive, send) -> None:
        self.reached += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _statuses(faults: list[str], paths: list[str]) -> list[int]:
    ctx = SimpleNamespace(has=lambda name: name in faults, settings=SimpleNamespace(probe_timeout_seconds=1))
    middleware = AvailabilityFaults(_Recorder(), ctx)
    statuses = []

    async def one(path: str) -> None:
        async def send(message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
        await middleware({"type": "http", "path": path}, None, send)

    async def all_of_them() -> None:
        for path in paths:
            await one(path)

    asyncio.run(all_of_them())
    return statuses


def test_every_tenth_health_request_is_dropped_counting_health_alone() -> None:
    paths = [p for n in range(35) for p in ("/health", "/device-information")]
    statuses = _statuses(["drops-every-tenth-health-request"], paths)
    health = [s for p, s in zip(paths, statuses) if p == "/health"]
    assert [n for n, s in enumerate(health, start=1) if s == 503] == [10, 20, 30]
    assert {s for p, s in zip(paths, statuses) if p != "/health"} == {200}
    for first in range(len(health) - HEALTH_DROP_EVERY + 1):  # any ten consecutive health probes hold one drop
        assert health[first:first + HEALTH_DROP_EVERY].count(503) == 1


def test_without_the_fault_no_health_request_is_dropped() -> None:
    assert set(_statuses([], ["/health"] * 30)) == {200}
