"""Tells whether a stored password hash is the hash of a given password (the formats a verifier exists for here)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from lhv.checks.hashes.formats import (
    _ARGON2,
    _BCRYPT,
    _PBKDF2_DJANGO,
    _PBKDF2_WERKZEUG,
    _SCRYPT_DJANGO,
    _SCRYPT_WERKZEUG,
)

VERIFIABLE = "argon2 (PHC, Django), bcrypt (modular crypt, Django; with the bcrypt package), PBKDF2 and scrypt " \
             "(werkzeug, Django)"


def verifies(stored: str, password: str) -> bool | None:
    """Returns True when stored is a hash of password, False when it is not, None when no verifier reads its format."""
    for verifier in (_argon2, _bcrypt, _pbkdf2, _scrypt):
        verdict = verifier(stored, password)
        if verdict is not None:
            return verdict
    return None


def _argon2(stored: str, password: str) -> bool | None:
    if not _ARGON2.fullmatch(stored):
        return None
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored.removeprefix("argon2"), password)
    except (VerificationError, InvalidHashError):
        return False


def _bcrypt(stored: str, password: str) -> bool | None:
    match = _BCRYPT.fullmatch(stored)
    if not match:
        return None
    try:
        import bcrypt
    except ImportError:
        return None
    secret = password.encode()
    if match.group(1) == "bcrypt_sha256":  # Django: bcrypt over the hex SHA-256 of the password
        secret = hashlib.sha256(secret).hexdigest().encode()
    return bcrypt.checkpw(secret, stored.split("$", 1)[1].encode() if match.group(1) else stored.encode())


def _pbkdf2(stored: str, password: str) -> bool | None:
    if match := _PBKDF2_WERKZEUG.fullmatch(stored):
        algorithm, iterations, salt, digest = match.groups()
        derived = hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), int(iterations)).hex()
        return hmac.compare_digest(derived, digest)
    if match := _PBKDF2_DJANGO.fullmatch(stored):
        algorithm, iterations, salt, digest = match.groups()
        derived = hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), int(iterations))
        return hmac.compare_digest(base64.b64encode(derived).decode().strip(), digest)
    return None


def _scrypt(stored: str, password: str) -> bool | None:
    if match := _SCRYPT_WERKZEUG.fullmatch(stored):
        n, r, p, salt, digest = match.groups()
        derived = hashlib.scrypt(password.encode(), salt=salt.encode(), n=int(n), r=int(r), p=int(p),
                                 maxmem=132 * int(n) * int(r) * 2, dklen=len(digest) // 2).hex()
        return hmac.compare_digest(derived, digest)
    if match := _SCRYPT_DJANGO.fullmatch(stored):
        n, salt, r, p, digest = match.groups()
        raw = base64.b64decode(digest)
        derived = hashlib.scrypt(password.encode(), salt=salt.encode(), n=int(n), r=int(r), p=int(p),
                                 maxmem=132 * int(n) * int(r) * 2, dklen=len(raw))
        return hmac.compare_digest(derived, raw)
    return None
