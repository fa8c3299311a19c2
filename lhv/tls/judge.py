"""Judges what a TLS scan saw against CONTRACT.md §1: pure logic, no network."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from lhv.checks.outcomes import Finding

EXPIRY_WARNING_DAYS = 30  # PLAN_005: warn when fewer days are left
REFUSED_PROTOCOLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")
MODERN_PROTOCOLS = ("TLS 1.2", "TLS 1.3")
WEAK_SUITE_MARKS = {"NULL": "NULL cipher", "EXPORT": "export-grade", "RC4": "RC4", "3DES": "3DES",
                    "_DES_": "DES", "ANON": "anonymous (no authentication)"}
MIN_KEY_BITS = {"RSA": 2048, "EC": 256, "Ed25519": 256, "Ed448": 448}


@dataclass(frozen=True)
class CertificateFacts:
    """The leaf certificate as received, and whether its chain verified against the trust store."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_type: str  # "RSA", "EC", "Ed25519", "Ed448", "DSA", …
    key_bits: int
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    chain_length: int
    trust_store: str
    chain_error: str | None  # None when the chain verified


@dataclass(frozen=True)
class TlsFacts:
    """What a scan saw: the certificate, and the cipher suites accepted per protocol version."""

    host: str
    port: int
    certificate: CertificateFacts | None
    accepted: dict[str, tuple[str, ...]] = field(default_factory=dict)


def hostname_matches(host: str, dns_names: tuple[str, ...], ip_addresses: tuple[str, ...]) -> bool:
    """Tells whether a host is named by the certificate's subjectAltName (RFC 6125, one-label wildcards)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ip_addresses)
    host = host.rstrip(".").lower()
    for name in (n.rstrip(".").lower() for n in dns_names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:] and host.split(".", 1)[0]:
            return True
    return False


def certificate_findings(facts: CertificateFacts, host: str, now: dt.datetime) -> tuple[list[Finding], list[str]]:
    """Returns the certificate's findings (name, dates, chain, key) and warnings (expiry within 30 days)."""
    names = ", ".join(facts.dns_names + facts.ip_addresses) or "none"
    days_left = (facts.not_after - now).total_seconds() / 86400
    in_dates = facts.not_before <= now <= facts.not_after
    least = MIN_KEY_BITS.get(facts.key_type)
    findings = [
        Finding("hostname-matches", hostname_matches(host, facts.dns_names, facts.ip_addresses),
                f"{host} is {'' if hostname_matches(host, facts.dns_names, facts.ip_addresses) else 'not '}among the "
                f"certificate's names ({names})"),
        Finding("validity-dates", in_dates,
                f"valid {facts.not_before:%Y-%m-%d %H:%M} to {facts.not_after:%Y-%m-%d %H:%M} UTC; "
                + (f"{days_left:.0f} days left" if in_dates else
                   "expired" if now > facts.not_after else "not valid yet")),
        Finding("chain-trusted", facts.chain_error is None,
                f"the chain of {facts.chain_length} certificate(s) verifies against {facts.trust_store}"
                if facts.chain_error is None else
                f"the chain does not verify against {facts.trust_store}: {facts.chain_error}"),
        Finding("key-size", least is not None and facts.key_bits >= least,
                f"{facts.key_type} {facts.key_bits}-bit key (at least "
                + (f"{least}" if least else "RSA 2048 or EC 256: this key type is not accepted") + ")"),
    ]
    warnings = [f"WARNING: the certificate expires in {days_left:.0f} days (under {EXPIRY_WARNING_DAYS}): renew it"] \
        if in_dates and days_left < EXPIRY_WARNING_DAYS else []
    return findings, warnings


def weak_suites(suites: tuple[str, ...]) -> list[str]:
    """Returns the suites that are NULL, EXPORT, RC4, (3)DES or anonymous, with why."""
    weak = []
    for suite in suites:
        reasons = [why for mark, why in WEAK_SUITE_MARKS.items() if mark in suite.upper()]
        if reasons:
            weak.append(f"{suite} ({', '.join(reasons)})")
    return weak


def protocol_findings(facts: TlsFacts) -> list[Finding]:
    """Returns the findings on versions (1.2/1.3 offered, older refused) and suites (none weak)."""
    offered_old = [f"{p} ({len(facts.accepted[p])} suites)" for p in REFUSED_PROTOCOLS if facts.accepted.get(p)]
    modern = [p for p in MODERN_PROTOCOLS if facts.accepted.get(p)]
    weak = [w for p in MODERN_PROTOCOLS + REFUSED_PROTOCOLS for w in weak_suites(facts.accepted.get(p, ()))]
    return [
        Finding("modern-tls-offered", bool(modern),
                f"{' and '.join(modern)} offered" if modern else "neither TLS 1.2 nor TLS 1.3 was accepted"),
        Finding("old-protocols-refused", not offered_old,
                f"accepted: {', '.join(offered_old)}" if offered_old else f"{', '.join(REFUSED_PROTOCOLS)} refused"),
        Finding("no-weak-suites", not weak,
                f"weak suites accepted: {', '.join(weak[:6])}" if weak else
                f"no NULL, EXPORT, RC4, DES/3DES or anonymous suite among "
                f"{sum(len(v) for v in facts.accepted.values())} accepted"),
    ]
