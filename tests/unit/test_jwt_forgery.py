"""Forged tokens made from a genuine one."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lhv.security import forgery

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
# expires in 2100: an expiry counted from the import ran out when a serial run reached this test 16 minutes later
GENUINE = jwt.encode({"sub": "tester@example.org", "exp": 4_102_444_800}, KEY, algorithm="RS256")


def _verifies(token: str) -> bool:
    try:
        jwt.decode(token, KEY.public_key(), algorithms=["RS256"])
    except jwt.PyJWTError:
        return False
    return True


def test_the_genuine_token_verifies_and_no_forgery_does() -> None:
    assert _verifies(GENUINE)
    forged = [forgery.alg_none(GENUINE), forgery.swapped_subject(GENUINE, "admin@example.org"),
              *(make(GENUINE) for make in forgery.SIGNATURE_FORGERIES.values())]
    assert not any(_verifies(token) for token in forged)


def test_alg_none_keeps_the_claims_and_drops_the_signature() -> None:
    header, claims, signature = forgery.split(forgery.alg_none(GENUINE, "None"))
    assert header == {"alg": "None", "typ": "JWT"} and claims["sub"] == "tester@example.org" and signature == ""


def test_stripped_tampered_swapped_and_expired_change_only_what_they_say() -> None:
    header, claims, signature = forgery.split(GENUINE)
    assert forgery.split(forgery.stripped(GENUINE)) == (header, claims, "")
    _, same_claims, changed = forgery.split(forgery.tampered(GENUINE))
    assert same_claims == claims and changed != signature and len(changed) == len(signature)
    assert forgery.split(forgery.swapped_subject(GENUINE, "x@example.org")) == (
        header, {**claims, "sub": "x@example.org"}, signature)
    _, old, kept = forgery.split(forgery.expired(GENUINE, now=1_000_000))
    assert old["exp"] == 1_000_000 - 3600 and kept == signature


def test_a_foreign_key_signature_is_a_valid_rs256_token_of_another_key() -> None:
    token = forgery.foreign_key(GENUINE)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "tester@example.org"
    assert not _verifies(token)


def test_a_token_that_is_not_a_jwt_is_refused() -> None:
    with pytest.raises(ValueError):
        forgery.split("not-a-jwt")
