"""A stored hash verifies against its own password only, in every format a verifier exists for here."""

import base64
import hashlib

import bcrypt
import pytest
from argon2 import PasswordHasher

from lhv.checks.hashes.verify import verifies

PASSWORD, SALT = "Registered-pw 1", "s4ltS4lt"


def _werkzeug_pbkdf2(password: str) -> str:
    return f"pbkdf2:sha256:1000${SALT}${hashlib.pbkdf2_hmac('sha256', password.encode(), SALT.encode(), 1000).hex()}"


def _django_pbkdf2(password: str) -> str:
    digest = base64.b64encode(hashlib.pbkdf2_hmac("sha256", password.encode(), SALT.encode(), 1000)).decode()
    return f"pbkdf2_sha256$1000${SALT}${digest}"


def _werkzeug_scrypt(password: str) -> str:
    digest = hashlib.scrypt(password.encode(), salt=SALT.encode(), n=1024, r=8, p=1, dklen=64).hex()
    return f"scrypt:1024:8:1${SALT}${digest}"


def _django_scrypt(password: str) -> str:
    digest = base64.b64encode(hashlib.scrypt(password.encode(), salt=SALT.encode(), n=1024, r=8, p=1, dklen=64))
    return f"scrypt$1024${SALT}$8$1${digest.decode()}"


FORMATS = [
    ("argon2id PHC", lambda pw: PasswordHasher(time_cost=1, memory_cost=1024).hash(pw)),
    ("argon2id Django", lambda pw: "argon2" + PasswordHasher(time_cost=1, memory_cost=1024).hash(pw)),
    ("bcrypt modular crypt", lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode()),
    ("bcrypt_sha256 Django", lambda pw: "bcrypt_sha256$" + bcrypt.hashpw(
        hashlib.sha256(pw.encode()).hexdigest().encode(), bcrypt.gensalt(4)).decode()),
    ("PBKDF2 werkzeug", _werkzeug_pbkdf2),
    ("PBKDF2 Django", _django_pbkdf2),
    ("scrypt werkzeug", _werkzeug_scrypt),
    ("scrypt Django", _django_scrypt),
]


@pytest.mark.parametrize("make", [f[1] for f in FORMATS], ids=[f[0] for f in FORMATS])
def test_a_hash_verifies_against_its_password_and_no_other(make):
    stored = make(PASSWORD)
    assert verifies(stored, PASSWORD) is True
    assert verifies(stored, PASSWORD + "x") is False
    assert verifies(make("another password"), PASSWORD) is False  # a well-formed hash of another password


@pytest.mark.parametrize("stored", ["not a hash",
                                    "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D"],
                         ids=["garbage", "libsodium $7$"])
def test_a_format_without_a_verifier_is_none_never_true(stored):
    assert verifies(stored, PASSWORD) is None
