"""What sslyze saw is judged against CONTRACT.md §1: names, dates, chain, key, versions and suites."""

import datetime as dt

from lhv.tls.judge import CertificateFacts, TlsFacts, certificate_findings, hostname_matches, protocol_findings

NOW = dt.datetime(2027, 1, 15, tzinfo=dt.UTC)


def facts(**changes):
    base = dict(subject="CN=api.example.org", issuer="CN=CA", not_before=NOW - dt.timedelta(days=10),
                not_after=NOW + dt.timedelta(days=80), key_type="RSA", key_bits=2048,
                dns_names=("api.example.org",), ip_addresses=(), chain_length=2, trust_store="roots.pem",
                chain_error=None)
    return CertificateFacts(**{**base, **changes})


def failed(found):
    return [f.name for f in found if not f.passed]


def test_hostname_matching_follows_rfc_6125():
    assert hostname_matches("API.example.org.", ("api.example.org",), ())
    assert hostname_matches("api.example.org", ("*.example.org",), ())
    assert not hostname_matches("a.b.example.org", ("*.example.org",), ())
    assert not hostname_matches("example.org", ("*.example.org",), ())
    assert hostname_matches("127.0.0.1", ("localhost",), ("127.0.0.1",))
    assert not hostname_matches("127.0.0.1", ("127.0.0.1",), ())


def test_a_good_certificate_passes_and_warns_under_30_days():
    found, warnings = certificate_findings(facts(), "api.example.org", NOW)
    assert failed(found) == [] and warnings == []
    found, warnings = certificate_findings(facts(not_after=NOW + dt.timedelta(days=12)), "api.example.org", NOW)
    assert failed(found) == [] and "12 days" in warnings[0]


def test_expired_wrong_host_untrusted_and_weak_keys_fail():
    assert failed(certificate_findings(facts(not_after=NOW - dt.timedelta(days=1)), "api.example.org", NOW)[0]) \
        == ["validity-dates"]
    assert failed(certificate_findings(facts(), "other.example.org", NOW)[0]) == ["hostname-matches"]
    untrusted = facts(chain_error="self-signed")
    assert failed(certificate_findings(untrusted, "api.example.org", NOW)[0]) == ["chain-trusted"]
    assert failed(certificate_findings(facts(key_bits=1024), "api.example.org", NOW)[0]) == ["key-size"]
    assert failed(certificate_findings(facts(key_type="EC", key_bits=224), "api.example.org", NOW)[0]) == ["key-size"]
    assert failed(certificate_findings(facts(key_type="DSA", key_bits=3072), "api.example.org", NOW)[0]) == ["key-size"]
    assert failed(certificate_findings(facts(key_type="EC", key_bits=256), "api.example.org", NOW)[0]) == []


def test_old_protocols_and_weak_suites_fail():
    strong = {"TLS 1.2": ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",), "TLS 1.3": ("TLS_AES_128_GCM_SHA256",)}
    assert failed(protocol_findings(TlsFacts("h", 443, None, strong))) == []
    old = {**strong, "TLS 1.0": ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",)}
    assert failed(protocol_findings(TlsFacts("h", 443, None, old))) == ["old-protocols-refused"]
    for suite in ("TLS_RSA_WITH_NULL_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
                  "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "TLS_RSA_WITH_DES_CBC_SHA"):
        weak = {**strong, "TLS 1.2": strong["TLS 1.2"] + (suite,)}
        assert failed(protocol_findings(TlsFacts("h", 443, None, weak))) == ["no-weak-suites"], suite
    assert failed(protocol_findings(TlsFacts("h", 443, None, {}))) == ["modern-tls-offered"]
