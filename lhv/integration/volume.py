"""A customer's volume estimate against the target's rate limits (CONTRACT.md §4): pure arithmetic, shown in full.

Reports are spread over the active hours of the active days; the busiest minute carries
`peak_factor` times the average. Every clinical request of every report counts against the
authenticated limit of one token subject (the worst case: one service account for all
patients). Logins count against the anonymous limit of the client's address: one per token
lifetime when the client reuses its token, one per report when it logs in for each.
"""

from __future__ import annotations

from dataclasses import dataclass

THIN_HEADROOM = 2.0  # a peak above half the limit leaves little room for retries and growth


@dataclass(frozen=True)
class Traffic:
    """How a customer's client sends its reports."""

    reports_per_month: int
    requests_per_report: int
    active_days_per_month: float
    active_hours_per_day: float
    peak_factor: float
    logins: str  # "reuse-token" or "per-report"
    token_lifetime_seconds: float

    @property
    def average_reports_per_minute(self) -> float:
        """Reports per minute over the active hours."""
        return self.reports_per_month / (self.active_days_per_month * self.active_hours_per_day * 60)

    @property
    def peak_reports_per_minute(self) -> float:
        """Reports per minute in the busiest minute."""
        return self.average_reports_per_minute * self.peak_factor


@dataclass(frozen=True)
class ScopeLoad:
    """One rate-limit scope at the peak: requests in one window against the limit."""

    scope: str  # "authenticated" or "anonymous"
    limit: int
    window_seconds: float
    peak_requests: float  # in one window at the peak rate
    basis: str  # how the requests were counted

    @property
    def margin(self) -> float:
        """Requests per window left under the limit at the peak (negative: over it)."""
        return self.limit - self.peak_requests

    @property
    def headroom(self) -> float:
        """How many times the peak fits under the limit."""
        return self.limit / self.peak_requests if self.peak_requests > 0 else float("inf")

    @property
    def fits(self) -> bool:
        """True when the peak stays within the limit."""
        return self.peak_requests <= self.limit

    @property
    def thin(self) -> bool:
        """True when the peak fits but takes more than half the limit."""
        return self.fits and self.headroom < THIN_HEADROOM


@dataclass(frozen=True)
class VolumeVerdict:
    """One volume estimate against both limits."""

    label: str
    traffic: Traffic
    scopes: tuple[ScopeLoad, ...]

    @property
    def fits(self) -> bool:
        """True when the peak fits every limit."""
        return all(scope.fits for scope in self.scopes)

    def summary(self) -> str:
        """One line: the peak and each scope's margin."""
        parts = [f"{s.scope} {s.peak_requests:.2f} of {s.limit} per {s.window_seconds:g} s "
                 f"({'fits, ' + _times(s.headroom) + ' headroom' if s.fits else 'OVER the limit'})"
                 for s in self.scopes]
        return (f"{self.label}: {self.traffic.reports_per_month:,} reports/month → peak "
                f"{self.traffic.peak_reports_per_minute:.2f} reports/min; " + "; ".join(parts))


def judge(label: str, traffic: Traffic, *, anonymous_limit: int, authenticated_limit: int,
          window_seconds: float) -> VolumeVerdict:
    """The peak of one estimate against the anonymous and authenticated limits of one window."""
    per_window = traffic.peak_reports_per_minute * window_seconds / 60
    clinical = per_window * traffic.requests_per_report
    if traffic.logins == "per-report":
        logins, basis = per_window, "one login per report"
    else:
        logins = max(1.0, window_seconds / traffic.token_lifetime_seconds)
        basis = f"one login per token lifetime ({duration(traffic.token_lifetime_seconds)}): at most 1 per window"
    return VolumeVerdict(label, traffic, (
        ScopeLoad("authenticated", authenticated_limit, window_seconds, clinical,
                  f"{traffic.requests_per_report} clinical request(s) per report, all under one token subject"),
        ScopeLoad("anonymous", anonymous_limit, window_seconds, logins, basis),
    ))


def duration(seconds: float) -> str:
    """A duration as people say it: 45 s, 15 min, 1.5 h."""
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min" if seconds < 7200 else f"{seconds / 3600:g} h"


def _times(factor: float) -> str:
    return "∞×" if factor == float("inf") else f"{factor:,.1f}×"


def volume_verdicts(profile) -> list[VolumeVerdict]:
    """The profile's volume estimates (integration section) against its rate limits; [] without an estimate."""
    settings, limits = profile.integration, profile.limits
    estimates = [("volume estimate", settings.reports_per_month),
                 ("volume at scale", settings.reports_per_month_at_scale)]
    return [judge(label, Traffic(reports, settings.requests_per_report, settings.active_days_per_month,
                                 settings.active_hours_per_day, settings.peak_factor, settings.logins,
                                 profile.auth.token_lifetime_seconds),
                  anonymous_limit=limits.anonymous_requests, authenticated_limit=limits.authenticated_requests,
                  window_seconds=limits.window_seconds)
            for label, reports in estimates if reports > 0]


def arithmetic(verdict: VolumeVerdict) -> str:
    """How the peak was reached, step by step, for the record."""
    t = verdict.traffic
    return (f"{t.reports_per_month:,} reports ÷ ({t.active_days_per_month:g} days × {t.active_hours_per_day:g} h × "
            f"60 min) = {t.average_reports_per_minute:.2f} reports/min on average; × peak factor {t.peak_factor:g} = "
            f"{t.peak_reports_per_minute:.2f} reports/min at the busiest minute")
