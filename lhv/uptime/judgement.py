"""PLAN_018's judgement of a window: each probe kind's availability verdict plus a request-level gate."""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lhv.session.profile import UptimeSection
from lhv.uptime.store import ProbeStore, epoch_ms, utc_from_ms
from lhv.uptime.verdict import Verdict, compute_availability

PASSED, FAILED, INCONCLUSIVE = "passed", "failed", "inconclusive"
_SEVERITY = {FAILED: 0, INCONCLUSIVE: 1, PASSED: 2}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Window:
    """The judged window [start, end) and how the profile or command named it."""

    start: datetime
    end: datetime
    label: str

    @property
    def seconds(self) -> float:
        """Returns the window's length in seconds."""
        return (self.end - self.start).total_seconds()


def calendar_month(month: str) -> Window:
    """Returns the UTC calendar month named YYYY-MM."""
    match = _MONTH.match(month)
    if not match:
        raise ValueError(f"{month!r} is not a month written YYYY-MM")
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    return Window(start, start + timedelta(days=calendar.monthrange(year, number)[1]), month)


def previous_month(now: datetime) -> Window:
    """Returns the calendar month before the one now lies in."""
    last_day = now.astimezone(UTC).replace(day=1) - timedelta(days=1)
    return calendar_month(f"{last_day:%Y-%m}")


def configured_window(setting: str, now: datetime) -> Window:
    """Returns the stored window a profile's uptime.window names: "previous-month" or "YYYY-MM"."""
    return previous_month(now) if setting == "previous-month" else calendar_month(setting)


