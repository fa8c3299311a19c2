"""Forged JWTs made from a genuine token: what a device that checks its tokens must refuse.

Pure functions of a token's text (and, for one of them, a key made here): no secret of the
target is known or needed. Every forged token looks like a JWT, so records redact it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs write their parts."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_part(part: str) -> dict:
    value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(value, dict):
        raise ValueError("a JWT part is not a JSON object")
    return value


def split(token: str) -> tuple[dict, dict, str]:
    """A token's header, claims and signature text; ValueError when it is not a three-part JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"a JWT has three parts, this has {len(parts)}")
    return _json_part(parts[0]), _json_part(parts[1]), parts[2]


def join(header: dict, claims: dict, signature: str) -> str:
    """A token from its parts (JSON written compactly)."""
    def part(value: dict) -> str:
        return b64url(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(claims)}.{signature}"


def alg_none(token: str, spelling: str = "none") -> str:
    """The same claims under `alg: none`, without a signature."""
    _, claims, _ = split(token)
    return join({"alg": spelling, "typ": "JWT"}, claims, "")


def stripped(token: str) -> str:
    """The token with its signature removed (header still names the real algorithm)."""
    header, claims, _ = split(token)
    return join(header, claims, "")


def tampered(token: str) -> str:
    """The token with one signature character changed (so its bytes change whatever the padding)."""
    header, claims, signature = split(token)
    if len(signature) < 4:
        raise ValueError("the token has no signature to tamper with")
    middle = len(signature) // 2
    replacement = "A" if signature[middle] != "A" else "B"
    return join(header, claims, signature[:middle] + replacement + signature[middle + 1:])


def swapped_subject(token: str, subject: str) -> str:
    """Another subject in the claims, the original signature kept."""
    header, claims, signature = split(token)
    return join(header, {**claims, "sub": subject}, signature)


def expired(token: str, now: float | None = None) -> str:
    """Claims that expired an hour ago, the original signature kept."""
    header, claims, signature = split(token)
    moment = int(time.time() if now is None else now)
    return join(header, {**claims, "iat": moment - 7200, "exp": moment - 3600}, signature)


@cache
def _foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def foreign_key(token: str) -> str:
    """The same claims signed RS256 with a key the device has never seen."""
    header, claims, _ = split(token)
    extra = {key: value for key, value in header.items() if key not in ("alg", "typ")}
    return jwt.encode(claims, _foreign_key(), algorithm="RS256", headers=extra or None)


SIGNATURE_FORGERIES: dict[str, Callable[[str], str]] = {
    "signature stripped": stripped,
    "signature tampered": tampered,
    "signed with a foreign key": foreign_key,
    "exp an hour ago, signature kept": expired,
}
