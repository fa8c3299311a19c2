"""A customer's volume estimate against the rate limits: the peak per window, the margin and the headroom."""

import pytest

from lhv.integration.volume import Traffic, judge, volume_verdicts
from lhv.session.profile import embedded_profile


def _seed(reports: int, logins: str = "reuse-token") -> Traffic:
    # The seeds' customer: 9,000 patients × 1 photo a week × 4 weeks, 16 active hours, a peak of 4× the average.
    return Traffic(reports, 1, 30, 16, 4, logins, 3600)


def test_the_seed_customers_year_one_fits_the_production_limits_with_wide_margins():
    verdict = judge("year 1", _seed(36_000), anonymous_limit=100, authenticated_limit=1000, window_seconds=60)
    authenticated, anonymous = verdict.scopes
    assert verdict.traffic.average_reports_per_minute == pytest.approx(1.25)
    assert authenticated.peak_requests == pytest.approx(5.0) and authenticated.margin == pytest.approx(995)
    assert authenticated.headroom == pytest.approx(200) and anonymous.peak_requests == 1
    assert verdict.fits and not authenticated.thin and "36,000 reports/month" in verdict.summary()


def test_logging_in_for_every_report_at_scale_leaves_little_anonymous_headroom():
    verdict = judge("year 3", _seed(364_000, "per-report"), anonymous_limit=100, authenticated_limit=1000,
                    window_seconds=60)
    anonymous = verdict.scopes[1]
    assert anonymous.peak_requests == pytest.approx(50.56, abs=0.01) and anonymous.fits and anonymous.thin


def test_a_peak_over_the_limit_does_not_fit():
    verdict = judge("burst", Traffic(1_000_000, 2, 20, 8, 10, "per-report", 3600), anonymous_limit=100,
                    authenticated_limit=1000, window_seconds=60)
    assert not verdict.fits and verdict.scopes[0].margin < 0 and "OVER" in verdict.summary()


def test_the_window_scales_the_peak():
    verdict = judge("short window", _seed(36_000), anonymous_limit=20, authenticated_limit=50, window_seconds=2)
    assert verdict.scopes[0].peak_requests == pytest.approx(5.0 * 2 / 60)


def test_the_profile_gives_one_verdict_per_estimate():
    verdicts = volume_verdicts(embedded_profile())
    assert [v.label for v in verdicts] == ["volume estimate", "volume at scale"]
    assert [v.traffic.reports_per_month for v in verdicts] == [36_000, 364_000]
