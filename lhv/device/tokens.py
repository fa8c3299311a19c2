"""RS256 access tokens of the reference device."""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_TEN_YEARS = 10 * 365 * 24 * 3600


class TokenService:
    """Issues and checks the device's JWTs."""

    def __init__(self, lifetime_seconds: int, faults: list[str]):
        self.lifetime = lifetime_seconds
        self.faults = set(faults)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def issue(self, subject: str) -> str:
        """Returns a signed token for a subject."""
        now = int(time.time())
        lifetime = _TEN_YEARS if "token-never-expires" in self.faults else self.lifetime
        claims = {"sub": subject, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key, algorithm="RS256")

    def subject(self, token: str) -> str | None:
        """Returns the token's subject if the token is valid, else None."""
        options = {"require": ["exp", "sub"], "verify_exp": "exp-not-enforced" not in self.faults}
        try:
            if "alg-none-accepted" in self.faults and jwt.get_unverified_header(token).get("alg") == "none":
                claims = jwt.decode(token, options={"verify_signature": False})
            elif "signature-not-checked" in self.faults:
                claims = jwt.decode(token, options={"verify_signature": False, **options})
            else:
                claims = jwt.decode(token, self._public_pem, algorithms=["RS256"], options=options)
        except jwt.PyJWTError:
            return None
        if "token-expires-early" in self.faults and time.time() > claims["iat"] + (claims["exp"] - claims["iat"]) / 4:
            return None  # the defect: a session store that drops tokens after a quarter of the lifetime exp states
        sub = claims.get("sub")
        return sub if isinstance(sub, str) else None
