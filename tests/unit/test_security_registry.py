"""The security-check registry: named checks, typed findings, outcomes."""

from __future__ import annotations

import pytest

from lhv.core.errors import NotApplicable, TargetError
from lhv.core.evidence import Exchange
from lhv.scanners.reports import Severity
from lhv.security import registry
from lhv.security.registry import AREAS, CHECKS, Found, SecurityCheck, checks_of, run_check, security_check


def _check(run) -> SecurityCheck:
    return SecurityCheck("demo-check", "A demo", Severity.HIGH, "API8:2023", "exposure", "A device does X.", run)


def _exchange() -> Exchange:
    return Exchange("GET", "https://device.test/", {}, None, 200, {}, {"detail": "x"}, 1.0).seal()


def test_a_clean_check_has_no_finding() -> None:
    outcome = run_check(_check(lambda probe: None), probe=None)
    assert outcome.clean and outcome.finding is None and outcome.not_applicable is None


def test_found_becomes_a_finding_with_the_checks_id_severity_category_and_evidence() -> None:
    exchange = _exchange()

    def finds(probe):
        raise Found("GET / answered 200 to a forged token", exchange)

    outcome = run_check(_check(finds), probe=None)
    finding = outcome.finding
    assert (finding.id, finding.severity, finding.owasp) == ("demo-check", Severity.HIGH, "API8:2023")
    assert finding.evidence is exchange
    assert "GET / answered 200 to a forged token" in finding.describe()
    assert exchange.sha256[:12] in finding.describe() and "[high, API8:2023]" in finding.describe()
    assert finding.as_json()["evidence_sha256"] == exchange.sha256


def test_not_applicable_keeps_its_reason() -> None:
    def absent(probe):
        raise NotApplicable("no per-user resources")

    outcome = run_check(_check(absent), probe=None)
    assert not outcome.clean and outcome.not_applicable == "no per-user resources" and outcome.finding is None


def test_a_target_error_is_not_swallowed() -> None:
    def down(probe):
        raise TargetError("no answer")

    with pytest.raises(TargetError):
        run_check(_check(down), probe=None)


def test_every_area_has_checks_with_unique_ids_docstrings_and_owasp_categories() -> None:
    for area in AREAS:
        checks = checks_of(area)
        assert checks, area
        for check in checks:
            assert check.expectation and "\n" not in check.expectation, check.id
            assert check.owasp.startswith("API") and check.owasp.endswith(":2023"), check.id
    assert len({check.id for check in CHECKS.values()}) == len(CHECKS)


def test_the_faults_findings_are_registered() -> None:
    checks_of("tokens")  # loads every area
    for name in ("verbose-error-body", "jwt-alg-none-accepted", "jwt-signature-not-verified",
                 "cors-wildcard-with-credentials", "server-version-disclosed", "sql-injection",
                 "oversized-body-not-refused"):
        assert name in CHECKS


def test_registering_an_id_twice_or_an_unknown_area_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(registry, "CHECKS", {})
    security_check("twice", area="tokens", severity=Severity.LOW, owasp="API2:2023", title="t")(lambda probe: None)
    with pytest.raises(ValueError, match="twice"):
        security_check("twice", area="tokens", severity=Severity.LOW, owasp="API2:2023", title="t")(lambda p: None)
    with pytest.raises(ValueError, match="unknown area"):
        security_check("other", area="nowhere", severity=Severity.LOW, owasp="API2:2023", title="t")