def live_window(now: datetime, seconds: float, grid_s: float) -> Window:
    """Returns a window of seconds that starts at the first boundary of the grid_s grid at or after now."""
    grid_ms = round(grid_s * 1000)
    start_ms = -(-epoch_ms(now) // grid_ms) * grid_ms
    start = utc_from_ms(start_ms)
    return Window(start, start + timedelta(milliseconds=round(seconds * 1000)), f"live {seconds:g} s")


@dataclass(frozen=True)
class RequestShare:
    """The share of successful probes the request-level gate judges, and whose it is."""

    percent: float | None
    basis: str


@dataclass(frozen=True)
class KindJudgement:
    """One probe kind's verdict, its request-level share, and the kind's outcome."""

    kind: str
    verdict: Verdict
    share: RequestShare
    outcome: str
    reason: str


@dataclass(frozen=True)
class Judgement:
    """The plan's judgement of a window: the worst of its probe kinds."""

    outcome: str
    reason: str
    window: Window
    store: str
    kinds: tuple[KindJudgement, ...]
    method: str

    def kind(self, name: str) -> KindJudgement | None:
        """Returns the judgement of one probe kind, if it was judged."""
        return next((k for k in self.kinds if k.kind == name), None)

    def versions(self) -> list[str]:
        """Returns the device versions reported in the window, first seen first."""
        seen = sorted((v for k in self.kinds for v in k.verdict.versions if v.version),
                      key=lambda v: v.first_seen)
        return list(dict.fromkeys(v.version for v in seen))

    def summary_lines(self) -> list[str]:
        """Returns the judgement in a few lines for a console or a record step."""
        lines = [f"{self.outcome.upper()}: {self.reason}",
                 f"window {self.window.label}: {self.window.start.isoformat()} to {self.window.end.isoformat()} "
                 f"(UTC), store {self.store}"]
        for k in self.kinds:
            v = k.verdict
            availability = "n/a" if v.availability_pct is None else f"{v.availability_pct:.3f} %"
            share = "n/a" if k.share.percent is None else f"{k.share.percent:.2f} %"
            lines.append(f"{k.kind} probes every {v.interval_s:g} s: {k.outcome}; availability {availability}, "
                         f"coverage {v.coverage * 100:.1f} %, probes succeeded {share} ({k.share.basis}), "
                         f"{len(v.incidents)} incident(s), downtime {_duration(v.downtime_s)} of a "
                         f"{_duration(v.budget_s)} budget ({_duration(v.budget_left_s)} left), "
                         f"{len(v.gaps)} gap(s) without data, longest "
                         f"{_duration(v.longest_gap_s)}")
            for incident in v.incidents[:10]:
                lines.append(f"  incident {incident.start.isoformat()} to {incident.end.isoformat()} "
                             f"({_duration(incident.duration_s)}), cause {incident.error_class}")
            if len(v.incidents) > 10:
                lines.append(f"  … and {len(v.incidents) - 10} more incident(s)")
        versions = self.versions()
        lines.append("device versions seen: " + (", ".join(versions) if versions else
                                                 "none reported (only transaction probes read them)"))
        return lines

    def as_record(self) -> dict[str, Any]:
        """Returns the judgement as JSON-ready data."""
        return {
            "outcome": self.outcome, "reason": self.reason, "store": self.store, "method": self.method,
            "window": {"label": self.window.label, "start": self.window.start.isoformat(),
                       "end": self.window.end.isoformat()},
            "device_versions": self.versions(),
            "kinds": [{"kind": k.kind, "outcome": k.outcome, "reason": k.reason,
                       "request_share": {"percent": k.share.percent, "basis": k.share.basis},
                       "verdict": k.verdict.as_record()} for k in self.kinds],
        }


def judged_kinds(uptime: UptimeSection) -> list[tuple[str, float, float]]:
    """Returns (kind, interval, timeout) of each probe kind the profile has probed and judged."""
    kinds = [("health", uptime.interval_seconds, uptime.timeout_seconds)]
    if uptime.transaction.intent:
        kinds.append(("transaction", uptime.transaction.interval_seconds, uptime.transaction.timeout_seconds))
    return kinds


def judge_window(store: ProbeStore, window: Window, uptime: UptimeSection, *, store_label: str) -> Judgement:
    """Judges the window from the store by the method of method_text(uptime)."""
    kinds = []
    for kind, interval_s, timeout_s in judged_kinds(uptime):
        verdict = compute_availability(
            store, window.start, window.end, interval_s=interval_s, probe_timeout_s=timeout_s,
            min_coverage=uptime.min_coverage, target=uptime.target_percent, maintenance=uptime.maintenance,
            max_gap_s=uptime.max_gap_seconds or None, kind=kind)
        kinds.append(_judge_kind(kind, verdict))
    worst = min(kinds, key=lambda k: _SEVERITY[k.outcome])
    reason = "; ".join(f"{k.kind}: {k.reason}" for k in kinds)
    return Judgement(worst.outcome, reason, window, store_label, tuple(kinds), method_text(uptime))


def request_share(verdict: Verdict) -> RequestShare:
    """Returns the best share of successful probes among probers that probed enough of the window."""
    judged = verdict.intervals.total - verdict.intervals.maintenance
    enough = [p for p in verdict.probers if p.probes >= math.ceil(verdict.min_coverage * judged)]
    if enough:
        best = max(enough, key=lambda p: (p.success_pct, p.probes))
        return RequestShare(best.success_pct, f"prober {best.prober_id}: {best.probes - best.failed} of "
                                              f"{best.probes} probes")
    if verdict.probe_success_pct is None:
        return RequestShare(None, "no probes")
    failed = sum(p.failed for p in verdict.probers)
    return RequestShare(verdict.probe_success_pct, f"every prober pooled, as none probed {verdict.min_coverage:.0%} "
                                                   f"of the intervals: {verdict.probes - failed} of "
                                                   f"{verdict.probes} probes")


def _judge_kind(kind: str, verdict: Verdict) -> KindJudgement:
    share = request_share(verdict)
    if share.percent is None:
        return KindJudgement(kind, verdict, share, verdict.outcome, verdict.reason)
    shown = f"{share.percent:.2f} % of probes succeeded ({share.basis})"
    if share.percent < verdict.target_pct:
        return KindJudgement(kind, verdict, share, FAILED,
                             f"{verdict.reason}; only {shown}, below the target {verdict.target_pct:g} %")
    return KindJudgement(kind, verdict, share, verdict.outcome, f"{verdict.reason}; {shown}")


def method_text(uptime: UptimeSection) -> str:
    """Returns the plan's rules on top of each kind's verdict method, with the profile's numbers."""
    kinds = [f"health probes ({uptime.interval_seconds:g} s interval, {uptime.timeout_seconds:g} s timeout, "
             f"degraded above {uptime.degraded_seconds:g} s)"]
    if uptime.transaction.intent:
        tx = uptime.transaction
        kinds.append(f"transaction probes (a login as the profile's '{tx.account}' account, then the "
                     f"'{tx.intent}' request, which must answer {', '.join(map(str, tx.expect_status))}; "
                     f"{tx.interval_seconds:g} s interval, {tx.timeout_seconds:g} s timeout for both requests "
                     "together)")
    return "\n".join((
        "Method of the PLAN_018 judgement (on top of each probe kind's verdict method, recorded with it).",
        f"A. Probe kinds: {' and '.join(kinds)}. Each kind is judged on its own at its own interval by its "
        "verdict method; every kind must pass.",
        f"B. Request level: a kind also fails when fewer than {uptime.target_percent:g} % of its probes "
        "succeeded. The share is that of the prober with the best share among those whose probes number at least "
        f"{uptime.min_coverage:.0%} of the judged intervals (every prober pooled when none does). The per-interval "
        "rule counts an interval up when any probe in it succeeded, so with several probers a device that drops "
        "a share of requests at random would still pass; every prober sees such drops, and the best prober's "
        "share shows them, while one prober's own network trouble does not lower the best share.",
        "C. Outcome: failed when any kind failed; otherwise inconclusive when any kind lacks the data to be "
        "judged (too little coverage, or a gap without data longer than allowed); passed when every kind passed.",
        "D. A prober that is not running (stopped, crashed, restarting, or ended by a failed write to its "
        "store) leaves intervals without probes: they count as missing data, never as uptime, and its runs and "
        "the gaps between them are listed.",
    ))


def _duration(seconds: float) -> str:
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    for unit, size, shown in (("d", 86_400, ".2f"), ("h", 3_600, ".2f"), ("min", 60, ".1f")):
        if seconds >= size:
            return f"{sign}{seconds / size:{shown}} {unit}"
    return f"{sign}{seconds:.3g} s"
