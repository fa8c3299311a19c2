"""PLAN_005 Valid SSL/TLS certificates.

Purpose: sslyze, run against the target's host and port, sees a certificate that names the host, is
within its validity dates (with a warning under 30 days left), chains to a root of the profile's trust
store and has a key of at least 2048-bit RSA or 256-bit EC; it sees TLS 1.2 or 1.3 offered, SSL 2.0/3.0
and TLS 1.0/1.1 refused, and no NULL, EXPORT, RC4, DES/3DES or anonymous suite. The record lists what
sslyze saw, and its full result is attached.
"""

import datetime as dt
from urllib.parse import urlsplit

from lhv.checks.outcomes import require, require_findings
from lhv.tls.judge import certificate_findings, protocol_findings
from lhv.tls.scan import PROTOCOL_COMMANDS as PROTOCOLS
from lhv.tls.scan import scan

PLAN_ID = "PLAN_005"


def _scan(target, step, name, **commands):
    url = urlsplit(target.base_url)
    host, port = url.hostname or "", url.port or 443
    trust = target.ca_file or target.profile.target.trust_store
    report = scan(host, port, trust_store=trust, timeout_s=target.profile.target.timeout_seconds, **commands)
    path = step.folder / f"sslyze-{name}.json"
    path.write_text(report.sslyze_json, encoding="utf-8")
    step.attach(path, f"sslyze's full result of the {name} scan of {host}:{port}")
    step.note(f"sslyze scanned {host}:{port}; trust store {report.trust_store}")
    return report.facts


def test_certificate_is_trusted_current_and_strong(target, step):
    """The certificate names the host, is within its dates, chains to the trust store and has a strong key."""
    with step("Scan the target's certificate with sslyze", expect="the scan completes and returns the chain"):
        facts = _scan(target, step, "certificate", protocols=False)
        leaf = facts.certificate
        require("certificate-received", leaf is not None, "sslyze received no certificate",
                f"subject {leaf.subject}; issuer {leaf.issuer}; {leaf.key_type} {leaf.key_bits}-bit key; "
                f"names {', '.join(leaf.dns_names + leaf.ip_addresses) or 'none'}" if leaf else "")
    with step(f"Judge the certificate for {facts.host}",
              expect="the host is among its names; now is within its dates (warning under 30 days left); "
                     "the chain verifies against the profile's trust store; RSA ≥ 2048 or EC ≥ 256 bits"):
        findings, warnings = certificate_findings(leaf, facts.host, dt.datetime.now(dt.UTC))
        for warning in warnings:
            step.note(warning)
        require_findings(findings)


def test_only_tls_1_2_and_1_3_with_strong_suites(target, step):
    """TLS 1.2 or 1.3 is offered; SSL 2.0/3.0 and TLS 1.0/1.1 are refused; no weak cipher suite is accepted."""
    with step("Scan every protocol version's cipher suites with sslyze (SSL 2.0 to TLS 1.3)",
              expect="the scan completes for every version"):
        facts = _scan(target, step, "protocols", certificate=False)
        require("every-version-scanned", set(facts.accepted) == set(PROTOCOLS),
                f"sslyze reported only {', '.join(facts.accepted)}", f"{', '.join(PROTOCOLS)} scanned")
        for protocol, suites in facts.accepted.items():
            step.note(f"{protocol}: {', '.join(suites) if suites else 'refused'}")
    with step("Judge the protocol versions and suites",
              expect="TLS 1.2 or 1.3 offered; SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1 refused; "
                     "no NULL, EXPORT, RC4, DES/3DES or anonymous suite"):
        require_findings(protocol_findings(facts))
