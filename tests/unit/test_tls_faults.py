"""The device's TLS set-up: the contract's by default, and what each TLS fault makes of it (real OpenSSL contexts)."""

from __future__ import annotations

import ssl

import pytest

from lhv.device import pki
from lhv.device.server import EVERY_CIPHER, LEGACY_CIPHERS, WEAK_KEY_CIPHERS, WEAK_RSA_BITS, TlsPolicy, tls_policy
from lhv.device.settings import DeviceSettings

V1, V1_1, V1_2 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2
POLICIES = [
    ((), TlsPolicy(V1_2, None, None)),
    (("tls1.0-enabled",), TlsPolicy(V1, None, LEGACY_CIPHERS)),
    (("legacy-tls-only",), TlsPolicy(V1, V1_1, LEGACY_CIPHERS)),
    (("weak-cipher-suites",), TlsPolicy(V1_2, None, EVERY_CIPHER)),
    (("weak-rsa-key",), TlsPolicy(V1_2, None, WEAK_KEY_CIPHERS)),
    (("tls1.0-enabled", "weak-cipher-suites"), TlsPolicy(V1, None, EVERY_CIPHER)),  # faults add up
    (("expired-cert", "no-hsts"), TlsPolicy(V1_2, None, None)),  # other faults leave TLS alone
]


@pytest.mark.parametrize("faults, expected", POLICIES, ids=["+".join(f) or "clean" for f, _ in POLICIES])
def test_each_tls_fault_sets_its_part_of_the_policy(tmp_path, faults, expected):
    assert tls_policy(DeviceSettings(state_dir=str(tmp_path), faults=list(faults))) == expected


def _suites(context: ssl.SSLContext) -> set[str]:
    return {cipher["name"] for cipher in context.get_ciphers()}


def test_weak_cipher_suites_offers_null_and_anonymous_suites_the_clean_device_does_not(tmp_path):
    certs = pki.issue(tmp_path)
    clean, weak = (_suites(TlsPolicy(ciphers=c).context(certs.server_cert, certs.server_key))
                   for c in (None, EVERY_CIPHER))
    assert {"ECDHE-ECDSA-NULL-SHA", "AECDH-AES128-SHA"} <= weak
    assert not {s for s in clean if "NULL" in s or s.startswith(("ADH", "AECDH"))}


def test_a_1024_bit_rsa_key_loads_only_at_the_lowered_security_level(tmp_path):
    certs = pki.issue(tmp_path, rsa_bits=WEAK_RSA_BITS)
    with pytest.raises(ssl.SSLError, match="EE_KEY_TOO_SMALL"):
        TlsPolicy().context(certs.server_cert, certs.server_key)
    weak = tls_policy(DeviceSettings(state_dir=str(tmp_path), faults=["weak-rsa-key"]))
    assert weak.context(certs.server_cert, certs.server_key).get_ciphers()
